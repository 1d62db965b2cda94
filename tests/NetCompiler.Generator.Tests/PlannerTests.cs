extern alias generator;

using System.Linq;
using Xunit;
using BackwardKernel = generator::NetCompiler.Generator.Plan.BackwardKernel;
using BatchForwardKind = generator::NetCompiler.Generator.Plan.BatchForwardKind;
using BatchKernel = generator::NetCompiler.Generator.Plan.BatchKernel;
using ConvInputSensitivity = generator::NetCompiler.Generator.Plan.ConvInputSensitivity;
using ForwardKernel = generator::NetCompiler.Generator.Plan.ForwardKernel;
using LanesKernel = generator::NetCompiler.Generator.Plan.LanesKernel;
using NetworkPlan = generator::NetCompiler.Generator.Plan.NetworkPlan;
using Planner = generator::NetCompiler.Generator.Plan.Planner;
using TrainStepKind = generator::NetCompiler.Generator.Plan.TrainStepKind;
using G = generator::NetCompiler;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The planning stage on its own: which kernel each entry point of each layer gets, for networks chosen to reach each
/// rule, and that the plan is a value (equal plans for equal topologies).
/// </summary>
public class PlannerTests
{
    private static NetworkPlan Chain(int inputs, G.LossFunction? loss, G.Precision precision, params (int Units, G.Activation Activation)[] layers) =>
        Planner.Plan(new G.NetworkTopology(new G.TensorShape(new[] { inputs }),
            layers.Select(l => (G.LayerSpec)new G.DenseLayer(l.Units, l.Activation)).ToList(), loss, precision, null));

    private static NetworkPlan Chain(int inputs, G.LossFunction? loss, params (int, G.Activation)[] layers) => Chain(inputs, loss, G.Precision.Single, layers);

    [Fact]
    public void TinyNetworkRunsInRegisters()
    {
        NetworkPlan plan = Chain(2, G.LossFunction.SquaredError, (8, G.Activation.Tanh), (1, G.Activation.Tanh));
        Assert.True(plan.RegisterChain);
        Assert.False(plan.HasForwardCore); // no pass calls it
        Assert.Equal(ForwardKernel.RegisterColumns, plan[1].Forward);
        Assert.Equal(ForwardKernel.RegisterSumToAll, plan[2].Forward);
        Assert.All(plan.Layers, layer => Assert.Equal(BackwardKernel.Register, layer.Backward));
        Assert.Equal(TrainStepKind.Register, plan.TrainStep);
        Assert.Equal(BatchForwardKind.RegisterLoop, plan.BatchForward);
        // BackwardBatch still runs the blocked kernels.
        Assert.Equal(BatchKernel.Narrow, plan[1].BatchForward);
        Assert.Equal(BatchKernel.Tiles, plan[2].BatchForward);
    }

    [Fact]
    public void CrossEntropyIsNeverARegisterChain()
    {
        NetworkPlan plan = Chain(8, G.LossFunction.CrossEntropy, (8, G.Activation.Tanh), (4, G.Activation.Softmax));
        Assert.False(plan.RegisterChain);
        Assert.True(plan.HasForwardCore);
        Assert.Equal(ForwardKernel.RowsToVector, plan[1].Forward);
        Assert.True(plan[1].OutputInRegister);
        // A softmax output keeps u in its buffer.
        Assert.False(plan[2].OutputInRegister);
        Assert.Equal(ForwardKernel.RowGroups, plan[2].Forward);
    }

    [Fact]
    public void WideLayersStreamTheirRowsAndGetVector512BatchedKernels()
    {
        NetworkPlan plan = Chain(784, G.LossFunction.CrossEntropy, (128, G.Activation.ReLU), (10, G.Activation.Softmax));
        Assert.Equal(ForwardKernel.StreamedRows, plan[1].Forward);
        Assert.True(plan[1].ForwardVector512);
        Assert.Equal(BackwardKernel.StreamedRows, plan[1].Backward);
        // 128 inputs stream too; only layer 1 streams its gradient (the layers above keep x̂ in registers by column blocks).
        Assert.Equal(ForwardKernel.StreamedRows, plan[2].Forward);
        Assert.Equal(BackwardKernel.ColumnBlocks, plan[2].Backward);
        Assert.False(plan[2].BackwardUnrolled); // 10 rows × 2 × 16 vectors: over the per-layer limit
        Assert.Equal(TrainStepKind.Fused, plan.TrainStep);
        Assert.Equal(BatchForwardKind.BlockedOrFeatureMajor, plan.BatchForward);
        Assert.All(plan.Layers, layer => Assert.True(layer.BatchForwardVector512 && layer.BatchBackwardVector512));
        Assert.Equal(new[] { "_x1", "_s1", "_batchX1", "_batchS1" }, plan[1].Buffers);
        Assert.Equal(new[] { "_x2", "_s2", "_u2", "_batchX2", "_batchS2", "_batchU2" }, plan[2].Buffers);
    }

