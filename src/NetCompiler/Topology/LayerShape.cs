// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace NetCompiler;

/// <summary>
/// One layer of a validated <see cref="NetworkTopology"/>: what it reads, the shape it produces and where its
/// parameters sit in the parameter buffer. Layers are numbered 1..L in declaration order (0 is the input).
/// </summary>
/// <remarks>
/// Parameter layout of one layer, at <see cref="WeightOffset"/>:
/// <list type="bullet">
/// <item>Dense: one matrix per source in <see cref="Sources"/> order, W^β row-major [Outputs, size of x^β]
/// (<see cref="SourceWeightOffset"/>), then b [Outputs].</item>
/// <item>Conv1D / Conv2D: w [filters, channels, k] / [filters, channels, k, k] as PyTorch, except that with a
/// connection table only the connected (filter, channel) kernels are stored, in row-major order
/// (<see cref="KernelOffset"/>); then b [filters].</item>
/// <item>Trainable AvgPool: coefficients c [channels], then b [channels].</item>
/// <item>MaxPool, plain AvgPool, Add, Concat: no parameters.</item>
/// </list>
/// </remarks>
public sealed class LayerShape
{
    private readonly int[] _sources;
    private readonly TensorShape[] _sourceShapes;
    private readonly int[] _kernelOffsets; // conv: [filter·channels + channel] → offset of that kernel, or −1
    private readonly WindowGeometry? _window; // conv and pooling

    internal LayerShape(int number, LayerSpec spec, int[] sources, TensorShape[] sourceShapes, TensorShape shape, int weightOffset)
    {
        Number = number;
        Spec = spec;
        _sources = sources;
        _sourceShapes = sourceShapes;
        Shape = shape;
        WeightOffset = weightOffset;
        int inputs = 0;
        foreach (TensorShape s in sourceShapes) inputs += s.Size;
        Inputs = inputs;
        CountParameters(spec, sourceShapes, shape, out long weights, out long biases);
        WeightCount = (int)weights; // the topology has checked that every count fits a buffer
        BiasCount = (int)biases;
        if (spec is ConvLayer or PoolLayer) _window = new WindowGeometry(spec, sourceShapes[0], shape);
        _kernelOffsets = spec is ConvLayer conv ? KernelOffsets(conv, sourceShapes[0].Channels, weightOffset) : new int[0];
    }

    /// <summary>
    /// The weights and the biases of <paramref name="spec"/> reading <paramref name="sourceShapes"/> and producing
    /// <paramref name="shape"/>: the one statement of the counts, for a layer and for <see cref="NetworkTopology"/>'s
    /// check of the total, which runs before any layer exists; hence long, so that too large a layer is reported
    /// instead of overflowing.
    /// </summary>
    internal static void CountParameters(LayerSpec spec, IReadOnlyList<TensorShape> sourceShapes, TensorShape shape, out long weights, out long biases)
    {
        switch (spec)
        {
            case DenseLayer dense:
            {
                long inputs = 0;
                foreach (TensorShape s in sourceShapes) inputs += s.LongSize;
                weights = inputs * dense.Units;
                biases = dense.Units;
                return;
            }
            case ConvLayer conv:
            {
                int channels = sourceShapes[0].Channels;
                long kernels = 0;
                for (int o = 0; o < conv.Filters; o++)
                    for (int i = 0; i < channels; i++)
                        if (conv.IsConnected(o, i)) kernels++;
                weights = kernels * conv.KernelVolume;
                biases = conv.Filters;
                return;
            }
            case PoolLayer { Trainable: true }:
                weights = shape.Channels;
                biases = shape.Channels;
                return;
            default:
                weights = 0;
                biases = 0;
                return;
        }
    }

    /// <summary>[filter·channels + channel] → the offset of that kernel, the connected ones in row-major order from <paramref name="weightOffset"/>, or −1.</summary>
    private static int[] KernelOffsets(ConvLayer conv, int channels, int weightOffset)
    {
        int kernelVolume = (int)conv.KernelVolume;
        var offsets = new int[conv.Filters * channels];
        int offset = weightOffset;
        for (int o = 0; o < conv.Filters; o++)
            for (int i = 0; i < channels; i++)
            {
                bool connected = conv.IsConnected(o, i);
                offsets[o * channels + i] = connected ? offset : -1;
                if (connected) offset += kernelVolume;
            }
        return offsets;
    }

    /// <summary>The layer number l: 1-based position in declaration order.</summary>
    public int Number { get; }

    /// <summary>The layer as declared.</summary>
    public LayerSpec Spec { get; }

