// Shared source (with OnnxImporter.cs): one method per ONNX operator. Each node either makes a layer, or changes the
// layer that produced its input (a bias, an activation, a folded BatchNormalization, a padding), or passes its input
// on (Identity, Dropout, flattening reshapes). A layer is changed only where the change is exact: the layer has no
// activation yet and the node is its only reader (Layer.Readers counts node inputs and graph outputs over every name
// the layer's value goes by). A node that cannot be mapped is one problem; the values it would produce are poisoned,
// so that nodes after it report nothing more about them.
// Keep it netstandard2.0-clean: no records, init accessors or generic math.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace NetCompiler.Onnx;

internal sealed partial class OnnxImporter
{
    /// <summary>The most channels a constant is broadcast over (a bound on what a malformed model can make us allocate).</summary>
    private const int MaxBroadcast = 1 << 24;

    /// <summary>The largest kernel, stride or padding read (a bound that keeps every size computation in range).</summary>
    private const long MaxWindow = 1 << 20;

    /// <summary>What PyTorch module an unsupported operator usually comes from, and what to export instead.</summary>
    private static string Hint(string opType) => opType switch
    {
        "Erf" => " (PyTorch writes nn.GELU as Div, Erf, Add and Mul; use ReLU, LeakyReLU, Tanh or Sigmoid)",
        "Shape" or "Gather" => " (PyTorch writes x.view(x.size(0), -1) with a dynamic batch as Shape and Gather; use torch.flatten(x, 1))",
        "ReduceMean" or "Pow" or "Sqrt" => " (PyTorch writes nn.LayerNorm as ReduceMean, Sub, Pow, Sqrt and Div; NetCompiler has no layer normalisation)",
        "Elu" or "Selu" or "Gelu" or "HardSigmoid" or "HardSwish" or "Mish" or "Softplus" => " (use ReLU, LeakyReLU, Tanh or Sigmoid)",
        _ => "",
    };

    private void ImportNode()
    {
        NodeProto node = _node;
        if (!IsDefaultDomain(node.Domain))
        {
            ReportNode(OnnxProblemKind.UnsupportedOperator, "is an operator of the domain '" + node.Domain + "'; NetCompiler imports operators of the default ONNX domain only");
            PoisonOutputs();
            return;
        }
        if (!IsSupported(node.OpType))
        {
            ReportNode(OnnxProblemKind.UnsupportedOperator, "is an operator NetCompiler does not import" + Hint(node.OpType));
            PoisonOutputs();
            return;
        }
        foreach (string input in node.Inputs)
        {
            if (input.Length == 0) continue;
            if (!_values.TryGetValue(input, out Value? value))
            {
                ReportNode(OnnxProblemKind.Unrepresentable, "reads '" + input + "', which no initializer, graph input or earlier node provides");
                PoisonOutputs();
                return;
            }
            if (value.IsPoisoned)
            {
                PoisonOutputs(); // the node that made it has its problem already
                return;
            }
        }
        try
        {
            Apply(node.OpType);
        }
        catch (NodeProblem problem)
        {
            ReportNode(problem.Kind, problem.Message);
            PoisonOutputs();
        }
    }

    private static bool IsSupported(string op)
    {
        switch (op)
        {
            case "Identity": case "Dropout": case "Constant": case "Flatten": case "Reshape": case "Squeeze": case "Unsqueeze":
            case "Gemm": case "MatMul": case "Add": case "Mul": case "Conv": case "AveragePool": case "MaxPool": case "Pad":
            case "Relu": case "LeakyRelu": case "Tanh": case "Sigmoid": case "Softmax": case "BatchNormalization": case "Concat":
                return true;
            default:
                return false;
        }
    }

