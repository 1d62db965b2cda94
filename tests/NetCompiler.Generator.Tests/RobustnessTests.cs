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
/// The declaration fuzz suite: thousands of seeded random [Network] declarations, valid and invalid, through the
/// analyzer and the generator: each ends either in analyzer errors and no generated code, or in generated code that
/// compiles without any warning, is at most a megabyte, and declares exactly the members the analyzer's collision
/// check expects (GeneratedMembers); the analyzer never throws (AD0001) and the generator never throws or reports a
/// failure (CS8785 or NC0900). About a third of the declarations are graphs of convolution, pooling, Add and Concat
/// layers with names, From, strides, padding and connection tables; about one in eight is hostile (null arrays and
/// names, int.MaxValue sizes, a narrow input into a huge layer, tensors past MaxTensorSize, strides and padding past
/// the input). CI runs 2,000 with the fixed seed; NETCOMPILER_FUZZ_DECLARATIONS=N runs N (the long mode) and
/// NETCOMPILER_FUZZ_SEED another seed. Every failure names the seed and the case.
/// </summary>
public class RobustnessTests(ITestOutputHelper output)
{
    private static readonly int Cases = EnvironmentInt("NETCOMPILER_FUZZ_DECLARATIONS") ?? 2000;
    private const int CasesPerCompilation = 50; // one compilation per batch keeps Roslyn's fixed cost down
    private static readonly int Seed = EnvironmentInt("NETCOMPILER_FUZZ_SEED") ?? 20261128;
    private const int MaxSourceChars = 1_000_000;

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;

    private static readonly int[] Sizes = { 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33 };
    private static readonly int[] BadSizes = { -3, 0 };
    private static readonly string[] Activations = { "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax" };

    [Fact]
    public async Task RandomDeclarationsEndInErrorsOrInCleanGeneratedCode()
    {
        var random = new Random(Seed);
        int rejected = 0, compiled = 0, ignored = 0, validGraphs = 0, hostile = 0, largest = 0;
        string largestCase = "";
        double analyzerTime = 0, generatorTime = 0, compileTime = 0, slowestBatch = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int batch = 0; batch < (Cases + CasesPerCompilation - 1) / CasesPerCompilation; batch++)
        {
            var cases = Enumerable.Range(0, CasesPerCompilation).Select(k => RandomCase(random, $"Case{batch}x{k}")).ToArray();
            hostile += cases.Count(c => c.Hostile);
            string where = $"seed {Seed} (NETCOMPILER_FUZZ_SEED), batch {batch}";
            CSharpCompilation input = GeneratorDriver.Compile(cases.Select(c => c.Source).ToArray());
            var phase = System.Diagnostics.Stopwatch.StartNew();
            ImmutableArray<Diagnostic> analyzer = await AnalyzerVerifier.AnalyzeAsync(input);
            double batchSeconds = phase.Elapsed.TotalSeconds;
            analyzerTime += phase.Elapsed.TotalSeconds; phase.Restart();
            var crashes = analyzer.Where(d => d.Id == "AD0001").ToList();
            Assert.True(crashes.Count == 0, $"{where}: the analyzer threw: {string.Join("; ", crashes)}\n{string.Join("\n", cases.Select(c => c.Source))}");

            Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation result, out ImmutableArray<Diagnostic> generatorDiagnostics);
            GeneratorRunResult run = driver.GetRunResult().Results.Single();
            Assert.True(run.Exception is null, $"{where}: the generator threw {run.Exception}");
            Assert.True(generatorDiagnostics.IsEmpty, $"{where}: the generator reported {string.Join("; ", generatorDiagnostics)}");
            batchSeconds += phase.Elapsed.TotalSeconds;
            slowestBatch = Math.Max(slowestBatch, batchSeconds);

