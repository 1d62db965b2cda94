using System;
using System.Numerics;

namespace NetCompiler.Training;

/// <summary>
/// Samples for training or evaluation: inputs, targets and (for classification) labels, addressed by index so that a
/// trainer can shuffle and split minibatches without copying the data. Implementations must be safe for concurrent
/// reads from several threads (data-parallel workers read different samples at once).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IDataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The number of samples.</summary>
    int Count { get; }

    /// <summary>The length of one input (a network's InputSize).</summary>
    int InputSize { get; }

    /// <summary>The length of one target (a network's OutputSize).</summary>
    int TargetSize { get; }

    /// <summary>The number of classes for classification (labels are 0..Classes−1), or 0 when the samples have no labels.</summary>
    int Classes { get; }

    /// <summary>Writes input <paramref name="index"/> to <paramref name="input"/> (<see cref="InputSize"/> values).</summary>
    void GetInput(int index, Span<T> input);

    /// <summary>Writes target <paramref name="index"/> to <paramref name="target"/> (<see cref="TargetSize"/> values; one-hot for a label).</summary>
    void GetTarget(int index, Span<T> target);

    /// <summary>The class of sample <paramref name="index"/>, or −1 when the samples have no labels.</summary>
    int Label(int index);
}
