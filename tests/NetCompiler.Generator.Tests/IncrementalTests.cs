extern alias generator;

using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using TrackingNames = generator::NetCompiler.Generator.NetworkGenerator.TrackingNames;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The pipeline caches by value: an unrelated edit leaves every step Cached or Unchanged and re-emits nothing; a
/// change to the network's attributes re-emits it (as System.Text.Json's JsonSourceGeneratorIncrementalTests).
/// </summary>
public class IncrementalTests
{
    private const string Network = """
        using NetCompiler;
        namespace Demo;
        [Network, Input(3), Dense(5, Activation.Tanh), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
        public partial class Small { }
        """;

    [Fact]
    public void UnrelatedFileEditLeavesOutputUnchanged()
    {
        CSharpCompilation compilation = GeneratorDriver.Compile(Network, "class Other { }");
        Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGenerators(compilation);

        SyntaxTree other = compilation.SyntaxTrees.Last();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("class Other { int _field; }")));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllReasons(result, TrackingNames.Parse, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, TrackingNames.Models, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, TrackingNames.Options, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output step ran: {output.Reason}"));
    }

    [Fact]
    public void EditInsideTheNetworkClassThatKeepsItsAttributesIsUnchanged()
    {
        CSharpCompilation compilation = GeneratorDriver.Compile(Network);
        Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Network.Replace("{ }", "{ public int Epochs; }"))));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        // The parse reruns (its syntax changed) but produces an equal model, so nothing downstream runs.
        AssertAllReasons(result, TrackingNames.Parse, IncrementalStepRunReason.Unchanged);
        AssertAllReasons(result, TrackingNames.Models, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged);
    }

    [Fact]
    public void ChangedLayerIsRegenerated()
    {
        CSharpCompilation compilation = GeneratorDriver.Compile(Network);
        Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGenerators(compilation);

        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Network.Replace("Dense(5,", "Dense(6,"))));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        AssertAllReasons(result, TrackingNames.Parse, IncrementalStepRunReason.Modified);
        AssertAllReasons(result, TrackingNames.Models, IncrementalStepRunReason.Modified);
        Assert.Contains("public const int ParameterCount = 38;", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void ChangedProjectOptionRegeneratesWithoutReparsing()
    {
        CSharpCompilation compilation = GeneratorDriver.Compile(Network);
        Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver().RunGenerators(compilation);

        driver = driver.WithUpdatedAnalyzerConfigOptions(new GeneratorDriver.ProjectProperties(
            new System.Collections.Generic.Dictionary<string, string> { ["build_property.NetCompilerAggressiveOptimization"] = "false" }));
        GeneratorRunResult result = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        AssertAllReasons(result, TrackingNames.Parse, IncrementalStepRunReason.Cached);
        AssertAllReasons(result, TrackingNames.Options, IncrementalStepRunReason.Modified);
        Assert.DoesNotContain("AggressiveOptimization", result.GeneratedSources.Single().SourceText.ToString());
    }

    private static void AssertAllReasons(GeneratorRunResult result, string step, params IncrementalStepRunReason[] allowed)
    {
        Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
        var reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.Contains(reason, allowed));
    }
}
