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

    private static void Check<T>(string name) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        NetworkTopology topology = TestNetworks.Parse(name);
        var network = new InterpretedNetwork<T>(topology);
        T[] x = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, 0));
        T[] d = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, 0));
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
