// The ONNX exporter: any NetCompiler network as a ModelProto (IR version 8, default-domain opset 13) that ONNX Runtime
// runs and OnnxImporter reads back to the same topology and bit-identical θ. Layers are written in execution order,
// each as the operators PyTorch would use, with the weights named and shaped as in the network's safetensors file
// (SafeTensorsFormat.Plan: PyTorch's state_dict names):
//   Dense            → [Flatten] → Gemm(x, W [out, in], b, transB = 1); several sources: one Gemm per source (the
//                      first with the bias) summed by Add.
//   Conv1D / Conv2D  → Conv(x, w, b; kernel_shape, strides, pads); a connection table is a full convolution whose absent
//                      kernels are zeros, with the table in metadata_props "netcompiler.connections.<layer>".
//   AvgPool, MaxPool → AveragePool / MaxPool(kernel_shape, strides); trainable: · c [C, 1, 1] + b [C, 1, 1] (Mul, Add).
//   Add, Concat      → Add (chained), Concat(axis 1).
//   f                → Relu, LeakyRelu(alpha 0.01), Tanh, Sigmoid, Softmax(axis −1, on the flattened output).
// The input is [N, …] with a symbolic batch N, so one model serves any batch; the output is [N, output size].
// The graph-building helpers are also what the tests use to write models by hand.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using NetCompiler.Serialization;

namespace NetCompiler.Onnx;

/// <summary>Builds one ONNX graph and its model; <see cref="Export{T}"/> builds a network's.</summary>
internal sealed class OnnxWriter
{
    public const int IrVersion = 8, Opset = 13;

    private readonly ProtoWriter _graph = new();
    private readonly List<KeyValuePair<string, string>> _metadata = new();

    /// <summary>The serialized model of a network with weights <paramref name="weights"/>.</summary>
    public static byte[] Export<T>(NetworkWeights<T> weights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (weights is null) throw new ArgumentNullException(nameof(weights));
        NetworkTopology topology = weights.Topology;
        int dataType = typeof(T) == typeof(double) ? TensorProto.Double : TensorProto.Float;
        var writer = new OnnxWriter();
        var values = new string[topology.Layers.Count + 1]; // the value each layer's output goes by
        values[0] = OnnxModel.InputName;
        var plan = SafeTensorsFormat.Plan(topology);
        foreach (SafeTensorsFormat.TensorPlan tensor in plan) writer.Initializer(Tensor(tensor, weights.AsReadOnlySpan(), dataType));
        foreach (int l in topology.ExecutionOrder)
            values[l] = writer.Layer(topology, topology.Layers[l - 1], values);
        writer.Input(OnnxModel.InputName, dataType, Dims("N", topology.InputShape.ToArray()));
        writer.Output(OnnxModel.OutputName, dataType, Dims("N", topology.OutputSize));
        return writer.ToModel();
    }

