// Why the flat convolution kernels run at 27–73% of the multiply-add peak (issue 17): each tap of a kernel row reads
// the plane shifted by one more element, and an unaligned Vector512 load straddles two cache lines 15 times in 16.
// The loop of the flat kernels (8 accumulators over consecutive vectors, 5 taps of a row a broadcast weight each,
// 25 rows: 1,000 FMAs a call) three ways: the taps' loads unaligned (as generated), the same loads aligned (what the
// load ports give when nothing straddles), and aligned loads once per row with each tap's vector made by valignd
// (Avx512F.AlignRight32) from two of them; and the unaligned loop in Vector256 halves. Results: bench/RESULTS.md,
// "Tap loads". AVX-512 only.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*TapLoads*'
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace NetCompiler.Benchmarks;

public class TapLoads
{
    private const int Rows = 25, RowStride = 160;
    private readonly float[] _plane = GC.AllocateArray<float>(Rows * RowStride + 64, pinned: true);
    private readonly float[] _weights = new float[Rows + 5];
    private int _start; // the first 64-byte-aligned element of _plane

    [GlobalSetup]
    public void Setup()
    {
        if (!Avx512F.IsSupported) throw new PlatformNotSupportedException("TapLoads measures AVX-512 kernels.");
        for (int i = 0; i < _plane.Length; i++) _plane[i] = i * 1e-4f;
        for (int i = 0; i < _weights.Length; i++) _weights[i] = 0.01f * i;
        GCHandle handle = GCHandle.Alloc(_plane, GCHandleType.Pinned); // on the pinned heap already: the address stays
        _start = (int)((64 - handle.AddrOfPinnedObject() % 64) % 64 / sizeof(float));
        handle.Free();
        if (Unaligned() != AlignedAndShifted())
            throw new InvalidOperationException("AlignedAndShifted must compute exactly what Unaligned does.");
    }

    /// <summary>As the generated kernels read: tap kx at element 3 + kx of the row, every load across two lines.</summary>
    [Benchmark(Baseline = true)]
    public float Unaligned() => Taps(3, 1);

