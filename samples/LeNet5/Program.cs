// LeNet-5 (LeCun, Bottou, Bengio and Haffner 1998) compiled by NetCompiler and trained on synthetic 28×28 glyphs:
// convolution as weight sharing, LeNet's trainable subsampling and C3's connection table, as in the lecture.
// The network is declared once for the samples, in samples/Shared/LeNet5.cs.
// Usage: dotnet run -c Release --project samples/LeNet5 [epochs]
using System;
using NetCompiler;
using NetCompiler.Training;

namespace NetCompiler.Samples;

public static class Program
{
    private const int Classes = 10, Side = 28;

    public static int Main(string[] args)
    {
        int epochs = args.Length > 0 && int.TryParse(args[0], out int e) && e > 0 ? e : 3;
        Console.WriteLine("LeNet-5, " + LeNet5.Topology);
        var random = new Random(2026);
        var (trainX, trainY) = Glyphs(4000, random);
        var (testX, testY) = Glyphs(1000, random);
        Console.WriteLine($"  synthetic glyphs: {trainX.Length} training and {testX.Length} test images, {Classes} classes");

        var generated = new LeNet5();
        var interpreted = new InterpretedNetwork<float>(LeNet5.Topology);
        double generatedRate = SampleTraining.Train("generated  ", generated, trainX, trainY, testX, testY, Classes, epochs, batchSize: 16, learningRate: 0.05, seed: 5);
        double interpretedRate = SampleTraining.Train("interpreted", interpreted, trainX, trainY, testX, testY, Classes, 1, batchSize: 16, learningRate: 0.05, seed: 5);
        Console.WriteLine($"  training speed: generated {generatedRate:N0} samples/s, interpreted {interpretedRate:N0} samples/s ({generatedRate / interpretedRate:F2}×)");
        Console.WriteLine("  (a Stopwatch over whole epochs; the benchmarks in bench/ are the careful measurement)");
        return 0;
    }

    /// <summary>
    /// Ten kinds of glyph (bars, diagonals, crosses, boxes, rings, corners) drawn at a random place and size with
    /// random stroke intensity and noise: a task that needs translation-tolerant features, which is what
    /// convolution and subsampling give.
    /// </summary>
    private static (float[][] X, int[] Y) Glyphs(int count, Random random)
    {
        var x = new float[count][];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = random.Next(Classes);
            y[n] = label;
            var image = new float[Side * Side];
            int size = random.Next(10, 17), top = random.Next(2, Side - size - 1), left = random.Next(2, Side - size - 1);
            float ink = 0.6f + 0.4f * (float)random.NextDouble();
            int last = size - 1, mid = size / 2;
            for (int r = 0; r < size; r++)
                for (int c = 0; c < size; c++)
                {
                    bool on = label switch
                    {
                        0 => r == mid || r == mid + 1,                                    // horizontal bar
                        1 => c == mid || c == mid + 1,                                    // vertical bar
                        2 => Math.Abs(r - c) <= 1,                                        // diagonal
                        3 => Math.Abs(r + c - last) <= 1,                                 // anti-diagonal
                        4 => r == mid || c == mid,                                        // plus
                        5 => Math.Abs(r - c) <= 0 || Math.Abs(r + c - last) <= 0,         // X
                        6 => r == 0 || c == 0 || r == last || c == last,                  // box
                        7 => Math.Abs(Math.Sqrt((r - mid) * (r - mid) + (c - mid) * (c - mid)) - mid * 0.8) < 0.9, // ring
                        8 => r == last || c == 0,                                         // corner └
                        _ => r == 0 || c == last,                                         // corner ┐
                    };
                    if (on) image[(top + r) * Side + left + c] = ink;
                }
            for (int k = 0; k < image.Length; k++)
                image[k] += (float)(0.15 * (random.NextDouble() - 0.5));
            x[n] = image;
        }
        return (x, y);
    }
}
