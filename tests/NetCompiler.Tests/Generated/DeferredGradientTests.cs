using System;
using System.Linq;
using System.Numerics;
using System.Reflection;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// BackwardBatch defers some layers' g_W, in batches of 8 or more, checked around the record's length of 16 and the
/// minimum (1, 7, 8, 15, 16, 17, 40 samples: full records, a partial last one, none), followed by one Backward:
/// <list type="bullet">
/// <item>Dense layers past L1 (DenseEmitter.Deferred.cs) record û and x per sample and add them every 16 samples in
/// the per-sample order, so the gradient is the per-sample loop's bit for bit, in float and double
/// (DeferredDenseNet's partial last vector, LeNet-5's C5 and F6). Every layer that is not deferred in lanes is
/// compared bit for bit too.</item>
/// <item>Float convolutions with the flat backward kernel (ConvEmitter.Deferred.cs) sum g_w and g_b over 16 samples
/// held in the lanes of each vector: another order of the same sums. Their slices of the gradient are compared with
/// the interpreter in double on the same parameters and inputs: the worst error relative to the largest reference
/// value of the slice is at most <see cref="LanesTolerance"/>; the per-sample loop's worst is printed beside it (a
/// bound of a multiple of it failed where that loop happened to round exactly).</item>
/// </list>
/// A Backward after BackwardBatch adds its g_W at once again, and BackwardBatch allocates nothing after its first call.
/// <para>With AVX-512, a float BackwardBatch of 8 or more samples runs forward and backward with 16 samples in the lanes
/// of each vector instead (BackwardLanes): there every layer's slice of the gradient is compared with the interpreter
/// as the lanes layers are above, and the loss within the same bound; the deferred path it replaces then runs in
/// JitCheck's child without AVX-512, whose BackwardBatch JitCheckTests compares with this one.</para>
/// </summary>
public class DeferredGradientTests(ITestOutputHelper output)
{
    private static readonly int[] Batches = { 1, 7, 8, 15, 16, 17, 40 }; // below 8 samples BackwardBatch does not defer

    /// <summary>
    /// The largest error of a lanes layer's gradient relative to the slice's largest reference value: 12 times the worst
    /// seen in the deferred g_w, 4.1e-7 (LeNet-5's C3; the per-sample loop's worst there was the same, and 4.9e-7
    /// elsewhere), and 5 times the worst of BackwardLanes over every layer, 9.1e-7 (the per-sample loop's there 9.8e-7).
    /// </summary>
    private const double LanesTolerance = 5e-6;

    /// <summary>Networks, their layers deferred by rows (dense) and in lanes (convolutions, float only).</summary>
    public static TheoryData<string, int[], int[]> Networks => new()
    {
        { "DeferredDense", new[] { 2 }, new[] { 1 } },
        { "LeNet5", new[] { 5, 6 }, new[] { 3 } },
        { "Conv1D", Array.Empty<int>(), new[] { 1 } },
        { "Conv2DOdd", Array.Empty<int>(), new[] { 1, 2 } },
        { "WideConv", Array.Empty<int>(), new[] { 1, 2, 4 } },
        { "Table", Array.Empty<int>(), new[] { 1, 3 } },
        { "FlatConv", Array.Empty<int>(), new[] { 3, 4 } },
        { "Join", Array.Empty<int>(), new[] { 1, 2 } },
        { "WideKernel", Array.Empty<int>(), new[] { 1 } },
    };

    [Theory, MemberData(nameof(Networks))]
    public void FloatGradientMatchesThePerSampleLoopAndTheInterpreter(string name, int[] rows, int[] lanes) =>
        Compare(GraphNetworks.All[name].Single, rows, lanes);

    [Theory, MemberData(nameof(Networks))]
    public void DoubleGradientIsThePerSampleLoopsBitForBit(string name, int[] rows, int[] lanes) =>
        Compare(GraphNetworks.All[name].Double, rows, Array.Empty<int>(), notDeferred: lanes);

