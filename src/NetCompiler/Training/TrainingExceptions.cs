using System;
using System.Threading;

namespace NetCompiler.Training;

/// <summary>
/// Training stopped because a minibatch's loss or gradient, or the parameters after its step, were NaN or infinite, or
/// because an epoch broke an epoch rule of the divergence guard (<see cref="TrainingOptions.DivergenceLossRatio"/>,
/// <see cref="TrainingOptions.DivergeAtChance"/>); the message says which, with the numbers. When this is thrown the
/// network's parameters are those before the diverging minibatch (the last finite state, bit for bit) or, for an epoch
/// rule, those at the end of the last epoch that passed the rules (or before training); its gradients are zero and the
/// optimizer state is reset; <see cref="Result"/> holds the epochs finished before the diverging one.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception; the trainer builds the message from the numbers.</summary>
    public TrainingDivergedException(string message, int epoch, int batch, double loss, double learningRate, TrainingResult result)
        : base(message)
    {
        Epoch = epoch;
        Batch = batch;
        Loss = loss;
        LearningRate = learningRate;
        Result = result;
    }

    /// <summary>The epoch of the diverging minibatch, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The diverging minibatch within its epoch, from 1 (the epoch's last for an epoch rule).</summary>
    public int Batch { get; }

    /// <summary>The minibatch's mean loss (NaN or infinite unless the gradient or the step was what failed), or for an epoch rule the epoch's mean training loss.</summary>
    public double Loss { get; }

    /// <summary>The learning rate of the diverging step.</summary>
    public double LearningRate { get; }

    /// <summary>The epochs finished before the divergence.</summary>
    public TrainingResult Result { get; }
}

/// <summary>
/// Training was cancelled between two minibatches. The network holds the parameters after the last finished step
/// (gradients zero); <see cref="Result"/> holds the finished epochs. Catching <see cref="OperationCanceledException"/>
/// catches this too.
/// </summary>
public sealed class TrainingCanceledException : OperationCanceledException
{
    /// <summary>Creates the exception.</summary>
    public TrainingCanceledException(string message, TrainingResult result, CancellationToken token)
        : base(message, token) => Result = result;

    /// <summary>The epochs finished before the cancellation.</summary>
    public TrainingResult Result { get; }
}
