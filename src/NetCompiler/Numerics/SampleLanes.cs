using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetCompiler;

/// <summary>
/// Moves a record of 16 samples from rows (sample s at s·rowLength) to sample lanes (element f of sample s at
/// f·16 + s), for generated <c>BackwardBatch</c> code: a convolution's g_w over a chunk of samples then reads one
/// aligned Vector512 per position with every lane useful (Emit/Conv/ConvEmitter.Deferred.cs in the generator).
/// </summary>
/// <remarks>
/// 16 × 16 blocks in AVX-512 registers (64 shuffles a block), 8 × 8 blocks with AVX, element by element otherwise.
/// The result is the same either way: the values are only moved.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SampleLanes
{
    /// <summary>Samples a record holds: the lanes of a Vector512 of float.</summary>
    public const int Count = 16;

    /// <summary>lanes[f·16 + s] = rows[s·rowLength + f] for s &lt; 16 and f &lt; <paramref name="rowLength"/>.</summary>
    /// <param name="rows">16 rows of <paramref name="rowLength"/> elements, one per sample.</param>
    /// <param name="rowLength">Elements a row: a positive multiple of 16.</param>
    /// <param name="lanes">16 · <paramref name="rowLength"/> elements: element f of every sample, in sample order.</param>
    /// <exception cref="ArgumentException">The row length is not a positive multiple of 16, or a span is too short.</exception>
    public static void Transpose(ReadOnlySpan<float> rows, int rowLength, Span<float> lanes)
    {
        CheckLengths(rowLength, rows.Length, lanes.Length);
        ref float source = ref MemoryMarshal.GetReference(rows);
        ref float target = ref MemoryMarshal.GetReference(lanes);
        if (Avx512F.IsSupported) TransposeAvx512(ref source, rowLength, ref target);
        else if (Avx.IsSupported) TransposeAvx(ref source, rowLength, ref target);
        else TransposeScalar(ref source, rowLength, ref target);
    }

    /// <summary>The inverse of <see cref="Transpose"/>: rows[s·rowLength + f] = lanes[f·16 + s] for s &lt; 16 and f &lt; <paramref name="rowLength"/>.</summary>
    /// <param name="lanes">16 · <paramref name="rowLength"/> elements: element f of every sample, in sample order.</param>
    /// <param name="rowLength">Elements a row: a positive multiple of 16.</param>
    /// <param name="rows">16 rows of <paramref name="rowLength"/> elements, one per sample.</param>
    /// <exception cref="ArgumentException">The row length is not a positive multiple of 16, or a span is too short.</exception>
    public static void ToRows(ReadOnlySpan<float> lanes, int rowLength, Span<float> rows)
    {
        CheckLengths(rowLength, rows.Length, lanes.Length);
        ref float source = ref MemoryMarshal.GetReference(lanes);
        ref float target = ref MemoryMarshal.GetReference(rows);
        if (Avx512F.IsSupported) ToRowsAvx512(ref source, rowLength, ref target);
        else ToRowsScalar(ref source, rowLength, ref target);
    }

    /// <summary>Both directions' argument checks: a row length that is a positive multiple of 16, and 16 of it in each span.</summary>
    private static void CheckLengths(int rowLength, int rows, int lanes)
    {
        if (rowLength <= 0 || rowLength % Count != 0)
            throw new ArgumentException($"The row length must be a positive multiple of {Count}, got {rowLength}.", nameof(rowLength));
        long length = (long)Count * rowLength;
        if (rows < length)
            throw new ArgumentException($"{Count} rows of {rowLength} need {length} elements, but the span has {rows}.", nameof(rows));
        if (lanes < length)
            throw new ArgumentException($"{Count} rows of {rowLength} need {length} elements of lanes, but the span has {lanes}.", nameof(lanes));
    }

    internal static void ToRowsAvx512(ref float source, int rowLength, ref float target)
    {
        for (int f = 0; f < rowLength; f += Count)
            Block16(ref Unsafe.Add(ref source, f * Count), Count, ref Unsafe.Add(ref target, f), rowLength);
    }

    internal static void ToRowsScalar(ref float source, int rowLength, ref float target)
    {
        for (int s = 0; s < Count; s++)
            for (int f = 0; f < rowLength; f++)
                Unsafe.Add(ref target, s * rowLength + f) = Unsafe.Add(ref source, f * Count + s);
    }

    // The three paths, internal so that the tests run each of them on a machine that has the others.

    internal static void TransposeAvx512(ref float source, int rowLength, ref float target)
    {
        for (int f = 0; f < rowLength; f += Count)
            Block16(ref Unsafe.Add(ref source, f), rowLength, ref Unsafe.Add(ref target, f * Count));
    }

    internal static void TransposeAvx(ref float source, int rowLength, ref float target)
    {
        for (int f = 0; f < rowLength; f += 8)
            for (int s = 0; s < Count; s += 8)
                Block8(ref Unsafe.Add(ref source, s * rowLength + f), rowLength, ref Unsafe.Add(ref target, f * Count + s));
    }

    internal static void TransposeScalar(ref float source, int rowLength, ref float target)
    {
        for (int s = 0; s < Count; s++)
            for (int f = 0; f < rowLength; f++)
                Unsafe.Add(ref target, f * Count + s) = Unsafe.Add(ref source, s * rowLength + f);
    }

    /// <summary>
    /// One 16 × 16 block: row s of the source (16 elements from s·stride) becomes lane s of the 16 vectors stored at
    /// target[j·targetStride] (16: lanes; a row length: back to rows, the same transpose). Pairs of rows interleaved by element, then by pairs, then 128-bit quarters twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block16(ref float source, int stride, ref float target, int targetStride = Count)
    {
        nuint n = (nuint)stride, t = (nuint)targetStride;
        Vector512<float> r0 = Vector512.LoadUnsafe(ref source), r1 = Vector512.LoadUnsafe(ref source, n), r2 = Vector512.LoadUnsafe(ref source, 2 * n),
            r3 = Vector512.LoadUnsafe(ref source, 3 * n), r4 = Vector512.LoadUnsafe(ref source, 4 * n), r5 = Vector512.LoadUnsafe(ref source, 5 * n),
            r6 = Vector512.LoadUnsafe(ref source, 6 * n), r7 = Vector512.LoadUnsafe(ref source, 7 * n), r8 = Vector512.LoadUnsafe(ref source, 8 * n),
            r9 = Vector512.LoadUnsafe(ref source, 9 * n), r10 = Vector512.LoadUnsafe(ref source, 10 * n), r11 = Vector512.LoadUnsafe(ref source, 11 * n),
            r12 = Vector512.LoadUnsafe(ref source, 12 * n), r13 = Vector512.LoadUnsafe(ref source, 13 * n), r14 = Vector512.LoadUnsafe(ref source, 14 * n),
            r15 = Vector512.LoadUnsafe(ref source, 15 * n);
        // t: in each 128-bit quarter q, rows 2k and 2k+1 interleaved: (r[4q], r'[4q], r[4q+1], r'[4q+1]) and the high half.
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3),
            t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7),
            t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11),
            t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        // u: in quarter q, element 4q + c of four consecutive rows (c = 0 … 3 for u0 … u3 of each group of four rows).
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE), u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE),
            u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE), u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE),
            u8 = Avx512F.Shuffle(t8, t10, 0x44), u9 = Avx512F.Shuffle(t8, t10, 0xEE), u10 = Avx512F.Shuffle(t9, t11, 0x44), u11 = Avx512F.Shuffle(t9, t11, 0xEE),
            u12 = Avx512F.Shuffle(t12, t14, 0x44), u13 = Avx512F.Shuffle(t12, t14, 0xEE), u14 = Avx512F.Shuffle(t13, t15, 0x44), u15 = Avx512F.Shuffle(t13, t15, 0xEE);
        // v: the quarters of rows 0–7 (or 8–15) gathered: 0x88 takes quarters 0 and 2 of each source, 0xDD quarters 1 and 3.
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v1 = Avx512F.Shuffle4x128(u1, u5, 0x88), v2 = Avx512F.Shuffle4x128(u2, u6, 0x88),
            v3 = Avx512F.Shuffle4x128(u3, u7, 0x88), v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD), v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD),
            v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD), v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD), v8 = Avx512F.Shuffle4x128(u8, u12, 0x88),
            v9 = Avx512F.Shuffle4x128(u9, u13, 0x88), v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v11 = Avx512F.Shuffle4x128(u11, u15, 0x88),
            v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD), v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD), v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD),
            v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        Avx512F.Shuffle4x128(v0, v8, 0x88).StoreUnsafe(ref target);
        Avx512F.Shuffle4x128(v1, v9, 0x88).StoreUnsafe(ref target, 1 * t);
        Avx512F.Shuffle4x128(v2, v10, 0x88).StoreUnsafe(ref target, 2 * t);
        Avx512F.Shuffle4x128(v3, v11, 0x88).StoreUnsafe(ref target, 3 * t);
        Avx512F.Shuffle4x128(v4, v12, 0x88).StoreUnsafe(ref target, 4 * t);
        Avx512F.Shuffle4x128(v5, v13, 0x88).StoreUnsafe(ref target, 5 * t);
        Avx512F.Shuffle4x128(v6, v14, 0x88).StoreUnsafe(ref target, 6 * t);
        Avx512F.Shuffle4x128(v7, v15, 0x88).StoreUnsafe(ref target, 7 * t);
        Avx512F.Shuffle4x128(v0, v8, 0xDD).StoreUnsafe(ref target, 8 * t);
        Avx512F.Shuffle4x128(v1, v9, 0xDD).StoreUnsafe(ref target, 9 * t);
        Avx512F.Shuffle4x128(v2, v10, 0xDD).StoreUnsafe(ref target, 10 * t);
        Avx512F.Shuffle4x128(v3, v11, 0xDD).StoreUnsafe(ref target, 11 * t);
        Avx512F.Shuffle4x128(v4, v12, 0xDD).StoreUnsafe(ref target, 12 * t);
        Avx512F.Shuffle4x128(v5, v13, 0xDD).StoreUnsafe(ref target, 13 * t);
        Avx512F.Shuffle4x128(v6, v14, 0xDD).StoreUnsafe(ref target, 14 * t);
        Avx512F.Shuffle4x128(v7, v15, 0xDD).StoreUnsafe(ref target, 15 * t);
    }

    /// <summary>One 8 × 8 block: row s of the source becomes lane s of the 8 Vector256 stored at target[j·16].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(ref float source, int stride, ref float target)
    {
        nuint n = (nuint)stride, t = Count;
        Vector256<float> r0 = Vector256.LoadUnsafe(ref source), r1 = Vector256.LoadUnsafe(ref source, n), r2 = Vector256.LoadUnsafe(ref source, 2 * n),
            r3 = Vector256.LoadUnsafe(ref source, 3 * n), r4 = Vector256.LoadUnsafe(ref source, 4 * n), r5 = Vector256.LoadUnsafe(ref source, 5 * n),
            r6 = Vector256.LoadUnsafe(ref source, 6 * n), r7 = Vector256.LoadUnsafe(ref source, 7 * n);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref target, 1 * t);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref target, 2 * t);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref target, 3 * t);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref target, 4 * t);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref target, 5 * t);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref target, 6 * t);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref target, 7 * t);
    }
}
