// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// Keep it netstandard2.0-clean: no spans, records or init accessors.
namespace NetCompiler;

/// <summary>What is wrong with a topology; one value per rule of <see cref="NetworkTopology.Check(TensorShape?, System.Collections.Generic.IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>.</summary>
public enum TopologyProblemKind
{
    /// <summary>No input size was declared (build time only: the runtime constructor always has one).</summary>
    MissingInput,
    /// <summary>The input size is zero or negative.</summary>
    InputSizeNotPositive,
    /// <summary>The precision is an int cast to <see cref="NetCompiler.Precision"/> that names no member.</summary>
    UndefinedPrecision,
    /// <summary>The loss is an int cast to <see cref="LossFunction"/> that names no member.</summary>
    UndefinedLoss,
    /// <summary>The network has no layers.</summary>
    NoLayers,
    /// <summary>A layer is null (run time only).</summary>
    NullLayer,
    /// <summary>A layer has zero or negative units.</summary>
    UnitsNotPositive,
    /// <summary>A layer's activation is an int cast to <see cref="Activation"/> that names no member.</summary>
    UndefinedActivation,
    /// <summary>Softmax on a layer other than the output layer.</summary>
    SoftmaxNotOnOutput,
    /// <summary>CrossEntropy loss over an output layer that is not Softmax.</summary>
    CrossEntropyWithoutSoftmax,
    /// <summary>A Softmax output trained with SquaredError (a warning: it works, but learns slowly).</summary>
    SoftmaxWithSquaredError,
    /// <summary>More parameters than one .NET array holds.</summary>
    TooManyParameters,
    /// <summary>More than <see cref="NetworkTopology.LargeParameterCount"/> parameters (a warning).</summary>
    LargeNetwork,
    /// <summary>The input has no dimensions or more than three.</summary>
    InputRankUnsupported,
    /// <summary>Two layers have the same name.</summary>
    DuplicateName,
    /// <summary>A layer is named "input", which names the network's input.</summary>
    ReservedName,
    /// <summary>A <c>From</c> entry names no layer.</summary>
    UnknownSource,
    /// <summary>A <c>From</c> list names the same source twice.</summary>
    DuplicateSource,
    /// <summary>Layers read each other in a cycle.</summary>
    Cycle,
    /// <summary>Nothing reads a layer and it is not the output.</summary>
    UnusedLayer,
    /// <summary><c>Output</c> names no layer.</summary>
    UnknownOutput,
    /// <summary>A layer has the wrong number of sources (a convolution or pooling reads one; Add and Concat at least two).</summary>
    WrongSourceCount,
    /// <summary>A source has the wrong rank (Conv1D reads [channels, length], Conv2D [channels, height, width], pooling either).</summary>
    WrongSourceRank,
    /// <summary>The sources of an Add differ in shape.</summary>
    AddShapeMismatch,
    /// <summary>The sources of a Concat cannot be joined (different ranks, or different lengths or heights and widths).</summary>
    ConcatShapeMismatch,
    /// <summary>A convolution's kernel size is zero or negative.</summary>
    KernelNotPositive,
    /// <summary>A stride is zero or negative (or negative for pooling, where 0 means the window size).</summary>
    StrideNotPositive,
    /// <summary>A padding is negative.</summary>
    PaddingNegative,
    /// <summary>A pooling window size is zero or negative.</summary>
    PoolSizeNotPositive,
    /// <summary>A kernel or window is larger than its (padded) input.</summary>
    KernelTooLarge,
    /// <summary>The stride does not tile the (padded) input: the last positions would be dropped.</summary>
    StrideDoesNotTile,
    /// <summary>A connection table has the wrong number of rows or a row of the wrong length.</summary>
    ConnectionTableShape,
    /// <summary>A connection table entry is neither 'X' nor '.'.</summary>
    ConnectionTableEntry,
    /// <summary>A filter of a connection table reads no input channel.</summary>
    ConnectionTableEmptyFilter,
    /// <summary>An activation that the layer kind does not take (MaxPool, Concat), or Softmax on a layer other than the output.</summary>
    ActivationNotAllowed,
    /// <summary>A dense layer reads a source with channels and flattens it (information: PyTorch's order, channel-major).</summary>
    ImplicitFlatten,
    /// <summary>A layer's output has more than <see cref="NetworkTopology.MaxTensorSize"/> values.</summary>
    LayerTooLarge,
}

