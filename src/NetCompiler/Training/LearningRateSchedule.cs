using System;
using System.Globalization;

namespace NetCompiler.Training;

/// <summary>
/// A learning-rate schedule: the multiplier of the optimizer's base learning rate for each step. The trainer sets
/// <c>optimizer.LearningRate = baseRate · Multiplier(…)</c> before every step, with the base rate read from the
/// optimizer when <see cref="Trainer{T}.Train"/> starts.
/// </summary>
/// <remarks>
/// Indices are zero-based: epoch e = 0..epochs−1, batch b = 0..batchesPerEpoch−1, and the global step is
/// t = e·batchesPerEpoch + b of T = epochs·batchesPerEpoch. Derive from this class for other schedules; a
/// multiplier must be finite and ≥ 0 (the trainer checks).
/// </remarks>
public abstract class LearningRateSchedule
{
    /// <summary>For derived schedules.</summary>
    protected LearningRateSchedule() { }

    /// <summary>The multiplier for batch <paramref name="batch"/> of epoch <paramref name="epoch"/> (both from 0).</summary>
    /// <param name="epoch">The epoch, 0..<paramref name="epochs"/>−1.</param>
    /// <param name="batch">The minibatch within the epoch, 0..<paramref name="batchesPerEpoch"/>−1.</param>
    /// <param name="batchesPerEpoch">The number of minibatches per epoch (≥ 1).</param>
    /// <param name="epochs">The number of epochs of the run (≥ 1).</param>
    public abstract double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs);

    /// <summary>A constant multiplier (default 1: the optimizer's own rate).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multiplier"/> is negative or not finite.</exception>
    public static LearningRateSchedule Constant(double multiplier = 1) => new ConstantSchedule(NonNegative(multiplier, nameof(multiplier)));

    /// <summary>
    /// Step decay, per epoch: multiplier = factor^⌊e / everyEpochs⌋, so the rate is multiplied by
    /// <paramref name="factor"/> after every <paramref name="everyEpochs"/> epochs (torch.optim.lr_scheduler.StepLR).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="everyEpochs"/> &lt; 1, or <paramref name="factor"/> not in (0, 1].</exception>
    public static LearningRateSchedule StepDecay(int everyEpochs, double factor = 0.1)
    {
        if (everyEpochs < 1)
            throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, Invariant($"everyEpochs must be at least 1, got {everyEpochs}."));
        if (!(factor > 0 && factor <= 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, Invariant($"factor must be in (0, 1], got {factor}."));
        return new StepDecaySchedule(everyEpochs, factor);
    }

    /// <summary>
    /// Cosine annealing from 1 to <paramref name="minimum"/>: multiplier = m + (1 − m)·½(1 + cos(π·p)), where the
    /// progress p is e/epochs per epoch (constant within an epoch: epoch 0 runs at 1), or t/T per step when
    /// <paramref name="perStep"/> (the first step runs at 1, the last just above m).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimum"/> not in [0, 1].</exception>
    public static LearningRateSchedule Cosine(double minimum = 0, bool perStep = false)
    {
        if (!(minimum >= 0 && minimum <= 1))
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, Invariant($"minimum must be in [0, 1], got {minimum}."));
        return new CosineSchedule(minimum, perStep);
    }

    /// <summary>
    /// This schedule with a linear warm-up, per step: the multiplier is scaled by (t + 1)/<paramref name="steps"/>
    /// for the first <paramref name="steps"/> global steps t, then left as it is.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> &lt; 1.</exception>
    public LearningRateSchedule WithWarmup(int steps)
    {
        if (steps < 1)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, Invariant($"The warm-up must last at least 1 step, got {steps}."));
        return new WarmupSchedule(this, steps);
    }

    private static double NonNegative(double value, string name) => value >= 0 && double.IsFinite(value)
        ? value
        : throw new ArgumentOutOfRangeException(name, value, Invariant($"{name} must be finite and ≥ 0, got {value}."));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class ConstantSchedule(double multiplier) : LearningRateSchedule
    {
        public override double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs) => multiplier;
        public override string ToString() => Invariant($"constant ×{multiplier}");
    }

    private sealed class StepDecaySchedule(int everyEpochs, double factor) : LearningRateSchedule
    {
        public override double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs) => Math.Pow(factor, epoch / everyEpochs);
        public override string ToString() => Invariant($"step decay ×{factor} every {everyEpochs} epochs");
    }

    private sealed class CosineSchedule(double minimum, bool perStep) : LearningRateSchedule
    {
        public override double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs)
        {
            double progress = perStep
                ? ((double)epoch * batchesPerEpoch + batch) / ((double)epochs * batchesPerEpoch)
                : (double)epoch / epochs;
            return minimum + (1 - minimum) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        }

        public override string ToString() => Invariant($"cosine to ×{minimum} per {(perStep ? "step" : "epoch")}");
    }

    private sealed class WarmupSchedule(LearningRateSchedule inner, int steps) : LearningRateSchedule
    {
        public override double Multiplier(int epoch, int batch, int batchesPerEpoch, int epochs)
        {
            double step = (double)epoch * batchesPerEpoch + batch;
            double multiplier = inner.Multiplier(epoch, batch, batchesPerEpoch, epochs);
            return step < steps ? multiplier * (step + 1) / steps : multiplier;
        }

        public override string ToString() => Invariant($"{inner} with {steps}-step warm-up");
    }
}
