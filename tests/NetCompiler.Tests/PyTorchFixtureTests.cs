using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using NetCompiler;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Sdk;

namespace NetCompiler.Tests;

/// <summary>
/// Checks every engine in <see cref="Engines"/>, through <see cref="INetwork{T}"/> only, against reference values that
/// PyTorch computed in float64 (Fixtures/pytorch, written by tools/make_fixtures.py; see the README there): forward
/// pass, activities, loss, sensitivities, per-sample gradients, their accumulation over a batch, the SGD update and
/// TrainStep; and the optimizers against torch.optim.SGD (momentum, Nesterov) and torch.optim.Adam.
/// </summary>
public class PyTorchFixtureTests
{
    /// <summary>
    /// double: the engines evaluate the same float64 formulas as PyTorch in other orders (Vector256 lanes, fused or
    /// separate multiply-adds, other exp and tanh), which moves results by some ulps (a scalar engine: at most 4e-14
    /// relative on these fixtures); 1e-10 leaves a wide margin and still catches any real mistake, which shows up at
    /// 1e-3 or more. Entries much smaller than their vector's largest get NumericAssert's absolute allowance.
    /// </summary>
    public const double DoubleTolerance = 1e-10;

    /// <summary>
    /// float: the parameters and inputs are rounded to float (2^−24 relative) and every sum runs in float, so each
    /// entry is off by some ulps of the terms that made it (at most 3e-6 on these fixtures, for a scalar C# float
    /// engine and for torch in float32), hence 2e-5; a wrong formula is off by 1e-3 or more.
    /// </summary>
    public const double SingleTolerance = 2e-5;

    /// <summary>The network fixtures the task asked for; the folder may hold more, and all are tested.</summary>
    private static readonly string[] RequiredFixtures =
    {
        "3-5-2-tanh-sigmoid-se",
        "12-16-8-4-relu-relu-softmax-ce",
        "2-4-1-tanh-sigmoid-se",
        "9-17-33-7-leakyrelu-tanh-identity-se",
        "1-3-1-sigmoid-identity-se",
        "8-7-3-tanh-softmax-se",
        "20-9-10-relu-softmax-ce",
    };

    public static IEnumerable<object[]> DoubleCases() => Cases(Engines.Double);

    public static IEnumerable<object[]> SingleCases() => Cases(Engines.Single);

    public static IEnumerable<object[]> FixtureNames() => PyTorchFixtures.NetworkNames().Select(name => new object[] { name });

    public static IEnumerable<object[]> OptimizerCases() =>
        PyTorchFixtures.LoadOptimizers().Cases.Select(c => new object[] { c.Name });

    private static IEnumerable<object[]> Cases<T>(IEnumerable<EngineCase<T>> engines) where T : unmanaged, IFloatingPointIeee754<T> =>
        from engine in engines
        from fixture in PyTorchFixtures.NetworkNames()
        select new object[] { engine, fixture };

    [Theory]
    [MemberData(nameof(DoubleCases))]
    public void DoubleNetworkMatchesPyTorch(EngineCase<double> engine, string fixture) =>
        CheckNetwork(engine, PyTorchFixtures.LoadNetwork(fixture), Precision.Double, DoubleTolerance);

    [Theory]
    [MemberData(nameof(SingleCases))]
    public void SingleNetworkMatchesPyTorch(EngineCase<float> engine, string fixture) =>
        CheckNetwork(engine, PyTorchFixtures.LoadNetwork(fixture), Precision.Single, SingleTolerance);

    /// <summary>
    /// The whole contract of <see cref="INetwork{T}"/> on one fixture: for each sample alone Forward (output and
    /// Activities(0..L)) and Backward (loss, Sensitivities(1..L), Gradients after zeroing them); then Backward over the
    /// batch without zeroing (accumulation); then Update; then TrainStep on the first sample.
    /// </summary>
    private static void CheckNetwork<T>(EngineCase<T> engine, NetworkFixture fixture, Precision precision, double tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkTopology topology = fixture.Topology(precision);
        INetwork<T> network = engine.Create(topology);
        string where = $"{fixture.Name} on {engine}";
        int layers = fixture.Layers.Length;

        Assert.Equal(fixture.InputSize, network.InputSize);
        Assert.Equal(fixture.Layers[^1].Units, network.OutputSize);
        Assert.Equal(layers, network.LayerCount);
        Assert.Equal(fixture.ParameterCount, network.ParameterCount);
        Assert.Equal(fixture.ParameterCount, network.Parameters.Length);
        Assert.Equal(fixture.ParameterCount, network.Gradients.Length);

        T[] parameters = Convert<T>(fixture.Parameters);
        parameters.CopyTo(network.Parameters);
        var output = new T[network.OutputSize];

        // Each sample alone.
        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            SampleFixture sample = fixture.Samples[s];
            string at = $"{where}, sample {s}";

            network.Forward(Convert<T>(sample.Input), output);
            NumericAssert.Close<T>(sample.Output, output, tolerance, $"{at}: Forward output");
            for (int l = 0; l <= layers; l++)
                NumericAssert.Close<T>(sample.Activities[l], network.Activities(l), tolerance, $"{at}: Activities({l})");

            network.Gradients.Clear();
            T loss = network.Backward(Convert<T>(sample.Target));
            NumericAssert.Close<T>(sample.Loss, loss, tolerance, $"{at}: Backward loss");
            for (int l = 1; l <= layers; l++)
                NumericAssert.Close<T>(sample.Sensitivities[l - 1], network.Sensitivities(l), tolerance, $"{at}: Sensitivities({l})");
            NumericAssert.Close<T>(sample.Gradient, network.Gradients, tolerance, $"{at}: Gradients");
        }
        NumericAssert.Close<T>(fixture.Parameters, network.Parameters, tolerance, $"{where}: Parameters after Forward/Backward (must be unchanged)");

