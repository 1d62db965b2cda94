using System;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

public class GradientCheckTests
{
    [Theory]
    [MemberData(nameof(TestNetworks.Names), MemberType = typeof(TestNetworks))]
    public void InterpretedGradientsAgreeWithFiniteDifferences(string name)
    {
        NetworkTopology topology = TestNetworks.Parse(name, Precision.Double);
        for (int sample = 0; sample < 4; sample++)
        {
            var network = new InterpretedNetwork<double>(topology);
            TestNetworks.RandomParameters(topology, 100 + sample).CopyTo(network.Parameters);
            GradientCheckResult result = GradientChecker.Check<double>(
                network, TestNetworks.RandomInput(topology, sample), TestNetworks.RandomTarget(topology, sample));
            Assert.Equal(topology.ParameterCount, result.CheckedCount);
            Assert.True(result.WorstRelativeError <= 1e-6, $"{name}, sample {sample}: {result}");
        }
    }

    [Fact]
    public void CrossEntropyGradientPassesForUnnormalisedTargets()
    {
        NetworkTopology topology = TestNetworks.Parse("17-7-9 LeakyReLU,Softmax CrossEntropy");
        var network = new InterpretedNetwork<double>(topology);
        TestNetworks.RandomParameters(topology, 7).CopyTo(network.Parameters);
        double[] d = TestNetworks.RandomTarget(topology, 1);
        for (int i = 0; i < d.Length; i++) d[i] *= 2.5;
        GradientCheckResult result = GradientChecker.Check<double>(network, TestNetworks.RandomInput(topology, 1), d);
        Assert.True(result.WorstRelativeError <= 1e-6, result.ToString());
    }

    [Theory]
    [InlineData(37, 1e-3)]   // W¹ [3, 1]
    [InlineData(300, 1e-4)]  // W² [6, 12]: an error as small as the floor of the relative error
    [InlineData(379, 1e-2)]  // b³ [3], the last parameter
    public void DetectsACorruptedGradientEntryAndNamesIt(int index, double corruption)
    {
        NetworkTopology topology = TestNetworks.Parse("12-16-8-4 ReLU,ReLU,Softmax CrossEntropy", Precision.Double);
        var inner = new InterpretedNetwork<double>(topology);
        TestNetworks.RandomParameters(topology, 3).CopyTo(inner.Parameters);
        var broken = new CorruptingNetwork<double>(inner, index, corruption);

        GradientCheckResult result = GradientChecker.Check<double>(
            broken, TestNetworks.RandomInput(topology, 0), TestNetworks.RandomTarget(topology, 0));

        Assert.Equal(index, result.WorstIndex);
        // Far above the 1e-6 a correct gradient reaches, and exactly the documented formula.
        Assert.True(result.WorstRelativeError > 1e-3, result.ToString());
        Assert.Equal(corruption, result.AnalyticAtWorst - result.NumericAtWorst, 1e-9);
        double scale = Math.Max(Math.Max(Math.Abs(result.AnalyticAtWorst), Math.Abs(result.NumericAtWorst)), 1e-4);
        Assert.Equal(Math.Abs(result.AnalyticAtWorst - result.NumericAtWorst) / scale, result.WorstRelativeError, 15);
        string name = NumericAssert.ParameterName(topology, index);
        string expected = result.WorstIsBias
            ? $"b^{result.WorstLayer} [{result.WorstRow}]"
            : $"W^{result.WorstLayer} [{result.WorstRow}, {result.WorstColumn}]";
        Assert.Equal(name, expected);
    }

    [Fact]
    public void LocatesWeightsAndBiasesFromTheLayout()
    {
        // 3-5-2: W¹ is 0..14, b¹ 15..19, W² 20..29, b² 30..31.
        NetworkTopology topology = TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError", Precision.Double);
        (int index, int layer, bool bias, int row, int column, string text)[] cases =
        [
            (0, 1, false, 0, 0, "W¹ [0, 0]"),
            (14, 1, false, 4, 2, "W¹ [4, 2]"),
            (17, 1, true, 2, -1, "b¹ [2]"),
            (27, 2, false, 1, 2, "W² [1, 2]"),
            (31, 2, true, 1, -1, "b² [1]"),
        ];
        foreach (var c in cases)
        {
            var inner = new InterpretedNetwork<double>(topology);
            GradientCheckResult result = GradientChecker.Check<double>(
                new CorruptingNetwork<double>(inner, c.index, 1.0), [0.3, -0.2, 0.9], [0.1, 0.8]);
            Assert.Equal(c.index, result.WorstIndex);
            Assert.Equal((c.layer, c.bias, c.row, c.column), (result.WorstLayer, result.WorstIsBias, result.WorstRow, result.WorstColumn));
            Assert.Contains($"at parameter {c.index} ({c.text}): analytic ", result.ToString());
            Assert.EndsWith("; 32 parameters checked, ε = 3E-05", result.ToString());
        }
    }

