using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetCompiler;

/// <summary>
/// Branch-free <see cref="Vector256{T}"/> approximations of the transcendental functions that generated kernels need,
/// small enough for the JIT to inline them (every member is <see cref="MethodImplOptions.AggressiveInlining"/>).
/// </summary>
/// <remarks>
/// <para>
/// Generated hot loops must stay call-free: a call the JIT does not inline (<c>Vector256.Exp</c> was one) forces it to
/// spill the loop's accumulators. These members use only hardware intrinsics and <see cref="Vector256"/> operators, no
/// tables, no allocations and no branches (out-of-range lanes are fixed up with masks).
/// </para>
/// <para>
/// The error bounds in the member documentation are relative, |computed − exact| / |exact|, for inputs whose exact
/// result is a normal number. The test suite asserts them over dense sweeps (millions of points; run with and without
/// FMA); "measured worst" is the largest error those sweeps found. Results depend only on <see cref="Fma.IsSupported"/>:
/// without FMA the products are rounded separately and results may differ in the last bit (within the same bounds).
/// The scalar overloads evaluate the same code on a broadcast vector, so a scalar tail agrees bit for bit with the
/// vector lanes.
/// </para>
/// </remarks>
public static class VectorMath
{
    // ---- exp, single precision -----------------------------------------------------------------------------------
    // exp(x) = 2^n · e^r with n = round(x·log2 e) and r = x − n·ln 2, |r| ≤ ln2/2 (+ rounding slack). ln 2 is split
    // into C1 + C2 with C1 short enough that n·C1 is exact (Cephes). e^r = 1 + r + r²·q(r), q a degree-4 near-minimax
    // (Chebyshev) fit of (e^r − 1 − r)/r² on [−0.3467, 0.3467]. 2^n is applied by adding n to the exponent field of the
    // polynomial's bits, which is valid exactly when the result is a normal number; the two thresholds below select
    // +∞ / +0 for the other lanes.

    private const float ExpOverflowF = 88.72283172607422f;    // largest float whose exp is finite
    private const float ExpUnderflowF = -87.33654022216797f;  // smallest float whose exp is ≥ 2^−126 (normal)
    private const float Log2EF = 1.44269504088896341f;
    private const float RoundShiftF = 12582912f;              // 1.5·2^23: adding it rounds to an integer in the low bits
    private const float Ln2HiF = 0.693359375f;
    private const float Ln2LoF = -2.1219444170128554e-4f;
    private const float ExpQ0F = 0.5f;
    private const float ExpQ1F = 0.16666576266288757f;
    private const float ExpQ2F = 0.041666556149721146f;
    private const float ExpQ3F = 0.008363190107047558f;
    private const float ExpQ4F = 0.0013926198007538915f;

    // ---- exp, double precision ---------------------------------------------------------------------------------------
    // Same scheme; q has degree 9 (error of the fit 1.3e−17 absolute).

    private const double ExpOverflowD = 709.782712893384;      // largest double whose exp is finite
    private const double ExpUnderflowD = -708.3964185322641;   // smallest double whose exp is ≥ 2^−1022 (normal)
    private const double Log2ED = 1.4426950408889634;
    private const double RoundShiftD = 6755399441055744.0;     // 1.5·2^52
    private const double Ln2HiD = 6.93145751953125E-1;
    private const double Ln2LoD = 1.4286068203094173e-06;
    private const double ExpQ0D = 0.5000000000000001;
    private const double ExpQ1D = 0.16666666666666669;
    private const double ExpQ2D = 0.041666666666624066;
    private const double ExpQ3D = 0.008333333333330056;
    private const double ExpQ4D = 0.0013888888917245787;
    private const double ExpQ5D = 0.0001984126986307828;
    private const double ExpQ6D = 2.4801521246131495e-05;
    private const double ExpQ7D = 2.7557268421682613e-06;
    private const double ExpQ8D = 2.7620112139572367e-07;
    private const double ExpQ9D = 2.510040371657669e-08;

