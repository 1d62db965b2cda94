// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// A weights file that is well formed but does not fit the network, one value per problem, so that the generator can
// report each as its own diagnostic and SafeTensors.Load can list them all in one exception.
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System.Collections.Generic;
using System.Globalization;

namespace NetCompiler.Serialization;

/// <summary>How a well-formed safetensors file fails to fit a network.</summary>
internal enum SafeTensorsMismatchKind
{
    /// <summary>The network has the tensor; the file does not.</summary>
    MissingTensor,
    /// <summary>The file has a tensor the network does not.</summary>
    UnexpectedTensor,
    /// <summary>The tensor's shape in the file is not the network's.</summary>
    WrongShape,
    /// <summary>The tensor's dtype is one of the format's but not F32, F64, F16 or BF16.</summary>
    UnsupportedDType,
    /// <summary>A convolution kernel that the layer's connection table leaves out holds a non-zero value.</summary>
    NonZeroAbsentKernel,
}

/// <summary>One way a well-formed safetensors file does not fit a network; <see cref="Message"/> says it in words.</summary>
internal sealed class SafeTensorsMismatch
{
    private SafeTensorsMismatch(SafeTensorsMismatchKind kind, string tensorName, int[]? expectedShape, long[]? foundShape,
        string? dtype, string message)
    {
        Kind = kind;
        TensorName = tensorName;
        ExpectedShape = expectedShape;
        FoundShape = foundShape;
        DType = dtype;
        Message = message;
    }

    /// <summary>What kind of problem this is.</summary>
    public SafeTensorsMismatchKind Kind { get; }

    /// <summary>The tensor it concerns, for example "c3.weight".</summary>
    public string TensorName { get; }

    /// <summary>The network's shape of the tensor; null for <see cref="SafeTensorsMismatchKind.UnexpectedTensor"/>.</summary>
    public IReadOnlyList<int>? ExpectedShape { get; }

    /// <summary>The file's shape of the tensor; null for <see cref="SafeTensorsMismatchKind.MissingTensor"/>.</summary>
    public IReadOnlyList<long>? FoundShape { get; }

    /// <summary>The file's dtype of the tensor; null for <see cref="SafeTensorsMismatchKind.MissingTensor"/>.</summary>
    public string? DType { get; }

    /// <summary>The problem in words, with the tensor's name and the numbers.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;

    internal static SafeTensorsMismatch Missing(string name, int[] expected) =>
        new(SafeTensorsMismatchKind.MissingTensor, name, expected, null, null,
            "missing tensor '" + name + "' " + SafeTensorsFormat.ShapeText(expected));

    internal static SafeTensorsMismatch Unexpected(string name, long[] found, string dtype) =>
        new(SafeTensorsMismatchKind.UnexpectedTensor, name, null, found, dtype,
            "unexpected tensor '" + name + "' " + SafeTensorsFormat.ShapeText(found) + " (this network has no such tensor)");

    internal static SafeTensorsMismatch WrongShape(string name, int[] expected, long[] found, string dtype) =>
        new(SafeTensorsMismatchKind.WrongShape, name, expected, found, dtype,
            "tensor '" + name + "' has shape " + SafeTensorsFormat.ShapeText(found) + ", expected " + SafeTensorsFormat.ShapeText(expected));

    internal static SafeTensorsMismatch UnsupportedDType(string name, int[] expected, long[] found, string dtype) =>
        new(SafeTensorsMismatchKind.UnsupportedDType, name, expected, found, dtype,
            "tensor '" + name + "' has dtype " + dtype + ", which NetCompiler does not load (it reads F32, F64, F16 and BF16)");

    internal static SafeTensorsMismatch NonZeroAbsentKernel(string name, int[] shape, long[] found, string dtype,
        string layer, int filter, int channel, string value, int nonZeroKernels)
    {
        string message = "tensor '" + name + "': the kernel of filter " + filter.ToString(CultureInfo.InvariantCulture)
            + ", channel " + channel.ToString(CultureInfo.InvariantCulture) + " is left out by the connection table of " + layer
            + " but holds non-zero values (for example " + value + ")";
        if (nonZeroKernels > 1)
            message += "; " + (nonZeroKernels - 1).ToString(CultureInfo.InvariantCulture) + " more left-out kernels are not zero either";
        return new SafeTensorsMismatch(SafeTensorsMismatchKind.NonZeroAbsentKernel, name, shape, found, dtype, message);
    }
}
