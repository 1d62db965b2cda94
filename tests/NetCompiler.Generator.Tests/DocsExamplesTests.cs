extern alias generator;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Xunit;
using DiagnosticDescriptors = generator::NetCompiler.Generator.Diagnostics.DiagnosticDescriptors;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// docs/diagnostics.md is true: every diagnostic has a section at its help link's anchor; each wrong example is
/// reported with that ID; each fixed example has no warning or error, runs through the generator, and the output
/// compiles with no warnings.
/// </summary>
public class DocsExamplesTests
{
    public sealed record Example(string Id, string Wrong, string Fixed)
    {
        public override string ToString() => Id; // the test name
    }

    public static TheoryData<Example> Examples()
    {
        var data = new TheoryData<Example>();
        foreach ((string id, string body) in Sections())
        {
            Match wrong = Regex.Match(body, "Wrong:\\s*```csharp\\n(.*?)```", RegexOptions.Singleline);
            Match @fixed = Regex.Match(body, "Fixed:\\s*```csharp\\n(.*?)```", RegexOptions.Singleline);
            if (wrong.Success && @fixed.Success)
                data.Add(new Example(id, wrong.Groups[1].Value, @fixed.Groups[1].Value));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task WrongExampleIsReportedAndFixedExampleGenerates(Example example)
    {
        // Wrong: valid C#, and the analyzer reports the section's diagnostic.
        Compilation wrong = GeneratorDriver.Compile(example.Wrong);
        Assert.Empty(wrong.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var reported = await AnalyzerVerifier.AnalyzeAsync(wrong);
        Assert.Contains(reported, d => d.Id == example.Id);

        // Fixed: nothing to report (but the information NC0066 that a Dense layer flattens a convolution's output),
        // and the generated code compiles without warnings.
        var (output, generated, diagnostics) = GeneratorDriver.Run(example.Fixed);
        Assert.Empty((await AnalyzerVerifier.AnalyzeAsync(output)).Where(d => d.Id != DiagnosticDescriptors.ImplicitFlattenId));
        Assert.NotEmpty(generated);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    [Fact]
    public async Task FlattenExampleIsReportedWithItsMessage()
    {
        string body = Sections().Single(s => s.Id == DiagnosticDescriptors.ImplicitFlattenId).Body;
        string example = Regex.Match(body, "```csharp\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Diagnostic flatten = Assert.Single(await AnalyzerVerifier.AnalyzeAsync(GeneratorDriver.Compile(example)));
        Assert.Equal(DiagnosticDescriptors.ImplicitFlattenId, flatten.Id);
        Assert.Contains("\"" + flatten.GetMessage(System.Globalization.CultureInfo.InvariantCulture) + "\"", body);
    }

    [Fact]
    public async Task CostExampleIsReportedWhenEnabled()
    {
        string example = Regex.Match(Sections().Single(s => s.Id == "NC0042").Body, "```csharp\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        Diagnostic cost = Assert.Single(await AnalyzerVerifier.AnalyzeAsync(GeneratorDriver.Compile(example), "dotnet_diagnostic.NC0042.severity = suggestion"));
        Assert.Contains(cost.GetMessage(System.Globalization.CultureInfo.InvariantCulture), Sections().Single(s => s.Id == "NC0042").Body);
    }

    [Fact]
    public void EveryDiagnosticIsDocumentedAtItsHelpLink()
    {
        var descriptors = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
        var sections = Sections().ToDictionary(s => s.Id, s => s.Body);
        // The build's own diagnostics (NC01xx), reported by the package's targets file with a help link here.
        string targets = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "NetCompiler", "buildTransitive", "NetCompiler.targets"));
        var build = Regex.Matches(targets, "Code=\"(NC[0-9]{4})\" File=\"[^\"]*\" HelpLink=\"([^\"]*)\"").Select(m => (Id: m.Groups[1].Value, Link: m.Groups[2].Value)).ToList();
        Assert.NotEmpty(build);
        foreach ((string id, string link) in build)
        {
            Assert.Equal(DiagnosticDescriptors.HelpLinkBase + id.ToLowerInvariant(), link);
            Assert.Contains("**Reported by:**", sections[id]);
        }
        Assert.Equal(descriptors.Select(d => d.Id).Concat(build.Select(b => b.Id)).Distinct().OrderBy(id => id), sections.Keys.OrderBy(id => id));
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            Assert.Equal(DiagnosticDescriptors.HelpLinkBase + descriptor.Id.ToLowerInvariant(), descriptor.HelpLinkUri);
            Assert.Contains("## " + descriptor.Id + ": " + descriptor.Title, sections[descriptor.Id]);
            string severity = descriptor.IsEnabledByDefault ? descriptor.DefaultSeverity.ToString() : "Info, off by default";
            Assert.Contains("**Severity:** " + severity + " · **Category:** " + descriptor.Category, sections[descriptor.Id]);
        }
        string shipped = File.ReadAllText(Path.Combine(RepositoryRoot(), "generator", "NetCompiler.Generator", "AnalyzerReleases.Unshipped.md"));
        Assert.All(descriptors, d => Assert.Contains(d.Id + " | " + d.Category + " | ", shipped));
    }

    /// <summary>The sections of docs/diagnostics.md, each starting at its anchor.</summary>
    private static IEnumerable<(string Id, string Body)> Sections()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md")).Replace("\r\n", "\n");
        string[] parts = Regex.Split(text, "<a id=\"(nc\\d{4})\"></a>");
        for (int i = 1; i + 1 < parts.Length; i += 2)
            yield return (parts[i].ToUpperInvariant(), parts[i + 1]);
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));
}
