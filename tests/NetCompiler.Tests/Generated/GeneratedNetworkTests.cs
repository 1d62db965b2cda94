using System;
using System.Linq;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// Generated networks against the interpreted engine on the same parameters and samples (the interpreter is itself
/// checked against a scalar reference and PyTorch), and against central finite differences.
/// </summary>
public class GeneratedNetworkTests
{
    /// <summary>Float: generated and interpreted sum in different orders, with FMA, and use different exp/tanh.</summary>
    internal const double SingleTolerance = 1e-5;
    /// <summary>Double: only the summation order and the vector exp/tanh (≈1e-15) differ.</summary>
    private const double DoubleTolerance = 1e-12;
    private const int Samples = 3;

    public static TheoryData<string> Names => new(GeneratedNetworks.Single.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void SingleMatchesInterpreted(string name) =>
        MatchesInterpreted(GeneratedNetworks.Single[name](), SingleTolerance, name);

    [Theory]
    [MemberData(nameof(Names))]
    public void DoubleMatchesInterpreted(string name) =>
        MatchesInterpreted(GeneratedNetworks.Double[name](), DoubleTolerance, name);

    internal static void MatchesInterpreted<T>(INetwork<T> generated, double tolerance, string name)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        NetworkTopology topology = generated.Topology;
        Assert.Equal(name, GeneratedNetworks.Describe(topology));
        var interpreted = new InterpretedNetwork<T>(topology);
        T[] theta = TestNetworks.Convert<T>(TestNetworks.RandomParameters(topology, seed: 11));
        theta.CopyTo(generated.Parameters);
        theta.CopyTo(interpreted.Parameters);
        string Where(int index) => NumericAssert.ParameterName(topology, index);

        var expected = new T[topology.OutputSize];
        var actual = new T[topology.OutputSize];
        for (int sample = 0; sample < Samples; sample++)
        {
            T[] input = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, sample));
            T[] target = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, sample));
            interpreted.Forward(input, expected);
            generated.Forward(input, actual);
            NumericAssert.Close<T>(TestNetworks.ToDouble<T>(expected), actual, tolerance, $"{name}: output of sample {sample}");
            for (int l = 0; l <= topology.Layers.Count; l++)
                NumericAssert.Close<T>(TestNetworks.ToDouble(interpreted.Activities(l)), generated.Activities(l), tolerance, $"{name}: x^{l} of sample {sample}");

            double expectedLoss = double.CreateTruncating(interpreted.Backward(target));
            double actualLoss = double.CreateTruncating(generated.Backward(target));
            NumericAssert.Close(expectedLoss, actualLoss, tolerance, $"{name}: loss of sample {sample}");
            for (int l = 1; l <= topology.Layers.Count; l++)
                NumericAssert.Close<T>(TestNetworks.ToDouble(interpreted.Sensitivities(l)), generated.Sensitivities(l), tolerance, $"{name}: û^{l} of sample {sample}");
        }
        // Backward accumulated the gradients of all samples.
        NumericAssert.Close<T>(TestNetworks.ToDouble<T>(interpreted.Gradients), generated.Gradients, tolerance, $"{name}: gradients summed over {Samples} samples", Where);

        T eta = T.CreateTruncating(0.05);
        interpreted.Update(eta);
        generated.Update(eta);
        NumericAssert.Close<T>(TestNetworks.ToDouble<T>(interpreted.Parameters), generated.Parameters, tolerance, $"{name}: parameters after Update", Where);
        Assert.All(generated.Gradients.ToArray(), g => Assert.Equal(T.Zero, g));

        // TrainStep is the three phases in one call.
        T[] x = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, 5));
        T[] d = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, 5));
        NumericAssert.Close(double.CreateTruncating(interpreted.TrainStep(x, d, eta)), double.CreateTruncating(generated.TrainStep(x, d, eta)), tolerance, $"{name}: TrainStep loss");
        NumericAssert.Close<T>(TestNetworks.ToDouble<T>(interpreted.Parameters), generated.Parameters, tolerance, $"{name}: parameters after TrainStep", Where);

        // TrainStep after a Backward whose gradient has not been applied: the step uses g + Δg, then g = 0.
        T[] x2 = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, 6));
        T[] d2 = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, 6));
        interpreted.Forward(x2, expected);
        generated.Forward(x2, actual);
        interpreted.Backward(d2);
        generated.Backward(d2);
        NumericAssert.Close(double.CreateTruncating(interpreted.TrainStep(x, d, eta)), double.CreateTruncating(generated.TrainStep(x, d, eta)), tolerance, $"{name}: TrainStep loss after a Backward");
        NumericAssert.Close<T>(TestNetworks.ToDouble<T>(interpreted.Parameters), generated.Parameters, tolerance, $"{name}: parameters after Backward and TrainStep", Where);
        for (int l = 1; l <= topology.Layers.Count; l++)
            NumericAssert.Close<T>(TestNetworks.ToDouble(interpreted.Sensitivities(l)), generated.Sensitivities(l), tolerance, $"{name}: û^{l} after TrainStep");
        Assert.All(generated.Gradients.ToArray(), g => Assert.Equal(T.Zero, g));
    }

    /// <summary>Gradient check in double: central differences against Backward, worst relative error ≤ 1e-6.</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void DoublePassesGradientCheck(string name)
    {
        INetwork<double> network = GeneratedNetworks.Double[name]();
        TestNetworks.RandomParameters(network.Topology, seed: 3).CopyTo(network.Parameters);
        for (int sample = 0; sample < 2; sample++)
        {
            double[] input = TestNetworks.RandomInput(network.Topology, sample);
            double[] target = TestNetworks.RandomTarget(network.Topology, sample);
            // Large networks: a seeded sample of 400 parameters keeps the check to a second.
            var options = new GradientCheckOptions { SampleCount = network.ParameterCount > 2000 ? 400 : null, Seed = sample };
            GradientCheckResult result = GradientChecker.Check(network, input, target, options);
            Assert.True(result.WorstRelativeError <= 1e-6, $"{name}, sample {sample}: {result}");
        }
    }

    /// <summary>Cross-entropy with a target that does not sum to 1: û = d − (Σd)·x, not d − x.</summary>
    [Fact]
    public void CrossEntropyGradientHoldsForUnnormalisedTargets()
    {
        var network = new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double();
        TestNetworks.RandomParameters(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double.Topology, seed: 5).CopyTo(network.Parameters);
        double[] input = TestNetworks.RandomInput(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double.Topology, 1);
        GradientCheckResult result = GradientChecker.Check(network, input, new[] { 0.5, 0, 2, 0.25 });
        Assert.True(result.WorstRelativeError <= 1e-6, result.ToString());
    }

    [Fact]
    public void TopologyAndConstantsDescribeTheAttributes()
    {
        var network = new Net_784_128_10_ReLU_Softmax_CrossEntropy();
        Assert.Equal(784, Net_784_128_10_ReLU_Softmax_CrossEntropy.InputSize);
        Assert.Equal(10, Net_784_128_10_ReLU_Softmax_CrossEntropy.OutputSize);
        Assert.Equal(784 * 128 + 128 + 128 * 10 + 10, Net_784_128_10_ReLU_Softmax_CrossEntropy.ParameterCount);
        Assert.Equal(Net_784_128_10_ReLU_Softmax_CrossEntropy.ParameterCount, Net_784_128_10_ReLU_Softmax_CrossEntropy.Topology.ParameterCount);
        Assert.Equal(Net_784_128_10_ReLU_Softmax_CrossEntropy.ParameterCount, ((INetwork<float>)network).Topology.ParameterCount);
        Assert.Equal(LossFunction.CrossEntropy, Net_784_128_10_ReLU_Softmax_CrossEntropy.Topology.Loss);
        Assert.Equal(Precision.Double, Net_784_128_10_ReLU_Softmax_CrossEntropy_Double.Topology.Precision);
    }

    [Fact]
    public void NewInstanceIsInitialisedWithSeedZeroLikeTheInterpreter()
    {
        var generated = new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy();
        var interpreted = new InterpretedNetwork<float>(Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy.Topology);
        Assert.Equal(interpreted.Parameters.ToArray(), generated.Parameters.ToArray());
        float[] seedZero = generated.Parameters.ToArray();
        generated.InitializeParameters(1);
        Assert.NotEqual(seedZero, generated.Parameters.ToArray());
        generated.InitializeParameters(0);
        Assert.Equal(seedZero, generated.Parameters.ToArray());
        Assert.Contains(seedZero, w => w != 0);
    }

    [Fact]
    public void WrongSpanLengthsAreArgumentExceptionsNamingTheLength()
    {
        var network = new Net_3_5_2_Tanh_Sigmoid_SquaredError();
        var output = new float[2];
        ArgumentException e = Assert.Throws<ArgumentException>(() => network.Forward(new float[4], output));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("Expected input of length 3, got 4.", e.Message);
        e = Assert.Throws<ArgumentException>(() => network.Forward(new float[3], new float[1]));
        Assert.Contains("Expected output of length 2, got 1.", e.Message);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new float[2]));
        network.Forward(new float[3], output);
        e = Assert.Throws<ArgumentException>(() => network.Backward(new float[3]));
        Assert.Contains("Expected target of length 2, got 3.", e.Message);
        e = Assert.Throws<ArgumentException>(() => network.TrainStep(new float[2], new float[2], 0.1f));
        Assert.Equal("input", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => network.TrainStep(new float[3], new float[0], 0.1f));
        Assert.Equal("target", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Activities(3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Sensitivities(0).ToArray());
    }

    [Fact]
    public void InputMayAliasOutput()
    {
        var network = new Net_4_7_3_Identity_Identity_SquaredError();
        var interpreted = new InterpretedNetwork<float>(Net_4_7_3_Identity_Identity_SquaredError.Topology);
        float[] buffer = { 0.5f, -1f, 2f, 0.25f };
        var expected = new float[3];
        interpreted.Forward(buffer, expected);
        network.Forward(buffer, buffer.AsSpan(0, 3));
        NumericAssert.Close<float>(TestNetworks.ToDouble<float>(expected), buffer.AsSpan(0, 3), SingleTolerance, "aliased output");
    }

    [Fact]
    public void InferenceOnlyNetworkHasForwardButNoBackward()
    {
        var network = new InferenceOnlyNetwork();
        Assert.IsAssignableFrom<IInferenceNetwork<float>>(network);
        Assert.False(network is INetwork<float>);
        Assert.Null(InferenceOnlyNetwork.Topology.Loss);
        var output = new float[2];
        network.Forward(new float[10], output);
    }

    [Fact]
    public void LearnsXor()
    {
        var network = new XorNetwork();
        network.InitializeParameters(1);
        float[][] inputs = { new[] { 0f, 0f }, new[] { 0f, 1f }, new[] { 1f, 0f }, new[] { 1f, 1f } };
        float[] targets = { 0f, 1f, 1f, 0f };
        var output = new float[1];
        int epoch = 0;
        const int maxEpochs = 5000;
        for (; epoch < maxEpochs && !AllCorrect(); epoch++)
            for (int k = 0; k < 4; k++)
                network.TrainStep(inputs[k], targets.AsSpan(k, 1), 0.5f);
        Assert.True(AllCorrect(), $"XOR not learned in {maxEpochs} epochs");

        bool AllCorrect()
        {
            for (int k = 0; k < 4; k++)
            {
                network.Forward(inputs[k], output);
                if ((output[0] > 0.5f ? 1f : 0f) != targets[k]) return false;
            }
            return true;
        }
    }

    [Fact]
    public void FitsSineByMinibatches()
    {
        var network = new SineNetwork();
        const int points = 64;
        float[] xs = Enumerable.Range(0, points).Select(i => -MathF.PI + 2 * MathF.PI * i / (points - 1)).ToArray();
        float MeanLoss()
        {
            var output = new float[1];
            float total = 0;
            foreach (float x in xs)
            {
                network.Forward(new[] { x }, output);
                total += 0.5f * (MathF.Sin(x) - output[0]) * (MathF.Sin(x) - output[0]);
            }
            return total / points;
        }
        float before = MeanLoss();
        var adam = new Adam<float>(SineNetwork.ParameterCount, learningRate: 0.01f);
        var prediction = new float[1];
        for (int epoch = 0; epoch < 2000; epoch++)
        {
            foreach (float x in xs)
            {
                network.Forward(new[] { x }, prediction);
                network.Backward(new[] { MathF.Sin(x) });
            }
            adam.Step(network.Parameters, network.Gradients);
        }
        float after = MeanLoss();
        Assert.True(after < 1e-3f, $"mean loss {before} → {after}, expected < 1e-3");
    }
}
