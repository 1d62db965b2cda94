using System;
using System.IO;
using NetCompiler.Samples.Fashion;
using SkiaSharp;
using Xunit;

namespace NetCompiler.Samples.Fashion.Tests;

/// <summary>The app's core run in-process on the committed 3,000/1,000-image subset of Fashion-MNIST.</summary>
public sealed class AppTests : IDisposable
{
    private static readonly string Subset = Path.Combine(AppContext.BaseDirectory, "fashion-mnist-subset");
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fashion-app-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FashionApp.Run(args, new AppConsole(stdout, stderr, Interactive: false));
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void OneMlpEpochWritesWeightsCurvesAndFilters()
    {
        var (code, output, error) = Run("--model", "mlp", "--epochs", "1", "--data", Subset, "--out", _out, "--seed", "3");
        Assert.True(code == 0, $"exit code {code}\n{output}\n{error}");
        Assert.Equal("", error);
        Assert.Contains("3,000 training and 1,000 test images", output);
        Assert.Contains("epoch 1/1: train loss ", output);
        Assert.Contains("Test accuracy ", output);
        Assert.Contains("Confusion matrix", output);
        Assert.Contains("9 Ankle boot", output);

        string weights = Path.Combine(_out, "mlp.safetensors");
        string curves = Path.Combine(_out, "mlp-curves.png");
        string filters = Path.Combine(_out, "mlp-filters.png");
        foreach (string file in new[] { weights, curves, filters })
            Assert.Contains(file, output);

        // The weights load back into a fresh MLP and give the accuracy the app printed and stored.
        var network = new Mlp();
        Serialization.SafeTensors.Load(weights, network);
        var metadata = Serialization.SafeTensors.ReadMetadata(weights);
        double stored = double.Parse(metadata["accuracy"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("1", metadata["epochs"]);
        Assert.Equal("3", metadata["seed"]);
        var test = Data.FashionMnist.LoadTest(Subset).AsDataset<float>();
        Assert.Equal(stored, Accuracy(network, test), 12);
        Assert.InRange(stored, 0.6, 1.0); // one epoch on 3,000 images: well above chance (0.1)

        AssertPng(curves, Plots.CurvesWidth, Plots.CurvesHeight);
        // 8×8 tiles of 28×28 pixels enlarged 4×, 9-pixel gaps, a 62-pixel title.
        AssertPng(filters, 8 * (112 + 9) + 9, 62 + 8 * (112 + 9) + 9);
    }

    [Fact]
    public void LeNetFiltersShowTheSixC1Kernels()
    {
        var network = new LeNet5();
        network.InitializeParameters(1);
        Directory.CreateDirectory(_out);
        string path = Path.Combine(_out, "lenet-filters.png");
        var (width, height) = Plots.SaveFilters(path, "C1", LeNet5.Topology, network.Parameters);
        // One row of 6 kernels of 5×5 enlarged 40×.
        Assert.Equal(6 * (200 + 16) + 16, width);
        AssertPng(path, width, height);
    }

    [Theory]
    [InlineData("--model resnet", "--model must be lenet, mlp or cnn")]
    [InlineData("--epochs -1", "--epochs must be a whole number")]
    [InlineData("--optimizer", "--optimizer needs a value")]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--data /no/such/folder", "--data: no such folder")]
    public void BadFlagsExitWithCode2AndAMessage(string commandLine, string message)
    {
        var (code, output, error) = Run(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("error: " + message, error);
        Assert.Contains("--help", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
        Assert.False(Directory.Exists(_out));
    }

    [Fact]
    public void HelpListsEveryFlag()
    {
        var (code, output, error) = Run("--help");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        foreach (string flag in new[] { "--model", "--epochs", "--batch", "--optimizer", "--lr", "--weight-decay", "--augment", "--workers", "--seed", "--engine", "--compare", "--out", "--data", "--help" })
            Assert.Contains(flag, output);
    }

    [Fact]
    public void OneCnnEpochWritesItsFilesAndLearns()
    {
        var (code, output, error) = Run("--model", "cnn", "--epochs", "1", "--data", Subset, "--out", _out, "--seed", "3");
        Assert.True(code == 0, $"exit code {code}\n{output}\n{error}");
        Assert.Contains("CNN 32c3-pool-64c3-pool-24-10, generated code: 94,354 parameters", output);
        Assert.Contains("weight decay 0.0005, augmentation flip", output);
        string weights = Path.Combine(_out, "cnn.safetensors");
        var network = new Cnn();
        Serialization.SafeTensors.Load(weights, network);
        double stored = double.Parse(Serialization.SafeTensors.ReadMetadata(weights)["accuracy"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stored, 0.6, 1.0); // one epoch on 3,000 images: well above chance (0.1)
        AssertPng(Path.Combine(_out, "cnn-curves.png"), Plots.CurvesWidth, Plots.CurvesHeight);
        // One row of the 32 conv1 kernels, 3×3 enlarged 66×, with 5-pixel gaps under a 62-pixel title and 22-pixel labels.
        Assert.True(File.Exists(Path.Combine(_out, "cnn-filters.png")));
    }

    [Fact]
    public void MissingDataFilesExitWithCode1AndAMessage()
    {
        Directory.CreateDirectory(_out);
        var (code, _, error) = Run("--data", _out, "--out", Path.Combine(_out, "o"));
        Assert.Equal(1, code);
        Assert.Contains("error: could not load Fashion-MNIST", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Path.Combine(_out, "o")));
    }

    private static double Accuracy(Mlp network, Data.ImageDataset<float> data)
    {
        var input = new float[data.InputSize];
        var output = new float[Mlp.OutputSize];
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            data.GetInput(i, input);
            network.Forward(input, output);
            int best = 0;
            for (int c = 1; c < output.Length; c++)
                if (output[c] > output[best]) best = c;
            if (best == data.Label(i)) correct++;
        }
        return (double)correct / data.Count;
    }

    /// <summary>The file decodes as a PNG of the given size and is not blank.</summary>
    private static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), path + " was not written");
        using var codec = SKCodec.Create(path);
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var colors = new System.Collections.Generic.HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 7)
            for (int x = 0; x < bitmap.Width; x += 7)
                colors.Add((uint)bitmap.GetPixel(x, y));
        Assert.True(colors.Count > 20, $"{path} has only {colors.Count} colours: blank?");
    }
}
