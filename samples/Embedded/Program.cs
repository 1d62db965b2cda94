// Classifies Fashion-MNIST's 10,000 test images with a trained LeNet-5 whose weights are compiled into this program
// (models/lenet.safetensors, read at build time; README.md here says where it came from): the app ships and loads no
// weights file. One image first, then all of them from four threads sharing the one read-only copy of the weights,
// each thread with a workspace of its own, and from one thread for comparison.
// Usage: dotnet run -c Release --project samples/Embedded
using System;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using NetCompiler.Data;
using NetCompiler.Samples.Embedded;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
ImageDataset<float> test = FashionMnist.LoadTest().AsDataset<float>();  // the images are read; the weights are in the code
Console.WriteLine($"LeNet-5, {FashionLeNet5.ParameterCount:N0} weights compiled in; {test.Count:N0} Fashion-MNIST test images; {Environment.ProcessorCount} processors");

var model = new FashionLeNet5();                                         // the compiled-in weights: nothing to load
float[] image = new float[FashionLeNet5.InputSize], probabilities = new float[FashionLeNet5.OutputSize];
test.GetInput(0, image);                                                 // pixels / 255, as in training
model.Forward(image, probabilities);
int predicted = TensorPrimitives.IndexOfMax(probabilities);
Console.WriteLine($"Test image 0: {FashionMnist.ClassNames[predicted]} (p = {probabilities[predicted]:F4}); its label: {FashionMnist.ClassNames[test.Label(0)]}");

foreach (int threads in new[] { 4, 1 })
{
    // Best of 3 runs: the first also pays for the JIT, and the machine may be shared.
    double best = double.MaxValue, accuracy = 0;
    for (int run = 0; run < 3; run++)
    {
        long start = Stopwatch.GetTimestamp();
        float[] scores = Classifier.Scores(model, test, threads);
        best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        accuracy = Classifier.Accuracy(scores, test);
    }
    Console.WriteLine($"{threads} thread{(threads == 1 ? ": " : "s:")} accuracy {100 * accuracy:F2}%, {test.Count / best:N0} images/s (best of 3 runs)");
}
