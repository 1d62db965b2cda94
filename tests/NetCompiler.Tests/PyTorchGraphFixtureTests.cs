using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Sdk;

namespace NetCompiler.Tests;

/// <summary>
/// The graph fixtures (Fixtures/pytorch/graph-*.json, PyTorch in float64; see the README there): convolutions with
/// stride, padding and a connection table, max and (trainable) average pooling in 1-D and 2-D, a dense layer after a
/// convolution, a residual Add with a two-source dense layer, Concat, and LeNet-5. First the fixtures themselves are
/// checked layer by layer against the formulas written out in <see cref="ReferenceLayers"/>; then the interpreted
/// engine in double and float runs them through <see cref="GraphFixtureCheck"/>, which generated networks can reuse.
/// </summary>
public class PyTorchGraphFixtureTests
{
    /// <summary>
    /// double: the same float64 formulas in another order move results by some ulps (the interpreted engine: at most
    /// 6e-12 on these fixtures, a LeNet-5 gradient entry made of 100 products); 1e-10 as for the MLP fixtures, while a
    /// wrong index or formula is off by 1e-3 or more.
    /// </summary>
    public const double DoubleTolerance = 1e-10;

    /// <summary>
    /// float: θ, x and every sum rounded to float. The interpreted engine is off by at most 1.1e-5 on these fixtures
    /// (graph-dense-after-conv: the cross-entropy û = d − x of a sample whose target nearly equals the output keeps an
    /// absolute error of one ulp of x, and the layer below inherits it), so the MLP fixtures' 2e-5 would leave less than
    /// a factor 2 for other summation orders such as generated Vector256 code; 5e-5 leaves 4, and is still 20 times
    /// below the 1e-3 at which a wrong formula shows.
    /// </summary>
    public const double SingleTolerance = 5e-5;

    /// <summary>The fixture against the formulas, both in double: only the order of summation differs.</summary>
    private const double FormulaTolerance = 1e-12;

    /// <summary>The graph fixtures issue 4 asked for; the folder may hold more, and all are tested.</summary>
    private static readonly string[] RequiredFixtures =
    {
        "graph-conv1d-stride2-pad1",
        "graph-conv2d-stride2-pad1",
        "graph-conv2d-connection-table",
        "graph-pool1d",
        "graph-pool2d",
        "graph-avgpool-trainable-1d",
        "graph-avgpool-trainable-2d",
        "graph-dense-after-conv",
        "graph-residual-two-source-dense",
        "graph-concat",
        "graph-lenet5",
    };

    public static IEnumerable<object[]> GraphNames() => PyTorchFixtures.GraphNames().Select(name => new object[] { name });

    [Theory]
    [MemberData(nameof(GraphNames))]
    public void InterpretedDoubleMatchesPyTorch(string name)
    {
        GraphFixture fixture = PyTorchFixtures.LoadGraph(name);
        GraphFixtureCheck.Run(fixture, Engines.InterpretedDouble(fixture.Topology(Precision.Double)), DoubleTolerance, "Interpreted");
    }

    [Theory]
    [MemberData(nameof(GraphNames))]
    public void InterpretedSingleMatchesPyTorch(string name)
    {
        GraphFixture fixture = PyTorchFixtures.LoadGraph(name);
        GraphFixtureCheck.Run(fixture, Engines.InterpretedSingle(fixture.Topology(Precision.Single)), SingleTolerance, "Interpreted");
    }

    /// <summary>The check can fail: one LeNet-5 C3 weight gradient off by 1e-3 of itself, in float, is caught and located.</summary>
    [Fact]
    public void CheckCatchesOneWrongGradientEntry()
    {
        GraphFixture fixture = PyTorchFixtures.LoadGraph("graph-lenet5");
        NetworkTopology topology = fixture.Topology(Precision.Single);
        int index = topology.Layers[2].KernelOffset(15, 5) + 12; // C3, filter 15 reads channel 5, centre tap
        double g = fixture.ExpectedGradient(topology, fixture.Samples[0])[index];
        Assert.NotEqual(0.0, g);
        var broken = new CorruptingNetwork<float>(Engines.InterpretedSingle(topology), index, (float)(1e-3 * g));
        var failure = Assert.Throws<XunitException>(() => GraphFixtureCheck.Run(fixture, broken, SingleTolerance, "corrupted"));
        Assert.Contains("Gradients of layer 3", failure.Message);
        Assert.Contains("w[filter 15, channel 5, tap 12]", failure.Message);
    }

    [Fact]
    public void EveryRequiredGraphFixtureIsThere()
    {
        IReadOnlyList<string> names = PyTorchFixtures.GraphNames();
        foreach (string required in RequiredFixtures)
            Assert.Contains(required, names);
    }

