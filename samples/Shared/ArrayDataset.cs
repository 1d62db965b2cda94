using System;
using NetCompiler.Training;

namespace NetCompiler.Samples;

/// <summary>
/// Labeled samples held in memory as float arrays (one per sample) for <see cref="Trainer{T}"/>: inputs as given,
/// targets one-hot. Shared by the samples that make their own synthetic data (linked into each project).
/// </summary>
internal sealed class ArrayDataset : IDataset<float>
{
    private readonly float[][] _inputs;
    private readonly int[] _labels;

    public ArrayDataset(float[][] inputs, int[] labels, int classes)
    {
        if (inputs.Length != labels.Length) throw new ArgumentException($"{inputs.Length} inputs but {labels.Length} labels");
        if (inputs.Length == 0) throw new ArgumentException("no samples", nameof(inputs));
        _inputs = inputs;
        _labels = labels;
        Classes = classes;
        InputSize = inputs[0].Length;
    }

    public int Count => _inputs.Length;

    public int InputSize { get; }

    public int TargetSize => Classes;

    public int Classes { get; }

    public void GetInput(int index, Span<float> input) => _inputs[index].CopyTo(input);

    public void GetTarget(int index, Span<float> target)
    {
        target.Clear();
        target[_labels[index]] = 1;
    }

    public int Label(int index) => _labels[index];
}
