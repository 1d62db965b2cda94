using System;
using System.Linq;
using NetCompiler.Onnx;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// Models written node by node with the exporter's own graph writer (OnnxWriter: NodeProto, TensorProto, AttributeProto
/// as onnx.proto numbers them), the way PyTorch's torch.onnx.export lays them out: "/fc1/Gemm" node names, Constant
/// nodes feeding Pad and Reshape, "onnx::Conv_12" initializers for weights with BatchNormalization folded in.
/// </summary>
internal static class HandBuilt
{
    public const int Float = TensorProto.Float;

    /// <summary>A graph with one FLOAT input "x" of <paramref name="dims"/> ("N" for a symbolic batch).</summary>
    public static OnnxWriter Graph(params string[] dims)
    {
        var writer = new OnnxWriter();
        writer.Input("x", Float, dims);
        return writer;
    }

    /// <summary>Seeded values in [−1, 1), float-rounded (the tensors are written as FLOAT).</summary>
    public static double[] Values(int seed, int count, double low = -1, double high = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (double)(float)(low + (high - low) * random.NextDouble())).ToArray();
    }

    /// <summary>A FLOAT initializer with seeded values; returns the values.</summary>
    public static double[] Weight(this OnnxWriter writer, string name, long[] dims, int seed, double low = -1, double high = 1)
    {
        double[] values = Values(seed, (int)dims.Aggregate(1L, (p, d) => p * d), low, high);
        writer.Initializer(OnnxWriter.Tensor(name, dims, values));
        return values;
    }

    /// <summary>A Constant node holding INT64 values, as PyTorch writes pads and shapes.</summary>
    public static void Int64Constant(this OnnxWriter writer, string node, string output, params long[] values) =>
        writer.Node("Constant", node, [], [output],
            OnnxWriter.TensorValue("value", OnnxWriter.Tensor(output, [values.Length], values.Select(v => (double)v).ToArray(), TensorProto.Int64)));

    /// <summary>The model with graph output <paramref name="output"/>.</summary>
    public static byte[] Model(this OnnxWriter writer, string output, long opset = 13)
    {
        writer.Output(output, Float, null);
        return writer.ToModel(opset: opset);
    }

    public static OnnxImport Import(byte[] model, LossFunction? loss = null) => OnnxImporter.Import("test.onnx", model, loss);

    public static OnnxImport Import(this OnnxWriter writer, string output, long opset = 13, LossFunction? loss = null) =>
        Import(writer.Model(output, opset), loss);

    /// <summary>The imported network, interpreted in double on θ.</summary>
    public static InterpretedNetwork<double> Network(OnnxImport import, LossFunction? loss = null)
    {
        if (import.Theta is null) throw new InvalidOperationException("Import failed: " + string.Join("; ", import.Problems));
        var topology = new NetworkTopology(import.InputShape!, import.Layers, loss, Precision.Double, import.Output);
        return new InterpretedNetwork<double>(new NetworkWeights<double>(topology, import.Theta));
    }

    /// <summary>The layers as "name: Spec" lines, for assertions.</summary>
    public static string[] Layers(OnnxImport import) => import.Layers.Select(l => l.Name + ": " + l).ToArray();
}
