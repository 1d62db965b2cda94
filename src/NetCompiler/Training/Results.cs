using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetCompiler.Training;

/// <summary>
/// The quality of a network on a data set: mean loss and, for labeled data, accuracy, the confusion matrix and the
/// accuracy of every class.
/// </summary>
/// <remarks>
/// The predicted class is the index of the largest output (the first on ties); a network with one output and a data
/// set of two classes predicts class 1 when the output is ≥ 0.5. The loss is the network's loss function applied to
/// each output: ½·Σ(d − y)² for squared error, −Σ d·log y for cross-entropy, computed in double from the outputs, where
/// a probability that underflowed to 0 counts as the smallest positive value of the network's type (so one saturated
/// wrong answer costs at most about 103 in float, 745 in double, rather than infinity).
/// </remarks>
public sealed class Evaluation
{
    private readonly int[,]? _confusion;
    private readonly double[]? _classAccuracy;

    internal Evaluation(int count, double meanLoss, int classes, int correct, int[,]? confusion)
    {
        Count = count;
        MeanLoss = meanLoss;
        Classes = classes;
        Correct = correct;
        _confusion = confusion;
        if (confusion is not null)
        {
            _classAccuracy = new double[classes];
            for (int actual = 0; actual < classes; actual++)
            {
                long total = 0;
                for (int predicted = 0; predicted < classes; predicted++) total += confusion[actual, predicted];
                _classAccuracy[actual] = total == 0 ? double.NaN : (double)confusion[actual, actual] / total;
            }
        }
    }

    /// <summary>The number of samples evaluated.</summary>
    public int Count { get; }

    /// <summary>The mean loss per sample.</summary>
    public double MeanLoss { get; }

    /// <summary>The number of classes, or 0 for unlabeled data (then only <see cref="MeanLoss"/> is known).</summary>
    public int Classes { get; }

    /// <summary>Whether the data were labeled, so that accuracy and the confusion matrix exist.</summary>
    public bool IsLabeled => _confusion is not null;

    /// <summary>The number of samples classified correctly (0 for unlabeled data).</summary>
    public int Correct { get; }

    /// <summary>The fraction of samples classified correctly, in [0, 1]; null for unlabeled data.</summary>
    public double? Accuracy => IsLabeled ? (double)Correct / Count : null;

    /// <summary>The number of samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <exception cref="InvalidOperationException">The data were unlabeled.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside 0..<see cref="Classes"/>−1.</exception>
    public int Confusion(int actual, int predicted)
    {
        int[,] confusion = RequireLabels();
        CheckClass(actual, nameof(actual));
        CheckClass(predicted, nameof(predicted));
        return confusion[actual, predicted];
    }

    /// <summary>A copy of the confusion matrix, indexed [actual, predicted]; null for unlabeled data.</summary>
    public int[,]? GetConfusionMatrix() => (int[,]?)_confusion?.Clone();

    /// <summary>
    /// The accuracy of each class (the fraction of its samples predicted correctly, that is its recall); NaN for a
    /// class without samples; null for unlabeled data.
    /// </summary>
    public IReadOnlyList<double>? PerClassAccuracy => _classAccuracy;

    /// <summary>For example "loss 0.4123, accuracy 85.31% (8531/10000)".</summary>
    public override string ToString() => IsLabeled
        ? string.Create(CultureInfo.InvariantCulture, $"loss {MeanLoss:G4}, accuracy {100.0 * Correct / Count:F2}% ({Correct}/{Count})")
        : string.Create(CultureInfo.InvariantCulture, $"loss {MeanLoss:G4} ({Count} samples)");

