// The trained network an app ships: LeNet-5 with its Fashion-MNIST weights compiled into the assembly, and the
// classification an app runs on it from several threads. Program.cs prints what it gives; FashionMnist.Tests checks it.
using System;
using System.Linq;
using System.Numerics.Tensors;
using System.Threading.Tasks;
using NetCompiler.Data;

namespace NetCompiler.Samples.Embedded;

/// <summary>
/// samples/Shared/LeNet5.cs without its [Loss]: inference only, so every <c>new FashionLeNet5()</c> shares the weights
/// compiled in from models/lenet.safetensors, read-only. The layer names are the file's tensor names (C1.weight …);
/// a name, shape or layer that does not fit the file is a build error (NC0082–NC0084).
/// </summary>
[Network(Weights = "models/lenet.safetensors")]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
[Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
{
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X",
    "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X",
    "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
[Conv2D(120, 5, Activation.Tanh, Name = "C5")]
[Dense(84, Activation.Tanh, Name = "F6")]
[Dense(10, Activation.Softmax, Name = "output")]
public partial class FashionLeNet5 { }

/// <summary>Classifies a data set with a <see cref="FashionLeNet5"/> from several threads over its one copy of the weights.</summary>
public static class Classifier
{
    /// <summary>
    /// The 10 class probabilities of every image (image i's at [10·i, 10·i + 10)), computed by <paramref name="threads"/>
    /// threads, each over its own contiguous share of the images with its own workspace on <paramref name="model"/>'s
    /// weights. The result does not depend on the number of threads: each image's scores are one Forward.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not positive.</exception>
    public static float[] Scores(FashionLeNet5 model, ImageDataset<float> images, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        int count = images.Count, classes = FashionLeNet5.OutputSize;
        var scores = new float[count * classes];
        Task[] workers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            FashionLeNet5 workspace = model.CreateWorkspace();  // on model.Weights, with activations of its own
            var input = new float[FashionLeNet5.InputSize];
            for (int i = count * t / threads; i < count * (t + 1) / threads; i++)
            {
                images.GetInput(i, input);                      // pixels / 255, as in training
                workspace.Forward(input, scores.AsSpan(i * classes, classes));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();         // LongRunning: a thread of its own, not a pool thread
        Task.WaitAll(workers);
        return scores;
    }

    /// <summary>The predicted class of image <paramref name="index"/>: the most probable (the first of equals, as the trainer counts).</summary>
    public static int Predict(float[] scores, int index) =>
        TensorPrimitives.IndexOfMax(scores.AsSpan(index * FashionLeNet5.OutputSize, FashionLeNet5.OutputSize));

    /// <summary>The share of images whose predicted class is their label.</summary>
    public static double Accuracy(float[] scores, ImageDataset<float> images) =>
        (double)Enumerable.Range(0, images.Count).Count(i => Predict(scores, i) == images.Label(i)) / images.Count;
}
