using System;
using System.Globalization;
using System.Numerics;
using Xunit.Sdk;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Assertions on vectors of floating-point numbers whose failure messages say how far off the worst entry is and where.
/// </summary>
/// <remarks>
/// <para>
/// Entry i passes when <c>|a_i − e_i| ≤ τ·|e_i| + K·u·‖e‖∞</c> (numpy.allclose with a scaled absolute term): τ the
/// relative tolerance, <c>‖e‖∞ = max_k |e_k|</c> over the expected vector, u the unit roundoff of the type under
/// test (2⁻²⁴ for float, 2⁻⁵³ for double) and K = <see cref="DefaultFloorUlps"/> unless given. The reported
/// difference is <c>|a_i − e_i| / (|e_i| + K·u·‖e‖∞/τ)</c>, which is ≤ τ exactly when the entry passes, and is
/// the plain relative difference for entries that are not tiny.
/// </para>
/// <para>
/// Why not a purely elementwise relative error: entries near zero (an activity, sensitivity or gradient that is a
/// sum of ordinary-sized terms which nearly cancel) carry rounding error proportional to the size of the terms, not
/// to the small result, so a purely relative test demands sub-ulp accuracy there, and calls a correct 1e-19 against
/// 2e-19 a 100% error. The vector's largest entry is the natural size of its terms, and K ulps of it is the rounding
/// a correct computation in that type can leave. Because u belongs to the tested type, the floor moves with the
/// precision: for double at τ = 1e-12 it takes over below about 2e-3·‖e‖∞, for float at τ = 1e-5 below about
/// 0.1·‖e‖∞. NaN or infinite actual values always fail unless equal to the expected value.
/// </para>
/// </remarks>
public static class NumericAssert
{
    /// <summary>K: the absolute allowance in units of roundoff of the vector's largest entry.</summary>
    public const double DefaultFloorUlps = 16;

    /// <summary>Fails unless every entry of <paramref name="actual"/> is within <paramref name="tolerance"/> of <paramref name="expected"/> (see the class remarks).</summary>
    /// <param name="expected">The reference values.</param>
    /// <param name="actual">The values under test; their type sets the roundoff u.</param>
    /// <param name="tolerance">τ, the relative tolerance.</param>
    /// <param name="what">What is compared, for the message (e.g. "gradients of 3-5-2").</param>
    /// <param name="locate">Optional: names an index, e.g. "W^2 [1, 4]" (see <see cref="ParameterName"/>).</param>
    /// <param name="floorUlps">K, the absolute allowance in ulps of the largest expected entry.</param>
    public static void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double tolerance, string what,
        Func<int, string>? locate = null, double floorUlps = DefaultFloorUlps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        Difference worst = Worst(expected, actual, tolerance, floorUlps);
        if (worst.Value <= tolerance) return;
        string where = worst.Index.ToString(CultureInfo.InvariantCulture) + (locate is null ? "" : " (" + locate(worst.Index) + ")");
        double e = expected[worst.Index], a = double.CreateTruncating(actual[worst.Index]);
        throw new XunitException(
            $"{what}: worst difference {G(worst.Value)} > tolerance {G(tolerance)} at [{where}]: " +
            $"expected {G(e)}, actual {G(a)}, |a − e| = {G(Math.Abs(a - e))} " +
            $"(denominator {G(worst.Scale)}, largest |e| {G(worst.Largest)}, {expected.Length} values).");
    }

    /// <summary>One value of type <typeparamref name="T"/> against a double reference, as a vector of one.</summary>
    public static void Close<T>(double expected, T actual, double tolerance, string what)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Close<T>(new[] { expected }, new[] { actual }, tolerance, what);

    /// <summary>A scalar version: |a − e| / |e| (absolute if e = 0).</summary>
    public static void Close(double expected, double actual, double tolerance, string what)
    {
        if (actual.Equals(expected)) return; // also the same infinity, or NaN against NaN
        double scale = Math.Abs(expected);
        double difference = scale > 0 ? Math.Abs(actual - expected) / scale : Math.Abs(actual - expected);
        if (difference <= tolerance) return;
        throw new XunitException($"{what}: difference {G(difference)} > tolerance {G(tolerance)}: expected {G(expected)}, actual {G(actual)}.");
    }

    /// <summary>The worst difference as defined in the class remarks, its index and its denominator.</summary>
    public static Difference Worst<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double tolerance,
        double floorUlps = DefaultFloorUlps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double largest = 0;
        foreach (double e in expected)
            if (double.IsFinite(e)) largest = Math.Max(largest, Math.Abs(e));
        double floor = floorUlps * UnitRoundoff<T>() * largest / tolerance;

        var worst = new Difference(0, 0, 0, largest);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = double.CreateTruncating(actual[i]);
            double scale = Math.Abs(e) + floor;
            double difference;
            if (a.Equals(e)) difference = 0;
            else if (!double.IsFinite(a) || !double.IsFinite(e)) difference = double.PositiveInfinity;
            else difference = scale > 0 ? Math.Abs(a - e) / scale : double.PositiveInfinity;
            if (difference > worst.Value) worst = new Difference(difference, i, scale, largest);
        }
        return worst;
    }

    /// <summary>u = 2^−p for a type with p significand bits: 1 minus the largest value below 1.</summary>
    public static double UnitRoundoff<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => double.CreateTruncating(T.One - T.BitDecrement(T.One));

    /// <summary>Names parameter <paramref name="index"/> of <paramref name="topology"/> as "W^2 [i, j]" or "b^2 [i]".</summary>
    public static string ParameterName(NetworkTopology topology, int index)
    {
        foreach (LayerShape layer in topology.Layers)
        {
            if (index < layer.WeightOffset || index >= layer.BiasOffset + layer.Outputs) continue;
            string l = "^" + layer.Number.ToString(CultureInfo.InvariantCulture);
            if (index >= layer.BiasOffset) return $"b{l} [{index - layer.BiasOffset}]";
            int k = index - layer.WeightOffset;
            return $"W{l} [{k / layer.Inputs}, {k % layer.Inputs}]";
        }
        return "outside the parameters";
    }

    private static string G(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>One entry's difference, where it is, the denominator it was divided by, and the largest |e|.</summary>
    public readonly record struct Difference(double Value, int Index, double Scale, double Largest);
}
