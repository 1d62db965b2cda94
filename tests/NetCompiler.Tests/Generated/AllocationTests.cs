using System;
using NetCompiler.Tests.Support;
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
        network.Forward(input, output); // Backward needs a forward pass first
        Assert.Equal(0, Allocations.Measure(() => network.Forward(input, output)));
        Assert.Equal(0, Allocations.Measure(() => network.Backward(target)));
        Assert.Equal(0, Allocations.Measure(() => network.Update(eta)));
        Assert.Equal(0, Allocations.Measure(() => network.TrainStep(input, target, eta)));
        Assert.Equal(0, Allocations.Measure(() => { network.Activities(1); }));
    }
}
