using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NetCompiler.Onnx;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// OnnxModel's export: Save → Load gives the same network (layers, names, output) and bit-identical θ, and ONNX Runtime
/// runs the exported bytes to the network's own Forward within 1e-5.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    /// <summary>|ORT − Forward| ≤ 1e-5·max(1, |Forward|): float rounding in another summation order, exp and tanh.</summary>
    private const double RuntimeTolerance = 1e-5;

    [Theory]
    [MemberData(nameof(OnnxCases.Data), MemberType = typeof(OnnxCases))]
    public void Export_then_import_gives_the_same_float_network(string name) => RoundTrip<float>(name);

    [Theory]
    [MemberData(nameof(OnnxCases.Data), MemberType = typeof(OnnxCases))]
    public void Export_then_import_gives_the_same_double_network(string name) => RoundTrip<double>(name);

    private void RoundTrip<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkTopology topology = OnnxCases.Topology(name, OnnxCases.PrecisionOf<T>());
        NetworkWeights<T> weights = OnnxCases.Weights<T>(topology, seed: 3);
        byte[] bytes = OnnxModel.ToBytes(weights);
        NetworkWeights<T> loaded = OnnxCases.Load<T>(bytes, topology.Loss);

        NetworkTopology imported = loaded.Topology;
        output.WriteLine(imported.ToString());
        Assert.True(imported.HasSameLayers(topology), "imported " + imported + "\nexported " + topology);
        Assert.Equal(topology.Loss, imported.Loss);
        Assert.Equal(topology.Precision, imported.Precision);
        for (int l = 1; l <= topology.Layers.Count; l++)
            Assert.Equal(OnnxCases.ExpectedName(topology, l), imported.Layers[l - 1].Name);
        Assert.Equal(OnnxCases.ExpectedName(topology, topology.OutputLayer), imported.Layers[imported.OutputLayer - 1].Name);
        T[] expected = weights.AsReadOnlySpan().ToArray(), actual = loaded.AsReadOnlySpan().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i]) && !(T.IsNaN(expected[i]) && T.IsNaN(actual[i])))
                Assert.Fail($"θ[{i}]: exported {expected[i]}, imported {actual[i]}");
    }

    [Fact]
    public void A_graph_declared_out_of_order_comes_back_in_execution_order_with_the_same_Forward()
    {
        // ResidualNet declares its output first; ONNX nodes are in execution order, so the layers come back reordered.
        var generated = Generated.GraphNetworks.All["Residual"].Single();
        NetworkWeights<float> weights = OnnxCases.Weights<float>(generated.Topology, seed: 5);
        NetworkWeights<float> loaded = OnnxCases.Load<float>(OnnxModel.ToBytes(weights), generated.Topology.Loss);
        output.WriteLine(loaded.Topology.ToString());
        Assert.Equal(["h", "g", "r", "out"], loaded.Topology.Layers.Select(l => l.Name));
        Assert.Equal("out", loaded.Topology.Layers[loaded.Topology.OutputLayer - 1].Name);
        float[] x = TestNetworks.Convert<float>(Graphs.RandomInput(generated.Topology, 1));
        float[] a = new float[10], b = new float[10];
        new InterpretedNetwork<float>(weights).Forward(x, a);
        new InterpretedNetwork<float>(loaded).Forward(x, b);
        Assert.Equal(a, b);
    }

    [Theory]
    [MemberData(nameof(OnnxCases.Data), MemberType = typeof(OnnxCases))]
    public void OnnxRuntime_runs_the_exported_float_model_as_Forward_does(string name)
    {
        NetworkTopology topology = OnnxCases.Topology(name, Precision.Single);
        NetworkWeights<float> weights = OnnxCases.Weights<float>(topology, seed: 7);
        IInferenceNetwork<float> reference = OnnxCases.GeneratedNetwork(name) ?? new InterpretedNetwork<float>(topology);
        weights.AsReadOnlySpan().CopyTo(reference.Parameters);
        CompareWithRuntime(OnnxModel.ToBytes(weights), reference, (reference is InterpretedNetwork<float> ? "interpreted " : "generated ") + name);
    }

    [Fact]
    public void OnnxRuntime_runs_an_exported_double_model_as_Forward_does()
    {
        // ONNX Runtime's CPU kernels for double cover Gemm and these activations (not Conv), so a dense chain.
        NetworkTopology topology = OnnxCases.Topology("mlp relu-tanh-sigmoid", Precision.Double);
        NetworkWeights<double> weights = OnnxCases.Weights<double>(topology, seed: 7);
        CompareWithRuntime(OnnxModel.ToBytes(weights), new InterpretedNetwork<double>(weights), "interpreted double MLP");
    }

    /// <summary>Runs a batch of three samples through ONNX Runtime and each through <paramref name="reference"/>.Forward.</summary>
    private void CompareWithRuntime<T>(byte[] model, IInferenceNetwork<T> reference, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int batch = 3;
        NetworkTopology topology = reference.Topology;
        int n = topology.InputSize, m = topology.OutputSize;
        var inputs = new T[batch * n];
        for (int s = 0; s < batch; s++) TestNetworks.Convert<T>(Graphs.RandomInput(topology, s + 1)).CopyTo(inputs, s * n);
        int[] dims = new[] { batch }.Concat(topology.InputShape.ToArray()).ToArray();

        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModel.InputName, new DenseTensor<T>(inputs, dims))]);
        T[] actual = results.Single(r => r.Name == OnnxModel.OutputName).AsTensor<T>().ToArray();
        Assert.Equal(batch * m, actual.Length);

        double worst = 0;
        string where = "";
        var expected = new T[m];
        for (int s = 0; s < batch; s++)
        {
            reference.Forward(inputs.AsSpan(s * n, n), expected);
            for (int i = 0; i < m; i++)
            {
                double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[s * m + i]);
                double difference = Math.Abs(a - e) / Math.Max(1, Math.Abs(e));
                if (difference > worst || double.IsNaN(difference))
                {
                    worst = difference;
                    where = $"sample {s}, output {i}: Forward {e:R}, ONNX Runtime {a:R}";
                }
            }
        }
        output.WriteLine($"{what}: worst |ORT − Forward| / max(1, |Forward|) = {worst:E2} ({where})");
        Assert.True(worst <= RuntimeTolerance, $"{what}: worst difference {worst:E2} > {RuntimeTolerance:E0} at {where}");
    }
}