    /// <summary>What the layer computes.</summary>
    public LayerKind Kind => Spec.Kind;

    /// <summary>The user's name for the layer, or null.</summary>
    public string? Name => Spec.Name;

    /// <summary>The name when there is one, else "layer l"; for messages.</summary>
    public string DisplayName => Spec.Name is null ? "layer " + Number.ToString(CultureInfo.InvariantCulture) : "'" + Spec.Name + "'";

    /// <summary>The transfer function f.</summary>
    public Activation Activation => Spec.Activation;

    /// <summary>The layers this one reads, by number (0 is the input), in <c>From</c> order.</summary>
    public IReadOnlyList<int> Sources => _sources;

    /// <summary>The shapes of <see cref="Sources"/>.</summary>
    public IReadOnlyList<TensorShape> SourceShapes => _sourceShapes;

    /// <summary>The shape of the layer's activities x^l.</summary>
    public TensorShape Shape { get; }

    /// <summary>The total size of the sources (for a dense layer, the fan-in n_(l−1)).</summary>
    public int Inputs { get; }

    /// <summary>n_l: the size of the layer's activities.</summary>
    public int Outputs => Shape.Size;

    /// <summary>Offset of the layer's first parameter in the parameter buffer (its weights, or its coefficients).</summary>
    public int WeightOffset { get; }

    /// <summary>Number of weights (or pooling coefficients).</summary>
    public int WeightCount { get; }

    /// <summary>Offset of the biases; they follow the weights.</summary>
    public int BiasOffset => WeightOffset + WeightCount;

    /// <summary>Number of biases: Outputs for a dense layer, one per filter or channel otherwise, 0 without parameters.</summary>
    public int BiasCount { get; }

    /// <summary>Weights and biases of this layer.</summary>
    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>Dense: offset of W^β for the source at position <paramref name="source"/> of <see cref="Sources"/>.</summary>
    public int SourceWeightOffset(int source)
    {
        int offset = WeightOffset;
        for (int s = 0; s < source; s++) offset += Outputs * _sourceShapes[s].Size;
        return offset;
    }

    /// <summary>Convolution: the kernel size (taps, or height and width).</summary>
    public int KernelSize => Spec is ConvLayer conv ? conv.KernelSize : 0;

    /// <summary>Convolution or pooling: the step between output positions (a pooling stride of 0 resolved to the window size).</summary>
    public int Stride => _window?.Stride ?? 0;

    /// <summary>Convolution: zeros on every side of the input.</summary>
    public int Padding => Spec is ConvLayer conv ? conv.Padding : 0;

    /// <summary>Pooling: the window size.</summary>
    public int PoolSize => Spec is PoolLayer pool ? pool.Size : 0;

    /// <summary>Convolution or pooling: the sizes of the input, the output and the window, 1-D as 2-D of height 1.</summary>
    /// <exception cref="InvalidOperationException">The layer is a dense layer or a join, which has no window.</exception>
    public WindowGeometry Window => _window ?? throw new InvalidOperationException(Kind + " " + DisplayName + " has no window; only convolution and pooling layers have one.");

    /// <summary>Trainable average pooling (LeNet's subsampling).</summary>
    public bool Trainable => Spec is PoolLayer { Trainable: true };

    /// <summary>Convolution: true when input channel <paramref name="channel"/> feeds filter <paramref name="filter"/>.</summary>
    public bool IsConnected(int filter, int channel) => KernelOffset(filter, channel) >= 0;

    /// <summary>
    /// Convolution: the offset in the parameter buffer of the kernel from input channel <paramref name="channel"/> to
    /// filter <paramref name="filter"/> (k or k·k values, row-major), or −1 when the connection table leaves it out.
    /// </summary>
    public int KernelOffset(int filter, int channel) => _kernelOffsets[filter * _sourceShapes[0].Channels + channel];

    /// <summary>Multiply-adds in this layer's forward pass.</summary>
    public long MultiplyAdds
    {
        get
        {
            switch (Kind)
            {
                case LayerKind.Dense:
                    return (long)Outputs * Inputs;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                {
                    int kernelVolume = Window.KernelVolume;
                    return (long)Shape.Spatial * (WeightCount / kernelVolume) * kernelVolume;
                }
                case LayerKind.AvgPool:
                case LayerKind.MaxPool:
                    return (long)Outputs * Window.KernelVolume;
                case LayerKind.Add:
                    return (long)Outputs * (_sources.Length - 1);
                default:
                    return 0;
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Spec + " " + Shape;
}
