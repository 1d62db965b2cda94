extern alias generator;

using System;
using System.Collections.Generic;
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
    public async System.Threading.Tasks.Task ValidNetworkCompilesWithoutDiagnostics(string attributes)
    {
        var (output, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\nnamespace Demo;\n" + attributes + "\npublic partial class Net { }");
        Assert.Single(generated);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
        // With the generated half present, the analyzer must not mistake generated members for colliding user members.
        var reported = await AnalyzerVerifier.AnalyzeAsync(output);
        // (Only the advice this list deliberately includes: a Softmax output with SquaredError, and inference-only networks.)
        Assert.All(reported, d => Assert.Contains(d.Id, new[] { "NC0017", "NC0018" }));
    }

    /// <summary>
    /// Generated code names its types through namespace aliases (Simd::Vector256, Compiler::Unsafe, Nc::VectorMath),
    /// which only aliases can match: the user's types and members of the same names, in the class, its containing type
    /// or its namespace, and the user's own aliases in other files, capture none of them.
    /// </summary>
    [Fact]
    public void UserNamesCannotCaptureTheGeneratedCodesAliases()
    {
        var (_, generated, diagnostics) = GeneratorDriver.Run("""
            global using Simd = System.Text;
            using NetCompiler;
            namespace Demo
            {
                public class Simd { }
                public class Compiler { }
                public class Vector256 { }
                public static class Unsafe { }
                public partial class Outer
                {
                    public int Interop;
                    public class Nc { }
                    [Network, Input(40), Dense(20, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
                    public partial class Net
                    {
                        public class MemoryMarshal { }
                        public static int VectorMath;
                    }
                }
                [Network, Input(1, 6, 10), Conv2D(2, 3, Activation.Tanh, Padding = 1), MaxPool(2), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
                public partial class Graph { public class Vector512 { } }
            }
            """);
        Assert.Equal(2, generated.Count);
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
                public partial record struct InRecordStruct { [Network, Input(3), Dense(2)] public partial class Net { } }
                public partial record InRecord { [Network, Input(3), Dense(2)] public partial class Net { } }
                public partial interface IHolder { [Network, Input(3), Dense(2)] public partial class Net { } }
                public readonly partial struct InStruct { [Network, Input(3), Dense(2)] public partial class Net { } }
                public ref partial struct InRefStruct { [Network, Input(3), Dense(2)] public partial class Net { } }
                public partial class @event { [Network, Input(3), Dense(2)] public partial class @class { } }
            }
            """);
        Assert.Equal(8, generated.Count);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    /// <summary>
    /// Generated code names framework and runtime types with global::, so a user's types called like them, in the
    /// network's namespace or the global one, cannot capture those names.
    /// </summary>
    [Theory]
    [InlineData("namespace Demo;\npublic static class VectorMath { }\npublic class Vector256 { }\npublic class VectorF { }\npublic class MemoryMarshal { }")]
    [InlineData("public class Unsafe { }\npublic class Vector256<T> { }\nnamespace Demo { }")]
    public void UserTypesNamedLikeFrameworkTypesDoNotBreakGeneratedCode(string declarations)
    {
        string network = "\n[Network, Input(3), Dense(20, Activation.Tanh), Dense(2, Activation.Softmax), Loss(LossFunction.CrossEntropy)]\npublic partial class Net { }";
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + declarations.Replace("namespace Demo { }", "") + network);
        Assert.Single(generated);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
    }

    /// <summary>
    /// Every method that computes carries MethodImplOptions.AggressiveOptimization unless the project sets
    /// NetCompilerAggressiveOptimization to false (any case), for a dense chain and for a graph; the rest of the
    /// generated code is the same either way.
    /// </summary>
    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData(" False ", false)]
    public void AggressiveOptimizationFollowsTheProjectProperty(string? value, bool expected)
    {
        const string attribute = "[Compiler::MethodImpl(Compiler::MethodImplOptions.AggressiveOptimization)]";
        var properties = new Dictionary<string, string>();
        if (value is not null) properties["build_property.NetCompilerAggressiveOptimization"] = value;
        foreach ((string network, string[] methods) in new[]
        {
            ("[Network, Input(20), Dense(9, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]",
             new[] { "public void Forward(", "private void ForwardCore(", "public float Backward(", "public void Update(", "public float TrainStep(",
                     "public void ForwardBatch(", "public float BackwardBatch(", "public float TrainStepBatch(", "private void ForwardBatchLayer1(", "private void BackwardBatchLayer2(" }),
            ("[Network, Input(1, 6, 10), Conv2D(2, 3, Activation.Tanh, Padding = 1), MaxPool(2), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]",
             new[] { "public void Forward(", "private void ForwardCore(", "public float Backward(", "private void ForwardLayer1(", "private void BackwardLayer3(", "public float TrainStep(", "public void ForwardBatch(" }),
        })
        {
            string source = "using NetCompiler;\n" + network + "\npublic partial class Net { }";
            var (_, generated, diagnostics) = GeneratorDriver.RunWith(properties, source);
            Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
            string[] lines = generated.Single().Split('\n').Select(l => l.Trim()).ToArray();
            foreach (string method in methods)
            {
                int at = Array.FindIndex(lines, l => l.StartsWith(method, StringComparison.Ordinal));
                Assert.True(at > 0, $"{method} not generated");
                Assert.True((lines[at - 1] == attribute) == expected, $"{method}: the line before it is '{lines[at - 1]}'");
            }
            if (!expected) Assert.DoesNotContain(lines, l => l.Contains("AggressiveOptimization"));
            string withoutAttribute = string.Join("\n", lines.Where(l => l != attribute));
            string plain = string.Join("\n", GeneratorDriver.RunWith(new Dictionary<string, string> { ["build_property.NetCompilerAggressiveOptimization"] = "false" }, source)
                .Generated.Single().Split('\n').Select(l => l.Trim()));
            Assert.Equal(plain, withoutAttribute);
        }
    }

    /// <summary>
    /// Names in a dense chain: it is still compiled as a chain, line for line the code of the same chain unnamed, but
    /// its Topology keeps each layer's Name and From (SafeTensors names the tensors by them), and the header names
    /// the layers as a graph's does.
    /// </summary>
    [Fact]
    public void NamedChainKeepsItsNamesInTopologyAndItsChainCode()
    {
        static string[] Generate(string first, string second, string third) => GeneratorDriver.Run(
            "using NetCompiler;\n[Network, Input(6), Dense(20, Activation.ReLU" + first + "), Dense(7, Activation.Tanh" + second + "), " +
            "Dense(3, Activation.Softmax" + third + "), Loss(LossFunction.CrossEntropy)]\npublic partial class Net { }").Generated.Single().Split('\n');
        string[] named = Generate(", Name = \"hidden1\"", ", From = new[] { \"hidden1\" }", ", Name = \"output\"");
        string[] plain = Generate("", "", "");
        Assert.Equal(plain.Length, named.Length);
        string[] differing = named.Zip(plain).Where(pair => pair.First != pair.Second).Select(pair => pair.First.Trim()).ToArray();
        Assert.Equal(new[]
        {
            "//   6 → hidden1: Dense(20, ReLU) → Dense(7, Tanh) → output: Dense(3, Softmax); CrossEntropy; 311 parameters",
            "//   layer 1 'hidden1': u¹ = W¹·x⁰ + b¹, x¹ = max(0, u¹)    W¹ [20×6] at θ[0], b¹ at θ[120]",
            "//   layer 3 'output': u³ = W³·x² + b³, x³ = softmax(u³)    W³ [3×7] at θ[287], b³ at θ[308]",
            "new Nc::DenseLayer(20, Nc::Activation.ReLU) { Name = \"hidden1\" },",
            "new Nc::DenseLayer(7, Nc::Activation.Tanh) { From = new string[] { \"hidden1\" } },",
            "new Nc::DenseLayer(3, Nc::Activation.Softmax) { Name = \"output\" },",
        }, differing);
    }

    /// <summary>
    /// A layer's name may hold any character. The generated comments show it, so a line break in it would end a
    /// comment and turn the rest of the line into code, and '&lt;' or '&amp;' would break the XML of a doc comment:
    /// there the name is escaped, while Topology keeps it as it is.
    /// </summary>
    [Theory]
    [InlineData("[Network, Input(6), Dense(5, Activation.Tanh, Name = NAME), Dense(2, Activation.Softmax), Loss(LossFunction.CrossEntropy)]")]
    [InlineData("[Network, Input(1, 4, 4), Conv2D(2, 3, Activation.Tanh, Padding = 1, Name = NAME), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]")]
    public void NamesWithLineBreaksOrMarkupCannotBreakTheGeneratedComments(string network)
    {
        const string name = "\"two\\nlines\\r\\u2028 <b> & \\\"so\\\" on */\"";
        var (_, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + network.Replace("NAME", name) + "\npublic partial class Net { }");
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
        string code = Assert.Single(generated);
        var withDocs = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(code,
            GeneratorDriver.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose));
        Assert.Empty(withDocs.GetDiagnostics());
        Assert.Contains("Name = " + name, code);
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
    [InlineData("Tiny", "[Network, Input(2), Dense(8, Activation.Tanh), Dense(1, Activation.Tanh), Loss(LossFunction.SquaredError)]")]
    [InlineData("Mixed", "[Network, Input(17), Dense(9, Activation.ReLU), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]")]
    [InlineData("Graph", "[Network, Input(1, 6, 10), Conv2D(2, 3, Activation.Tanh, Padding = 1, Name = \"c\"), MaxPool(2), Dense(4, Activation.ReLU, Name = \"h\"), " +
                         "Dense(3, Activation.Softmax, From = new[] { \"h\", \"c\" }), Loss(LossFunction.CrossEntropy)]")]
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

    /// <summary>
    /// A network with an error gets no generated code (so no cascade of errors in code the user did not write) and no
    /// diagnostic from the generator: the analyzer reports it, on the attribute at fault.
    /// </summary>
    [Theory]
    [InlineData("[Network, Input(0), Dense(3)]", "NC0011")]
    [InlineData("[Network, Input(3)]", "NC0012")]
    [InlineData("[Network, Input(3), Dense(-2)]", "NC0013")]
    [InlineData("[Network, Input(3), Dense(4, Activation.Softmax), Dense(2)]", "NC0015")]
    [InlineData("[Network, Input(3), Dense(2, Activation.Sigmoid), Loss(LossFunction.CrossEntropy)]", "NC0016")]
    [InlineData("[Network, Input(3), Dense(2, (Activation)42)]", "NC0014")]
    [InlineData("[Network, Dense(2)]", "NC0010")]
    [InlineData("[Network, Input(100000), Dense(100000)]", "NC0040")]
    [InlineData("[Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]\npublic partial class Net { public int Parameters; }", "NC0030")]
    public async System.Threading.Tasks.Task InvalidNetworkGeneratesNothingAndTheAnalyzerSaysWhy(string attributes, string id)
    {
        string source = "using NetCompiler;\n" + attributes + "\npublic partial class Net { }";
        var (output, generated, diagnostics) = GeneratorDriver.Run(source);
        Assert.Empty(generated);
        Assert.True(diagnostics.IsEmpty, string.Join(Environment.NewLine, diagnostics));
        var reported = await AnalyzerVerifier.AnalyzeAsync(output);
        Assert.Contains(reported, d => d.Id == id && d.Severity == DiagnosticSeverity.Error);
    }

    [Theory]
    [InlineData("public class Net { }", "NC0001")]
    [InlineData("public partial class Net<T> { }", "NC0003")]
    [InlineData("public static partial class Net { }", "NC0005")]
    [InlineData("public partial record Net { }", "NC0006")]
    [InlineData("public class Outer { [Network, Input(3), Dense(2)] public partial class Net { } }", "NC0002")]
    [InlineData("public partial class Outer<T> { [Network, Input(3), Dense(2)] public partial class Net { } }", "NC0004")]
    public async System.Threading.Tasks.Task UnsupportedClassGeneratesNothingAndTheAnalyzerSaysWhy(string declaration, string id)
    {
        string attributes = declaration.Contains("Outer") ? "" : "[Network, Input(3), Dense(2)]\n";
        var (output, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + attributes + declaration);
        Assert.Empty(generated);
        Assert.DoesNotContain(diagnostics, d => d.Id.StartsWith("NC") || d.Id == "CS8785");
        var reported = await AnalyzerVerifier.AnalyzeAsync(output);
        Assert.Contains(reported, d => d.Id == id && d.Severity == DiagnosticSeverity.Error);
    }

    /// <summary>
    /// Attributes with compile errors (wrong argument types, a second [Input], which is CS0579 because it is not
    /// AllowMultiple) are the compiler's to report: the analyzer adds nothing, the generator emits nothing and does not fail.
    /// (An int where an enum is expected, as in Precision = 1, is CS0266 but still reaches us as a valid enum value.)
    /// </summary>
    [Theory]
    [InlineData("[Network, Input(2), Input(3), Dense(1)]", "CS0579")]
    [InlineData("[Network, Network, Input(2), Dense(1)]", "CS0579")]
    [InlineData("[Network, Input(2), Dense(1), Loss(LossFunction.SquaredError), Loss(LossFunction.CrossEntropy)]", "CS0579")]
    [InlineData("[Network, Input(\"2\"), Dense(1)]", "CS1503")]
    [InlineData("[Network, Input(2), Dense(1, 3)]", "CS1503")]
    [InlineData("[Network, Input(2), Dense()]", "CS7036")]
    public async System.Threading.Tasks.Task MalformedAttributesAreLeftToTheCompiler(string attributes, string compilerError)
    {
        var (output, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + attributes + "\npublic partial class Net { }");
        Assert.Empty(generated);
        Assert.Contains(diagnostics, d => d.Id == compilerError);
        Assert.DoesNotContain(diagnostics, d => d.Id.StartsWith("NC") || d.Id == "CS8785");
        Assert.Empty(await AnalyzerVerifier.AnalyzeAsync(output));
    }

    [Theory]
    [InlineData("[Network, Input(2), Dense(1)]\npublic partial struct Net { }")]
    [InlineData("[Input(2), Dense(1)]\npublic interface INet { }")]
    public async System.Threading.Tasks.Task AttributesOnNonClassesAreLeftToTheCompiler(string source)
    {
        var (output, generated, diagnostics) = GeneratorDriver.Run("using NetCompiler;\n" + source);
        Assert.Empty(generated);
        Assert.Contains(diagnostics, d => d.Id == "CS0592");
        Assert.Empty(await AnalyzerVerifier.AnalyzeAsync(output));
    }
}
