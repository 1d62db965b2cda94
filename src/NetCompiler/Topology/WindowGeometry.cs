// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// The sizes of a convolution's or pooling layer's sliding window, defined once for the interpreter, the generator's
// convolution and pooling emitters and the parameter layout, which used to keep a copy each.
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System;

namespace NetCompiler;

/// <summary>
/// The geometry of a convolution or pooling layer (<see cref="LayerShape.Window"/>): its input, output and window
/// sizes, with a 1-D layer as a 2-D one of height 1 (window height 1, no vertical padding).
/// </summary>
/// <remarks>
/// Output position (y, x) of a channel reads the input rows y·<see cref="Stride"/> + ky − <see cref="PadHeight"/> and
/// columns x·<see cref="Stride"/> + kx − <see cref="PadWidth"/> for 0 ≤ ky &lt; <see cref="KernelHeight"/> and
/// 0 ≤ kx &lt; <see cref="KernelWidth"/>, zero outside the input. A 1-D layer has one output row, so its vertical
/// stride never matters.
/// </remarks>
public readonly struct WindowGeometry
{
    internal WindowGeometry(LayerSpec spec, TensorShape source, TensorShape shape)
    {
        int size, padding;
        switch (spec)
        {
            case ConvLayer conv:
                size = conv.KernelSize;
                Stride = conv.Stride;
                padding = conv.Padding;
                break;
            case PoolLayer pool:
                size = pool.Size;
                Stride = pool.Stride == 0 ? pool.Size : pool.Stride;
                padding = 0;
                break;
            default:
                throw new ArgumentException(spec.Kind + " layers have no window.", nameof(spec));
        }
        TwoD = source.Rank == 3;
        Channels = source.Channels;
        Height = source.Height;
        Width = source.Width;
        OutChannels = shape.Channels;
        OutHeight = shape.Height;
        OutWidth = shape.Width;
        KernelHeight = TwoD ? size : 1;
        KernelWidth = size;
        PadHeight = TwoD ? padding : 0;
        PadWidth = padding;
    }

    /// <summary>True for a 2-D layer (input [channels, height, width]), false for a 1-D one ([channels, length]).</summary>
    public bool TwoD { get; }

    /// <summary>The input's channels.</summary>
    public int Channels { get; }

    /// <summary>The input's height; 1 for a 1-D layer.</summary>
    public int Height { get; }

    /// <summary>The input's width (a 1-D layer's length).</summary>
    public int Width { get; }

    /// <summary>The output's channels: the filters of a convolution, the input's channels for pooling.</summary>
    public int OutChannels { get; }

    /// <summary>The output's height; 1 for a 1-D layer.</summary>
    public int OutHeight { get; }

    /// <summary>The output's width (length).</summary>
    public int OutWidth { get; }

    /// <summary>The window's height: the kernel size (or pooling size) in 2-D, 1 in 1-D.</summary>
    public int KernelHeight { get; }

    /// <summary>The window's width: the kernel size, the taps of a 1-D kernel, or the pooling size.</summary>
    public int KernelWidth { get; }

    /// <summary>The step between output positions, in both directions (a pooling stride of 0 resolved to the window size).</summary>
    public int Stride { get; }

    /// <summary>Zeros above and below the input: a convolution's padding in 2-D, 0 in 1-D and for pooling.</summary>
    public int PadHeight { get; }

    /// <summary>Zeros left and right of the input: a convolution's padding, 0 for pooling.</summary>
    public int PadWidth { get; }

    /// <summary>The input's height with its padding.</summary>
    public int PaddedHeight => Height + 2 * PadHeight;

    /// <summary>The input's width with its padding.</summary>
    public int PaddedWidth => Width + 2 * PadWidth;

    /// <summary>Values per input channel: height·width.</summary>
    public int InPlane => Height * Width;

    /// <summary>Values per padded input channel.</summary>
    public int PaddedPlane => PaddedHeight * PaddedWidth;

    /// <summary>Values per output channel.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Elements of one window: a kernel's weights (k or k·k), or a pooling window's inputs.</summary>
    public int KernelVolume => KernelHeight * KernelWidth;
}
