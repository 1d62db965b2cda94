using System;

namespace NetCompiler;

/// <summary>
/// Marks a partial class as a network to compile. Together with <see cref="InputAttribute"/>, one or more layer
/// attributes (<see cref="DenseAttribute"/>, <see cref="Conv1DAttribute"/>, <see cref="Conv2DAttribute"/>,
/// <see cref="AvgPoolAttribute"/>, <see cref="MaxPoolAttribute"/>, <see cref="AddAttribute"/>,
/// <see cref="ConcatAttribute"/>, taken in declaration order) and optionally a <see cref="LossAttribute"/>, the
/// NetCompiler generator emits Forward, Backward, Update and TrainStep specialised to exactly those shapes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>The floating-point type of the generated code; <see cref="Precision.Single"/> (float) by default.</summary>
    public Precision Precision { get; set; } = Precision.Single;

    /// <summary>The name of the layer whose activities are the network's output; the last declared layer when null.</summary>
    public string? Output { get; set; }

    /// <summary>
    /// A safetensors file of trained weights to compile into the assembly, its path relative to the project directory
    /// (for example "models/lenet.safetensors"); the project must list it as an AdditionalFiles item. The generator
    /// reads and checks it at build time with SafeTensors.Load's rules (each problem is a build error on this argument)
    /// and embeds θ: <c>new</c> then starts from these weights with no file read at run time. An inference-only network
    /// shares them read-only across instances; a trainable one starts from its own copy. F32, F64, F16 and BF16
    /// tensors are converted to the network's precision.
    /// </summary>
    public string? Weights { get; set; }

    /// <summary>
    /// An ONNX model to compile, its path relative to the project directory (for example "models/classifier.onnx"); the
    /// project must list it as an AdditionalFiles item. The class then declares no [Input] and no layers: the generator
    /// reads the model at build time, maps its graph to the layers these attributes describe (the generated file's
    /// header shows them as attributes), compiles its initializers in as the weights and emits the same code. Add
    /// <see cref="Precision"/> or a [Loss] to choose the precision or make the network trainable; with
    /// [Loss(LossFunction.CrossEntropy)] a model that ends in logits gets a softmax output, so Forward returns
    /// probabilities and training minimises PyTorch's nn.CrossEntropyLoss on the logits. Every operator, attribute or
    /// structure that does not map is a build error on this argument (NC0090–NC0098).
    /// </summary>
    public string? Onnx { get; set; }
}

/// <summary>
/// The shape of the network's input x^0: <c>[Input(n)]</c> for n features, <c>[Input(channels, length)]</c> for a
/// 1-D signal, <c>[Input(channels, height, width)]</c> for an image. Values are stored row-major in that order.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input of the given shape.</summary>
    public InputAttribute(params int[] shape) => Shape = shape ?? Array.Empty<int>();

    /// <summary>The dimensions: [features], [channels, length] or [channels, height, width].</summary>
    public int[] Shape { get; }

    /// <summary>The number of input values (the product of <see cref="Shape"/>).</summary>
    public int Size
    {
        get
        {
            int size = 1;
            foreach (int d in Shape) size *= d;
            return size;
        }
    }
}

/// <summary>What every layer attribute carries: a name other layers can refer to, and the layers it reads.</summary>
public abstract class LayerAttribute : Attribute
{
    private protected LayerAttribute() { }

    /// <summary>The layer's name, for <see cref="From"/> lists and <see cref="NetworkAttribute.Output"/>; "input" is reserved.</summary>
    public string? Name { get; set; }

    /// <summary>The names of the layers this one reads ("input" for the network's input); the previous declared layer when null.</summary>
    public string[]? From { get; set; }
}

/// <summary>
/// A fully connected layer u = Σ_β W^β·x^β + b, x = f(u): one weight matrix [units, size of x^β] per source β, in
/// <see cref="LayerAttribute.From"/> order, then one bias. A source with channels is flattened in PyTorch's order.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : LayerAttribute
{
    /// <summary>Declares a layer of <paramref name="units"/> outputs with transfer function <paramref name="activation"/>.</summary>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The transfer function f.</summary>
    public Activation Activation { get; }
}

/// <summary>
/// What the two convolutions share: filters of kernelSize taps (1-D) or kernelSize×kernelSize (2-D) per input channel,
/// one bias per filter, stride, zero padding and an optional connection table.
/// </summary>
public abstract class ConvolutionAttribute : LayerAttribute
{
    private protected ConvolutionAttribute(int filters, int kernelSize, Activation activation)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>The number of output channels (feature maps).</summary>
    public int Filters { get; }