            generatorTime += phase.Elapsed.TotalSeconds; phase.Restart();
            ImmutableArray<Diagnostic> compilerDiagnostics = result.GetDiagnostics();
            compileTime += phase.Elapsed.TotalSeconds;
            Assert.DoesNotContain(compilerDiagnostics, d => d.Id == "CS8785");
            for (int k = 0; k < cases.Length; k++)
            {
                (string name, string source, bool graph, _) = cases[k];
                SyntaxTree tree = input.SyntaxTrees.ElementAt(k);
                var errors = analyzer.Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree == tree).ToList();
                var generated = run.GeneratedSources.Where(s => s.HintName.Contains(name + ".", StringComparison.Ordinal)).ToList();
                var generatedTrees = generated.Select(s => s.SyntaxTree).ToHashSet();
                // Code the analyzer rejects may be invalid C# too (a missing 'partial'), and so may a class without
                // [Network], which the generator ignores; the generated code never is. A hostile [Input(null)] is the
                // user's own nullable warning (CS8625), not a fault of ours.
                bool network = source.Contains("[Network", StringComparison.Ordinal);
                var problems = compilerDiagnostics
                    .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } t &&
                                (generatedTrees.Contains(t) || (t == tree && errors.Count == 0 && network && d.Id != "CS8625")))
                    .Select(d => d.ToString())
                    .ToList();
                string context = $"{where}, case {name}:\n{source}\nanalyzer: {string.Join("; ", analyzer.Where(d => d.Location.SourceTree == tree))}";
                if (errors.Count > 0)
                {
                    Assert.True(generated.Count == 0, "generated code despite analyzer errors, " + context);
                    rejected++;
                }
                else if (network)
                {
                    if (graph) validGraphs++;
                    Assert.True(generated.Count == 1, "no generated code for a network without errors, " + context);
                    int chars = generated[0].SourceText.Length;
                    if (chars > largest) (largest, largestCase) = (chars, source);
                    Assert.True(chars <= MaxSourceChars, $"{chars:N0} characters of generated source, " + context);
                    // The analyzer's collision check knows exactly the members the emitter declared.
                    GeneratedMembersTests.AssertListMatches(input, name, generated[0].SourceText.ToString());
                    compiled++;
                }
                else
                {
                    ignored++;
                }
                Assert.True(problems.Count == 0, "compiler warnings or errors, " + context + "\ncompiler: " + string.Join("\n", problems));
            }
        }
        int total = rejected + compiled + ignored;
        output.WriteLine($"seed {Seed}: {clock.Elapsed.TotalSeconds:F1} s (analyzer {analyzerTime:F1}, generator {generatorTime:F1}, compiling {compileTime:F1}; slowest batch of {CasesPerCompilation} through analyzer and generator {slowestBatch:F1} s); " +
                         $"{total} cases ({hostile} hostile): {rejected} rejected by the analyzer, {compiled} generated and compiled cleanly, {ignored} without [Network]; {validGraphs} of them valid graphs; largest generated source {largest:N0} characters, for\n{largestCase}");
        Assert.True(slowestBatch < 60, $"a batch of {CasesPerCompilation} took {slowestBatch:F1} s through the analyzer and the generator");
        Assert.True(rejected > total / 5 && compiled > total / 5, $"the random cases should mix both outcomes: {rejected} rejected, {compiled} compiled");
        Assert.True(validGraphs > total / 20, $"the random graphs should include valid ones: {validGraphs}");
        Assert.True(hostile > total / 20, $"the cases should include hostile ones: {hostile}");
    }

    /// <summary>Declarations the fuzz suite found broken, each kept here once fixed: they generate code that compiles cleanly.</summary>
    [Theory]
    [InlineData("Input(1, 16), Conv1D(1, 3, Activation.ReLU, Name = \"l0\", Padding = 1), Conv1D(1, 3, Activation.LeakyReLU, Name = \"l1\"), Loss(LossFunction.SquaredError)")] // w declared twice (CS0136)
    public void FoundByTheFuzzSuite(string layers)
    {
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\nnamespace Found;\n[Network, " + layers + "]\npublic partial class Net { }\n");
        Assert.True(diagnostics.IsEmpty, string.Join("\n", diagnostics));
        Assert.Single(generated);
    }

    /// <summary>A random declaration: mostly plausible networks, with every kind of mistake mixed in.</summary>
    private static (string Name, string Source, bool Graph, bool Hostile) RandomCase(Random random, string name)
    {
        var attributes = new List<string>();
        bool network = random.NextDouble() > 0.03;
        bool hostile = random.NextDouble() < 0.125;
        bool graph = !hostile && random.NextDouble() < 0.35;
        if (network)
        {
            double p = random.NextDouble();
            string precision = p < 0.7 ? "" : p < 0.97 ? "Precision = Precision.Double" : "Precision = (Precision)7";
            string output = graph && random.NextDouble() < 0.1 ? $"Output = \"{Pick(random, Names)}\"" : "";
            string arguments = string.Join(", ", new[] { precision, output }.Where(a => a.Length > 0));
            attributes.Add(arguments.Length == 0 ? "Network" : "Network(" + arguments + ")");
        }
        if (hostile)
            AddHostile(random, attributes);
        else if (graph)
            AddGraph(random, attributes);
        else
        {
            if (random.NextDouble() > 0.08) attributes.Add($"Input({Size(random)})");
            int layers = random.NextDouble() < 0.05 ? 0 : random.Next(1, 4);
            for (int l = 0; l < layers; l++)
            {
                string activation = random.NextDouble() < 0.04 ? "(Activation)9" : "Activation." + Pick(random, Activations);
                attributes.Add($"Dense({Size(random)}, {activation})");
            }
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
        return (name, text.ToString(), graph, hostile);
    }

    private static readonly string[] HugeSizes = { "int.MaxValue", "int.MinValue", "1 << 24", "(1 << 24) + 1", "33554431", "2000000000", "65536", "4096", "100000", "1000000" };

    /// <summary>
    /// A hostile declaration: null where an array or a name belongs, sizes up to int.MaxValue, a narrow input into a
    /// huge layer (the shape whose generated code once grew with the layer), tensors past MaxTensorSize, strides,
    /// windows and padding past the input, strange names and tables.
    /// </summary>
    private static void AddHostile(Random random, List<string> attributes)
    {
        string Huge() => Pick(random, HugeSizes);
        string Any(params string[] values) => Pick(random, values);
        switch (random.Next(10))
        {
            case 0:
                attributes.Add(Any("Input(null)", "Input()", "Input(new int[0])", "Input(1, 2, 3, 4)"));
                attributes.Add("Dense(1)");
                break;
            case 1:
                attributes.Add($"Input({Any("1", "2", "4", "3")})");
                attributes.Add($"Dense({Huge()}, Activation.{Pick(random, Activations, 1)})");
                attributes.Add("Dense(6, Activation.Softmax)");
                break;
            case 2:
                attributes.Add($"Input({Huge()})");
                attributes.Add($"Dense({Any("1", "8", "16")})");
                break;
            case 3:
                attributes.Add($"Input(1, {Any("4096", "1024", Huge())}, {Any("4096", "16", Huge())})");
                attributes.Add($"Conv2D({Any("1", "2", "64", Huge())}, {Any("1", "3", Huge())})");
                attributes.Add($"MaxPool({Any("2", "4096", Huge())})");
                attributes.Add("Dense(1)");
                break;
            case 4:
                attributes.Add("Input(1, 16, 16)");
                attributes.Add($"Conv2D(2, 3, Padding = {Any("0", "1", "15", Huge())}, Stride = {Any("1", "2", "16", Huge())})");
                attributes.Add("Dense(1)");
                break;
            case 5:
                attributes.Add("Input(2, 8, 8)");
                attributes.Add($"Conv2D(2, 3, Connections = {Any("null", "new string[0]", "new string[] { null, null }", "new[] { \"X\" }", "new[] { \"\\u0000X\", \"XX\" }", "new[] { \"XX\", \"XX\" }", "new[] { \"..\", \"XX\" }")})");
                attributes.Add("Dense(1)");
                break;
            case 6:
                attributes.Add("Input(4)");
                attributes.Add($"Dense(2, Name = {Any("null", "\"\"", "\"input\"", "\"" + new string('a', 600) + "\"", "\"\\u0000\"", "\"\\ud800\"", "\"h\"")}, From = {Any("null", "new string[0]", "new string[] { null }", "new[] { \"input\", \"input\" }", "new[] { \"h\" }", "new[] { \"input\" }")})");
                attributes.Add("Dense(1)");
                break;
            case 7:
                attributes.Add($"Input(2, {Any("65536", "16", Huge())})");
                attributes.Add($"Conv1D({Any("4", Huge())}, {Any("3", "65536", Huge())})");
                attributes.Add("Dense(1)");
                break;
            case 8:
                attributes.Add("Input(3, 8, 8)");
                attributes.Add($"{Any("MaxPool", "AvgPool")}({Any("2", "8", "9", Huge())}, Stride = {Any("1", "2", Huge())})");
                attributes.Add("Dense(1)");
                break;
            default:
                attributes.Add($"Input({Huge()}, {Huge()})");
                attributes.Add($"Dense({Huge()}, (Activation)({Any("-1", "int.MaxValue", "2")}))");
                break;
        }
    }

    private static readonly string[] Names = { "l0", "l1", "l2", "l3", "input", "zz" };

    /// <summary>
    /// [Input] with channels and 1–5 layers of every kind: mostly a plausible chain ("same" padding, windows that tile,
    /// joins of the two layers before), named "l0", "l1", … and read through From; now and then a wrong size, stride,
    /// padding or connection table, a name that does not exist, a later layer or a duplicate.
    /// </summary>
    private static void AddGraph(Random random, List<string> attributes)
    {
        bool Rarely(double p = 0.03) => random.NextDouble() < p;
        string Bad() => Pick(random, BadSizes).ToString(CultureInfo.InvariantCulture);
        int rank = random.NextDouble() < 0.1 ? 1 : random.Next(2, 4);
        int channels = random.Next(1, 4);
        int filters = random.Next(1, 5);
        string Extent() => Rarely() ? Bad() : Pick(random, new[] { "4", "8", "12", "16", "7" });
        if (!Rarely())
            attributes.Add(rank switch
            {
                1 => $"Input({Extent()})",
                2 => $"Input({channels}, {Extent()})",
                _ => $"Input({channels}, {Extent()}, {Extent()})",
            });
        int layers = random.Next(1, 6);
        var names = new List<string?>();
        for (int l = 0; l < layers; l++)
        {
            // Softmax mostly on the last layer, where it belongs.
            string activation = "Activation." + (l == layers - 1 && random.NextDouble() < 0.5 ? "Softmax" : Pick(random, Activations, Rarely(0.1) ? 0 : 1));
            var named = new List<string>();
            string? layerName = random.NextDouble() < 0.95 ? (Rarely() ? Pick(random, Names) : "l" + l.ToString(CultureInfo.InvariantCulture)) : null;
            if (layerName is not null) named.Add($"Name = \"{layerName}\"");
            string Source(int back) => Rarely(0.05) ? Pick(random, Names) : l - back < 0 ? "input" : names[l - back] ?? Pick(random, Names);
            // Convolution and pooling need channels: after a Dense layer (rank 1) they are rare mistakes.
            double kind = rank == 1 && !Rarely(0.1) ? 0.55 + 0.45 * random.NextDouble() : random.NextDouble();
            bool join = kind >= 0.85;
            if (join)
                named.Add("From = new[] { " + string.Join(", ", Enumerable.Range(1, Rarely(0.1) ? 1 : 2).Select(b => "\"" + Source(b) + "\"")) + " }");
            else if (Rarely(0.1))
                named.Add($"From = new[] {{ \"{Source(1)}\" }}");
            string attribute;
            if (kind < 0.3)
            {
                string conv = rank == 3 || (rank == 1 && random.NextDouble() < 0.5) ? "Conv2D" : "Conv1D";
                int kernel = Pick(random, new[] { 1, 3, 3, 5 });
                if (Rarely(0.1)) named.Add($"Stride = {(Rarely(0.3) ? Bad() : "2")}");
                if (random.NextDouble() < 0.7) named.Add($"Padding = {(Rarely() ? -1 : (kernel - 1) / 2)}");
                if (Rarely(0.1))
                {
                    int rows = Rarely(0.1) ? filters + 1 : filters;
                    named.Add("Connections = new[] { " + string.Join(", ", Enumerable.Range(0, rows).Select(_ =>
                        "\"" + new string(Enumerable.Range(0, Rarely(0.1) ? channels + 1 : channels).Select(_ => "XX.o"[random.Next(Rarely(0.05) ? 4 : 3)]).ToArray()) + "\"")) + " }");
                }
                attribute = $"{conv}({(Rarely() ? Bad() : filters.ToString(CultureInfo.InvariantCulture))}, {(Rarely() ? Bad() : kernel.ToString(CultureInfo.InvariantCulture))}, {activation}";
                channels = filters;
            }
            else if (kind < 0.55)
            {
                bool average = random.NextDouble() < 0.5;
                if (Rarely(0.1)) named.Add($"Stride = {(Rarely(0.3) ? "-1" : "1")}");
                if (average && random.NextDouble() < 0.3) named.Add("Trainable = true");
                if (average && random.NextDouble() < 0.2) named.Add($"Activation = {activation}");
                attribute = $"{(average ? "AvgPool" : "MaxPool")}({(Rarely() ? Bad() : random.NextDouble() < 0.8 ? "2" : "3")}";
            }
            else if (kind < 0.85)
            {
                attribute = $"Dense({Size(random)}, {activation}";
                rank = 1;
            }
            else
            {
                bool add = random.NextDouble() < 0.5;
                if (add && random.NextDouble() < 0.3) named.Add($"Activation = {activation}");
                attribute = add ? "Add(" : "Concat(";
            }
            names.Add(layerName);
            string arguments = string.Join(", ", named);
            attributes.Add(attribute.EndsWith('(') ? (arguments.Length == 0 ? attribute.TrimEnd('(') : attribute + arguments + ")")
                : attribute + (arguments.Length == 0 ? ")" : ", " + arguments + ")"));
        }
    }

    private static int Size(Random random) => random.NextDouble() < 0.05 ? Pick(random, BadSizes) : Pick(random, Sizes);

    private static T Pick<T>(Random random, T[] values, int skipLast = 0) => values[random.Next(values.Length - skipLast)];
}