    [Fact]
    public void RestoresParametersAndGradientsExactly()
    {
        NetworkTopology topology = TestNetworks.Parse("9-33-17-1 ReLU,Tanh,Sigmoid SquaredError");
        var network = new InterpretedNetwork<double>(topology);
        TestNetworks.RandomParameters(topology, 11).CopyTo(network.Parameters);
        double[] x = TestNetworks.RandomInput(topology, 2), d = TestNetworks.RandomTarget(topology, 2);
        // Some accumulated gradient the check must not disturb.
        network.Forward(TestNetworks.RandomInput(topology, 5), new double[1]);
        network.Backward(TestNetworks.RandomTarget(topology, 5));
        double[] theta = network.Parameters.ToArray(), g = network.Gradients.ToArray();

        GradientChecker.Check<double>(network, x, d);

        Assert.True(network.Parameters.SequenceEqual(theta), "parameters changed");
        Assert.True(network.Gradients.SequenceEqual(g), "gradients changed");
        var fresh = new InterpretedNetwork<double>(topology);
        theta.CopyTo(fresh.Parameters);
        var y = new double[1];
        fresh.Forward(x, y);
        Assert.Equal(y, network.Activities(3).ToArray()); // activities of the unperturbed network on x
        fresh.Backward(d);
        for (int l = 1; l <= 3; l++)
            Assert.True(fresh.Sensitivities(l).SequenceEqual(network.Sensitivities(l)), $"û^{l} differs");
    }

    [Fact]
    public void InferenceOnlyNetworkIsRejectedWithoutTouchingGradients()
    {
        // Gradients of an inference-only network exist (INetwork requires them) and must survive the failed check.
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-2 Identity none"));
        network.Gradients.Fill(0.5);
        Assert.Throws<InvalidOperationException>(() => GradientChecker.Check<double>(network, new double[3], new double[2]));
        Assert.All(network.Gradients.ToArray(), g => Assert.Equal(0.5, g));
    }

    [Fact]
    public void SampleCountChecksADeterministicRandomSubset()
    {
        NetworkTopology topology = TestNetworks.Parse("12-16-8-4 ReLU,ReLU,Softmax CrossEntropy", Precision.Double);
        var network = new InterpretedNetwork<double>(topology);
        double[] x = TestNetworks.RandomInput(topology, 0), d = TestNetworks.RandomTarget(topology, 0);
        var options = new GradientCheckOptions { SampleCount = 25, Seed = 9 };
        GradientCheckResult a = GradientChecker.Check<double>(network, x, d, options);
        GradientCheckResult b = GradientChecker.Check<double>(network, x, d, options);
        Assert.Equal(25, a.CheckedCount);
        Assert.Equal(a.ToString(), b.ToString());
        Assert.True(a.WorstRelativeError <= 1e-6, a.ToString());

        GradientCheckResult all = GradientChecker.Check<double>(network, x, d, new GradientCheckOptions { SampleCount = 100_000 });
        Assert.Equal(topology.ParameterCount, all.CheckedCount);
    }

    [Fact]
    public void FloatCheckWithDefaultsSeparatesRightFromWrong()
    {
        // Float is only a rough check (see GradientCheckOptions): correct gradients stay within a few 1e-2,
        // a gradient off by 10% of its value is flagged.
        NetworkTopology topology = TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError");
        var network = new InterpretedNetwork<float>(topology);
        float[] x = [0.5f, -0.3f, 0.8f], d = [0.2f, 0.9f];
        GradientCheckResult good = GradientChecker.Check<float>(network, x, d);
        Assert.True(good.WorstRelativeError < 3e-2, good.ToString());
        Assert.Equal(3e-3, good.Epsilon);
        Assert.Equal(1e-2, good.MinimumScale);

        network.Forward(x, new float[2]);
        network.Backward(d);
        float[] g = network.Gradients.ToArray();
        network.Gradients.Clear();
        int largest = 0;
        for (int i = 1; i < g.Length; i++) if (Math.Abs(g[i]) > Math.Abs(g[largest])) largest = i;
        GradientCheckResult bad = GradientChecker.Check<float>(new CorruptingNetwork<float>(network, largest, 0.1f * g[largest]), x, d);
        Assert.Equal(largest, bad.WorstIndex);
        Assert.True(bad.WorstRelativeError > 5e-2, bad.ToString());
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        double[] x = new double[3], d = new double[2];
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, new double[2], d)).ParamName);
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, x, new double[3])).ParamName);
        Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, x, d, new GradientCheckOptions { Epsilon = 0 }));
        Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, x, d, new GradientCheckOptions { Epsilon = double.NaN }));
        Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, x, d, new GradientCheckOptions { SampleCount = 0 }));
        Assert.Throws<ArgumentException>(() => GradientChecker.Check<double>(network, x, d, new GradientCheckOptions { MinimumScale = -1 }));
        Assert.Throws<ArgumentNullException>(() => GradientChecker.Check<double>(null!, x, d));
    }
}
