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
