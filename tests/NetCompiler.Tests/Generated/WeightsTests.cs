using System;
using System.Linq;
using System.Runtime.CompilerServices;
using NetCompiler;
using Xunit;
using Xunit.Abstractions;
using TrainedLeNet5 = NetCompiler.Samples.LeNet5;

namespace NetCompiler.Tests.Generated;

// The Fashion-MNIST job's LeNet-5 (samples/Shared/LeNet5.cs, compiled into this project), without its loss as
// CompiledWeightsTests declares it (CompiledLeNet5: its compiled-in weights are not touched by new X(weights)), and
// the job's 784-256-128-10 MLP with and without: the networks whose bytes per instance issue 15 reports.

[Network, Input(784), Dense(256, Activation.ReLU), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Mlp784x256x128 { }

[Network, Input(784), Dense(256, Activation.ReLU), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax)]
public partial class ServedMlp784x256x128 { }

/// <summary>NetworkWeights: θ shared by instances, which are then workspaces; what one instance allocates.</summary>
public class WeightsTests(ITestOutputHelper output)
{
    [Fact]
    public void NewWeightsAreTheInitializersAndLiveOnA64ByteBoundary()
    {
        var weights = new NetworkWeights<float>(TrainedLeNet5.Topology, seed: 3);
        var expected = new float[TrainedLeNet5.ParameterCount];
        ParameterInitializer.Initialize<float>(TrainedLeNet5.Topology, expected, 3);
        Assert.Equal(expected, weights.AsReadOnlySpan().ToArray());
        Assert.Equal(TrainedLeNet5.ParameterCount, weights.ParameterCount);
        Assert.Same(TrainedLeNet5.Topology, weights.Topology);
        Assert.Equal(0, AddressOf(ref weights.GetPinnableReference()) % 64);
        Assert.Equal(new TrainedLeNet5().Parameters.ToArray(), new NetworkWeights<float>(TrainedLeNet5.Topology).AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void ValuesAreCopiedAndCheckedForLength()
    {
        float[] values = Enumerable.Range(0, Mlp784x256x128.ParameterCount).Select(i => (float)i).ToArray();
        var weights = new NetworkWeights<float>(Mlp784x256x128.Topology, values);
        values[0] = -1;
        Assert.Equal(0f, weights.AsReadOnlySpan()[0]);
        var e = Assert.Throws<ArgumentException>(() => new NetworkWeights<float>(Mlp784x256x128.Topology, values.AsSpan(1)));
        Assert.Contains("Expected 235146 values", e.Message);
        Assert.Contains("got 235145", e.Message);
    }

    [Fact]
    public void InstancesOnTheSameWeightsShareThem()
    {
        var first = new Mlp784x256x128();
        var second = new Mlp784x256x128(first.Weights);
        var third = first.CreateWorkspace();
        Assert.Same(first.Weights, second.Weights);
        Assert.Same(first.Weights, third.Weights);
        first.Parameters[17] = 42f;
        Assert.Equal(42f, second.Parameters[17]);
        Assert.Equal(42f, third.Weights.AsReadOnlySpan()[17]);
        // Training one instance moves the others' θ too: they are one network with several workspaces.
        float[] input = Inputs(784, 1), target = new float[10];
        target[3] = 1;
        var outputSecond = new float[10];
        second.Forward(input, outputSecond);
        first.TrainStep(input, target, 0.1f);
        var afterFirst = new float[10];
        var afterSecond = new float[10];
        first.Forward(input, afterFirst);
        second.Forward(input, afterSecond);
        Assert.Equal(afterFirst, afterSecond);
        Assert.NotEqual(outputSecond, afterSecond);
    }

    [Fact]
    public void AnInferenceClassAndATrainableClassOfTheSameLayersShareWeights()
    {
        var trained = new TrainedLeNet5();
        trained.InitializeParameters(9);
        var served = new CompiledLeNet5(trained.Weights);
        float[] input = Inputs(784, 2);
        float[] a = new float[10], b = new float[10];
        trained.Forward(input, a);
        served.Forward(input, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void WeightsOfAnotherNetworkAreRejectedNamingBothTopologies()
    {
        var e = Assert.Throws<ArgumentException>(() => new Mlp784x256x128(new NetworkWeights<float>(TrainedLeNet5.Topology)));
        Assert.Equal("weights", e.ParamName);
        Assert.Contains("The weights are for [1, 28, 28] → C1: Conv2D(6, 5, Tanh, padding 2)", e.Message);
        Assert.Contains("but this network is 784 → Dense(256, ReLU) → Dense(128, ReLU) → Dense(10, Softmax)", e.Message);
        Assert.Throws<ArgumentNullException>(() => new Mlp784x256x128(null!));
        // Same sizes, another activation: not the same function, so not the same weights.
        var tanh = new NetworkTopology(784, [new DenseLayer(256, Activation.Tanh), new DenseLayer(128, Activation.ReLU), new DenseLayer(10, Activation.Softmax)]);
        Assert.Throws<ArgumentException>(() => new Mlp784x256x128(new NetworkWeights<float>(tanh)));
        Assert.Throws<ArgumentException>(() => new InterpretedNetwork<float>(tanh, new Mlp784x256x128().Weights));
    }

    [Fact]
    public void InterpretedAndGeneratedNetworksShareWeights()
    {
        var generated = new TrainedLeNet5();
        generated.InitializeParameters(4);
        var interpreted = new InterpretedNetwork<float>(generated.Weights);
        Assert.Same(generated.Weights, interpreted.Weights);
        Assert.Same(generated.Weights, interpreted.CreateWorkspace().Weights);
        float[] input = Inputs(784, 3);
        float[] a = new float[10], b = new float[10];
        generated.Forward(input, a);
        interpreted.Forward(input, b);
        for (int i = 0; i < 10; i++) Assert.Equal(a[i], b[i], 1e-5f);
    }

    [Fact]
    public void ReadOnlyWeightsRefuseWritesAndTrainableNetworks()
    {
        var source = new Mlp784x256x128();
        var shared = NetworkWeights<float>.CreateReadOnly(ServedMlp784x256x128.Topology, source.Weights.AsReadOnlySpan());
        Assert.True(shared.IsReadOnly);
        Assert.Equal(source.Parameters.ToArray(), shared.AsReadOnlySpan().ToArray());
        Assert.Equal(0, AddressOf(ref shared.GetPinnableReference()) % 64);

        var served = new ServedMlp784x256x128(shared);
        var e = Assert.Throws<InvalidOperationException>(() => served.Parameters[0] = 1);
        Assert.Contains("read-only", e.Message);
        Assert.Contains("Clone()", e.Message);
        Assert.Throws<InvalidOperationException>(() => served.InitializeParameters(1));

        var trainable = Assert.Throws<ArgumentException>(() => new Mlp784x256x128(shared));
        Assert.Contains("read-only, and a trainable network", trainable.Message);
        var copy = shared.Clone();
        Assert.False(copy.IsReadOnly);
        var fineTuned = new Mlp784x256x128(copy);
        fineTuned.Parameters[0] = 7;
        Assert.Equal(source.Parameters[0], shared.AsReadOnlySpan()[0]);

        Assert.Throws<ArgumentException>(() => NetworkWeights<float>.CreateReadOnly(ServedMlp784x256x128.Topology, new float[3]));
    }

    [Fact]
    public void BatchBuffersAreAllocatedByTheFirstBatchedCallOnly()
    {
        var network = new Mlp784x256x128();
        float[] inputs = Inputs(784 * 3, 4), targets = new float[30], outputs = new float[30];
        long before = GC.GetAllocatedBytesForCurrentThread();
        network.ForwardBatch(inputs, outputs, 3);
        long first = GC.GetAllocatedBytesForCurrentThread() - before;
        // x⁰…x³ for MaxBatch = 64 samples (784 + 256 + 128 + 16 padded), û¹…û³, u³ and the log-partitions.
        Assert.True(first >= 64L * (784 + 256 + 128 + 16) * sizeof(float), $"the first ForwardBatch allocated only {first} bytes");
        long again = GC.GetAllocatedBytesForCurrentThread();
        network.ForwardBatch(inputs, outputs, 3);
        network.BackwardBatch(inputs, targets, 3);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - again);
    }

    /// <summary>
    /// What one more instance on shared weights costs: its activations and workspace, no θ, no batch buffers, and
    /// gradients only when trainable. The target: an inference instance at most 2× its activation buffers.
    /// </summary>
    [Fact]
    public void AnInstanceOnSharedWeightsHoldsOnlyItsWorkspace()
    {
        (long inferenceLeNet, long lenetActivations) = Measure(w => new CompiledLeNet5(w), new NetworkWeights<float>(CompiledLeNet5.Topology), CompiledLeNet5.Topology);
        (long trainableLeNet, _) = Measure(w => new TrainedLeNet5(w), new NetworkWeights<float>(TrainedLeNet5.Topology), TrainedLeNet5.Topology);
        (long inferenceMlp, long mlpActivations) = Measure(w => new ServedMlp784x256x128(w), new NetworkWeights<float>(ServedMlp784x256x128.Topology), ServedMlp784x256x128.Topology);
        (long trainableMlp, _) = Measure(w => new Mlp784x256x128(w), new NetworkWeights<float>(Mlp784x256x128.Topology), Mlp784x256x128.Topology);
        output.WriteLine($"bytes per instance on shared weights: inference LeNet-5 {inferenceLeNet:N0} (activations {lenetActivations:N0}), "
            + $"trainable LeNet-5 {trainableLeNet:N0}, inference 784-256-128-10 {inferenceMlp:N0} (activations {mlpActivations:N0}), "
            + $"trainable 784-256-128-10 {trainableMlp:N0}");

        Assert.True(inferenceLeNet <= 2 * lenetActivations, $"an inference LeNet-5 instance allocated {inferenceLeNet} bytes, more than 2 × its {lenetActivations} bytes of activations");
        Assert.True(inferenceMlp <= 2 * mlpActivations, $"an inference 784-256-128-10 instance allocated {inferenceMlp} bytes, more than 2 × its {mlpActivations} bytes of activations");
        // A trainable instance adds its sensitivities and gradients g (θ's size), never θ itself.
        long lenetTheta = TrainedLeNet5.ParameterCount * sizeof(float), mlpTheta = Mlp784x256x128.ParameterCount * sizeof(float);
        Assert.InRange(trainableLeNet, lenetTheta, lenetTheta + 4 * lenetActivations);
        Assert.InRange(trainableMlp, mlpTheta, mlpTheta + 4 * mlpActivations);
    }

    private static (long Bytes, long Activations) Measure<TNetwork>(Func<NetworkWeights<float>, TNetwork> create, NetworkWeights<float> weights, NetworkTopology topology)
    {
        create(weights); // static initialisation (the Topology) is not the instance's
        long before = GC.GetAllocatedBytesForCurrentThread();
        TNetwork network = create(weights);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(network);
        long activations = (topology.InputSize + topology.Layers.Sum(l => (long)l.Outputs)) * sizeof(float);
        return (bytes, activations);
    }

    private static float[] Inputs(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
    }

    private static long AddressOf(ref float first) => (long)Unsafe.ByteOffset(ref Unsafe.NullRef<float>(), ref first);
}