    /// <summary>The confusion matrix as text, rows actual and columns predicted, with optional class names.</summary>
    public string FormatConfusionMatrix(IReadOnlyList<string>? classNames = null)
    {
        int[,] confusion = RequireLabels();
        var text = new StringBuilder();
        int width = 1;
        foreach (int value in confusion) width = Math.Max(width, value.ToString(CultureInfo.InvariantCulture).Length);
        int label = 0;
        for (int c = 0; c < Classes; c++) label = Math.Max(label, Name(c).Length);
        text.Append(' ', label).Append(" |");
        for (int p = 0; p < Classes; p++) text.Append(' ').Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        text.AppendLine();
        for (int a = 0; a < Classes; a++)
        {
            text.Append(Name(a).PadLeft(label)).Append(" |");
            for (int p = 0; p < Classes; p++) text.Append(' ').Append(confusion[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            text.AppendLine();
        }
        return text.ToString();

        string Name(int c) => classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture);
    }

    private int[,] RequireLabels() => _confusion ?? throw new InvalidOperationException("The evaluated data set has no labels, so there is no confusion matrix.");

    private void CheckClass(int value, string name)
    {
        if ((uint)value >= (uint)Classes)
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be a class in 0..{Classes - 1}, got {value}."));
    }
}

/// <summary>One finished epoch of <see cref="Trainer{T}.Train"/>.</summary>
public sealed class EpochResult
{
    internal EpochResult(int epoch, int samples, int batches, double trainLoss, double? trainAccuracy, Evaluation? test,
        double seconds, double evaluationSeconds, double learningRate, double finalLearningRate)
    {
        Epoch = epoch;
        Samples = samples;
        Batches = batches;
        TrainLoss = trainLoss;
        TrainAccuracy = trainAccuracy;
        Test = test;
        Seconds = seconds;
        EvaluationSeconds = evaluationSeconds;
        LearningRate = learningRate;
        FinalLearningRate = finalLearningRate;
    }

    /// <summary>The epoch number, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The training samples seen in this epoch (the training set's size).</summary>
    public int Samples { get; }

    /// <summary>The minibatches (optimizer steps) of this epoch.</summary>
    public int Batches { get; }

    /// <summary>The mean loss per training sample over the epoch, each sample's loss taken before the step of its minibatch.</summary>
    public double TrainLoss { get; }

    /// <summary>
    /// The fraction of training samples classified correctly during the epoch (by the parameters of the moment, as
    /// the loss); null for unlabeled data.
    /// </summary>
    public double? TrainAccuracy { get; }

    /// <summary>The evaluation of the test set after this epoch, or null when there was none.</summary>
    public Evaluation? Test { get; }

    /// <summary>The wall-clock seconds of the epoch's training (without the evaluation).</summary>
    public double Seconds { get; }

    /// <summary>The wall-clock seconds of the test evaluation (0 without one).</summary>
    public double EvaluationSeconds { get; }

    /// <summary>Training throughput: <see cref="Samples"/> / <see cref="Seconds"/>.</summary>
    public double SamplesPerSecond => Seconds > 0 ? Samples / Seconds : double.PositiveInfinity;

    /// <summary>The learning rate of the epoch's first step.</summary>
    public double LearningRate { get; }

    /// <summary>The learning rate of the epoch's last step (differs from <see cref="LearningRate"/> under a per-step schedule).</summary>
    public double FinalLearningRate { get; }

    /// <summary>For example "epoch 3: train loss 0.4012, accuracy 85.10%; test loss 0.4310, accuracy 84.50% (8450/10000); 2.31 s, 25974 samples/s, lr 0.01".</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"epoch {Epoch}: train loss {TrainLoss:G4}");
        if (TrainAccuracy is double accuracy) text.Append(CultureInfo.InvariantCulture, $", accuracy {100 * accuracy:F2}%");
        if (Test is not null) text.Append("; test ").Append(Test);
        text.Append(CultureInfo.InvariantCulture, $"; {Seconds:F2} s, {SamplesPerSecond:F0} samples/s, lr {LearningRate:G4}");
        return text.ToString();
    }
}