    /// <summary>Writes one layer's nodes and returns the name of its output.</summary>
    private string Layer(NetworkTopology topology, LayerShape layer, string[] values)
    {
        string name = LayerName(topology, layer.Number);
        bool output = layer.Number == topology.OutputLayer;
        bool flattenOutput = output && layer.Shape.Rank > 1; // the graph's output is [N, output size], as Forward's
        string final = output ? OnnxModel.OutputName : name + "/x";
        string u = layer.Activation != Activation.Identity || flattenOutput ? name + "/u" : final;
        string Source(int s) => values[layer.Sources[s]];
        switch (layer.Kind)
        {
            case LayerKind.Dense:
            {
                string sum = "";
                for (int s = 0; s < layer.Sources.Count; s++)
                {
                    string x = Source(s);
                    if (layer.SourceShapes[s].Rank > 1)
                        Node("Flatten", name + "/Flatten" + s, new[] { x }, new[] { x = name + "/flat" + s }, Int("axis", 1));
                    string weight = layer.Sources.Count == 1 ? name + ".weight" : name + ".weight." + LayerName(topology, layer.Sources[s]);
                    string product = layer.Sources.Count == 1 ? u : name + "/u" + s;
                    Node("Gemm", s == 0 ? name : name + "/Gemm" + s, s == 0 ? new[] { x, weight, name + ".bias" } : new[] { x, weight },
                        new[] { product }, Int("transB", 1));
                    if (s == 0) sum = product;
                    else Node("Add", name + "/Add" + s, new[] { sum, product }, new[] { sum = s == layer.Sources.Count - 1 ? u : name + "/sum" + s });
                }
                break;
            }
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                int k = layer.KernelSize, stride = layer.Stride, pad = layer.Padding;
                bool twoD = layer.Kind == LayerKind.Conv2D;
                Node("Conv", name, new[] { Source(0), name + ".weight", name + ".bias" }, new[] { u },
                    twoD ? Ints("kernel_shape", k, k) : Ints("kernel_shape", k),
                    twoD ? Ints("pads", pad, pad, pad, pad) : Ints("pads", pad, pad),
                    twoD ? Ints("strides", stride, stride) : Ints("strides", stride));
                if (((ConvLayer)layer.Spec).Connections is { } table)
                    _metadata.Add(new KeyValuePair<string, string>(OnnxImporter.ConnectionsKey + name, string.Join(",", table)));
                break;
            }
            case LayerKind.AvgPool:
            case LayerKind.MaxPool:
            {
                int size = layer.PoolSize, stride = layer.Stride;
                bool twoD = layer.Shape.Rank == 3;
                string pooled = layer.Trainable ? name + "/mean" : u;
                Node(layer.Kind == LayerKind.AvgPool ? "AveragePool" : "MaxPool", name, new[] { Source(0) }, new[] { pooled },
                    twoD ? Ints("kernel_shape", size, size) : Ints("kernel_shape", size), twoD ? Ints("strides", stride, stride) : Ints("strides", stride));
                if (layer.Trainable)
                {
                    Node("Mul", name + "/Mul", new[] { pooled, name + ".coefficient" }, new[] { name + "/scaled" });
                    Node("Add", name + "/Add", new[] { name + "/scaled", name + ".bias" }, new[] { u });
                }
                break;
            }
            case LayerKind.Add:
            {
                string sum = Source(0);
                for (int s = 1; s < layer.Sources.Count; s++)
                    Node("Add", s == 1 ? name : name + "/Add" + s, new[] { sum, Source(s) }, new[] { sum = s == layer.Sources.Count - 1 ? u : name + "/sum" + s });
                break;
            }
            default:
            {
                var sources = new string[layer.Sources.Count];
                for (int s = 0; s < sources.Length; s++) sources[s] = Source(s);
                Node("Concat", name, sources, new[] { u }, Int("axis", 1));
                break;
            }
        }