        // Backward accumulates: the batch without zeroing in between.
        network.Gradients.Clear();
        foreach (SampleFixture sample in fixture.Samples)
        {
            network.Forward(Convert<T>(sample.Input), output);
            network.Backward(Convert<T>(sample.Target));
        }
        NumericAssert.Close<T>(fixture.GradientSum, network.Gradients, tolerance, $"{where}: Gradients accumulated over {fixture.Samples.Length} samples");

        // θ ← θ − η·g, then g ← 0.
        T learningRate = T.CreateTruncating(fixture.Sgd.LearningRate);
        network.Update(learningRate);
        NumericAssert.Close<T>(fixture.Sgd.ParametersAfter, network.Parameters, tolerance, $"{where}: Parameters after Update({fixture.Sgd.LearningRate})");
        AssertAllZero<T>($"{where}: Gradients after Update", network.Gradients);

        // TrainStep = Forward, Backward, Update on one sample; the expected θ − η·g is formed here from the fixture.
        SampleFixture first = fixture.Samples[0];
        parameters.CopyTo(network.Parameters);
        T trainLoss = network.TrainStep(Convert<T>(first.Input), Convert<T>(first.Target), learningRate);
        NumericAssert.Close<T>(first.Loss, trainLoss, tolerance, $"{where}: TrainStep loss (sample 0)");
        double[] stepped = fixture.Parameters.Select((p, k) => p - fixture.Sgd.LearningRate * first.Gradient[k]).ToArray();
        NumericAssert.Close<T>(stepped, network.Parameters, tolerance, $"{where}: Parameters after TrainStep (sample 0)");
        AssertAllZero<T>($"{where}: Gradients after TrainStep", network.Gradients);
    }

    /// <summary>
    /// The fixtures themselves, without any engine: shapes agree with <see cref="NetworkTopology"/>, each gradient is
    /// −û^l·(x^(l−1))ᵀ and −û^l at the offsets <see cref="LayerShape"/> gives (so the script wrote NetCompiler's layout
    /// and sign convention), the batch gradient is the sum of the samples' and the SGD step is θ − η·Σg.
    /// </summary>
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void FixtureIsConsistentWithTheTopologyLayout(string name)
    {
        NetworkFixture fixture = PyTorchFixtures.LoadNetwork(name);
        const double exact = 1e-12;
        Assert.Equal(name, fixture.Name);
        Assert.Contains("tools/make_fixtures.py", fixture.GeneratedBy);

        NetworkTopology topology = fixture.Topology(Precision.Double);
        Assert.Equal(topology.ParameterCount, fixture.ParameterCount);
        Assert.Equal(topology.ParameterCount, fixture.Parameters.Length);
        Assert.Equal(topology.ParameterCount, fixture.GradientSum.Length);
        Assert.Equal(topology.ParameterCount, fixture.Sgd.ParametersAfter.Length);
        Assert.NotEmpty(fixture.Samples);

        var sum = new double[topology.ParameterCount];
        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            SampleFixture sample = fixture.Samples[s];
            string at = $"{name}, sample {s}";
            Assert.Equal(topology.Layers.Count + 1, sample.Activities.Length);
            Assert.Equal(topology.Layers.Count, sample.Sensitivities.Length);
            Assert.Equal(sample.Input, sample.Activities[0]);
            Assert.Equal(sample.Output, sample.Activities[^1]);
            Assert.Equal(topology.OutputSize, sample.Target.Length);
            Assert.Equal(topology.ParameterCount, sample.Gradient.Length);
            if (topology.Loss == LossFunction.CrossEntropy)
                Assert.InRange(sample.Target.Sum(), 1 - 1e-12, 1 + 1e-12);

            var gradient = new double[topology.ParameterCount];
            foreach (LayerShape layer in topology.Layers)
            {
                double[] x = sample.Activities[layer.Number - 1];
                double[] sensitivity = sample.Sensitivities[layer.Number - 1];
                Assert.Equal(layer.Inputs, x.Length);
                Assert.Equal(layer.Outputs, sensitivity.Length);
                Assert.Equal(layer.Outputs, sample.Activities[layer.Number].Length);
                for (int i = 0; i < layer.Outputs; i++)
                {
                    for (int j = 0; j < layer.Inputs; j++)
                        gradient[layer.WeightOffset + i * layer.Inputs + j] = -sensitivity[i] * x[j];
                    gradient[layer.BiasOffset + i] = -sensitivity[i];
                }
            }
            NumericAssert.Close<double>(gradient, sample.Gradient, exact, $"{at}: gradient vs −û·xᵀ in the topology's layout");
            for (int k = 0; k < sum.Length; k++) sum[k] += sample.Gradient[k];
        }
        NumericAssert.Close<double>(fixture.GradientSum, sum, exact, $"{name}: gradient_sum vs Σ sample gradients");
        double[] stepped = fixture.Parameters.Select((p, k) => p - fixture.Sgd.LearningRate * fixture.GradientSum[k]).ToArray();
        NumericAssert.Close<double>(fixture.Sgd.ParametersAfter, stepped, exact, $"{name}: sgd.parameters_after vs θ − η·Σg");
    }

    [Fact]
    public void EveryRequiredFixtureIsThere()
    {
        IReadOnlyList<string> names = PyTorchFixtures.NetworkNames();
        foreach (string required in RequiredFixtures)
            Assert.Contains(required, names);
        Assert.True(File.Exists(Path.Combine(PyTorchFixtures.Directory, PyTorchFixtures.OptimizersFile)), "optimizers.json is missing");
    }

    private delegate void OptimizerStep(Span<double> parameters, Span<double> gradients);

    /// <summary>
    /// <see cref="SgdMomentum{T}"/> and <see cref="Adam{T}"/> against torch.optim.SGD(momentum, nesterov) and
    /// torch.optim.Adam over the fixture's gradient sequence: θ after every step, and gradients zeroed by Step.
    /// </summary>
    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void OptimizerMatchesPyTorch(string name)
    {
        OptimizerFixture fixture = PyTorchFixtures.LoadOptimizers();
        OptimizerCase c = fixture.Cases.Single(c => c.Name == name);
        Assert.Equal(fixture.Steps, c.ParametersAfterStep.Length);
        Assert.Equal(fixture.Steps, fixture.Gradients.Length);

        OptimizerStep step;
        switch (c.Optimizer)
        {
            case "SgdMomentum":
                // Our SGD has neither dampening nor weight decay: the fixture must not use them.
                Assert.Equal(0.0, c.Dampening);
                Assert.Equal(0.0, c.WeightDecay);
                var sgd = new SgdMomentum<double>(fixture.ParameterCount, c.LearningRate, momentum: c.Momentum!.Value, nesterov: c.Nesterov!.Value);
                step = (p, g) => sgd.Step(p, g);
                break;
            case "Adam":
                // Adam(parameterCount, learningRate) has PyTorch's defaults for everything else.
                Assert.Equal(0.9, c.Beta1);
                Assert.Equal(0.999, c.Beta2);
                Assert.Equal(1e-8, c.Eps);
                Assert.Equal(0.0, c.WeightDecay);
                Assert.False(c.Amsgrad);
                var adam = new Adam<double>(fixture.ParameterCount, c.LearningRate);
                step = (p, g) => adam.Step(p, g);
                break;
            default:
                throw new XunitException($"Unknown optimizer '{c.Optimizer}' in case {name}.");
        }

        double[] parameters = fixture.InitialParameters.ToArray();
        for (int k = 0; k < fixture.Steps; k++)
        {
            double[] gradients = fixture.Gradients[k].ToArray();
            step(parameters, gradients);
            NumericAssert.Close<double>(c.ParametersAfterStep[k], parameters, DoubleTolerance, $"{name}: parameters after step {k + 1}");
            AssertAllZero<double>($"{name}: gradients after step {k + 1}", gradients);
        }
    }

    private static T[] Convert<T>(double[] values) where T : unmanaged, IFloatingPointIeee754<T> =>
        values.Select(v => T.CreateTruncating(v)).ToArray();

    private static void AssertAllZero<T>(string quantity, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < values.Length; k++)
            if (values[k] != T.Zero)
                throw new XunitException($"{quantity}: expected all zero, but index {k} of {values.Length} is {values[k]}.");
    }
}
