// Generated networks declared like the PyTorch graph fixtures (Fixtures/pytorch/graph-*.json), in float and double,
// for GraphFixtureTests: PyTorch's float64 results against the generated code.
using System;
using System.Collections.Generic;

namespace NetCompiler.Tests.Generated;

/// <summary>As graph-avgpool-trainable-1d.json.</summary>
[Network, Input(2, 12)]
[Conv1D(3, 3, Activation.Identity, Padding = 1)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[AvgPool(2, Stride = 2, Trainable = true, Activation = Activation.Sigmoid)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureAvgpoolTrainable1d { }

/// <summary>As graph-avgpool-trainable-1d.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 12)]
[Conv1D(3, 3, Activation.Identity, Padding = 1)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[AvgPool(2, Stride = 2, Trainable = true, Activation = Activation.Sigmoid)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureAvgpoolTrainable1dDouble { }

/// <summary>As graph-avgpool-trainable-2d.json.</summary>
[Network, Input(2, 8, 8)]
[Conv2D(3, 3, Activation.Identity, Padding = 1)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[AvgPool(2, Stride = 1, Trainable = true, Activation = Activation.Sigmoid)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureAvgpoolTrainable2d { }

/// <summary>As graph-avgpool-trainable-2d.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 8, 8)]
[Conv2D(3, 3, Activation.Identity, Padding = 1)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[AvgPool(2, Stride = 1, Trainable = true, Activation = Activation.Sigmoid)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureAvgpoolTrainable2dDouble { }

/// <summary>As graph-concat.json.</summary>
[Network, Input(2, 5, 5)]
[Conv2D(3, 3, Activation.Tanh, Name = "a", Padding = 1)]
[Conv2D(3, 3, Activation.Tanh, Name = "b", Padding = 1)]
[Add(Name = "r", From = new[] { "a", "b" })]
[Concat(Name = "j", From = new[] { "r", "input" })]
[Conv2D(2, 3, Activation.Sigmoid, Name = "c", Stride = 2)]
[Dense(3, Activation.Tanh, Name = "d", From = new[] { "a" })]
[Dense(3, Activation.Tanh, Name = "e", From = new[] { "c" })]
[Concat(Name = "k", From = new[] { "d", "e" })]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConcat { }

/// <summary>As graph-concat.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 5, 5)]
[Conv2D(3, 3, Activation.Tanh, Name = "a", Padding = 1)]
[Conv2D(3, 3, Activation.Tanh, Name = "b", Padding = 1)]
[Add(Name = "r", From = new[] { "a", "b" })]
[Concat(Name = "j", From = new[] { "r", "input" })]
[Conv2D(2, 3, Activation.Sigmoid, Name = "c", Stride = 2)]
[Dense(3, Activation.Tanh, Name = "d", From = new[] { "a" })]
[Dense(3, Activation.Tanh, Name = "e", From = new[] { "c" })]
[Concat(Name = "k", From = new[] { "d", "e" })]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConcatDouble { }

/// <summary>As graph-conv1d-stride2-pad1.json.</summary>
[Network, Input(2, 11)]
[Conv1D(4, 3, Activation.Tanh, Stride = 2, Padding = 1)]
[Conv1D(2, 3, Activation.Identity, Stride = 3)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv1dStride2Pad1 { }

/// <summary>As graph-conv1d-stride2-pad1.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 11)]
[Conv1D(4, 3, Activation.Tanh, Stride = 2, Padding = 1)]
[Conv1D(2, 3, Activation.Identity, Stride = 3)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv1dStride2Pad1Double { }

/// <summary>As graph-conv2d-connection-table.json.</summary>
[Network, Input(4, 6, 6)]
[Conv2D(5, 3, Activation.Tanh, Padding = 1, Connections = new[] { "XX..", ".XX.", "..XX", "X..X", "XXXX" })]
[Conv2D(2, 3, Activation.Identity, Stride = 3, Connections = new[] { "XXX..", "..XXX" })]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv2dConnectionTable { }

/// <summary>As graph-conv2d-connection-table.json, in double.</summary>
[Network(Precision = Precision.Double), Input(4, 6, 6)]
[Conv2D(5, 3, Activation.Tanh, Padding = 1, Connections = new[] { "XX..", ".XX.", "..XX", "X..X", "XXXX" })]
[Conv2D(2, 3, Activation.Identity, Stride = 3, Connections = new[] { "XXX..", "..XXX" })]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv2dConnectionTableDouble { }

/// <summary>As graph-conv2d-stride2-pad1.json.</summary>
[Network, Input(2, 7, 9)]
[Conv2D(3, 3, Activation.ReLU, Stride = 2, Padding = 1)]
[Conv2D(2, 2, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv2dStride2Pad1 { }

/// <summary>As graph-conv2d-stride2-pad1.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 7, 9)]
[Conv2D(3, 3, Activation.ReLU, Stride = 2, Padding = 1)]
[Conv2D(2, 2, Activation.Tanh)]
[Loss(LossFunction.SquaredError)]
public partial class FixtureConv2dStride2Pad1Double { }

/// <summary>As graph-dense-after-conv.json.</summary>
[Network, Input(1, 6, 6)]
[Conv2D(2, 3, Activation.LeakyReLU)]
[Dense(5, Activation.Tanh)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FixtureDenseAfterConv { }

/// <summary>As graph-dense-after-conv.json, in double.</summary>
[Network(Precision = Precision.Double), Input(1, 6, 6)]
[Conv2D(2, 3, Activation.LeakyReLU)]
[Dense(5, Activation.Tanh)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FixtureDenseAfterConvDouble { }

/// <summary>As graph-pool1d.json.</summary>
[Network, Input(2, 14)]
[Conv1D(3, 3, Activation.Tanh)]
[MaxPool(3)]
[AvgPool(2, Stride = 1)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixturePool1d { }

/// <summary>As graph-pool1d.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 14)]
[Conv1D(3, 3, Activation.Tanh)]
[MaxPool(3)]
[AvgPool(2, Stride = 1)]
[Dense(2, Activation.Identity)]
[Loss(LossFunction.SquaredError)]
public partial class FixturePool1dDouble { }

/// <summary>As graph-pool2d.json.</summary>
[Network, Input(2, 10, 10)]
[Conv2D(3, 2, Activation.Tanh)]
[MaxPool(3, Stride = 2)]
[AvgPool(2)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FixturePool2d { }

/// <summary>As graph-pool2d.json, in double.</summary>
[Network(Precision = Precision.Double), Input(2, 10, 10)]
[Conv2D(3, 2, Activation.Tanh)]
[MaxPool(3, Stride = 2)]
[AvgPool(2)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FixturePool2dDouble { }

/// <summary>As graph-residual-two-source-dense.json.</summary>
[Network, Input(6)]
[Dense(5, Activation.Tanh, Name = "h")]
[Dense(5, Activation.Tanh, Name = "g")]
[Add(Name = "r", From = new[] { "h", "g" }, Activation = Activation.Tanh)]
[Dense(4, Activation.Softmax, From = new[] { "r", "h" })]
[Loss(LossFunction.CrossEntropy)]
public partial class FixtureResidualTwoSourceDense { }

/// <summary>As graph-residual-two-source-dense.json, in double.</summary>
[Network(Precision = Precision.Double), Input(6)]
[Dense(5, Activation.Tanh, Name = "h")]
[Dense(5, Activation.Tanh, Name = "g")]
[Add(Name = "r", From = new[] { "h", "g" }, Activation = Activation.Tanh)]
[Dense(4, Activation.Softmax, From = new[] { "r", "h" })]
[Loss(LossFunction.CrossEntropy)]
public partial class FixtureResidualTwoSourceDenseDouble { }

/// <summary>The generated twin of each graph fixture, in float and double.</summary>
public static class FixtureNetworks
{
    public static readonly IReadOnlyDictionary<string, (Func<INetwork<float>> Single, Func<INetwork<double>> Double)> All =
        new Dictionary<string, (Func<INetwork<float>>, Func<INetwork<double>>)>
        {
            ["graph-avgpool-trainable-1d"] = (() => new FixtureAvgpoolTrainable1d(), () => new FixtureAvgpoolTrainable1dDouble()),
            ["graph-avgpool-trainable-2d"] = (() => new FixtureAvgpoolTrainable2d(), () => new FixtureAvgpoolTrainable2dDouble()),
            ["graph-concat"] = (() => new FixtureConcat(), () => new FixtureConcatDouble()),
            ["graph-conv1d-stride2-pad1"] = (() => new FixtureConv1dStride2Pad1(), () => new FixtureConv1dStride2Pad1Double()),
            ["graph-conv2d-connection-table"] = (() => new FixtureConv2dConnectionTable(), () => new FixtureConv2dConnectionTableDouble()),
            ["graph-conv2d-stride2-pad1"] = (() => new FixtureConv2dStride2Pad1(), () => new FixtureConv2dStride2Pad1Double()),
            ["graph-dense-after-conv"] = (() => new FixtureDenseAfterConv(), () => new FixtureDenseAfterConvDouble()),
            ["graph-pool1d"] = (() => new FixturePool1d(), () => new FixturePool1dDouble()),
            ["graph-pool2d"] = (() => new FixturePool2d(), () => new FixturePool2dDouble()),
            ["graph-residual-two-source-dense"] = (() => new FixtureResidualTwoSourceDense(), () => new FixtureResidualTwoSourceDenseDouble()),
            ["graph-lenet5"] = (() => new LeNet5(), () => new LeNet5Double()),
        };
}
