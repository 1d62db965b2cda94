namespace NetCompiler.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network class, as plain values: no symbols, syntax nodes or locations,
/// so the model compares by value, caches across edits and roots no compilation.
/// </summary>
/// <param name="Namespace">The class's namespace, or null for the global namespace.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first, for example "partial class Outer".</param>
/// <param name="HintName">A unique, stable file name for the generated source.</param>
/// <param name="Precision">The element type of the generated code.</param>
/// <param name="InputShape">The dimensions of x^0: [n], [channels, length] or [channels, height, width].</param>
/// <param name="Layers">The layers in declaration order.</param>
/// <param name="Loss">The loss, or null for an inference-only network.</param>
/// <param name="Output">The name of the output layer, or null for the last declared layer.</param>
/// <param name="Weights">The weights file to compile in ([Network(Weights = …)], relative to the project directory), or null.</param>
/// <param name="Onnx">
/// The ONNX model to compile ([Network(Onnx = …)]), or null. The parser's model of such a network has no input shape
/// and no layers; the import (<see cref="CompiledOnnx"/>) fills them, and <paramref name="Imported"/> with them.
/// </param>
/// <param name="Imported">The imported network as the equivalent attribute declaration, one attribute per line, for the header.</param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    EquatableArray<string> ContainingTypes,
    string HintName,
    Precision Precision,
    EquatableArray<int> InputShape,
    EquatableArray<LayerModel> Layers,
    LossFunction? Loss,
    string? Output = null,
    string? Weights = null,
    string? Onnx = null,
    EquatableArray<string>? Imported = null)
{
    /// <summary>n_0, the number of input values.</summary>
    public int InputSize
    {
        get
        {
            int size = 1;
            foreach (int d in InputShape) size *= d;
            return size;
        }
    }

    /// <summary>The validated topology (the parser only builds models of valid networks), shared with the runtime.</summary>
    public NetworkTopology ToTopology()
    {
        var layers = new System.Collections.Generic.List<LayerSpec>(Layers.Count);
        foreach (LayerModel layer in Layers) layers.Add(layer.ToSpec());
        var shape = new int[InputShape.Count];
        for (int i = 0; i < shape.Length; i++) shape[i] = InputShape[i];
        return new NetworkTopology(new TensorShape(shape), layers, Loss, Precision, Output);
    }
}

/// <summary>
/// One layer attribute as values. Which fields matter depends on <paramref name="Kind"/>: <paramref name="Units"/> is a
/// dense layer's units or a convolution's filters; <paramref name="Size"/> a convolution's kernel size or a pooling
/// window; <paramref name="From"/> and <paramref name="Connections"/> are null when not given.
/// </summary>
internal sealed record LayerModel(
    LayerKind Kind,
    int Units,
    Activation Activation,
    int Size = 0,
    int Stride = 0,
    int Padding = 0,
    bool Trainable = false,
    string? Name = null,
    EquatableArray<string>? From = null,
    EquatableArray<string>? Connections = null)
{
    /// <summary>A dense layer of a chain (the multilayer perceptron's only kind).</summary>
    public LayerModel(int units, Activation activation) : this(LayerKind.Dense, units, activation) { }

    /// <summary>A layer as values, the inverse of <see cref="LayerModel.ToSpec"/>.</summary>
    public static LayerModel Of(LayerSpec layer)
    {
        EquatableArray<string>? from = layer.From?.ToEquatableArray();
        return layer switch
        {
            DenseLayer dense => new LayerModel(LayerKind.Dense, dense.Units, dense.Activation, Name: dense.Name, From: from),
            ConvLayer conv => new LayerModel(conv.Kind, conv.Filters, conv.Activation, conv.KernelSize, conv.Stride, conv.Padding,
                Name: conv.Name, From: from, Connections: conv.Connections?.ToEquatableArray()),
            PoolLayer pool => new LayerModel(pool.Kind, 0, pool.Activation, pool.Size, pool.Stride, Trainable: pool.Trainable, Name: pool.Name, From: from),
            _ => new LayerModel(layer.Kind, 0, layer.Activation, Name: layer.Name, From: from),
        };
    }

    /// <summary>The runtime description of this layer.</summary>
    public LayerSpec ToSpec()
    {
        LayerSpec spec = Kind switch
        {
            LayerKind.Dense => new DenseLayer(Units, Activation),
            LayerKind.Conv1D or LayerKind.Conv2D => new ConvLayer(Kind == LayerKind.Conv1D ? 1 : 2, Units, Size, Activation)
            {
                Stride = Stride,
                Padding = Padding,
                Connections = Connections is { } table ? ToArray(table) : null,
            },
            LayerKind.AvgPool or LayerKind.MaxPool => new PoolLayer(Kind, Size, Activation, Trainable) { Stride = Stride },
            _ => new JoinLayer(Kind, From is { } sources ? ToArray(sources) : null!, Activation),
        };
        spec.Name = Name;
        spec.From = From is { } from ? ToArray(from) : null;
        return spec;
    }

    private static string[] ToArray(EquatableArray<string> items)
    {
        var array = new string[items.Count];
        for (int i = 0; i < array.Length; i++) array[i] = items[i];
        return array;
    }
}

/// <summary>
/// An unexpected exception in the generator, carried as data (the exception itself would hold symbols) and reported
/// as NC0900 instead of escaping: an escaped exception is only warning CS8785 and silently missing code.
/// </summary>
/// <param name="Network">The name of the network class.</param>
/// <param name="Error">The exception's type, message and innermost frame.</param>
internal sealed record GeneratorFailure(string Network, string Error)
{
    public static GeneratorFailure From(string network, System.Exception exception)
    {
        string? frame = exception.StackTrace?.Split('\n')[0].Trim();
        return new GeneratorFailure(network, exception.GetType().FullName + ": " + exception.Message + (frame is null ? "" : " (" + frame + ")"));
    }
}

/// <summary>
/// The parser's result for one [Network] class: the model to emit, or none when the class has an error (which the
/// analyzer reports) or the parser failed (<paramref name="Failure"/>).
/// </summary>
/// <param name="WeightsLocation">Where the Weights or Onnx argument's value is written: the diagnostics about the file point there.</param>
internal sealed record ParseResult(NetworkModel? Model, GeneratorFailure? Failure, LocationInfo? WeightsLocation = null);

/// <summary>
/// A source location as values (file, span, line span), so that it can travel through the incremental pipeline without
/// rooting a syntax tree; <see cref="ToLocation"/> makes the Location a diagnostic needs.
/// </summary>
internal sealed record LocationInfo(string FilePath, Microsoft.CodeAnalysis.Text.TextSpan Span, Microsoft.CodeAnalysis.Text.LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Microsoft.CodeAnalysis.Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public Microsoft.CodeAnalysis.Location ToLocation() => Microsoft.CodeAnalysis.Location.Create(FilePath, Span, LineSpan);
}
