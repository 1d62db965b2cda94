using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NetCompiler.Tests.Support;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Training;

public class TrainerTests
{
    private const string BlobsTopology = "2-16-3 Tanh,Softmax CrossEntropy";
    private static readonly ArrayDataset<float> Train = Blobs.Create<float>(600, seed: 1);
    private static readonly ArrayDataset<float> Test = Blobs.Create<float>(300, seed: 2);

    private static Func<INetwork<float>> Interpreted(int seed = 3) => () =>
    {
        var network = new InterpretedNetwork<float>(TestNetworks.Parse(BlobsTopology));
        network.InitializeParameters(seed);
        return network;
    };

    private static Func<INetwork<float>> Generated(int seed = 3) => () =>
    {
        var network = new BlobsMlp();
        network.InitializeParameters(seed);
        return network;
    };

    private static Trainer<float> BlobsTrainer(Func<INetwork<float>> factory, int workers = 1, int seed = 5, int epochs = 8, int batchSize = 16, double lr = 0.05)
    {
        var options = new TrainingOptions { Epochs = epochs, BatchSize = batchSize, Seed = seed, Workers = workers };
        INetwork<float> probe = factory();
        return new Trainer<float>(factory, new SgdMomentum<float>(probe.ParameterCount, lr, momentum: 0.9), options);
    }

