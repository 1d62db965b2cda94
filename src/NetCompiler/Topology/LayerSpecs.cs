// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System;
using System.Globalization;
using System.Text;

namespace NetCompiler;

/// <summary>The kind of a layer.</summary>
public enum LayerKind
{
    /// <summary>Fully connected: u = Σ_β W^β·x^β + b.</summary>
    Dense = 0,
    /// <summary>1-D convolution with shared weights.</summary>
    Conv1D = 1,
    /// <summary>2-D convolution with shared weights.</summary>
    Conv2D = 2,
    /// <summary>Average subsampling, optionally with LeNet's trainable coefficient and bias per channel.</summary>
    AvgPool = 3,
    /// <summary>Max subsampling.</summary>
    MaxPool = 4,
    /// <summary>Elementwise sum of sources of one shape.</summary>
    Add = 5,
    /// <summary>Sources joined along features or channels.</summary>
    Concat = 6,
}

/// <summary>
/// The shape of a layer's activities: [features], [channels, length] or [channels, height, width], stored row-major
/// (PyTorch's order, so flattening is free).
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] _dims;

    /// <summary>Creates a shape from its dimensions.</summary>
    public TensorShape(params int[] dims)
    {
        if (dims is null) throw new ArgumentNullException(nameof(dims));
        _dims = (int[])dims.Clone();
    }

    /// <summary>1 for features, 2 for [channels, length], 3 for [channels, height, width].</summary>
    public int Rank => _dims.Length;

    /// <summary>Dimension <paramref name="index"/>.</summary>
    public int this[int index] => _dims[index];

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    /// <summary>The channels of a rank-2 or rank-3 shape; 1 for features.</summary>
    public int Channels => _dims.Length >= 2 ? _dims[0] : 1;

    /// <summary>The height of a rank-3 shape; 1 otherwise.</summary>
    public int Height => _dims.Length == 3 ? _dims[1] : 1;

    /// <summary>The width of a rank-3 shape, the length of a rank-2 shape, the features of a rank-1 shape.</summary>
    public int Width => _dims.Length == 0 ? 0 : _dims[_dims.Length - 1];

    /// <summary>Values per channel: height·width (or length).</summary>
    public int Spatial => Height * Width;

    /// <summary>The number of values, the product of the dimensions (as long: it may overflow int before validation).</summary>
    public long LongSize
    {
        get
        {
            long size = 1;
            foreach (int d in _dims) size *= d;
            return size;
        }
    }

    /// <summary>The number of values.</summary>
    public int Size => (int)LongSize;

    /// <inheritdoc/>
    public bool Equals(TensorShape? other)
    {
        if (other is null || other._dims.Length != _dims.Length) return false;
        for (int i = 0; i < _dims.Length; i++)
            if (_dims[i] != other._dims[i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        int hash = 17;
        foreach (int d in _dims) hash = unchecked(hash * 31 + d);
        return hash;
    }

    /// <summary>"[6, 28, 28]".</summary>
    public override string ToString()
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < _dims.Length; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(_dims[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }
}

/// <summary>
/// A layer as the user declares it (the runtime twin of a layer attribute). <see cref="Name"/> and
/// <see cref="From"/> make graphs: without them layers form a chain in declaration order.
/// </summary>
public abstract class LayerSpec
{
    private protected LayerSpec(LayerKind kind, Activation activation)
    {
        Kind = kind;
        Activation = activation;
    }

    /// <summary>What the layer computes.</summary>
    public LayerKind Kind { get; }

    /// <summary>The transfer function f (Identity for layers without one).</summary>
    public Activation Activation { get; }

    /// <summary>The layer's name, or null; "input" is reserved for the network's input.</summary>
    public string? Name { get; set; }

    /// <summary>The names of the layers this one reads; null means the previous declared layer (the input for the first).</summary>
    public string[]? From { get; set; }

    /// <inheritdoc/>
    public override string ToString() => Kind.ToString();

    internal static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A fully connected layer: u = Σ_β W^β·x^β + b, x = f(u).</summary>
public sealed class DenseLayer : LayerSpec
{
    /// <summary>Creates a dense layer with <paramref name="units"/> outputs and transfer function <paramref name="activation"/>.</summary>
    public DenseLayer(int units, Activation activation = Activation.Identity) : base(LayerKind.Dense, activation) => Units = units;

    /// <summary>The number of outputs n_l.</summary>
    public int Units { get; }

    /// <inheritdoc/>
    public override string ToString() => "Dense(" + Num(Units) + ", " + Activation + ")";
}

/// <summary>A 1-D or 2-D convolution (<see cref="LayerKind.Conv1D"/> or <see cref="LayerKind.Conv2D"/>).</summary>
public sealed class ConvLayer : LayerSpec
{
    /// <summary>Creates a convolution of <paramref name="dimensions"/> (1 or 2) spatial dimensions.</summary>
    public ConvLayer(int dimensions, int filters, int kernelSize, Activation activation = Activation.Identity)
        : base(dimensions == 1 ? LayerKind.Conv1D : LayerKind.Conv2D, activation)
    {
        if (dimensions != 1 && dimensions != 2)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "A convolution has 1 or 2 spatial dimensions.");
        Filters = filters;
        KernelSize = kernelSize;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The taps of a 1-D kernel, or the height and width of a square 2-D kernel.</summary>
    public int KernelSize { get; }

    /// <summary>The step between output positions; 1 by default.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side; 0 by default.</summary>
    public int Padding { get; set; }

    /// <summary>The connection table (one string per filter, 'X' or '.' per input channel), or null for full connection.</summary>
    public string[]? Connections { get; set; }

    /// <summary>
    /// The weights of one kernel: k for Conv1D, k·k for Conv2D. A long, because it is needed to count the parameters
    /// before the topology is known to be valid; once it is, <see cref="WindowGeometry.KernelVolume"/> has the same value.
    /// </summary>
    internal long KernelVolume => Kind == LayerKind.Conv2D ? (long)KernelSize * KernelSize : KernelSize;

    /// <summary>True when input channel <paramref name="channel"/> feeds filter <paramref name="filter"/>: no table, or 'X' in it.</summary>
    internal bool IsConnected(int filter, int channel) => Connections is null || NetworkTopology.IsConnected(Connections[filter][channel]);

    /// <inheritdoc/>
    public override string ToString() =>
        Kind + "(" + Num(Filters) + ", " + Num(KernelSize) + ", " + Activation
        + (Stride != 1 ? ", stride " + Num(Stride) : "") + (Padding != 0 ? ", padding " + Num(Padding) : "")
        + (Connections is null ? "" : ", table") + ")";
}

/// <summary>Average or max subsampling (<see cref="LayerKind.AvgPool"/> or <see cref="LayerKind.MaxPool"/>).</summary>
public sealed class PoolLayer : LayerSpec
{
    /// <summary>Creates a pooling layer; <paramref name="activation"/> and <paramref name="trainable"/> are for average pooling only.</summary>
    public PoolLayer(LayerKind kind, int size, Activation activation = Activation.Identity, bool trainable = false) : base(kind, activation)
    {
        if (kind != LayerKind.AvgPool && kind != LayerKind.MaxPool)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A pooling layer is AvgPool or MaxPool.");
        Size = size;
        Trainable = trainable;
    }

    /// <summary>The window size.</summary>
    public int Size { get; }

    /// <summary>The step between windows; 0 means <see cref="Size"/>.</summary>
    public int Stride { get; set; }

    /// <summary>LeNet's trainable subsampling: x = f(c·average + b) with c and b per channel.</summary>
    public bool Trainable { get; }

    /// <inheritdoc/>
    public override string ToString() =>
        Kind + "(" + Num(Size) + (Stride != 0 && Stride != Size ? ", stride " + Num(Stride) : "") + (Trainable ? ", trainable" : "")
        + (Activation != Activation.Identity ? ", " + Activation : "") + ")";
}

/// <summary>A parameter-free join: elementwise <see cref="LayerKind.Add"/> (then f) or <see cref="LayerKind.Concat"/>.</summary>
public sealed class JoinLayer : LayerSpec
{
    /// <summary>Creates a join of <paramref name="from"/>.</summary>
    public JoinLayer(LayerKind kind, string[] from, Activation activation = Activation.Identity) : base(kind, activation)
    {
        if (kind != LayerKind.Add && kind != LayerKind.Concat)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A join is Add or Concat.");
        From = from;
    }
}