    // ---- tanh --------------------------------------------------------------------------------------------------------
    // Cephes tanhf / tanh: for |x| < 0.625 tanh x = x + x·s·P(s), s = x² (double: x + x·s·P(s)/Q(s)); otherwise
    // tanh|x| = 1 − 2/(e^(2|x|) + 1). Neither form cancels in its own range. The sign is copied from x, so tanh is
    // exactly odd.

    private const float TanhSmallF = 0.625f;
    private const float TanhP0F = -3.33332819422e-1f;
    private const float TanhP1F = 1.33314422036e-1f;
    private const float TanhP2F = -5.37397155531e-2f;
    private const float TanhP3F = 2.06390887954e-2f;
    private const float TanhP4F = -5.70498872745e-3f;

    private const double TanhSmallD = 0.625;
    private const double TanhP0D = -1.61468768441708447952E3;
    private const double TanhP1D = -9.92877231001918586564E1;
    private const double TanhP2D = -9.64399179425052238628E-1;
    private const double TanhQ0D = 4.84406305325125486048E3;
    private const double TanhQ1D = 2.23548839060100448583E3;
    private const double TanhQ2D = 1.12811678491632931402E2;

    /// <summary>Computes a·b + c per lane, fused (a single rounding) when <see cref="Fma.IsSupported"/>.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The addend.</param>
    /// <returns>a·b + c.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>Computes a·b + c per lane, fused (a single rounding) when <see cref="Fma.IsSupported"/>.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The addend.</param>
    /// <returns>a·b + c.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> c)
        => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>Computes c − a·b per lane, fused (a single rounding) when <see cref="Fma.IsSupported"/>.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The value the product is subtracted from.</param>
    /// <returns>c − a·b.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAddNegated(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => Fma.IsSupported ? Fma.MultiplyAddNegated(a, b, c) : c - a * b;

    /// <summary>Computes c − a·b per lane, fused (a single rounding) when <see cref="Fma.IsSupported"/>.</summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The value the product is subtracted from.</param>
    /// <returns>c − a·b.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> MultiplyAddNegated(Vector256<double> a, Vector256<double> b, Vector256<double> c)
        => Fma.IsSupported ? Fma.MultiplyAddNegated(a, b, c) : c - a * b;

    /// <summary>
    /// Computes a·b + c exactly as one lane of <see cref="MultiplyAdd(Vector256{float}, Vector256{float}, Vector256{float})"/>
    /// does (fused when <see cref="Fma.IsSupported"/>), for scalar tails of vector loops.
    /// </summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The addend.</param>
    /// <returns>a·b + c.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c)
        => Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;

    /// <summary>
    /// Computes a·b + c exactly as one lane of <see cref="MultiplyAdd(Vector256{double}, Vector256{double}, Vector256{double})"/>
    /// does (fused when <see cref="Fma.IsSupported"/>), for scalar tails of vector loops.
    /// </summary>
    /// <param name="a">The first factor.</param>
    /// <param name="b">The second factor.</param>
    /// <param name="c">The addend.</param>
    /// <returns>a·b + c.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MultiplyAdd(double a, double b, double c)
        => Fma.IsSupported ? Math.FusedMultiplyAdd(a, b, c) : a * b + c;

    /// <summary>Computes e^x per lane.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>
    /// e^x with relative error at most 1.5e−7 (measured worst 9.1e−8) whenever e^x is a normal float, i.e. for
    /// −87.33654 ≤ x ≤ 88.72283. Above that e^x is +∞ (the correctly rounded result); below it the result is flushed
    /// to +0 instead of a subnormal (absolute error below 2^−126). exp(−∞) = 0, exp(+∞) = +∞, exp(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> shift = Vector256.Create(RoundShiftF);
        Vector256<float> t = MultiplyAdd(x, Vector256.Create(Log2EF), shift);   // low mantissa bits hold n
        Vector256<float> n = t - shift;
        Vector256<float> r = MultiplyAddNegated(n, Vector256.Create(Ln2HiF), x);
        r = MultiplyAddNegated(n, Vector256.Create(Ln2LoF), r);

