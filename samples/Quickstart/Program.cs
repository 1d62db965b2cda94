// The README's main job: trains XOR, then a 784-128-10 MLP on synthetic data with the generated code and with the
// interpreted engine, and prints loss, accuracy and speed. (A later issue replaces the synthetic data with
// Fashion-MNIST.)
using System;
using NetCompiler;
using NetCompiler.Training;

namespace NetCompiler.Samples;

/// <summary>XOR: 2 inputs, 4 tanh hidden units, 1 sigmoid output.</summary>
[Network, Input(2), Dense(4, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Xor { }

/// <summary>The MLP of the README, sized for 28×28 images and 10 classes.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class FashionMlp { }

public static class Program
{
    private const int Classes = 10, Features = 784;

    public static int Main(string[] args)
    {
        int epochs = args.Length > 0 && int.TryParse(args[0], out int e) && e > 0 ? e : 5;
        Console.WriteLine("NetCompiler quickstart");
        Console.WriteLine();
        TrainXor();
        Console.WriteLine();
        TrainSyntheticMlp(epochs);
        return 0;
    }

    private static void TrainXor()
    {
        Console.WriteLine("XOR, " + Xor.Topology);
        var network = new Xor();
        network.InitializeParameters(seed: 1);
        float[][] inputs = { new[] { 0f, 0f }, new[] { 0f, 1f }, new[] { 1f, 0f }, new[] { 1f, 1f } };
        float[][] targets = { new[] { 0f }, new[] { 1f }, new[] { 1f }, new[] { 0f } };
        var output = new float[1];
        // Learned: every output on the right side of 0.5 by a margin of 0.3.
        for (int epoch = 1; epoch <= 5000; epoch++)
        {
            float loss = 0;
            for (int k = 0; k < 4; k++) loss += network.TrainStep(inputs[k], targets[k], learningRate: 0.5f);
            bool learned = true;
            for (int k = 0; k < 4; k++)
            {
                network.Forward(inputs[k], output);
                learned &= Math.Abs(output[0] - targets[k][0]) < 0.2f;
            }
            if (learned)
            {
                Console.WriteLine($"  learned in {epoch} epochs (mean loss {loss / 4:F4}); outputs:");
                for (int k = 0; k < 4; k++)
                {
                    network.Forward(inputs[k], output);
                    Console.WriteLine($"    {inputs[k][0]} xor {inputs[k][1]} → {output[0]:F3}");
                }
                return;
            }
        }
        Console.WriteLine("  not learned in 5000 epochs");
    }

    /// <summary>
    /// Ten random prototypes in [0, 1]^784 with Gaussian noise around them: a stand-in for images that is quick to
    /// make and takes a real MLP to separate once the noise is large.
    /// </summary>
    private static (float[][] X, int[] Y) Synthetic(int count, float[][] prototypes, Random random)
    {
        var x = new float[count][];
        var y = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = random.Next(Classes);
            y[n] = label;
            x[n] = new float[Features];
            for (int j = 0; j < Features; j++)
            {
                double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                x[n][j] = prototypes[label][j] + (float)(2.5 * gaussian);
            }
        }
        return (x, y);
    }

    private static void TrainSyntheticMlp(int epochs)
    {
        Console.WriteLine("784-128-10 MLP on synthetic data, " + FashionMlp.Topology);
        var random = new Random(42);
        var prototypes = new float[Classes][];
        for (int c = 0; c < Classes; c++)
        {
            prototypes[c] = new float[Features];
            for (int j = 0; j < Features; j++) prototypes[c][j] = (float)random.NextDouble();
        }
        var (trainX, trainY) = Synthetic(6000, prototypes, random);
        var (testX, testY) = Synthetic(1000, prototypes, random);

        var generated = new FashionMlp();
        var interpreted = new InterpretedNetwork<float>(FashionMlp.Topology);
        double generatedRate = SampleTraining.Train("generated  ", generated, trainX, trainY, testX, testY, Classes, epochs, batchSize: 32, learningRate: 0.01, seed: 7);
        double interpretedRate = SampleTraining.Train("interpreted", interpreted, trainX, trainY, testX, testY, Classes, epochs, batchSize: 32, learningRate: 0.01, seed: 7);
        Console.WriteLine($"  best epoch: generated {generatedRate:N0} samples/s, interpreted {interpretedRate:N0} samples/s ({generatedRate / interpretedRate:F2}×)");
        Console.WriteLine("  (a Stopwatch over whole epochs; the benchmarks in bench/ are the careful measurement)");
    }
}
