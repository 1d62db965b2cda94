using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// Loads the ONNX fixtures that tools/make_onnx_fixtures.py writes with PyTorch to Fixtures/onnx (see the README
/// there): for each model a <c>.onnx</c> file exported by <c>torch.onnx.export</c> and a <c>.json</c> file with seeded
/// inputs, PyTorch's outputs and the declaration the file should import as. Field names are the files' snake_case
/// names; an unknown field fails the load, so the script and these classes change together.
/// </summary>
public static class OnnxFixtures
{
    /// <summary>The fixture whose import must fail with the unsupported operators named.</summary>
    public const string UnsupportedName = "unsupported_op";

    /// <summary>The fixture with the fine-tuning batch.</summary>
    public const string FineTuningName = "lenet_logits";

    private static JsonSerializerOptions Options => Support.PyTorchFixtures.Options;

    /// <summary>The folder the test project copies the fixtures to.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx");

    /// <summary>The names (file names without .json) of every fixture, in ordinal order.</summary>
    public static IReadOnlyList<string> Names() =>
        System.IO.Directory.GetFiles(Directory, "*.json")
            .Select(file => Path.GetFileNameWithoutExtension(file))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The fixtures that import: every one but <see cref="UnsupportedName"/>.</summary>
    public static IReadOnlyList<string> ImportableNames() =>
        Names().Where(name => name != UnsupportedName).ToArray();

    /// <summary>Reads the fixture <paramref name="name"/>.</summary>
    public static OnnxFixture Load(string name)
    {
        string path = Path.Combine(Directory, name + ".json");
        OnnxFixture fixture = JsonSerializer.Deserialize<OnnxFixture>(File.ReadAllText(path), Options)
            ?? throw new InvalidDataException($"{path} holds null.");
        if (fixture.Name != name)
            throw new InvalidDataException($"{path} names itself '{fixture.Name}'.");
        return fixture;
    }
}

/// <summary>One model exported by PyTorch, the inputs it was run on and PyTorch's outputs (float32, and float64 from the same parameters).</summary>
public sealed class OnnxFixture
{
    /// <summary>The script and torch version that wrote the files.</summary>
    public required string GeneratedBy { get; init; }
    /// <summary>The fixture's name (its files' names without extension).</summary>
    public required string Name { get; init; }
    /// <summary>The .onnx file's name, in <see cref="OnnxFixtures.Directory"/>.</summary>
    public required string Onnx { get; init; }
    /// <summary>The PyTorch module, in words.</summary>
    public required string Description { get; init; }
    /// <summary>The opset of the default domain the file was exported at.</summary>
    public required int Opset { get; init; }
    /// <summary>torch.__version__ of the export.</summary>
    public required string TorchVersion { get; init; }
    /// <summary>The graph input's dimensions as the file has them: "batch" (symbolic) or 1 first, then the sample's shape.</summary>
    public required JsonElement[] OnnxInputDims { get; init; }
    /// <summary>One sample's shape without the batch dimension: [features], [channels, length] or [channels, height, width].</summary>
    public required int[] InputShape { get; init; }
    /// <summary>The number of output values per sample.</summary>
    public required int OutputSize { get; init; }
    /// <summary>The op type of every node, in graph order, as exported.</summary>
    public required string[] NodeOpTypes { get; init; }
    /// <summary>The name of every node, in graph order.</summary>
    public required string[] NodeNames { get; init; }
    /// <summary>The initializers' names, in file order.</summary>
    public required string[] Initializers { get; init; }
    /// <summary>The attribute declaration the file imports as (by hand, from the design's mapping); null for a model that must not import.</summary>
    public string[]? ExpectedDeclaration { get; init; }
    /// <summary>The imported topology's layers in declaration order; null for a model that must not import.</summary>
    public ExpectedLayer[]? ExpectedLayers { get; init; }
    /// <summary>The imported network's θ length; null for a model that must not import.</summary>
    public int? ExpectedParameterCount { get; init; }
    /// <summary>Op types each of which a problem of the failed import must name; null for a model that imports.</summary>
    public string[]? UnsupportedOpTypes { get; init; }
    /// <summary>The samples, each row-major without the batch dimension; exactly floats.</summary>
    public required double[][] Inputs { get; init; }
    /// <summary>PyTorch's float32 outputs for <see cref="Inputs"/> (eval mode, batch of one), as doubles (exact).</summary>
    public required double[][] Outputs { get; init; }
    /// <summary>The same module with the same float32 parameters run in float64.</summary>
    public required double[][] OutputsFloat64 { get; init; }
    /// <summary>The fine-tuning batch and PyTorch's SGD run (lenet_logits only).</summary>
    public FineTuningFixture? FineTuning { get; init; }