    /// <summary>The same number of loads and FMAs, every load aligned (tap kx 16·kx further on).</summary>
    [Benchmark]
    public float Aligned() => Taps(0, 16);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float Taps(int first, int step)
    {
        ref float plane = ref _plane[_start];
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int r = 0; r < Rows; r++)
        {
            for (int kx = 0; kx < 5; kx++)
            {
                Vector512<float> w = Vector512.Create(_weights[r + kx]);
                ref float p = ref Unsafe.Add(ref plane, r * RowStride + first + kx * step);
                a0 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p), a0);
                a1 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 16), a1);
                a2 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 32), a2);
                a3 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 48), a3);
                a4 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 64), a4);
                a5 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 80), a5);
                a6 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 96), a6);
                a7 = Avx512F.FusedMultiplyAdd(w, Vector512.LoadUnsafe(ref p, 112), a7);
            }
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
    }

    /// <summary>The Unaligned loop in Vector256 halves: twice the loads and FMAs, each load across two lines 7 times in 16.</summary>
    [Benchmark]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float Unaligned256()
    {
        ref float plane = ref _plane[_start];
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
            b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        for (int r = 0; r < Rows; r++)
        {
            for (int kx = 0; kx < 5; kx++)
            {
                Vector256<float> w = Vector256.Create(_weights[r + kx]);
                ref float p = ref Unsafe.Add(ref plane, r * RowStride + 3 + kx);
                a0 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p), a0);
                b0 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 8), b0);
                a1 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 16), a1);
                b1 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 24), b1);
                a2 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 32), a2);
                b2 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 40), b2);
                a3 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 48), a3);
                b3 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 56), b3);
                a4 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 64), a4);
                b4 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 72), b4);
                a5 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 80), a5);
                b5 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 88), b5);
                a6 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 96), a6);
                b6 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 104), b6);
                a7 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 112), a7);
                b7 = Fma.MultiplyAdd(w, Vector256.LoadUnsafe(ref p, 120), b7);
            }
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))) + Vector256.Sum(((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)));
    }

    /// <summary>
    /// The Unaligned loop's values (tap kx at element 3 + kx) from 9 aligned loads a row: vector k of tap kx is
    /// valignd(v[k + 1], v[k], 3 + kx), one shuffle instead of one straddling load.
    /// </summary>
    [Benchmark]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float AlignedAndShifted()
    {
        ref float plane = ref _plane[_start];
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int r = 0; r < Rows; r++)
        {
            ref float row = ref Unsafe.Add(ref plane, r * RowStride);
            Vector512<uint> v0 = Vector512.LoadUnsafe(ref row).AsUInt32(), v1 = Vector512.LoadUnsafe(ref row, 16).AsUInt32(),
                v2 = Vector512.LoadUnsafe(ref row, 32).AsUInt32(), v3 = Vector512.LoadUnsafe(ref row, 48).AsUInt32(),
                v4 = Vector512.LoadUnsafe(ref row, 64).AsUInt32(), v5 = Vector512.LoadUnsafe(ref row, 80).AsUInt32(),
                v6 = Vector512.LoadUnsafe(ref row, 96).AsUInt32(), v7 = Vector512.LoadUnsafe(ref row, 112).AsUInt32(),
                v8 = Vector512.LoadUnsafe(ref row, 128).AsUInt32();
            Vector512<float> w = Vector512.Create(_weights[r]);
            a0 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v1, v0, 3).AsSingle(), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v2, v1, 3).AsSingle(), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v3, v2, 3).AsSingle(), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v4, v3, 3).AsSingle(), a3);
            a4 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v5, v4, 3).AsSingle(), a4);
            a5 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v6, v5, 3).AsSingle(), a5);
            a6 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v7, v6, 3).AsSingle(), a6);
            a7 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v8, v7, 3).AsSingle(), a7);
            w = Vector512.Create(_weights[r + 1]);
            a0 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v1, v0, 4).AsSingle(), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v2, v1, 4).AsSingle(), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v3, v2, 4).AsSingle(), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v4, v3, 4).AsSingle(), a3);
            a4 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v5, v4, 4).AsSingle(), a4);
            a5 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v6, v5, 4).AsSingle(), a5);
            a6 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v7, v6, 4).AsSingle(), a6);
            a7 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v8, v7, 4).AsSingle(), a7);
            w = Vector512.Create(_weights[r + 2]);
            a0 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v1, v0, 5).AsSingle(), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v2, v1, 5).AsSingle(), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v3, v2, 5).AsSingle(), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v4, v3, 5).AsSingle(), a3);
            a4 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v5, v4, 5).AsSingle(), a4);
            a5 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v6, v5, 5).AsSingle(), a5);
            a6 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v7, v6, 5).AsSingle(), a6);
            a7 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v8, v7, 5).AsSingle(), a7);
            w = Vector512.Create(_weights[r + 3]);
            a0 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v1, v0, 6).AsSingle(), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v2, v1, 6).AsSingle(), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v3, v2, 6).AsSingle(), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v4, v3, 6).AsSingle(), a3);
            a4 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v5, v4, 6).AsSingle(), a4);
            a5 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v6, v5, 6).AsSingle(), a5);
            a6 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v7, v6, 6).AsSingle(), a6);
            a7 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v8, v7, 6).AsSingle(), a7);
            w = Vector512.Create(_weights[r + 4]);
            a0 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v1, v0, 7).AsSingle(), a0);
            a1 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v2, v1, 7).AsSingle(), a1);
            a2 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v3, v2, 7).AsSingle(), a2);
            a3 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v4, v3, 7).AsSingle(), a3);
            a4 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v5, v4, 7).AsSingle(), a4);
            a5 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v6, v5, 7).AsSingle(), a5);
            a6 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v7, v6, 7).AsSingle(), a6);
            a7 = Avx512F.FusedMultiplyAdd(w, Avx512F.AlignRight32(v8, v7, 7).AsSingle(), a7);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
    }
}
