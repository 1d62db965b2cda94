using System;
using System.Diagnostics;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The generator's output and time stay bounded whatever the layer widths (issue 18): the shapes that grew with the
/// layer's width before the narrow kernels went through the cost model (a 2 → 65,536 layer wrote 21 MB, 2 → 2 → 100,000
/// 42 MB in 328 s; pooling over 2 × 4,096 planes 645 KB), wide convolutions and layers of a million units. Each declaration is
/// generated alone and must give at most <see cref="MaxSourceChars"/> of source, in under <see cref="MaxSeconds"/>,
/// compiling without a diagnostic. JitCheck runs two of them and checks every method is compiled FullOpts.
/// </summary>
[Collection(Timed.Name)]
public class BoundedGenerationTests(ITestOutputHelper output)
{
    private const int MaxSourceChars = 1_000_000;
    private const double MaxSeconds = 10;

    [Theory]
    [InlineData("Input(2), Dense(1024, Activation.Tanh), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(2), Dense(4096, Activation.Tanh), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(2), Dense(65536, Activation.Tanh), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(2), Dense(2), Dense(100000), Loss(LossFunction.SquaredError)")]
    [InlineData("Input(1), Dense(1000000, Activation.ReLU), Dense(1), Loss(LossFunction.SquaredError)")]
    [InlineData("Input(4), Dense(65536), Dense(4, Activation.Softmax)")]
    [InlineData("Input(4), Dense(65536, Activation.Tanh), Dense(4, Activation.Softmax), Loss(LossFunction.CrossEntropy)", "Precision = Precision.Double")]
    [InlineData("Input(2), Dense(65536, Activation.Tanh), Dense(3, Activation.Tanh), Loss(LossFunction.SquaredError)", "Precision = Precision.Double")]
    [InlineData("Input(1, 256, 256), Conv2D(4, 5, Activation.ReLU), MaxPool(2), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(3, 64, 64), Conv2D(8, 11, Activation.Tanh, Padding = 5), AvgPool(2), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(2, 65536), Conv1D(4, 3, Activation.Tanh), Dense(2, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(1, 2, 4096), Conv2D(64, 1, Activation.ReLU), MaxPool(2), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(3, 2, 8192), AvgPool(2, Trainable = true, Activation = Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    // Connection tables (found by a new-user trial): one block of x̂ reading 64 filters, and 100 maps over 4 channels.
    [InlineData("Input(4, 20, 20), Conv2D(64, 5, Activation.Tanh, Connections = new[] { \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\", \"XX..\", \".XX.\", \"..XX\", \"X..X\" }), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    [InlineData("Input(4, 20, 20), Conv2D(100, 5, Activation.Tanh, Connections = new[] { \"X.XX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\", \"XXXX\" }), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)")]
    public void GeneratedSourceStaysSmall(string layers, string network = "")
    {
        string source = "using NetCompiler;\nnamespace Bounded;\n[Network" + (network.Length > 0 ? "(" + network + ")" : "") + ", " + layers + "]\npublic partial class Net { }\n";
        GeneratorDriver.Run("namespace Warm; public class C { }"); // the first run compiles the generator's own code
        var clock = Stopwatch.StartNew();
        var (_, generated, diagnostics) = GeneratorDriver.Run(source);
        double seconds = clock.Elapsed.TotalSeconds;
        int chars = generated.Sum(g => g.Length);
        output.WriteLine($"{layers}: {chars:N0} characters in {seconds:F2} s");
        Assert.True(diagnostics.All(d => d.Id is "NC0041"), string.Join("\n", diagnostics));
        Assert.Single(generated);
        Assert.True(chars <= MaxSourceChars, $"{chars:N0} characters of generated source, more than {MaxSourceChars:N0}");
        Assert.True(seconds < MaxSeconds, $"generation and compilation took {seconds:F1} s");
    }
}