/// <summary>Which declared value a <see cref="TopologyProblem"/> is about, so that a tool can point at it.</summary>
public enum TopologyArgument
{
    /// <summary>The network as a whole (for example it has no layers).</summary>
    None,
    /// <summary>The input size.</summary>
    InputSize,
    /// <summary>The precision.</summary>
    Precision,
    /// <summary>The loss function.</summary>
    Loss,
    /// <summary>The units of layer <see cref="TopologyProblem.Layer"/>.</summary>
    Units,
    /// <summary>The activation of layer <see cref="TopologyProblem.Layer"/>.</summary>
    Activation,
    /// <summary>The name of layer <see cref="TopologyProblem.Layer"/>.</summary>
    Name,
    /// <summary>The <c>From</c> list of layer <see cref="TopologyProblem.Layer"/>; <see cref="TopologyProblem.Item"/> is the entry, or −1 for the list.</summary>
    From,
    /// <summary>The filters of a convolution.</summary>
    Filters,
    /// <summary>The kernel size of a convolution.</summary>
    KernelSize,
    /// <summary>The stride of a convolution or pooling layer.</summary>
    Stride,
    /// <summary>The padding of a convolution.</summary>
    Padding,
    /// <summary>The window size of a pooling layer.</summary>
    Size,
    /// <summary>The connection table of a convolution; <see cref="TopologyProblem.Item"/> is the row, or −1 for the table.</summary>
    Connections,
    /// <summary>The network's <c>Output</c> layer name.</summary>
    Output,
    /// <summary>The layer as a whole (its attribute).</summary>
    Layer,
}

/// <summary>How bad a <see cref="TopologyProblem"/> is.</summary>
public enum TopologySeverity
{
    /// <summary>The topology cannot be built: the runtime constructor throws and the generator emits nothing.</summary>
    Error,
    /// <summary>The topology works but is probably not what was meant.</summary>
    Warning,
    /// <summary>Worth knowing, nothing wrong.</summary>
    Info,
}

/// <summary>One problem found by <see cref="NetworkTopology.Check(TensorShape?, System.Collections.Generic.IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>: what, where, how bad, and a message naming the numbers.</summary>
public sealed class TopologyProblem
{
    internal TopologyProblem(TopologyProblemKind kind, TopologySeverity severity, TopologyArgument argument, int layer, long value, string message, int item = -1)
    {
        Item = item;
        Kind = kind;
        Severity = severity;
        Argument = argument;
        Layer = layer;
        Value = value;
        Message = message;
    }

    /// <summary>The rule that is broken.</summary>
    public TopologyProblemKind Kind { get; }

    /// <summary>Error or warning.</summary>
    public TopologySeverity Severity { get; }

    /// <summary>The declared value at fault.</summary>
    public TopologyArgument Argument { get; }

    /// <summary>The 1-based layer number the problem is about, or 0 when it is about no single layer.</summary>
    public int Layer { get; }

    /// <summary>
    /// The number at fault: the input size, the units, the undefined enum value or the parameter count, depending on
    /// <see cref="Kind"/>; 0 when there is none.
    /// </summary>
    public long Value { get; }

    /// <summary>The entry of a list argument at fault (a <c>From</c> entry, a connection table row), or −1.</summary>
    public int Item { get; }

    /// <summary>A sentence naming the problem and the numbers involved (the text the runtime constructor throws).</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
