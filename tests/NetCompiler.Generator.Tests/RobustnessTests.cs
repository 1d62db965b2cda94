using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// Thousands of seeded random [Network] declarations, valid and invalid, through the analyzer and the generator:
/// each ends either in analyzer errors and no generated code, or in generated code that compiles without any
/// warning; the generator never throws and never reports a failure (CS8785 or NC0900).
/// </summary>
public class RobustnessTests(ITestOutputHelper output)
{
    private const int Cases = 2000;
    private const int CasesPerCompilation = 50; // one compilation per batch keeps Roslyn's fixed cost down
    private const int Seed = 20261128;

    private static readonly int[] Sizes = { 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33 };
    private static readonly int[] BadSizes = { -3, 0 };
    private static readonly string[] Activations = { "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax" };

    [Fact]
    public async Task RandomDeclarationsEndInErrorsOrInCleanGeneratedCode()
    {
        var random = new Random(Seed);
        int rejected = 0, compiled = 0, ignored = 0;
        double analyzerTime = 0, generatorTime = 0, compileTime = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int batch = 0; batch < Cases / CasesPerCompilation; batch++)
        {
            var cases = Enumerable.Range(0, CasesPerCompilation).Select(k => RandomCase(random, $"Case{batch}x{k}")).ToArray();
            CSharpCompilation input = GeneratorDriver.Compile(cases.Select(c => c.Source).ToArray());
            var phase = System.Diagnostics.Stopwatch.StartNew();
            ImmutableArray<Diagnostic> analyzer = await AnalyzerVerifier.AnalyzeAsync(input);
            analyzerTime += phase.Elapsed.TotalSeconds; phase.Restart();

            Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation result, out ImmutableArray<Diagnostic> generatorDiagnostics);
            GeneratorRunResult run = driver.GetRunResult().Results.Single();
            Assert.Null(run.Exception);
            Assert.True(generatorDiagnostics.IsEmpty, $"batch {batch}: the generator reported {string.Join("; ", generatorDiagnostics)}");

            generatorTime += phase.Elapsed.TotalSeconds; phase.Restart();
            ImmutableArray<Diagnostic> compilerDiagnostics = result.GetDiagnostics();
            compileTime += phase.Elapsed.TotalSeconds;
            Assert.DoesNotContain(compilerDiagnostics, d => d.Id == "CS8785");
            for (int k = 0; k < cases.Length; k++)
            {
                (string name, string source) = cases[k];
                SyntaxTree tree = input.SyntaxTrees.ElementAt(k);
                var errors = analyzer.Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree == tree).ToList();
                var generated = run.GeneratedSources.Where(s => s.HintName.Contains(name + ".", StringComparison.Ordinal)).ToList();
                var generatedTrees = generated.Select(s => s.SyntaxTree).ToHashSet();
                // Code the analyzer rejects may be invalid C# too (a missing 'partial'); the generated code never is.
                var problems = compilerDiagnostics
                    .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } t &&
                                (generatedTrees.Contains(t) || (t == tree && errors.Count == 0)))
                    .Select(d => d.ToString())
                    .ToList();
                string context = $"case {name}:\n{source}\nanalyzer: {string.Join("; ", analyzer.Where(d => d.Location.SourceTree == tree))}";
                if (errors.Count > 0)
                {
                    Assert.True(generated.Count == 0, "generated code despite analyzer errors, " + context);
                    rejected++;
                }
                else if (source.Contains("[Network", StringComparison.Ordinal))
                {
                    Assert.True(generated.Count == 1, "no generated code for a network without errors, " + context);
                    compiled++;
                }
                else
                {
                    ignored++;
                }
                Assert.True(problems.Count == 0, "compiler warnings or errors, " + context + "\ncompiler: " + string.Join("\n", problems));
            }
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s (analyzer {analyzerTime:F1}, generator {generatorTime:F1}, compiling {compileTime:F1}); {Cases} cases: {rejected} rejected by the analyzer, {compiled} generated and compiled cleanly, {ignored} without [Network]");
        Assert.True(rejected > Cases / 5 && compiled > Cases / 5, $"the random cases should mix both outcomes: {rejected} rejected, {compiled} compiled");
    }

    /// <summary>A random declaration: mostly plausible networks, with every kind of mistake mixed in.</summary>
    private static (string Name, string Source) RandomCase(Random random, string name)
    {
        var attributes = new List<string>();
        bool network = random.NextDouble() > 0.03;
        if (network)
        {
            double p = random.NextDouble();
            attributes.Add(p < 0.7 ? "Network" : p < 0.97 ? "Network(Precision = Precision.Double)" : "Network(Precision = (Precision)7)");
        }
        if (random.NextDouble() > 0.08) attributes.Add($"Input({Size(random)})");
        int layers = random.NextDouble() < 0.05 ? 0 : random.Next(1, 4);
        for (int l = 0; l < layers; l++)
        {
            string activation = random.NextDouble() < 0.04 ? "(Activation)9" : "Activation." + Pick(random, Activations);
            attributes.Add($"Dense({Size(random)}, {activation})");
        }
        double loss = random.NextDouble();
        string? lossAttribute = loss < 0.2 ? null : loss < 0.58 ? "Loss(LossFunction.SquaredError)" : loss < 0.97 ? "Loss(LossFunction.CrossEntropy)" : "Loss((LossFunction)5)";
        bool split = lossAttribute is not null && random.NextDouble() < 0.03;
        if (lossAttribute is not null && !split) attributes.Add(lossAttribute);

        double shape = random.NextDouble();
        string modifiers = shape < 0.04 ? "public" : shape < 0.07 ? "public static partial" : "public partial";
        string typeParameters = shape is >= 0.07 and < 0.10 ? "<T>" : "";
        string members = random.NextDouble() < 0.03 && !modifiers.Contains("static") ? " public void Forward() { } " : " ";

        var text = new StringBuilder();
        text.Append("using NetCompiler;\nnamespace ").Append(name).Append("Space\n{\n");
        bool nested = random.NextDouble() < 0.05;
        if (nested) text.Append(random.NextDouble() < 0.5 ? "public partial class Outer\n{\n" : "public class Outer\n{\n");
        if (attributes.Count > 0) text.Append('[').Append(string.Join(", ", attributes)).Append("]\n");
        text.Append(modifiers).Append(" class ").Append(name).Append(typeParameters).Append(" {").Append(members).Append("}\n");
        if (split) text.Append('[').Append(lossAttribute).Append("]\npartial class ").Append(name).Append(typeParameters).Append(" { }\n");
        if (nested) text.Append("}\n");
        text.Append("}\n");
        return (name, text.ToString());
    }

    private static int Size(Random random) => random.NextDouble() < 0.05 ? Pick(random, BadSizes) : Pick(random, Sizes);

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];
}
