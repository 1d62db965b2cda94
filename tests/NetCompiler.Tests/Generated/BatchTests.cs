using System;
using System.Numerics;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// ForwardBatch, BackwardBatch and TrainStepBatch equal the per-sample path (outputs, summed loss, summed gradients,
/// parameters after the step) for batch sizes around the tiles (4 samples; 6 in the Vector512 u = W·x), the chunk
/// (MaxBatch = 64) and the feature-major path's groups of 16 (48, 49, 63: a chunk that ends at or inside a group),
/// allocate nothing, and reject wrong lengths naming batch × size. With AVX-512 the Vector512 kernels run here; JitCheckTests runs the same comparison in a child process with AVX-512 disabled for the Vector256 ones.
/// </summary>
public class BatchTests
{
    private static readonly int[] Batches = { 1, 3, 4, 5, 6, 7, 48, 49, 63, 64, 65, 130 };

    public static TheoryData<string> SingleNetworks => new()
    {
        nameof(Net_784_128_10_ReLU_Softmax_CrossEntropy), nameof(Net_40_100_17_Sigmoid_LeakyReLU_SquaredError),
        nameof(Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError), nameof(Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError),
        nameof(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy), nameof(Net_2_4_1_Tanh_Sigmoid_SquaredError),
        nameof(Net_20_9_10_ReLU_Softmax_CrossEntropy), nameof(Conv2DOddNet),
        // tiny networks: narrow layers (n dividing the vector width) and layers of at most a vector of outputs
        nameof(Net_2_8_1_Tanh_Tanh_SquaredError), nameof(Net_8_8_8_Tanh_Tanh_SquaredError), nameof(Net_2_4_4_Tanh_Sigmoid_SquaredError),
        nameof(Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError), nameof(Net_1_8_4_LeakyReLU_Identity_SquaredError),
    };

    private static INetwork<float> MakeSingle(string name) => name switch
    {
        nameof(Net_784_128_10_ReLU_Softmax_CrossEntropy) => new Net_784_128_10_ReLU_Softmax_CrossEntropy(),
        nameof(Net_40_100_17_Sigmoid_LeakyReLU_SquaredError) => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError(),
        nameof(Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError) => new Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError(),
        nameof(Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError) => new Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError(),
        nameof(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy) => new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy(),
        nameof(Net_2_4_1_Tanh_Sigmoid_SquaredError) => new Net_2_4_1_Tanh_Sigmoid_SquaredError(),
        nameof(Net_20_9_10_ReLU_Softmax_CrossEntropy) => new Net_20_9_10_ReLU_Softmax_CrossEntropy(),
        nameof(Conv2DOddNet) => new Conv2DOddNet(),
        nameof(Net_2_8_1_Tanh_Tanh_SquaredError) => new Net_2_8_1_Tanh_Tanh_SquaredError(),
        nameof(Net_8_8_8_Tanh_Tanh_SquaredError) => new Net_8_8_8_Tanh_Tanh_SquaredError(),
        nameof(Net_2_4_4_Tanh_Sigmoid_SquaredError) => new Net_2_4_4_Tanh_Sigmoid_SquaredError(),
        nameof(Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError) => new Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError(),
        nameof(Net_1_8_4_LeakyReLU_Identity_SquaredError) => new Net_1_8_4_LeakyReLU_Identity_SquaredError(),
        _ => throw new ArgumentException(name),
    };

