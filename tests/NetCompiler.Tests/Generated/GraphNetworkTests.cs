using System;
using System.Linq;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// Generated graph, convolution and pooling networks (Generated/GraphNetworks.cs) against the interpreted engine on
/// the same parameters and samples, and against central finite differences.
/// </summary>
public class GraphNetworkTests(ITestOutputHelper output)
{
    /// <summary>Float: generated and interpreted sum in different orders, with FMA, and use different exp/tanh.</summary>
    private const double SingleTolerance = 1e-5;
    /// <summary>Double: only the summation order and the vector exp/tanh (≈1e-15) differ.</summary>
    private const double DoubleTolerance = 1e-12;
    private const int Samples = 3;

    public static TheoryData<string> Names => new(GraphNetworks.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void SingleMatchesInterpreted(string name) => MatchesInterpreted(GraphNetworks.All[name].Single(), SingleTolerance, name);

    [Theory]
    [MemberData(nameof(Names))]
    public void DoubleMatchesInterpreted(string name) => MatchesInterpreted(GraphNetworks.All[name].Double(), DoubleTolerance, name);

    private void MatchesInterpreted<T>(INetwork<T> generated, double tolerance, string name)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        NetworkTopology topology = generated.Topology;
        var interpreted = new InterpretedNetwork<T>(topology);
        Assert.Equal(interpreted.Parameters.ToArray(), generated.Parameters.ToArray()); // the same initialisation (seed 0)
        T[] theta = TestNetworks.Convert<T>(Graphs.RandomParameters(topology, seed: 11));
        theta.CopyTo(generated.Parameters);
        theta.CopyTo(interpreted.Parameters);
        var worst = new Worst(tolerance);

        var expected = new T[topology.OutputSize];
        var actual = new T[topology.OutputSize];
        for (int sample = 0; sample < Samples; sample++)
        {
            T[] input = TestNetworks.Convert<T>(Graphs.RandomInput(topology, sample));
            T[] target = TestNetworks.Convert<T>(Graphs.RandomTarget(topology, sample));
            interpreted.Forward(input, expected);
            generated.Forward(input, actual);
            worst.Close<T>(TestNetworks.ToDouble<T>(expected), actual, $"{name}: output of sample {sample}");
            for (int l = 0; l <= topology.Layers.Count; l++)
                worst.Close<T>(TestNetworks.ToDouble(interpreted.Activities(l)), generated.Activities(l), $"{name}: x^{l} of sample {sample}");

            double expectedLoss = double.CreateTruncating(interpreted.Backward(target));
            double actualLoss = double.CreateTruncating(generated.Backward(target));
            NumericAssert.Close(expectedLoss, actualLoss, tolerance, $"{name}: loss of sample {sample}");
            for (int l = 1; l <= topology.Layers.Count; l++)
                worst.Close<T>(TestNetworks.ToDouble(interpreted.Sensitivities(l)), generated.Sensitivities(l), $"{name}: û^{l} of sample {sample}");
        }
        worst.Close<T>(TestNetworks.ToDouble<T>(interpreted.Gradients), generated.Gradients, $"{name}: gradients summed over {Samples} samples");

        T eta = T.CreateTruncating(0.05);
        interpreted.Update(eta);
        generated.Update(eta);
        worst.Close<T>(TestNetworks.ToDouble<T>(interpreted.Parameters), generated.Parameters, $"{name}: parameters after Update");
        Assert.All(generated.Gradients.ToArray(), g => Assert.Equal(T.Zero, g));

        T[] x = TestNetworks.Convert<T>(Graphs.RandomInput(topology, 5));
        T[] d = TestNetworks.Convert<T>(Graphs.RandomTarget(topology, 5));
        NumericAssert.Close(double.CreateTruncating(interpreted.TrainStep(x, d, eta)), double.CreateTruncating(generated.TrainStep(x, d, eta)), tolerance, $"{name}: TrainStep loss");
        worst.Close<T>(TestNetworks.ToDouble<T>(interpreted.Parameters), generated.Parameters, $"{name}: parameters after TrainStep");
        output.WriteLine($"{name} ({typeof(T).Name}): worst difference {worst.Value:G3} (tolerance {tolerance:G3}) in {worst.Where}");
    }

    /// <summary>Asserts each comparison and remembers the worst one, for the test output.</summary>
    private sealed class Worst(double tolerance)
    {
        public double Value { get; private set; }
        public string Where { get; private set; } = "nothing";

