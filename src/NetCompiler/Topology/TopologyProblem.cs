// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// Keep it netstandard2.0-clean: no spans, records or init accessors.
namespace NetCompiler;

/// <summary>What is wrong with a topology; one value per rule of <see cref="NetworkTopology.Check"/>.</summary>
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
}

/// <summary>How bad a <see cref="TopologyProblem"/> is.</summary>
public enum TopologySeverity
{
    /// <summary>The topology cannot be built: the runtime constructor throws and the generator emits nothing.</summary>
    Error,
    /// <summary>The topology works but is probably not what was meant.</summary>
    Warning,
}

/// <summary>One problem found by <see cref="NetworkTopology.Check"/>: what, where, how bad, and a message naming the numbers.</summary>
public sealed class TopologyProblem
{
    internal TopologyProblem(TopologyProblemKind kind, TopologySeverity severity, TopologyArgument argument, int layer, long value, string message)
    {
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

    /// <summary>A sentence naming the problem and the numbers involved (the text the runtime constructor throws).</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