    private void Apply(string op)
    {
        switch (op)
        {
            case "Identity": Alias(Input(0)); break;
            case "Dropout": Dropout(); break;
            case "Constant": Constant(); break;
            case "Flatten": Flatten(); break;
            case "Reshape": Reshape(); break;
            case "Squeeze": Squeeze(unsqueeze: false); break;
            case "Unsqueeze": Squeeze(unsqueeze: true); break;
            case "Gemm": Gemm(); break;
            case "MatMul": MatMul(); break;
            case "Add": Add(); break;
            case "Mul": Mul(); break;
            case "Conv": Conv(); break;
            case "AveragePool": Pool(LayerKind.AvgPool); break;
            case "MaxPool": Pool(LayerKind.MaxPool); break;
            case "Pad": Pad(); break;
            case "Relu": Activate(Activation.ReLU); break;
            case "LeakyRelu": Activate(Activation.LeakyReLU); break;
            case "Tanh": Activate(Activation.Tanh); break;
            case "Sigmoid": Activate(Activation.Sigmoid); break;
            case "Softmax": Softmax(); break;
            case "BatchNormalization": BatchNormalization(); break;
            case "Concat": Concat(); break;
            default: throw new InvalidOperationException("IsSupported names " + _node.OpType + ", which Apply has no case for");
        }
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Pass-through: Identity, Dropout, Constant, Flatten, Reshape, Squeeze, Unsqueeze.

    /// <summary>Dropout is the identity at inference; its mask output must be unused.</summary>
    private void Dropout()
    {
        if (_node.Outputs.Count > 1 && _node.Outputs[1].Length > 0 && Uses(_node.Outputs[1]) > 0)
            throw Fail(OnnxProblemKind.Unrepresentable, "uses Dropout's mask output, which exists only in training");
        Alias(Input(0));
    }

    private void Constant()
    {
        AttributeProto? value = _node.Attributes.Count == 0 ? null : _node.Attributes[0];
        var tensor = new TensorProto { Name = Output(0) };
        switch (value?.Name)
        {
            case "value" when value.T is not null:
                tensor = value.T;
                break;
            case "value_float":
                tensor.DataType = TensorProto.Float;
                tensor.FloatData.Add(value.F);
                break;
            case "value_floats":
                tensor.DataType = TensorProto.Float;
                tensor.Dims.Add(value.Floats.Count);
                tensor.FloatData.AddRange(value.Floats);
                break;
            case "value_int":
                tensor.DataType = TensorProto.Int64;
                tensor.Int64Data.Add(value.I);
                break;
            case "value_ints":
                tensor.DataType = TensorProto.Int64;
                tensor.Dims.Add(value.Ints.Count);
                tensor.Int64Data.AddRange(value.Ints);
                break;
            default:
                throw Fail(OnnxProblemKind.Unrepresentable, value is null ? "has no value" : "has a '" + value.Name + "' value; NetCompiler reads tensor and numeric constants");
        }
        if (tensor.Name.Length == 0) tensor.Name = Output(0);
        Define(0, Value.OfConstant(tensor));
    }

    /// <summary>Flatten (axis 1) is free: NetCompiler stores activities row-major, and a dense layer reads any source flattened.</summary>
    private void Flatten()
    {
        Value x = Activity(0);
        long axis = Int("axis", 1);
        if (axis < 0) axis += x.Dims.Length + 1;
        if (axis != 1) throw Fail(OnnxProblemKind.Unrepresentable, "flattens from axis " + axis + "; NetCompiler flattens [N, …] to [N, features] (axis 1) only");
        Alias(x, new[] { Size(x.Dims) });
    }

    /// <summary>Reshape to [N or 1 or −1 or 0, features] (a flattening), or back to the shape of the layer that made the value.</summary>
    private void Reshape()
    {
        Value x = Activity(0);
        long[] target = Integers(Constant(1, "shape"), "shape");
        long size = Size(x.Dims);
        if (target.Length < 2 || (target[0] != 1 && target[0] != 0 && target[0] != -1))
            throw Fail(OnnxProblemKind.Unrepresentable, "reshapes to " + TensorProto.DimsText(target) + ", which changes the batch dimension; NetCompiler maps only flattening reshapes");
        var dims = new long[target.Length - 1];
        int inferred = -1;
        long known = 1;
        for (int d = 1; d < target.Length; d++)
        {
            long t = target[d];
            if (t == 0 && d - 1 < x.Dims.Length) t = x.Dims[d - 1]; // 0 copies the input's dimension
            if (t == -1 && inferred < 0 && target[0] != -1) inferred = d - 1;
            else if (t <= 0 || t > int.MaxValue) throw Fail(OnnxProblemKind.Unrepresentable, "reshapes to " + TensorProto.DimsText(target) + ", which NetCompiler cannot resolve per sample");
            else known *= t;
            dims[d - 1] = t;
            if (known > int.MaxValue) break;
        }
        if (inferred >= 0 && known > 0 && size % known == 0) dims[inferred] = size / known;
        Reshaped(x, dims, "reshapes");
    }

    /// <summary>Squeeze or Unsqueeze of size-1 dimensions that leaves a flattening (or the layer's own shape).</summary>
    private void Squeeze(bool unsqueeze)
    {
        Value x = Activity(0);
        List<long>? axes = _opset < 13 ? Ints("axes") : Optional(1) ? new List<long>(Integers(Constant(1, "axes"), "axes")) : null;
        string op = unsqueeze ? "unsqueezes" : "squeezes";
        if (axes is null || axes.Count == 0)
            throw Fail(OnnxProblemKind.Unrepresentable, op + " without axes; NetCompiler needs the axes to know the batch dimension stays");
        var dims = new List<long> { 1 };
        foreach (int d in x.Dims) dims.Add(d);
        int rank = dims.Count + (unsqueeze ? axes.Count : 0);
        var normalized = new List<long>();
        foreach (long axis in axes)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a <= 0 || a >= rank || normalized.Contains(a))
                throw Fail(OnnxProblemKind.Unrepresentable, op + " axis " + axis + " of a value of rank " + (dims.Count) + "; NetCompiler keeps the batch dimension (axis 0)");
            normalized.Add(a);
        }
        normalized.Sort();
        if (unsqueeze)
            foreach (long a in normalized) dims.Insert((int)a, 1);
        else
            for (int i = normalized.Count - 1; i >= 0; i--)
            {
                if (normalized[i] >= dims.Count || dims[(int)normalized[i]] != 1)
                    throw Fail(OnnxProblemKind.Unrepresentable, "squeezes axis " + normalized[i] + ", which is not of size 1");
                dims.RemoveAt((int)normalized[i]);
            }
        dims.RemoveAt(0);
        Reshaped(x, dims.ToArray(), op);
    }

    private void Reshaped(Value x, long[] dims, string what)
    {
        var result = new int[dims.Length];
        for (int d = 0; d < dims.Length; d++) result[d] = dims[d] > 0 && dims[d] <= int.MaxValue ? (int)dims[d] : 0;
        bool flattening = result.Length == 1 && result[0] == Size(x.Dims);
        if (!flattening && !SameDims(result, ShapeOf(x)))
            throw Fail(OnnxProblemKind.Unrepresentable, what + " " + DimsText(x.Dims) + " to " + DimsText(result)
                + "; NetCompiler maps only reshapes that flatten to [N, features] (or restore the shape the layer made)");
        Alias(x, result);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Dense layers: Gemm, MatMul, and Add of a bias or of two partial products.

    /// <summary>Gemm(A, B, C) → Dense: W[out, in] = alpha·(transB ? B : Bᵀ), b = beta·C (absent: zeros).</summary>
    private void Gemm()
    {
        Value a = Activity(0);
        TensorProto weight = Constant(1, "weight");
        TensorProto? bias = Optional(2) ? Constant(2, "bias") : null;
        if (Int("transA", 0) != 0)
            throw Fail(OnnxProblemKind.UnsupportedAttribute, "has transA = " + Int("transA", 0) + " (NetCompiler imports Gemm with the activity as its first operand, untransposed)");
        double alpha = Float("alpha", 1), beta = Float("beta", 1);
        bool transB = Int("transB", 0) != 0;
        int inputs = Features(a, "Gemm");
        if (weight.Dims.Count != 2 || weight.Dims[transB ? 1 : 0] != inputs)
            throw Fail(OnnxProblemKind.Unrepresentable, "multiplies " + inputs + " features by a weight of shape " + TensorProto.DimsText(weight.Dims)
                + (transB ? " (transposed)" : "") + "; they do not line up");
        long unitsDim = weight.Dims[transB ? 0 : 1];
        if (unitsDim < 1 || unitsDim > int.MaxValue)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a weight of shape " + TensorProto.DimsText(weight.Dims) + ", which makes " + unitsDim + " outputs");
        double[] b = Values(weight, "weight");
        int units = (int)unitsDim;
        var w = new double[b.Length];
        for (int o = 0; o < units; o++)
            for (int i = 0; i < inputs; i++)
                w[o * inputs + i] = alpha * (transB ? b[o * inputs + i] : b[i * units + o]);
        double[] c = bias is null ? new double[units] : PerChannel(bias, new[] { units }, "bias");
        if (beta != 1)
            for (int o = 0; o < units; o++) c[o] *= beta;
        Layer layer = Dense(a, units, w, c, bias is not null);
        layer.WeightName = weight.Name;
    }

    /// <summary>MatMul(x, W[in, out]) → Dense with W transposed and no bias (a following Add of a constant is the bias).</summary>
    private void MatMul()
    {
        Value a = Activity(0);
        TensorProto weight = Constant(1, "weight");
        int inputs = Features(a, "MatMul");
        if (weight.Dims.Count != 2 || weight.Dims[0] != inputs)
            throw Fail(OnnxProblemKind.Unrepresentable, "multiplies " + inputs + " features by a weight of shape " + TensorProto.DimsText(weight.Dims) + "; they do not line up");
        double[] b = Values(weight, "weight");
        int units = (int)weight.Dims[1];
        var w = new double[b.Length];
        for (int o = 0; o < units; o++)
            for (int i = 0; i < inputs; i++)
                w[o * inputs + i] = b[i * units + o];
        Layer layer = Dense(a, units, w, new double[units], hasBias: false);
        layer.WeightName = weight.Name;
    }

    private Layer Dense(Value source, int units, double[] weights, double[] bias, bool hasBias)
    {
        Layer layer = NewLayer(LayerKind.Dense, new[] { units }, source);
        layer.Weights.Add(weights);
        layer.Bias = bias;
        layer.HasBias = hasBias;
        return layer;
    }

    /// <summary>The features a dense layer reads: the value must be [N, features] in ONNX (Gemm and MatMul are 2-D).</summary>
    private int Features(Value a, string op)
    {
        if (a.Dims.Length != 1)
            throw Fail(OnnxProblemKind.Unrepresentable, "applies " + op + " to a value of shape " + DimsText(a.Dims) + "; NetCompiler's dense layers read [N, features] (flatten first)");
        return a.Dims[0];
    }

    /// <summary>
    /// Add: a constant → the bias of the layer that made the other operand (a dense layer after MatMul, a convolution,
    /// a trainable pooling); two dense layers' partial products (at most one with a bias) → one dense layer reading both
    /// sources; otherwise a join of two activities of one shape.
    /// </summary>
    private void Add()
    {
        Value a = Input(0), b = Input(1);
        if (a.Constant is not null && b.Constant is not null)
            throw Fail(OnnxProblemKind.Unrepresentable, "adds two constants; NetCompiler does not compute constants");
        if (a.Constant is not null || b.Constant is not null)
        {
            AddConstant(a.Constant is null ? Activity(0) : Activity(1), (a.Constant ?? b.Constant)!);
            return;
        }
        a = Activity(0);
        b = Activity(1);
        if (!MergeDense(a, b)) AddJoin(a, b);
    }

    private void AddConstant(Value x, TensorProto constant)
    {
        Layer layer = Changeable(x, "adds the constant '" + constant.Name + "' to");
        double[] add = PerChannel(constant, layer.Shape, "bias");
        switch (layer.Kind)
        {
            case LayerKind.Dense:
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
                layer.HasBias = true;
                break;
            case LayerKind.AvgPool:
                if (!layer.Trainable) MakeTrainable(layer, Ones(layer.Shape[0]));
                break;
            default:
                throw Fail(OnnxProblemKind.Unrepresentable, "adds the constant '" + constant.Name + "' to the output of " + layer.Describe() + ", which has no bias");
        }
        for (int i = 0; i < add.Length; i++) layer.Bias[i] += add[i];
        Alias(x);
    }

    /// <summary>
    /// u = W_a·x_a + b_a + W_b·x_b (+ b_b): the partial products of one dense layer with several sources, as NetCompiler
    /// writes it (and as PyTorch writes fc1(a) + fc2(b) with one bias). Two dense layers that both have a bias stay two
    /// layers and a join, so that a network declared that way round-trips.
    /// </summary>
    private bool MergeDense(Value a, Value b)
    {
        Layer? first = a.Layer, second = b.Layer;
        if (first is null || second is null || first == second || first.Kind != LayerKind.Dense || second.Kind != LayerKind.Dense) return false;
        if (first.Activation != Activation.Identity || second.Activation != Activation.Identity || first.Readers != 1 || second.Readers != 1) return false;
        if ((first.HasBias && second.HasBias) || first.Shape[0] != second.Shape[0]) return false;
        foreach (Layer? source in second.Sources)
            if (first.Sources.Contains(source)) return false;
        first.Sources.AddRange(second.Sources);
        first.Weights.AddRange(second.Weights);
        if (second.HasBias)
        {
            first.Bias = second.Bias;
            first.HasBias = true;
        }
        // Nothing else reads either layer, so the merged layer may take this node's place: the order stays topological.
        _layers.Remove(first);
        _layers.Remove(second);
        _layers.Add(first);
        first.Readers = Uses(Output(0));
        Define(0, Value.Of(first, first.Shape));
        return true;
    }

    private void AddJoin(Value a, Value b)
    {
        if (a.Layer == b.Layer) throw Fail(OnnxProblemKind.Unrepresentable, "adds a value to itself; NetCompiler's Add joins different layers");
        if (!SameDims(a.Dims, ShapeOf(a)) || !SameDims(b.Dims, ShapeOf(b)) || !SameDims(a.Dims, b.Dims))
            throw Fail(OnnxProblemKind.Unrepresentable, "adds values of shapes " + DimsText(a.Dims) + " and " + DimsText(b.Dims)
                + "; NetCompiler's Add joins layers' outputs of one shape");
        // a + b + c as a chain of Adds: a join whose only reader is this node takes one more source.
        Layer? join = a.Layer;
        if (join is { Kind: LayerKind.Add, Activation: Activation.Identity, Readers: 1 } && !join.Sources.Contains(b.Layer))
        {
            join.Sources.Add(b.Layer);
            Alias(a);
            return;
        }
        NewLayer(LayerKind.Add, a.Dims, a, b);
    }

    /// <summary>Mul by a per-channel constant after a plain AveragePool → LeNet's trainable pooling: c·average (+ b from a following Add).</summary>
    private void Mul()
    {
        Value a = Input(0), b = Input(1);
        if ((a.Constant is null) == (b.Constant is null))
            throw Fail(OnnxProblemKind.Unrepresentable, "multiplies " + (a.Constant is null ? "two activities" : "two constants")
                + "; NetCompiler maps Mul only to the coefficient of a trainable average pooling (AveragePool → Mul → Add)");
        TensorProto constant = (a.Constant ?? b.Constant)!;
        Value x = a.Constant is null ? Activity(0) : Activity(1);
        Layer layer = Changeable(x, "multiplies by the constant '" + constant.Name + "'");
        if (layer.Kind != LayerKind.AvgPool || layer.Trainable)
            throw Fail(OnnxProblemKind.Unrepresentable, "multiplies the output of " + layer.Describe() + " by a constant; NetCompiler maps Mul only to the coefficient of a trainable average pooling (AveragePool → Mul → Add)");
        MakeTrainable(layer, PerChannel(constant, layer.Shape, "coefficient"));
        Alias(x);
    }

    private static void MakeTrainable(Layer layer, double[] coefficient)
    {
        layer.Trainable = true;
        layer.Coefficient = coefficient;
        layer.Bias = new double[coefficient.Length];
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Convolution, pooling and padding.

    /// <summary>Conv → Conv1D / Conv2D: square kernel, equal strides, equal padding on every side (plus a Pad folded in), group 1, dilation 1.</summary>
    private void Conv()
    {
        Value x = Activity(0, padded: true);
        TensorProto weight = Constant(1, "weight");
        TensorProto? bias = Optional(2) ? Constant(2, "bias") : null;
        int spatial = Spatial(x, "convolves");
        if (weight.Dims.Count != spatial + 2)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a weight of shape " + TensorProto.DimsText(weight.Dims) + " for a " + spatial + "-D input");
        var issues = new List<string>();
        long group = Int("group", 1);
        if (group != 1) issues.Add("group = " + group + " (NetCompiler imports group 1 only)");
        Window window = ReadWindow(spatial, weight.Dims.GetRange(2, spatial), issues, pool: false);
        int channels = x.Dims[0];
        if (weight.Dims[1] != channels)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a weight for " + weight.Dims[1] + " input channels but reads " + channels);
        if (weight.Dims[0] < 1 || weight.Dims[0] > int.MaxValue)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a weight of shape " + TensorProto.DimsText(weight.Dims) + ", which makes " + weight.Dims[0] + " filters");
        double[] w = Values(weight, "weight");
        int filters = (int)weight.Dims[0];
        if (bias is not null && (bias.Dims.Count != 1 || bias.Dims[0] != filters))
            throw Fail(OnnxProblemKind.Unrepresentable, "has a bias of shape " + TensorProto.DimsText(bias.Dims) + " for " + filters + " filters");
        double[] b = bias is null ? new double[filters] : Values(bias, "bias");
        int padding = window.Padding + x.PendingPad;
        int[] shape = WindowShape(x, filters, window.Kernel, window.Stride, padding);
        string[]? table = ConnectionTable(weight, filters, channels, w, w.Length / Math.Max(1, filters * channels));
        Layer layer = NewLayer(spatial == 2 ? LayerKind.Conv2D : LayerKind.Conv1D, shape, x);
        layer.KernelSize = window.Kernel;
        layer.Stride = window.Stride;
        layer.Padding = padding;
        layer.Connections = table;
        layer.Weights.Add(w);
        layer.Bias = b;
        layer.HasBias = bias is not null;
        layer.WeightName = weight.Name;
    }

    /// <summary>
    /// The connection table the exporter recorded for this convolution in the metadata (a connection-table convolution is
    /// written as a full one whose absent kernels are zeros), checked against the weights; null without one.
    /// </summary>
    private string[]? ConnectionTable(TensorProto weight, int filters, int channels, double[] w, int volume)
    {
        string name = WeightPrefix(weight.Name) ?? NodeScope(_node.Name) ?? "";
        if (!_metadata.TryGetValue(ConnectionsKey + name, out string? text)) return null;
        string[] rows = text.Split(',');
        bool valid = rows.Length == filters;
        foreach (string row in rows)
        {
            valid &= row.Length == channels;
            foreach (char c in row) valid &= NetworkTopology.IsConnected(c) || NetworkTopology.IsDisconnected(c);
        }
        if (!valid)
            throw Fail(OnnxProblemKind.Unrepresentable, "has the connection table \"" + text + "\" in the metadata, which does not fit " + filters + " filters of " + channels + " channels");
        for (int o = 0; o < filters; o++)
            for (int i = 0; i < channels; i++)
                if (!NetworkTopology.IsConnected(rows[o][i]))
                    for (int j = 0; j < volume; j++)
                        if (w[(o * channels + i) * volume + j] != 0)
                            throw Fail(OnnxProblemKind.Unrepresentable, "has a connection table that leaves out the kernel from channel " + i + " to filter " + o
                                + ", but its weights there are not zero (" + w[(o * channels + i) * volume + j].ToString("R", CultureInfo.InvariantCulture) + ")");
        return rows;
    }

    /// <summary>AveragePool / MaxPool → a pooling layer: square window, equal strides (ONNX's default stride is 1), no padding, ceil_mode 0.</summary>
    private void Pool(LayerKind kind)
    {
        Value x = Activity(0);
        int spatial = Spatial(x, "pools");
        List<long>? kernel = Ints("kernel_shape");
        if (kernel is null) throw Fail(OnnxProblemKind.Unrepresentable, "has no kernel_shape");
        var issues = new List<string>();
        long ceil = Int("ceil_mode", 0);
        if (ceil != 0) issues.Add("ceil_mode = " + ceil + " (NetCompiler's pooling rounds down)");
        Window window = ReadWindow(spatial, kernel, issues, pool: true);
        if (kind == LayerKind.MaxPool && _node.Outputs.Count > 1 && _node.Outputs[1].Length > 0 && Uses(_node.Outputs[1]) > 0)
            throw Fail(OnnxProblemKind.Unrepresentable, "uses MaxPool's indices output");
        int[] shape = WindowShape(x, x.Dims[0], window.Kernel, window.Stride, 0);
        Layer layer = NewLayer(kind, shape, x);
        layer.PoolSize = window.Kernel;
        layer.PoolStride = window.Stride == window.Kernel ? 0 : window.Stride; // NetCompiler's stride 0 means the window size
    }

    /// <summary>
    /// Pad (constant mode, value 0): all zero → nothing (PyTorch 1.13 writes Constant → Pad → AveragePool for
    /// nn.AvgPool2d); equal spatial padding on every side → waits for the Conv that reads it, which takes it as padding.
    /// </summary>
    private void Pad()
    {
        Value x = Activity(0, padded: true);
        string mode = Text("mode", "constant");
        if (mode != "constant") throw Fail(OnnxProblemKind.UnsupportedAttribute, "has mode = " + mode + " (NetCompiler folds constant zero padding only)");
        long[] pads;
        double value = 0;
        if (_opset < 11)
        {
            List<long> attribute = Ints("pads") ?? throw Fail(OnnxProblemKind.Unrepresentable, "has no pads");
            pads = attribute.ToArray();
            value = Float("value", 0);
        }
        else
        {
            pads = Integers(Constant(1, "pads"), "pads");
            if (Optional(2))
            {
                double[] constant = Values(Constant(2, "constant value"), "constant value");
                if (constant.Length != 1) throw Fail(OnnxProblemKind.Unrepresentable, "has a constant value of " + constant.Length + " elements");
                value = constant[0];
            }
            if (Optional(3)) throw Fail(OnnxProblemKind.Unrepresentable, "has an axes input; NetCompiler reads Pad over every axis");
        }
        if (value != 0)
            throw Fail(OnnxProblemKind.UnsupportedAttribute, "pads with the value " + value.ToString("R", CultureInfo.InvariantCulture) + " (NetCompiler folds zero padding only)");
        int rank = x.Dims.Length + 1;
        if (pads.Length != 2 * rank)
            throw Fail(OnnxProblemKind.Unrepresentable, "has " + pads.Length + " pads for a value of rank " + rank);
        bool zero = true, even = true;
        foreach (long p in pads) zero &= p == 0;
        for (int d = 0; d < rank; d++)
            even &= pads[d] == pads[rank + d] && (d < 2 ? pads[d] == 0 : pads[d] == pads[2]) && pads[d] >= 0 && pads[d] <= MaxWindow;
        if (zero)
        {
            Alias(x);
            return;
        }
        if (!even || rank < 3)
            throw Fail(OnnxProblemKind.Unrepresentable, "pads by " + TensorProto.DimsText(pads)
                + "; NetCompiler folds a Pad into the Conv after it only when it pads every spatial side equally");
        Alias(x, x.Dims, x.PendingPad + (int)pads[2]);
    }

    /// <summary>The kernel, stride and padding of a Conv or pooling node; unsupported values become one UnsupportedAttribute problem listing them all.</summary>
    private Window ReadWindow(int spatial, List<long> kernel, List<string> issues, bool pool)
    {
        List<long>? declared = Ints("kernel_shape");
        if (declared is not null && !SameValues(declared, kernel))
            throw Fail(OnnxProblemKind.Unrepresentable, "has kernel_shape = " + TensorProto.DimsText(declared) + " but a weight of kernel " + TensorProto.DimsText(kernel));
        List<long> strides = Ints("strides") ?? Repeat(1, spatial);
        List<long> pads = Ints("pads") ?? Repeat(0, 2 * spatial);
        List<long> dilations = Ints("dilations") ?? Repeat(1, spatial);
        string autoPad = Text("auto_pad", "NOTSET");
        if (kernel.Count != spatial || strides.Count != spatial || pads.Count != 2 * spatial || dilations.Count != spatial)
            throw Fail(OnnxProblemKind.Unrepresentable, "has kernel_shape, strides, pads or dilations of the wrong length for a " + spatial + "-D input");
        if (!AllEqual(kernel)) issues.Add("kernel_shape = " + TensorProto.DimsText(kernel) + " (NetCompiler's windows are square)");
        if (!AllEqual(strides)) issues.Add("strides = " + TensorProto.DimsText(strides) + " (NetCompiler steps equally in every direction)");
        if (pool ? !AllEqual(pads) || pads[0] != 0 : !AllEqual(pads))
            issues.Add("pads = " + TensorProto.DimsText(pads) + (pool ? " (NetCompiler's pooling has no padding)" : " (NetCompiler pads every side equally)"));
        foreach (long d in dilations)
            if (d != 1)
            {
                issues.Add("dilations = " + TensorProto.DimsText(dilations) + " (NetCompiler imports dilation 1 only)");
                break;
            }
        if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad.Length > 0)
            issues.Add("auto_pad = " + autoPad + " (NetCompiler imports NOTSET and VALID only)");
        if (issues.Count > 0) throw Fail(OnnxProblemKind.UnsupportedAttribute, "has " + string.Join(" and ", issues.ToArray()));
        long padding = autoPad == "VALID" ? 0 : pads[0];
        if (kernel[0] < 1 || kernel[0] > MaxWindow || strides[0] < 1 || strides[0] > MaxWindow || padding < 0 || padding > MaxWindow)
            throw Fail(OnnxProblemKind.Unrepresentable, "has kernel " + kernel[0] + ", stride " + strides[0] + " and padding " + padding + ", out of range");
        return new Window { Kernel = (int)kernel[0], Stride = (int)strides[0], Padding = (int)padding };
    }

    private sealed class Window
    {
        public int Kernel, Stride, Padding;
    }

    /// <summary>The spatial rank of a [C, L] or [C, H, W] value: 1 or 2.</summary>
    private int Spatial(Value x, string what)
    {
        if (x.Dims.Length != 2 && x.Dims.Length != 3)
            throw Fail(OnnxProblemKind.Unrepresentable, what + " a value of shape " + DimsText(x.Dims) + "; NetCompiler convolves and pools [channels, length] and [channels, height, width]");
        return x.Dims.Length - 1;
    }

    /// <summary>[channels, ⌊(extent + 2·padding − kernel)/stride⌋ + 1 …], ONNX's floor rounding (NetCompiler's rules then require an exact tiling).</summary>
    private int[] WindowShape(Value x, int channels, int kernel, int stride, int padding)
    {
        var shape = new int[x.Dims.Length];
        shape[0] = channels;
        for (int d = 1; d < shape.Length; d++)
        {
            long padded = (long)x.Dims[d] + 2L * padding;
            if (padded < kernel)
                throw Fail(OnnxProblemKind.Unrepresentable, "has a window of " + kernel + " that does not fit its input " + DimsText(x.Dims) + " (padded by " + padding + ")");
            shape[d] = (int)((padded - kernel) / stride + 1);
        }
        return shape;
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Activations, Softmax, BatchNormalization, Concat.

    /// <summary>Relu, LeakyRelu (slope 0.01), Tanh, Sigmoid → the activation of the layer that made the value (through a MaxPool: f∘max = max∘f for monotone f).</summary>
    private void Activate(Activation f)
    {
        Value x = Activity(0);
        if (f == Activation.LeakyReLU)
        {
            float alpha = Float("alpha", 0.01f);
            if (alpha != 0.01f)
                throw Fail(OnnxProblemKind.UnsupportedAttribute, "has alpha = " + alpha.ToString("R", CultureInfo.InvariantCulture)
                    + " (NetCompiler's LeakyReLU has slope " + NetworkTopology.LeakyReLUSlope.ToString(CultureInfo.InvariantCulture) + ", PyTorch's default)");
        }
        Layer? layer = x.Layer;
        if (layer is { Kind: LayerKind.MaxPool } && layer.Readers == 1 && layer.Sources[0] is not null)
            layer = layer.Sources[0]!; // the activation moves before the MaxPool, onto the layer it reads
        TakeActivation(Changeable(layer == x.Layer ? x : Value.Of(layer!, layer!.Shape), "applies " + _node.OpType + " to", elementwise: true), f);
        Alias(x);
    }

    /// <summary>Softmax over a sample's values (the last axis of [N, features]; opset &lt; 13: axis 1 and after) → the output layer's Softmax.</summary>
    private void Softmax()
    {
        Value x = Activity(0);
        long raw = Int("axis", _opset < 13 ? 1 : -1);
        int rank = x.Dims.Length + 1;
        long axis = raw < 0 ? raw + rank : raw;
        bool ok = axis >= 1 && axis < rank;
        for (int d = 1; d < rank && ok; d++)
        {
            bool covered = _opset < 13 ? d >= axis : d == axis;
            ok = covered || x.Dims[d - 1] == 1;
        }
        if (!ok)
            throw Fail(OnnxProblemKind.Unrepresentable, "applies Softmax along axis " + raw + " of a value of shape [N, " + string.Join(", ", Array.ConvertAll(x.Dims, Num))
                + "]; NetCompiler's Softmax runs over all of a sample's values (the last axis of [N, features])");
        TakeActivation(Changeable(x, "applies Softmax to", elementwise: true), Activation.Softmax);
        Alias(x);
    }

    private void TakeActivation(Layer layer, Activation f)
    {
        if (!layer.CanTakeActivation)
            throw Fail(OnnxProblemKind.Unrepresentable, "applies " + _node.OpType + " to the output of " + layer.Describe() + ", which takes no activation");
        layer.Activation = f;
    }

    /// <summary>
    /// BatchNormalization (inference form) → folded into the Gemm, MatMul or Conv before it: s = γ/√(var + ε),
    /// W' = s·W per output, b' = (b − mean)·s + β, in double; elsewhere on a [C, …] map, a per-channel affine map:
    /// AvgPool(1, Trainable = true) with coefficient s and bias β − mean·s.
    /// </summary>
    private void BatchNormalization()
    {
        Value x = Activity(0);
        long training = Int("training_mode", 0);
        if (training != 0) throw Fail(OnnxProblemKind.UnsupportedAttribute, "has training_mode = " + training + " (NetCompiler imports BatchNormalization in inference form)");
        for (int o = 1; o < _node.Outputs.Count; o++)
            if (_node.Outputs[o].Length > 0 && Uses(_node.Outputs[o]) > 0)
                throw Fail(OnnxProblemKind.Unrepresentable, "uses BatchNormalization's running statistics (its training form)");
        if (x.Dims.Length == 0 || x.Dims[0] < 1) throw Fail(OnnxProblemKind.Unrepresentable, "normalises a value with no channels");
        int channels = x.Dims[0];
        double[] gamma = Channels(1, "scale", channels), beta = Channels(2, "bias", channels);
        double[] mean = Channels(3, "mean", channels), variance = Channels(4, "variance", channels);
        double epsilon = Float("epsilon", 1e-5f);
        var scale = new double[channels];
        var shift = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            scale[c] = gamma[c] / Math.Sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        Layer? layer = x.Layer;
        if (layer is { Kind: LayerKind.Dense or LayerKind.Conv1D or LayerKind.Conv2D, Activation: Activation.Identity, Readers: 1 } && SameDims(x.Dims, layer.Shape))
        {
            foreach (double[] w in layer.Weights)
            {
                int row = w.Length / channels; // the weights of one output unit or filter
                for (int o = 0; o < channels; o++)
                    for (int j = 0; j < row; j++) w[o * row + j] *= scale[o];
            }
            for (int o = 0; o < channels; o++) layer.Bias[o] = (layer.Bias[o] - mean[o]) * scale[o] + beta[o];
            layer.HasBias = true;
            Alias(x);
            return;
        }
        if (x.Dims.Length < 2 || !SameDims(x.Dims, ShapeOf(x)))
            throw Fail(OnnxProblemKind.Unrepresentable, "normalises " + DimsText(x.Dims) + " after " + (layer is null ? "the input" : layer.Describe())
                + ", which it cannot be folded into; NetCompiler folds BatchNormalization into the Gemm, MatMul or Conv before it when nothing else reads that, or makes it a per-channel affine layer on [channels, …] maps"
                + (layer is null ? " (for a BatchNorm1d on the input features: normalise the inputs in the app, or fold it into the first Linear before export)" : ""));
        Layer affine = NewLayer(LayerKind.AvgPool, x.Dims, x);
        affine.PoolSize = 1;
        affine.Trainable = true;
        affine.Coefficient = scale;
        affine.Bias = shift;
        affine.WeightName = Input(1).Constant!.Name;
    }

    private double[] Channels(int input, string role, int channels)
    {
        TensorProto tensor = Constant(input, role);
        if (tensor.Dims.Count != 1 || tensor.Dims[0] != channels)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a " + role + " of shape " + TensorProto.DimsText(tensor.Dims) + " for " + channels + " channels");
        return Values(tensor, role);
    }

    /// <summary>Concat along axis 1 → a join of features ([N, F] values) or channels ([N, C, …] maps).</summary>
    private void Concat()
    {
        var sources = new List<Value>();
        for (int i = 0; i < _node.Inputs.Count; i++) sources.Add(Activity(i));
        if (sources.Count == 0) throw Fail(OnnxProblemKind.Unrepresentable, "has no inputs");
        if (sources.Count == 1)
        {
            Alias(sources[0]);
            return;
        }
        int rank = sources[0].Dims.Length + 1;
        long raw = Int("axis", 1), axis = raw < 0 ? raw + rank : raw;
        if (axis != 1) throw Fail(OnnxProblemKind.Unrepresentable, "joins along axis " + raw + "; NetCompiler joins features or channels (axis 1)");
        long channels = 0;
        for (int s = 0; s < sources.Count; s++)
        {
            Value v = sources[s];
            if (!SameDims(v.Dims, ShapeOf(v)) || v.Dims.Length != rank - 1)
                throw Fail(OnnxProblemKind.Unrepresentable, "joins a reshaped value of shape " + DimsText(v.Dims) + "; NetCompiler joins layers' outputs as they are");
            for (int d = 1; d < v.Dims.Length; d++)
                if (v.Dims[d] != sources[0].Dims[d])
                    throw Fail(OnnxProblemKind.Unrepresentable, "joins values of shapes " + DimsText(sources[0].Dims) + " and " + DimsText(v.Dims));
            for (int t = 0; t < s; t++)
                if (sources[t].Layer == v.Layer) throw Fail(OnnxProblemKind.Unrepresentable, "joins the same value twice; NetCompiler joins different layers");
            channels += v.Dims[0];
        }
        if (channels > int.MaxValue) throw Fail(OnnxProblemKind.Unrepresentable, "joins too many channels");
        var shape = (int[])sources[0].Dims.Clone();
        shape[0] = (int)channels;
        NewLayer(LayerKind.Concat, shape, sources.ToArray());
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Values, layers and their helpers.

    /// <summary>A value of the graph: the network's input, a layer's output (under any name), a constant, or poisoned.</summary>
    private sealed class Value
    {
        public static readonly Value Poisoned = new() { IsPoisoned = true };

        public Layer? Layer;          // the layer whose output this is; null for the input and constants
        public bool IsInput;
        public TensorProto? Constant;
        public int[] Dims = new int[0]; // per sample, as ONNX sees it (a flattened layer output is [size])
        public int PendingPad;        // padding of a Pad that waits for a Conv
        public bool IsPoisoned;

        public static Value OfConstant(TensorProto tensor) => new() { Constant = tensor };
        public static Value OfInput(int[] dims) => new() { IsInput = true, Dims = dims };
        public static Value Of(Layer layer, int[] dims) => new() { Layer = layer, Dims = dims };
    }

    /// <summary>A layer being built, with its weights in PyTorch's layouts.</summary>
    private sealed class Layer
    {
        public Layer(LayerKind kind, int[] shape, NodeProto node, int index)
        {
            Kind = kind;
            Shape = shape;
            NodeName = node.Name;
            OpType = node.OpType;
            NodeIndex = index;
        }

        public readonly LayerKind Kind;
        public readonly int[] Shape;       // NetCompiler's shape of its output
        public readonly string NodeName, OpType;
        public readonly int NodeIndex;
        public readonly List<Layer?> Sources = new(); // null: the network's input
        public string? WeightName;         // the initializer its name comes from
        public string Name = "";
        public Activation Activation;
        public bool SoftmaxForLoss;
        public int Readers;                // node inputs and graph outputs that read its value, under any name

        public readonly List<double[]> Weights = new(); // dense: W^β [units, size of source β]; conv: [filters, channels, k(, k)]
        public double[] Bias = new double[0];
        public bool HasBias;
        public int KernelSize, Stride, Padding;
        public string[]? Connections;
        public int PoolSize, PoolStride;
        public bool Trainable;
        public double[]? Coefficient;

        public bool CanTakeActivation => Kind is LayerKind.Dense or LayerKind.Conv1D or LayerKind.Conv2D or LayerKind.AvgPool or LayerKind.Add;

        /// <summary>"the Gemm of node 3 ('/fc1/Gemm')": layers have no names yet while nodes are read.</summary>
        public string Describe() => "the " + OpType + " of node " + NodeIndex.ToString(CultureInfo.InvariantCulture) + (NodeName.Length == 0 ? "" : " ('" + NodeName + "')");

        public LayerSpec ToSpec()
        {
            LayerSpec spec = Kind switch
            {
                LayerKind.Dense => new DenseLayer(Shape[0], Activation),
                LayerKind.Conv1D or LayerKind.Conv2D => new ConvLayer(Kind == LayerKind.Conv2D ? 2 : 1, Shape[0], KernelSize, Activation)
                    { Stride = Stride, Padding = Padding, Connections = Connections },
                LayerKind.AvgPool or LayerKind.MaxPool => new PoolLayer(Kind, PoolSize, Activation, Trainable) { Stride = PoolStride },
                _ => new JoinLayer(Kind, new string[0], Activation),
            };
            spec.Name = Name;
            return spec;
        }

        /// <summary>Its tensors by their safetensors names, the names SafeTensorsFormat.Plan gives them.</summary>
        public void AddTensors(Dictionary<string, double[]> tensors)
        {
            switch (Kind)
            {
                case LayerKind.Dense:
                    for (int s = 0; s < Sources.Count; s++)
                        tensors[Sources.Count == 1 ? Name + ".weight" : Name + ".weight." + (Sources[s]?.Name ?? NetworkTopology.InputName)] = Weights[s];
                    break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                    tensors[Name + ".weight"] = Weights[0];
                    break;
                case LayerKind.AvgPool when Trainable:
                    tensors[Name + ".coefficient"] = Coefficient!;
                    break;
                default:
                    return;
            }
            tensors[Name + ".bias"] = Bias;
        }
    }

    /// <summary>A node that cannot be mapped: caught per node, reported, and its outputs poisoned.</summary>
    private sealed class NodeProblem : Exception
    {
        public NodeProblem(OnnxProblemKind kind, string message) : base(message) => Kind = kind;

        public OnnxProblemKind Kind { get; }
    }

    private static NodeProblem Fail(OnnxProblemKind kind, string message) => new(kind, message);

    private void ReportNode(OnnxProblemKind kind, string message) =>
        _result.Problems.Add(new OnnxProblem(kind, OnnxProblem.DescribeNode(_index, _node.Name, _node.OpType) + " " + message, _index, _node.Name, _node.OpType));

    private void PoisonOutputs()
    {
        foreach (string output in _node.Outputs)
            if (output.Length > 0) _values[output] = Value.Poisoned;
    }

    /// <summary>A new layer made by this node, reading <paramref name="sources"/>, its value defined as the node's output.</summary>
    private Layer NewLayer(LayerKind kind, int[] shape, params Value[] sources)
    {
        var layer = new Layer(kind, shape, _node, _index) { Readers = Uses(Output(0)) };
        foreach (Value source in sources) layer.Sources.Add(source.Layer);
        Define(0, Value.Of(layer, shape));
        _layers.Add(layer);
        return layer;
    }

    /// <summary>The node's output is <paramref name="x"/> under another name (maybe reshaped): its layer gains this output's readers and loses this node.</summary>
    private void Alias(Value x, int[]? dims = null, int? pendingPad = null)
    {
        var value = new Value
        {
            Layer = x.Layer, IsInput = x.IsInput, Constant = x.Constant, Dims = dims ?? x.Dims, PendingPad = pendingPad ?? x.PendingPad,
        };
        Define(0, value);
        if (x.Layer is not null) x.Layer.Readers += Uses(Output(0)) - 1;
    }

    /// <summary>
    /// The layer that made <paramref name="x"/>, which this node may change: it has no activation yet, the node is its
    /// only reader, and (unless the change is elementwise) the value is its output as it made it, not reshaped.
    /// </summary>
    private Layer Changeable(Value x, string what, bool elementwise = false)
    {
        Layer layer = x.Layer ?? throw Fail(OnnxProblemKind.Unrepresentable, what + " the network's input; NetCompiler has no layer there to take it");
        if (layer.Activation != Activation.Identity)
            throw Fail(OnnxProblemKind.Unrepresentable, what + " the output of " + layer.Describe() + " after its " + layer.Activation + "; NetCompiler applies a layer's activation last");
        if (layer.Readers != 1)
            throw Fail(OnnxProblemKind.Unrepresentable, what + " the output of " + layer.Describe() + ", which other nodes read too; NetCompiler would change what they read");
        if (!elementwise && layer.Kind != LayerKind.Dense && !SameDims(x.Dims, layer.Shape))
            throw Fail(OnnxProblemKind.Unrepresentable, what + " a reshaped output of " + layer.Describe());
        return layer;
    }

    private void Define(int output, Value value)
    {
        string name = Output(output);
        if (_values.ContainsKey(name))
            throw Fail(OnnxProblemKind.Unrepresentable, "writes '" + name + "', which an initializer, the input or an earlier node already defines");
        _values[name] = value;
    }

    private string Output(int index)
    {
        if (index >= _node.Outputs.Count || _node.Outputs[index].Length == 0) throw Fail(OnnxProblemKind.Unrepresentable, "has no output");
        return _node.Outputs[index];
    }

    private Value Input(int index)
    {
        if (!Optional(index)) throw Fail(OnnxProblemKind.Unrepresentable, "has no input " + index.ToString(CultureInfo.InvariantCulture));
        return _values[_node.Inputs[index]];
    }

    private bool Optional(int index) => index < _node.Inputs.Count && _node.Inputs[index].Length > 0;

    /// <summary>Input <paramref name="index"/> as an activity (the network's input or a layer's output), not a constant.</summary>
    private Value Activity(int index, bool padded = false)
    {
        Value value = Input(index);
        string name = _node.Inputs[index];
        if (value.Constant is not null)
            throw Fail(OnnxProblemKind.Unrepresentable, "reads the constant '" + name + "' where NetCompiler needs the network's activity");
        if (value.PendingPad > 0 && !padded)
            throw Fail(OnnxProblemKind.Unrepresentable, "reads '" + name + "', the output of a Pad with non-zero pads; NetCompiler folds such a Pad only into the Conv after it");
        return value;
    }

    /// <summary>Input <paramref name="index"/> as a constant (an initializer or a Constant node's output).</summary>
    private TensorProto Constant(int index, string role)
    {
        Value value = Input(index);
        return value.Constant ?? throw Fail(OnnxProblemKind.Unrepresentable,
            "reads its " + role + " from '" + _node.Inputs[index] + "', which the graph computes; NetCompiler needs it as an initializer or a Constant");
    }

    private static double[] Values(TensorProto tensor, string role) =>
        tensor.Values(out string error) ?? throw Fail(OnnxProblemKind.Unrepresentable, "cannot read its " + role + " '" + tensor.Name + "': " + error);

    private static long[] Integers(TensorProto tensor, string role) =>
        tensor.Integers(out string error) ?? throw Fail(OnnxProblemKind.Unrepresentable, "cannot read its " + role + " '" + tensor.Name + "': " + error);

    /// <summary>
    /// A constant broadcast onto [N, C, …] per channel (a bias or coefficient): its dims, right-aligned to the value's,
    /// are 1 everywhere but the channel axis, where they are C or 1. Returns the C values.
    /// </summary>
    private static double[] PerChannel(TensorProto constant, int[] dims, string role)
    {
        int channels = dims[0], rank = dims.Length + 1;
        List<long> shape = constant.Dims;
        bool fits = shape.Count <= rank && channels <= MaxBroadcast;
        for (int j = 0; j < shape.Count && fits; j++)
        {
            int axis = rank - shape.Count + j; // the axis of [N, C, …] this dimension lines up with
            fits = shape[j] == 1 || (axis == 1 && shape[j] == channels);
        }
        if (!fits)
            throw Fail(OnnxProblemKind.Unrepresentable, "has a " + role + " '" + constant.Name + "' of shape " + TensorProto.DimsText(shape)
                + ", which is not one value per channel of [N, " + string.Join(", ", Array.ConvertAll(dims, Num)) + "]");
        double[] values = Values(constant, role);
        var result = new double[channels];
        for (int c = 0; c < channels; c++) result[c] = values.Length == 1 ? values[0] : values[c];
        return result;
    }

    private static double[] Ones(int count)
    {
        if (count > MaxBroadcast) throw Fail(OnnxProblemKind.Unrepresentable, "has too many channels (" + count + ")");
        var ones = new double[count];
        for (int i = 0; i < count; i++) ones[i] = 1;
        return ones;
    }

    private int[] ShapeOf(Value value) => value.Layer?.Shape ?? _result.InputShape?.ToArray() ?? value.Dims;

    private static int Size(int[] dims)
    {
        long size = 1;
        foreach (int d in dims)
        {
            size *= d; // each d is an int and size stays ≤ int.MaxValue below, so this cannot overflow a long
            if (size > int.MaxValue || d < 0) throw Fail(OnnxProblemKind.Unrepresentable, "makes a value of more than " + int.MaxValue + " elements, too many");
        }
        return (int)size;
    }

    private static bool SameDims(int[] a, int[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i]) return false;
        return true;
    }

    private static bool SameValues(List<long> a, List<long> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (a[i] != b[i]) return false;
        return true;
    }

    private static bool AllEqual(List<long> values)
    {
        foreach (long v in values)
            if (v != values[0]) return false;
        return true;
    }

    private static List<long> Repeat(long value, int count)
    {
        var list = new List<long>();
        for (int i = 0; i < count; i++) list.Add(value);
        return list;
    }

    private static string DimsText(int[] dims) => "[" + string.Join(", ", Array.ConvertAll(dims, Num)) + "]";

    private long Int(string name, long fallback) => _node.Attribute(name) is { } a ? a.I : fallback;

    private float Float(string name, float fallback) => _node.Attribute(name) is { } a ? a.F : fallback;

    private string Text(string name, string fallback) => _node.Attribute(name) is { } a ? a.S : fallback;

    private List<long>? Ints(string name) => _node.Attribute(name)?.Ints;
}
