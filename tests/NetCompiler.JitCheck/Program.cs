using System;
using NetCompiler;

namespace NetCompiler.JitCheck;

/// <summary>784-128-10, the example of a layer too large to unroll.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Mlp784 { }

/// <summary>The same in double.</summary>
[Network(Precision = Precision.Double), Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Mlp784Double { }

/// <summary>Many layers each just under the unroll limit, so the per-method budget is what stops unrolling.</summary>
[Network, Input(64), Dense(16, Activation.Tanh), Dense(16, Activation.Tanh), Dense(64, Activation.Sigmoid), Dense(16, Activation.ReLU),
 Dense(64, Activation.LeakyReLU), Dense(16, Activation.Tanh), Dense(64, Activation.Tanh), Dense(16, Activation.Tanh), Dense(64, Activation.Tanh),
 Dense(16, Activation.Tanh), Dense(64, Activation.Tanh), Dense(7, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class UnrolledStack { }

/// <summary>Narrow inputs: the scalar kernels, written out.</summary>
[Network, Input(7), Dense(7, Activation.Tanh), Dense(7, Activation.Tanh), Dense(7, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Narrow { }

public static class Program
{
    public static int Main()
    {
        Exercise(new Mlp784(), 0.01f);
        Exercise(new Mlp784Double(), 0.01);
        Exercise(new UnrolledStack(), 0.01f);
        Exercise(new Narrow(), 0.01f);
        Console.WriteLine("exercised every generated method");
        return 0;
    }

    private static void Exercise<T>(INetwork<T> network, T eta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var input = new T[network.InputSize];
        var output = new T[network.OutputSize];
        var target = new T[network.OutputSize];
        target[0] = T.One;
        network.Forward(input, output);
        network.Backward(target);
        network.Update(eta);
        network.TrainStep(input, target, eta);
    }
}
