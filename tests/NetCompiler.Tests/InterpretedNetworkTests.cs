using System;
using System.Numerics;
using NetCompiler.Tests.Reference;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>The interpreter against the scalar reference MLP: outputs, activities, loss, sensitivities, gradients.</summary>
public class InterpretedVsReferenceTests
{
    [Theory]
    [MemberData(nameof(TestNetworks.Names), MemberType = typeof(TestNetworks))]
    public void DoubleMatchesScalarReference(string name) => CompareWithReference<double>(name, 1e-12);

    [Theory]
    [MemberData(nameof(TestNetworks.Names), MemberType = typeof(TestNetworks))]
    public void FloatMatchesScalarReference(string name) => CompareWithReference<float>(name, 1e-5);

    private static void CompareWithReference<T>(string name, double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkTopology topology = TestNetworks.Parse(name);
        int L = topology.Layers.Count;
        for (int sample = 0; sample < 4; sample++)
        {
            // The engine's values rounded to T are the reference's inputs, so only the arithmetic differs.
            T[] theta = TestNetworks.Convert<T>(TestNetworks.RandomParameters(topology, 100 + sample));
            T[] input = TestNetworks.Convert<T>(TestNetworks.RandomInput(topology, sample));
            T[] target = TestNetworks.Convert<T>(TestNetworks.RandomTarget(topology, sample));
            ScalarMlp reference = TestNetworks.Reference(topology, TestNetworks.ToDouble<T>(theta));
            ScalarMlp.Pass expected = reference.ForwardBackward(TestNetworks.ToDouble<T>(input), TestNetworks.ToDouble<T>(target));

            var network = new InterpretedNetwork<T>(topology);
            theta.CopyTo(network.Parameters);
            var output = new T[topology.OutputSize];
            network.Forward(input, output);
            T loss = network.Backward(target);

            string what = $"{name}, {typeof(T).Name}, sample {sample}";
            NumericAssert.Close<T>(expected.X[L], output, tolerance, what + ": output");
            for (int l = 0; l <= L; l++)
                NumericAssert.Close(expected.X[l], network.Activities(l), tolerance, what + $": x^{l}");
            NumericAssert.Close(expected.Loss, double.CreateTruncating(loss), tolerance, what + ": loss");
            for (int l = 1; l <= L; l++)
                NumericAssert.Close(Negate(expected.DLossDU[l]), network.Sensitivities(l), tolerance, what + $": û^{l}");
            NumericAssert.Close<T>(expected.Gradient, network.Gradients, tolerance, what + ": gradients",
                k => NumericAssert.ParameterName(topology, k));
        }
    }

    private static double[] Negate(double[] values) => Array.ConvertAll(values, v => -v);
}

/// <summary>Gradient accumulation, the update rule, argument checks and numerical edge cases of the interpreter.</summary>
public class InterpretedNetworkTests
{
    private static InterpretedNetwork<double> Network(string name, int seed, out NetworkTopology topology)
    {
        topology = TestNetworks.Parse(name);
        var network = new InterpretedNetwork<double>(topology);
        TestNetworks.RandomParameters(topology, seed).CopyTo(network.Parameters);
        return network;
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        InterpretedNetwork<double> network = Network("3-5-2 Tanh,Sigmoid SquaredError", 1, out NetworkTopology topology);
        ScalarMlp reference = TestNetworks.Reference(topology, network.Parameters.ToArray());
        var expected = new double[topology.ParameterCount];
        double expectedLoss = 0, loss = 0;
        var output = new double[2];
        for (int sample = 0; sample < 3; sample++)
        {
            double[] x = TestNetworks.RandomInput(topology, sample), d = TestNetworks.RandomTarget(topology, sample);
            ScalarMlp.Pass pass = reference.ForwardBackward(x, d);
            for (int k = 0; k < expected.Length; k++) expected[k] += pass.Gradient[k];
            expectedLoss += pass.Loss;
            network.Forward(x, output);
            loss += network.Backward(d);
        }
        NumericAssert.Close<double>(expected, network.Gradients, 1e-12, "sum of three gradients");
        NumericAssert.Close(expectedLoss, loss, 1e-12, "sum of three losses");
    }

