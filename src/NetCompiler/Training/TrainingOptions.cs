using System;
using System.Globalization;

namespace NetCompiler.Training;

/// <summary>
/// How <see cref="Trainer{T}"/> trains: epochs, minibatch size, shuffling seed, data-parallel workers, learning-rate
/// schedule and reporting. Every property is checked when it is set, so an out-of-range value fails at the line that
/// sets it with an <see cref="ArgumentOutOfRangeException"/> naming the property and the value.
/// </summary>
/// <example>
/// <code>
/// var options = new TrainingOptions { Epochs = 10, BatchSize = 64, Seed = 1, Workers = 2,
///                                     LearningRateSchedule = LearningRateSchedule.Cosine(perStep: true) };
/// </code>
/// </example>
public sealed class TrainingOptions
{
    private readonly int _epochs = 10;
    private readonly int _batchSize = 32;
    private readonly int _workers = 1;
    private readonly int _progressInterval = 50;
    private readonly double? _gradientClipNorm;
    private readonly double? _divergenceLossRatio = 100;

    /// <summary>The number of passes over the training set, ≥ 1 (default 10).</summary>
    public int Epochs
    {
        get => _epochs;
        init => _epochs = AtLeast(value, 1, nameof(Epochs));
    }

    /// <summary>
    /// B, the samples per minibatch, ≥ 1 (default 32). The last minibatch of an epoch holds the remaining
    /// Count mod B samples when B does not divide the training set (it is not dropped), and its step is the mean
    /// over those samples.
    /// </summary>
    public int BatchSize
    {
        get => _batchSize;
        init => _batchSize = AtLeast(value, 1, nameof(BatchSize));
    }

    /// <summary>
    /// The seed of the shuffle (default 0). Epoch e's order is a Fisher–Yates shuffle driven by SplitMix64 seeded from
    /// (Seed, e), so it is the same on every machine and runtime version and does not depend on earlier epochs.
    /// The seed does not initialise the network: the network factory does that (InitializeParameters(seed)).
    /// </summary>
    public int Seed { get; init; }

