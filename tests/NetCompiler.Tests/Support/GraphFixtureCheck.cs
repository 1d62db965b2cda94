using System;
using System.Linq;
using System.Numerics;
using NetCompiler;
using Xunit;
using Xunit.Sdk;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Checks any <see cref="INetwork{T}"/> (interpreted, or a generated class such as a LeNet-5) against a PyTorch graph
/// fixture, through the interface only: the topology's shapes and parameter layout, then with the fixture's θ for each
/// sample alone Forward (output, the activities written), Backward (loss, the sensitivities written, ∂L/∂θ after
/// zeroing the gradients, and ∂L/∂x^0 rebuilt from the sensitivities of the layers that read the input, because
/// INetwork does not expose it), Backward accumulating over the batch, Update and TrainStep.
/// </summary>
/// <example><c>GraphFixtureCheck.Run("graph-lenet5", new LeNet5(), PyTorchGraphFixtureTests.SingleTolerance, "generated LeNet5");</c></example>
public static class GraphFixtureCheck
{
    /// <summary>The learning rate of the Update and TrainStep checks.</summary>
    public const double LearningRate = 0.1;

    /// <summary>Runs every check of fixture <paramref name="fixtureName"/> on <paramref name="network"/>; <paramref name="network"/> keeps the fixture's θ stepped once by TrainStep.</summary>
    public static void Run<T>(string fixtureName, INetwork<T> network, double tolerance, string? engine = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(PyTorchFixtures.LoadGraph(fixtureName), network, tolerance, engine);

    /// <inheritdoc cref="Run{T}(string, INetwork{T}, double, string?)"/>
    public static void Run<T>(GraphFixture fixture, INetwork<T> network, double tolerance, string? engine = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        string where = $"{fixture.Name} on {engine ?? network.GetType().Name}<{typeof(T).Name}>";
        NetworkTopology topology = network.Topology;
        CheckTopology(fixture, topology, where);
        Assert.Equal(fixture.ParameterCount, network.ParameterCount);
        Assert.Equal(fixture.ParameterCount, network.Parameters.Length);
        Assert.Equal(fixture.ParameterCount, network.Gradients.Length);
        Assert.Equal(fixture.Layers.Length, network.LayerCount);
        Assert.Equal(fixture.InputShape.Aggregate(1, (a, b) => a * b), network.InputSize);

        double[] theta = fixture.ParameterValues();
        T[] parameters = Convert<T>(theta);
        parameters.CopyTo(network.Parameters);
        var output = new T[network.OutputSize];
        Func<int, string> parameterName = k => ParameterName(topology, k);
        var expectedGradients = fixture.Samples.Select(s => fixture.ExpectedGradient(topology, s)).ToArray();

        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            GraphSampleFixture sample = fixture.Samples[s];
            string at = $"{where}, sample {s}";

            network.Forward(Convert<T>(sample.Input), output);
            NumericAssert.Close<T>(sample.Output, output, tolerance, $"{at}: Forward output");
            for (int l = 0; l <= fixture.Layers.Length; l++)
                if (sample.Activities[l] is double[] x)
                    NumericAssert.Close<T>(x, network.Activities(l), tolerance, $"{at}: Activities({l}) {Describe(topology, l)}");

            network.Gradients.Clear();
            T loss = network.Backward(Convert<T>(sample.Target));
            NumericAssert.Close<T>(sample.Loss, loss, tolerance, $"{at}: Backward loss");
            for (int l = 1; l <= fixture.Layers.Length; l++)
                if (sample.Sensitivities[l - 1] is double[] uHat)
                    NumericAssert.Close<T>(uHat, network.Sensitivities(l), tolerance, $"{at}: Sensitivities({l}) {Describe(topology, l)}");
            CheckGradientBlocks<T>(topology, expectedGradients[s], network.Gradients, tolerance, $"{at}: Gradients");

            // ∂L/∂x^0 through the first layers' sensitivities and the network's own (rounded) parameters.
            double[] networkTheta = ToDouble<T>(network.Parameters);
            double[] inputGradient = ReferenceLayers.InputGradient(topology, networkTheta,
                c => ToDouble<T>(network.Sensitivities(c)), l => ToDouble<T>(network.Activities(l)));
            // Computed in double from T values, so the absolute allowance is that of T (see NumericAssert).
            NumericAssert.Close<double>(sample.InputGradient, inputGradient, tolerance,
                $"{at}: ∂L/∂x^0 from the sensitivities of the layers reading the input",
                floorUlps: NumericAssert.DefaultFloorUlps * NumericAssert.UnitRoundoff<T>() / NumericAssert.UnitRoundoff<double>());
        }
        NumericAssert.Close<T>(theta, network.Parameters, tolerance, $"{where}: Parameters after Forward/Backward (must be unchanged)", parameterName);

        // Backward accumulates: the batch without zeroing in between.
        var sum = new double[fixture.ParameterCount];
        foreach (double[] g in expectedGradients)
            for (int k = 0; k < sum.Length; k++) sum[k] += g[k];
        network.Gradients.Clear();
        foreach (GraphSampleFixture sample in fixture.Samples)
        {
            network.Forward(Convert<T>(sample.Input), output);
            network.Backward(Convert<T>(sample.Target));
        }
        CheckGradientBlocks<T>(topology, sum, network.Gradients, tolerance, $"{where}: Gradients accumulated over {fixture.Samples.Length} samples");

        // θ ← θ − η·Σg, then g ← 0.
        network.Update(T.CreateTruncating(LearningRate));
        NumericAssert.Close<T>(theta.Select((p, k) => p - LearningRate * sum[k]).ToArray(), network.Parameters, tolerance,
            $"{where}: Parameters after Update({LearningRate})", parameterName);
        AssertAllZero<T>($"{where}: Gradients after Update", network.Gradients);

        // TrainStep = Forward, Backward, Update on sample 0.
        GraphSampleFixture first = fixture.Samples[0];
        parameters.CopyTo(network.Parameters);
        T trainLoss = network.TrainStep(Convert<T>(first.Input), Convert<T>(first.Target), T.CreateTruncating(LearningRate));
        NumericAssert.Close<T>(first.Loss, trainLoss, tolerance, $"{where}: TrainStep loss (sample 0)");
        NumericAssert.Close<T>(theta.Select((p, k) => p - LearningRate * expectedGradients[0][k]).ToArray(), network.Parameters, tolerance,
            $"{where}: Parameters after TrainStep (sample 0)", parameterName);
        AssertAllZero<T>($"{where}: Gradients after TrainStep", network.Gradients);
    }