    [Fact]
    public void NarrowInputsTakeScalarOrNarrowKernels()
    {
        NetworkPlan plan = Chain(3, G.LossFunction.SquaredError, (5, G.Activation.Tanh), (2, G.Activation.Sigmoid));
        Assert.Equal(ForwardKernel.Scalar, plan[1].Forward);
        Assert.True(plan[1].ForwardUnrolled);
        Assert.Equal(BackwardKernel.Scalar, plan[1].Backward);
        Assert.Equal(BatchKernel.Scalar, plan[1].BatchForward);
        Assert.Equal(TrainStepKind.BackwardThenUpdate, plan.TrainStep);
        Assert.Equal(BatchForwardKind.Blocked, plan.BatchForward);

        NetworkPlan narrow = Chain(4, null, (16, G.Activation.ReLU), (3, G.Activation.Identity));
        Assert.Equal(ForwardKernel.Narrow, narrow[1].Forward); // 4 inputs divide 8 lanes; 16 × 4 is whole vectors
        Assert.Equal(BatchKernel.Narrow, narrow[1].BatchForward);
        Assert.False(narrow.Trainable);
        Assert.All(narrow.Layers, layer => Assert.Equal(BackwardKernel.None, layer.Backward));
    }

    [Fact]
    public void NarrowKernelsStayWithinTheCostModel()
    {
        // 2 inputs into 4,096 units: the narrow kernels would write out 1,024 vectors of W each (MinOpts); the cost
        // model sends the layer to the scalar loops, while 2 → 64 still fits.
        NetworkPlan wide = Chain(2, G.LossFunction.CrossEntropy, (4096, G.Activation.Tanh), (6, G.Activation.Softmax));
        Assert.Equal(ForwardKernel.Scalar, wide[1].Forward);
        Assert.False(wide[1].ForwardUnrolled);
        Assert.Equal(BatchKernel.Scalar, wide[1].BatchForward);
        Assert.Equal(BatchKernel.Scalar, wide[1].BatchBackward);

        NetworkPlan small = Chain(2, G.LossFunction.CrossEntropy, (64, G.Activation.Tanh), (6, G.Activation.Softmax));
        Assert.Equal(ForwardKernel.Narrow, small[1].Forward);
        Assert.Equal(BatchKernel.Narrow, small[1].BatchForward);
        Assert.Equal(BatchKernel.Narrow, small[1].BatchBackward);
    }

    [Fact]
    public void AVectorOfOutputsGetsNoVector512BatchedForward()
    {
        // 16 inputs are a Vector512, but 4 outputs are reduced into one vector per sample: the tiles never run.
        NetworkPlan plan = Chain(16, G.LossFunction.SquaredError, (4, G.Activation.Tanh), (1, G.Activation.Identity));
        Assert.Equal(BatchKernel.RowsToVector, plan[1].BatchForward);
        Assert.False(plan[1].BatchForwardVector512);
        Assert.True(plan[1].BatchBackwardVector512);
    }

    [Fact]
    public void TheUnrollBudgetRunsOutAlongTheMethod()
    {
        // Estimated IL in ForwardCore (CostModel): 32 → 16 is 3,200 bytes and its f pass 60; 16 → 32 is 4,480 and 120.
        // Five layers use 18,980 of the 20,000; the sixth no longer fits, nor do those after it, until the 420 bytes of
        // the 16 → 3 output layer, which fit in what the elementwise passes left.
        NetworkPlan plan = Chain(32, G.LossFunction.CrossEntropy,
            (16, G.Activation.Tanh), (32, G.Activation.Tanh), (16, G.Activation.Tanh), (32, G.Activation.Tanh), (16, G.Activation.Tanh),
            (32, G.Activation.Tanh), (16, G.Activation.Tanh), (32, G.Activation.Tanh), (16, G.Activation.Tanh), (3, G.Activation.Softmax));
        Assert.All(plan.Layers, layer => Assert.Equal(ForwardKernel.RowGroups, layer.Forward));
        Assert.Equal(new[] { true, true, true, true, true, false, false, false, false, true }, plan.Layers.Select(layer => layer.ForwardUnrolled));
    }

