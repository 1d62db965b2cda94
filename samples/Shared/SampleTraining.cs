// The training run the small samples share (linked into samples/LeNet5 and samples/Quickstart): Trainer<T> with SGD and
// momentum on in-memory data, one line per epoch, returning the best epoch's speed for the generated/interpreted ratio.
using System;
using NetCompiler;
using NetCompiler.Training;

namespace NetCompiler.Samples;

internal static class SampleTraining
{
    /// <summary>
    /// Trains <paramref name="network"/> from <see cref="INetwork{T}.InitializeParameters"/>(<paramref name="seed"/>) with
    /// SGD (momentum 0.9) at <paramref name="learningRate"/> on the mean gradient of each minibatch, printing each epoch.
    /// Returns the best epoch's training samples per second.
    /// </summary>
    public static double Train(string name, INetwork<float> network, float[][] trainX, int[] trainY, float[][] testX, int[] testY, int classes,
        int epochs, int batchSize, double learningRate, int seed)
    {
        var trainer = new Trainer<float>(
            () => { network.InitializeParameters(seed); return network; },
            new SgdMomentum<float>(network.ParameterCount, learningRate, momentum: 0.9),
            new TrainingOptions { Epochs = epochs, BatchSize = batchSize, Seed = 1, Workers = 1 });
        var progress = new Progress(epoch => Console.WriteLine(
            $"  {name} epoch {epoch.Epoch}: loss {epoch.TrainLoss:F4}, test accuracy {epoch.Test!.Accuracy:P1}, {epoch.SamplesPerSecond:N0} samples/s"));
        TrainingResult result = trainer.Train(ArrayDataset<float>.Labeled(trainX, trainY, classes), ArrayDataset<float>.Labeled(testX, testY, classes), progress);
        double best = 0;
        foreach (EpochResult epoch in result.Epochs) best = Math.Max(best, epoch.SamplesPerSecond);
        return best;
    }

    /// <summary>Prints each finished epoch as it comes (synchronously, on the training thread).</summary>
    private sealed class Progress(Action<EpochResult> epochDone) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Phase == TrainingPhase.EpochCompleted && value.EpochResult is EpochResult epoch) epochDone(epoch);
        }
    }
}
