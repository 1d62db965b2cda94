// [Network(Weights = "…")] end to end: this project lists the PyTorch-made files of Fixtures/weights as AdditionalFiles
// (NetCompiler.Tests.csproj), MSBuild hands them to the generator, and the classes below are built with their weights
// compiled in. tools/make_weights_fixtures.py wrote the files and, next to each, PyTorch's outputs for seeded inputs.
using System;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetCompiler.Serialization;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>samples/Shared/LeNet5.cs without its loss, on PyTorch's weights: every instance shares them, read-only.</summary>
[Network(Weights = "Fixtures/weights/lenet5-f32.safetensors")]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
[Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
{
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.",
    "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
[Conv2D(120, 5, Activation.Tanh, Name = "C5")]
[Dense(84, Activation.Tanh, Name = "F6")]
[Dense(10, Activation.Softmax, Name = "output")]
public partial class CompiledLeNet5 { }

/// <summary>The same LeNet-5 with its loss: each instance starts from its own copy of PyTorch's weights, to fine-tune.</summary>
[Network(Weights = "Fixtures/weights/lenet5-f32.safetensors")]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
[Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
{
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.",
    "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
[Conv2D(120, 5, Activation.Tanh, Name = "C5")]
[Dense(84, Activation.Tanh, Name = "F6")]
[Dense(10, Activation.Softmax, Name = "output")]
[Loss(LossFunction.CrossEntropy)]
public partial class CompiledTrainableLeNet5 { }

/// <summary>A float MLP whose file stores its tensors in F64, F16, BF16 and F32.</summary>
[Network(Weights = "Fixtures/weights/mlp-mixed-dtypes.safetensors")]
[Input(10)]
[Dense(16, Activation.Tanh, Name = "hidden")]
[Dense(12, Activation.ReLU, Name = "features")]
[Dense(5, Activation.Softmax, Name = "output")]
public partial class CompiledMixedMlp { }

/// <summary>The same MLP in double, trainable.</summary>
[Network(Weights = "Fixtures/weights/mlp-mixed-dtypes.safetensors", Precision = Precision.Double)]
[Input(10)]
[Dense(16, Activation.Tanh, Name = "hidden")]
[Dense(12, Activation.ReLU, Name = "features")]
[Dense(5, Activation.Softmax, Name = "output")]
[Loss(LossFunction.CrossEntropy)]
public partial class CompiledMixedMlpDouble { }

/// <summary>
/// Networks built by MSBuild with PyTorch's weights compiled in: their outputs are PyTorch's, their θ is what
/// SafeTensors.Load reads from the same file, bit for bit, and what torch converts each dtype to; inference-only
/// instances share one read-only NetworkWeights, trainable ones start from copies of their own.
/// (tests/NetCompiler.Generator.Tests' CompiledWeightsTests test the generator alone: the diagnostics, incrementality.)
/// </summary>
public class CompiledWeightsTests(ITestOutputHelper output)
{
    /// <summary>
    /// Float networks against PyTorch's float64 outputs of the same weights: float rounding through LeNet-5's five
    /// layers and the VectorMath tanh and exp (errors ≤ 4e-7) stay far below this (measured: at most 1e-7 for the
    /// outputs, 2.5e-7 for θ after a step); the graph fixtures use the same.
    /// </summary>
    private const double FloatTolerance = 5e-5;

    /// <summary>Double networks against float64 PyTorch: the order of summation, and VectorMath's double tanh/exp (measured: 2e-15).</summary>
    private const double DoubleTolerance = 1e-10;

    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "weights", file);

    [Fact]
    public void LeNet5_Forward_is_PyTorchs_for_the_inference_and_the_trainable_class()
    {
        WeightsFixture fixture = WeightsFixture.Load("lenet5-f32.json");
        Assert.Equal(CompiledLeNet5.ParameterCount, fixture.ParameterCount);
        var served = new CompiledLeNet5();
        var trainable = new CompiledTrainableLeNet5();
        var scores = new float[CompiledLeNet5.OutputSize];
        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            float[] input = fixture.Samples[s].Input.Select(v => (float)v).ToArray();
            served.Forward(input, scores);
            Close<float>(fixture.Samples[s].Output, scores, FloatTolerance, $"inference LeNet-5's output for sample {s}");
            trainable.Forward(input, scores);
            Close<float>(fixture.Samples[s].Output, scores, FloatTolerance, $"trainable LeNet-5's output for sample {s}");
        }
    }

    [Fact]
    public void LeNet5s_theta_is_SafeTensors_Loads_bit_for_bit()
    {
        float[] loaded = Loaded<float>("lenet5-f32.safetensors", CompiledLeNet5.Topology);
        AssertBits<float>(loaded, new CompiledLeNet5().Weights.AsReadOnlySpan(), "inference LeNet-5");
        AssertBits<float>(loaded, new CompiledTrainableLeNet5().Parameters, "trainable LeNet-5");
    }

    [Fact]
    public void The_MLPs_theta_is_SafeTensors_Loads_and_torchs_conversion_of_each_dtype()
    {
        WeightsFixture fixture = WeightsFixture.Load("mlp-mixed-dtypes.json");
        Assert.Equal(["BF16", "F16", "F32", "F64"], fixture.Dtypes!.Values.Distinct().Order(StringComparer.Ordinal));
        float[] single = new CompiledMixedMlp().Weights.AsReadOnlySpan().ToArray();
        double[] @double = new CompiledMixedMlpDouble().Parameters.ToArray();
        AssertBits<float>(Loaded<float>("mlp-mixed-dtypes.safetensors", CompiledMixedMlp.Topology), single, "float MLP against SafeTensors.Load");
        AssertBits<double>(Loaded<double>("mlp-mixed-dtypes.safetensors", CompiledMixedMlpDouble.Topology), @double, "double MLP against SafeTensors.Load");
        // torch's conversions, written as float64: F64 values rounded to the nearest float for the float network, the rest exact.
        AssertBits<float>(fixture.ParametersFloat!.Select(v => (float)v).ToArray(), single, "float MLP against torch's .float()");
        AssertBits<double>(fixture.Parameters!, @double, "double MLP against the stored values");
        Assert.Contains(Enumerable.Range(0, single.Length), i => single[i] != @double[i]); // the F64 tensor was rounded
    }

    [Fact]
    public void The_MLPs_Forward_is_PyTorchs_in_float_and_in_double()
    {
        WeightsFixture fixture = WeightsFixture.Load("mlp-mixed-dtypes.json");
        var single = new CompiledMixedMlp();
        var @double = new CompiledMixedMlpDouble();
        var scores = new float[CompiledMixedMlp.OutputSize];
        var scoresDouble = new double[CompiledMixedMlpDouble.OutputSize];
        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            WeightsSample sample = fixture.Samples[s];
            single.Forward(sample.Input.Select(v => (float)v).ToArray(), scores);
            Close<float>(sample.OutputFloat!, scores, FloatTolerance, $"float MLP's output for sample {s}");
            @double.Forward(sample.Input, scoresDouble);
            Close<double>(sample.Output, scoresDouble, DoubleTolerance, $"double MLP's output for sample {s}");
        }
    }

    [Fact]
    public void Inference_instances_share_one_read_only_NetworkWeights()
    {
        var first = new CompiledLeNet5();
        var second = new CompiledLeNet5();
        Assert.Same(first.Weights, second.Weights);
        Assert.Same(first.Weights, first.CreateWorkspace().Weights);
        Assert.True(first.Weights.IsReadOnly);
        Assert.Throws<InvalidOperationException>(() => first.Parameters[0] = 1);
        Assert.Throws<InvalidOperationException>(() => SafeTensors.Load(PathOf("lenet5-f32.safetensors"), first));
        Assert.Same(new CompiledMixedMlp().Weights, new CompiledMixedMlp().Weights);
        Assert.NotSame(first.Weights, new CompiledMixedMlp().Weights);

        // Other weights for the same class: a writable copy, or weights of its own.
        var tuned = new CompiledLeNet5(first.Weights.Clone());
        tuned.Parameters[0] += 1;
        Assert.NotEqual(tuned.Parameters[0], first.Weights.AsReadOnlySpan()[0]);
        Assert.Equal(Loaded<float>("lenet5-f32.safetensors", CompiledLeNet5.Topology), new CompiledLeNet5().Weights.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void Trainable_instances_get_their_own_copy_and_TrainStep_it_as_the_interpreter_does()
    {
        WeightsFixture fixture = WeightsFixture.Load("lenet5-f32.json");
        var trained = new CompiledTrainableLeNet5();
        var untouched = new CompiledTrainableLeNet5();
        Assert.NotSame(trained.Weights, untouched.Weights);
        Assert.False(trained.Weights.IsReadOnly);
        float[] compiled = untouched.Parameters.ToArray();

        // The reference: the interpreter on SafeTensors.Load of the same file, stepped the same way.
        var interpreted = new InterpretedNetwork<float>(CompiledTrainableLeNet5.Topology);
        SafeTensors.Load(PathOf("lenet5-f32.safetensors"), interpreted);
        float[] input = fixture.Samples[0].Input.Select(v => (float)v).ToArray();
        var target = new float[CompiledTrainableLeNet5.OutputSize];
        target[3] = 1;
        float loss = trained.TrainStep(input, target, 0.1f);
        float expectedLoss = interpreted.TrainStep(input, target, 0.1f);
        NumericAssert.Close(-Math.Log(fixture.Samples[0].Output[3]), loss, FloatTolerance, "TrainStep's loss against PyTorch's output");
        NumericAssert.Close(expectedLoss, loss, FloatTolerance, "TrainStep's loss against the interpreter's");
        Close<float>(interpreted.Parameters.ToArray().Select(v => (double)v).ToArray(), trained.Parameters, FloatTolerance,
                     "θ after one TrainStep against the interpreter's");
        Assert.NotEqual(compiled, trained.Parameters.ToArray());

        // The step changed that instance's θ only: a new instance, and the one made before it, still hold the file's.
        AssertBits<float>(compiled, untouched.Parameters, "an instance made before the step");
        AssertBits<float>(compiled, new CompiledTrainableLeNet5().Parameters, "an instance made after the step");
    }

    [Fact]
    public void The_double_MLP_TrainSteps_from_the_compiled_weights_as_PyTorchs_SGD()
    {
        WeightsFixture fixture = WeightsFixture.Load("mlp-mixed-dtypes.json");
        SgdStep sgd = fixture.Sgd!;
        var network = new CompiledMixedMlpDouble();
        double loss = network.TrainStep(fixture.Samples[sgd.Sample].Input, sgd.Target, sgd.LearningRate);
        NumericAssert.Close(sgd.Loss, loss, DoubleTolerance, "the double MLP's loss");
        Close<double>(sgd.ParametersAfter, network.Parameters, DoubleTolerance, "the double MLP's θ after one SGD step");
        AssertBits<double>(fixture.Parameters!, new CompiledMixedMlpDouble().Parameters, "a new instance after the step");
    }

    /// <summary>NumericAssert.Close, with the worst difference written to the test's output when it passes too.</summary>
    private void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double tolerance, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        output.WriteLine($"{what}: worst difference {NumericAssert.Worst(expected, actual, tolerance).Value:G3} (tolerance {tolerance:G})");
        NumericAssert.Close(expected, actual, tolerance, what);
    }

    /// <summary>θ as SafeTensors.Load reads <paramref name="file"/> for <paramref name="topology"/> (into the interpreter).</summary>
    private static T[] Loaded<T>(string file, NetworkTopology topology) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new InterpretedNetwork<T>(topology);
        SafeTensors.Load(PathOf(file), network);
        return network.Parameters.ToArray();
    }

    /// <summary>Equal IEEE bits everywhere, or the first index that differs, with both values.</summary>
    private static void AssertBits<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length) Assert.Fail($"{what}: {actual.Length} values, expected {expected.Length}");
        ReadOnlySpan<byte> e = System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected);
        ReadOnlySpan<byte> a = System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual);
        if (e.SequenceEqual(a)) return;
        int index = 0;
        while (expected.Slice(index, 1).SequenceEqual(actual.Slice(index, 1))) index++;
        Assert.Fail($"{what}: θ[{index}] is {actual[index]:R}, expected {expected[index]:R} (bit for bit)");
    }
}