    /// <summary>The kernel size: the taps of a 1-D kernel, the height and width of a square 2-D one.</summary>
    public int KernelSize { get; }

    /// <summary>The transfer function f.</summary>
    public Activation Activation { get; }

    /// <summary>The step between output positions (in both directions in 2-D); 1 by default.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input (at both ends in 1-D); 0 by default.</summary>
    public int Padding { get; set; }

    /// <summary>
    /// An optional connection table: one string per filter, one character per input channel, 'X' where the input
    /// channel feeds the filter and '.' where it does not (LeNet-5's C3). Absent pairs carry no weights.
    /// </summary>
    public string[]? Connections { get; set; }
}

/// <summary>
/// A 1-D convolution over a [channels, length] source: u[o, t] = b[o] + Σ_i Σ_k w[o, i, k]·x[i, t·stride + k − padding],
/// x = f(u). Weights [filters, channels, kernel] as PyTorch's Conv1d, then one bias per filter.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv1DAttribute : ConvolutionAttribute
{
    /// <summary>Declares <paramref name="filters"/> output channels with kernels of <paramref name="kernelSize"/> taps.</summary>
    public Conv1DAttribute(int filters, int kernelSize, Activation activation = Activation.Identity) : base(filters, kernelSize, activation) { }
}

/// <summary>
/// A 2-D convolution over a [channels, height, width] source with square kernels:
/// u[o, y, x] = b[o] + Σ_i Σ_(ky,kx) w[o, i, ky, kx]·x[i, y·stride + ky − padding, x·stride + kx − padding], x = f(u).
/// Weights [filters, channels, kernel, kernel] as PyTorch's Conv2d, then one bias per filter.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : ConvolutionAttribute
{
    /// <summary>Declares <paramref name="filters"/> output maps with <paramref name="kernelSize"/>×<paramref name="kernelSize"/> kernels.</summary>
    public Conv2DAttribute(int filters, int kernelSize, Activation activation = Activation.Identity) : base(filters, kernelSize, activation) { }
}

/// <summary>
/// Subsampling by averaging size×size windows (size windows for a 1-D source) of each channel. With
/// <see cref="Trainable"/> it is LeNet's subsampling: x = f(c·average + b) with one coefficient c and one bias b per
/// channel (stored as all coefficients, then all biases).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPoolAttribute : LayerAttribute
{
    /// <summary>Declares windows of <paramref name="size"/> (×<paramref name="size"/> for images).</summary>
    public AvgPoolAttribute(int size) => Size = size;

    /// <summary>The window size.</summary>
    public int Size { get; }

    /// <summary>The step between windows; 0 (the default) means <see cref="Size"/>.</summary>
    public int Stride { get; set; }

    /// <summary>LeNet's trainable subsampling: a coefficient and a bias per channel.</summary>
    public bool Trainable { get; set; }

    /// <summary>The transfer function f applied after subsampling; Identity by default.</summary>
    public Activation Activation { get; set; }
}

/// <summary>Subsampling by the maximum of size×size windows (size windows for a 1-D source) of each channel.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPoolAttribute : LayerAttribute
{
    /// <summary>Declares windows of <paramref name="size"/> (×<paramref name="size"/> for images).</summary>
    public MaxPoolAttribute(int size) => Size = size;

    /// <summary>The window size.</summary>
    public int Size { get; }

    /// <summary>The step between windows; 0 (the default) means <see cref="Size"/>.</summary>
    public int Stride { get; set; }
}

/// <summary>The elementwise sum of two or more sources of the same shape (a residual connection), then f; no parameters.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute : LayerAttribute
{
    /// <summary>The transfer function f applied to the sum; Identity by default.</summary>
    public Activation Activation { get; set; }
}

/// <summary>
/// The sources joined along features (1-D sources) or channels (sources with the same length or height and width),
/// in <see cref="LayerAttribute.From"/> order; no parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ConcatAttribute : LayerAttribute
{
}

/// <summary>The loss minimised by Backward and TrainStep. Without it the network is inference-only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute : Attribute
{
    /// <summary>Declares the loss function.</summary>
    public LossAttribute(LossFunction function) => Function = function;

    /// <summary>The loss function.</summary>
    public LossFunction Function { get; }
}
