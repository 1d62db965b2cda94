using System;
using System.Numerics;

namespace NetCompiler.Training;

/// <summary>
/// Samples held in memory, one array per input and per target, with optional class labels: the data set for data
/// made in the program (synthetic sets, small tables). The arrays are used as given, not copied; do not change them
/// while a trainer reads them.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class ArrayDataset<T> : IDataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _inputs, _targets;
    private readonly int[]? _labels;

    /// <summary>
    /// Samples with the given targets; <paramref name="labels"/> (classes 0..<paramref name="classes"/>−1) may be null
    /// for unlabeled data, with <paramref name="classes"/> 0.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays disagree in count or length, or a label is out of range; the message says which.</exception>
    public ArrayDataset(T[][] inputs, T[][] targets, int[]? labels = null, int classes = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length != inputs.Length)
            throw new ArgumentException($"There are {inputs.Length} inputs but {targets.Length} targets.", nameof(targets));
        if (labels is not null && labels.Length != inputs.Length)
            throw new ArgumentException($"There are {inputs.Length} inputs but {labels.Length} labels.", nameof(labels));
        if (classes < 0 || (labels is null) != (classes == 0))
            throw new ArgumentException($"Labeled data needs classes ≥ 1 and unlabeled data classes = 0; got {classes} classes with{(labels is null ? "out" : "")} labels.", nameof(classes));
        InputSize = inputs.Length > 0 ? inputs[0]?.Length ?? 0 : 0;
        TargetSize = targets.Length > 0 ? targets[0]?.Length ?? 0 : 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null || inputs[i].Length != InputSize)
                throw new ArgumentException($"Input {i} has {inputs[i]?.Length.ToString() ?? "no"} values; input 0 has {InputSize}.", nameof(inputs));
            if (targets[i] is null || targets[i].Length != TargetSize)
                throw new ArgumentException($"Target {i} has {targets[i]?.Length.ToString() ?? "no"} values; target 0 has {TargetSize}.", nameof(targets));
            if (labels is not null && (uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"Label {i} is {labels[i]}; labels must be 0 to {classes - 1}.", nameof(labels));
        }
        _inputs = inputs;
        _targets = targets;
        _labels = labels;
        Classes = classes;
    }

    /// <summary>Labeled samples with one-hot targets of length <paramref name="classes"/>.</summary>
    /// <exception cref="ArgumentException">The counts disagree or a label is out of range.</exception>
    public static ArrayDataset<T> Labeled(T[][] inputs, int[] labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Labeled data needs at least one class.");
        if (labels.Length != inputs.Length)
            throw new ArgumentException($"There are {inputs.Length} inputs but {labels.Length} labels.", nameof(labels));
        var targets = new T[labels.Length][];
        for (int i = 0; i < labels.Length; i++)
        {
            targets[i] = new T[classes];
            if ((uint)labels[i] < (uint)classes) targets[i][labels[i]] = T.One; // out of range: reported by the constructor
        }
        return new ArrayDataset<T>(inputs, targets, labels, classes);
    }

    /// <inheritdoc/>
    public int Count => _inputs.Length;

    /// <inheritdoc/>
    public int InputSize { get; }

    /// <inheritdoc/>
    public int TargetSize { get; }

    /// <inheritdoc/>
    public int Classes { get; }

    /// <inheritdoc/>
    public void GetInput(int index, Span<T> input) => _inputs[index].CopyTo(input);

    /// <inheritdoc/>
    public void GetTarget(int index, Span<T> target) => _targets[index].CopyTo(target);

    /// <inheritdoc/>
    public int Label(int index) => _labels is null ? -1 : _labels[index];
}