/// <summary>A file of tools/make_weights_fixtures.py: the weights file it goes with, seeded inputs and PyTorch's outputs.</summary>
public sealed class WeightsFixture
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The script and torch version that wrote the file.</summary>
    public required string GeneratedBy { get; init; }
    /// <summary>The .safetensors file beside it.</summary>
    public required string Weights { get; init; }
    /// <summary>The network, in words.</summary>
    public required string Network { get; init; }
    /// <summary>θ's length.</summary>
    public required int ParameterCount { get; init; }
    /// <summary>Each tensor's dtype in the file (the MLP's).</summary>
    public System.Collections.Generic.Dictionary<string, string>? Dtypes { get; init; }
    /// <summary>θ in NetCompiler's layout as stored, exactly (the MLP's).</summary>
    public double[]? Parameters { get; init; }
    /// <summary>θ as a float network holds it: torch's conversion of each tensor to float32 (the MLP's).</summary>
    public double[]? ParametersFloat { get; init; }
    /// <summary>Inputs and outputs.</summary>
    public required WeightsSample[] Samples { get; init; }
    /// <summary>One SGD step of the double network (the MLP's).</summary>
    public SgdStep? Sgd { get; init; }

    /// <summary>Reads Fixtures/weights/<paramref name="file"/>.</summary>
    public static WeightsFixture Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "weights", file);
        return JsonSerializer.Deserialize<WeightsFixture>(File.ReadAllText(path), Options) ?? throw new InvalidDataException(path + " holds null.");
    }
}

/// <summary>An input and PyTorch's float64 output for the stored weights (and, for the MLP, for the weights rounded to float).</summary>
public sealed class WeightsSample
{
    /// <summary>The input, exactly floats.</summary>
    public required double[] Input { get; init; }
    /// <summary>The output of the stored weights.</summary>
    public required double[] Output { get; init; }
    /// <summary>The output of the weights a float network holds.</summary>
    public double[]? OutputFloat { get; init; }
}

/// <summary>θ after one torch SGD step (CrossEntropy on one sample) from the stored weights, in float64.</summary>
public sealed class SgdStep
{
    /// <summary>The sample's index.</summary>
    public required int Sample { get; init; }
    /// <summary>The one-hot target.</summary>
    public required double[] Target { get; init; }
    /// <summary>η.</summary>
    public required double LearningRate { get; init; }
    /// <summary>The loss before the step.</summary>
    public required double Loss { get; init; }
    /// <summary>θ − η·∂L/∂θ.</summary>
    public required double[] ParametersAfter { get; init; }
}
