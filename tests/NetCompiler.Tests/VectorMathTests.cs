using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetCompiler;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests;

/// <summary>
/// Accuracy, special values and inlinability of <see cref="VectorMath"/>. The accuracy tests sweep dense grids (linear
/// over the useful range, log-spaced bit patterns from the smallest subnormal up, and runs of consecutive floats around
/// every threshold) and compare with a reference: <see cref="Math"/> in double for the float functions (error ~1e−16,
/// negligible), double-double arithmetic for the double functions (Math.Tanh itself is up to 2 ulp off).
/// </summary>
public class VectorMathTests
{
    // The bounds documented on the VectorMath members; keep them in sync.
    private const double ExpSingleBound = 1.5e-7;
    private const double TanhSingleBound = 4e-7;
    private const double SigmoidSingleBound = 2.5e-7;
    private const double ExpDoubleBound = 3e-16;
    private const double TanhDoubleBound = 4e-16;
    private const double SigmoidDoubleBound = 4e-16;

    private const double SingleMinNormal = 1.1754943508222875e-38;   // 2^−126
    private const double DoubleMinNormal = 2.2250738585072014e-308;  // 2^−1022

    private readonly ITestOutputHelper _output;

    public VectorMathTests(ITestOutputHelper output) => _output = output;

    // ---- accuracy, single precision ----------------------------------------------------------------------------------

    [Fact]
    public void ExpSingleIsWithinDocumentedBound()
    {
        float[] xs = SingleGrid(-104f, 90f, 1 << 20, 104f, 1 << 18,
            88.72283172607422f, -87.33654022216797f, 0f, 0.34657359f, -0.34657359f, 1e-8f);
        SweepSingle("Exp(Vector256<float>)", xs, VectorMath.Exp, VectorMath.Exp, x => Math.Exp(x), ExpSingleBound, odd: false);
    }

