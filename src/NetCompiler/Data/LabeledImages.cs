using System;
using System.IO;
using System.Numerics;

namespace NetCompiler.Data;

/// <summary>
/// Grayscale images with one class label each, as MNIST and Fashion-MNIST ship them: <see cref="Count"/> images of
/// <see cref="Height"/> × <see cref="Width"/> unsigned-byte pixels, row by row, and a label 0..<see cref="Classes"/>−1
/// per image. <see cref="AsDataset{T}"/> gives the samples to a trainer.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Wraps <paramref name="pixels"/> (count × height × width, row-major) and <paramref name="labels"/> (count) without copying them.</summary>
    /// <exception cref="ArgumentException">The sizes do not fit together or a label is not below <paramref name="classes"/>.</exception>
    public LabeledImages(byte[] pixels, byte[] labels, int height, int width, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        CheckClasses(classes);
        if ((long)labels.Length * height * width != pixels.Length)
            throw new ArgumentException(
                $"{labels.Length} labels need {(long)labels.Length * height * width} pixels of {height} × {width}, got {pixels.Length}.", nameof(pixels));
        int bad = FirstLabelOutOfRange(labels, classes);
        if (bad >= 0)
            throw new ArgumentException($"Label {labels[bad]} at index {bad} is not a class: with {classes} classes labels are 0..{classes - 1}.", nameof(labels));
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The rows of one image.</summary>
    public int Height { get; }

    /// <summary>The columns of one image.</summary>
    public int Width { get; }

    /// <summary>The pixels of one image (<see cref="Height"/> × <see cref="Width"/>).</summary>
    public int PixelsPerImage => Height * Width;

    /// <summary>The number of classes; every label is below it.</summary>
    public int Classes { get; }

    /// <summary>All pixels, image after image, each row by row (0 = background, 255 = full intensity).</summary>
    public byte[] Pixels { get; }

    /// <summary>The label of each image.</summary>
    public byte[] Labels { get; }

    /// <summary>The pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {Count} images.");
        return Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }

    /// <summary>How many images each class has (index = label).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (byte label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>
    /// Reads images and labels from two IDX files (gzipped or raw; see <see cref="IdxFile"/>): the images a 3-D ubyte
    /// array (count × rows × columns), the labels a 1-D ubyte array of the same count, every label below
    /// <paramref name="classes"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or the two do not belong together (the message names the file(s) and the problem).</exception>
    public static LabeledImages Load(string imagesPath, string labelsPath, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        CheckClasses(classes);

        var images = IdxFile.Read(imagesPath);
        if (images.TypeCode != IdxFile.UnsignedByte || images.Dimensions.Length != 3)
            throw new InvalidDataException(
                $"{imagesPath}: expected images, a 3-D ubyte array (count × rows × columns), found a {images.Dimensions.Length}-D " +
                $"{images.TypeName} array [{images.Shape}].");
        var labels = IdxFile.Read(labelsPath);
        if (labels.TypeCode != IdxFile.UnsignedByte || labels.Dimensions.Length != 1)
            throw new InvalidDataException(
                $"{labelsPath}: expected labels, a 1-D ubyte array (one label per image), found a {labels.Dimensions.Length}-D " +
                $"{labels.TypeName} array [{labels.Shape}].");
        int imageCount = images.Dimensions[0], labelCount = labels.Dimensions[0];
        if (imageCount != labelCount)
            throw new InvalidDataException(
                $"{imagesPath} has {imageCount} images but {labelsPath} has {labelCount} labels; the counts must be equal.");
        int bad = FirstLabelOutOfRange(labels.Data, classes);
        if (bad >= 0)
            throw new InvalidDataException(
                $"{labelsPath}: label {labels.Data[bad]} at index {bad} is not a class: with {classes} classes labels are 0..{classes - 1}.");
        return new LabeledImages(images.Data, labels.Data, images.Dimensions[1], images.Dimensions[2], classes);
    }

    /// <summary>The first <paramref name="count"/> images (a copy), e.g. for a quick run.</summary>
    public LabeledImages Take(int count) => Slice(0, count);

    /// <summary>Images <paramref name="start"/>..<paramref name="start"/>+<paramref name="count"/>−1 (a copy).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside 0..<see cref="Count"/>.</exception>
    public LabeledImages Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Images {start}..{start + (long)count - 1} are not all among the {Count} images.");
        return new LabeledImages(
            Pixels.AsSpan(start * PixelsPerImage, count * PixelsPerImage).ToArray(),
            Labels.AsSpan(start, count).ToArray(),
            Height, Width, Classes);
    }

    /// <summary>
    /// The samples as an <see cref="Training.IDataset{T}"/>: inputs are the pixels scaled to [0, 1] (pixel / 255),
    /// targets one-hot over <see cref="Classes"/>. Shares this object's arrays.
    /// </summary>
    public ImageDataset<T> AsDataset<T>() where T : unmanaged, IFloatingPointIeee754<T> => new(this);

    /// <inheritdoc />
    public override string ToString() => $"{Count} images of {Height} × {Width}, {Classes} classes";

    private static void CheckClasses(int classes)
    {
        if (classes < 1 || classes > 256)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "Byte labels allow 1..256 classes.");
    }

    private static int FirstLabelOutOfRange(byte[] labels, int classes)
    {
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classes) return i;
        return -1;
    }
}
