using System;
using System.IO;
using NetCompiler.Data;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Data;

/// <summary>
/// <see cref="LabeledImages.Load"/> on small crafted image and label files: what it reads, and the files that do not
/// belong together rejected with messages naming them; <see cref="ImageDataset{T}"/>'s inputs, targets and labels.
/// </summary>
public sealed class LabeledImagesTests : IDisposable
{
    private readonly IdxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>3 images of 2 × 3 pixels (pixel k of image i is 10 i + k, the last is 255) and their labels.</summary>
    private (string Images, string Labels) WriteSmallSet(byte[] labels, bool gzip = false, int count = 3)
    {
        var pixels = new byte[count * 6];
        for (int i = 0; i < count; i++)
            for (int k = 0; k < 6; k++) pixels[6 * i + k] = (byte)(10 * i + k);
        pixels[^1] = 255;
        string images = _files.Write(gzip ? "images.gz" : "images.idx", IdxTestFiles.UByte(new[] { count, 2, 3 }, pixels), gzip);
        string labelPath = _files.Write(gzip ? "labels.gz" : "labels.idx", IdxTestFiles.UByte(new[] { labels.Length }, labels), gzip);
        return (images, labelPath);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadReadsImagesAndLabels(bool gzip)
    {
        var (images, labels) = WriteSmallSet(new byte[] { 2, 0, 9 }, gzip);

        var set = LabeledImages.Load(images, labels);

        Assert.Equal(3, set.Count);
        Assert.Equal(2, set.Height);
        Assert.Equal(3, set.Width);
        Assert.Equal(6, set.PixelsPerImage);
        Assert.Equal(10, set.Classes);
        Assert.Equal(new byte[] { 2, 0, 9 }, set.Labels);
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15 }, set.Image(1).ToArray());
        Assert.Equal(new[] { 1, 0, 1, 0, 0, 0, 0, 0, 0, 1 }, set.ClassCounts());
    }

    [Fact]
    public void CountMismatchNamesBothFilesAndCounts()
    {
        var (images, labels) = WriteSmallSet(new byte[] { 1, 2, 3, 4 });
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels));
        Assert.Equal($"{images} has 3 images but {labels} has 4 labels; the counts must be equal.", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeNamesFileIndexAndValue()
    {
        var (images, labels) = WriteSmallSet(new byte[] { 1, 10, 3 });
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels));
        Assert.Equal($"{labels}: label 10 at index 1 is not a class: with 10 classes labels are 0..9.", e.Message);

        // The same file is fine with more classes, and with fewer the first offender is named.
        Assert.Equal(11, LabeledImages.Load(images, labels, classes: 11).Classes);
        e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels, classes: 2));
        Assert.Equal($"{labels}: label 10 at index 1 is not a class: with 2 classes labels are 0..1.", e.Message);
    }

    [Fact]
    public void LabelsFilePassedAsImagesIsRejected()
    {
        var (_, labels) = WriteSmallSet(new byte[] { 1, 2, 3 });
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(labels, labels));
        Assert.Equal($"{labels}: expected images, a 3-D ubyte array (count × rows × columns), found a 1-D ubyte array [3].", e.Message);
    }

    [Fact]
    public void ImagesFilePassedAsLabelsIsRejected()
    {
        var (images, _) = WriteSmallSet(new byte[] { 1, 2, 3 });
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, images));
        Assert.Equal($"{images}: expected labels, a 1-D ubyte array (one label per image), found a 3-D ubyte array [3 × 2 × 3].", e.Message);
    }

    [Fact]
    public void ImagesOfAnotherElementTypeAreRejected()
    {
        string images = _files.Write("float-images.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0D, 1, 1, 1), new byte[4]));
        var (_, labels) = WriteSmallSet(new byte[] { 1 }, count: 1);
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels));
        Assert.Equal($"{images}: expected images, a 3-D ubyte array (count × rows × columns), found a 3-D float32 array [1 × 1 × 1].", e.Message);
    }

    [Fact]
    public void MalformedFileErrorsPassThroughNamingTheFile()
    {
        var (images, _) = WriteSmallSet(new byte[] { 1, 2, 3 });
        string labels = _files.Write("bad-labels.idx", new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 1, 2 }); // one label short
        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.Load(images, labels));
        Assert.Equal($"{labels}: data shorter than the dimensions say: 3 ubyte need 3 bytes after the header, the file has 2.", e.Message);

        string missing = Path.Combine(_files.Directory, "missing-labels.idx");
        var notFound = Assert.Throws<FileNotFoundException>(() => LabeledImages.Load(images, missing));
        Assert.Equal(missing, notFound.FileName);
    }

    [Fact]
    public void TakeAndSliceCopyTheirRange()
    {
        var (images, labels) = WriteSmallSet(new byte[] { 2, 0, 9 });
        var set = LabeledImages.Load(images, labels);

        var first = set.Take(2);
        Assert.Equal(2, first.Count);
        Assert.Equal(new byte[] { 2, 0 }, first.Labels);
        Assert.Equal(set.Pixels.AsSpan(0, 12).ToArray(), first.Pixels);

        var last = set.Slice(2, 1);
        Assert.Equal(new byte[] { 9 }, last.Labels);
        Assert.Equal(new byte[] { 20, 21, 22, 23, 24, 255 }, last.Pixels);
        Assert.Equal((2, 3, 10), (last.Height, last.Width, last.Classes));

        Assert.Equal(0, set.Take(0).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Take(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Take(-1));
    }

    [Fact]
    public void ConstructorChecksSizesAndLabels()
    {
        Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[11], new byte[2], 2, 3));
        Assert.Throws<ArgumentException>(() => new LabeledImages(new byte[12], new byte[] { 0, 10 }, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabeledImages(new byte[12], new byte[2], 2, 3, classes: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabeledImages(new byte[12], new byte[2], 2, 3, classes: 257));
        Assert.Equal(2, new LabeledImages(new byte[12], new byte[] { 0, 255 }, 2, 3, classes: 256).Count);
    }

    [Fact]
    public void DatasetScalesPixelsAndOneHotsLabels()
    {
        var (images, labels) = WriteSmallSet(new byte[] { 2, 0, 9 });
        IDataset<double> data = LabeledImages.Load(images, labels).AsDataset<double>();

        Assert.Equal(3, data.Count);
        Assert.Equal(6, data.InputSize);
        Assert.Equal(10, data.TargetSize);
        Assert.Equal(10, data.Classes);

        var input = new double[6];
        data.GetInput(2, input);
        Assert.Equal(new[] { 20 / 255.0, 21 / 255.0, 22 / 255.0, 23 / 255.0, 24 / 255.0, 1.0 }, input); // exact: correctly rounded quotients
        data.GetInput(0, input);
        Assert.Equal(0.0, input[0]);

        var target = new double[10];
        Array.Fill(target, 7.0); // overwritten entirely
        data.GetTarget(2, target);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, target);
        data.GetTarget(0, target);
        Assert.Equal(new double[] { 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, target);
        Assert.Equal(new[] { 2, 0, 9 }, new[] { data.Label(0), data.Label(1), data.Label(2) });
    }

    [Fact]
    public void FloatDatasetMatchesByteOver255InFloat()
    {
        var set = new LabeledImages(new byte[] { 0, 1, 127, 128, 254, 255 }, new byte[] { 3 }, 2, 3);
        var data = set.AsDataset<float>();
        var input = new float[6];
        data.GetInput(0, input);
        Assert.Equal(new[] { 0f, 1f / 255f, 127f / 255f, 128f / 255f, 254f / 255f, 1f }, input);
        Assert.All(input, x => Assert.InRange(x, 0f, 1f));
    }

    [Fact]
    public void DatasetChecksIndexAndSpanLengths()
    {
        var data = new LabeledImages(new byte[12], new byte[] { 0, 1 }, 2, 3).AsDataset<float>();
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetInput(2, new float[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetInput(-1, new float[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Label(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetTarget(2, new float[10]));
        var e = Assert.Throws<ArgumentException>(() => data.GetInput(0, new float[7]));
        Assert.Equal("input", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => data.GetTarget(0, new float[9]));
        Assert.Equal("target", e.ParamName);
    }
}