    /// <summary>The Vector512 tanh is the Vector256 one lane for lane, bit for bit (where Vector512 is accelerated).</summary>
    [Fact]
    public void TanhVector512MatchesVector256Bitwise()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;
        var xs = new float[1 << 16];
        var random = new Random(7);
        for (int k = 0; k < xs.Length; k++) xs[k] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-30, 5)));
        xs[0] = 0f; xs[1] = -0f; xs[2] = float.PositiveInfinity; xs[3] = float.NegativeInfinity; xs[4] = float.NaN; xs[5] = 8f; xs[6] = 8.000001f;
        for (int k = 0; k < xs.Length; k += 16)
        {
            var wide = VectorMath.Tanh(System.Runtime.Intrinsics.Vector512.Create(xs, k));
            var low = VectorMath.Tanh(System.Runtime.Intrinsics.Vector256.Create(xs, k));
            var high = VectorMath.Tanh(System.Runtime.Intrinsics.Vector256.Create(xs, k + 8));
            for (int lane = 0; lane < 16; lane++)
            {
                float expected = lane < 8 ? low.GetElement(lane) : high.GetElement(lane - 8);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(wide.GetElement(lane)),
                    $"tanh({xs[k + lane]:R}): Vector512 {wide.GetElement(lane):R}, Vector256 {expected:R}");
            }
        }
    }

    [Fact]
    public void TanhSingleIsWithinDocumentedBound()
    {
        float[] xs = SingleGrid(-12f, 12f, 1 << 20, 12f, 1 << 18, 8f, -8f, 8.1f, 9.0109129f, 0.625f, 1e-30f, 1e-8f);
        SweepSingle("Tanh(Vector256<float>)", xs, VectorMath.Tanh, VectorMath.Tanh, Math.Tanh, TanhSingleBound, odd: true);
        foreach (float x in xs)
            Assert.True(!(Math.Abs(VectorMath.Tanh(x)) > 1f), $"|tanh({x:R})| = {Math.Abs(VectorMath.Tanh(x)):R} > 1");
    }

    [Fact]
    public void SigmoidSingleIsWithinDocumentedBound()
    {
        float[] xs = SingleGrid(-105f, 30f, 1 << 20, 105f, 1 << 18, -88.72283172607422f, 87.33654022216797f, -87.33654022216797f, 0f,
            87.5f, -87.5f, -16.6355324f);
        SweepSingle("Sigmoid(Vector256<float>)", xs, VectorMath.Sigmoid, VectorMath.Sigmoid, x => 1.0 / (1.0 + Math.Exp(-x)), SigmoidSingleBound, odd: false);
    }

    // ---- accuracy, double precision ----------------------------------------------------------------------------------

    [Fact]
    public void ExpDoubleIsWithinDocumentedBound()
    {
        double[] xs = DoubleGrid(-746, 711, 1 << 19, 746, 1 << 17,
            709.782712893384, -708.3964185322641, 0, 0.34657359027997264, -0.34657359027997264, 1e-8);
        SweepDouble("Exp(Vector256<double>)", xs, VectorMath.Exp, VectorMath.Exp, ExpReference, Math.Exp, ExpDoubleBound, odd: false);
    }

    [Fact]
    public void TanhDoubleIsWithinDocumentedBound()
    {
        double[] xs = DoubleGrid(-22, 22, 1 << 19, 22, 1 << 17, 0.625, -0.625, 19.1, 1e-300, 1e-8);
        SweepDouble("Tanh(Vector256<double>)", xs, VectorMath.Tanh, VectorMath.Tanh, TanhReference, Math.Tanh, TanhDoubleBound, odd: true);
    }

    [Fact]
    public void SigmoidDoubleIsWithinDocumentedBound()
    {
        double[] xs = DoubleGrid(-746, 40, 1 << 19, 746, 1 << 17, -709.782712893384, 708.3964185322641, -708.3964185322641, 0);
        SweepDouble("Sigmoid(Vector256<double>)", xs, VectorMath.Sigmoid, VectorMath.Sigmoid, SigmoidReference,
            x => 1.0 / (1.0 + Math.Exp(-x)), SigmoidDoubleBound, odd: false);
    }

    // ---- special values ----------------------------------------------------------------------------------------------

    [Fact]
    public void SpecialValuesSingle()
    {
        Assert.Equal(0f, VectorMath.Exp(float.NegativeInfinity));
        Assert.True(BitConverter.SingleToInt32Bits(VectorMath.Exp(float.NegativeInfinity)) == 0, "exp(−∞) must be +0");
        Assert.Equal(float.PositiveInfinity, VectorMath.Exp(float.PositiveInfinity));
        Assert.Equal(float.PositiveInfinity, VectorMath.Exp(float.MaxValue));
        Assert.Equal(0f, VectorMath.Exp(float.MinValue));
        Assert.Equal(1f, VectorMath.Exp(0f));
        Assert.Equal(1f, VectorMath.Exp(-0f));
        Assert.True(float.IsNaN(VectorMath.Exp(float.NaN)));
        Assert.True(float.IsFinite(VectorMath.Exp(88.72283172607422f)));
        Assert.Equal(float.PositiveInfinity, VectorMath.Exp(MathF.BitIncrement(88.72283172607422f)));
        Assert.True(VectorMath.Exp(-87.33654022216797f) >= (float)SingleMinNormal);
        Assert.Equal(0f, VectorMath.Exp(MathF.BitDecrement(-87.33654022216797f)));

        Assert.Equal(1f, VectorMath.Tanh(float.PositiveInfinity));
        Assert.Equal(-1f, VectorMath.Tanh(float.NegativeInfinity));
        Assert.Equal(1f, VectorMath.Tanh(float.MaxValue));
        Assert.Equal(-1f, VectorMath.Tanh(float.MinValue));
        Assert.True(float.IsNaN(VectorMath.Tanh(float.NaN)));
        AssertSameBits(0f, VectorMath.Tanh(0f));
        AssertSameBits(-0f, VectorMath.Tanh(-0f));
        AssertSameBits(float.Epsilon, VectorMath.Tanh(float.Epsilon));
        AssertSameBits(-float.Epsilon, VectorMath.Tanh(-float.Epsilon));
        AssertSameBits(1e-30f, VectorMath.Tanh(1e-30f));
        Assert.Equal(1f, VectorMath.Tanh(MathF.BitIncrement(8f)));   // saturated above 8
        Assert.Equal(-1f, VectorMath.Tanh(-MathF.BitIncrement(8f)));
        Assert.True(VectorMath.Tanh(8f) <= 1f);

        Assert.Equal(1f, VectorMath.Sigmoid(float.PositiveInfinity));
        Assert.Equal(0f, VectorMath.Sigmoid(float.NegativeInfinity));
        Assert.Equal(0.5f, VectorMath.Sigmoid(0f));
        Assert.Equal(0.5f, VectorMath.Sigmoid(-0f));
        Assert.True(float.IsNaN(VectorMath.Sigmoid(float.NaN)));
        Assert.Equal(1f, VectorMath.Sigmoid(MathF.BitIncrement(87.5f)));
        Assert.Equal(0f, VectorMath.Sigmoid(-MathF.BitIncrement(87.5f)));   // σ < 2^−126 there: +0 is allowed
        Assert.True(VectorMath.Sigmoid(-87.33654022216797f) >= (float)SingleMinNormal * 0.999f);
    }

    [Fact]
    public void SpecialValuesDouble()
    {
        Assert.Equal(0.0, VectorMath.Exp(double.NegativeInfinity));
        Assert.True(BitConverter.DoubleToInt64Bits(VectorMath.Exp(double.NegativeInfinity)) == 0, "exp(−∞) must be +0");
        Assert.Equal(double.PositiveInfinity, VectorMath.Exp(double.PositiveInfinity));
        Assert.Equal(double.PositiveInfinity, VectorMath.Exp(double.MaxValue));
        Assert.Equal(0.0, VectorMath.Exp(double.MinValue));
        Assert.Equal(1.0, VectorMath.Exp(0.0));
        Assert.Equal(1.0, VectorMath.Exp(-0.0));
        Assert.True(double.IsNaN(VectorMath.Exp(double.NaN)));
        Assert.True(double.IsFinite(VectorMath.Exp(709.782712893384)));
        Assert.Equal(double.PositiveInfinity, VectorMath.Exp(Math.BitIncrement(709.782712893384)));
        Assert.True(VectorMath.Exp(-708.3964185322641) >= DoubleMinNormal);
        Assert.Equal(0.0, VectorMath.Exp(Math.BitDecrement(-708.3964185322641)));

        Assert.Equal(1.0, VectorMath.Tanh(double.PositiveInfinity));
        Assert.Equal(-1.0, VectorMath.Tanh(double.NegativeInfinity));
        Assert.Equal(1.0, VectorMath.Tanh(double.MaxValue));
        Assert.Equal(-1.0, VectorMath.Tanh(double.MinValue));
        Assert.True(double.IsNaN(VectorMath.Tanh(double.NaN)));
        AssertSameBits(0.0, VectorMath.Tanh(0.0));
        AssertSameBits(-0.0, VectorMath.Tanh(-0.0));
        AssertSameBits(double.Epsilon, VectorMath.Tanh(double.Epsilon));
        AssertSameBits(-double.Epsilon, VectorMath.Tanh(-double.Epsilon));
        AssertSameBits(1e-300, VectorMath.Tanh(1e-300));

        Assert.Equal(1.0, VectorMath.Sigmoid(double.PositiveInfinity));
        Assert.Equal(0.0, VectorMath.Sigmoid(double.NegativeInfinity));
        Assert.Equal(0.5, VectorMath.Sigmoid(0.0));
        Assert.Equal(0.5, VectorMath.Sigmoid(-0.0));
        Assert.True(double.IsNaN(VectorMath.Sigmoid(double.NaN)));
    }

    [Fact]
    public void LanesAreIndependent()
    {
        // Mixed special and ordinary lanes must not disturb each other (all fix-ups are per-lane masks).
        var xf = Vector256.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 1e-30f, 0.5f, -100f, 100f);
        Vector256<float> ef = VectorMath.Exp(xf), tf = VectorMath.Tanh(xf), sf = VectorMath.Sigmoid(xf);
        for (int i = 0; i < Vector256<float>.Count; i++)
        {
            float x = xf.GetElement(i);
            AssertSameBits(VectorMath.Exp(x), ef.GetElement(i));
            AssertSameBits(VectorMath.Tanh(x), tf.GetElement(i));
            AssertSameBits(VectorMath.Sigmoid(x), sf.GetElement(i));
        }

        var xd = Vector256.Create(double.NaN, double.NegativeInfinity, 1e-300, 800.0);
        Vector256<double> ed = VectorMath.Exp(xd), td = VectorMath.Tanh(xd), sd = VectorMath.Sigmoid(xd);
        for (int i = 0; i < Vector256<double>.Count; i++)
        {
            double x = xd.GetElement(i);
            AssertSameBits(VectorMath.Exp(x), ed.GetElement(i));
            AssertSameBits(VectorMath.Tanh(x), td.GetElement(i));
            AssertSameBits(VectorMath.Sigmoid(x), sd.GetElement(i));
        }
    }

    [Fact]
    public void MultiplyAddIsFusedExactlyWhenFmaIsSupported()
    {
        // (1 + 2^−23)(1 − 2^−23) − 1 = −2^−46 exactly; rounding the product first gives 0.
        float a = 1f + MathF.Pow(2, -23), b = 1f - MathF.Pow(2, -23), c = -1f;
        float expected = Fma.IsSupported ? -MathF.Pow(2, -46) : a * b + c;
        Assert.Equal(expected, VectorMath.MultiplyAdd(Vector256.Create(a), Vector256.Create(b), Vector256.Create(c)).GetElement(3));
        Assert.Equal(expected, VectorMath.MultiplyAdd(a, b, c));
        Assert.Equal(-expected, VectorMath.MultiplyAddNegated(Vector256.Create(a), Vector256.Create(b), Vector256.Create(-c)).GetElement(5));

        double ad = 1 + Math.Pow(2, -52), bd = 1 - Math.Pow(2, -52), cd = -1;
        double expectedD = Fma.IsSupported ? -Math.Pow(2, -104) : ad * bd + cd;
        Assert.Equal(expectedD, VectorMath.MultiplyAdd(Vector256.Create(ad), Vector256.Create(bd), Vector256.Create(cd)).GetElement(1));
        Assert.Equal(expectedD, VectorMath.MultiplyAdd(ad, bd, cd));
        Assert.Equal(-expectedD, VectorMath.MultiplyAddNegated(Vector256.Create(ad), Vector256.Create(bd), Vector256.Create(-cd)).GetElement(2));

        Assert.Equal(Vector256.Create(7f), VectorMath.MultiplyAdd(Vector256.Create(2f), Vector256.Create(3f), Vector256.Create(1f)));
        Assert.Equal(Vector256.Create(-5.0), VectorMath.MultiplyAddNegated(Vector256.Create(2.0), Vector256.Create(3.0), Vector256.Create(1.0)));
    }

    // ---- inlinability ------------------------------------------------------------------------------------------------

    [Fact]
    public void EvenAndOddLanesDeinterleave()
    {
        Vector256<float> a = Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), b = Vector256.Create(8f, 9, 10, 11, 12, 13, 14, 15);
        Assert.Equal(Vector256.Create(0f, 2, 4, 6, 8, 10, 12, 14), VectorMath.EvenLanes(a, b));
        Assert.Equal(Vector256.Create(1f, 3, 5, 7, 9, 11, 13, 15), VectorMath.OddLanes(a, b));
        Vector256<double> c = Vector256.Create(0.0, 1, 2, 3), d = Vector256.Create(4.0, 5, 6, 7);
        Assert.Equal(Vector256.Create(0.0, 2, 4, 6), VectorMath.EvenLanes(c, d));
        Assert.Equal(Vector256.Create(1.0, 3, 5, 7), VectorMath.OddLanes(c, d));
    }

    /// <summary>
    /// RowSums and SumToAll reduce in Vector256.Sum's order, so the register-chain Forward (which uses them) agrees bit
    /// for bit with the batched kernels (which use Vector256.Sum), also when a sum cancels.
    /// </summary>
    [Fact]
    public void RowSumsAndSumToAllAddInVector256SumsOrder()
    {
        var random = new Random(6);
        // Magnitudes spread over 2^±20 with both signs, so that the order of the additions shows in the rounding.
        float NextFloat() => (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-20, 21)));
        for (int trial = 0; trial < 20000; trial++)
        {
            var r = new Vector256<float>[8];
            for (int i = 0; i < 8; i++) r[i] = Vector256.Create(NextFloat(), NextFloat(), NextFloat(), NextFloat(), NextFloat(), NextFloat(), NextFloat(), NextFloat());
            Vector256<float> sums = VectorMath.RowSums(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
            Vector256<float> all = VectorMath.SumToAll(r[0]);
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(Vector256.Sum(r[i])), BitConverter.SingleToInt32Bits(sums[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(Vector256.Sum(r[0])), BitConverter.SingleToInt32Bits(all[i]));
            }

            var d = new Vector256<double>[4];
            for (int i = 0; i < 4; i++) d[i] = Vector256.Create((double)NextFloat() * NextFloat(), NextFloat(), (double)NextFloat() / 3, NextFloat());
            Vector256<double> dsums = VectorMath.RowSums(d[0], d[1], d[2], d[3]);
            Vector256<double> dall = VectorMath.SumToAll(d[0]);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(Vector256.Sum(d[i])), BitConverter.DoubleToInt64Bits(dsums[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(Vector256.Sum(d[0])), BitConverter.DoubleToInt64Bits(dall[i]));
            }
        }
    }

    /// <summary>
    /// Every public member must be AggressiveInlining, small, and may call only hardware intrinsics (methods the JIT
    /// expands in place) or other AggressiveInlining members of VectorMath. A call to anything else, e.g.
    /// Vector256.Exp (a managed, non-intrinsic method the JIT did not inline), fails here.
    /// This is a guard, not the proof: the proof is the JIT's output for a loop that uses the members, e.g. a console
    /// app run with DOTNET_TieredCompilation=0 DOTNET_JitDisasm='Kernel*' DOTNET_JitStdOutFile=jit.txt, whose listing
    /// must contain no call other than the cold throw helpers of array bounds checks (checked on .NET 10, AVX2 and
    /// AVX-512, FullOpts and Tier1).
    /// </summary>
    [Fact]
    public void EveryMemberIsSmallAggressivelyInlinedAndCallsOnlyIntrinsics()
    {
        const int MaxIlBytes = 512;
        MethodInfo[] methods = typeof(VectorMath).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly);
        Assert.NotEmpty(methods);
        var problems = new List<string>();
        foreach (MethodInfo m in methods)
        {
            if ((m.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) == 0)
                problems.Add($"{m}: not AggressiveInlining");
            byte[] il = m.GetMethodBody()!.GetILAsByteArray()!;
            _output.WriteLine($"{m}: {il.Length} IL bytes");
            if (il.Length > MaxIlBytes)
                problems.Add($"{m}: {il.Length} IL bytes > {MaxIlBytes}");
            foreach (MethodBase callee in Callees(m, il))
            {
                bool ownInlined = callee.DeclaringType == typeof(VectorMath)
                    && (callee.MethodImplementationFlags & MethodImplAttributes.AggressiveInlining) != 0;
                if (!ownInlined && !IsIntrinsic(callee))
                    problems.Add($"{m}: calls {callee.DeclaringType}.{callee}, which is neither an intrinsic nor an AggressiveInlining VectorMath member");
            }
        }
        // Constants must be literals (Vector256.Create(const) is a JIT constant), never static readonly data.
        foreach (FieldInfo f in typeof(VectorMath).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            if (!f.IsLiteral)
                problems.Add($"static field {f.Name} is not a const");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static bool IsIntrinsic(MethodBase m)
    {
        static bool HasIntrinsic(MemberInfo? member) => member != null
            && member.CustomAttributes.Any(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.IntrinsicAttribute");
        // Fma / Avx2 mark the class, Vector256 the individual methods.
        return HasIntrinsic(m) || HasIntrinsic(m.DeclaringType);
    }

    private static IEnumerable<MethodBase> Callees(MethodInfo method, byte[] il)
    {
        Dictionary<short, OpCode> opcodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);
        Type[] typeArgs = method.DeclaringType!.IsGenericType ? method.DeclaringType.GetGenericArguments() : Type.EmptyTypes;
        Type[] methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : Type.EmptyTypes;
        for (int pc = 0; pc < il.Length;)
        {
            short code = il[pc] == 0xFE ? (short)(0xFE00 | il[pc + 1]) : il[pc];
            OpCode op = opcodes[code];
            pc += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                int token = BitConverter.ToInt32(il, pc);
                if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Ldftn)
                    yield return method.Module.ResolveMethod(token, typeArgs, methodArgs)!;
            }
            pc += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pc),
                _ => 4,
            };
        }
    }

    // ---- sweeps ------------------------------------------------------------------------------------------------------

    private void SweepSingle(string name, float[] xs, Func<Vector256<float>, Vector256<float>> vector, Func<float, float> scalar,
        Func<double, double> reference, double bound, bool odd)
    {
        double worst = 0;
        float worstX = float.NaN, worstY = float.NaN;
        double worstRef = double.NaN;
        var failures = new List<string>();
        void Fail(string what) { if (failures.Count < 10) failures.Add(what); }

        for (int i = 0; i < xs.Length; i += Vector256<float>.Count)
        {
            Vector256<float> xv = LoadPadded(xs, i);
            Vector256<float> yv = vector(xv);
            Vector256<float> yn = odd ? vector(-xv) : default;
            for (int lane = 0; lane < Vector256<float>.Count && i + lane < xs.Length; lane++)
            {
                float x = xs[i + lane], y = yv.GetElement(lane);
                float ys = scalar(x);
                if (BitConverter.SingleToInt32Bits(ys) != BitConverter.SingleToInt32Bits(y) && !(float.IsNaN(y) && float.IsNaN(ys)))
                    Fail($"x = {R(x)}: scalar {R(ys)} != vector lane {R(y)}");
                if (odd && BitConverter.SingleToInt32Bits(yn.GetElement(lane)) != BitConverter.SingleToInt32Bits(-y) && !float.IsNaN(y))
                    Fail($"x = {R(x)}: f(−x) = {R(yn.GetElement(lane))} != −f(x) = {R(-y)}");

                double r = reference(x);
                if (double.IsNaN(r))
                {
                    if (!float.IsNaN(y)) Fail($"x = {R(x)}: expected NaN, got {R(y)}");
                }
                else if (float.IsInfinity((float)r) || r == 0)
                {
                    if (y != (float)r) Fail($"x = {R(x)}: expected {R((float)r)}, got {R(y)}");
                }
                else if (Math.Abs(r) < SingleMinNormal)
                {
                    // Subnormal results may be flushed to zero: absolute error below 2^−126, sign kept.
                    if (!(Math.Abs(y - r) < SingleMinNormal) || (y != 0 && Math.Sign(y) != Math.Sign(r)))
                        Fail($"x = {R(x)}: subnormal result {R(y)} too far from {r:R}");
                }
                else
                {
                    double e = Math.Abs(y - r) / Math.Abs(r);
                    if (!(e <= worst)) { worst = e; worstX = x; worstY = y; worstRef = r; }
                }
            }
        }

        string summary = $"{name}: {xs.Length:N0} points, worst relative error {worst:E3} at x = {R(worstX)} "
            + $"(got {R(worstY)}, exact {worstRef:R}); documented bound {bound:E1}; Fma.IsSupported = {Fma.IsSupported}";
        _output.WriteLine(summary);
        Assert.True(failures.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, failures));
        Assert.True(worst <= bound, summary);
    }

    private void SweepDouble(string name, double[] xs, Func<Vector256<double>, Vector256<double>> vector, Func<double, double> scalar,
        Func<double, Reference> reference, Func<double, double> mathReference, double bound, bool odd)
    {
        double worst = 0, worstX = double.NaN, worstY = double.NaN, worstRef = double.NaN, worstMath = 0;
        var failures = new List<string>();
        void Fail(string what) { if (failures.Count < 10) failures.Add(what); }

        for (int i = 0; i < xs.Length; i += Vector256<double>.Count)
        {
            Vector256<double> xv = LoadPadded(xs, i);
            Vector256<double> yv = vector(xv);
            Vector256<double> yn = odd ? vector(-xv) : default;
            for (int lane = 0; lane < Vector256<double>.Count && i + lane < xs.Length; lane++)
            {
                double x = xs[i + lane], y = yv.GetElement(lane);
                double ys = scalar(x);
                if (BitConverter.DoubleToInt64Bits(ys) != BitConverter.DoubleToInt64Bits(y) && !(double.IsNaN(y) && double.IsNaN(ys)))
                    Fail($"x = {R(x)}: scalar {R(ys)} != vector lane {R(y)}");
                if (odd && BitConverter.DoubleToInt64Bits(yn.GetElement(lane)) != BitConverter.DoubleToInt64Bits(-y) && !double.IsNaN(y))
                    Fail($"x = {R(x)}: f(−x) = {R(yn.GetElement(lane))} != −f(x) = {R(-y)}");

                if (double.IsNaN(x))
                {
                    if (!double.IsNaN(y)) Fail($"x = NaN: expected NaN, got {R(y)}");
                    continue;
                }
                Reference r = reference(x);
                double rounded = r.Rounded;
                if (double.IsInfinity(rounded) || rounded == 0)
                {
                    if (y != rounded) Fail($"x = {R(x)}: expected {R(rounded)}, got {R(y)}");
                }
                else if (Math.Abs(rounded) < DoubleMinNormal)
                {
                    if (!(Math.Abs(y - rounded) < DoubleMinNormal) || (y != 0 && Math.Sign(y) != Math.Sign(rounded)))
                        Fail($"x = {R(x)}: subnormal result {R(y)} too far from {R(rounded)}");
                }
                else
                {
                    double e = r.RelativeError(y);
                    if (!(e <= worst)) { worst = e; worstX = x; worstY = y; worstRef = rounded; }
                    // The reference itself must agree with the runtime's Math function to a few ulp.
                    double m = mathReference(x);
                    double em = r.RelativeError(m);
                    if (!(em <= 1e-15)) Fail($"x = {R(x)}: double-double reference {R(rounded)} disagrees with Math ({R(m)})");
                    worstMath = Math.Max(worstMath, em);
                }
            }
        }

        string summary = $"{name}: {xs.Length:N0} points, worst relative error {worst:E3} at x = {R(worstX)} "
            + $"(got {R(worstY)}, exact ≈ {R(worstRef)}); documented bound {bound:E1}; Fma.IsSupported = {Fma.IsSupported}; "
            + $"worst error of System.Math on the same points {worstMath:E3}";
        _output.WriteLine(summary);
        Assert.True(failures.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, failures));
        Assert.True(worst <= bound, summary);
    }

    private static Vector256<float> LoadPadded(float[] xs, int i)
    {
        if (i + Vector256<float>.Count <= xs.Length) return Vector256.Create(xs, i);
        Span<float> tmp = stackalloc float[Vector256<float>.Count];
        xs.AsSpan(i).CopyTo(tmp);
        return Vector256.Create<float>(tmp);
    }

    private static Vector256<double> LoadPadded(double[] xs, int i)
    {
        if (i + Vector256<double>.Count <= xs.Length) return Vector256.Create(xs, i);
        Span<double> tmp = stackalloc double[Vector256<double>.Count];
        xs.AsSpan(i).CopyTo(tmp);
        return Vector256.Create<double>(tmp);
    }

    private static string R(float x) => $"{x.ToString("R", CultureInfo.InvariantCulture)} (0x{BitConverter.SingleToUInt32Bits(x):X8})";

    private static string R(double x) => $"{x.ToString("R", CultureInfo.InvariantCulture)} (0x{BitConverter.DoubleToUInt64Bits(x):X16})";

    private static void AssertSameBits(float expected, float actual)
        => Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"expected {R(expected)}, got {R(actual)}");

    private static void AssertSameBits(double expected, double actual)
        => Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual) || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"expected {R(expected)}, got {R(actual)}");

    // ---- grids -------------------------------------------------------------------------------------------------------

    private static readonly float[] SpecialSingles =
    {
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-45f, 1e-40f, (float)SingleMinNormal, 1e-30f, 1e-20f, 1e-8f, 1e-4f,
        0.5f, 1f, 2f, 7.90531110763549805f, 9f, 10f, 20f, 50f, 87.3f, 88.7f, 88.73f, 89f, 100f, 103.9f, 104f, 1e10f, 1e30f,
        float.MaxValue, float.PositiveInfinity, float.NaN,
    };

    private static readonly double[] SpecialDoubles =
    {
        0, -0.0, double.Epsilon, 1e-320, DoubleMinNormal, 1e-300, 1e-30, 1e-16, 1e-8, 1e-4, 0.5, 1, 2, 10, 19, 20, 40,
        700, 708.3, 708.4, 709.7, 709.8, 710, 745, 746, 1e10, 1e300, double.MaxValue, double.PositiveInfinity, double.NaN,
    };

    /// <summary>
    /// A linear grid over [lo, hi] (jittered so it does not land only on round numbers), log-spaced bit patterns of
    /// both signs from the smallest subnormal up to logMax, the special values, and 64 consecutive floats either side
    /// of each point of interest.
    /// </summary>
    private static float[] SingleGrid(float lo, float hi, int linear, float logMax, int logPerSign, params float[] interesting)
    {
        var xs = new List<float>(linear + 2 * logPerSign + 4096);
        for (int i = 0; i < linear; i++)
            xs.Add((float)(lo + (hi - lo) * (i + (i * 0.6180339887498949) % 1.0) / linear));
        ulong top = BitConverter.SingleToUInt32Bits(logMax);
        for (int i = 0; i < logPerSign; i++)
        {
            float v = BitConverter.UInt32BitsToSingle((uint)(1 + (top - 1) * (ulong)i / (ulong)logPerSign));
            xs.Add(v);
            xs.Add(-v);
        }
        foreach (float s in SpecialSingles) { xs.Add(s); xs.Add(-s); }
        foreach (float p in interesting)
        {
            float up = p, down = p;
            for (int k = 0; k < 64; k++) { xs.Add(up); xs.Add(down); up = MathF.BitIncrement(up); down = MathF.BitDecrement(down); }
        }
        return xs.ToArray();
    }

    private static double[] DoubleGrid(double lo, double hi, int linear, double logMax, int logPerSign, params double[] interesting)
    {
        var xs = new List<double>(linear + 2 * logPerSign + 4096);
        for (int i = 0; i < linear; i++)
            xs.Add(lo + (hi - lo) * (i + (i * 0.6180339887498949) % 1.0) / linear);
        ulong top = BitConverter.DoubleToUInt64Bits(logMax);
        for (int i = 0; i < logPerSign; i++)
        {
            double v = BitConverter.UInt64BitsToDouble(1 + (ulong)((UInt128)(top - 1) * (ulong)i / (ulong)logPerSign));
            xs.Add(v);
            xs.Add(-v);
        }
        foreach (double s in SpecialDoubles) { xs.Add(s); xs.Add(-s); }
        foreach (double p in interesting)
        {
            double up = p, down = p;
            for (int k = 0; k < 64; k++) { xs.Add(up); xs.Add(down); up = Math.BitIncrement(up); down = Math.BitDecrement(down); }
        }
        return xs.ToArray();
    }

    // ---- double-double references ------------------------------------------------------------------------------------

    /// <summary>An exact value (Hi + Lo)·2^Scale to about 2^−100 relative.</summary>
    private readonly record struct Reference(double Hi, double Lo, int Scale)
    {
        public double Rounded => Math.ScaleB(Hi + Lo, Scale);

        /// <summary>|y − value| / |value|, computed without rounding the reference to double.</summary>
        public double RelativeError(double y)
        {
            double scaled = Math.ScaleB(y, -Scale);   // exact while y is normal
            return Math.Abs((scaled - Hi) - Lo) / Math.Abs(Hi);
        }
    }

    private readonly record struct DD(double Hi, double Lo)
    {
        public static implicit operator DD(double x) => new(x, 0);

        public static DD operator +(DD a, DD b)
        {
            double s = a.Hi + b.Hi, bb = s - a.Hi;
            double e = (a.Hi - (s - bb)) + (b.Hi - bb) + a.Lo + b.Lo;
            double hi = s + e;
            return new(hi, e - (hi - s));
        }

        public static DD operator -(DD a) => new(-a.Hi, -a.Lo);

        public static DD operator -(DD a, DD b) => a + -b;

        public static DD operator *(DD a, DD b)
        {
            double p = a.Hi * b.Hi;
            double e = Math.FusedMultiplyAdd(a.Hi, b.Hi, -p) + (a.Hi * b.Lo + a.Lo * b.Hi);
            double hi = p + e;
            return new(hi, e - (hi - p));
        }

        public static DD operator /(DD a, DD b)
        {
            double q1 = a.Hi / b.Hi;
            DD r = a - b * q1;
            double q2 = r.Hi / b.Hi;
            r -= b * q2;
            double q3 = r.Hi / b.Hi;
            return new DD(q1, 0) + q2 + q3;
        }

        public DD ScaleB(int n) => new(Math.ScaleB(Hi, n), Math.ScaleB(Lo, n));
    }

    private static readonly DD Ln2 = new(0.6931471805599453, 2.3190468138462996e-17);

    /// <summary>1/k! in double-double, k = 0 … 40.</summary>
    private static readonly DD[] InverseFactorial = BuildInverseFactorials(40);

    private static DD[] BuildInverseFactorials(int count)
    {
        var f = new DD[count + 1];
        f[0] = 1;
        for (int k = 1; k <= count; k++) f[k] = f[k - 1] / k;
        return f;
    }

    /// <summary>e^x = m·2^n with m in double-double, for |x| ≤ 750.</summary>
    private static (DD M, int N) ExpDD(double x)
    {
        double n = Math.Round(x * 1.4426950408889634);
        DD r = x - Ln2 * n;                       // |r| ≤ 0.35: the Taylor series to degree 24 errs by < 2e−35
        DD sum = InverseFactorial[24];
        for (int k = 23; k >= 0; k--) sum = sum * r + InverseFactorial[k];
        return (sum, (int)n);
    }

    private static Reference ExpReference(double x)
    {
        if (x > 710) return new(double.PositiveInfinity, 0, 0);
        if (x < -746) return new(0, 0, 0);
        (DD m, int n) = ExpDD(x);
        return new(m.Hi, m.Lo, n);
    }

    private static Reference TanhReference(double x)
    {
        double ax = Math.Abs(x);
        DD t;
        if (ax < 1)
        {
            // sinh x = x·Σ x^2j/(2j+1)!, cosh x = Σ x^2j/(2j)!; for |x| < 1 the terms beyond j = 16 are < 1e−36.
            DD x2 = (DD)ax * ax, sinh = InverseFactorial[33], cosh = InverseFactorial[32];
            for (int j = 15; j >= 0; j--)
            {
                sinh = sinh * x2 + InverseFactorial[2 * j + 1];
                cosh = cosh * x2 + InverseFactorial[2 * j];
            }
            sinh *= ax;
            t = sinh / cosh;
        }
        else if (ax > 40)
        {
            t = 1;
        }
        else
        {
            (DD m, int n) = ExpDD(2 * ax);
            t = 1 - 2 / (m.ScaleB(n) + 1);
        }
        return x < 0 ? new(-t.Hi, -t.Lo, 0) : new(t.Hi, t.Lo, 0);
    }

    private static Reference SigmoidReference(double x)
    {
        if (x > 750) return new(1, 0, 0);
        if (x < -750) return new(0, 0, 0);
        if (x >= 0)
        {
            (DD m, int n) = ExpDD(-x);
            DD s = 1 / (m.ScaleB(n) + 1);
            return new(s.Hi, s.Lo, 0);
        }
        (DD me, int ne) = ExpDD(x);
        if (ne < -200) return new(me.Hi, me.Lo, ne);   // σ = e^x/(1 + e^x) with e^x < 2^−199
        DD e = me.ScaleB(ne);
        DD v = e / (e + 1);
        return new(v.Hi, v.Lo, 0);
    }
}
