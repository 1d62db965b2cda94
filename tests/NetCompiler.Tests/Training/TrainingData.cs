using System;
using System.Numerics;
using NetCompiler.Training;

namespace NetCompiler.Tests.Training;

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
