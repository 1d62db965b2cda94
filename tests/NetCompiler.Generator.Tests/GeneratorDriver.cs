extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetCompiler.Generator.Tests;

/// <summary>Runs the generator over source text, as the compiler would, and compiles the result.</summary>
internal static class GeneratorDriver
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    public static readonly ImmutableArray<MetadataReference> References =
        Basic.Reference.Assemblies.Net80.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location))
            .ToImmutableArray();

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "UserAssembly",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// A driver for the generator; <paramref name="properties"/> are MSBuild properties as the compiler sees them
    /// ("build_property.Name"), <paramref name="additionalFiles"/> the project's AdditionalFiles items.
    /// </summary>
    public static CSharpGeneratorDriver CreateDriver(IReadOnlyDictionary<string, string>? properties = null, IEnumerable<AdditionalText>? additionalFiles = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new generator::NetCompiler.Generator.NetworkGenerator().AsSourceGenerator() },
            additionalTexts: additionalFiles,
            parseOptions: ParseOptions,
            optionsProvider: new ProjectProperties(properties ?? new Dictionary<string, string>()),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary><see cref="Run"/> with AdditionalFiles items and MSBuild properties.</summary>
    public static (Compilation Output, IReadOnlyList<string> Generated, ImmutableArray<Diagnostic> Diagnostics) RunWithFiles(
        IReadOnlyDictionary<string, string>? properties, IEnumerable<AdditionalText> additionalFiles, params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        Microsoft.CodeAnalysis.GeneratorDriver driver = CreateDriver(properties, additionalFiles).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        var generated = driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToList();
        return (output, generated, generatorDiagnostics.AddRange(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)));
    }

    /// <summary>An AdditionalFiles item for a file on disk, as the compiler gives it: a path (its text is not what a binary file needs).</summary>
    public sealed class FileItem(string path) : AdditionalText
    {
        public override string Path { get; } = path;
        public override Microsoft.CodeAnalysis.Text.SourceText? GetText(System.Threading.CancellationToken cancellationToken = default) => null;
    }

    /// <summary>Runs the generator; returns the output compilation, the generated sources and all diagnostics.</summary>
    public static (Compilation Output, IReadOnlyList<string> Generated, ImmutableArray<Diagnostic> Diagnostics) Run(params string[] sources) =>
        RunWith(null, sources);

    /// <summary><see cref="Run"/> in a project with the MSBuild <paramref name="properties"/> ("build_property.Name" → value).</summary>
    public static (Compilation Output, IReadOnlyList<string> Generated, ImmutableArray<Diagnostic> Diagnostics) RunWith(IReadOnlyDictionary<string, string>? properties, params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        Microsoft.CodeAnalysis.GeneratorDriver driver = CreateDriver(properties).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        var generated = result.GeneratedTrees.Select(t => t.ToString()).ToList();
        ImmutableArray<Diagnostic> all = generatorDiagnostics.AddRange(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        return (output, generated, all);
    }

    /// <summary>The project's properties as the compiler passes them to generators: global options, none per file.</summary>
    public sealed class ProjectProperties(IReadOnlyDictionary<string, string> properties) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } = new Options(properties);
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.None;
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.None;

        private sealed class Options(IReadOnlyDictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public static readonly Options None = new(new Dictionary<string, string>());
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}