        // f, then the flattening of a map-shaped output (Softmax runs over the flattened output, as NetCompiler's does).
        string? op = layer.Activation switch
        {
            Activation.ReLU => "Relu",
            Activation.LeakyReLU => "LeakyRelu",
            Activation.Tanh => "Tanh",
            Activation.Sigmoid => "Sigmoid",
            Activation.Softmax => "Softmax",
            _ => null,
        };
        if (op == "Softmax")
        {
            string logits = u;
            if (flattenOutput) Node("Flatten", name + "/Flatten", new[] { u }, new[] { logits = name + "/flat" }, Int("axis", 1));
            Node(op, name + "/" + op, new[] { logits }, new[] { final }, Int("axis", -1));
        }
        else
        {
            string activity = u;
            if (op is not null)
                Node(op, name + "/" + op, new[] { u }, new[] { activity = flattenOutput ? name + "/f" : final },
                    op == "LeakyRelu" ? new[] { Float("alpha", (float)NetworkTopology.LeakyReLUSlope) } : new ProtoWriter[0]);
            if (flattenOutput) Node("Flatten", name + "/Flatten", new[] { activity }, new[] { final }, Int("axis", 1));
        }
        return final;
    }

    /// <summary>A tensor of the network's file as an initializer: PyTorch's shape (a connection table's absent kernels as zeros), a trainable pooling's [C] as [C, 1(, 1)] to broadcast over [N, C, …].</summary>
    private static ProtoWriter Tensor<T>(SafeTensorsFormat.TensorPlan tensor, ReadOnlySpan<T> theta, int dataType) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long count = 1;
        foreach (int d in tensor.Shape) count *= d;
        var values = new double[count];
        LayerShape layer = tensor.Layer;
        if (!tensor.Kernels)
            for (int i = 0; i < tensor.Count; i++) values[i] = double.CreateTruncating(theta[tensor.Offset + i]);
        else
        {
            int channels = tensor.Shape[1], volume = tensor.KernelVolume;
            for (int o = 0; o < tensor.Shape[0]; o++)
                for (int i = 0; i < channels; i++)
                {
                    int offset = layer.KernelOffset(o, i);
                    if (offset >= 0)
                        for (int j = 0; j < volume; j++) values[(o * channels + i) * volume + j] = double.CreateTruncating(theta[offset + j]);
                }
        }
        var dims = new List<long>();
        foreach (int d in tensor.Shape) dims.Add(d);
        if (layer.Kind == LayerKind.AvgPool)
            for (int d = 1; d < layer.Shape.Rank; d++) dims.Add(1);
        return Tensor(tensor.Name, dims.ToArray(), values, dataType);
    }

    private static string LayerName(NetworkTopology topology, int number) =>
        number == 0 ? NetworkTopology.InputName : topology.Layers[number - 1].Name ?? "layer" + number.ToString(CultureInfo.InvariantCulture);

    private static string[] Dims(string batch, params int[] dims)
    {
        var result = new string[dims.Length + 1];
        result[0] = batch;
        for (int d = 0; d < dims.Length; d++) result[d + 1] = dims[d].ToString(CultureInfo.InvariantCulture);
        return result;
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Building a graph (NodeProto, TensorProto, AttributeProto, ValueInfoProto: field numbers as in OnnxProto.cs).

    /// <summary>Adds a node of the default domain (<see cref="NodeProto"/>).</summary>
    public void Node(string opType, string name, string[] inputs, string[] outputs, params ProtoWriter[] attributes) =>
        Add(NodeProto(opType, name, inputs, outputs, "", attributes));

    /// <summary>GraphProto.node (1).</summary>
    public void Add(ProtoWriter node) => _graph.Message(1, node);

    /// <summary>A NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.</summary>
    public static ProtoWriter NodeProto(string opType, string name, string[] inputs, string[] outputs, string domain, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(1, input);
        foreach (string output in outputs) node.String(2, output);
        if (name.Length > 0) node.String(3, name);
        node.String(4, opType);
        foreach (ProtoWriter attribute in attributes) node.Message(5, attribute);
        if (domain.Length > 0) node.String(7, domain);
        return node;
    }

    /// <summary>GraphProto.initializer (5).</summary>
    public void Initializer(ProtoWriter tensor) => _graph.Message(5, tensor);

    /// <summary>GraphProto.input (11): <paramref name="dims"/> are numbers, symbolic names or "?" (unknown); null for no shape.</summary>
    public void Input(string name, int elemType, string[]? dims) => _graph.Message(11, ValueInfo(name, elemType, dims));

    /// <summary>GraphProto.output (12).</summary>
    public void Output(string name, int elemType, string[]? dims) => _graph.Message(12, ValueInfo(name, elemType, dims));

    /// <summary>ModelProto.metadata_props (14).</summary>
    public void Metadata(string key, string value) => _metadata.Add(new KeyValuePair<string, string>(key, value));

    /// <summary>
    /// The ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (default domain), metadata_props = 14.
    /// </summary>
    public byte[] ToModel(long irVersion = IrVersion, long opset = Opset)
    {
        var graph = new ProtoWriter();
        graph.RawBytes(_graph.WrittenSpan);
        graph.String(2, "netcompiler");
        var model = new ProtoWriter();
        model.Varint(1, irVersion);
        model.String(2, "NetCompiler");
        model.Message(7, graph);
        var import = new ProtoWriter();
        import.String(1, "");
        import.Varint(2, opset);
        model.Message(8, import);
        foreach (KeyValuePair<string, string> entry in _metadata)
        {
            var pair = new ProtoWriter();
            pair.String(1, entry.Key);
            pair.String(2, entry.Value);
            model.Message(14, pair);
        }
        return model.ToArray();
    }

    /// <summary>
    /// A TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian FLOAT, rounded from the values, or
    /// DOUBLE), or INT64 values as int64_data = 7.
    /// </summary>
    public static ProtoWriter Tensor(string name, long[] dims, double[] values, int dataType = TensorProto.Float)
    {
        var tensor = new ProtoWriter();
        foreach (long d in dims) tensor.Varint(1, d);
        tensor.Varint(2, dataType);
        tensor.String(8, name);
        if (dataType == TensorProto.Int64)
        {
            foreach (double v in values) tensor.Varint(7, (long)v);
            return tensor;
        }
        int size = dataType == TensorProto.Double ? 8 : 4;
        var raw = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            if (size == 8) BitConverter.TryWriteBytes(raw.AsSpan(8 * i), values[i]);
            else BitConverter.TryWriteBytes(raw.AsSpan(4 * i), (float)values[i]);
        }
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < values.Length; i++) raw.AsSpan(size * i, size).Reverse();
        tensor.Bytes(9, raw);
        return tensor;
    }

    /// <summary>AttributeProto: name = 1, i = 3, type = 20 (INT).</summary>
    public static ProtoWriter Int(string name, long value) => Attribute(name, AttributeProto.IntType, a => a.Varint(3, value));

    /// <summary>AttributeProto: name = 1, ints = 8, type = 20 (INTS).</summary>
    public static ProtoWriter Ints(string name, params long[] values) => Attribute(name, AttributeProto.IntsType, a =>
    {
        foreach (long v in values) a.Varint(8, v);
    });

    /// <summary>AttributeProto: name = 1, f = 2, type = 20 (FLOAT).</summary>
    public static ProtoWriter Float(string name, float value) => Attribute(name, AttributeProto.FloatType, a => a.Float(2, value));

    /// <summary>AttributeProto: name = 1, s = 4, type = 20 (STRING).</summary>
    public static ProtoWriter Text(string name, string value) => Attribute(name, AttributeProto.StringType, a => a.String(4, value));

    /// <summary>AttributeProto: name = 1, t = 5, type = 20 (TENSOR): a Constant node's value.</summary>
    public static ProtoWriter TensorValue(string name, ProtoWriter tensor) => Attribute(name, AttributeProto.TensorType, a => a.Message(5, tensor));

    private static ProtoWriter Attribute(string name, int type, Action<ProtoWriter> value)
    {
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        value(attribute);
        attribute.Varint(20, type);
        return attribute;
    }

    /// <summary>ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1, shape = 2 → dim = 1 → dim_value = 1 or dim_param = 2.</summary>
    private static ProtoWriter ValueInfo(string name, int elemType, string[]? dims)
    {
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, elemType);
        if (dims is not null)
        {
            var shape = new ProtoWriter();
            foreach (string d in dims)
            {
                var dim = new ProtoWriter();
                if (long.TryParse(d, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)) dim.Varint(1, value);
                else if (d != "?") dim.String(2, d); // "?": an unknown dimension, neither a value nor a name
                shape.Message(1, dim);
            }
            tensorType.Message(2, shape);
        }
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }
}
