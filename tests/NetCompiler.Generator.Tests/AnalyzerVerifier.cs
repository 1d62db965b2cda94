extern alias generator;

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using NetworkAnalyzer = generator::NetCompiler.Generator.NetworkAnalyzer;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// Runs <see cref="NetworkAnalyzer"/> through the Roslyn analyzer test framework on sources with
/// <c>{|NC0013:span|}</c> markup (which checks every ID and exact span, and that nothing else is reported), then
/// checks the message text of each reported diagnostic.
/// </summary>
internal static class AnalyzerVerifier
{
    /// <summary>No reference-assembly package to download: the same Basic.Reference.Assemblies the generator tests use.</summary>
    private static readonly ReferenceAssemblies NoPackages = new("net8.0");

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkAnalyzer());

    /// <summary>
    /// Verifies the markup in <paramref name="sources"/> (one file each) and that the diagnostics' messages, in
    /// source order, are <paramref name="messages"/>.
    /// </summary>
    public static async Task VerifyAsync(string[] sources, string[] messages, string? editorConfig = null)
    {
        var test = new CSharpAnalyzerTest<NetworkAnalyzer, DefaultVerifier> { ReferenceAssemblies = NoPackages };
        test.TestState.AdditionalReferences.AddRange(GeneratorDriver.References);
        for (int i = 0; i < sources.Length; i++)
            test.TestState.Sources.Add(("/0/Test" + i + ".cs", sources[i]));
        if (editorConfig is not null)
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*]\n" + editorConfig));
        // The framework turns on every supported diagnostic; NC0042 is off by default, so keep it off unless asked.
        if (editorConfig is null || !editorConfig.Contains("NC0042"))
            test.DisabledDiagnostics.Add("NC0042");
        await test.RunAsync();

        ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(GeneratorDriver.Compile(sources.Select(StripMarkup).ToArray()), editorConfig);
        Assert.Equal(messages, diagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    /// <inheritdoc cref="VerifyAsync(string[], string[], string?)"/>
    public static Task VerifyAsync(string source, params string[] messages) => VerifyAsync(new[] { source }, messages);

    /// <summary>The analyzer's diagnostics on <paramref name="compilation"/> in source order, with NC0042 on when <paramref name="editorConfig"/> says so.</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation, string? editorConfig = null)
    {
        if (editorConfig is not null && editorConfig.Contains("NC0042"))
            compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
                compilation.Options.SpecificDiagnosticOptions.SetItem("NC0042", ReportDiagnostic.Info)));
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync();
        var trees = compilation.SyntaxTrees.ToList();
        return diagnostics
            .OrderBy(d => d.Location.SourceTree is null ? -1 : trees.IndexOf(d.Location.SourceTree))
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>Removes <c>{|ID:</c> and <c>|}</c> from markup, leaving the source the markup describes.</summary>
    public static string StripMarkup(string markup) => Regex.Replace(markup, @"\{\|[^:|]+:|\|\}", "");
}
