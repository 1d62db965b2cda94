using System;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// TrainStep on dense chains with wide layers folds the SGD step into the backward pass (θ ← θ − η·(g − û·xᵀ), g ← 0,
/// W read and written once). It must give exactly what Forward, Backward and Update give, operation for operation:
/// the same loss, the same parameters to the bit, the same sensitivities, and g all zero, including when an earlier
/// Backward left gradients in g that Update would have applied.
/// </summary>
public class FusedTrainStepTests
{
    public static TheoryData<string> Shapes => new()
    {
        "784-128-10 float", "784-128-10 double", "70-130-9 float", "40-100-17 float", "40-100-17 double",
        "33-9-7-3 double", "9-33-17-1 double", "12-16-8-4 double",
    };

    private static object Create(string shape) => shape switch
    {
        "784-128-10 float" => new Net_784_128_10_ReLU_Softmax_CrossEntropy(),
        "784-128-10 double" => new Net_784_128_10_ReLU_Softmax_CrossEntropy_Double(),
        "70-130-9 float" => new Net_70_130_9_Tanh_Softmax_CrossEntropy(),
        "40-100-17 float" => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError(),
        "40-100-17 double" => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError_Double(),
        "33-9-7-3 double" => new Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError_Double(),
        "9-33-17-1 double" => new Net_9_33_17_1_ReLU_Tanh_Sigmoid_SquaredError_Double(),
        "12-16-8-4 double" => new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double(),
        _ => throw new ArgumentException(shape),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainStepIsForwardBackwardUpdateToTheBit(string shape)
    {
        switch (Create(shape))
        {
            case INetwork<float> single: Check(single, (INetwork<float>)Create(shape), shape); break;
            case INetwork<double> twice: Check(twice, (INetwork<double>)Create(shape), shape); break;
        }
    }

    private static void Check<T>(INetwork<T> fused, INetwork<T> phases, string shape)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        NetworkTopology topology = fused.Topology;
        T[] theta = TestNetworks.Convert<T>(TestNetworks.RandomParameters(topology, seed: 17));
        theta.CopyTo(fused.Parameters);
        theta.CopyTo(phases.Parameters);
        var output = new T[topology.OutputSize];
        T eta = T.CreateTruncating(0.05);

        for (int step = 0; step < 3; step++)
        {
            T[] x = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, 20 + step));
            T[] d = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, 20 + step));
            if (step == 1)
            {
                // Pending gradients: a Backward without Update before the step. TrainStep applies them and clears g.
                T[] x2 = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, 40));
                T[] d2 = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, 40));
                fused.Forward(x2, output);
                phases.Forward(x2, output);
                Assert.Equal(phases.Backward(d2), fused.Backward(d2));
                Assert.Contains(fused.Gradients.ToArray(), g => g != T.Zero);
            }

            T loss = fused.TrainStep(x, d, eta);
            phases.Forward(x, output);
            T expectedLoss = phases.Backward(d);
            phases.Update(eta);

            Assert.Equal(expectedLoss, loss);
            T[] actual = fused.Parameters.ToArray(), expected = phases.Parameters.ToArray();
            for (int k = 0; k < expected.Length; k++)
                if (!expected[k].Equals(actual[k]))
                    Assert.Fail($"{shape}, step {step}: θ[{k}] ({NumericAssert.ParameterName(topology, k)}) is {actual[k]} after TrainStep, {expected[k]} after Forward, Backward and Update");
            for (int l = 1; l <= topology.Layers.Count; l++)
                Assert.True(phases.Sensitivities(l).SequenceEqual(fused.Sensitivities(l)), $"{shape}, step {step}: û^{l} differs");
            Assert.All(fused.Gradients.ToArray(), g => Assert.Equal(T.Zero, g));
        }
    }
}
