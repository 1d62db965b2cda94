using System;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>No generated call allocates after construction: measured with GC.GetAllocatedBytesForCurrentThread.</summary>
public class AllocationTests
{
    public static TheoryData<string> Names => new(GeneratedNetworks.Single.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedCallsAllocateNothing(string name)
    {
        AssertNoAllocation(GeneratedNetworks.Single[name](), 0.01f);
        AssertNoAllocation(GeneratedNetworks.Double[name](), 0.01);
    }

    private static void AssertNoAllocation<T>(INetwork<T> network, T eta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var input = new T[network.InputSize];
        var output = new T[network.OutputSize];
        var target = new T[network.OutputSize];
        target[0] = T.One;
        // Warm up so that tiering and static initialisation are done.
        for (int i = 0; i < 3; i++)
        {
            network.Forward(input, output);
            network.Backward(target);
            network.Update(eta);
            network.TrainStep(input, target, eta);
        }
        Assert.Equal(0, Measure(() => network.Forward(input, output)));
        Assert.Equal(0, Measure(() => network.Backward(target)));
        Assert.Equal(0, Measure(() => network.Update(eta)));
        Assert.Equal(0, Measure(() => network.TrainStep(input, target, eta)));
        Assert.Equal(0, Measure(() => { network.Activities(1); }));
    }

    private static long Measure(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
