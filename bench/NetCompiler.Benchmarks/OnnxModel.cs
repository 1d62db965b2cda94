// How the ONNX models are made: in benchmark setup, from the generated network's own parameter buffer (the same weights
// every engine uses), by a small hand-written protobuf writer (Google.Protobuf's CodedOutputStream; no generated
// classes, no onnx package). Only the fields used below are written, with their numbers from onnx.proto (IR version 8,
// default-domain opset 13):
//   Dense            → Gemm(x, W [out, in], b [out], transB = 1), then Tanh / Relu / Sigmoid / Softmax (axis −1);
//                      a Flatten (axis 1) first when the previous layer is a [C, H, W] map.
//   Conv2D           → Conv(x, w [filters, channels, k, k], b, pads, strides); a connection table (LeNet-5's C3)
//                      becomes a full convolution whose absent kernels are zeros.
//   Trainable AvgPool→ AveragePool(kernel, strides) · c [C, 1, 1] + b [C, 1, 1] (Mul, Add), then the activation.
// The input is [N, features] for a dense network and [N, C, H, W] for a convolutional one, with a symbolic batch N, so
// that one model serves batch 1 and batch 64.
using System;
using System.Collections.Generic;
using System.IO;
using Google.Protobuf;
using NetCompiler;

namespace NetCompiler.Benchmarks;

public static class OnnxModel
{
    public const string InputName = "input", OutputName = "output";

    /// <summary>The serialized ModelProto of <paramref name="topology"/> with weights <paramref name="theta"/>.</summary>
    public static byte[] Build(NetworkTopology topology, ReadOnlySpan<float> theta)
    {
        var nodes = new List<byte[]>();
        var initializers = new List<byte[]>();
        string x = InputName;
        TensorShape shape = topology.InputShape;
        int count = 0;
        string Next() => "t" + (count++);

        foreach (LayerShape layer in topology.Layers)
        {
            if (layer.Sources.Count != 1 || layer.Sources[0] != layer.Number - 1)
                throw new NotSupportedException("OnnxModel writes chains only.");
            string p = "l" + layer.Number + "_";
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    if (shape.Rank > 1)
                    {
                        string flat = Next();
                        nodes.Add(Node("Flatten", new[] { x }, flat, Attribute("axis", 1)));
                        x = flat;
                    }
                    initializers.Add(Tensor(p + "W", new long[] { layer.Outputs, layer.Inputs }, theta.Slice(layer.WeightOffset, layer.WeightCount)));
                    initializers.Add(Tensor(p + "b", new long[] { layer.Outputs }, theta.Slice(layer.BiasOffset, layer.BiasCount)));
                    string u = Next();
                    nodes.Add(Node("Gemm", new[] { x, p + "W", p + "b" }, u, Attribute("transB", 1)));
                    x = u;
                    break;
                }
                case LayerKind.Conv2D:
                {
                    int filters = layer.Shape.Channels, channels = shape.Channels, k = layer.KernelSize;
                    float[] w = FullKernels(layer, channels, theta);
                    initializers.Add(Tensor(p + "w", new long[] { filters, channels, k, k }, w));
                    initializers.Add(Tensor(p + "b", new long[] { filters }, theta.Slice(layer.BiasOffset, layer.BiasCount)));
                    string u = Next();
                    int pad = layer.Padding, stride = layer.Stride;
                    nodes.Add(Node("Conv", new[] { x, p + "w", p + "b" }, u,
                        Attribute("kernel_shape", k, k), Attribute("pads", pad, pad, pad, pad), Attribute("strides", stride, stride)));
                    x = u;
                    break;
                }
                case LayerKind.AvgPool:
                {
                    int size = layer.PoolSize, stride = layer.Stride;
                    string mean = Next();
                    nodes.Add(Node("AveragePool", new[] { x }, mean, Attribute("kernel_shape", size, size), Attribute("strides", stride, stride)));
                    x = mean;
                    if (layer.Trainable)
                    {
                        int c = layer.Shape.Channels;
                        initializers.Add(Tensor(p + "c", new long[] { c, 1, 1 }, theta.Slice(layer.WeightOffset, c)));
                        initializers.Add(Tensor(p + "b", new long[] { c, 1, 1 }, theta.Slice(layer.BiasOffset, c)));
                        string scaled = Next(), shifted = Next();
                        nodes.Add(Node("Mul", new[] { x, p + "c" }, scaled));
                        nodes.Add(Node("Add", new[] { scaled, p + "b" }, shifted));
                        x = shifted;
                    }
                    break;
                }
                default:
                    throw new NotSupportedException($"OnnxModel does not write {layer.Kind} layers.");
            }