/// <summary>The outcome of <see cref="Trainer{T}.Train"/>: every finished epoch.</summary>
public sealed class TrainingResult
{
    internal TrainingResult(IReadOnlyList<EpochResult> epochs, double seconds)
    {
        Epochs = epochs;
        Seconds = seconds;
    }

    /// <summary>The finished epochs in order (fewer than asked for when training stopped early).</summary>
    public IReadOnlyList<EpochResult> Epochs { get; }

    /// <summary>The last finished epoch, or null when none finished.</summary>
    public EpochResult? Last => Epochs.Count > 0 ? Epochs[^1] : null;

    /// <summary>The most recent test evaluation, or null when there was none.</summary>
    public Evaluation? FinalTest
    {
        get
        {
            for (int e = Epochs.Count - 1; e >= 0; e--)
                if (Epochs[e].Test is not null) return Epochs[e].Test;
            return null;
        }
    }

    /// <summary>The wall-clock seconds of the whole run, evaluations included.</summary>
    public double Seconds { get; }

    /// <summary>One line per epoch.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Epochs);
}

/// <summary>What <see cref="Trainer{T}"/> is doing when it reports progress.</summary>
public enum TrainingPhase
{
    /// <summary>Training minibatches of an epoch.</summary>
    Training,

    /// <summary>Evaluating the test set after an epoch.</summary>
    Evaluating,

    /// <summary>An epoch has finished; <see cref="TrainingProgress.EpochResult"/> holds its result.</summary>
    EpochCompleted,
}

/// <summary>
/// A progress report of <see cref="Trainer{T}.Train"/>, sent every <see cref="TrainingOptions.ProgressInterval"/>
/// minibatches, at the end of each epoch's training, while evaluating, and when an epoch completes. Reports are made
/// on the thread that called Train; a <see cref="Progress{T}"/> posts them to its synchronisation context.
/// </summary>
public sealed class TrainingProgress
{
    /// <summary>What the trainer is doing.</summary>
    public required TrainingPhase Phase { get; init; }

    /// <summary>The current epoch, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>The number of epochs of the run.</summary>
    public required int Epochs { get; init; }

    /// <summary>Minibatches finished in this epoch (training), or samples evaluated so far (evaluating).</summary>
    public required int Batch { get; init; }

    /// <summary>Minibatches per epoch (training), or samples to evaluate (evaluating).</summary>
    public required int Batches { get; init; }

    /// <summary>The mean loss per sample over the epoch so far (training), NaN while evaluating.</summary>
    public required double RunningLoss { get; init; }

    /// <summary>The training accuracy over the epoch so far; null for unlabeled data or while evaluating.</summary>
    public required double? RunningAccuracy { get; init; }

    /// <summary>Samples per second over the epoch (training) or the evaluation so far.</summary>
    public required double SamplesPerSecond { get; init; }

    /// <summary>The learning rate of the latest step.</summary>
    public required double LearningRate { get; init; }

    /// <summary>The finished epoch's result when <see cref="Phase"/> is <see cref="TrainingPhase.EpochCompleted"/>, else null.</summary>
    public EpochResult? EpochResult { get; init; }

    /// <summary>The fraction of the current phase done, in [0, 1].</summary>
    public double Fraction => Batches > 0 ? (double)Batch / Batches : 1;

    /// <summary>A short line for logs.</summary>
    public override string ToString() => Phase switch
    {
        TrainingPhase.EpochCompleted => EpochResult!.ToString(),
        TrainingPhase.Evaluating => string.Create(CultureInfo.InvariantCulture, $"epoch {Epoch}/{Epochs} evaluating {Batch}/{Batches}"),
        _ => string.Create(CultureInfo.InvariantCulture,
            $"epoch {Epoch}/{Epochs} batch {Batch}/{Batches}: loss {RunningLoss:G4}{(RunningAccuracy is double a ? $", accuracy {100 * a:F2}%" : "")}, {SamplesPerSecond:F0} samples/s, lr {LearningRate:G4}"),
    };
}
