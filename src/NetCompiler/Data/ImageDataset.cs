using System;
using System.Numerics;
using NetCompiler.Training;

namespace NetCompiler.Data;

/// <summary>
/// <see cref="LabeledImages"/> as training samples: input i is image i's pixels scaled to [0, 1] (pixel / 255, row by
/// row), target i is one-hot over the classes (1 at the label, 0 elsewhere). Reads only, so concurrent use is safe.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class ImageDataset<T> : IDataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>pixel / 255 for each byte value, each the correctly rounded quotient in T.</summary>
    private static readonly T[] Scaled = BuildScale();

    /// <summary>The samples of <paramref name="images"/> (shared, not copied).</summary>
    public ImageDataset(LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        Images = images;
    }

    /// <summary>The images and labels behind this dataset.</summary>
    public LabeledImages Images { get; }

    /// <inheritdoc />
    public int Count => Images.Count;

    /// <inheritdoc />
    public int InputSize => Images.PixelsPerImage;

    /// <inheritdoc />
    public int TargetSize => Images.Classes;

    /// <inheritdoc />
    public int Classes => Images.Classes;

    /// <inheritdoc />
    public void GetInput(int index, Span<T> input)
    {
        CheckIndex(index);
        CheckLength(input.Length, InputSize, nameof(input));
        var pixels = Images.Pixels.AsSpan(index * InputSize, InputSize);
        var scaled = Scaled;
        for (int k = 0; k < pixels.Length; k++) input[k] = scaled[pixels[k]];
    }

    /// <inheritdoc />
    public void GetTarget(int index, Span<T> target)
    {
        CheckIndex(index);
        CheckLength(target.Length, TargetSize, nameof(target));
        target.Clear();
        target[Images.Labels[index]] = T.One;
    }

    /// <inheritdoc />
    public int Label(int index)
    {
        CheckIndex(index);
        return Images.Labels[index];
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has samples 0..{Count - 1}.");
    }

    private static void CheckLength(int actual, int expected, string parameterName)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {parameterName} of length {expected}, got {actual}.", parameterName);
    }

    private static T[] BuildScale()
    {
        var table = new T[256];
        T max = T.CreateChecked(255);
        for (int b = 0; b < 256; b++) table[b] = T.CreateChecked(b) / max;
        return table;
    }
}
