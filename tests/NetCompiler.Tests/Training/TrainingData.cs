using System;
using System.Numerics;
using NetCompiler.Training;

namespace NetCompiler.Tests.Training;

/// <summary>An in-memory data set: rows of inputs and targets and optional labels (Classes 0 when there are none).</summary>
public sealed class ArrayDataset<T> : IDataset<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[][] _inputs, _targets;
    private readonly int[]? _labels;

    public ArrayDataset(T[][] inputs, T[][] targets, int[]? labels, int classes)
    {
        _inputs = inputs;
        _targets = targets;
        _labels = labels;
        Classes = classes;
    }

    /// <summary>Labeled samples with one-hot targets.</summary>
    public static ArrayDataset<T> Labeled(T[][] inputs, int[] labels, int classes)
    {
        var targets = new T[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            targets[i] = new T[classes];
            targets[i][labels[i]] = T.One;
        }
        return new ArrayDataset<T>(inputs, targets, labels, classes);
    }

    public int Count => _inputs.Length;
    public int InputSize => _inputs.Length > 0 ? _inputs[0].Length : 0;
    public int TargetSize => _targets.Length > 0 ? _targets[0].Length : 0;
    public int Classes { get; }
    public void GetInput(int index, Span<T> input) => _inputs[index].CopyTo(input);
    public void GetTarget(int index, Span<T> target) => _targets[index].CopyTo(target);
    public int Label(int index) => _labels is null ? -1 : _labels[index];
}

/// <summary>A data set with every size set by hand, for validation messages.</summary>
public sealed class ShapeOnlyDataset<T>(int count, int inputSize, int targetSize, int classes) : IDataset<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public int Count => count;
    public int InputSize => inputSize;
    public int TargetSize => targetSize;
    public int Classes => classes;
    public void GetInput(int index, Span<T> input) => input.Clear();
    public void GetTarget(int index, Span<T> target) => target.Clear();
    public int Label(int index) => classes > 0 ? 0 : -1;
}

/// <summary>
/// Gaussian blobs: three classes in the plane around (−2, −1), (2, −1) and (0, 2) with σ = 0.7 (seeded Box–Muller), so
/// that about 99% of the points are on their class's side of the optimal boundaries.
/// </summary>
public static class Blobs
{
    public const int Classes = 3;
    private static readonly (double X, double Y)[] Centers = [(-2, -1), (2, -1), (0, 2)];

    public static ArrayDataset<T> Create<T>(int count, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var inputs = new T[count][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % Classes;
            double radius = 0.7 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())), angle = 2 * Math.PI * random.NextDouble();
            inputs[i] = [T.CreateTruncating(Centers[label].X + radius * Math.Cos(angle)), T.CreateTruncating(Centers[label].Y + radius * Math.Sin(angle))];
            labels[i] = label;
        }
        return ArrayDataset<T>.Labeled(inputs, labels, Classes);
    }
}