    /// <summary>Records a copy of the parameters at every report (ProgressInterval 1 reports after every step), synchronously.</summary>
    private sealed class Recorder(Trainer<float>? trainer = null) : IProgress<TrainingProgress>
    {
        public Trainer<float>? Trainer { get; set; } = trainer;
        public List<TrainingProgress> Reports { get; } = [];
        public float[]? LastParameters { get; set; }
        public Action<TrainingProgress>? OnReport { get; set; }

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            if (value.Phase == TrainingPhase.Training && Trainer is not null) LastParameters = Trainer.Network.Parameters.ToArray();
            OnReport?.Invoke(value);
        }
    }

    // --- learning --------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("interpreted", 1)]
    [InlineData("interpreted", 2)]
    [InlineData("generated", 1)]
    [InlineData("generated", 3)]
    public void LearnsBlobs(string engine, int workers)
    {
        // Measured: test accuracy 98.3–99.0% after 8 epochs for every engine and worker count (Bayes rate ≈ 99%).
        Trainer<float> trainer = BlobsTrainer(engine == "generated" ? Generated() : Interpreted(), workers);
        TrainingResult result = trainer.Train(Train, Test);

        Assert.Equal(8, result.Epochs.Count);
        Evaluation test = result.FinalTest!;
        Assert.True(test.Accuracy > 0.9, $"{engine}, {workers} workers: test accuracy {test.Accuracy:P2} (want > 90%)");
        Assert.True(result.Epochs[^1].TrainAccuracy > 0.9, $"train accuracy {result.Epochs[^1].TrainAccuracy:P2}");
        Assert.True(result.Epochs[^1].TrainLoss < result.Epochs[0].TrainLoss, "the training loss did not fall");
        foreach (EpochResult epoch in result.Epochs)
        {
            Assert.Equal(600, epoch.Samples);
            Assert.Equal(38, epoch.Batches); // 37 full minibatches of 16 and one of 8
            Assert.NotNull(epoch.Test);
            Assert.True(epoch.Seconds > 0 && epoch.SamplesPerSecond > 0);
            Assert.Equal(0.05, epoch.LearningRate);
        }
        // Evaluate agrees with the epoch's own evaluation (same parameters), and gradients are left at zero.
        Evaluation again = trainer.Evaluate(Test);
        Assert.Equal(test.MeanLoss, again.MeanLoss);
        Assert.Equal(test.Correct, again.Correct);
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void GeneratedAndInterpretedTrainTheSameWay()
    {
        // Same topology, initial parameters, order and optimizer: the engines differ only by rounding, so the epoch
        // losses agree closely (measured relative difference < 1e-5 after 3 epochs).
        TrainingResult generated = BlobsTrainer(Generated(), epochs: 3).Train(Train);
        TrainingResult interpreted = BlobsTrainer(Interpreted(), epochs: 3).Train(Train);
        for (int e = 0; e < 3; e++)
            Assert.Equal(interpreted.Epochs[e].TrainLoss, generated.Epochs[e].TrainLoss, 1e-4);
    }

    // --- determinism -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SameSeedGivesBitIdenticalRuns(int workers)
    {
        (float[] parameters, double[] losses, double[] testLosses) Run(int seed)
        {
            Trainer<float> trainer = BlobsTrainer(Interpreted(), workers, seed: seed, epochs: 3, batchSize: 20);
            TrainingResult result = trainer.Train(Train, Test);
            return (trainer.Network.Parameters.ToArray(), result.Epochs.Select(e => e.TrainLoss).ToArray(),
                result.Epochs.Select(e => e.Test!.MeanLoss).ToArray());
        }

        var first = Run(7);
        var second = Run(7);
        Assert.Equal(Bits(first.parameters), Bits(second.parameters));
        Assert.Equal(first.losses, second.losses);
        Assert.Equal(first.testLosses, second.testLosses);

        var other = Run(8); // another shuffle seed takes another path
        Assert.NotEqual(Bits(first.parameters), Bits(other.parameters));
    }

    [Fact]
    public void OneAndTwoWorkersReachTheSameAccuracyBand()
    {
        TrainingResult one = BlobsTrainer(Interpreted(), workers: 1).Train(Train, Test);
        TrainingResult two = BlobsTrainer(Interpreted(), workers: 2).Train(Train, Test);
        double a1 = one.FinalTest!.Accuracy!.Value, a2 = two.FinalTest!.Accuracy!.Value;
        Assert.True(a1 > 0.9 && a2 > 0.9, $"accuracies {a1:P2} and {a2:P2}");
        Assert.True(Math.Abs(a1 - a2) <= 0.03, $"1 worker {a1:P2} vs 2 workers {a2:P2} (want within 3 points)");
        // The same samples and steps: the first epoch's losses agree up to the rounding of the gradient sums.
        Assert.Equal(one.Epochs[0].TrainLoss, two.Epochs[0].TrainLoss, 1e-4);
    }

    [Fact]
    public void ShuffleIsAPermutationDeterminedBySeedAndEpoch()
    {
        var a = new int[1000];
        var b = new int[1000];
        SampleOrder.Fill(a, seed: 4, epoch: 2, shuffle: true);
        SampleOrder.Fill(b, seed: 4, epoch: 2, shuffle: true);
        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 1000), a.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), a);
        SampleOrder.Fill(b, seed: 4, epoch: 3, shuffle: true);
        Assert.NotEqual(a, b);
        SampleOrder.Fill(b, seed: 5, epoch: 2, shuffle: true);
        Assert.NotEqual(a, b);
        SampleOrder.Fill(b, seed: 4, epoch: 2, shuffle: false);
        Assert.Equal(Enumerable.Range(0, 1000), b);
    }

    // --- the mean-gradient step ------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(1, false)]
    [InlineData(3, false)]
    public void StepUsesTheMeanOfThePerSampleGradients(int workers, bool oneBatch)
    {
        // Plain SGD (μ = 0, γ = 0.3) in double: every minibatch must move θ by −γ·(1/B)·Σ_i ∂L_i/∂θ, with the per-sample
        // gradients taken from a separate network at the minibatch's starting θ. Either one shuffled batch of all 7
        // samples, or unshuffled batches of 4 and then 3 (the partial last batch is a mean over 3). Tolerance 1e-13
        // relative: only the order of the sums differs.
        ArrayDataset<double> data = Blobs.Create<double>(7, seed: 9);
        NetworkTopology topology = TestNetworks.Parse(BlobsTopology, Precision.Double);
        Func<INetwork<double>> factory = () =>
        {
            var network = new InterpretedNetwork<double>(topology);
            network.InitializeParameters(1);
            return network;
        };
        var options = new TrainingOptions { Epochs = 1, BatchSize = oneBatch ? 7 : 4, Workers = workers, Shuffle = oneBatch, Seed = 2 };
        var trainer = new Trainer<double>(factory, new SgdMomentum<double>(topology.ParameterCount, 0.3, momentum: 0), options);

        var reference = new InterpretedNetwork<double>(topology);
        double[] theta = trainer.Network.Parameters.ToArray();
        int[][] batches = oneBatch ? [Enumerable.Range(0, 7).ToArray()] : [[0, 1, 2, 3], [4, 5, 6]];
        var input = new double[2];
        var target = new double[3];
        var output = new double[3];
        foreach (int[] batch in batches)
        {
            var sum = new double[theta.Length];
            foreach (int i in batch)
            {
                theta.CopyTo(reference.Parameters);
                data.GetInput(i, input);
                data.GetTarget(i, target);
                reference.Forward(input, output);
                reference.Gradients.Clear();
                reference.Backward(target);
                for (int p = 0; p < sum.Length; p++) sum[p] += reference.Gradients[p];
            }
            for (int p = 0; p < theta.Length; p++) theta[p] -= 0.3 * (sum[p] / batch.Length);
        }

        trainer.Train(data);
        double[] actual = trainer.Network.Parameters.ToArray();
        for (int p = 0; p < theta.Length; p++)
            Assert.True(Math.Abs(actual[p] - theta[p]) <= 1e-13 * Math.Max(1, Math.Abs(theta[p])),
                $"θ[{p}]: trainer {actual[p]:R}, mean of per-sample gradients {theta[p]:R}");
    }

    // --- divergence guard ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void DivergenceRestoresTheLastGoodParameters(int workers)
    {
        // Squared error on a linear output layer with SGD γ = 5: the output weights grow geometrically until the loss
        // overflows, some steps into the run. The guard must stop on the first non-finite loss or gradient with θ
        // exactly as after the last good step (recorded by a progress report after every step).
        var options = new TrainingOptions { Epochs = 3, BatchSize = 8, Seed = 1, Workers = workers, ProgressInterval = 1 };
        NetworkTopology topology = TestNetworks.Parse("2-16-3 Tanh,Identity SquaredError");
        Func<INetwork<float>> factory = () => new InterpretedNetwork<float>(topology);
        var optimizer = new SgdMomentum<float>(topology.ParameterCount, 5, momentum: 0.9);
        var trainer = new Trainer<float>(factory, optimizer, options);
        var recorder = new Recorder(trainer) { LastParameters = trainer.Network.Parameters.ToArray() };

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(Train, Test, recorder));

        Assert.Equal(Bits(recorder.LastParameters), Bits(trainer.Network.Parameters.ToArray()));
        Assert.All(trainer.Network.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));
        int goodSteps = recorder.Reports.Count(r => r.Phase == TrainingPhase.Training);
        Assert.Equal(goodSteps + 1, (error.Epoch - 1) * 75 + error.Batch); // the batch after the last reported one
        Assert.Contains($"epoch {error.Epoch}, batch {error.Batch} of 75", error.Message);
        Assert.True(goodSteps >= 3, $"diverged after {goodSteps} good steps (the test wants a few)");
        Assert.Contains("at learning rate 5.", error.Message);
        Assert.Contains("lower learning rate", error.Message);
        Assert.Equal(5, error.LearningRate);
        Assert.Equal(error.Epoch - 1, error.Result.Epochs.Count);
        Assert.Equal(5, optimizer.LearningRate); // the base rate is restored
    }

    [Fact]
    public void DivergenceInTheStepItselfRestoresTheParametersBeforeIt()
    {
        // Adam's first step moves every weight by about γ; γ = 1e39 is infinite in float, so the first step makes the
        // parameters infinite while the loss and gradient were finite. θ must come back to the initial values exactly
        // and Adam's state must be reset.
        INetwork<float> probe = Interpreted()();
        var adam = new Adam<float>(probe.ParameterCount, 1e39);
        var trainer = new Trainer<float>(Interpreted(), adam, new TrainingOptions { Epochs = 1, BatchSize = 10 });
        float[] initial = trainer.Network.Parameters.ToArray();

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(Train));

        Assert.Equal((1, 1), (error.Epoch, error.Batch));
        Assert.True(double.IsFinite(error.Loss), $"loss {error.Loss}");
        Assert.Contains("epoch 1, batch 1 of 60", error.Message);
        Assert.Contains("made parameters NaN or infinite", error.Message);
        Assert.Equal(Bits(initial), Bits(trainer.Network.Parameters.ToArray()));
        Assert.Equal(0, adam.StepCount);
        Assert.Empty(error.Result.Epochs);
    }

    /// <summary>
    /// Linear regression y = w·x + b from w = b = 0.5 on <paramref name="samples"/> copies of x = 1, d = 0, with plain
    /// SGD at γ = <paramref name="rate"/>: s = w + b gets the gradient s in both parameters, so a step maps s to (1 − 2γ)·s.
    /// </summary>
    private static (Trainer<float> Trainer, ArrayDataset<float> Data) Regression(double rate, int samples, TrainingOptions options)
    {
        NetworkTopology topology = TestNetworks.Parse("1-1 Identity SquaredError");
        Func<INetwork<float>> factory = () =>
        {
            var network = new InterpretedNetwork<float>(topology);
            network.Parameters.Fill(0.5f);
            return network;
        };
        var data = new ArrayDataset<float>(Enumerable.Repeat(new[] { 1f }, samples).ToArray(), Enumerable.Repeat(new[] { 0f }, samples).ToArray());
        return (new Trainer<float>(factory, new SgdMomentum<float>(topology.ParameterCount, rate, momentum: 0), options), data);
    }

    [Fact]
    public void AnExplodingButFiniteLossStopsAtTheLossRatioAndRestoresTheLastGoodEpoch()
    {
        // Linear regression y = w·x + b on x = 1, d = 0 with plain SGD at γ = 1.05: s = w + b gets the gradient s in both
        // parameters, so every step maps s to (1 − 2γ)·s = −1.1·s and the loss ½s² grows 1.21× a step, 1.21^10 ≈ 6.7× an
        // epoch of 10 steps: finite for a long time, but epoch 4's mean loss is 1.21^30 ≈ 304× epoch 1's (epoch 3's only
        // 45×). The guard must stop after epoch 4 with θ as after epoch 3.
        (Trainer<float> trainer, ArrayDataset<float> data) = Regression(1.05, 10, new TrainingOptions { Epochs = 6, BatchSize = 1 });
        var afterEpoch = new List<float[]>();
        var recorder = new Recorder { OnReport = r => { if (r.Phase == TrainingPhase.EpochCompleted) afterEpoch.Add(trainer.Network.Parameters.ToArray()); } };

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(data, progress: recorder));

        Assert.Equal(4, error.Epoch);
        Assert.Equal(3, error.Result.Epochs.Count);
        Assert.Equal(3, afterEpoch.Count);
        double first = error.Result.Epochs[0].TrainLoss;
        Assert.InRange(error.Loss / first, 250, 350);
        Assert.Contains("Training diverged in epoch 4 of 6: its mean training loss ", error.Message);
        Assert.Contains("is more than 100× the first epoch's " + first.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + " (TrainingOptions.DivergenceLossRatio)", error.Message);
        Assert.Contains("restored to their values after epoch 3", error.Message);
        Assert.Equal(Bits(afterEpoch[2]), Bits(trainer.Network.Parameters.ToArray()));
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));

        // With the rule off the same run finishes its 6 epochs (the loss is still finite).
        (Trainer<float> off, _) = Regression(1.05, 10, new TrainingOptions { Epochs = 6, BatchSize = 1, DivergenceLossRatio = null });
        Assert.Equal(6, off.Train(data).Epochs.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { DivergenceLossRatio = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { DivergenceLossRatio = double.PositiveInfinity });
    }

    [Fact]
    public void ALossThatExplodesWithinTheFirstEpochIsMeasuredAgainstTheLossBeforeTraining()
    {
        // The same regression at γ = 2 in minibatches of 16 identical samples: every step maps s = w + b to −3·s, so the
        // loss grows 9× a step. The first minibatch's loss before its step is ½·1² = 0.5; epoch 1's mean is about 2·10⁷,
        // so the guard stops after epoch 1 and puts θ back as it was before training (comparing with epoch 1's own
        // mean, it stopped only after epoch 2 and restored epoch 1's exploded θ, |s| = 3¹⁰).
        (Trainer<float> trainer, ArrayDataset<float> data) = Regression(2, 160, new TrainingOptions { Epochs = 4, BatchSize = 16 });
        float[] before = trainer.Network.Parameters.ToArray();

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(data));

        Assert.Equal(1, error.Epoch);
        Assert.Empty(error.Result.Epochs);
        Assert.Contains("more than 100× the loss before training (the first minibatch's, before its step) 0.5 (TrainingOptions.DivergenceLossRatio)", error.Message);
        Assert.Contains("restored to their values before training", error.Message);
        Assert.Equal(Bits(before), Bits(trainer.Network.Parameters.ToArray()));
    }

    [Fact]
    public void TwoEpochsAtChanceAccuracyStopTheRunAndRestoreTheParametersBeforeIt()
    {
        // A network that predicts class 0 for everything (a large bias, as after an explosion that killed every unit) on
        // 1,200 blobs, a third of each class: accuracy 33.3% = chance, epoch after epoch, at an ordinary loss. The
        // learning rate 0 keeps it there. The rule fires after epoch 2 with the parameters from before training.
        NetworkTopology topology = TestNetworks.Parse(BlobsTopology);
        Func<INetwork<float>> factory = () =>
        {
            var network = new InterpretedNetwork<float>(topology);
            network.InitializeParameters(3);
            network.Parameters[^3] = 30; // the output layer's bias of class 0 (W² then b² come last)
            return network;
        };
        var data = Blobs.Create<float>(1200, seed: 4);
        var trainer = new Trainer<float>(factory, new SgdMomentum<float>(topology.ParameterCount, 0), new TrainingOptions { Epochs = 3 });
        float[] initial = trainer.Network.Parameters.ToArray();

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Train(data));

        Assert.Equal(2, error.Epoch);
        Assert.Contains("Training diverged in epoch 2 of 3: its training accuracy 33.33% is, like the previous epoch's, no better than chance: at most 33.33% (the most frequent label's share) + 1 percentage point (TrainingOptions.DivergeAtChance)", error.Message);
        Assert.Contains("restored to their values before training", error.Message);
        Assert.Equal(Bits(initial), Bits(trainer.Network.Parameters.ToArray()));

        // Turned off, or on a set too small to judge, the same run finishes.
        Assert.Equal(3, new Trainer<float>(factory, new SgdMomentum<float>(topology.ParameterCount, 0), new TrainingOptions { Epochs = 3, DivergeAtChance = false })
            .Train(data).Epochs.Count);
        Assert.Equal(3, new Trainer<float>(factory, new SgdMomentum<float>(topology.ParameterCount, 0), new TrainingOptions { Epochs = 3 })
            .Train(Blobs.Create<float>(TrainingOptions.ChanceRuleMinimumSamples - 1, seed: 4)).Epochs.Count);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public void TrainingRejectsALabelOutOfRangeBeforeAnyStep(int workers, bool inTestSet)
    {
        var data = ArrayDataset<double>.Labeled([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 1, 2], 3);
        var bad = new MislabeledDataset(data, index: 2, label: -1);
        Trainer<double> trainer = ArgmaxTrainer(workers);
        double[] before = trainer.Network.Parameters.ToArray();

        var error = Assert.Throws<ArgumentException>(() => inTestSet ? trainer.Train(data, bad) : trainer.Train(bad));

        Assert.Equal(inTestSet ? "test" : "train", error.ParamName);
        Assert.StartsWith("Sample 2 has label -1, outside the data set's 3 classes (0..2).", error.Message); // as Evaluate says it
        Assert.Equal(before, trainer.Network.Parameters.ToArray());
    }

    [Fact]
    public void NonFiniteStartingParametersAreRejected()
    {
        Trainer<float> trainer = BlobsTrainer(Interpreted());
        trainer.Network.Parameters[3] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(Train));
        Assert.Contains("NaN or infinite values before training", error.Message);
    }

    // --- schedules -------------------------------------------------------------------------------------------------

    [Fact]
    public void ScheduleValues()
    {
        Assert.Equal(1, LearningRateSchedule.Constant().Multiplier(3, 2, 10, 5));
        Assert.Equal(0.25, LearningRateSchedule.Constant(0.25).Multiplier(0, 0, 10, 5));

        LearningRateSchedule step = LearningRateSchedule.StepDecay(2, 0.5);
        Assert.Equal([1, 1, 0.5, 0.5, 0.25, 0.25], Enumerable.Range(0, 6).Select(e => step.Multiplier(e, 7, 10, 6)));

        LearningRateSchedule cosine = LearningRateSchedule.Cosine();
        Assert.Equal(1, cosine.Multiplier(0, 9, 10, 4), 15);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI / 4)), cosine.Multiplier(1, 0, 10, 4), 15);
        Assert.Equal(0.5, cosine.Multiplier(2, 5, 10, 4), 15);
        Assert.Equal(cosine.Multiplier(2, 0, 10, 4), cosine.Multiplier(2, 9, 10, 4)); // per epoch: constant within one

        LearningRateSchedule perStep = LearningRateSchedule.Cosine(minimum: 0.1, perStep: true);
        Assert.Equal(1, perStep.Multiplier(0, 0, 10, 4), 15);
        Assert.Equal(0.1 + 0.9 * 0.5, perStep.Multiplier(2, 0, 10, 4), 15);               // t/T = 20/40
        Assert.Equal(0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 25 / 40)), perStep.Multiplier(2, 5, 10, 4), 15);
        Assert.True(perStep.Multiplier(3, 9, 10, 4) > 0.1);

        LearningRateSchedule warm = LearningRateSchedule.StepDecay(1, 0.5).WithWarmup(4);
        Assert.Equal([0.25, 0.5, 0.75, 1, 1], Enumerable.Range(0, 5).Select(b => warm.Multiplier(0, b, 10, 3)));
        Assert.Equal(0.5, warm.Multiplier(1, 0, 10, 3));
    }

    [Fact]
    public void TrainerAppliesTheSchedule()
    {
        var options = new TrainingOptions { Epochs = 4, BatchSize = 100, LearningRateSchedule = LearningRateSchedule.StepDecay(2, 0.1) };
        var optimizer = new SgdMomentum<float>(Interpreted()().ParameterCount, 0.2);
        TrainingResult result = new Trainer<float>(Interpreted(), optimizer, options).Train(Train);
        Assert.Equal([0.2, 0.2, 0.2 * 0.1, 0.2 * 0.1], result.Epochs.Select(e => e.LearningRate));
        Assert.Equal(0.2, optimizer.LearningRate);

        var perStep = new TrainingOptions { Epochs = 2, BatchSize = 100, LearningRateSchedule = LearningRateSchedule.Cosine(perStep: true) };
        result = new Trainer<float>(Interpreted(), new SgdMomentum<float>(optimizer.ParameterCount, 0.2), perStep).Train(Train);
        Assert.Equal(0.2, result.Epochs[0].LearningRate);
        Assert.Equal(0.2 * 0.5 * (1 + Math.Cos(Math.PI * 11 / 12)), result.Epochs[1].FinalLearningRate, 12); // step 11 of 12
    }

    [Fact]
    public void BadScheduleArgumentsAndValues()
    {
        Assert.Contains("got 0", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(0)).Message);
        Assert.Contains("got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.StepDecay(1, 1.5)).Message);
        Assert.Contains("got -0.1", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(-0.1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant().WithWarmup(0));

        var options = new TrainingOptions { Epochs = 1, LearningRateSchedule = new BrokenSchedule() };
        var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(Interpreted()().ParameterCount, 0.1), options);
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Train(Train));
        Assert.Contains("returned -1", error.Message);
    }

    private sealed class BrokenSchedule : LearningRateSchedule
    {
        public override double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs) => -1;
    }

    // --- cancellation ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void CancellationStopsBetweenBatches(int workers)
    {
        using var source = new CancellationTokenSource();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 16, Workers = workers, ProgressInterval = 1 };
        var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(Interpreted()().ParameterCount, 0.05), options);
        var recorder = new Recorder(trainer);
        recorder.OnReport = report =>
        {
            if (report is { Phase: TrainingPhase.Training, Epoch: 2, Batch: 5 }) source.Cancel();
        };

        var error = Assert.Throws<TrainingCanceledException>(() => trainer.Train(Train, Test, recorder, source.Token));

        Assert.Contains("epoch 2 before batch 6 of 38", error.Message);
        Assert.Single(error.Result.Epochs);
        Assert.Equal(source.Token, error.CancellationToken);
        Assert.Equal(Bits(recorder.LastParameters!), Bits(trainer.Network.Parameters.ToArray()));
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));
        TrainingProgress last = recorder.Reports[^1];
        Assert.Equal((2, 5), (last.Epoch, last.Batch));

        // An already cancelled token stops before the first step and leaves the parameters alone.
        float[] before = trainer.Network.Parameters.ToArray();
        Assert.Throws<TrainingCanceledException>(() => trainer.Train(Train, null, null, source.Token));
        Assert.Equal(Bits(before), Bits(trainer.Network.Parameters.ToArray()));
        Assert.Throws<OperationCanceledException>(() => trainer.Evaluate(Test, source.Token));
    }

    [Fact]
    public void ProgressIsReportedAtTheIntervalAndAtEpochEnds()
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = 16, ProgressInterval = 10 };
        var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(Interpreted()().ParameterCount, 0.05), options);
        var recorder = new Recorder();
        TrainingResult result = trainer.Train(Train, Test, recorder);

        string[] expected = [.. Enumerable.Range(1, 2).SelectMany(e => new[]
        {
            $"{e} Training 10/38", $"{e} Training 20/38", $"{e} Training 30/38", $"{e} Training 38/38",
            $"{e} Evaluating 300/300", $"{e} EpochCompleted 38/38",
        })];
        Assert.Equal(expected, recorder.Reports.Select(r => $"{r.Epoch} {r.Phase} {r.Batch}/{r.Batches}"));
        Assert.Same(result.Epochs[1], recorder.Reports[^1].EpochResult);
        TrainingProgress training = recorder.Reports[3];
        Assert.Equal(result.Epochs[0].TrainLoss, training.RunningLoss, 12);
        Assert.Equal(result.Epochs[0].TrainAccuracy!.Value, training.RunningAccuracy!.Value, 12);
        Assert.True(training.SamplesPerSecond > 0);
        Assert.Equal(0.05, training.LearningRate);
    }

    [Fact]
    public void EvaluatesOnlyAfterTheLastEpochWhenAsked()
    {
        var options = new TrainingOptions { Epochs = 3, BatchSize = 32, EvaluateEveryEpoch = false };
        TrainingResult result = new Trainer<float>(Interpreted(), new SgdMomentum<float>(Interpreted()().ParameterCount, 0.05), options).Train(Train, Test);
        Assert.Equal([false, false, true], result.Epochs.Select(e => e.Test is not null));
    }

    [Fact]
    public void ABatchLargerThanTheDataSetIsOneFullBatch()
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = int.MaxValue, Workers = 2 };
        TrainingResult result = new Trainer<float>(Interpreted(), new SgdMomentum<float>(99, 0.05), options).Train(Train);
        Assert.All(result.Epochs, e => Assert.Equal(1, e.Batches));
        Assert.True(result.Epochs[1].TrainLoss < result.Epochs[0].TrainLoss);
    }

    // --- evaluation ------------------------------------------------------------------------------------------------

    /// <summary>3 → 3 softmax with W = 3·I and b = 0 (double): the prediction is the argmax of the input.</summary>
    private static Trainer<double> ArgmaxTrainer(int workers)
    {
        NetworkTopology topology = TestNetworks.Parse("3-3 Softmax CrossEntropy", Precision.Double);
        Func<INetwork<double>> factory = () =>
        {
            var network = new InterpretedNetwork<double>(topology);
            network.Parameters.Clear();
            for (int i = 0; i < 3; i++) network.Parameters[i * 3 + i] = 3;
            return network;
        };
        return new Trainer<double>(factory, new SgdMomentum<double>(topology.ParameterCount, 0.1), new TrainingOptions { Workers = workers });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ConfusionMatrixOfAHandMadeCase(int workers)
    {
        // (predicted, actual): 0→0 twice, 1 for an actual 0, 2 and 1 for actual 1, 2 twice and 0 for actual 2.
        (int Predicted, int Actual)[] cases = [(0, 0), (0, 0), (1, 0), (2, 1), (1, 1), (2, 2), (2, 2), (0, 2)];
        double[][] inputs = cases.Select(c => { var x = new double[3]; x[c.Predicted] = 1; return x; }).ToArray();
        var data = ArrayDataset<double>.Labeled(inputs, cases.Select(c => c.Actual).ToArray(), 3);

        Evaluation evaluation = ArgmaxTrainer(workers).Evaluate(data);

        Assert.Equal(8, evaluation.Count);
        Assert.Equal(5, evaluation.Correct);
        Assert.Equal(5.0 / 8, evaluation.Accuracy);
        Assert.Equal(new int[,] { { 2, 1, 0 }, { 0, 1, 1 }, { 1, 0, 2 } }, evaluation.GetConfusionMatrix());
        Assert.Equal(1, evaluation.Confusion(actual: 2, predicted: 0));
        Assert.Equal([2.0 / 3, 1.0 / 2, 2.0 / 3], evaluation.PerClassAccuracy!);
        // Input 1 on the predicted class: logits 3 there, 0 elsewhere; p(right) = e³/(e³+2), p(wrong) = 1/(e³+2).
        double right = -Math.Log(Math.Exp(3) / (Math.Exp(3) + 2)), wrong = -Math.Log(1 / (Math.Exp(3) + 2));
        Assert.Equal((5 * right + 3 * wrong) / 8, evaluation.MeanLoss, 14);
        Assert.Throws<ArgumentOutOfRangeException>(() => evaluation.Confusion(3, 0));
        Assert.Contains("accuracy 62.50% (5/8)", evaluation.ToString());
        Assert.Contains("| 2 1 0", evaluation.FormatConfusionMatrix());
    }

    [Fact]
    public void UnlabeledDataGiveOnlyTheLoss()
    {
        double[][] inputs = [[1, 0, 0], [0, 0, 1]];
        double[][] targets = [[0.5, 0.5, 0], [0, 0, 1]];
        Evaluation evaluation = ArgmaxTrainer(1).Evaluate(new ArrayDataset<double>(inputs, targets, null, 0));
        Assert.False(evaluation.IsLabeled);
        Assert.Null(evaluation.Accuracy);
        Assert.Null(evaluation.GetConfusionMatrix());
        Assert.Null(evaluation.PerClassAccuracy);
        double z = Math.Exp(3) + 2;
        double expected = (-0.5 * Math.Log(Math.Exp(3) / z) - 0.5 * Math.Log(1 / z) - Math.Log(Math.Exp(3) / z)) / 2;
        Assert.Equal(expected, evaluation.MeanLoss, 14);
        Assert.Throws<InvalidOperationException>(() => evaluation.Confusion(0, 0));
    }

    [Fact]
    public void EvaluationDoesNotDependOnTheWorkerCount()
    {
        Evaluation one = BlobsTrainer(Interpreted(), workers: 1).Evaluate(Test);
        Evaluation three = BlobsTrainer(Interpreted(), workers: 3).Evaluate(Test);
        Assert.Equal(one.MeanLoss, three.MeanLoss); // bit-identical: per-sample losses summed in sample order
        Assert.Equal(one.GetConfusionMatrix(), three.GetConfusionMatrix());
    }

    [Fact]
    public void LabelOutOfRangeIsReported()
    {
        var data = ArrayDataset<double>.Labeled([[1, 0, 0], [0, 1, 0]], [0, 1], 3);
        var bad = new MislabeledDataset(data, index: 1, label: 7); // ArrayDataset itself rejects such a label
        Assert.Equal(2, ArgmaxTrainer(1).Evaluate(data).Correct);
        var error = Assert.Throws<ArgumentException>(() => ArgmaxTrainer(2).Evaluate(bad));
        Assert.Contains("Sample 1 has label 7, outside the data set's 3 classes", error.Message);
    }

    [Fact]
    public void DatasetErrorsInAWorkerReachTheCaller()
    {
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, Workers = 2 };
        var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(Interpreted()().ParameterCount, 0.05), options);
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Train(new ThrowingDataset(Train, failAt: 13)));
        Assert.Equal("cannot read sample 13", error.Message);
        Assert.All(trainer.Network.Gradients.ToArray(), g => Assert.Equal(0f, g));
        Assert.True(trainer.Train(Train).Epochs.Count == 1); // the trainer is usable afterwards
    }

    /// <summary>A data set whose label <paramref name="index"/> is out of range, as a faulty IDataset could be.</summary>
    private sealed class MislabeledDataset(IDataset<double> inner, int index, int label) : IDataset<double>
    {
        public int Count => inner.Count;
        public int InputSize => inner.InputSize;
        public int TargetSize => inner.TargetSize;
        public int Classes => inner.Classes;
        public void GetInput(int i, Span<double> input) => inner.GetInput(i, input);
        public void GetTarget(int i, Span<double> target) => inner.GetTarget(i, target);
        public int Label(int i) => i == index ? label : inner.Label(i);
    }

    private sealed class ThrowingDataset(IDataset<float> inner, int failAt) : IDataset<float>
    {
        public int Count => inner.Count;
        public int InputSize => inner.InputSize;
        public int TargetSize => inner.TargetSize;
        public int Classes => inner.Classes;
        public void GetInput(int index, Span<float> input)
        {
            if (index == failAt) throw new InvalidOperationException($"cannot read sample {index}");
            inner.GetInput(index, input);
        }
        public void GetTarget(int index, Span<float> target) => inner.GetTarget(index, target);
        public int Label(int index) => inner.Label(index);
    }

    // --- validation ------------------------------------------------------------------------------------------------

    [Fact]
    public void OptionsRejectOutOfRangeValues()
    {
        Assert.Contains("Epochs must be at least 1, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Epochs = 0 }).Message);
        Assert.Contains("BatchSize must be at least 1, got -4", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { BatchSize = -4 }).Message);
        Assert.Contains("Workers must be between 1 and 256, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { Workers = 0 }).Message);
        Assert.Contains("ProgressInterval must be at least 1, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { ProgressInterval = 0 }).Message);
        Assert.Contains("GradientClipNorm must be finite and > 0", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { GradientClipNorm = 0 }).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { GradientClipNorm = double.PositiveInfinity });
        Assert.Equal("GradientClipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingOptions { GradientClipNorm = double.NaN }).ParamName);
    }

    [Fact]
    public void DatasetsMustFitTheNetwork()
    {
        Trainer<float> trainer = BlobsTrainer(Interpreted());
        string Message(IDataset<float> data) => Assert.Throws<ArgumentException>(() => trainer.Train(data)).Message;

        Assert.Contains("inputs have 5 values, but the network expects 2", Message(new ShapeOnlyDataset<float>(10, 5, 3, 3)));
        Assert.Contains("targets have 4 values, but the network has 3 outputs", Message(new ShapeOnlyDataset<float>(10, 2, 4, 0)));
        Assert.Contains("has 4 classes, but the network has 3 outputs", Message(new ShapeOnlyDataset<float>(10, 2, 3, 4)));
        Assert.Contains("is empty (Count 0)", Message(new ShapeOnlyDataset<float>(0, 2, 3, 3)));
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(Train, new ShapeOnlyDataset<float>(10, 3, 3, 3)));
        Assert.Equal("test", error.ParamName);
        Assert.Contains("The test data set's inputs have 3 values", error.Message);
        Assert.Contains("inputs have 1 values", Assert.Throws<ArgumentException>(() => trainer.Evaluate(new ShapeOnlyDataset<float>(1, 1, 3, 3))).Message);
    }

    [Fact]
    public void FactoryAndOptimizerMustFit()
    {
        var sgd = new SgdMomentum<float>(99, 0.1);
        Assert.Equal("The network factory returned null. (Parameter 'networkFactory')",
            Assert.Throws<ArgumentException>(() => new Trainer<float>(() => null!, sgd, new TrainingOptions { Workers = 2 })).Message);
        // A network whose CreateWorkspace misbehaves: DataParallelTests.

        Assert.Contains("optimizer was created for 10 parameters, but the network has 99",
            Assert.Throws<ArgumentException>(() => new Trainer<float>(Interpreted(), new SgdMomentum<float>(10, 0.1))).Message);

        var inference = TestNetworks.Parse("2-3 Softmax none");
        Assert.Contains("has no loss function",
            Assert.Throws<ArgumentException>(() => new Trainer<float>(() => new InterpretedNetwork<float>(inference), new SgdMomentum<float>(9, 0.1))).Message);

        Assert.Throws<ArgumentNullException>(() => new Trainer<float>(null!, sgd));
        Assert.Throws<ArgumentNullException>(() => new Trainer<float>(Interpreted(), null!));
    }

    [Fact]
    public void GradientClippingBoundsTheStep()
    {
        // Plain SGD with γ = 1 and clip norm 0.01: the first step moves θ by exactly 0.01 in Euclidean norm (the blobs'
        // initial mean gradient is far longer), to float rounding.
        var options = new TrainingOptions { Epochs = 1, BatchSize = 600, GradientClipNorm = 0.01 };
        var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(99, 1.0, momentum: 0), options);
        float[] before = trainer.Network.Parameters.ToArray();
        trainer.Train(Train);
        double norm = Math.Sqrt(before.Zip(trainer.Network.Parameters.ToArray(), (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.Equal(0.01, norm, 1e-6);
    }

    // --- allocation ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MinibatchesDoNotAllocate(int workers)
    {
        // The calling thread's allocations for 11 epochs minus those for 1 epoch: 10 epochs × 150 minibatches. Each
        // epoch allocates its EpochResult (about 100 bytes); a minibatch must allocate nothing, so the difference
        // stays under 10 × 400 bytes (it would be ≥ 1500 × 24 bytes for one small object per minibatch).
        // As Support/Allocations: the fewest bytes of three rounds after a warm-up, so that the runtime's one-off work
        // (installing re-jitted methods on a loaded machine) is not charged to the trainer.
        long Allocated(int epochs)
        {
            var options = new TrainingOptions { Epochs = epochs, BatchSize = 4, Workers = workers };
            var trainer = new Trainer<float>(Interpreted(), new SgdMomentum<float>(99, 0.01), options);
            for (int i = 0; i < 3; i++) trainer.Train(Train); // warm-up: JIT and tiering
            long fewest = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                trainer.Train(Train);
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            return fewest;
        }

        long one = Allocated(1), eleven = Allocated(11);
        Assert.True(eleven - one < 4000, $"{workers} workers: 1 epoch {one} bytes, 11 epochs {eleven} bytes; 1500 extra minibatches allocated {eleven - one}");
    }

    private static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();
}
