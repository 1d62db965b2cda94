using System;
using System.Globalization;
using System.Numerics;
using Xunit.Sdk;

namespace NetCompiler.Tests.Support;

/// <summary>How close a computed vector must be to a reference vector.</summary>
/// <param name="Relative">The largest allowed |actual − expected| / scale.</param>
/// <param name="FloorFraction">
/// The scale of an entry is max(|expected_k|, FloorFraction·max_j |expected_j|, 1e-12): entries much smaller than the
/// vector's largest one (after cancellation, or a ReLU's exact zeros) are judged against a fraction of the largest
/// instead of their own tiny size, whose relative error means nothing; the 1e-12 keeps an all-zero vector exact
/// to 1e-12·Relative.
/// </param>
public readonly record struct Tolerance(double Relative, double FloorFraction)
{
    /// <inheritdoc/>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0:G3} relative, floor {1:G3}·max", Relative, FloorFraction);
}

/// <summary>Compares vectors entry by entry relative to a scale (see <see cref="Tolerance.FloorFraction"/>).</summary>
public static class RelativeComparison
{
    /// <summary>The absolute floor of every scale.</summary>
    public const double AbsoluteFloor = 1e-12;

    /// <summary>
    /// Fails unless every |actual_k − expected_k| ≤ tolerance.Relative · max(|expected_k|,
    /// tolerance.FloorFraction · max_j |expected_j|, 1e-12); the message names <paramref name="quantity"/> and the
    /// worst entry: its index, both values, its scale and its relative difference.
    /// </summary>
    public static void AssertClose<T>(string quantity, ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, Tolerance tolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (actual.Length != expected.Length)
            throw new XunitException($"{quantity}: expected {expected.Length} values, got {actual.Length}.");

        double largest = 0;
        foreach (double e in expected) largest = Math.Max(largest, Math.Abs(e));
        double floor = Math.Max(tolerance.FloorFraction * largest, AbsoluteFloor);

        double worst = -1;
        int worstIndex = -1;
        for (int k = 0; k < expected.Length; k++)
        {
            double a = double.CreateTruncating(actual[k]);
            double difference = Math.Abs(a - expected[k]);
            double relative = double.IsNaN(difference) ? double.PositiveInfinity : difference / Math.Max(Math.Abs(expected[k]), floor);
            if (relative > worst)
            {
                worst = relative;
                worstIndex = k;
            }
        }

        if (worst > tolerance.Relative)
        {
            double a = double.CreateTruncating(actual[worstIndex]);
            throw new XunitException(string.Format(CultureInfo.InvariantCulture,
                "{0}: worst relative difference {1:E3} exceeds {2} at index {3} of {4}: expected {5:R}, actual {6:R}, " +
                "difference {7:E3}, scale {8:E3}.",
                quantity, worst, tolerance, worstIndex, expected.Length, expected[worstIndex], a,
                Math.Abs(a - expected[worstIndex]), Math.Max(Math.Abs(expected[worstIndex]), floor)));
        }
    }

    /// <summary>Compares one number, relative to max(|expected|, 1e-12).</summary>
    public static void AssertClose<T>(string quantity, double expected, T actual, Tolerance tolerance)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        AssertClose<T>(quantity, new[] { expected }, new[] { actual }, tolerance);
}
