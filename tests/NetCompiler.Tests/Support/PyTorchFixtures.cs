using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetCompiler;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Loads the reference fixtures that tools/make_fixtures.py writes with PyTorch to Fixtures/pytorch (see the README
/// there). Field names are the files' snake_case names; an unknown field fails the load, so the script and these
/// classes change together.
/// </summary>
public static class PyTorchFixtures
{
    /// <summary>The file with the optimizer fixtures.</summary>
    public const string OptimizersFile = "optimizers.json";

    /// <summary>The prefix of the graph fixtures' files (<see cref="GraphFixture"/>); every other .json file but <see cref="OptimizersFile"/> is a multilayer-perceptron fixture.</summary>
    public const string GraphPrefix = "graph-";

    /// <summary>The fixtures' JSON: snake_case names, and an unknown field fails the load (the ONNX fixtures read it too).</summary>
    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The folder the test project copies the fixtures to.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    /// <summary>The names (file names without .json) of the multilayer-perceptron fixtures, in ordinal order.</summary>
    public static IReadOnlyList<string> NetworkNames() =>
        System.IO.Directory.GetFiles(Directory, "*.json")
            .Select(Path.GetFileName)
            .Where(file => file != OptimizersFile && !file!.StartsWith(GraphPrefix, StringComparison.Ordinal))
            .Select(file => Path.GetFileNameWithoutExtension(file!))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The names of the graph fixtures (files graph-*.json), in ordinal order.</summary>
    public static IReadOnlyList<string> GraphNames() =>
        System.IO.Directory.GetFiles(Directory, GraphPrefix + "*.json")
            .Select(file => Path.GetFileNameWithoutExtension(file))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>Reads the network fixture <paramref name="name"/>.</summary>
    public static NetworkFixture LoadNetwork(string name) => Load<NetworkFixture>(name + ".json");

    /// <summary>Reads the graph fixture <paramref name="name"/> (with or without the .json extension).</summary>
    public static GraphFixture LoadGraph(string name) =>
        Load<GraphFixture>(name.EndsWith(".json", StringComparison.Ordinal) ? name : name + ".json");

    /// <summary>Reads the optimizer fixture.</summary>
    public static OptimizerFixture LoadOptimizers() => Load<OptimizerFixture>(OptimizersFile);

    private static TFixture Load<TFixture>(string file)
    {
        string path = Path.Combine(Directory, file);
        return JsonSerializer.Deserialize<TFixture>(File.ReadAllText(path), Options)
            ?? throw new InvalidDataException($"{path} holds null.");
    }
}

/// <summary>One network, its parameters and a batch of samples with everything PyTorch computed for them (float64).</summary>
public sealed class NetworkFixture
{
    /// <summary>The script and torch version that wrote the file.</summary>
    public required string GeneratedBy { get; init; }
    /// <summary>The fixture's name (its file name).</summary>
    public required string Name { get; init; }
    /// <summary>The seed passed to torch.manual_seed.</summary>
    public required int Seed { get; init; }
    /// <summary>n_0.</summary>
    public required int InputSize { get; init; }
    /// <summary>The layers 1..L.</summary>
    public required LayerFixture[] Layers { get; init; }
    /// <summary>A <see cref="LossFunction"/> name.</summary>
    public required string Loss { get; init; }
    /// <summary>The length of <see cref="Parameters"/>.</summary>
    public required int ParameterCount { get; init; }
    /// <summary>θ in NetCompiler's layout: per layer W row-major [outputs, inputs], then b.</summary>
    public required double[] Parameters { get; init; }
    /// <summary>The batch.</summary>
    public required SampleFixture[] Samples { get; init; }
    /// <summary>Σ over the batch of ∂L/∂θ (computed by one batched backward pass).</summary>
    public required double[] GradientSum { get; init; }
    /// <summary>One SGD step on <see cref="GradientSum"/>.</summary>
    public required SgdFixture Sgd { get; init; }

    /// <summary>The topology the fixture describes, with the given precision.</summary>
    public NetworkTopology Topology(Precision precision) => new(
        InputSize,
        Layers.Select(layer => new DenseLayer(layer.Units, Enum.Parse<Activation>(layer.Activation))).ToArray(),
        Enum.Parse<LossFunction>(Loss),
        precision);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One layer: units and a <see cref="NetCompiler.Activation"/> name.</summary>
public sealed class LayerFixture
{
    /// <summary>n_l.</summary>
    public required int Units { get; init; }
    /// <summary>An <see cref="NetCompiler.Activation"/> name.</summary>
    public required string Activation { get; init; }
}

/// <summary>One sample and the reference results for it alone.</summary>
public sealed class SampleFixture
{
    /// <summary>x^0.</summary>
    public required double[] Input { get; init; }
    /// <summary>d: random for SquaredError; one-hot or a distribution for CrossEntropy.</summary>
    public required double[] Target { get; init; }
    /// <summary>x^L.</summary>
    public required double[] Output { get; init; }
    /// <summary>L for this sample (summed over outputs).</summary>
    public required double Loss { get; init; }
    /// <summary>x^l for l = 0..L (index 0 is the input).</summary>
    public required double[][] Activities { get; init; }
    /// <summary>û^l = −∂L/∂u^l for l = 1..L (index 0 is layer 1).</summary>
    public required double[][] Sensitivities { get; init; }
    /// <summary>∂L/∂θ for this sample alone.</summary>
    public required double[] Gradient { get; init; }
}

/// <summary>θ − η·Σg.</summary>
public sealed class SgdFixture
{
    /// <summary>η.</summary>
    public required double LearningRate { get; init; }
    /// <summary>The parameters after the step.</summary>
    public required double[] ParametersAfter { get; init; }
}

/// <summary>Optimizer runs over one fixed sequence of gradients from one starting point.</summary>
public sealed class OptimizerFixture
{
    /// <summary>The script and torch version that wrote the file.</summary>
    public required string GeneratedBy { get; init; }
    /// <summary>The seed passed to torch.manual_seed.</summary>
    public required int Seed { get; init; }
    /// <summary>The number of parameters.</summary>
    public required int ParameterCount { get; init; }
    /// <summary>The number of steps.</summary>
    public required int Steps { get; init; }
    /// <summary>θ before the first step.</summary>
    public required double[] InitialParameters { get; init; }
    /// <summary>The gradient of each step.</summary>
    public required double[][] Gradients { get; init; }
    /// <summary>One run per optimizer setting.</summary>
    public required OptimizerCase[] Cases { get; init; }
}

/// <summary>One optimizer setting (torch.optim.SGD with momentum, or torch.optim.Adam) and θ after each step.</summary>
public sealed class OptimizerCase
{
    /// <summary>The case's name.</summary>
    public required string Name { get; init; }
    /// <summary>"SgdMomentum" or "Adam".</summary>
    public required string Optimizer { get; init; }
    /// <summary>η.</summary>
    public required double LearningRate { get; init; }
    /// <summary>SGD: μ.</summary>
    public double? Momentum { get; init; }
    /// <summary>SGD: dampening (always 0).</summary>
    public double? Dampening { get; init; }
    /// <summary>SGD: Nesterov momentum.</summary>
    public bool? Nesterov { get; init; }
    /// <summary>Weight decay (always 0).</summary>
    public double? WeightDecay { get; init; }
    /// <summary>Adam: β1.</summary>
    public double? Beta1 { get; init; }
    /// <summary>Adam: β2.</summary>
    public double? Beta2 { get; init; }
    /// <summary>Adam: ε.</summary>
    public double? Eps { get; init; }
    /// <summary>Adam: AMSGrad (always false).</summary>
    public bool? Amsgrad { get; init; }
    /// <summary>θ after step 1, 2, ….</summary>
    public required double[][] ParametersAfterStep { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