    /// <summary>The full path of the .onnx file.</summary>
    [JsonIgnore]
    public string OnnxPath => Path.Combine(OnnxFixtures.Directory, Onnx);

    /// <summary>True when the graph input's batch dimension is symbolic (dynamic_axes), false when it is 1.</summary>
    [JsonIgnore]
    public bool SymbolicBatch => OnnxInputDims[0].ValueKind == JsonValueKind.String;

    /// <summary>The product of <see cref="InputShape"/>.</summary>
    [JsonIgnore]
    public int InputSize => InputShape.Aggregate(1, (a, b) => a * b);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One layer of the topology an ONNX fixture imports as. Sizes not of the layer's kind are null.</summary>
public sealed class ExpectedLayer
{
    /// <summary>A <c>LayerKind</c> name.</summary>
    public required string Kind { get; init; }
    /// <summary>The layer's name where the design fixes it (the prefix of its "&lt;prefix&gt;.weight" initializer); null where the importer picks it.</summary>
    public string? Name { get; init; }
    /// <summary>An <c>Activation</c> name.</summary>
    public required string Activation { get; init; }
    /// <summary>Dense: the units.</summary>
    public int? Units { get; init; }
    /// <summary>Conv1D/Conv2D: the filters.</summary>
    public int? Filters { get; init; }
    /// <summary>Conv1D/Conv2D: the kernel size.</summary>
    public int? KernelSize { get; init; }
    /// <summary>Conv1D/Conv2D/pools: the stride as the window uses it (for pools the resolved one: size when declared 0).</summary>
    public int? Stride { get; init; }
    /// <summary>Conv1D/Conv2D: the padding.</summary>
    public int? Padding { get; init; }
    /// <summary>AvgPool/MaxPool: the window size.</summary>
    public int? Size { get; init; }
    /// <summary>AvgPool/MaxPool: LeNet's trainable per-channel coefficient and bias.</summary>
    public bool? Trainable { get; init; }
    /// <summary>The layers read, as layer numbers: 0 is the network's input, 1.. the layers in this list.</summary>
    public required int[] Sources { get; init; }
    /// <summary>The layer's output shape.</summary>
    public required int[] Shape { get; init; }
}

/// <summary>
/// A labelled batch for fine-tuning lenet_logits, and PyTorch's per-sample SGD on it in float32: for each pass, for
/// each sample in order, L = CrossEntropy(logits, label) of that sample alone (what TrainStep returns), then
/// θ ← θ − η·∂L/∂θ.
/// </summary>
public sealed class FineTuningFixture
{
    /// <summary>The inputs, each [1, 28, 28] row-major; exactly floats.</summary>
    public required double[][] Inputs { get; init; }
    /// <summary>The class of each input, 0..9.</summary>
    public required int[] Labels { get; init; }
    /// <summary>nn.CrossEntropyLoss() (the mean over the batch) before any training.</summary>
    public required double InitialMeanLoss { get; init; }
    /// <summary>Each sample's cross-entropy before any training.</summary>
    public required double[] InitialLosses { get; init; }
    /// <summary>η.</summary>
    public required double LearningRate { get; init; }
    /// <summary>The passes over the batch.</summary>
    public required int Passes { get; init; }
    /// <summary>The loss of every step before its update, Passes × 8 of them in order.</summary>
    public required double[] StepLosses { get; init; }
    /// <summary>nn.CrossEntropyLoss() over the batch after the last step.</summary>
    public required double MeanLossAfter { get; init; }
}
