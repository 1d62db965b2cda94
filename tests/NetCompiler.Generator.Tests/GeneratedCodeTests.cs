extern alias generator;

using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetCompiler.Generator.Tests;

/// <summary>What the generator emits: compiling code for valid networks, a stable snapshot, errors for invalid ones.</summary>
public class GeneratedCodeTests
{
    public static TheoryData<string> ValidNetworks => new()
    {
        "[Network, Input(2), Dense(4, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]",
        "[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]",
        "[Network(Precision = Precision.Double), Input(9), Dense(17, Activation.LeakyReLU), Dense(33, Activation.Tanh), Dense(7)]",
        "[Network, Input(1), Dense(1), Loss(LossFunction.SquaredError)]",
        "[Network, Input(40), Dense(100, Activation.Sigmoid), Dense(3, Activation.Softmax), Loss(LossFunction.SquaredError)]",
        "[Network(Precision = Precision.Double), Input(12), Dense(16, Activation.ReLU), Dense(8, Activation.ReLU), Dense(4, Activation.Softmax), Loss(LossFunction.CrossEntropy)]",
    };

    [Theory]
    [MemberData(nameof(ValidNetworks))]
    public void ValidNetworkCompilesWithoutDiagnostics(string attributes)
    {
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\nnamespace Demo;\n" + attributes + "\npublic partial class Net { }");
        Assert.Single(generated);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    [Fact]
    public void NestedAndGlobalNamespaceNetworksCompile()
    {
        var (_, generated, diagnostics) = GeneratorDriver.Run("""
            using NetCompiler;
            [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
            public partial class Global { }
            namespace Outer.Inner
            {
                public static partial class Holder
                {
                    [Network, Input(3), Dense(2)]
                    internal partial class Nested { }
                }
            }
            """);
        Assert.Equal(2, generated.Count);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    [Fact]
    public void OutputIsDeterministic()
    {
        const string source = "using NetCompiler;\n[Network, Input(20), Dense(9, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]\npublic partial class Net { }";
        Assert.Equal(GeneratorDriver.Run(source).Generated.Single(), GeneratorDriver.Run(source).Generated.Single());
    }

    /// <summary>
    /// The generated source for a small network, compared line by line with a committed baseline. To accept an
    /// intended change, run the tests with NETCOMPILER_UPDATE_BASELINES=1 and review the diff.
    /// </summary>
    [Theory]
    [InlineData("Small", "[Network, Input(3), Dense(5, Activation.Tanh), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]")]
    [InlineData("Mixed", "[Network, Input(17), Dense(9, Activation.ReLU), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]")]
    public void MatchesBaseline(string name, string attributes)
    {
        string actual = GeneratorDriver.Run("using NetCompiler;\nnamespace Demo;\n" + attributes + "\npublic partial class " + name + " { }").Generated.Single()
            .Replace(generatorVersion, "{version}");
        string committed = Path.Combine(BaselineDirectory(), name + ".generated.txt");
        if (Environment.GetEnvironmentVariable("NETCOMPILER_UPDATE_BASELINES") == "1")
            File.WriteAllText(committed, actual);
        string[] expectedLines = File.ReadAllLines(committed), actualLines = actual.Split('\n');
        if (actualLines.Length > 0 && actualLines[^1].Length == 0) actualLines = actualLines[..^1];
        for (int i = 0; i < Math.Min(expectedLines.Length, actualLines.Length); i++)
            Assert.True(expectedLines[i] == actualLines[i], $"{name}: line {i + 1} differs\n  expected: {expectedLines[i]}\n  actual:   {actualLines[i]}");
        Assert.Equal(expectedLines.Length, actualLines.Length);
    }

    private static readonly string generatorVersion =
        typeof(generator::NetCompiler.Generator.NetworkGenerator).Assembly.GetName().Version!.ToString();

    private static string BaselineDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.Combine(Path.GetDirectoryName(path)!, "Baselines");

    [Theory]
    [InlineData("[Network, Input(0), Dense(3)]", "The input size must be positive, but it is 0.")]
    [InlineData("[Network, Input(3)]", "The network has no layers")]
    [InlineData("[Network, Input(3), Dense(-2)]", "Dense layer 1 has -2 units")]
    [InlineData("[Network, Input(3), Dense(4, Activation.Softmax), Dense(2)]", "Dense layer 1 uses Softmax, which is only supported on the output layer (layer 2).")]
    [InlineData("[Network, Input(3), Dense(2, Activation.Sigmoid), Loss(LossFunction.CrossEntropy)]", "CrossEntropy needs a Softmax output layer, but the output layer (layer 1) uses Sigmoid.")]
    [InlineData("[Network, Input(3), Dense(2, (Activation)42)]", "activation value 42, which is not defined")]
    [InlineData("[Network, Dense(2)]", "has no [Input(size)] attribute")]
    public void InvalidNetworkIsAnErrorAndGeneratesNothing(string attributes, string message)
    {
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + attributes + "\npublic partial class Net { }");
        Assert.Empty(generated);
        Diagnostic error = Assert.Single(diagnostics);
        Assert.Equal("NC0001", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains(message, error.GetMessage());
        Assert.Equal(2, error.Location.GetLineSpan().StartLinePosition.Line + 1);
    }

    [Theory]
    [InlineData("public class Net { }", "must be declared partial")]
    [InlineData("public partial class Net<T> { }", "is generic")]
    [InlineData("public class Outer { [Network, Input(3), Dense(2)] public partial class Net { } }", "which must be declared partial too")]
    public void UnsupportedClassIsAnError(string declaration, string message)
    {
        string attributes = declaration.Contains("Outer") ? "" : "[Network, Input(3), Dense(2)]\n";
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + attributes + declaration);
        Assert.Empty(generated);
        Diagnostic error = Assert.Single(diagnostics, d => d.Id.StartsWith("NC"));
        Assert.Equal("NC0002", error.Id);
        Assert.Contains(message, error.GetMessage());
    }
}