    /// <summary>The topology has the fixture's loss, layer shapes and parameter slices.</summary>
    public static void CheckTopology(GraphFixture fixture, NetworkTopology topology, string where)
    {
        Assert.Equal(fixture.ParameterCount, topology.ParameterCount);
        Assert.Equal(fixture.Layers.Length, topology.Layers.Count);
        Assert.Equal(Enum.Parse<LossFunction>(fixture.Loss), topology.Loss);
        Assert.Equal(new TensorShape(fixture.InputShape), topology.InputShape);
        for (int l = 1; l <= fixture.Layers.Length; l++)
        {
            GraphLayerFixture expected = fixture.Layers[l - 1];
            LayerShape actual = topology.Layers[l - 1];
            string what = $"{where}: layer {l} ({actual})";
            Assert.True(new TensorShape(expected.Shape).Equals(actual.Shape), $"{what}: shape {actual.Shape}, fixture {new TensorShape(expected.Shape)}");
            Assert.True(expected.ParameterOffset == actual.WeightOffset || expected.ParameterCount == 0,
                $"{what}: parameters at {actual.WeightOffset}, fixture at {expected.ParameterOffset}");
            Assert.True(expected.ParameterCount == actual.ParameterCount, $"{what}: {actual.ParameterCount} parameters, fixture {expected.ParameterCount}");
        }
    }

    /// <summary>Compares a gradient layer by layer, so a failure names the layer (and the parameter).</summary>
    private static void CheckGradientBlocks<T>(NetworkTopology topology, double[] expected, ReadOnlySpan<T> actual, double tolerance, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        foreach (LayerShape layer in topology.Layers)
        {
            if (layer.ParameterCount == 0) continue;
            int offset = layer.WeightOffset;
            NumericAssert.Close<T>(expected.AsSpan(offset, layer.ParameterCount), actual.Slice(offset, layer.ParameterCount), tolerance,
                $"{what} of layer {layer.Number} ({layer})", k => ParameterName(topology, offset + k));
        }
    }

    /// <summary>"layer 3 Conv2D(...) w[filter 2, channel 1, 0, 4]" and the like.</summary>
    public static string ParameterName(NetworkTopology topology, int index)
    {
        foreach (LayerShape layer in topology.Layers)
        {
            if (index < layer.WeightOffset || index >= layer.WeightOffset + layer.ParameterCount) continue;
            string l = $"layer {layer.Number}";
            if (index >= layer.BiasOffset) return $"{l} b[{index - layer.BiasOffset}]";
            int k = index - layer.WeightOffset;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    for (int s = layer.Sources.Count - 1; s >= 0; s--)
                        if (index >= layer.SourceWeightOffset(s))
                        {
                            int j = index - layer.SourceWeightOffset(s), n = layer.SourceShapes[s].Size;
                            return $"{l} W^(source {s})[{j / n}, {j % n}]";
                        }
                    break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                    int volume = layer.Window.KernelVolume;
                    for (int o = 0; o < layer.Shape.Channels; o++)
                        for (int i = 0; i < layer.SourceShapes[0].Channels; i++)
                        {
                            int kernel = layer.KernelOffset(o, i);
                            if (kernel >= 0 && index >= kernel && index < kernel + volume)
                                return $"{l} w[filter {o}, channel {i}, tap {index - kernel}]";
                        }
                    break;
                case LayerKind.AvgPool:
                    return $"{l} c[{k}]";
            }
            return $"{l} parameter {k}";
        }
        return "outside the parameters";
    }

    private static string Describe(NetworkTopology topology, int l) => l == 0 ? "(input)" : $"({topology.Layers[l - 1]})";

    private static T[] Convert<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(v => T.CreateTruncating(v)).ToArray();

    private static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int k = 0; k < values.Length; k++) result[k] = double.CreateTruncating(values[k]);
        return result;
    }

    private static void AssertAllZero<T>(string quantity, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < values.Length; k++)
            if (values[k] != T.Zero)
                throw new XunitException($"{quantity}: expected all zero, but index {k} of {values.Length} is {values[k]}.");
    }
}