    [Fact]
    public void DoublesHaveHalfTheLanes()
    {
        NetworkPlan single = Chain(8, G.LossFunction.SquaredError, G.Precision.Single, (4, G.Activation.Tanh), (2, G.Activation.Identity));
        NetworkPlan twice = Chain(8, G.LossFunction.SquaredError, G.Precision.Double, (4, G.Activation.Tanh), (2, G.Activation.Identity));
        Assert.Equal(8, single.Lanes);
        Assert.Equal(4, twice.Lanes);
        Assert.True(single.RegisterChain); // 8 inputs are one float vector; 4 inputs × 2 outputs are one too
        Assert.False(twice.RegisterChain); // but two double vectors
        Assert.False(single[1].BatchBackwardVector512);
        Assert.True(twice[1].BatchBackwardVector512); // a Vector512 of doubles
    }

    [Theory]
    [InlineData(14, 0, 5, "Rows")]    // LeNet-5's C3: one Vector512 a row
    [InlineData(16, 0, 3, "Rows")]    // exactly a Vector512 (two Vector256)
    [InlineData(8, 0, 3, "Gather")]   // a Vector256 a row: the flat gather has no wasted lanes to save
    [InlineData(20, 0, 3, "Gather")]  // wider than a Vector512
    [InlineData(14, 1, 3, "Gather")]  // padding: x̂ of the padded plane
    [InlineData(14, 0, 7, "Gather")]  // 7 rows of two Vector256 accumulators: more than AVX2's registers hold
    public void XHatByRowsNeedsRowsOfAVector512WithoutPadding(int width, int padding, int kernel, string expected)
    {
        var topology = new G.NetworkTopology(new G.TensorShape(new[] { 1, 20, width + 2 }), new G.LayerSpec[]
        {
            new G.ConvLayer(2, 2, 3, G.Activation.Tanh),                        // [2, 18, width]
            new G.ConvLayer(2, 3, kernel, G.Activation.Tanh) { Padding = padding },
            new G.DenseLayer(2, G.Activation.Softmax),
        }, G.LossFunction.CrossEntropy, G.Precision.Single, null);
        Assert.Equal(expected, Planner.Plan(topology)[2].InputSensitivity.ToString());
    }

    /// <summary>
    /// BackwardBatch sums a convolution's g_w with 16 samples in lanes (Planner.DefersGradient) for float convolutions
    /// with the flat backward kernel, a kernel at most 7 wide (Tuning.LanesKernelWidth), a map of û and a channel of x
    /// within 32 KB as lanes (Tuning.LanesPlaneBytes) and records of at most 1 MB (Tuning.LanesRecordBytes: û and the
    /// padded x of 16 samples, as rows and as lanes).
    /// </summary>
    [Theory]
    [InlineData(14, 5, 16, 0, "Single", "Lanes")]  // LeNet-5's C3 without its table: (100 + 196) × 64 bytes of planes
    [InlineData(12, 7, 2, 0, "Single", "Lanes")]   // the widest kernel
    [InlineData(12, 8, 2, 0, "Single", "None")]    // too wide
    [InlineData(14, 5, 16, 0, "Double", "None")]   // lanes are float only
    [InlineData(28, 5, 6, 2, "Single", "None")]    // LeNet-5's C1: (784 + 1,024) × 64 bytes of planes, past L1
    [InlineData(14, 3, 40, 1, "Single", "Lanes")]  // 40 maps of 14 × 14: 1,036,288 bytes of records
    [InlineData(14, 3, 41, 1, "Single", "None")]   // 41: 1,062,912 bytes, past 1 MB
    public void ConvolutionGradientsGoInLanesWhenFloatNarrowAndSmall(int size, int kernel, int filters, int padding, string precision, string expected)
    {
        var topology = new G.NetworkTopology(new G.TensorShape(new[] { 1, size, size }), new G.LayerSpec[]
        {
            new G.ConvLayer(2, filters, kernel, G.Activation.Tanh) { Padding = padding },
            new G.DenseLayer(2, G.Activation.Softmax),
        }, G.LossFunction.CrossEntropy, System.Enum.Parse<G.Precision>(precision), null);
        var plan = Planner.Plan(topology)[1];
        Assert.Equal(BackwardKernel.ConvFlat, plan.Backward);
        Assert.Equal(expected, plan.Deferral.ToString());
        Assert.Equal(expected == "Lanes", plan.Owns("_laneU1") && plan.Owns("_deferX1"));
    }

