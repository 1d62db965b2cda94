using System;
using System.Globalization;
using System.Linq;
using System.Numerics;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// A NaN or infinite learning rate would turn every parameter into NaN: Update, TrainStep and TrainStepBatch reject it
/// with an ArgumentOutOfRangeException naming learningRate and the value, in every engine (generated float and double
/// chains on each TrainStep kernel — register, fused, plain — a generated graph, the interpreter), and change nothing.
/// </summary>
public class LearningRateTests
{
    public static TheoryData<string> Engines => new()
    {
        "generated 3-5-2 float", "generated 784-128-10 float", "generated graph float",
        "generated 3-5-2 double", "generated 784-128-10 double", "generated graph double",
        "interpreted float", "interpreted double",
    };

    private static object Create(string engine) => engine switch
    {
        "generated 3-5-2 float" => new Net_3_5_2_Tanh_Sigmoid_SquaredError(),
        "generated 784-128-10 float" => new Net_784_128_10_ReLU_Softmax_CrossEntropy(),
        "generated graph float" => new Conv1DNet(),
        "generated 3-5-2 double" => new Net_3_5_2_Tanh_Sigmoid_SquaredError_Double(),
        "generated 784-128-10 double" => new Net_784_128_10_ReLU_Softmax_CrossEntropy_Double(),
        "generated graph double" => new Conv1DNetDouble(),
        "interpreted float" => new InterpretedNetwork<float>(Net_3_5_2_Tanh_Sigmoid_SquaredError.Topology),
        "interpreted double" => new InterpretedNetwork<double>(Net_3_5_2_Tanh_Sigmoid_SquaredError_Double.Topology),
        _ => throw new ArgumentException(engine),
    };

    [Theory]
    [MemberData(nameof(Engines))]
    public void NonFiniteLearningRatesAreRejectedAndChangeNothing(string engine)
    {
        switch (Create(engine))
        {
            case INetwork<float> single: Check(single); break;
            case INetwork<double> @double: Check(@double); break;
        }
    }

    private static void Check<T>(INetwork<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        network.InitializeParameters(7);
        var input = new T[network.InputSize];
        var target = new T[network.OutputSize];
        for (int i = 0; i < input.Length; i++) input[i] = T.CreateTruncating(0.25 * (i % 5) - 0.5);
        target[0] = T.One;
        T[] inputs = [.. input, .. input], targets = [.. target, .. target];
        // Gradients from a backward pass, which a rejected Update must leave in place.
        network.Forward(input, new T[network.OutputSize]);
        network.Backward(target);
        T[] parameters = network.Parameters.ToArray(), gradients = network.Gradients.ToArray();
        Assert.Contains(gradients, g => g != T.Zero);

        foreach (T rate in new[] { T.NaN, T.PositiveInfinity, T.NegativeInfinity })
        {
            string value = rate.ToString(null, CultureInfo.InvariantCulture);
            Rejected(() => network.Update(rate), value);
            Rejected(() => network.TrainStep(input, target, rate), value);
            Rejected(() => network.TrainStepBatch(inputs, targets, 2, rate), value);
            Assert.Equal(parameters, network.Parameters.ToArray());
            Assert.Equal(gradients, network.Gradients.ToArray());
        }

        // A finite rate still steps, zero and negative rates included (as before: only non-finite rates are rejected).
        network.Update(T.Zero);
        Assert.Equal(parameters, network.Parameters.ToArray());
        network.TrainStep(input, target, -T.CreateTruncating(0.01));
        network.TrainStepBatch(inputs, targets, 2, T.CreateTruncating(0.01));
        Assert.All(network.Parameters.ToArray(), p => Assert.True(T.IsFinite(p)));
    }

    private static void Rejected(Action call, string value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(call);
        Assert.Equal("learningRate", error.ParamName);
        Assert.Contains("The learning rate must be finite, got " + value + ".", error.Message);
    }
}
