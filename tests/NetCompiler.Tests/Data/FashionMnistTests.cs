using System;
using System.IO;
using System.Linq;
using NetCompiler.Data;
using Xunit;

namespace NetCompiler.Tests.Data;

/// <summary>
/// The shipped data: the full Fashion-MNIST in data/fashion-mnist (found from the test's output directory) and the
/// committed subset in Fixtures/fashion-mnist-subset (tools/make_subset.py).
/// </summary>
public class FashionMnistTests
{
    private static readonly string SubsetDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "fashion-mnist-subset");

    /// <summary>The full set, read once for all tests here (about half a second).</summary>
    private static readonly Lazy<(LabeledImages Training, LabeledImages Test)> Full =
        new(() => (FashionMnist.LoadTraining(), FashionMnist.LoadTest()));

    [Fact]
    public void FindDirectoryFindsTheRepositoryCopy()
    {
        string directory = FashionMnist.FindDirectory();
        Assert.True(File.Exists(Path.Combine(directory, FashionMnist.TrainingImagesFile)), directory);
        Assert.True(File.Exists(Path.Combine(directory, "LICENSE")), "the repository copy carries its licence: " + directory);
    }

    [Fact]
    public void TrainingSetIs60000ImagesOf28By28With6000PerClass()
    {
        var training = Full.Value.Training;
        Assert.Equal(60000, training.Count);
        Assert.Equal((28, 28, 10), (training.Height, training.Width, training.Classes));
        Assert.Equal(60000 * 784, training.Pixels.Length);
        Assert.Equal(Enumerable.Repeat(6000, 10), training.ClassCounts());
    }

    [Fact]
    public void TestSetIs10000ImagesOf28By28With1000PerClass()
    {
        var test = Full.Value.Test;
        Assert.Equal(10000, test.Count);
        Assert.Equal((28, 28, 10), (test.Height, test.Width, test.Classes));
        Assert.Equal(Enumerable.Repeat(1000, 10), test.ClassCounts());
    }

    [Fact]
    public void KnownFirstLabelsAndPixelRange()
    {
        // Upstream's first training labels: ankle boot, T-shirt, T-shirt, dress, T-shirt, pullover, sneaker.
        Assert.Equal(new byte[] { 9, 0, 0, 3, 0, 2, 7 }, Full.Value.Training.Labels.AsSpan(0, 7).ToArray());
        Assert.Equal(new byte[] { 9, 2, 1, 1, 6 }, Full.Value.Test.Labels.AsSpan(0, 5).ToArray());
        // The images use the whole byte range and have dark backgrounds: the corner pixel is 0 in most images.
        var pixels = Full.Value.Training.Pixels;
        Assert.Equal(0, pixels.Min());
        Assert.Equal(255, pixels.Max());
        int darkCorners = Enumerable.Range(0, 60000).Count(i => pixels[784 * i] == 0);
        Assert.True(darkCorners > 55000, $"{darkCorners} of 60000 images have a black top-left pixel");
    }

    [Fact]
    public void ClassNamesAreTheTenUpstreamNames()
    {
        Assert.Equal(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.ClassNames);
    }

    [Fact]
    public void SubsetLoadsAndIsTheStartOfTheFullSet()
    {
        var training = FashionMnist.LoadTraining(SubsetDirectory);
        var test = FashionMnist.LoadTest(SubsetDirectory);
        Assert.Equal((3000, 28, 28), (training.Count, training.Height, training.Width));
        Assert.Equal((1000, 28, 28), (test.Count, test.Height, test.Width));
        Assert.Equal(new[] { 282, 321, 290, 312, 303, 300, 298, 312, 287, 295 }, training.ClassCounts());
        Assert.Equal(new[] { 107, 105, 111, 93, 115, 87, 97, 95, 95, 95 }, test.ClassCounts());

        var fullStart = Full.Value.Training.Take(3000);
        Assert.Equal(fullStart.Pixels, training.Pixels);
        Assert.Equal(fullStart.Labels, training.Labels);
        var testStart = Full.Value.Test.Take(1000);
        Assert.Equal(testStart.Pixels, test.Pixels);
        Assert.Equal(testStart.Labels, test.Labels);
    }

    [Fact]
    public void SubsetIsSmallInTheTestOutput()
    {
        // Only the subset is copied next to the tests, not the 31 MB of the full set.
        long bytes = new DirectoryInfo(Path.Combine(AppContext.BaseDirectory, "Fixtures")).EnumerateFiles("*.gz", SearchOption.AllDirectories).Sum(f => f.Length);
        Assert.InRange(bytes, 1, 3 << 20);
        Assert.Empty(Directory.EnumerateFiles(AppContext.BaseDirectory, FashionMnist.TrainingImagesFile, SearchOption.TopDirectoryOnly));
    }

    [Fact]
    public void MissingDirectoryNamesTheFile()
    {
        string directory = Path.Combine(Path.GetTempPath(), "netcompiler-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadTraining(directory));
        Assert.Equal(Path.Combine(directory, FashionMnist.TrainingImagesFile), e.FileName);
    }
}