    /// <summary>
    /// ForwardBatch runs a graph in lanes in float while its lanes buffers fit Tuning.LanesBytes: 28 × 28 inputs, a 3 × 3
    /// convolution padded by 1 and 2 outputs (a block of 16) take (2 × 784 + 900 + 784·f + 16) × 64 bytes, 1,011,968 for
    /// 17 maps and 1,062,144 for 18 (past 1 MB); a kernel row's 2 × 3 weights leave 12 positions a run, so rows of 28 run as 10, 10, 8.
    /// </summary>
    [Theory]
    [InlineData(17, "Single", "Lanes")]
    [InlineData(18, "Single", "PerSample")]
    [InlineData(1, "Double", "PerSample")]  // 16 samples a vector is float's Vector512
    public void ForwardBatchRunsInLanesWhenFloatAndItsBuffersFit(int filters, string precision, string expected)
    {
        var topology = new G.NetworkTopology(new G.TensorShape(new[] { 1, 28, 28 }), new G.LayerSpec[]
        {
            new G.ConvLayer(2, filters, 3, G.Activation.ReLU) { Padding = 1 },
            new G.DenseLayer(2, G.Activation.Softmax),
        }, G.LossFunction.CrossEntropy, System.Enum.Parse<G.Precision>(precision), null);
        NetworkPlan plan = Planner.Plan(topology);
        Assert.Equal((2L * 784 + 900 + 784 * filters + 16) * 64, Planner.LanesBytes(topology));
        Assert.Equal(expected, plan.BatchForward.ToString());
        Assert.Equal(expected == "Lanes", plan[1].Owns("_lanes1") && plan[1].Owns("_lanesPad1") && plan[2].Owns("_lanes2"));
        Assert.Equal(expected == "Lanes" ? (LanesKernel.Conv, 2, 10) : (LanesKernel.None, 0, 0), (plan[1].Lanes, plan[1].LanesMaps, plan[1].LanesRun));
    }

    /// <summary>The lanes kernel's record of 16 samples is the runtime's SampleLanes block and the length BackwardBatch flushes at.</summary>
    [Fact]
    public void LanesRecordsAreTheRuntimesBlockAndTheFlushLength()
    {
        Assert.Equal(global::NetCompiler.SampleLanes.Count, Planner.SampleLanesCount);
        Assert.Equal(generator::NetCompiler.Generator.Plan.Tuning.DeferredSamples, Planner.SampleLanesCount);
    }

