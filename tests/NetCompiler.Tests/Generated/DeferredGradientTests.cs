using System;
using System.Numerics;
using System.Reflection;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// A graph's dense layers past L1 defer g_W in BackwardBatch (DenseEmitter.Deferred.cs): û and x are recorded per
/// sample and added every DeferredSamples (16) samples, in batches of 8 or more. Each g_W element takes the same fused
/// multiply-adds in the same order as the per-sample loop, so the gradient is the same bit for bit: around the record's
/// length and the minimum (1, 7, 8, 15, 16, 17, 40 samples), in float and double, for DeferredDenseNet (a partial last vector) and LeNet-5 (C5 and F6). A Backward
/// after BackwardBatch adds its g_W at once again, and BackwardBatch allocates nothing after its first call.
/// </summary>
public class DeferredGradientTests
{
    private static readonly int[] Batches = { 1, 7, 8, 15, 16, 17, 40 }; // below 8 samples BackwardBatch does not defer

    public static TheoryData<string, int[]> Networks => new()
    {
        { "DeferredDense", new[] { 2 } },
        { "LeNet5", new[] { 5, 6 } },
    };

    [Theory, MemberData(nameof(Networks))]
    public void FloatGradientIsThePerSampleLoopsBitForBit(string name, int[] deferred) =>
        Compare(GraphNetworks.All[name].Single, deferred);

    [Theory, MemberData(nameof(Networks))]
    public void DoubleGradientIsThePerSampleLoopsBitForBit(string name, int[] deferred) =>
        Compare(GraphNetworks.All[name].Double, deferred);

    private static void Compare<T>(Func<INetwork<T>> make, int[] deferred) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The planner's rule is what is under test: the layers must have the deferred kernel, or this test tests nothing.
        Type type = make().GetType();
        foreach (int layer in deferred)
            Assert.True(type.GetMethod("DeferredGradientLayer" + layer, BindingFlags.NonPublic | BindingFlags.Instance) is not null,
                type.Name + " layer " + layer + " should defer g_W in BackwardBatch");

        foreach (int batch in Batches)
        {
            INetwork<T> batched = make(), single = make();
            batched.InitializeParameters(batch);
            single.InitializeParameters(batch);
            int nIn = batched.InputSize, nOut = batched.OutputSize;
            var random = new Random(batch * 31 + nIn);
            var inputs = new T[(batch + 1) * nIn];
            var targets = new T[(batch + 1) * nOut];
            for (int k = 0; k < inputs.Length; k++) inputs[k] = T.CreateChecked(random.NextDouble() * 2 - 1);
            for (int b = 0; b <= batch; b++) targets[b * nOut + random.Next(nOut)] = T.One;

            T loss = batched.BackwardBatch(inputs.AsSpan(0, batch * nIn), targets.AsSpan(0, batch * nOut), batch), expected = T.Zero;
            var row = new T[nOut];
            for (int b = 0; b < batch; b++)
            {
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                expected += single.Backward(targets.AsSpan(b * nOut, nOut));
            }
            Assert.Equal(expected, loss);
            AssertSameGradients(single, batched, "after BackwardBatch(" + batch + ")");

            // One more sample through Forward and Backward: its g_W goes in at once (nothing left recorded).
            batched.Forward(inputs.AsSpan(batch * nIn, nIn), row);
            batched.Backward(targets.AsSpan(batch * nOut, nOut));
            single.Forward(inputs.AsSpan(batch * nIn, nIn), row);
            single.Backward(targets.AsSpan(batch * nOut, nOut));
            AssertSameGradients(single, batched, "after BackwardBatch(" + batch + ") and one Backward");
        }
    }

    private static void AssertSameGradients<T>(INetwork<T> expected, INetwork<T> actual, string when) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> e = expected.Gradients, a = actual.Gradients;
        int differing = 0, first = -1;
        for (int k = 0; k < e.Length; k++)
            if (e[k] != a[k])
            {
                differing++;
                if (first < 0) first = k;
            }
        Assert.True(differing == 0, differing + " gradients differ " + when + "; the first at θ[" + first + "]: " +
                                    (first < 0 ? "" : e[first] + " per sample, " + a[first] + " batched"));
    }

    [Fact]
    public void BackwardBatchAllocatesNothingAfterItsFirstCall()
    {
        var network = new LeNet5();
        const int batch = 20;
        var inputs = new float[batch * LeNet5.InputSize];
        var targets = new float[batch * LeNet5.OutputSize];
        for (int b = 0; b < batch; b++) targets[b * LeNet5.OutputSize + b % LeNet5.OutputSize] = 1;
        Assert.Equal(0, Allocations.Measure(() => network.BackwardBatch(inputs, targets, batch)));
    }
}
