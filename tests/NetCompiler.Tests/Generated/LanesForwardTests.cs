using System;
using System.Linq;
using System.Reflection;
using System.Runtime.Intrinsics;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// ForwardBatch's lanes path (a float graph's layers over 16 samples held in the lanes of each Vector512; Emit/*.Lanes.cs
/// in the generator), on every graph network of the suite: convolutions with padding, strides, connection tables and
/// 1D, trainable and plain average pooling, max pooling, Add, Concat, dense layers with several sources, a convolution
/// that is a dense layer, and every activation. For batches around the chunk of 16 and the minimum of 8 (below it, and
/// for the rest of a batch, ForwardBatch runs Forward):
/// <list type="bullet">
/// <item>each output row against the interpreter in double on the same parameters and inputs: the worst error relative
/// to the row's largest reference value is at most <see cref="Tolerance"/>; Forward's worst is printed beside it;</item>
/// <item>a sample's outputs do not depend on its lane (the same 16 samples rotated by 5 give the same bits);</item>
/// <item>ForwardBatch allocates nothing after its first chunk.</item>
/// </list>
/// Without AVX-512 the lanes path does not run: the tests say so in their output and check the per-sample loop only.
/// </summary>
public class LanesForwardTests(ITestOutputHelper output)
{
    private static readonly int[] Batches = { 7, 8, 9, 15, 16, 17, 24, 40 };

    /// <summary>The largest error of an output relative to its row's largest reference value: 1e-5, 8 times the worst seen (1.2e-6, in LeNet5SquaredError; Forward's worst in it was 1.1e-6).</summary>
    private const double Tolerance = 1e-5;

    /// <summary>The suite's graph networks that must run ForwardBatch in lanes (every one in float: all fit Tuning.LanesBytes).</summary>
    public static TheoryData<string> Networks => new(GraphNetworks.All.Keys.OrderBy(name => name, StringComparer.Ordinal));

    private static bool Accelerated => Vector512.IsHardwareAccelerated;

    [Theory, MemberData(nameof(Networks))]
    public void OutputsMatchTheInterpreter(string name)
    {
        Func<INetwork<float>> make = GraphNetworks.All[name].Single;
        Type type = make().GetType();
        // The planner's rule is under test too: without the lanes path this would compare Forward with itself.
        Assert.True(type.GetMethod("ForwardLanes", BindingFlags.NonPublic | BindingFlags.Instance) is not null, type.Name + " should run ForwardBatch in lanes");
        if (!Accelerated) output.WriteLine("SKIPPED IN PART: no AVX-512 here, so ForwardBatch runs Forward per sample and the lanes kernels are not tested.");
        foreach (int batch in Batches)
        {
            INetwork<float> network = make(), single = make();
            network.InitializeParameters(batch);
            single.InitializeParameters(batch);
            var reference = new InterpretedNetwork<double>(network.Topology);
            for (int k = 0; k < reference.Parameters.Length; k++) reference.Parameters[k] = network.Parameters[k];
            int nIn = network.InputSize, nOut = network.OutputSize;
            var random = new Random(batch * 7 + nIn);
            var inputs = new float[batch * nIn];
            for (int k = 0; k < inputs.Length; k++) inputs[k] = (float)(random.NextDouble() * 2 - 1);

            var outputs = new float[batch * nOut];
            network.ForwardBatch(inputs, outputs, batch);
            var row = new float[nOut];
            var referenceRow = new double[nOut];
            double worst = 0, worstSingle = 0;
            int worstAt = -1;
            for (int b = 0; b < batch; b++)
            {
                reference.Forward(inputs.AsSpan(b * nIn, nIn).ToArray().Select(v => (double)v).ToArray(), referenceRow);
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                double scale = referenceRow.Max(Math.Abs);
                Assert.True(scale > 0, name + ": a reference output row is zero, so this compares nothing");
                for (int f = 0; f < nOut; f++)
                {
                    double error = Math.Abs(outputs[b * nOut + f] - referenceRow[f]) / scale;
                    if (error > worst) (worst, worstAt) = (error, b * nOut + f);
                    worstSingle = Math.Max(worstSingle, Math.Abs(row[f] - referenceRow[f]) / scale);
                }
            }
            string report = $"{type.Name}, ForwardBatch({batch}): worst {worst:E2} at output {worstAt}, Forward's worst {worstSingle:E2}";
            output.WriteLine(report);
            Assert.True(worst <= Tolerance, report);
        }
    }

    [Theory, MemberData(nameof(Networks))]
    public void ASamplesOutputsDoNotDependOnItsLane(string name)
    {
        INetwork<float> network = GraphNetworks.All[name].Single();
        network.InitializeParameters(3);
        int nIn = network.InputSize, nOut = network.OutputSize;
        var random = new Random(11);
        var inputs = new float[16 * nIn];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = (float)(random.NextDouble() * 2 - 1);
        var rotated = new float[16 * nIn];
        for (int b = 0; b < 16; b++) inputs.AsSpan(b * nIn, nIn).CopyTo(rotated.AsSpan((b + 5) % 16 * nIn, nIn));
        float[] outputs = new float[16 * nOut], rotatedOutputs = new float[16 * nOut];
        network.ForwardBatch(inputs, outputs, 16);
        network.ForwardBatch(rotated, rotatedOutputs, 16);
        for (int b = 0; b < 16; b++)
            Assert.True(outputs.AsSpan(b * nOut, nOut).SequenceEqual(rotatedOutputs.AsSpan((b + 5) % 16 * nOut, nOut)),
                name + ": sample " + b + "'s outputs changed when it moved to lane " + (b + 5) % 16);
    }

    [Fact]
    public void ForwardBatchAllocatesNothingAfterItsFirstChunk()
    {
        if (!Accelerated) output.WriteLine("SKIPPED IN PART: no AVX-512 here, so ForwardBatch runs Forward per sample.");
        var network = new LeNet5();
        const int batch = 40;
        var inputs = new float[batch * LeNet5.InputSize];
        var outputs = new float[batch * LeNet5.OutputSize];
        Assert.Equal(0, Allocations.Measure(() => network.ForwardBatch(inputs, outputs, batch)));
    }
}