    /// <summary>Whether each epoch visits the samples in a shuffled order (default true); false visits them in index order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// The number of data-parallel workers, ≥ 1 (default 1): the trained network and Workers−1 workspaces on its
    /// weights (CreateWorkspace), each with its own activations and gradients. Every minibatch is split into this
    /// many contiguous chunks; results are deterministic for a given seed and worker count (the per-worker gradients
    /// are summed in worker order), but differ in the last bits between worker counts because floating-point addition
    /// is not associative. More workers than cores only adds overhead.
    /// </summary>
    public int Workers
    {
        get => _workers;
        init => _workers = value is >= 1 and <= MaxWorkers
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Workers), value,
                string.Create(CultureInfo.InvariantCulture, $"Workers must be between 1 and {MaxWorkers}, got {value}."));
    }

    /// <summary>The largest <see cref="Workers"/> accepted.</summary>
    public const int MaxWorkers = 256;

    /// <summary>
    /// Multiplies the optimizer's base learning rate (its <see cref="IOptimizer{T}.LearningRate"/> when training starts)
    /// at every step; null (the default) keeps it constant.
    /// </summary>
    public LearningRateSchedule? LearningRateSchedule { get; init; }

    /// <summary>Whether to evaluate the test set (when one is given) after every epoch (default true); otherwise only after the last.</summary>
    public bool EvaluateEveryEpoch { get; init; } = true;

    /// <summary>Report training progress every this many minibatches, ≥ 1 (default 50), besides the end of each epoch.</summary>
    public int ProgressInterval
    {
        get => _progressInterval;
        init => _progressInterval = AtLeast(value, 1, nameof(ProgressInterval));
    }

    /// <summary>
    /// If set, the mean minibatch gradient is scaled down to this Euclidean norm whenever it is longer
    /// (torch.nn.utils.clip_grad_norm_); must be finite and &gt; 0. Null (the default) does not clip.
    /// </summary>
    public double? GradientClipNorm
    {
        get => _gradientClipNorm;
        init => _gradientClipNorm = value is null || (value.Value > 0 && double.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), value,
                string.Create(CultureInfo.InvariantCulture, $"GradientClipNorm must be finite and > 0 (or null for no clipping), got {value}."));
    }

    /// <summary>
    /// The loss rule of the divergence guard: training stops with <see cref="TrainingDivergedException"/> when an
    /// epoch's mean training loss (<see cref="EpochResult.TrainLoss"/>) is more than this many times the loss before
    /// training: the first minibatch's mean loss, taken before its step, when it has at least
    /// <see cref="InitialLossMinimumSamples"/> samples (then from the first epoch on); with smaller minibatches, the first
    /// epoch's mean (from the second epoch on). A run whose loss explodes without overflowing (to 1e18, say) has weights
    /// as useless as one that reached NaN, which the guard always catches; measured against the loss before training it
    /// is caught even when it explodes within the first epoch. Must be finite and &gt; 1; default 100 (a loss that rises a
    /// hundredfold is not a slow start). Null turns the rule off. The parameters are restored to the end of the last
    /// epoch that passed this rule and was not at chance accuracy (<see cref="DivergeAtChance"/>), or to their values
    /// before training.
    /// </summary>
    public double? DivergenceLossRatio
    {
        get => _divergenceLossRatio;
        init => _divergenceLossRatio = value is null || (value.Value > 1 && double.IsFinite(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DivergenceLossRatio), value,
                string.Create(CultureInfo.InvariantCulture, $"DivergenceLossRatio must be finite and > 1 (or null to turn the rule off), got {value}."));
    }

    /// <summary>
    /// The chance rule of the divergence guard (default true; false turns it off). For a classification training set
    /// (Classes ≥ 2) of at least <see cref="ChanceRuleMinimumSamples"/> samples, training stops with
    /// <see cref="TrainingDivergedException"/> when two epochs in a row, the second of them epoch 2 or later, end no
    /// better than chance: training accuracy at most the share of the most frequent label in the training set (what
    /// predicting that one class for every sample scores: 1/classes on a balanced set) plus <see cref="ChanceMargin"/>.
    /// A network whose weights exploded (or whose units all died) predicts one class for everything, and its loss can
    /// look ordinary again by the second epoch (ln 10 ≈ 2.3 for ten classes), so the loss rule alone misses it. A
    /// network that learns leaves chance within an epoch or two on sets this large; one whose labels cannot be learned
    /// (random labels), or that needs many epochs to break symmetry, trips the rule: turn it off for such runs. The
    /// parameters are restored to the end of the last epoch that was above chance and passed the loss rule (or to their
    /// values before training).
    /// </summary>
    public bool DivergeAtChance { get; init; } = true;

    /// <summary>The smallest first minibatch whose mean loss stands for the loss before training (<see cref="DivergenceLossRatio"/>).</summary>
    public const int InitialLossMinimumSamples = 16;

    /// <summary>The margin above chance accuracy of the chance rule (<see cref="DivergeAtChance"/>): one percentage point.</summary>
    public const double ChanceMargin = 0.01;

    /// <summary>The smallest training set the chance rule judges (<see cref="DivergeAtChance"/>): below it an epoch's accuracy says too little.</summary>
    public const int ChanceRuleMinimumSamples = 1000;

    /// <summary>
    /// Random flips and shifts of the training images (null, the default: none); the network's input must be images
    /// [channels, height, width]. Evaluation always sees the images as they are.
    /// </summary>
    public ImageAugmentation? Augmentation { get; init; }

    /// <summary>A one-line summary for logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Epochs} epochs, batch {BatchSize}, seed {Seed}{(Shuffle ? "" : ", no shuffle")}, {Workers} worker{(Workers == 1 ? "" : "s")}, " +
        $"lr schedule {LearningRateSchedule?.ToString() ?? "constant"}{(GradientClipNorm is double c ? $", clip norm {c}" : "")}{(Augmentation is { } a ? $", augmentation {a}" : "")}");

    private static int AtLeast(int value, int minimum, string name) => value >= minimum
        ? value
        : throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {minimum}, got {value}."));
}
