using System;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>The hot paths allocate nothing after construction (measured on this thread with <see cref="Allocations"/>).</summary>
public class AllocationTests
{
    private static object? s_sink;

    private static long AllocatedBy(Action action) => Allocations.Measure(action);

    private static void AssertNoAllocation(string what, Action action)
    {
        long bytes = AllocatedBy(action);
        Assert.True(bytes == 0, $"{what} allocated {bytes} bytes in {Allocations.Calls} calls");
    }

    [Fact]
    public void MeasurementSeesAllocations()
    {
        // Guards the guard: an escaping allocation must be counted.
        Assert.True(AllocatedBy(() => s_sink = new float[4]) >= Allocations.Calls * 16);
        Assert.NotNull(s_sink);
    }

    [Theory]
    [MemberData(nameof(TestNetworks.Names), MemberType = typeof(TestNetworks))]
    public void InterpretedHotPathsAllocateNothing(string name)
    {
        Check<float>(name);
        Check<double>(name);
    }

    [Fact]
    public void MnistSizedNetworkAllocatesNothing() => Check<float>("784-128-10 ReLU,Softmax CrossEntropy");

    [Fact]
    public void LeNet5AllocatesNothing()
    {
        Check<float>(Graphs.LeNet5(), "LeNet-5");
        Check<double>(Graphs.LeNet5(LossFunction.SquaredError), "LeNet-5 squared error");
    }

    [Fact]
    public void GraphAllocatesNothing()
    {
        // Every kind of layer: fan-out, a residual Add, Concat of channels, both poolings, Conv1D, dense with two sources.
        LayerSpec[] layers =
        [
            new ConvLayer(2, 4, 3, Activation.ReLU) { Padding = 1, Name = "c" },
            new ConvLayer(2, 4, 3, Activation.Tanh) { Padding = 1, Name = "d" },
            new JoinLayer(LayerKind.Add, ["c", "d"], Activation.Tanh) { Name = "r" },
            new JoinLayer(LayerKind.Concat, ["r", "input"]),
            new PoolLayer(LayerKind.MaxPool, 2) { Name = "m" },
            new PoolLayer(LayerKind.AvgPool, 2, Activation.Sigmoid, trainable: true) { From = ["c"], Name = "a" },
            new DenseLayer(6, Activation.Tanh) { From = ["m", "a"], Name = "h" },
            new DenseLayer(3, Activation.Softmax) { From = ["h", "r"] },
        ];
        Check<float>(new NetworkTopology(new TensorShape(2, 8, 8), layers, LossFunction.CrossEntropy), "graph");
        Check<double>(new NetworkTopology(new TensorShape(3, 13),
            [new ConvLayer(1, 4, 3, Activation.Tanh) { Stride = 2, Padding = 1 }, new PoolLayer(LayerKind.AvgPool, 3) { Stride = 2 }, new DenseLayer(2)],
            LossFunction.SquaredError), "Conv1D");
    }

    private static void Check<T>(string name) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        NetworkTopology topology = TestNetworks.Parse(name);
        Check<T>(topology, name, TestNetworks.RandomInput(topology, 0), TestNetworks.RandomTarget(topology, 0));
    }

    private static void Check<T>(NetworkTopology topology, string name) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        Check<T>(topology, name, Graphs.RandomInput(topology, 0), Graphs.RandomTarget(topology, 0));

    private static void Check<T>(NetworkTopology topology, string name, double[] input, double[] target) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var network = new InterpretedNetwork<T>(topology);
        T[] x = TestNetworks.Convert<T>(input);
        T[] d = TestNetworks.Convert<T>(target);
        var y = new T[topology.OutputSize];
        T lr = T.CreateTruncating(0.01);
        string what = $"{name} ({typeof(T).Name})";

        AssertNoAllocation(what + " Forward", () => network.Forward(x, y));
        AssertNoAllocation(what + " Backward", () => network.Backward(d));
        AssertNoAllocation(what + " Update", () => network.Update(lr));
        AssertNoAllocation(what + " TrainStep", () => network.TrainStep(x, d, lr));
        AssertNoAllocation(what + " accessors", () =>
        {
            network.Activities(topology.Layers.Count);
            network.Activities(topology.OutputLayer);
            network.Sensitivities(1);
            _ = network.Parameters;
            _ = network.Gradients;
        });
    }

    [Fact]
    public void OptimizerStepsAllocateNothing()
    {
        var theta = new float[1001];
        var g = new float[1001];
        var sgd = new SgdMomentum<float>(theta.Length, 0.01, 0.9, nesterov: true, weightDecay: 1e-4);
        var adam = new Adam<float>(theta.Length, weightDecay: 1e-4);
        var adamDouble = new Adam<double>(7);
        double[] thetaDouble = new double[7], gDouble = new double[7];
        AssertNoAllocation("SgdMomentum<float>.Step", () => { g.AsSpan().Fill(0.5f); sgd.Step(theta, g); });
        AssertNoAllocation("Adam<float>.Step", () => { g.AsSpan().Fill(0.5f); adam.Step(theta, g); });
        AssertNoAllocation("Adam<double>.Step", () => { gDouble.AsSpan().Fill(0.5); adamDouble.Step(thetaDouble, gDouble); });
    }
}