    [Fact]
    public void LeNetLayersGetTheirConvolutionAndPoolingKernels()
    {
        var topology = new G.NetworkTopology(new G.TensorShape(new[] { 1, 28, 28 }), new G.LayerSpec[]
        {
            new G.ConvLayer(2, 6, 5, G.Activation.Tanh) { Padding = 2 },
            new G.PoolLayer(G.LayerKind.AvgPool, 2, G.Activation.Tanh, true),
            new G.ConvLayer(2, 16, 5, G.Activation.Tanh),
            new G.PoolLayer(G.LayerKind.MaxPool, 2, G.Activation.Identity, false),
            new G.ConvLayer(2, 120, 5, G.Activation.Tanh),
            new G.DenseLayer(10, G.Activation.Softmax),
        }, G.LossFunction.CrossEntropy, G.Precision.Single, null);
        NetworkPlan plan = Planner.Plan(topology);
        Assert.False(plan.IsChain);
        Assert.Equal(BatchForwardKind.Lanes, plan.BatchForward); // 10,624 elements of lanes buffers × 64 bytes, under 1 MB
        Assert.Equal((LanesKernel.Conv, 2, 10), (plan[1].Lanes, plan[1].LanesMaps, plan[1].LanesRun)); // rows of 28 in runs of 10, 10, 8
        Assert.True(plan[1].Owns("_lanesPad1"));
        Assert.Equal(LanesKernel.AvgPool, plan[2].Lanes);
        Assert.Equal((LanesKernel.Conv, 2, 10), (plan[3].Lanes, plan[3].LanesMaps, plan[3].LanesRun)); // a row of 10 in one run
        Assert.False(plan[3].Owns("_lanesPad3"));
        Assert.Equal(LanesKernel.MaxPool, plan[4].Lanes);
        Assert.Equal((LanesKernel.ConvAsDense, 8), (plan[5].Lanes, plan[5].LanesMaps));
        Assert.Equal(LanesKernel.Dense, plan[6].Lanes);
        Assert.Equal(10_624L * 64, Planner.LanesBytes(topology));
        // BackwardBatch in lanes clears only x̂², which C3 scatters into; every other layer's one consumer stores its x̂.
        Assert.Equal(new[] { true, false, true, true, true, false }, plan.Layers.Select(layer => layer.LanesSensitivityStored).ToArray()); // 2 × 784 + 4,704 + 1,024 + 1,184 + 1,600 + 400 + 128 + 16: each x in whole blocks of 16

        Assert.Equal(ForwardKernel.ConvFlat, plan[1].Forward);
        Assert.Equal(ConvInputSensitivity.None, plan[1].InputSensitivity); // it reads the input
        Assert.True(plan[1].Owns("_pad1"));
        Assert.True(plan[1].ConvFusesActivation);

        Assert.Equal(ForwardKernel.AvgPoolPairs, plan[2].Forward); // 14-wide output rows hold a vector
        Assert.True(plan[2].Owns("_mean2"));

        Assert.Equal(ForwardKernel.ConvFlat, plan[3].Forward);
        Assert.Equal(ConvInputSensitivity.Rows, plan[3].InputSensitivity); // stride 1, no padding, 14-wide source rows (one Vector512)
        Assert.True(plan[3].Owns("_uHatRows3"));
        Assert.False(plan[3].Owns("_uHatPad3"));
        Assert.Equal(2, plan[2].SensitivitySlack); // x̂²'s last row is written as 16 lanes
        Assert.True(plan[3].Owns("_flat3")); // 10-wide outputs at the source's 14-wide stride

        Assert.Equal(ForwardKernel.MaxPoolWindows, plan[4].Forward);
        Assert.Equal(BackwardKernel.MaxPoolArgmax, plan[4].Backward);
        Assert.True(plan[4].Owns("_argmax4"));

        Assert.Equal(ForwardKernel.ConvAsDense, plan[5].Forward); // 5×5 over a 5×5 input: a dense layer
        Assert.Equal(BackwardKernel.GraphDense, plan[5].Backward);
        Assert.Equal(ForwardKernel.GraphDense, plan[6].Forward);
    }

    [Fact]
    public void APlanIsAValue()
    {
        NetworkPlan a = Chain(17, G.LossFunction.CrossEntropy, (9, G.Activation.ReLU), (3, G.Activation.Softmax));
        NetworkPlan b = Chain(17, G.LossFunction.CrossEntropy, (9, G.Activation.ReLU), (3, G.Activation.Softmax));
        NetworkPlan c = Chain(17, G.LossFunction.CrossEntropy, (9, G.Activation.Tanh), (3, G.Activation.Softmax));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(a, c); // the activation does not change a kernel
        Assert.NotEqual(a, Chain(17, null, (9, G.Activation.ReLU), (3, G.Activation.Softmax)));
    }

    [Fact]
    public void DescribeNamesEachLayersKernels()
    {
        NetworkPlan plan = Chain(784, G.LossFunction.CrossEntropy, (128, G.Activation.ReLU), (10, G.Activation.Softmax));
        string[] lines = plan.Describe().ToArray();
        Assert.Equal("layer 1: streamed rows (Vector512 | Vector256 fallback); backward streamed rows (Vector512 | Vector256 fallback); " +
                     "batched tiles (Vector512 | Vector256 fallback), batched backward tiles (Vector512 | Vector256 fallback)",
                     lines.Single(line => line.StartsWith("layer 1:")));
        Assert.StartsWith("layer 2: streamed rows (Vector512 | Vector256 fallback); backward column blocks;", lines.Single(line => line.StartsWith("layer 2:")));
        Assert.Contains(lines, line => line.StartsWith("TrainStep: Backward with the SGD step folded in"));
    }
}
