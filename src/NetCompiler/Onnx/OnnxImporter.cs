// Shared source: compiled into the runtime library and into the generator (see generator csproj), so that
// OnnxModel.Load at run time and [Network(Onnx = "…")] at build time import a model the same way.
// The pipeline: read the ModelProto → check the opset and the graph's input → walk the nodes in order, each operator
// becoming a layer or changing the layer that produced its input (OnnxImporter.Operators.cs) → the graph's output →
// names → the topology, checked by NetworkTopology's own rules → θ in NetCompiler's layout through
// SafeTensorsFormat.Plan, the one place that knows it, from tensors in PyTorch's layouts. Every problem is collected,
// not just the first; nothing throws out of Import (but cancellation).
// Keep it netstandard2.0-clean: no records, init accessors or generic math.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using NetCompiler.Serialization;

namespace NetCompiler.Onnx;

/// <summary>
/// The result of <see cref="OnnxImporter.Import"/>: the network as NetCompiler declares it, its weights, or the
/// problems. With no problems, <c>new NetworkTopology(InputShape, Layers, loss, precision, Output)</c> is valid and
/// <see cref="Theta"/> holds its parameters in that topology's layout (whatever the precision).
/// </summary>
internal sealed class OnnxImport
{
    /// <summary>The input shape per sample (the batch dimension removed), or null when it could not be read.</summary>
    public TensorShape? InputShape;

    /// <summary>The layers in declaration order, every one named.</summary>
    public readonly List<LayerSpec> Layers = new();

    /// <summary>The output layer's name, or null when it is the last layer.</summary>
    public string? Output;

    /// <summary>θ, or null when there are problems.</summary>
    public double[]? Theta;

    /// <summary>Every problem found, in the order of the model (empty on success).</summary>
    public readonly List<OnnxProblem> Problems = new();

    /// <summary>The imported network as the attribute declaration a user would write, one attribute per line.</summary>
    public string Declaration = "";
}

/// <summary>Maps an ONNX model onto NetCompiler's layers (the mapping is docs'd in the operator handlers).</summary>
internal sealed partial class OnnxImporter
{
    /// <summary>The opsets of the default domain NetCompiler imports.</summary>
    public const int MinOpset = 9, MaxOpset = 18;

    /// <summary>The metadata key prefix under which the exporter stores a convolution's connection table (rows joined by ',').</summary>
    public const string ConnectionsKey = "netcompiler.connections.";

    private readonly OnnxImport _result = new();
    private readonly LossFunction? _loss;
    private readonly Precision _precision;
    private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly List<Layer> _layers = new();
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private long _opset = 13;

    // The node being imported, for messages.
    private NodeProto _node = new();
    private int _index;

    private OnnxImporter(LossFunction? loss, Precision precision)
    {
        _loss = loss;
        _precision = precision;
    }

