extern alias generator;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using NetCompiler.Serialization;
using Xunit;
using TrackingNames = generator::NetCompiler.Generator.NetworkGenerator.TrackingNames;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// [Network(Weights = "…")]: the generator finds the file among the AdditionalFiles, checks it with SafeTensors.Load's
/// rules, and compiles θ in; every problem is its own NC008x error on the Weights argument, and a network with one is
/// not emitted. The end-to-end build (MSBuild, PyTorch's weights) is tests/NetCompiler.Tests' CompiledWeightsTests.
/// </summary>
public sealed class CompiledWeightsTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("netcompiler-weights-").FullName;

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private const string Mlp = "Input(3), Dense(4, Activation.Tanh, Name = \"hidden\"), Dense(2, Activation.Softmax)";
    private static readonly NetworkTopology MlpTopology = new(3, [new DenseLayer(4, Activation.Tanh) { Name = "hidden" }, new DenseLayer(2, Activation.Softmax)]);

    private const string Conv = "Input(2, 6, 6), Conv2D(3, 3, Activation.ReLU, Name = \"c\", Connections = new[] { \"X.\", \".X\", \"XX\" }), Dense(2)";
    private static readonly NetworkTopology ConvTopology = new(new TensorShape(2, 6, 6),
        [new ConvLayer(2, 3, 3, Activation.ReLU) { Name = "c", Connections = ["X.", ".X", "XX"] }, new DenseLayer(2)]);

    private static string Source(string attributes, string weights = "models/w.safetensors", string loss = "") => $$"""
        using NetCompiler;
        namespace Demo;
        [Network(Weights = "{{weights}}"), {{attributes}}{{loss}}]
        public partial class Net { }
        """;

    private Dictionary<string, string> Properties => new() { ["build_property.ProjectDir"] = _project + "/" };

    /// <summary>Writes <paramref name="topology"/>'s weights from <paramref name="seed"/> with SafeTensors.Save; returns θ.</summary>
    private float[] SaveWeights(NetworkTopology topology, int seed, string relative = "models/w.safetensors")
    {
        var network = new InterpretedNetwork<float>(topology);
        network.InitializeParameters(seed);
        string path = Path.Combine(_project, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        SafeTensors.Save(path, network);
        return network.Parameters.ToArray();
    }

    private GeneratorDriver.FileItem Item(string relative = "models/w.safetensors") => new(Path.Combine(_project, relative));

    [Fact]
    public void CompiledInWeightsAreTheFilesBitForBit()
    {
        float[] theta = SaveWeights(MlpTopology, seed: 7);
        (Compilation output, IReadOnlyList<string> generated, var diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], Source(Mlp));
        Assert.Empty(diagnostics);
        Assert.Contains("// Weights: compiled in from models/w.safetensors (F32 in the file, float here), read at build time; every new Net() shares them read-only.", generated.Single());

        var network = (IInferenceNetwork<float>)Activator.CreateInstance(FileDiagnostics.Load(output).GetType("Demo.Net")!)!;
        Assert.Equal(theta, network.Weights.AsReadOnlySpan().ToArray());
        Assert.True(network.Weights.IsReadOnly);
        var second = (IInferenceNetwork<float>)Activator.CreateInstance(network.GetType())!;
        Assert.Same(network.Weights, second.Weights); // one read-only θ for every instance
        // The analyzer's list of generated names knows the nested class that holds θ.
        GeneratedMembersTests.AssertListMatches(GeneratorDriver.Compile(Source(Mlp)), "Net", generated.Single());
    }

    [Fact]
    public void ATrainableNetworkStartsFromItsOwnCopyConvertedToItsPrecision()
    {
        float[] theta = SaveWeights(MlpTopology, seed: 8);
        string source = Source(Mlp, loss: ", Loss(LossFunction.CrossEntropy)").Replace("[Network(", "[Network(Precision = Precision.Double, ");
        (Compilation output, _, var diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Empty(diagnostics);
        Type type = FileDiagnostics.Load(output).GetType("Demo.Net")!;
        var first = (INetwork<double>)Activator.CreateInstance(type)!;
        var second = (INetwork<double>)Activator.CreateInstance(type)!;
        Assert.Equal(theta.Select(v => (double)v), first.Parameters.ToArray());
        Assert.False(first.Weights.IsReadOnly);
        first.Parameters[0] = 42;
        Assert.Equal((double)theta[0], second.Parameters[0]); // fine-tuning one leaves the others
    }

    [Fact]
    public void AConnectionTablesLeftOutKernelsAreZeroInTheFileAndAbsentInTheta()
    {
        float[] theta = SaveWeights(ConvTopology, seed: 9);
        (Compilation output, _, var diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], Source(Conv));
        Assert.Empty(diagnostics);
        var network = (IInferenceNetwork<float>)Activator.CreateInstance(FileDiagnostics.Load(output).GetType("Demo.Net")!)!;
        Assert.Equal(theta, network.Weights.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void AFileThatIsNotAnAdditionalFilesItemIsNC0080WithTheLineToAdd()
    {
        SaveWeights(MlpTopology, seed: 1);
        string source = Source(Mlp);
        var (_, generated, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [], source);
        Diagnostic diagnostic = FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0080", "Weights");
        Assert.Equal("The weights file 'models/w.safetensors' is not an AdditionalFiles item of this project (paths are relative to the project directory); add <AdditionalFiles Include=\"models/w.safetensors\" /> to an <ItemGroup> of the project file",
            diagnostic.GetMessage());
        Assert.Empty(generated);
    }

    [Fact]
    public void AnUnreadableOrCorruptFileIsNC0081WithTheReason()
    {
        string path = Path.Combine(_project, "models/w.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [1, 2, 3]);
        string source = Source(Mlp);
        var (_, generated, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Equal("Cannot read the weights file 'models/w.safetensors': the file is truncated: 3 bytes, shorter than the 8-byte header length.",
            FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0081", "Weights").GetMessage());
        Assert.Empty(generated);

        File.Delete(path); // listed, but gone
        (_, _, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Contains("Could not find file", FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0081", "Weights").GetMessage());
    }

    [Fact]
    public void EachTensorProblemIsItsOwnDiagnostic()
    {
        // The file holds 3 → Dense(4) → Dense(2) with unnamed layers, saved for a network that names its hidden layer
        // and has 5 outputs: layer1.* are unexpected, hidden.* missing, layer2.weight has the wrong shape.
        SaveWeights(new NetworkTopology(3, [new DenseLayer(4, Activation.Tanh), new DenseLayer(2, Activation.Softmax)]), seed: 2);
        string source = Source(Mlp.Replace("Dense(2, Activation.Softmax)", "Dense(5, Activation.Softmax)"));
        var (_, generated, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Empty(generated);
        string[] messages = diagnostics.Select(d => d.Id + ": " + d.GetMessage()).OrderBy(m => m, StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "NC0082: The weights file 'models/w.safetensors' does not fit the network: missing tensor 'hidden.bias' [4]",
            "NC0082: The weights file 'models/w.safetensors' does not fit the network: missing tensor 'hidden.weight' [4, 3]",
            "NC0083: The weights file 'models/w.safetensors' does not fit the network: unexpected tensor 'layer1.bias' [4] (this network has no such tensor)",
            "NC0083: The weights file 'models/w.safetensors' does not fit the network: unexpected tensor 'layer1.weight' [4, 3] (this network has no such tensor)",
            "NC0084: The weights file 'models/w.safetensors' does not fit the network: tensor 'layer2.bias' has shape [2], expected [5]",
            "NC0084: The weights file 'models/w.safetensors' does not fit the network: tensor 'layer2.weight' has shape [2, 4], expected [5, 4]",
        ], messages);
        foreach (Diagnostic diagnostic in diagnostics) FileDiagnostics.AssertOnTheArgument(diagnostic, source, "Weights");
    }

    [Fact]
    public void AnUnsupportedDTypeIsNC0085()
    {
        string path = Path.Combine(_project, "models/w.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteFile(path, ("hidden.weight", "I32", [4, 3]), ("hidden.bias", "F32", [4]), ("layer2.weight", "F16", [2, 4]), ("layer2.bias", "BF16", [2]));
        string source = Source(Mlp);
        var (_, _, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Equal("The weights file 'models/w.safetensors' does not fit the network: tensor 'hidden.weight' has dtype I32, which NetCompiler does not load (it reads F32, F64, F16 and BF16)",
            FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0085", "Weights").GetMessage());
    }

    [Fact]
    public void ANonZeroLeftOutKernelIsNC0086()
    {
        // c.weight [3, 2, 3, 3]: filter 0 reads channel 0 only, so kernel (0, 1) must be zero; make one value of it 0.5.
        var values = new float[3 * 2 * 3 * 3];
        values[(0 * 2 + 1) * 9 + 4] = 0.5f;
        string path = Path.Combine(_project, "models/w.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteFile(path, ("c.weight", "F32", [3, 2, 3, 3], values), ("c.bias", "F32", [3], null), ("layer2.weight", "F32", [2, 48], null), ("layer2.bias", "F32", [2], null));
        string source = Source(Conv);
        var (_, _, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Equal("The weights file 'models/w.safetensors' does not fit the network: tensor 'c.weight': the kernel of filter 0, channel 1 is left out by the connection table of 'c' but holds non-zero values (for example 0.5)",
            FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0086", "Weights").GetMessage());
    }

    [Fact]
    public void WeightsTooLargeToCompileInAreNC0087()
    {
        SaveWeights(new NetworkTopology(1, [new DenseLayer(2_100_000)]), seed: 1);
        string source = Source("Input(1), Dense(2100000)");
        var (_, generated, diagnostics) = GeneratorDriver.RunWithFiles(Properties, [Item()], source);
        Assert.Equal("The weights of this network take 16,800,000 bytes, more than the 8,388,608 one network may compile into an assembly ('models/w.safetensors'); load them at run time with SafeTensors.Load",
            FileDiagnostics.AssertOneOnTheArgument(diagnostics, source, "NC0087", "Weights").GetMessage());
        Assert.Empty(generated);
    }

    [Fact]
    public void WithoutAProjectDirectoryTheOneItemWhosePathEndsWithTheNameIsUsed()
    {
        float[] theta = SaveWeights(MlpTopology, seed: 3);
        (Compilation output, _, var diagnostics) = GeneratorDriver.RunWithFiles(null, [Item(), new GeneratorDriver.FileItem(Path.Combine(_project, "other.txt"))], Source(Mlp));
        Assert.Empty(diagnostics);
        var network = (IInferenceNetwork<float>)Activator.CreateInstance(FileDiagnostics.Load(output).GetType("Demo.Net")!)!;
        Assert.Equal(theta, network.Weights.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void AnUnrelatedEditReadsNothingAndAChangedFileRegeneratesOnlyItsNetwork()
    {
        SaveWeights(MlpTopology, seed: 4, "models/a.safetensors");
        SaveWeights(MlpTopology, seed: 5, "models/b.safetensors");
        string a = Source(Mlp, "models/a.safetensors").Replace("class Net", "class A");
        string b = Source(Mlp, "models/b.safetensors").Replace("class Net", "class B");
        GeneratorDriver.FileItem itemA = Item("models/a.safetensors"), itemB = Item("models/b.safetensors");
        var compilation = GeneratorDriver.Compile(a, b, "class Other { }");
        Microsoft.CodeAnalysis.GeneratorDriver driver = GeneratorDriver.CreateDriver(Properties, [itemA, itemB]).RunGenerators(compilation);

        // An edit to another file: nothing is found or read again, nothing is emitted again.
        SyntaxTree other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("class Other { int _field; }")));
        driver = driver.RunGenerators(edited);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[TrackingNames.Weights].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"weights step ran: {o.Reason}"));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output step ran: {o.Reason}"));

        // B's file changes (the host gives a new AdditionalText for it): only B's weights are read and B re-emitted.
        SaveWeights(MlpTopology, seed: 6, "models/b.safetensors");
        driver = driver.ReplaceAdditionalText(itemB, Item("models/b.safetensors")).RunGenerators(edited);
        result = driver.GetRunResult().Results.Single();
        var reasons = result.TrackedSteps[TrackingNames.Weights].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.Equal(1, reasons.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reasons.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        var outputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();
        Assert.Equal(1, outputs.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Demo.B.g.cs");
    }


    /// <summary>A safetensors file with these tensors (values zero unless given), written by hand to make files SafeTensors.Save would not.</summary>
    private static void WriteFile(string path, params (string Name, string DType, int[] Shape, float[]? Values)[] tensors)
    {
        var header = new StringBuilder("{");
        var data = new MemoryStream();
        foreach (var (name, dtype, shape, values) in tensors)
        {
            int count = shape.Aggregate(1, (p, d) => p * d), size = dtype switch { "F16" or "BF16" => 2, "F64" => 8, _ => 4 };
            long begin = data.Length;
            for (int i = 0; i < count; i++)
            {
                float value = values?[i] ?? 0;
                byte[] bytes = dtype == "F32" ? BitConverter.GetBytes(value) : new byte[size];
                data.Write(bytes);
            }
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }
        header.Length--;
        header.Append('}');
        while ((header.Length + 8) % 8 != 0) header.Append(' ');
        byte[] json = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)json.Length));
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }

    private static void WriteFile(string path, params (string Name, string DType, int[] Shape)[] tensors) =>
        WriteFile(path, tensors.Select(t => (t.Name, t.DType, t.Shape, (float[]?)null)).ToArray());
}