            string? op = layer.Activation switch
            {
                Activation.Identity => null,
                Activation.Tanh => "Tanh",
                Activation.ReLU => "Relu",
                Activation.Sigmoid => "Sigmoid",
                Activation.Softmax => "Softmax",
                _ => throw new NotSupportedException($"OnnxModel does not write {layer.Activation}."),
            };
            if (op is not null)
            {
                string y = Next();
                nodes.Add(op == "Softmax" ? Node(op, new[] { x }, y, Attribute("axis", -1)) : Node(op, new[] { x }, y));
                x = y;
            }
            shape = layer.Shape;
        }
        nodes.Add(Node("Identity", new[] { x }, OutputName));

        var inputDims = new List<long> { -1 };
        foreach (int d in topology.InputShape.ToArray()) inputDims.Add(d);
        byte[] graph = Message(o =>
        {
            foreach (byte[] n in nodes) WriteMessage(o, 1, n);                      // GraphProto.node
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("netcompiler"); // name
            foreach (byte[] t in initializers) WriteMessage(o, 5, t);               // initializer
            WriteMessage(o, 11, ValueInfo(InputName, inputDims.ToArray()));         // input
            WriteMessage(o, 12, ValueInfo(OutputName, new long[] { -1, topology.OutputSize })); // output
        });
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(8);             // ModelProto.ir_version
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString("NetCompiler.Benchmarks"); // producer_name
            WriteMessage(o, 7, graph);                                               // graph
            WriteMessage(o, 8, Message(s =>                                          // opset_import
            {
                s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(""); // domain: ai.onnx
                s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(13);          // version
            }));
        });
    }

    /// <summary>
    /// A Conv2D layer's weights as PyTorch's full [filters, channels, k, k]: a connection table's absent kernels are zeros.
    /// </summary>
    public static float[] FullKernels(LayerShape layer, int channels, ReadOnlySpan<float> theta)
    {
        int filters = layer.Shape.Channels, k = layer.KernelSize;
        var w = new float[filters * channels * k * k];
        for (int o = 0; o < filters; o++)
            for (int i = 0; i < channels; i++)
            {
                int at = layer.KernelOffset(o, i);
                if (at >= 0) theta.Slice(at, k * k).CopyTo(w.AsSpan((o * channels + i) * k * k, k * k));
            }
        return w;
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
            output.Flush();
        }
        return stream.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }

    // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
    private static byte[] Node(string op, string[] inputs, string output, params byte[][] attributes) => Message(o =>
    {
        foreach (string i in inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(output);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited); o.WriteString(output + "_" + op);
        o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteString(op);
        foreach (byte[] a in attributes) WriteMessage(o, 5, a);
    });

    // AttributeProto: name = 1, i = 3, ints = 8, type = 20 (INT = 2, INTS = 7).
    private static byte[] Attribute(string name, long value) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(value);
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteEnum(2);
    });

    private static byte[] Attribute(string name, long first, params long[] rest) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(first);
        foreach (long v in rest) { o.WriteTag(8, WireFormat.WireType.Varint); o.WriteInt64(v); }
        o.WriteTag(20, WireFormat.WireType.Varint); o.WriteEnum(7);
    });

    // TensorProto: dims = 1, data_type = 2 (FLOAT = 1), name = 8, raw_data = 9 (little-endian floats).
    private static byte[] Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(i * 4), values[i]);
        return Message(o =>
        {
            foreach (long d in dims) { o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(d); }
            o.WriteTag(2, WireFormat.WireType.Varint); o.WriteInt32(1);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFrom(raw));
        });
    }

    // ValueInfoProto: name = 1, type = 2; TypeProto.tensor_type = 1; Tensor: elem_type = 1, shape = 2;
    // TensorShapeProto.dim = 1; Dimension: dim_value = 1, dim_param = 2 (a negative dim here means the batch "N").
    private static byte[] ValueInfo(string name, long[] dims)
    {
        byte[] shape = Message(o =>
        {
            foreach (long d in dims)
                WriteMessage(o, 1, Message(m =>
                {
                    if (d < 0) { m.WriteTag(2, WireFormat.WireType.LengthDelimited); m.WriteString("N"); }
                    else { m.WriteTag(1, WireFormat.WireType.Varint); m.WriteInt64(d); }
                }));
        });
        byte[] tensor = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt32(1);
            WriteMessage(o, 2, shape);
        });
        byte[] type = Message(o => WriteMessage(o, 1, tensor));
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
            WriteMessage(o, 2, type);
        });
    }
}
