// LeNet-5 as the samples use it; linked into samples/LeNet5 and samples/FashionMnist (each project compiles its own).
using NetCompiler;

namespace NetCompiler.Samples;

/// <summary>
/// LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998) for 28×28 inputs: C1 6@28×28 (5×5 on the input padded by 2), S2 6@14×14, C3 16@10×10
/// with LeCun's connection table, S4 16@5×5, C5 120, F6 84, and 10 softmax outputs (the paper's RBF output replaced by
/// the softmax and cross-entropy used today). S2 and S4 are LeNet's subsampling: x = tanh(c·average + b) per map.
/// </summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
[Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
{
    // One row per C3 map, one column per S2 map ('X': the S2 map feeds the C3 map), LeCun et al. 1998, Table I.
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X",
    "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X",
    "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
[Conv2D(120, 5, Activation.Tanh, Name = "C5")]
[Dense(84, Activation.Tanh, Name = "F6")]
[Dense(10, Activation.Softmax, Name = "output")]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5 { }