    private static INetwork<double> MakeDouble(string name) => name switch
    {
        nameof(Net_784_128_10_ReLU_Softmax_CrossEntropy) => new Net_784_128_10_ReLU_Softmax_CrossEntropy_Double(),
        nameof(Net_40_100_17_Sigmoid_LeakyReLU_SquaredError) => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError_Double(),
        nameof(Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError) => new Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError_Double(),
        nameof(Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError) => new Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError_Double(),
        nameof(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy) => new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double(),
        nameof(Net_2_4_1_Tanh_Sigmoid_SquaredError) => new Net_2_4_1_Tanh_Sigmoid_SquaredError_Double(),
        nameof(Net_20_9_10_ReLU_Softmax_CrossEntropy) => new Net_20_9_10_ReLU_Softmax_CrossEntropy_Double(),
        nameof(Conv2DOddNet) => new Conv2DOddNetDouble(),
        nameof(Net_2_8_1_Tanh_Tanh_SquaredError) => new Net_2_8_1_Tanh_Tanh_SquaredError_Double(),
        nameof(Net_8_8_8_Tanh_Tanh_SquaredError) => new Net_8_8_8_Tanh_Tanh_SquaredError_Double(),
        nameof(Net_2_4_4_Tanh_Sigmoid_SquaredError) => new Net_2_4_4_Tanh_Sigmoid_SquaredError_Double(),
        nameof(Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError) => new Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError_Double(),
        nameof(Net_1_8_4_LeakyReLU_Identity_SquaredError) => new Net_1_8_4_LeakyReLU_Identity_SquaredError_Double(),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(SingleNetworks))]
    public void FloatBatchedEqualsPerSample(string name) => Compare(() => MakeSingle(name), 1e-5);

    [Theory, MemberData(nameof(SingleNetworks))]
    public void DoubleBatchedEqualsPerSample(string name) => Compare(() => MakeDouble(name), 1e-12);

    private static void Compare<T>(Func<INetwork<T>> make, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int batch in Batches)
        {
            INetwork<T> batched = make(), single = make();
            batched.InitializeParameters(batch);
            single.InitializeParameters(batch);
            int nIn = batched.InputSize, nOut = batched.OutputSize;
            bool crossEntropy = batched.Topology.Loss == LossFunction.CrossEntropy;
            var random = new Random(batch * 7919 + nIn);
            var inputs = new T[batch * nIn];
            var targets = new T[batch * nOut];
            for (int k = 0; k < inputs.Length; k++) inputs[k] = T.CreateChecked(random.NextDouble() * 2 - 1);
            for (int b = 0; b < batch; b++)
                if (crossEntropy) targets[b * nOut + random.Next(nOut)] = T.One;
                else for (int i = 0; i < nOut; i++) targets[b * nOut + i] = T.CreateChecked(random.NextDouble());
            string at = " (batch " + batch + ", " + batched.GetType().Name + ")";

            // Forward.
            var outputs = new T[batch * nOut];
            batched.ForwardBatch(inputs, outputs, batch);
            var row = new T[nOut];
            for (int b = 0; b < batch; b++)
            {
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                AssertClose<T>(row, outputs.AsSpan(b * nOut, nOut), tolerance, "outputs" + at);
            }

            // Summed loss and gradients (with the outputs of the same pass), then the parameters after the update.
            var passOutputs = new T[batch * nOut];
            T loss = batched.BackwardBatch(inputs, targets, batch, passOutputs), expectedLoss = T.Zero;
            for (int b = 0; b < batch; b++)
            {
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                AssertClose<T>(row, passOutputs.AsSpan(b * nOut, nOut), tolerance, "BackwardBatch's outputs" + at);
                expectedLoss += single.Backward(targets.AsSpan(b * nOut, nOut));
            }
            AssertClose<T>(new[] { expectedLoss }, new[] { loss }, tolerance, "loss" + at);
            AssertClose<T>(single.Gradients, batched.Gradients, tolerance, "gradients" + at);
            T eta = T.CreateChecked(0.01);
            batched.Update(eta);
            single.Update(eta);

            // A second step through TrainStepBatch, from the (near-)equal parameters.
            single.Parameters.CopyTo(batched.Parameters);
            T stepLoss = batched.TrainStepBatch(inputs, targets, batch, eta), expectedStepLoss = T.Zero;
            for (int b = 0; b < batch; b++)
            {
                single.Forward(inputs.AsSpan(b * nIn, nIn), row);
                expectedStepLoss += single.Backward(targets.AsSpan(b * nOut, nOut));
            }
            single.Update(eta);
            AssertClose<T>(new[] { expectedStepLoss }, new[] { stepLoss }, tolerance, "TrainStepBatch loss" + at);
            AssertClose<T>(single.Parameters, batched.Parameters, tolerance, "parameters after TrainStepBatch" + at);
            Assert.True(batched.Gradients.IndexOfAnyExcept(T.Zero) < 0, "Update leaves the gradients zero" + at);
        }
    }

    /// <summary>
    /// Compared as the suite compares generated with interpreted code (<see cref="NumericAssert"/>: τ relative plus K ulps
    /// of the largest entry). Not bit for bit: with AVX-512 the batched u = W·x sums 16-lane partial sums (8 for double)
    /// where the per-sample kernel sums 8 (4), so an entry that is a sum of cancelling terms differs by a few roundings
    /// of the terms, not of the small result; ForwardBatch's feature-major path (a chunk of at least 48 samples on AVX-512)
    /// sums each u_i in input order. g_W and x̂ are summed in the same order; the difference reaches them through x and û.
    /// </summary>
    private static void AssertClose<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double tolerance, string what) where T : unmanaged, IFloatingPointIeee754<T> =>
        NumericAssert.Close<T>(TestNetworks.ToDouble<T>(expected), actual, tolerance, what);

    [Theory, MemberData(nameof(SingleNetworks))]
    public void BatchedCallsAllocateNothing(string name)
    {
        INetwork<float> network = MakeSingle(name);
        const int batch = 130;
        var inputs = new float[batch * network.InputSize];
        var outputs = new float[batch * network.OutputSize];
        var targets = new float[batch * network.OutputSize];
        for (int b = 0; b < batch; b++) targets[b * network.OutputSize] = 1;
        network.ForwardBatch(inputs, outputs, batch);
        network.TrainStepBatch(inputs, targets, batch, 0.01f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        network.ForwardBatch(inputs, outputs, batch);
        network.BackwardBatch(inputs, targets, batch);
        network.TrainStepBatch(inputs, targets, batch, 0.01f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void WrongLengthsThrowNamingBatchTimesSize()
    {
        var network = new Net_784_128_10_ReLU_Softmax_CrossEntropy();
        var error = Assert.Throws<ArgumentException>(() => network.ForwardBatch(new float[3 * 784 - 1], new float[30], 3));
        Assert.Equal("inputs", error.ParamName);
        Assert.Contains("3 × 784 = 2352", error.Message);
        error = Assert.Throws<ArgumentException>(() => network.ForwardBatch(new float[3 * 784], new float[31], 3));
        Assert.Equal("outputs", error.ParamName);
        Assert.Contains("3 × 10 = 30", error.Message);
        error = Assert.Throws<ArgumentException>(() => network.TrainStepBatch(new float[3 * 784], new float[29], 3, 0.1f));
        Assert.Equal("targets", error.ParamName);
        Assert.Contains("3 × 10 = 30", error.Message);
        error = Assert.Throws<ArgumentException>(() => network.BackwardBatch(new float[2 * 784], new float[30], 3));
        Assert.Equal("inputs", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => network.ForwardBatch(ReadOnlySpan<float>.Empty, Span<float>.Empty, -1));
        var graph = new Conv2DOddNet();
        error = Assert.Throws<ArgumentException>(() => graph.ForwardBatch(new float[Conv2DOddNet.InputSize], new float[2 * Conv2DOddNet.OutputSize], 2));
        Assert.Equal("inputs", error.ParamName);
        Assert.Contains("2 × " + Conv2DOddNet.InputSize, error.Message);
        Assert.Equal(0f, network.TrainStepBatch(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, 0, 0.1f));
    }
}
