// Generated graph, convolution and pooling networks, each in float and double, for GraphNetworkTests: every
// construct of the general emitter path, widths around the 4- and 8-lane boundaries, and LeNet-5.
using System;
using System.Collections.Generic;

namespace NetCompiler.Tests.Generated;

/// <summary>Conv1D at stride 1 with padding and at stride 2, rows of 100 (chunk loops), 1-D MaxPool with stride ≠ size, 1-D AvgPool.</summary>
[Network, Input(2, 100)]
[Conv1D(4, 3, Activation.Tanh, Padding = 1)]          // [4, 100]
[Conv1D(3, 4, Activation.ReLU, Stride = 2)]           // [3, 49]
[MaxPool(3, Stride = 2)]                              // [3, 24]
[AvgPool(2)]                                          // [3, 12]
[Dense(4, Activation.Sigmoid)]
[Loss(LossFunction.SquaredError)]
public partial class Conv1DNet { }

[Network(Precision = Precision.Double), Input(2, 100)]
[Conv1D(4, 3, Activation.Tanh, Padding = 1)]
[Conv1D(3, 4, Activation.ReLU, Stride = 2)]
[MaxPool(3, Stride = 2)]
[AvgPool(2)]
[Dense(4, Activation.Sigmoid)]
[Loss(LossFunction.SquaredError)]
public partial class Conv1DNetDouble { }

/// <summary>Conv2D on odd sizes: padding 2 (rows of 11), padding 0 (rows of 7 and 9), stride 2 with padding 1; softmax output.</summary>
[Network, Input(2, 7, 9)]
[Conv2D(3, 3, Activation.Tanh, Padding = 2)]          // [3, 9, 11]
[Conv2D(2, 3, Activation.LeakyReLU)]                  // [2, 7, 9]
[Conv2D(2, 3, Activation.Tanh, Stride = 2, Padding = 1)] // [2, 4, 5]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class Conv2DOddNet { }

