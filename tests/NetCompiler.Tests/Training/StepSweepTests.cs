using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler.Tests.Support;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Training;

/// <summary>
/// The trainer's step with a built-in optimizer: the mean gradient and the optimizer's step fused block by block
/// (CacheBlocks) and split among the workers, against the path every other optimizer takes (the mean gradient, then
/// one whole-buffer Step); and the divergence guard when only some blocks have been stepped.
/// </summary>
public class StepSweepTests
{
    /// <summary>96 random 784-pixel images with one-hot targets of 10 classes: FashionMlp's 50,890 parameters are 13 blocks.</summary>
    private static ArrayDataset<float> Data()
    {
        var random = new Random(5);
        var inputs = new float[96][];
        var targets = new float[96][];
        var labels = new int[96];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Enumerable.Range(0, 784).Select(_ => random.NextSingle()).ToArray();
            labels[i] = random.Next(10);
            targets[i] = new float[10];
            targets[i][labels[i]] = 1;
        }
        return new ArrayDataset<float>(inputs, targets, labels, 10);
    }

    /// <summary>An optimizer the trainer knows nothing about: it gets one whole-buffer Step a minibatch.</summary>
    private sealed class Opaque(IOptimizer<float> inner) : IOptimizer<float>
    {
        public double LearningRate { get => inner.LearningRate; set => inner.LearningRate = value; }
        public int ParameterCount => inner.ParameterCount;
        public void Step(Span<float> parameters, Span<float> gradients) => inner.Step(parameters, gradients);
        public void Reset() => inner.Reset();
    }

    private static IOptimizer<float> Optimizer(string name) => name == "adam"
        ? new Adam<float>(FashionMlp.ParameterCount, 1e-3, weightDecay: 1e-4)
        : new SgdMomentum<float>(FashionMlp.ParameterCount, 0.05, 0.9, nesterov: true, weightDecay: 1e-4);

    private static float[] Trained(IOptimizer<float> optimizer, int workers)
    {
        var trainer = new Trainer<float>(() => new FashionMlp(), optimizer,
            new TrainingOptions { Epochs = 2, BatchSize = 16, Workers = workers, Seed = 3, EvaluateEveryEpoch = false });
        trainer.Network.InitializeParameters(7);
        trainer.Train(Data());
        return trainer.Network.Parameters.ToArray();
    }

    [Theory]
    [InlineData("sgd", 1)]
    [InlineData("sgd", 2)]
    [InlineData("sgd", 3)]
    [InlineData("adam", 2)]
    public void TheFusedSweepGivesTheSameParametersAsAWholeStep(string optimizer, int workers)
    {
        float[] whole = Trained(new Opaque(Optimizer(optimizer)), workers);
        float[] fused = Trained(Optimizer(optimizer), workers);
        int differing = Enumerable.Range(0, whole.Length).Count(p => BitConverter.SingleToInt32Bits(whole[p]) != BitConverter.SingleToInt32Bits(fused[p]));
        Assert.True(differing == 0, $"{differing} of {whole.Length} parameters differ after 12 steps");
        var initial = new FashionMlp();
        initial.InitializeParameters(7);
        Assert.True(fused.Where((value, p) => value != initial.Parameters[p]).Count() > whole.Length / 2, "the training moved most parameters");
    }

    /// <summary>FashionMlp whose minibatch gradient gets a NaN at one parameter in the given step.</summary>
    private sealed class PoisonedGradient(int parameter, int step) : DelegatingNetwork<float>(new FashionMlp())
    {
        private int _calls;

        public override float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Span<float> outputs)
        {
            float loss = base.BackwardBatch(inputs, targets, batch, outputs);
            if (++_calls == step) Gradients[parameter] = float.NaN;
            return loss;
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(50_889, 2)] // the last block: the second worker's, after the first has stepped its blocks
    [InlineData(20_000, 3)]
    public void ANonFiniteGradientInOneBlockRestoresEveryBlock(int parameter, int workers)
    {
        var optimizer = new SgdMomentum<float>(FashionMlp.ParameterCount, 0.05, 0.9);
        var trainer = new Trainer<float>(() => new PoisonedGradient(parameter, step: 3), optimizer,
            new TrainingOptions { Epochs = 1, BatchSize = 16, Workers = workers, ProgressInterval = 1 });
        trainer.Network.InitializeParameters(7);
        float[]? beforeStep3 = null;
        var reports = new List<TrainingProgress>();
        var recorder = new Progress(report =>
        {
            reports.Add(report);
            if (report.Phase == TrainingPhase.Training) beforeStep3 = trainer.Network.Parameters.ToArray();
        });

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(Data(), progress: recorder));

        Assert.Equal((1, 3), (error.Epoch, error.Batch));
        Assert.Contains("gradient has NaN or infinite entries", error.Message);
        Assert.Equal(2, reports.Count(r => r.Phase == TrainingPhase.Training));
        float[] after = trainer.Network.Parameters.ToArray();
        int differing = Enumerable.Range(0, after.Length).Count(p => BitConverter.SingleToInt32Bits(after[p]) != BitConverter.SingleToInt32Bits(beforeStep3![p]));
        Assert.True(differing == 0, $"{differing} of {after.Length} parameters are not as before step 3");
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    /// <summary>Reports synchronously on the trainer's thread (System.Progress would post them).</summary>
    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