    /// <summary>
    /// Imports <paramref name="bytes"/>, the contents of <paramref name="path"/> (named in no message: the caller adds
    /// it), as a network of <paramref name="precision"/> trained with <paramref name="loss"/> (null: inference only),
    /// checked with NetworkTopology's rules for that network. Never throws but for cancellation.
    /// </summary>
    public static OnnxImport Import(string path, byte[] bytes, LossFunction? loss, Precision precision = Precision.Single, CancellationToken cancellationToken = default)
    {
        var importer = new OnnxImporter(loss, precision);
        try
        {
            importer.Run(bytes ?? new byte[0], cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            // A safety net for the build: a bug here must be a diagnostic, not a crashed generator. The fuzz test
            // checks that it never catches anything.
            importer._result.Problems.Add(new OnnxProblem(OnnxProblemKind.NotAModel,
                "the importer failed on this model (" + e.GetType().Name + ": " + e.Message + "); please report it"));
        }
        if (importer._result.Problems.Count > 0) importer._result.Theta = null;
        return importer._result;
    }

    private void Run(byte[] bytes, CancellationToken cancellationToken)
    {
        ModelProto? model = Read(bytes);
        if (model is null) return;
        GraphProto graph = model.Graph!;
        foreach (KeyValuePair<string, string> entry in model.Metadata) _metadata[entry.Key] = entry.Value;
        CheckOpset(model);
        DefineInitializers(graph);
        DefineInput(graph);
        CountUses(graph);
        for (_index = 0; _index < graph.Nodes.Count; _index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _node = graph.Nodes[_index];
            ImportNode();
        }
        Layer? output = FindOutput(graph);
        if (output is null || _result.InputShape is null) return;
        List<Layer> layers = Reachable(output);
        ApplyLoss(output);
        Name(layers);
        BuildSpecs(layers, output);
        _result.Declaration = Declaration(layers, output);
        if (_result.Problems.Count == 0) _result.Theta = Theta(layers);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // The model, the opset, the initializers and the input.

    private ModelProto? Read(byte[] bytes)
    {
        if (bytes.Length == 0) return NotAModel("the file is empty");
        ModelProto model;
        try
        {
            model = OnnxProto.ReadModel(bytes);
        }
        catch (OnnxFormatException e)
        {
            return NotAModel(e.Message.IndexOf("ends inside", StringComparison.Ordinal) >= 0 || e.Message.IndexOf("runs past the end", StringComparison.Ordinal) >= 0
                ? "it is truncated: " + e.Message
                : "it is not a protobuf message: " + e.Message);
        }
        if (model.Graph is null)
            return NotAModel(model.IrVersion == 0 && model.OpsetImports.Count == 0
                ? "it is not an ONNX model: no ir_version, opset_import or graph was found"
                : "it has no graph");
        var external = new List<string>();
        foreach (TensorProto tensor in model.Graph.Initializers)
            if (tensor.DataLocation == TensorProto.ExternalLocation) external.Add("'" + tensor.Name + "'");
        if (external.Count > 0)
            return NotAModel((external.Count == 1 ? "its initializer " + external[0] + " stores its data" : "its initializers " + string.Join(", ", external.ToArray()) + " store their data")
                + " in an external file, which is not supported: save the model with its weights inside it");
        return model;
    }

    private ModelProto? NotAModel(string message)
    {
        _result.Problems.Add(new OnnxProblem(OnnxProblemKind.NotAModel, message));
        return null;
    }

    private void CheckOpset(ModelProto model)
    {
        OperatorSetIdProto? opset = null;
        foreach (OperatorSetIdProto import in model.OpsetImports)
            if (IsDefaultDomain(import.Domain)) opset = import;
        if (opset is null)
        {
            _result.Problems.Add(new OnnxProblem(OnnxProblemKind.UnsupportedOpset,
                "the model imports no opset of the default ONNX domain; NetCompiler imports opsets " + MinOpset + " to " + MaxOpset));
            return;
        }
        _opset = opset.Version;
        if (_opset < MinOpset || _opset > MaxOpset)
            _result.Problems.Add(new OnnxProblem(OnnxProblemKind.UnsupportedOpset,
                "the model uses opset " + _opset.ToString(CultureInfo.InvariantCulture) + " of the default ONNX domain; NetCompiler imports opsets "
                + MinOpset + " to " + MaxOpset + " (export with opset_version=" + (_opset < MinOpset ? MinOpset : MaxOpset) + ")"));
    }

    private static bool IsDefaultDomain(string domain) => domain.Length == 0 || domain == "ai.onnx";

    private void DefineInitializers(GraphProto graph)
    {
        foreach (TensorProto tensor in graph.Initializers)
            if (tensor.Name.Length > 0) _values[tensor.Name] = Value.OfConstant(tensor);
    }

    /// <summary>The one graph input that is not an initializer: [1 or N, features], [1 or N, C, L] or [1 or N, C, H, W].</summary>
    private void DefineInput(GraphProto graph)
    {
        var inputs = new List<ValueInfoProto>();
        foreach (ValueInfoProto input in graph.Inputs)
            if (!_values.ContainsKey(input.Name)) inputs.Add(input);
        if (inputs.Count != 1)
        {
            var names = inputs.ConvertAll(i => "'" + i.Name + "'");
            Problem(OnnxProblemKind.Unrepresentable, inputs.Count == 0
                ? "the graph has no input (other than initializers); a NetCompiler network reads one"
                : "the graph has " + inputs.Count + " inputs (" + string.Join(", ", names.ToArray()) + "); a NetCompiler network reads one");
            foreach (ValueInfoProto input in inputs) _values[input.Name] = Value.Poisoned;
            return;
        }
        ValueInfoProto x = inputs[0];
        string what = "the input '" + x.Name + "'";
        bool ok = true;
        if (x.ElemType != TensorProto.Float && x.ElemType != TensorProto.Double)
        {
            Problem(OnnxProblemKind.Unrepresentable, what + " is " + TensorProto.DataTypeName(x.ElemType) + "; NetCompiler networks read FLOAT or DOUBLE");
            ok = false;
        }
        if (!x.HasShape)
        {
            Problem(OnnxProblemKind.DynamicDimension, what + " has no shape; export it with a fixed shape but for the batch dimension");
            ok = false;
        }
        else if (x.Dims.Count < 2 || x.Dims.Count > 4)
        {
            Problem(OnnxProblemKind.Unrepresentable, what + " has " + x.Dims.Count + " dimensions; NetCompiler reads [N, features], [N, channels, length] or [N, channels, height, width]");
            ok = false;
        }
        else
        {
            DimensionProto batch = x.Dims[0];
            if (batch.HasValue && batch.Value != 1)
            {
                Problem(OnnxProblemKind.Unrepresentable, what + " has a fixed batch dimension of " + batch.Value + "; export it with batch 1 or a dynamic batch dimension");
                ok = false;
            }
            var dims = new int[x.Dims.Count - 1];
            for (int d = 1; d < x.Dims.Count; d++)
            {
                DimensionProto dim = x.Dims[d];
                if (!dim.HasValue)
                {
                    Problem(OnnxProblemKind.DynamicDimension, what + " has " + (dim.Param is null ? "an unknown dimension" : "a symbolic dimension '" + dim.Param + "'")
                        + " at position " + d + "; only the batch dimension (position 0) may be dynamic");
                    ok = false;
                }
                else if (dim.Value <= 0 || dim.Value > int.MaxValue)
                {
                    Problem(OnnxProblemKind.Unrepresentable, what + " has dimension " + dim.Value + " at position " + d + "; dimensions must be positive");
                    ok = false;
                }
                else dims[d - 1] = (int)dim.Value;
            }
            long size = 1;
            foreach (int d in dims) size = Math.Min(size * d, (long)int.MaxValue + 1); // each d ≤ int.MaxValue: no overflow
            if (ok && size > NetworkTopology.MaxParameterCount)
            {
                Problem(OnnxProblemKind.Unrepresentable, what + " has " + (size > int.MaxValue ? "more than " + int.MaxValue : size.ToString(CultureInfo.InvariantCulture))
                    + " values per sample; NetCompiler's buffers hold at most " + NetworkTopology.MaxParameterCount.ToString(CultureInfo.InvariantCulture));
                ok = false;
            }
            if (ok) _result.InputShape = new TensorShape(dims);
        }
        _values[x.Name] = ok ? Value.OfInput(_result.InputShape!.ToArray()) : Value.Poisoned;
    }

    /// <summary>How many node inputs and graph outputs name each value: a layer's readers start from it.</summary>
    private void CountUses(GraphProto graph)
    {
        foreach (NodeProto node in graph.Nodes)
            foreach (string input in node.Inputs)
                _uses[input] = Uses(input) + 1;
        foreach (ValueInfoProto output in graph.Outputs)
            _uses[output.Name] = Uses(output.Name) + 1;
    }

    private int Uses(string name) => _uses.TryGetValue(name, out int count) ? count : 0;

    // -----------------------------------------------------------------------------------------------------------------
    // The output, the layers it depends on, names and specs.

    private Layer? FindOutput(GraphProto graph)
    {
        if (graph.Outputs.Count != 1)
        {
            Problem(OnnxProblemKind.Unrepresentable, "the graph has " + graph.Outputs.Count + " outputs; a NetCompiler network has one");
            return null;
        }
        string name = graph.Outputs[0].Name;
        if (!_values.TryGetValue(name, out Value? value))
        {
            Problem(OnnxProblemKind.Unrepresentable, "the graph's output '" + name + "' is not produced by any node");
            return null;
        }
        if (value.IsPoisoned) return null; // its node's problem is already reported
        if (value.Layer is null || value.PendingPad > 0)
        {
            Problem(OnnxProblemKind.Unrepresentable, "the graph's output '" + name + "' is "
                + (value.IsInput ? "the input itself" : value.PendingPad > 0 ? "a padded value" : "a constant") + ", not the output of a layer");
            return null;
        }
        return value.Layer;
    }

    /// <summary>The layers the output depends on, in creation order (which is a topological order): other nodes are dead code.</summary>
    private List<Layer> Reachable(Layer output)
    {
        var used = new HashSet<Layer>();
        var stack = new Stack<Layer>();
        used.Add(output);
        stack.Push(output);
        while (stack.Count > 0)
            foreach (Layer? source in stack.Pop().Sources)
                if (source is not null && used.Add(source)) stack.Push(source);
        return _layers.FindAll(used.Contains);
    }

    /// <summary>CrossEntropy on a model that ends in logits: the output layer gets Softmax, so Forward returns probabilities and training minimises nn.CrossEntropyLoss(logits, target).</summary>
    private void ApplyLoss(Layer output)
    {
        if (_loss == LossFunction.CrossEntropy && output.Activation == Activation.Identity && output.CanTakeActivation)
        {
            output.Activation = Activation.Softmax;
            output.SoftmaxForLoss = true;
        }
    }

    /// <summary>
    /// Names every layer, uniquely: the prefix of its weight initializer "&lt;prefix&gt;.weight" (PyTorch's state_dict
    /// names, so safetensors names match PyTorch's); else its node's name, a PyTorch scope "/layer1/layer1.0/conv1/Conv"
    /// read as "layer1.0.conv1"; else "&lt;op type&gt;&lt;node index&gt;".
    /// </summary>
    private static void Name(List<Layer> layers)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { NetworkTopology.InputName };
        var nextSuffix = new Dictionary<string, int>(StringComparer.Ordinal); // per candidate: linear, however many share it
        foreach (Layer layer in layers)
        {
            string candidate = WeightPrefix(layer.WeightName) ?? NodeScope(layer.NodeName)
                ?? layer.OpType.ToLowerInvariant() + layer.NodeIndex.ToString(CultureInfo.InvariantCulture);
            string name = candidate;
            int k = nextSuffix.TryGetValue(candidate, out int next) ? next : 2;
            while (!used.Add(name)) name = candidate + "_" + (k++).ToString(CultureInfo.InvariantCulture);
            nextSuffix[candidate] = k;
            layer.Name = name;
        }
    }

    /// <summary>"fc1" for "fc1.weight", "out" for "out.weight.input" (a multi-source dense layer as NetCompiler writes it), else null.</summary>
    internal static string? WeightPrefix(string? initializer)
    {
        const string weight = ".weight";
        if (initializer is null) return null;
        if (initializer.Length > weight.Length && initializer.EndsWith(weight, StringComparison.Ordinal))
            return initializer.Substring(0, initializer.Length - weight.Length);
        int at = initializer.IndexOf(weight + ".", StringComparison.Ordinal);
        return at > 0 ? initializer.Substring(0, at) : null;
    }

    /// <summary>
    /// A node's name as a layer name: verbatim when it is not a PyTorch scope; a scope "/a/a.0/conv/Conv" without its
    /// last part (the operator) and with each part that the next one repeats dropped: "a.0.conv". Null for none.
    /// </summary>
    internal static string? NodeScope(string nodeName)
    {
        if (nodeName.Length == 0) return null;
        if (nodeName[0] != '/') return nodeName;
        var parts = new List<string>(nodeName.Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries));
        if (parts.Count < 2) return null; // "/Relu_1": an operator, no module
        parts.RemoveAt(parts.Count - 1);
        var kept = new List<string>();
        for (int i = 0; i < parts.Count; i++)
            if (i + 1 == parts.Count || !parts[i + 1].StartsWith(parts[i] + ".", StringComparison.Ordinal)) kept.Add(parts[i]);
        return string.Join(".", kept.ToArray());
    }