    [Fact]
    public void LeNet5FixtureIsLeCunsNetwork()
    {
        GraphFixture fixture = PyTorchFixtures.LoadGraph("graph-lenet5");
        NetworkTopology topology = fixture.Topology(Precision.Single);
        Assert.Equal(60_850, topology.ParameterCount);
        Assert.Equal(new[] { 156, 12, 1516, 32, 48_120, 10_164, 850 }, topology.Layers.Select(l => l.ParameterCount));
        Assert.Equal(new TensorShape(16, 10, 10), topology.Layers[2].Shape);
        Assert.Equal(LossFunction.CrossEntropy, topology.Loss);
        Assert.Equal(2, fixture.Samples.Length);
    }

    /// <summary>
    /// The fixture without any engine: the topology rebuilt from its description has the shapes and parameter slices
    /// the script computed; the C# replay of the parameter rule gives the written θ bit for bit; and for every sample,
    /// wherever the buffers are written, each layer's x^l = f(u(x^sources)), its gradient block is −û·xᵀ summed over
    /// shared weights, û^k = f'(u^k)·Σ(what its consumers send back), the output's û and the loss follow from x and d,
    /// and ∂L/∂x^0 is what the layers reading the input send back. This pins PyTorch's results to the formulas of the
    /// brief, so a disagreement with an engine can be traced to one side.
    /// </summary>
    [Theory]
    [MemberData(nameof(GraphNames))]
    public void FixtureAgreesWithTheFormulasLayerByLayer(string name)
    {
        GraphFixture fixture = PyTorchFixtures.LoadGraph(name);
        Assert.Equal(name, fixture.Name);
        Assert.Contains("tools/make_fixtures.py", fixture.GeneratedBy);
        NetworkTopology topology = fixture.Topology(Precision.Double);
        GraphFixtureCheck.CheckTopology(fixture, topology, name);
        int layers = topology.Layers.Count, output = topology.OutputLayer;
        LayerShape outputLayer = topology.Layers[output - 1];

        double[] replayed = fixture.ParameterRule.Generate(fixture.ParameterCount);
        if (fixture.Parameters is double[] written)
            for (int k = 0; k < written.Length; k++)
                if (BitConverter.DoubleToInt64Bits(written[k]) != BitConverter.DoubleToInt64Bits(replayed[k]))
                    throw new XunitException($"{name}: the parameter rule replayed gives θ[{k}] = {replayed[k]:R}, the file {written[k]:R}.");
        double[] theta = fixture.ParameterValues();

        int forwardChecks = 0, gradientChecks = 0, chainChecks = 0, inputChecks = 0;
        for (int s = 0; s < fixture.Samples.Length; s++)
        {
            GraphSampleFixture sample = fixture.Samples[s];
            string at = $"{name}, sample {s}";
            Assert.Equal(layers + 1, sample.Activities.Length);
            Assert.Equal(layers, sample.Sensitivities.Length);
            Assert.Equal(topology.InputSize, sample.Input.Length);
            Assert.Equal(topology.InputSize, sample.InputGradient.Length);
            Assert.Equal(topology.OutputSize, sample.Output.Length);
            Assert.Equal(topology.OutputSize, sample.Target.Length);
            if (sample.Activities[0] is double[] x0) Assert.Equal(sample.Input, x0);
            if (sample.Activities[output] is double[] xL) Assert.Equal(sample.Output, xL);
            for (int l = 1; l <= layers; l++)
            {
                if (sample.Activities[l] is double[] x) Assert.Equal(topology.Layers[l - 1].Outputs, x.Length);
                if (sample.Sensitivities[l - 1] is double[] u) Assert.Equal(topology.Layers[l - 1].Outputs, u.Length);
            }
            Assert.Equal(topology.Layers.Where(l => l.ParameterCount > 0).Select(l => (l.Number, l.WeightOffset, l.ParameterCount)),
                sample.Gradient.Select(b => (b.Layer, b.Offset, b.Count)));
            Assert.All(sample.Gradient, b => Assert.True(b.Values is null || b.Values.Length == b.Count));
            Assert.True(fixture.Compact || sample.Gradient.All(b => b.Values is not null), $"{at}: only a compact fixture may leave gradient blocks out");
            double[] Activity(int l) => sample.Activities[l] ?? Array.Empty<double>();

            // Loss and the output's û from x^L and d.
            double[] d = sample.Target, y = sample.Output;
            if (topology.Loss == LossFunction.CrossEntropy)
            {
                Assert.InRange(d.Sum(), 1 - 1e-12, 1 + 1e-12);
                NumericAssert.Close(-d.Select((dk, k) => dk * Math.Log(y[k])).Sum(), sample.Loss, FormulaTolerance, $"{at}: loss −Σ d·log x");
                Assert.Equal(Activation.Softmax, outputLayer.Activation);
                if (sample.Sensitivities[output - 1] is double[] uHat)
                    NumericAssert.Close<double>(y.Select((yk, k) => d[k] - d.Sum() * yk).ToArray(), uHat, FormulaTolerance, $"{at}: output û = d − (Σd)·x");
            }
            else
            {
                NumericAssert.Close(0.5 * d.Select((dk, k) => (dk - y[k]) * (dk - y[k])).Sum(), sample.Loss, FormulaTolerance, $"{at}: loss ½Σ(d − x)²");
                if (sample.Sensitivities[output - 1] is double[] uHat && outputLayer.Activation != Activation.Softmax)
                    NumericAssert.Close<double>(y.Select((yk, k) => ReferenceLayers.Derivative(outputLayer.Activation, yk) * (d[k] - yk)).ToArray(), uHat,
                        FormulaTolerance, $"{at}: output û = f'(u)·(d − x)");
            }

            foreach (LayerShape layer in topology.Layers)
            {
                int l = layer.Number;
                bool sourcesWritten = layer.Sources.All(src => sample.Activities[src] is not null);
                double[][] sources = layer.Sources.Select(Activity).ToArray();

                // Forward: x^l = f(u(x^sources)).
                if (sourcesWritten && sample.Activities[l] is double[] x)
                {
                    double[] u = ReferenceLayers.PreActivation(layer, theta, sources);
                    NumericAssert.Close<double>(ReferenceLayers.Activate(layer.Activation, u), x, FormulaTolerance, $"{at}: x^{l} of {layer} from its sources");
                    forwardChecks++;
                }

                // The gradient block: −û·xᵀ summed over shared weights (null blocks are rebuilt that way, so skip them).
                GradientBlock? block = sample.Gradient.SingleOrDefault(b => b.Layer == l);
                if (block?.Values is double[] values && sourcesWritten && sample.Sensitivities[l - 1] is double[] layerUHat)
                {
                    NumericAssert.Close<double>(ReferenceLayers.Gradient(layer, layerUHat, sources), values, FormulaTolerance,
                        $"{at}: gradient of {layer} vs −û·xᵀ", k => GraphFixtureCheck.ParameterName(topology, layer.WeightOffset + k));
                    gradientChecks++;
                }

                // Backward: û^l = f'(u^l)·x̂^l, x̂^l the sum of what each consumer sends back.
                if (l != output && sample.Sensitivities[l - 1] is double[] expected && sample.Activities[l] is double[] xl
                    && TrySendBack(topology, l, theta, sample) is double[] xHat)
                {
                    NumericAssert.Close<double>(xHat.Select((v, k) => ReferenceLayers.Derivative(layer.Activation, xl[k]) * v).ToArray(), expected,
                        FormulaTolerance, $"{at}: û^{l} of {layer} = f'(u)·Σ consumers' x̂");
                    chainChecks++;
                }
            }

            // ∂L/∂x^0 = −x̂^0.
            if (TrySendBack(topology, 0, theta, sample) is double[] inputHat)
            {
                NumericAssert.Close<double>(inputHat.Select(v => -v).ToArray(), sample.InputGradient, FormulaTolerance, $"{at}: ∂L/∂x^0 = −Σ consumers' x̂");
                inputChecks++;
            }
        }

        // A full fixture is checked everywhere; a compact one (LeNet-5) where it has the buffers.
        int samples = fixture.Samples.Length;
        if (!fixture.Compact)
        {
            Assert.Equal(layers * samples, forwardChecks);
            Assert.Equal(topology.Layers.Count(l => l.ParameterCount > 0) * samples, gradientChecks);
            Assert.Equal((layers - 1) * samples, chainChecks);
            Assert.Equal(samples, inputChecks);
        }
        else
        {
            Assert.True(forwardChecks > 0 && chainChecks > 0, $"{name}: forward {forwardChecks}, chain {chainChecks} checks");
        }
    }

    /// <summary>x̂^k = Σ over the consumers of layer k of what their backward step sends it, or null when a needed buffer is not written.</summary>
    private static double[]? TrySendBack(NetworkTopology topology, int k, double[] theta, GraphSampleFixture sample)
    {
        var xHat = new double[k == 0 ? topology.InputSize : topology.Layers[k - 1].Outputs];
        foreach (int c in topology.Consumers(k))
        {
            LayerShape consumer = topology.Layers[c - 1];
            if (sample.Sensitivities[c - 1] is not double[] uHat) return null;
            if (consumer.Kind == LayerKind.MaxPool && sample.Activities[consumer.Sources[0]] is null) return null;
            double[][] sent = ReferenceLayers.SourceSensitivities(consumer, theta, uHat, consumer.Sources.Select(s => sample.Activities[s]).ToArray());
            for (int s = 0; s < sent.Length; s++)
                if (consumer.Sources[s] == k)
                    for (int j = 0; j < xHat.Length; j++) xHat[j] += sent[s][j];
        }
        return xHat;
    }
}