        public void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, string what) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            NumericAssert.Close(expected, actual, tolerance, what);
            double value = NumericAssert.Worst(expected, actual, tolerance).Value;
            if (value < Value) return;
            Value = value;
            Where = what;
        }
    }

    /// <summary>Double, central differences against Backward: worst relative error ≤ 1e-6 (a seeded sample of 400 parameters for large networks).</summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void DoublePassesGradientCheck(string name)
    {
        INetwork<double> network = GraphNetworks.All[name].Double();
        Graphs.RandomParameters(network.Topology, seed: 3).CopyTo(network.Parameters);
        for (int sample = 0; sample < 2; sample++)
        {
            double[] input = Graphs.RandomInput(network.Topology, sample);
            double[] target = Graphs.RandomTarget(network.Topology, sample);
            var options = new GradientCheckOptions { SampleCount = network.ParameterCount > 2000 ? 400 : null, Seed = sample };
            GradientCheckResult result = GradientChecker.Check(network, input, target, options);
            output.WriteLine($"{name}, sample {sample}: {result}");
            Assert.True(result.WorstRelativeError <= 1e-6, $"{name}, sample {sample}: {result}");
        }
    }

    [Fact]
    public void LeNet5HasTheClassicParameterCountAndTheInterpretersInitialisation()
    {
        Assert.Equal(60_850, LeNet5.ParameterCount);
        Assert.Equal(10, LeNet5.OutputSize);
        Assert.Equal(784, LeNet5.InputSize);
        Assert.Equal(7, LeNet5.LayerCount);
        var interpreted = new InterpretedNetwork<float>(LeNet5.Topology);
        Assert.Equal(interpreted.Parameters.ToArray(), new LeNet5().Parameters.ToArray());
    }

    [Fact]
    public void OutputDeclaredFirstIsTheOutput()
    {
        Assert.Equal(1, ResidualNet.Topology.OutputLayer);
        Assert.Equal(new[] { 2, 3, 4, 1 }, ResidualNet.Topology.ExecutionOrder);
        Assert.Equal(10, ResidualNet.OutputSize);
    }

    [Fact]
    public void WrongSpanLengthsAndBackwardBeforeForwardThrow()
    {
        var network = new LeNet5();
        var output = new float[10];
        ArgumentException e = Assert.Throws<ArgumentException>(() => network.Forward(new float[783], output));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("Expected input of length 784, got 783.", e.Message);
        e = Assert.Throws<ArgumentException>(() => network.Forward(new float[784], new float[11]));
        Assert.Equal("output", e.ParamName);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new float[10]));
        network.Forward(new float[784], output);
        e = Assert.Throws<ArgumentException>(() => network.Backward(new float[9]));
        Assert.Equal("target", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => network.TrainStep(new float[10], new float[10], 0.1f));
        Assert.Equal("input", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Activities(8).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Activities(-1).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Sensitivities(0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Sensitivities(8).ToArray());
    }

    /// <summary>
    /// The vector max pooling keeps the scalar rule, the first maximal element in row-major order: with zero filters
    /// and a bias of 0.5 every element of every window ties, so each window's sensitivity must reach its top-left
    /// element alone, as in the interpreter (ReLU passes it: u = 0.5 &gt; 0).
    /// </summary>
    [Fact]
    public void VectorMaxPoolingSendsATiedWindowsSensitivityToItsFirstElement()
    {
        var network = new ReluMaxPoolNet();
        var interpreted = new InterpretedNetwork<float>(ReluMaxPoolNet.Topology);
        float[] theta = TestNetworks.Convert<float>(Graphs.RandomParameters(ReluMaxPoolNet.Topology, seed: 4));
        LayerShape conv = ReluMaxPoolNet.Topology.Layers[0];
        Array.Clear(theta, conv.WeightOffset, conv.WeightCount);
        Array.Fill(theta, 0.5f, conv.BiasOffset, conv.BiasCount);
        theta.CopyTo(network.Parameters);
        theta.CopyTo(interpreted.Parameters);
        float[] input = TestNetworks.Convert<float>(Graphs.RandomInput(ReluMaxPoolNet.Topology, 1));
        float[] target = TestNetworks.Convert<float>(Graphs.RandomTarget(ReluMaxPoolNet.Topology, 1));
        var output = new float[3];
        network.Forward(input, output);
        network.Backward(target);
        interpreted.Forward(input, output);
        interpreted.Backward(target);
        float[] actual = network.Sensitivities(1).ToArray(), expected = interpreted.Sensitivities(1).ToArray();
        NumericAssert.Close<float>(TestNetworks.ToDouble<float>(expected), actual, SingleTolerance, "û¹ of tied windows"); // the dense layer sums in another order
        for (int k = 0; k < actual.Length; k++)
        {
            int x = k % 36, y = k / 36 % 6;
            Assert.True((x % 2 == 0 && y % 2 == 0) == (actual[k] != 0) && (expected[k] != 0) == (actual[k] != 0), $"û¹[{k}] = {actual[k]}, interpreted {expected[k]} (row {y}, column {x})");
        }
    }

    [Fact]
    public void InferenceOnlyGraphMatchesInterpretedForward()
    {
        var network = new InferenceOnlyGraph();
        Assert.False(network is INetwork<float>);
        var interpreted = new InterpretedNetwork<float>(InferenceOnlyGraph.Topology);
        float[] theta = TestNetworks.Convert<float>(Graphs.RandomParameters(InferenceOnlyGraph.Topology, seed: 2));
        theta.CopyTo(network.Parameters);
        theta.CopyTo(interpreted.Parameters);
        float[] input = TestNetworks.Convert<float>(Graphs.RandomInput(InferenceOnlyGraph.Topology, 1));
        var expected = new float[3];
        var actual = new float[3];
        interpreted.Forward(input, expected);
        network.Forward(input, actual);
        NumericAssert.Close<float>(TestNetworks.ToDouble<float>(expected), actual, SingleTolerance, "inference-only graph output");
    }

    [Fact]
    public void LeNet5AndAGraphAllocateNothing()
    {
        AssertNoAllocation(new LeNet5(), 0.01f);
        AssertNoAllocation(new JoinNet(), 0.01f);
        AssertNoAllocation(new ResidualNetDouble(), 0.01);
    }

    private static void AssertNoAllocation<T>(INetwork<T> network, T eta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var input = new T[network.InputSize];
        var result = new T[network.OutputSize];
        var target = new T[network.OutputSize];
        target[0] = T.One;
        network.Forward(input, result);
        Assert.Equal(0, Allocations.Measure(() => network.Forward(input, result)));
        Assert.Equal(0, Allocations.Measure(() => network.Backward(target)));
        Assert.Equal(0, Allocations.Measure(() => network.Update(eta)));
        Assert.Equal(0, Allocations.Measure(() => network.TrainStep(input, target, eta)));
    }
}