    private void BuildSpecs(List<Layer> layers, Layer output)
    {
        for (int l = 0; l < layers.Count; l++)
        {
            Layer layer = layers[l];
            LayerSpec spec = layer.ToSpec();
            bool readsPrevious = layer.Sources.Count == 1 && layer.Sources[0] == (l == 0 ? null : layers[l - 1]);
            if (!readsPrevious || spec is JoinLayer)
                spec.From = layer.Sources.ConvertAll(s => s is null ? NetworkTopology.InputName : s.Name).ToArray();
            _result.Layers.Add(spec);
        }
        _result.Output = output == layers[layers.Count - 1] ? null : output.Name;
        foreach (string error in NetworkTopology.Validate(_result.InputShape!, _result.Layers, _loss, _precision, _result.Output))
            Problem(OnnxProblemKind.Unrepresentable, "the imported network is not valid: " + error);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // θ and the declaration.

    /// <summary>θ in the topology's layout, from the layers' tensors in PyTorch's layouts, placed by SafeTensorsFormat.Plan.</summary>
    private double[]? Theta(List<Layer> layers)
    {
        var topology = new NetworkTopology(_result.InputShape!, _result.Layers, _loss, _precision, _result.Output);
        List<SafeTensorsFormat.TensorPlan> plan;
        try
        {
            plan = SafeTensorsFormat.Plan(topology);
        }
        catch (ArgumentException e)
        {
            Problem(OnnxProblemKind.Unrepresentable, e.Message);
            return null;
        }
        var tensors = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (Layer layer in layers) layer.AddTensors(tensors);
        var theta = new double[topology.ParameterCount];
        foreach (SafeTensorsFormat.TensorPlan tensor in plan)
        {
            double[] values = tensors[tensor.Name];
            if (!tensor.Kernels)
            {
                Array.Copy(values, 0, theta, tensor.Offset, tensor.Count);
                continue;
            }
            int filters = tensor.Shape[0], channels = tensor.Shape[1], volume = tensor.KernelVolume;
            for (int o = 0; o < filters; o++)
                for (int i = 0; i < channels; i++)
                {
                    int offset = tensor.Layer.KernelOffset(o, i);
                    if (offset >= 0) Array.Copy(values, (o * channels + i) * volume, theta, offset, volume);
                }
        }
        return theta;
    }

    private string Declaration(List<Layer> layers, Layer output)
    {
        var text = new StringBuilder();
        var network = new List<string>();
        if (_precision == Precision.Double) network.Add("Precision = Precision.Double");
        if (_result.Output is not null) network.Add("Output = " + Literal(_result.Output));
        text.Append(network.Count == 0 ? "[Network]\n" : "[Network(" + string.Join(", ", network) + ")]\n");
        text.Append("[Input(").Append(string.Join(", ", Array.ConvertAll(_result.InputShape!.ToArray(), Num))).Append(")]\n");
        for (int l = 0; l < layers.Count; l++)
        {
            text.Append(Attribute(_result.Layers[l]));
            if (layers[l] == output && output.SoftmaxForLoss)
                text.Append(" // Softmax for LossFunction.CrossEntropy: the model ends in logits, so Forward returns softmax(logits)");
            text.Append('\n');
        }
        if (_loss.HasValue) text.Append("[Loss(LossFunction.").Append(_loss.Value).Append(")]\n");
        return text.ToString();
    }

    /// <summary>One layer as its attribute: "[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = \"c1\")]".</summary>
    private static string Attribute(LayerSpec spec)
    {
        var arguments = new List<string>();
        string ActivationArgument() => "Activation." + spec.Activation;
        switch (spec)
        {
            case DenseLayer dense:
                arguments.Add(Num(dense.Units));
                if (dense.Activation != Activation.Identity) arguments.Add(ActivationArgument());
                break;
            case ConvLayer conv:
                arguments.Add(Num(conv.Filters));
                arguments.Add(Num(conv.KernelSize));
                if (conv.Activation != Activation.Identity) arguments.Add(ActivationArgument());
                if (conv.Stride != 1) arguments.Add("Stride = " + Num(conv.Stride));
                if (conv.Padding != 0) arguments.Add("Padding = " + Num(conv.Padding));
                break;
            case PoolLayer pool:
                arguments.Add(Num(pool.Size));
                if (pool.Stride != 0) arguments.Add("Stride = " + Num(pool.Stride));
                if (pool.Trainable) arguments.Add("Trainable = true");
                if (pool.Activation != Activation.Identity) arguments.Add("Activation = " + ActivationArgument());
                break;
            default:
                if (spec.Activation != Activation.Identity) arguments.Add("Activation = " + ActivationArgument());
                break;
        }
        arguments.Add("Name = " + Literal(spec.Name!));
        if (spec.From is not null) arguments.Add("From = " + Strings(spec.From));
        if (spec is ConvLayer { Connections: not null } table) arguments.Add("Connections = " + Strings(table.Connections!));
        string attribute = spec.Kind switch { LayerKind.Add => "Add", LayerKind.Concat => "Concat", _ => spec.Kind.ToString() };
        return "[" + attribute + "(" + string.Join(", ", arguments.ToArray()) + ")]";
    }

    private static string Strings(string[] values) => "new[] { " + string.Join(", ", Array.ConvertAll(values, Literal)) + " }";

    /// <summary>A C# string literal.</summary>
    internal static string Literal(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            if (c == '"' || c == '\\') text.Append('\\').Append(c);
            else if (c < ' ' || c == '\u2028' || c == '\u2029' || c == '\u0085') text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else text.Append(c);
        }
        return text.Append('"').ToString();
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    // -----------------------------------------------------------------------------------------------------------------
    // Problems.

    /// <summary>A problem about the model as a whole.</summary>
    private void Problem(OnnxProblemKind kind, string message) => _result.Problems.Add(new OnnxProblem(kind, message));
}
