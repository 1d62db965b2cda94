using System;
using System.Collections.Generic;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests;

/// <summary>
/// The interpreter on graphs, convolutions and pooling: back-propagated gradients against central differences (double,
/// every parameter, worst relative error ≤ 1e-6), and forward passes against naive loops written from the formulas.
/// </summary>
public class InterpretedGraphTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-6;

    private static ConvLayer Conv1D(int filters, int kernel, Activation f, int stride = 1, int padding = 0, string? name = null, string[]? from = null) =>
        new(1, filters, kernel, f) { Stride = stride, Padding = padding, Name = name, From = from };

    private static ConvLayer Conv2D(int filters, int kernel, Activation f, int stride = 1, int padding = 0, string? name = null, string[]? from = null, string[]? table = null) =>
        new(2, filters, kernel, f) { Stride = stride, Padding = padding, Name = name, From = from, Connections = table };

    private static PoolLayer Avg(int size, int stride = 0, Activation f = Activation.Identity, bool trainable = false) =>
        new(LayerKind.AvgPool, size, f, trainable) { Stride = stride };

    private static PoolLayer Max(int size, int stride = 0) => new(LayerKind.MaxPool, size) { Stride = stride };

    private static DenseLayer Dense(int units, Activation f, string? name = null, string[]? from = null) => new(units, f) { Name = name, From = from };

    /// <summary>The output layer for a loss: Softmax over 4 classes for cross-entropy, 3 tanh units for squared error.</summary>
    private static DenseLayer Out(LossFunction loss, string[]? from = null) =>
        loss == LossFunction.CrossEntropy ? Dense(4, Activation.Softmax, "out", from) : Dense(3, Activation.Tanh, "out", from);

    private static Activation OutActivation(LossFunction loss) => loss == LossFunction.CrossEntropy ? Activation.Softmax : Activation.Identity;

    private static NetworkTopology Net(LossFunction loss, TensorShape input, params LayerSpec[] layers) => new(input, layers, loss, Precision.Double);

    /// <summary>Every construct, each behind a layer with parameters so that its input sensitivities are checked too.</summary>
    private static readonly Dictionary<string, Func<LossFunction, NetworkTopology>> Cases = new()
    {
        ["Conv1D stride 1, padding 0 then 1"] = loss => Net(loss, new(2, 11),
            Conv1D(3, 3, Activation.Tanh), Conv1D(2, 3, Activation.Tanh, padding: 1), Out(loss)),
        ["Conv1D stride 2, padding 1"] = loss => Net(loss, new(2, 11),
            Conv1D(3, 3, Activation.Tanh, stride: 2, padding: 1), Conv1D(2, 2, Activation.Sigmoid, stride: 2), Out(loss)),
        ["Conv2D 7×5, stride 1, padding 0 then 1"] = loss => Net(loss, new(2, 7, 5),
            Conv2D(3, 3, Activation.Tanh), Conv2D(2, 3, Activation.Tanh, padding: 1), Out(loss)),
        ["Conv2D 7×5, stride 2, padding 1 then 2"] = loss => Net(loss, new(2, 7, 5),
            Conv2D(3, 3, Activation.Tanh, stride: 2, padding: 1), Conv2D(2, 2, Activation.Tanh, padding: 2), Out(loss)),
        ["Conv2D 9×7, stride 2, padding 2"] = loss => Net(loss, new(1, 9, 7),
            Conv2D(3, 3, Activation.Tanh, stride: 2, padding: 2), Conv2D(2, 3, Activation.Sigmoid), Out(loss)),
        ["Conv2D connection table"] = loss => Net(loss, new(3, 6, 6),
            Conv2D(4, 3, Activation.Tanh, padding: 1),
            Conv2D(5, 3, Activation.Tanh, stride: 1, table: ["XX..", "..XX", "X.X.", "XXXX", ".X.."]), Out(loss)),
        ["Conv2D output layer"] = loss => Net(loss, new(2, 7, 5),
            Conv2D(3, 3, Activation.Tanh, padding: 1), Conv2D(2, 3, OutActivation(loss), stride: 2)),
        ["AvgPool 1-D, size 3 stride 2"] = loss => Net(loss, new(2, 9),
            Conv1D(3, 3, Activation.Tanh, padding: 1), Avg(3, stride: 2), Out(loss)),
        ["AvgPool 2-D 7×5, size 3 stride 2"] = loss => Net(loss, new(2, 7, 5),
            Conv2D(3, 3, Activation.Tanh, padding: 1), Avg(3, stride: 2), Out(loss)),
        ["AvgPool 2-D, size 2 stride 1, Tanh"] = loss => Net(loss, new(2, 5, 4),
            Conv2D(3, 2, Activation.Identity, padding: 1), Avg(2, stride: 1, f: Activation.Tanh), Out(loss)),
        ["trainable AvgPool 2-D, Sigmoid"] = loss => Net(loss, new(2, 8, 6),
            Conv2D(3, 3, Activation.Tanh, padding: 1), Avg(2, f: Activation.Sigmoid, trainable: true), Out(loss)),
        ["trainable AvgPool 1-D, size 3 stride 2, Tanh"] = loss => Net(loss, new(2, 9),
            Conv1D(3, 3, Activation.Identity, padding: 1), Avg(3, stride: 2, f: Activation.Tanh, trainable: true), Out(loss)),
        ["MaxPool 1-D, size 3 stride 2"] = loss => Net(loss, new(2, 9),
            Conv1D(3, 3, Activation.Tanh, padding: 1), Max(3, stride: 2), Out(loss)),
        ["MaxPool 2-D 7×5, size 3 stride 2"] = loss => Net(loss, new(2, 7, 5),
            Conv2D(3, 3, Activation.Tanh, padding: 1), Max(3, stride: 2), Out(loss)),
        ["MaxPool 2-D, size 2"] = loss => Net(loss, new(1, 8, 6),
            Conv2D(3, 3, Activation.Tanh, padding: 1), Max(2), Conv2D(2, 2, Activation.Tanh), Out(loss)),
        ["Add with Tanh"] = loss => Net(loss, new(6),
            Dense(5, Activation.Tanh, "a"), Dense(5, Activation.Sigmoid, "b", ["input"]),
            new JoinLayer(LayerKind.Add, ["a", "b"], Activation.Tanh), Out(loss)),
        ["Add of feature maps, output with Softmax or identity"] = loss => Net(loss, new(2, 5, 5),
            Conv2D(2, 3, Activation.Tanh, padding: 1, name: "p"), Conv2D(2, 3, Activation.Tanh, padding: 1, name: "q"),
            Conv2D(2, 1, Activation.Identity, name: "r", from: ["p"]),
            new JoinLayer(LayerKind.Add, ["q", "r", "p"], OutActivation(loss))),
        ["Concat of features"] = loss => Net(loss, new(5),
            Dense(4, Activation.Tanh, "a"), Dense(3, Activation.Tanh, "b"),
            new JoinLayer(LayerKind.Concat, ["b", "a"]), Out(loss)),
        ["Concat of channels"] = loss => Net(loss, new(2, 6, 5),
            Conv2D(3, 3, Activation.Tanh, padding: 1, name: "c1"), Conv2D(2, 3, Activation.Tanh, padding: 1, name: "c2"),
            new JoinLayer(LayerKind.Concat, ["c1", "c2"]), Conv2D(2, 3, Activation.Tanh), Out(loss)),
        ["Concat of 1-D channels with the input"] = loss => Net(loss, new(2, 7),
            Conv1D(3, 3, Activation.Tanh, padding: 1, name: "c"), new JoinLayer(LayerKind.Concat, ["input", "c"]),
            Conv1D(2, 3, Activation.Tanh), Out(loss)),
        ["Dense with two sources, one 2-D"] = loss => Net(loss, new(2, 5, 4),
            Conv2D(3, 3, Activation.Tanh, name: "c"), Dense(4, Activation.Tanh, "h"), Out(loss, ["h", "c"])),
        ["residual with fan-out"] = loss => Net(loss, new(5),
            Dense(6, Activation.Tanh, "h"), Dense(6, Activation.Tanh, "g"),
            new JoinLayer(LayerKind.Add, ["h", "g"]) { Name = "r" }, Out(loss, ["r", "h"])),
        ["declared out of order"] = loss => new NetworkTopology(new TensorShape(4),
            [Out(loss, ["h2"]), Dense(5, Activation.Tanh, "h2", ["h1"]), Dense(5, Activation.Tanh, "h1", ["input"])],
            loss, Precision.Double, "out"),
        ["LeNet-5 structure on 20×20"] = Graphs.LeNetSmall,
    };

    public static TheoryData<string, LossFunction> CaseNames()
    {
        var data = new TheoryData<string, LossFunction>();
        foreach (string name in Cases.Keys)
        {
            data.Add(name, LossFunction.SquaredError);
            data.Add(name, LossFunction.CrossEntropy);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void GradientsAgreeWithFiniteDifferences(string name, LossFunction loss)
    {
        NetworkTopology topology = Cases[name](loss);
        var network = new InterpretedNetwork<double>(topology);
        double worst = 0;
        for (int sample = 0; sample < 2; sample++)
        {
            Graphs.RandomParameters(topology, 10 + sample).CopyTo(network.Parameters);
            double[] x = Graphs.RandomInput(topology, sample), d = Graphs.RandomTarget(topology, sample);
            AssertAwayFromTies(network, x);
            GradientCheckResult result = GradientChecker.Check<double>(network, x, d);
            Assert.Equal(topology.ParameterCount, result.CheckedCount);
            Assert.True(result.WorstRelativeError <= Tolerance, $"{name}, {loss}, sample {sample}: {result}");
            worst = Math.Max(worst, result.WorstRelativeError);
        }
        output.WriteLine($"{name}, {loss}: {topology.ParameterCount} parameters, worst relative error {worst:G2}");
    }

    [Fact]
    public void LeNet5GradientsAgreeWithFiniteDifferences()
    {
        // Full size: 60,850 parameters, so a random sample of them (every layer is covered by LeNetSmall in full).
        NetworkTopology topology = Graphs.LeNet5(LossFunction.CrossEntropy, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        Graphs.RandomParameters(topology, 5).CopyTo(network.Parameters);
        GradientCheckResult result = GradientChecker.Check<double>(network, Graphs.RandomInput(topology, 1), Graphs.RandomTarget(topology, 1),
            new GradientCheckOptions { SampleCount = 400, Seed = 3 });
        Assert.True(result.WorstRelativeError <= Tolerance, $"LeNet-5: {result}");
        output.WriteLine($"LeNet-5, 400 of 60,850 parameters: {result}");
    }

    /// <summary>
    /// A central difference only measures the max-pooling gradient if no step of ε changes which element is the maximum:
    /// every window's largest value must exceed the runner-up by more than a step moves them. In these cases pooling
    /// reads a convolution of the input (|x| ≤ 1), so a step of ε = 3e-5 in one weight moves each pooled value by at
    /// most 3e-5, and two of them apart by at most 6e-5.
    /// </summary>
    private static void AssertAwayFromTies(InterpretedNetwork<double> network, double[] x)
    {
        network.Forward(x, new double[network.OutputSize]);
        foreach (LayerShape layer in network.Topology.Layers)
        {
            if (layer.Kind != LayerKind.MaxPool) continue;
            double gap = double.PositiveInfinity;
            ForEachWindow(layer, (c, y, xo, cells) =>
            {
                double best = double.NegativeInfinity, second = double.NegativeInfinity;
                foreach (int at in cells)
                {
                    double v = network.Activities(layer.Sources[0])[at];
                    if (v > best) { second = best; best = v; } else if (v > second) second = v;
                }
                gap = Math.Min(gap, best - second);
            });
            Assert.True(gap > 2e-4, $"Max-pooling layer {layer.Number} has a window whose two largest values differ by only {gap:G3}; choose another seed.");
        }
    }

    /// <summary>Calls <paramref name="visit"/>(channel, y, x, indices into the source) for every pooling window in row-major order.</summary>
    private static void ForEachWindow(LayerShape layer, Action<int, int, int, List<int>> visit)
    {
        TensorShape s = layer.SourceShapes[0];
        bool twoD = s.Rank == 3;
        int size = layer.PoolSize, stride = layer.Stride;
        for (int c = 0; c < layer.Shape.Channels; c++)
            for (int y = 0; y < layer.Shape.Height; y++)
                for (int x = 0; x < layer.Shape.Width; x++)
                {
                    var cells = new List<int>();
                    for (int ky = 0; ky < (twoD ? size : 1); ky++)
                        for (int kx = 0; kx < size; kx++)
                            cells.Add((c * s.Height + (twoD ? y * stride + ky : 0)) * s.Width + x * stride + kx);
                    visit(c, y, x, cells);
                }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Forward passes against naive loops written straight from the formulas.

    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(2, 1, false)]
    [InlineData(2, 2, true)]
    [InlineData(1, 1, true)]
    public void Conv2DForwardMatchesTheFormula(int stride, int padding, bool table)
    {
        // 3 input channels of 7×5, 4 filters of 3×3.
        string[]? connections = table ? ["X.X", ".XX", "XXX", "X.."] : null;
        var topology = new NetworkTopology(new TensorShape(3, 7, 5),
            [Conv2D(4, 3, Activation.Tanh, stride, padding, table: connections)], LossFunction.SquaredError, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] theta = Graphs.RandomParameters(topology, 4);
        theta.CopyTo(network.Parameters);
        double[] x = Graphs.RandomInput(topology, 2);
        network.Forward(x, new double[topology.OutputSize]);

        LayerShape layer = topology.Layers[0];
        int outH = (7 + 2 * padding - 3) / stride + 1, outW = (5 + 2 * padding - 3) / stride + 1;
        Assert.Equal(new TensorShape(4, outH, outW), layer.Shape);
        var expected = new double[4 * outH * outW];
        int w = 0; // weights in storage order: filter by filter, connected channels only, each 3×3 row-major
        var kernelAt = new int[4, 3];
        for (int o = 0; o < 4; o++)
            for (int i = 0; i < 3; i++)
            {
                kernelAt[o, i] = connections is null || connections[o][i] == 'X' ? w : -1;
                if (kernelAt[o, i] >= 0) w += 9;
            }
        Assert.Equal(w, layer.WeightCount);
        for (int o = 0; o < 4; o++)
            for (int y = 0; y < outH; y++)
                for (int xo = 0; xo < outW; xo++)
                {
                    double u = theta[w + o];
                    for (int i = 0; i < 3; i++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = y * stride + ky - padding, ix = xo * stride + kx - padding;
                                if (kernelAt[o, i] < 0 || iy < 0 || iy >= 7 || ix < 0 || ix >= 5) continue;
                                u += theta[kernelAt[o, i] + ky * 3 + kx] * x[(i * 7 + iy) * 5 + ix];
                            }
                    expected[(o * outH + y) * outW + xo] = Math.Tanh(u);
                }
        NumericAssert.Close<double>(expected, network.Activities(1), 1e-14, "Conv2D forward");
    }

    [Fact]
    public void Conv1DForwardMatchesTheFormula()
    {
        var topology = new NetworkTopology(new TensorShape(2, 12), [Conv1D(3, 4, Activation.Identity, stride: 3, padding: 2)], LossFunction.SquaredError, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] theta = Graphs.RandomParameters(topology, 8);
        theta.CopyTo(network.Parameters);
        double[] x = Graphs.RandomInput(topology, 3);
        network.Forward(x, new double[topology.OutputSize]);
        int outW = (12 + 4 - 4) / 3 + 1;
        Assert.Equal(new TensorShape(3, outW), topology.Layers[0].Shape);
        var expected = new double[3 * outW];
        for (int o = 0; o < 3; o++)
            for (int p = 0; p < outW; p++)
            {
                double u = theta[24 + o];
                for (int i = 0; i < 2; i++)
                    for (int k = 0; k < 4; k++)
                    {
                        int at = p * 3 + k - 2;
                        if (at >= 0 && at < 12) u += theta[(o * 2 + i) * 4 + k] * x[i * 12 + at];
                    }
                expected[o * outW + p] = u;
            }
        NumericAssert.Close<double>(expected, network.Activities(1), 1e-14, "Conv1D forward");
    }

    [Theory]
    [InlineData(LayerKind.MaxPool, 3, 2, false)]
    [InlineData(LayerKind.MaxPool, 2, 0, false)]
    [InlineData(LayerKind.AvgPool, 3, 2, false)]
    [InlineData(LayerKind.AvgPool, 2, 1, true)]
    [InlineData(LayerKind.MaxPool, 3, 2, true)]
    [InlineData(LayerKind.AvgPool, 3, 2, true)]
    public void PoolingForwardMatchesTheFormula(LayerKind kind, int size, int stride, bool oneD)
    {
        // 2-D: 3 channels of 7×5 (size 2 without stride tiles 6×4 instead); 1-D: 3 channels of length 9 (8 for size 2).
        bool trainable = kind == LayerKind.AvgPool && stride == 2;
        Activation f = trainable ? Activation.Sigmoid : Activation.Identity;
        int h = oneD ? 1 : size == 2 && stride == 0 ? 6 : 7, w = oneD ? (size == 2 ? 8 : 9) : size == 2 && stride == 0 ? 4 : 5;
        TensorShape inputShape = oneD ? new TensorShape(3, w) : new TensorShape(3, h, w);
        var pool = new PoolLayer(kind, size, f, trainable) { Stride = stride };
        var topology = new NetworkTopology(inputShape, [pool], LossFunction.SquaredError, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] theta = Graphs.RandomParameters(topology, 6);
        theta.CopyTo(network.Parameters);
        double[] x = Graphs.RandomInput(topology, 5);
        network.Forward(x, new double[topology.OutputSize]);

        int s = stride == 0 ? size : stride, kh = oneD ? 1 : size;
        int outH = oneD ? 1 : (h - size) / s + 1, outW = (w - size) / s + 1;
        Assert.Equal(oneD ? new TensorShape(3, outW) : new TensorShape(3, outH, outW), topology.Layers[0].Shape);
        var expected = new double[3 * outH * outW];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < outH; y++)
                for (int xo = 0; xo < outW; xo++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < size; kx++)
                        {
                            double v = x[(c * h + y * s + ky) * w + xo * s + kx];
                            max = Math.Max(max, v);
                            sum += v;
                        }
                    double mean = sum / (kh * size);
                    double value = kind == LayerKind.MaxPool ? max
                        : trainable ? 1 / (1 + Math.Exp(-(theta[c] * mean + theta[3 + c]))) : mean;
                    expected[(c * outH + y) * outW + xo] = value;
                }
        NumericAssert.Close<double>(expected, network.Activities(1), 1e-14, $"{kind} forward");
    }

    [Fact]
    public void MaxPoolSendsTheSensitivityToTheFirstMaximum()
    {
        // An identity 1×1 convolution passes the input through, so x̂ of its output shows where the pooling routed û.
        var topology = new NetworkTopology(new TensorShape(1, 2, 4),
            [Conv2D(1, 1, Activation.Identity), Max(2), Dense(1, Activation.Identity)], LossFunction.SquaredError, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] theta = [1, 0, /* pool: none */ 1, 1, 0]; // w = 1, b = 0; dense W = [1, 1], b = 0
        theta.CopyTo(network.Parameters);
        // Window 0 ([0,0], [0,1], [1,0], [1,1]) = 3, 5, 5, 1: the first 5 wins. Window 1 = 2, 2, 2, 2: the first wins.
        double[] x = [3, 5, 2, 2, 5, 1, 2, 2];
        var y = new double[1];
        network.Forward(x, y);
        Assert.Equal(7, y[0]);
        network.Backward([8]); // x̂ of the pooled values = d − y = 1 for both
        Assert.Equal([0, 1, 1, 0, 0, 0, 0, 0], network.Sensitivities(1).ToArray());
        Assert.Equal([1, 1], network.Sensitivities(2).ToArray());
    }

    [Fact]
    public void OutputLayerNeedNotBeDeclaredLast()
    {
        var topology = new NetworkTopology(new TensorShape(3),
            [Dense(2, Activation.Identity, "out", ["h"]), Dense(4, Activation.Tanh, "h", ["input"])], LossFunction.SquaredError, Precision.Double, "out");
        Assert.Equal([2, 1], topology.ExecutionOrder);
        var network = new InterpretedNetwork<double>(topology);
        double[] x = [0.1, -0.4, 0.7];
        var y = new double[2];
        network.Forward(x, y);
        Assert.Equal(network.Activities(1).ToArray(), y);
        Assert.Equal(4, network.Activities(2).Length);
    }

    [Fact]
    public void InitialisationFollowsPyTorchFans()
    {
        // LeNet-5: every weight within its Glorot bound √(6/(fan_in + fan_out)) and the largest of each layer close to
        // it; biases 0; pooling coefficients 1. With the C3 table each kernel has its own fans.
        NetworkTopology topology = Graphs.LeNet5();
        var theta = new double[topology.ParameterCount];
        ParameterInitializer.Initialize<double>(topology, theta, 0);
        var again = new double[topology.ParameterCount];
        ParameterInitializer.Initialize<double>(topology, again, 0);
        Assert.Equal(theta, again);

        void AssertUniform(int offset, int count, double bound, string what)
        {
            double largest = 0;
            for (int k = offset; k < offset + count; k++) largest = Math.Max(largest, Math.Abs(theta[k]));
            Assert.True(largest <= bound && largest > 0.8 * bound, $"{what}: largest |w| {largest:G4}, bound {bound:G4}");
        }
        LayerShape c1 = topology.Layers[0], s2 = topology.Layers[1], c3 = topology.Layers[2], c5 = topology.Layers[4], f6 = topology.Layers[5];
        AssertUniform(c1.WeightOffset, c1.WeightCount, Math.Sqrt(6.0 / (1 * 25 + 6 * 25)), "C1");
        AssertUniform(c5.WeightOffset, c5.WeightCount, Math.Sqrt(6.0 / (16 * 25 + 120 * 25)), "C5");
        AssertUniform(f6.WeightOffset, f6.WeightCount, Math.Sqrt(6.0 / (120 + 84)), "F6");
        // C3 filter 15 reads all 6 maps (fan_in 150); map 0 is read by filters 0, 4, 5, 6, 9, 10, 11, 12, 14, 15 (fan_out 250).
        AssertUniform(c3.KernelOffset(15, 0), 25, Math.Sqrt(6.0 / (150 + 250)), "C3 kernel [15, 0]");
        // Filter 0 reads maps 0, 1, 2 (fan_in 75); map 2 is read by 0, 1, 2, 6, 7, 8, 11, 13, 14, 15 (fan_out 250).
        AssertUniform(c3.KernelOffset(0, 2), 25, Math.Sqrt(6.0 / (75 + 250)), "C3 kernel [0, 2]");
        Assert.All(theta.AsSpan(s2.WeightOffset, 6).ToArray(), c => Assert.Equal(1.0, c));
        foreach (LayerShape layer in topology.Layers)
            Assert.All(theta.AsSpan(layer.BiasOffset, layer.BiasCount).ToArray(), b => Assert.Equal(0.0, b));

        // He for ReLU: √(6/fan_in) with fan_in = channels·k² = 2·9.
        var relu = new NetworkTopology(new TensorShape(2, 12, 12), [Conv2D(64, 3, Activation.ReLU), Dense(2, Activation.Identity)]);
        var heTheta = new double[relu.ParameterCount];
        ParameterInitializer.Initialize<double>(relu, heTheta, 1);
        theta = heTheta;
        AssertUniform(0, 64 * 18, Math.Sqrt(6.0 / 18), "He conv");
        // Dense with a 2-D source: fan_in = all 64·10·10 inputs.
        AssertUniform(relu.Layers[1].WeightOffset, relu.Layers[1].WeightCount, Math.Sqrt(6.0 / (6400 + 2)), "dense after conv");
    }
}