    [Fact]
    public void UpdateSubtractsScaledGradientAndZeroesIt()
    {
        InterpretedNetwork<double> network = Network("4-7-3 Identity,Identity SquaredError", 2, out NetworkTopology topology);
        double[] x = TestNetworks.RandomInput(topology, 0), d = TestNetworks.RandomTarget(topology, 0);
        network.Forward(x, new double[3]);
        network.Backward(d);
        double[] theta = network.Parameters.ToArray(), g = network.Gradients.ToArray();

        network.Update(0.25);

        for (int k = 0; k < theta.Length; k++)
            Assert.Equal(theta[k] - 0.25 * g[k], network.Parameters[k]);
        Assert.All(network.Gradients.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Theory]
    [InlineData("12-16-8-4 ReLU,ReLU,Softmax CrossEntropy")]
    [InlineData("3-5-2 Tanh,Sigmoid SquaredError")]
    public void TrainStepEqualsForwardBackwardUpdate(string name)
    {
        InterpretedNetwork<double> a = Network(name, 3, out NetworkTopology topology);
        InterpretedNetwork<double> b = Network(name, 3, out _);
        for (int sample = 0; sample < 5; sample++)
        {
            double[] x = TestNetworks.RandomInput(topology, sample), d = TestNetworks.RandomTarget(topology, sample);
            double lossA = a.TrainStep(x, d, 0.1);
            b.Forward(x, new double[topology.OutputSize]);
            double lossB = b.Backward(d);
            b.Update(0.1);
            Assert.Equal(lossB, lossA);
            Assert.True(a.Parameters.SequenceEqual(b.Parameters), $"parameters differ after step {sample}");
        }
        Assert.All(a.Gradients.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TrainingReducesTheLossOnOneSample()
    {
        InterpretedNetwork<float> network = new(TestNetworks.Parse("12-16-8-4 ReLU,ReLU,Softmax CrossEntropy"));
        float[] x = TestNetworks.Convert<float>(TestNetworks.RandomInput(network.Topology, 0));
        float[] d = TestNetworks.Convert<float>(TestNetworks.RandomTarget(network.Topology, 0));
        float first = network.TrainStep(x, d, 0.05f), last = first;
        for (int step = 0; step < 50; step++) last = network.TrainStep(x, d, 0.05f);
        Assert.True(last < 0.1f * first, $"loss went from {first} to {last}");
    }

    [Fact]
    public void ForwardAllowsInputToAliasOutput()
    {
        InterpretedNetwork<double> network = Network("4-7-4 Tanh,Identity SquaredError", 4, out NetworkTopology topology);
        double[] x = TestNetworks.RandomInput(topology, 0);
        var separate = new double[4];
        network.Forward(x, separate);
        double[] buffer = (double[])x.Clone();
        network.Forward(buffer, buffer);
        Assert.Equal(separate, buffer);
        Assert.Equal(x, network.Activities(0).ToArray());
    }

    [Fact]
    public void ConstructorInitialisesWithSeedZeroAndInitializeParametersReseeds()
    {
        NetworkTopology topology = TestNetworks.Parse("9-33-17-1 ReLU,Tanh,Sigmoid SquaredError");
        var network = new InterpretedNetwork<float>(topology);
        var expected = new float[topology.ParameterCount];
        ParameterInitializer.Initialize<float>(topology, expected, 0);
        Assert.True(network.Parameters.SequenceEqual(expected));

        network.InitializeParameters(42);
        ParameterInitializer.Initialize<float>(topology, expected, 42);
        Assert.True(network.Parameters.SequenceEqual(expected));
        Assert.Equal(topology.ParameterCount, network.ParameterCount);
        Assert.Equal(topology.ParameterCount, network.Gradients.Length);
    }

    [Fact]
    public void ShapePropertiesFollowTheTopology()
    {
        NetworkTopology topology = TestNetworks.Parse("12-16-8-4 ReLU,ReLU,Softmax CrossEntropy");
        var network = new InterpretedNetwork<float>(topology);
        Assert.Same(topology, network.Topology);
        Assert.Equal(12, network.InputSize);
        Assert.Equal(4, network.OutputSize);
        Assert.Equal(3, network.LayerCount);
        int[] widths = [12, 16, 8, 4];
        for (int l = 0; l <= 3; l++) Assert.Equal(widths[l], network.Activities(l).Length);
        for (int l = 1; l <= 3; l++) Assert.Equal(widths[l], network.Sensitivities(l).Length);
    }

    [Fact]
    public void SinglePrecisionTopologyCanBeInterpretedInDouble()
    {
        NetworkTopology topology = TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError", Precision.Single);
        var asDouble = new InterpretedNetwork<double>(topology);
        var asFloat = new InterpretedNetwork<float>(topology);
        double[] x = TestNetworks.RandomInput(topology, 0);
        var yDouble = new double[2];
        var yFloat = new float[2];
        asDouble.Forward(x, yDouble);
        asFloat.Forward(TestNetworks.Convert<float>(x), yFloat);
        NumericAssert.Close<float>(yDouble, yFloat, 1e-6, "float vs double interpretation");
    }

    [Fact]
    public void CrossEntropyStaysFiniteForHugeLogits()
    {
        // u = (1000, 0, −1000): e^1000 overflows and e^−2000 underflows unless the max is subtracted and the log
        // is taken of the softmax analytically. L = −log x_3 = 2000 exactly; û = d − x = (−1, 0, 1) to rounding.
        var topology = new NetworkTopology(1, [new DenseLayer(3, Activation.Softmax)], LossFunction.CrossEntropy, Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] theta = [1000, 0, -1000, 0, 0, 0];
        theta.CopyTo(network.Parameters);
        var output = new double[3];
        network.Forward([1.0], output);
        Assert.Equal([1.0, 0.0, 0.0], output);

        double loss = network.Backward([0.0, 0.0, 1.0]);
        Assert.Equal(2000.0, loss);
        Assert.Equal([-1.0, 0.0, 1.0], network.Sensitivities(1).ToArray());
        Assert.Equal([1.0, 0.0, -1.0, 1.0, 0.0, -1.0], network.Gradients.ToArray());
    }

    [Fact]
    public void CrossEntropyGradientHoldsForUnnormalisedTargets()
    {
        // −∂L/∂u = d − (Σd)·x: with Σd = 3 the familiar d − x would be wrong.
        NetworkTopology topology = TestNetworks.Parse("7-3-33 Tanh,Softmax CrossEntropy");
        double[] theta = TestNetworks.RandomParameters(topology, 5);
        double[] x = TestNetworks.RandomInput(topology, 5);
        double[] d = TestNetworks.RandomTarget(topology, 5);
        for (int i = 0; i < d.Length; i++) d[i] *= 3;
        var network = new InterpretedNetwork<double>(topology);
        theta.CopyTo(network.Parameters);
        network.Forward(x, new double[33]);
        double loss = network.Backward(d);
        ScalarMlp.Pass expected = TestNetworks.Reference(topology, theta).ForwardBackward(x, d);
        NumericAssert.Close(expected.Loss, loss, 1e-12, "loss");
        NumericAssert.Close<double>(expected.Gradient, network.Gradients, 1e-12, "gradients");
    }

    [Fact]
    public void WrongSpanLengthsThrowArgumentExceptionNamingTheLengths()
    {
        var network = new InterpretedNetwork<float>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        var input = new float[3];
        var output = new float[2];
        var target = new float[2];

        AssertLengthError("input", "Expected input of length 3, got 2.", () => network.Forward(new float[2], output));
        AssertLengthError("input", "Expected input of length 3, got 4.", () => network.Forward(new float[4], output));
        AssertLengthError("output", "Expected output of length 2, got 3.", () => network.Forward(input, new float[3]));
        network.Forward(input, output);
        AssertLengthError("target", "Expected target of length 2, got 1.", () => network.Backward(new float[1]));
        AssertLengthError("input", "Expected input of length 3, got 0.", () => network.TrainStep([], target, 0.1f));
        AssertLengthError("target", "Expected target of length 2, got 5.", () => network.TrainStep(input, new float[5], 0.1f));
    }

    [Fact]
    public void TrainStepWithBadTargetLeavesTheNetworkUntouched()
    {
        var network = new InterpretedNetwork<float>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        float[] before = network.Parameters.ToArray();
        Assert.Throws<ArgumentException>(() => network.TrainStep([1, 2, 3], [1], 0.1f));
        Assert.True(network.Parameters.SequenceEqual(before));
        Assert.Throws<InvalidOperationException>(() => network.Backward([0, 0])); // no forward pass ran
    }

    private static void AssertLengthError(string parameter, string message, Action action)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(action);
        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void BackwardBeforeForwardThrowsInvalidOperation()
    {
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => network.Backward(new double[2]));
        Assert.Contains("Forward", e.Message);
    }

    [Fact]
    public void InferenceOnlyNetworkForwardsButCannotTrain()
    {
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-5-2 Tanh,Softmax none"));
        var output = new double[2];
        network.Forward([0.1, 0.2, 0.3], output);
        Assert.Equal(1.0, output[0] + output[1], 15);
        Assert.Contains("inference-only", Assert.Throws<InvalidOperationException>(() => network.Backward(new double[2])).Message);
        Assert.Contains("inference-only", Assert.Throws<InvalidOperationException>(() => network.TrainStep(new double[3], new double[2], 0.1)).Message);
    }

    [Fact]
    public void ActivitiesAndSensitivitiesOutOfRangeThrow()
    {
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        foreach (int layer in new[] { -1, 3, int.MaxValue, int.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => network.Activities(layer));
            Assert.Equal("layer", e.ParamName);
            Assert.Contains("0..2", e.Message);
        }
        foreach (int layer in new[] { 0, -1, 3 })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => network.Sensitivities(layer));
            Assert.Equal("layer", e.ParamName);
            Assert.Contains("1..2", e.Message);
        }
    }
}