        Vector256<float> q = MultiplyAdd(Vector256.Create(ExpQ4F), r, Vector256.Create(ExpQ3F));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ2F));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ1F));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ0F));
        Vector256<float> p = MultiplyAdd(r * r, q, r) + Vector256<float>.One;

        // (bits of t) << 23 == n << 23: the shift constant's bits are shifted out.
        Vector256<float> y = (p.AsInt32() + Vector256.ShiftLeft(t.AsInt32(), 23)).AsSingle();
        y = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpOverflowF)), Vector256.Create(float.PositiveInfinity), y);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpUnderflowF)), Vector256<float>.Zero, y);
    }

    /// <summary>Computes e^x per lane.</summary>
    /// <param name="x">The exponents.</param>
    /// <returns>
    /// e^x with relative error at most 3e−16 (measured worst 1.6e−16) whenever e^x is a normal double, i.e. for
    /// −708.3964185322641 ≤ x ≤ 709.782712893384. Above that e^x is +∞ (the correctly rounded result); below it the
    /// result is flushed to +0 instead of a subnormal (absolute error below 2^−1022). exp(−∞) = 0, exp(+∞) = +∞,
    /// exp(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
    {
        Vector256<double> shift = Vector256.Create(RoundShiftD);
        Vector256<double> t = MultiplyAdd(x, Vector256.Create(Log2ED), shift);
        Vector256<double> n = t - shift;
        Vector256<double> r = MultiplyAddNegated(n, Vector256.Create(Ln2HiD), x);
        r = MultiplyAddNegated(n, Vector256.Create(Ln2LoD), r);

        Vector256<double> q = MultiplyAdd(Vector256.Create(ExpQ9D), r, Vector256.Create(ExpQ8D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ7D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ6D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ5D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ4D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ3D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ2D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ1D));
        q = MultiplyAdd(q, r, Vector256.Create(ExpQ0D));
        Vector256<double> p = MultiplyAdd(r * r, q, r) + Vector256<double>.One;

        Vector256<double> y = (p.AsInt64() + Vector256.ShiftLeft(t.AsInt64(), 52)).AsDouble();
        y = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpOverflowD)), Vector256.Create(double.PositiveInfinity), y);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpUnderflowD)), Vector256<double>.Zero, y);
    }

    /// <summary>Computes tanh x per lane.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>
    /// tanh x with relative error at most 2.5e−7 (measured worst 1.4e−7) for every x, including subnormal and tiny
    /// x (where tanh x = x). Exactly odd: tanh(−x) = −tanh(x), tanh(±0) = ±0. tanh(±∞) = ±1, tanh(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> signBit = Vector256.Create(-0.0f);
        Vector256<float> ax = Vector256.AndNot(x, signBit);

        Vector256<float> s = ax * ax;
        Vector256<float> ps = MultiplyAdd(Vector256.Create(TanhP4F), s, Vector256.Create(TanhP3F));
        ps = MultiplyAdd(ps, s, Vector256.Create(TanhP2F));
        ps = MultiplyAdd(ps, s, Vector256.Create(TanhP1F));
        ps = MultiplyAdd(ps, s, Vector256.Create(TanhP0F));
        Vector256<float> small = MultiplyAdd(ax * s, ps, ax);

        // e = +∞ for large |x| gives 1 − 0 = 1.
        Vector256<float> e = Exp(ax + ax);
        Vector256<float> large = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);

        // NaN compares false and takes the polynomial, which propagates it.
        Vector256<float> z = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(ax, Vector256.Create(TanhSmallF)), large, small);
        return z | (x & signBit);
    }

    /// <summary>Computes tanh x per lane.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>
    /// tanh x with relative error at most 4e−16 (measured worst 2.7e−16) for every x, including subnormal and tiny
    /// x (where tanh x = x). Exactly odd: tanh(−x) = −tanh(x), tanh(±0) = ±0. tanh(±∞) = ±1, tanh(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        Vector256<double> signBit = Vector256.Create(-0.0);
        Vector256<double> ax = Vector256.AndNot(x, signBit);

        // Both branches have the form base + num/den, so a single division serves both:
        // small: x + (x·s·P(s)) / Q(s); large: 1 + (−2) / (e + 1), where e = +∞ gives 1 − 0 = 1.
        Vector256<double> s = ax * ax;
        Vector256<double> ps = MultiplyAdd(Vector256.Create(TanhP2D), s, Vector256.Create(TanhP1D));
        ps = MultiplyAdd(ps, s, Vector256.Create(TanhP0D));
        Vector256<double> qs = s + Vector256.Create(TanhQ2D);
        qs = MultiplyAdd(qs, s, Vector256.Create(TanhQ1D));
        qs = MultiplyAdd(qs, s, Vector256.Create(TanhQ0D));
        Vector256<double> e = Exp(ax + ax);

        // NaN compares false and takes the rational branch, which propagates it.
        Vector256<double> isLarge = Vector256.GreaterThanOrEqual(ax, Vector256.Create(TanhSmallD));
        Vector256<double> num = Vector256.ConditionalSelect(isLarge, Vector256.Create(-2.0), ax * s * ps);
        Vector256<double> den = Vector256.ConditionalSelect(isLarge, e + Vector256<double>.One, qs);
        Vector256<double> bas = Vector256.ConditionalSelect(isLarge, Vector256<double>.One, ax);
        Vector256<double> z = bas + num / den;
        return z | (x & signBit);
    }

    /// <summary>Computes the logistic function σ(x) = 1 / (1 + e^(−x)) per lane.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>
    /// σ(x) with relative error at most 2.5e−7 (measured worst 1.5e−7) whenever σ(x) is a normal float
    /// (x ≥ −87.33654); below that the result is subnormal or +0 (absolute error below 2^−126).
    /// σ(+∞) = 1, σ(−∞) = 0, σ(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
        => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>Computes the logistic function σ(x) = 1 / (1 + e^(−x)) per lane.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>
    /// σ(x) with relative error at most 4e−16 (measured worst 2.7e−16) whenever σ(x) is a normal double
    /// (x ≥ −708.3964185322641); below that the result is subnormal or +0 (absolute error below 2^−1022).
    /// σ(+∞) = 1, σ(−∞) = 0, σ(NaN) = NaN.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Sigmoid(Vector256<double> x)
        => Vector256<double>.One / (Vector256<double>.One + Exp(-x));

    /// <summary>Computes e^x exactly as one lane of <see cref="Exp(Vector256{float})"/> does (same value, same bounds).</summary>
    /// <param name="x">The exponent.</param>
    /// <returns>e^x; see <see cref="Exp(Vector256{float})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => Exp(Vector256.Create(x)).ToScalar();

    /// <summary>Computes e^x exactly as one lane of <see cref="Exp(Vector256{double})"/> does (same value, same bounds).</summary>
    /// <param name="x">The exponent.</param>
    /// <returns>e^x; see <see cref="Exp(Vector256{double})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x) => Exp(Vector256.Create(x)).ToScalar();

    /// <summary>Computes tanh x exactly as one lane of <see cref="Tanh(Vector256{float})"/> does (same value, same bounds).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>tanh x; see <see cref="Tanh(Vector256{float})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => Tanh(Vector256.Create(x)).ToScalar();

    /// <summary>Computes tanh x exactly as one lane of <see cref="Tanh(Vector256{double})"/> does (same value, same bounds).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>tanh x; see <see cref="Tanh(Vector256{double})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x) => Tanh(Vector256.Create(x)).ToScalar();

    /// <summary>Computes σ(x) exactly as one lane of <see cref="Sigmoid(Vector256{float})"/> does (same value, same bounds).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>σ(x); see <see cref="Sigmoid(Vector256{float})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => Sigmoid(Vector256.Create(x)).ToScalar();

    /// <summary>Computes σ(x) exactly as one lane of <see cref="Sigmoid(Vector256{double})"/> does (same value, same bounds).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>σ(x); see <see cref="Sigmoid(Vector256{double})"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x) => Sigmoid(Vector256.Create(x)).ToScalar();
}