[Network(Precision = Precision.Double), Input(2, 7, 9)]
[Conv2D(3, 3, Activation.Tanh, Padding = 2)]
[Conv2D(2, 3, Activation.LeakyReLU)]
[Conv2D(2, 3, Activation.Tanh, Stride = 2, Padding = 1)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class Conv2DOddNetDouble { }

/// <summary>Rows wider than two vectors (20, 22), kernel 5 with padding 2, a 2-D MaxPool with stride 1, a Conv2D output layer.</summary>
[Network, Input(1, 5, 20)]
[Conv2D(2, 3, Activation.Tanh, Padding = 2)]          // [2, 7, 22]
[Conv2D(2, 5, Activation.Sigmoid, Padding = 1)]       // [2, 5, 20]
[MaxPool(2, Stride = 1)]                              // [2, 4, 19]
[Conv2D(2, 3, Activation.Identity)]                   // [2, 2, 17]
[Loss(LossFunction.SquaredError)]
public partial class WideConvNet { }

[Network(Precision = Precision.Double), Input(1, 5, 20)]
[Conv2D(2, 3, Activation.Tanh, Padding = 2)]
[Conv2D(2, 5, Activation.Sigmoid, Padding = 1)]
[MaxPool(2, Stride = 1)]
[Conv2D(2, 3, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class WideConvNetDouble { }

/// <summary>A connection table (rows of 6: scalar in float, vectors in double), trainable AvgPool with Tanh, plain 2-D AvgPool.</summary>
[Network, Input(3, 8, 8)]
[Conv2D(4, 3, Activation.Tanh, Connections = new[] { "XX.", ".XX", "X.X", "XXX" })] // [4, 6, 6]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]                          // [4, 3, 3]
[Conv2D(3, 2, Activation.Sigmoid, Padding = 1, Connections = new[] { "X..X", ".XX.", "XXXX" })] // [3, 4, 4]
[AvgPool(2)]                                                                          // [3, 2, 2]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class TableNet { }

[Network(Precision = Precision.Double), Input(3, 8, 8)]
[Conv2D(4, 3, Activation.Tanh, Connections = new[] { "XX.", ".XX", "X.X", "XXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(3, 2, Activation.Sigmoid, Padding = 1, Connections = new[] { "X..X", ".XX.", "XXXX" })]
[AvgPool(2)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class TableNetDouble { }

/// <summary>Add with ReLU, Concat of channels (one source the input) and of features, a dense layer reading a 3-D source.</summary>
[Network, Input(2, 6, 6)]
[Conv2D(3, 3, Activation.Identity, Padding = 1, Name = "a")]           // [3, 6, 6]
[Conv2D(3, 3, Activation.Tanh, Padding = 1, Name = "b")]               // [3, 6, 6] from a
[Add(Activation = Activation.ReLU, Name = "sum", From = new[] { "a", "b" })]
[Concat(Name = "cat", From = new[] { "sum", "input" })]                // [5, 6, 6]
[AvgPool(2, Name = "pool")]                                            // [5, 3, 3]
[Dense(6, Activation.Tanh, Name = "d1")]
[Dense(4, Activation.Tanh, Name = "d2", From = new[] { "cat" })]
[Concat(Name = "features", From = new[] { "d1", "d2" })]               // [10]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class JoinNet { }

[Network(Precision = Precision.Double), Input(2, 6, 6)]
[Conv2D(3, 3, Activation.Identity, Padding = 1, Name = "a")]
[Conv2D(3, 3, Activation.Tanh, Padding = 1, Name = "b")]
[Add(Activation = Activation.ReLU, Name = "sum", From = new[] { "a", "b" })]
[Concat(Name = "cat", From = new[] { "sum", "input" })]
[AvgPool(2, Name = "pool")]
[Dense(6, Activation.Tanh, Name = "d1")]
[Dense(4, Activation.Tanh, Name = "d2", From = new[] { "cat" })]
[Concat(Name = "features", From = new[] { "d1", "d2" })]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class JoinNetDouble { }

/// <summary>A dense layer with two sources, one of them the 2-D input (10 values: a vector and a tail) and one narrower than a float vector.</summary>
[Network, Input(2, 5)]
[Dense(6, Activation.Tanh, Name = "h")]
[Dense(3, Activation.Sigmoid, From = new[] { "h", "input" })]
[Loss(LossFunction.SquaredError)]
public partial class TwoSourceNet { }

[Network(Precision = Precision.Double), Input(2, 5)]
[Dense(6, Activation.Tanh, Name = "h")]
[Dense(3, Activation.Sigmoid, From = new[] { "h", "input" })]
[Loss(LossFunction.SquaredError)]
public partial class TwoSourceNetDouble { }

/// <summary>A residual graph declared out of order: the output is declared first and reads forward; h fans out to g, r and out.</summary>
[Network(Output = "out"), Input(12)]
[Dense(10, Activation.Softmax, Name = "out", From = new[] { "r", "h" })]
[Dense(16, Activation.Tanh, Name = "h", From = new[] { "input" })]
[Dense(16, Activation.ReLU, Name = "g")]
[Add(Activation = Activation.Tanh, Name = "r", From = new[] { "h", "g" })]
[Loss(LossFunction.CrossEntropy)]
public partial class ResidualNet { }

[Network(Precision = Precision.Double, Output = "out"), Input(12)]
[Dense(10, Activation.Softmax, Name = "out", From = new[] { "r", "h" })]
[Dense(16, Activation.Tanh, Name = "h", From = new[] { "input" })]
[Dense(16, Activation.ReLU, Name = "g")]
[Add(Activation = Activation.Tanh, Name = "r", From = new[] { "h", "g" })]
[Loss(LossFunction.CrossEntropy)]
public partial class ResidualNetDouble { }

/// <summary>The issue's example network.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2)]
[Conv2D(16, 5, Activation.Tanh)]
[MaxPool(2)]
[Dense(120, Activation.Tanh, Name = "h")]
[Dense(120, Activation.Tanh, Name = "g")]
[Add(Name = "r", From = new[] { "h", "g" })]
[Dense(10, Activation.Softmax, From = new[] { "r", "h" })]
[Loss(LossFunction.CrossEntropy)]
public partial class IssueExample { }

[Network(Precision = Precision.Double)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2)]
[Conv2D(16, 5, Activation.Tanh)]
[MaxPool(2)]
[Dense(120, Activation.Tanh, Name = "h")]
[Dense(120, Activation.Tanh, Name = "g")]
[Add(Name = "r", From = new[] { "h", "g" })]
[Dense(10, Activation.Softmax, From = new[] { "r", "h" })]
[Loss(LossFunction.CrossEntropy)]
public partial class IssueExampleDouble { }

/// <summary>LeNet-5 (LeCun et al. 1998) with C3's connection table: 60,850 parameters.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5 { }

[Network(Precision = Precision.Double)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5Double { }

/// <summary>LeNet-5 with squared error on a tanh output (the original paper's output was a distance, not a softmax).</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class LeNet5SquaredError { }

[Network(Precision = Precision.Double)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class LeNet5SquaredErrorDouble { }

/// <summary>
/// Max pooling a vector of windows at a time (float): ReLU's zeros make ties, where the first element in row-major
/// order must win; 18-wide output rows end in an overlapping vector; a 1-D branch pools single rows.
/// </summary>
[Network, Input(2, 6, 36)]
[Conv2D(4, 3, Activation.ReLU, Padding = 1, Name = "c")]  // [4, 6, 36]
[MaxPool(2, Name = "p")]                                  // [4, 3, 18]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class ReluMaxPoolNet { }

[Network(Precision = Precision.Double), Input(2, 6, 36)]
[Conv2D(4, 3, Activation.ReLU, Padding = 1, Name = "c")]
[MaxPool(2, Name = "p")]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class ReluMaxPoolNetDouble { }

[Network, Input(2, 40)]
[Conv1D(3, 3, Activation.ReLU, Padding = 1)]              // [3, 40]
[MaxPool(2)]                                              // [3, 20]
[Dense(2, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class ReluMaxPool1DNet { }

[Network(Precision = Precision.Double), Input(2, 40)]
[Conv1D(3, 3, Activation.ReLU, Padding = 1)]
[MaxPool(2)]
[Dense(2, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class ReluMaxPool1DNetDouble { }

/// <summary>An inference-only graph: Forward and nothing else.</summary>
[Network, Input(1, 6, 10)]
[Conv2D(2, 3, Activation.ReLU, Name = "c")]
[MaxPool(2)]
[Dense(3, Activation.Identity)]
public partial class InferenceOnlyGraph { }

/// <summary>Padding wider than half the kernel: output rows (8) wider than the source rows (6), so float scatters x̂ with vectors through the padded copy.</summary>
[Network, Input(1, 5, 6)]
[Conv2D(2, 3, Activation.Tanh, Padding = 1)]          // [2, 5, 6]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 2)]       // [2, 7, 8]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class NarrowPaddedNet { }

[Network(Precision = Precision.Double), Input(1, 5, 6)]
[Conv2D(2, 3, Activation.Tanh, Padding = 1)]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 2)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class NarrowPaddedNetDouble { }

/// <summary>Conv1D chains at stride 1: x̂ gathered as a 1-D correlation with the flipped filter.</summary>
[Network, Input(2, 20)]
[Conv1D(3, 3, Activation.Tanh, Padding = 1)]          // [3, 20]
[Conv1D(2, 5, Activation.Tanh, Padding = 2)]          // [2, 20]
[Conv1D(2, 3, Activation.Sigmoid, Padding = 3)]       // [2, 24]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class Conv1DGatherNet { }

[Network(Precision = Precision.Double), Input(2, 20)]
[Conv1D(3, 3, Activation.Tanh, Padding = 1)]
[Conv1D(2, 5, Activation.Tanh, Padding = 2)]
[Conv1D(2, 3, Activation.Sigmoid, Padding = 3)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class Conv1DGatherNetDouble { }

/// <summary>
/// The flat convolution kernel's cases: a 9×9 kernel (its taps in a loop, several passes in Vector256 and one in
/// Vector512), a 1×1 kernel (rows as wide as the source's: no staging), a staged 3×3 on rows of 10 (the last vector
/// overlapping), and 2×2 pooling onto rows of 10 and of 5 (vectors, the last overlapping, in float; scalar below a vector).
/// </summary>
[Network, Input(2, 8, 20)]
[Conv2D(3, 9, Activation.Tanh, Padding = 4)]          // [3, 8, 20]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)] // [3, 4, 10]
[Conv2D(4, 1, Activation.ReLU)]                       // [4, 4, 10]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 1)]       // [2, 4, 10]
[AvgPool(2)]                                          // [2, 2, 5]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FlatConvNet { }

[Network(Precision = Precision.Double), Input(2, 8, 20)]
[Conv2D(3, 9, Activation.Tanh, Padding = 4)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(4, 1, Activation.ReLU)]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 1)]
[AvgPool(2)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FlatConvNetDouble { }

/// <summary>A convolution covering its whole input (a dense layer) of 75 inputs (a masked last chunk) and 11 filters (a remainder block of rows).</summary>
[Network, Input(3, 5, 5)]
[Conv2D(11, 5, Activation.Tanh)]                      // [11, 1, 1]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class DenseConvNet { }

[Network(Precision = Precision.Double), Input(3, 5, 5)]
[Conv2D(11, 5, Activation.Tanh)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class DenseConvNetDouble { }

/// <summary>
/// A dense layer past L1 (50 × 847 weights, 169 KB in float): BackwardBatch defers its g_W (DeferredGradientTests).
/// 847 inputs end in a partial vector in float and in double.
/// </summary>
[Network, Input(1, 13, 13)]
[Conv2D(7, 3, Activation.Tanh)]                       // [7, 11, 11]
[Dense(50, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class DeferredDenseNet { }

[Network(Precision = Precision.Double), Input(1, 13, 13)]
[Conv2D(7, 3, Activation.Tanh)]
[Dense(50, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class DeferredDenseNetDouble { }

/// <summary>
/// x̂ by rows (ConvEmitter.Rows.cs): source rows of exactly 16 (one Vector512 of float, no lanes past a row) under a
/// 4×4 kernel, and rows of 7 (double: one Vector512, two Vector256 with a lane past each row) under a connection table.
/// </summary>
[Network, Input(2, 7, 16)]
[Conv2D(3, 3, Activation.Tanh, Padding = 1)]          // [3, 7, 16]
[Conv2D(4, 4, Activation.Tanh)]                       // [4, 4, 13]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class RowsNet { }

[Network(Precision = Precision.Double), Input(2, 6, 7)]
[Conv2D(3, 3, Activation.Tanh, Padding = 1)]          // [3, 6, 7]
[Conv2D(2, 3, Activation.Tanh, Connections = new[] { "XX.", ".XX" })] // [2, 4, 5]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class RowsNetDouble { }

/// <summary>
/// The widest kernel whose g_w BackwardBatch sums with the samples in lanes (Tuning.LanesKernelWidth = 7: the
/// Vector256 fallback keeps one position of û a pass) over rows of 26 (two runs of 13 on Vector512).
/// </summary>
[Network, Input(2, 9, 30)]
[Conv2D(3, 7, Activation.Tanh, Padding = 1)]          // [3, 5, 26]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class WideKernelNet { }

[Network(Precision = Precision.Double), Input(2, 9, 30)]
[Conv2D(3, 7, Activation.Tanh, Padding = 1)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class WideKernelNetDouble { }

/// <summary>The graph networks by name, in float and double.</summary>
public static class GraphNetworks
{
    public static readonly IReadOnlyDictionary<string, (Func<INetwork<float>> Single, Func<INetwork<double>> Double)> All =
        new Dictionary<string, (Func<INetwork<float>>, Func<INetwork<double>>)>
        {
            ["Conv1D"] = (() => new Conv1DNet(), () => new Conv1DNetDouble()),
            ["Conv1DGather"] = (() => new Conv1DGatherNet(), () => new Conv1DGatherNetDouble()),
            ["NarrowPadded"] = (() => new NarrowPaddedNet(), () => new NarrowPaddedNetDouble()),
            ["Conv2DOdd"] = (() => new Conv2DOddNet(), () => new Conv2DOddNetDouble()),
            ["WideConv"] = (() => new WideConvNet(), () => new WideConvNetDouble()),
            ["Table"] = (() => new TableNet(), () => new TableNetDouble()),
            ["Join"] = (() => new JoinNet(), () => new JoinNetDouble()),
            ["TwoSource"] = (() => new TwoSourceNet(), () => new TwoSourceNetDouble()),
            ["Residual"] = (() => new ResidualNet(), () => new ResidualNetDouble()),
            ["IssueExample"] = (() => new IssueExample(), () => new IssueExampleDouble()),
            ["LeNet5"] = (() => new LeNet5(), () => new LeNet5Double()),
            ["LeNet5SquaredError"] = (() => new LeNet5SquaredError(), () => new LeNet5SquaredErrorDouble()),
            ["FlatConv"] = (() => new FlatConvNet(), () => new FlatConvNetDouble()),
            ["DenseConv"] = (() => new DenseConvNet(), () => new DenseConvNetDouble()),
            ["DeferredDense"] = (() => new DeferredDenseNet(), () => new DeferredDenseNetDouble()),
            ["Rows"] = (() => new RowsNet(), () => new RowsNetDouble()),
            ["WideKernel"] = (() => new WideKernelNet(), () => new WideKernelNetDouble()),
            ["ReluMaxPool"] = (() => new ReluMaxPoolNet(), () => new ReluMaxPoolNetDouble()),
            ["ReluMaxPool1D"] = (() => new ReluMaxPool1DNet(), () => new ReluMaxPool1DNetDouble()),
        };
}