    private void Compare<T>(Func<INetwork<T>> make, int[] rows, int[] lanes, int[]? notDeferred = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The planner's rule is what is under test: the layers must have the deferred kernel, or this test tests nothing.
        Type type = make().GetType();
        foreach (int layer in rows.Concat(lanes))
            Assert.True(HasDeferredKernel(type, layer), type.Name + " layer " + layer + " should defer g_W in BackwardBatch");
        foreach (int layer in notDeferred ?? Array.Empty<int>()) // lanes are float only: double convolutions keep the per-sample g_w
            Assert.False(HasDeferredKernel(type, layer), type.Name + " layer " + layer + " should not defer g_w in double");
        Assert.Equal(typeof(T) == typeof(float), type.GetMethod("BackwardLanes", BindingFlags.NonPublic | BindingFlags.Instance) is not null);
        if (typeof(T) == typeof(float))
            output.WriteLine(InLanes<T>() ? "AVX-512: BackwardBatch of 8 or more samples runs in lanes; the deferred g_W is JitCheck's to test (its run without AVX-512)."
                                          : "No AVX-512: BackwardBatch takes the per-sample path with the deferred g_W.");

        foreach (int batch in Batches)
        {
            INetwork<T> batched = make(), single = make();
            batched.InitializeParameters(batch);
            single.InitializeParameters(batch);
            var reference = new InterpretedNetwork<double>(batched.Topology);
            for (int k = 0; k < reference.Parameters.Length; k++) reference.Parameters[k] = double.CreateTruncating(batched.Parameters[k]);
            int nIn = batched.InputSize, nOut = batched.OutputSize;
            var random = new Random(batch * 31 + nIn);
            var inputs = new T[(batch + 1) * nIn];
            var targets = new T[(batch + 1) * nOut];
            for (int k = 0; k < inputs.Length; k++) inputs[k] = T.CreateChecked(random.NextDouble() * 2 - 1);
            for (int b = 0; b <= batch; b++) targets[b * nOut + random.Next(nOut)] = T.One;

            T loss = batched.BackwardBatch(inputs.AsSpan(0, batch * nIn), targets.AsSpan(0, batch * nOut), batch), expected = T.Zero;
            var row = new T[nOut];
            var referenceRow = new double[nOut];
            for (int b = 0; b < batch; b++)
            {
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                expected += single.Backward(targets.AsSpan(b * nOut, nOut));
                reference.Forward(ToDouble<T>(inputs.AsSpan(b * nIn, nIn)), referenceRow);
                reference.Backward(ToDouble<T>(targets.AsSpan(b * nOut, nOut)));
            }
            string when = "after BackwardBatch(" + batch + ")";
            if (InLanes<T>() && batch >= 8)
            {
                // The lanes path: every layer's sums in another order, each layer's slice against the interpreter.
                Assert.True(Math.Abs(double.CreateTruncating(loss - expected)) <= LanesTolerance * Math.Abs(double.CreateTruncating(expected)), $"loss {loss} in lanes, {expected} per sample");
                AssertLanesClose(single, batched, reference, batched.Topology.Layers.Where(l => l.ParameterCount > 0).Select(l => l.Number).ToArray(), when + " in lanes");
                continue; // nothing is left recorded
            }
            Assert.Equal(expected, loss);
            AssertSameGradients(single, batched, lanes, when);
            if (batch >= 8) AssertLanesClose(single, batched, reference, lanes, when);
            else AssertSameGradients(single, batched, Array.Empty<int>(), when + ", which does not defer");

            // One more sample through Forward and Backward: its g_W goes in at once (nothing left recorded).
            batched.Forward(inputs.AsSpan(batch * nIn, nIn), row);
            batched.Backward(targets.AsSpan(batch * nOut, nOut));
            single.Forward(inputs.AsSpan(batch * nIn, nIn), row);
            single.Backward(targets.AsSpan(batch * nOut, nOut));
            AssertSameGradients(single, batched, lanes, when + " and one Backward");
        }
    }

    /// <summary>Whether BackwardBatch of 8 or more samples runs in lanes here: float, on a machine with AVX-512.</summary>
    private static bool InLanes<T>() => typeof(T) == typeof(float) && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;

    private static bool HasDeferredKernel(Type type, int layer) =>
        type.GetMethod("DeferredGradientLayer" + layer, BindingFlags.NonPublic | BindingFlags.Instance) is not null;

    private static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int k = 0; k < values.Length; k++) result[k] = double.CreateTruncating(values[k]);
        return result;
    }

    /// <summary>Every gradient outside the layers in <paramref name="skipped"/> is the same bit for bit.</summary>
    private static void AssertSameGradients<T>(INetwork<T> expected, INetwork<T> actual, int[] skipped, string when) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> e = expected.Gradients, a = actual.Gradients;
        int differing = 0, first = -1;
        for (int k = 0; k < e.Length; k++)
            if (e[k] != a[k] && !skipped.Any(l => InLayer(actual.Topology, l, k)))
            {
                differing++;
                if (first < 0) first = k;
            }
        Assert.True(differing == 0, differing + " gradients differ " + when + "; the first at θ[" + first + "]: " +
                                    (first < 0 ? "" : e[first] + " per sample, " + a[first] + " batched"));
    }

    private static bool InLayer(NetworkTopology topology, int layer, int k)
    {
        LayerShape shape = topology.Layers[layer - 1];
        return k >= shape.WeightOffset && k < shape.WeightOffset + shape.ParameterCount;
    }

    /// <summary>Each lanes layer's slice of the gradient against the interpreter in double, beside the per-sample loop's.</summary>
    private void AssertLanesClose<T>(INetwork<T> single, INetwork<T> batched, InterpretedNetwork<double> reference, int[] lanes, string when)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int layer in lanes)
        {
            LayerShape shape = batched.Topology.Layers[layer - 1];
            double scale = 0, worstBatched = 0, worstSingle = 0;
            int worstAt = -1;
            for (int k = shape.WeightOffset; k < shape.WeightOffset + shape.ParameterCount; k++) scale = Math.Max(scale, Math.Abs(reference.Gradients[k]));
            for (int k = shape.WeightOffset; k < shape.WeightOffset + shape.ParameterCount; k++)
            {
                double r = reference.Gradients[k], b = Math.Abs(double.CreateTruncating(batched.Gradients[k]) - r) / scale, s = Math.Abs(double.CreateTruncating(single.Gradients[k]) - r) / scale;
                if (b > worstBatched) (worstBatched, worstAt) = (b, k);
                worstSingle = Math.Max(worstSingle, s);
            }
            string report = $"{batched.GetType().Name} layer {layer} {when}: lanes worst {worstBatched:E2} at θ[{worstAt}], per-sample loop worst {worstSingle:E2} (relative to {scale:E2})";
            output.WriteLine(report);
            Assert.True(scale > 0, report + ": the reference gradient is zero, so this compares nothing");
            Assert.True(worstBatched <= LanesTolerance, report);
        }
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
