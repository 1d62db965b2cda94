// Dense layers over a chunk of samples, forward: tiles of samples × rows so each loaded vector of W feeds several
// samples held in registers; Vector512 methods where the plan gives the layer a Vector512 form.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseBatchEmitter : EmitterBase
{
    public DenseBatchEmitter(EmitContext context) : base(context) { }

    /// <summary>A loop over the chunk's samples b, declaring for each (name, buffer, stride) a ref to sample b's row of the buffer.</summary>
    private SourceWriter.Block SampleLoop(SourceWriter w, params (string Name, string Buffer, int Stride)[] rows)
    {
        SourceWriter.Block loop = w.Open("for (int b = 0; b < count; b++)");
        foreach ((string name, string buffer, int stride) in rows)
            w.Line("ref " + T + " " + name + " = ref " + UnsafeAdd + "(ref " + buffer + ", b * " + stride + ");");
        return loop;
    }

    internal void WriteForwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = Element.Padded(n), outStride = Element.Padded(m);
        bool softmax = layer.Activation == Activation.Softmax;
        w.Line("// Layer " + l + " over the chunk: u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + n + " → " + m + "], x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + ".");
        using (OpenMethod(w, "private void ForwardBatchLayer" + l + "(int count)"))
        {
            w.Line(ThetaRef("p"));
            w.Line(Ref("x", "_batchX" + (l - 1)));
            w.Line(Ref("u", softmax ? "_batchU" + l : "_batchX" + l));
            LayerPlan plan = PlanOf(layer);
            if (plan.BatchForward == BatchKernel.RowsToVector)
            {
                // At most a vector of outputs: per sample, the rows' partial sums added pairwise into one vector, instead
                // of a horizontal sum per sample and row.
                using (SampleLoop(w, ("xb", "x", inStride), ("ub", "u", outStride)))
                {
                    C.Dense.DenseForwardRowsToVector(w, layer, "xb", "ub");
                }
            }
            else if (plan.BatchForward == BatchKernel.Tiles)
                WidthDispatch(w, plan.BatchForwardVector512, "ForwardBatchLayer" + l + "Vector512", () => ForwardTiles(w, layer, Narrow256));
            else if (plan.BatchForward == BatchKernel.Narrow)
                ForwardBatchNarrow(w, layer);
            else
            {
                w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalar multiply-adds.");
                using (SampleLoop(w, ("xb", "x", inStride), ("ub", "u", outStride)))
                {
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
                        w.Line(T + " sum = " + At("wRow", "0") + " * " + At("xb", "0") + ";");
                        using (w.Open("for (int j = 1; j < " + n + "; j++)"))
                            w.Line("sum += " + At("wRow", "j") + " * " + At("xb", "j") + ";");
                        w.Line(At("ub", "i") + " = sum + " + At("p", "B" + l + " + i") + ";");
                    }
                }
            }
            if (softmax) C.Output.SoftmaxBatch(w, layer);
            else if (layer.Activation != Activation.Identity)
            {
                using (w.Open("for (int k = 0; k < count * " + outStride + "; k += " + V + ")"))
                {
                    w.Line(VectorType + " v = " + Load("u", new Index("k", 0)) + ";");
                    w.Line(Store(VectorFunction(layer.Activation, "v"), "u", new Index("k", 0)));
                }
            }
        }
        w.Line();
        if (PlanOf(layer).BatchForwardVector512)
        {
            w.Line("// Layer " + l + "'s u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + " with Vector512 tiles (AVX-512: 32 registers, twice the lanes). Each sum");
            w.Line("// runs over 16-lane partial sums instead of the per-sample kernel's 8, so it may differ from Forward in the last bits.");
            using (OpenMethod(w, "private void ForwardBatchLayer" + l + "Vector512(int count)"))
            {
                w.Line(ThetaRef("p"));
                w.Line(Ref("x", "_batchX" + (l - 1)));
                w.Line(Ref("u", softmax ? "_batchU" + l : "_batchX" + l));
                ForwardTiles(w, layer, Wide512);
            }
            w.Line();
        }
    }

    /// <summary>u = W·x + b over the chunk by tiles of k.Samples samples × k.Rows rows, then smaller groups of samples.</summary>
    private void ForwardTiles(SourceWriter w, LayerShape layer, Width k)
    {
        int n = layer.Inputs, m = layer.Outputs, mainRows = m - m % k.Rows;
        int size = T == "float" ? 4 : 8, block = Math.Max(k.Rows, RowBlockBytes / (n * size) / k.Rows * k.Rows);
        w.Line("// Tiles of " + k.Samples + " samples × " + k.Rows + " rows: each vector of a row of W feeds " + k.Samples + " FMAs, each of x " + k.Rows + ".");
        if (n % k.Lanes > 0) w.Line(k.Type + " tailMask = " + MaskLast(k, n % k.Lanes) + ";");
        if (k.Lanes == V || block >= mainRows)
        {
            w.Line("int b = 0;");
            foreach (int samples in SampleGroups(k.Samples))
                using (w.Open(samples == 1 ? "for (; b < count; b++)" : "for (; b + " + samples + " <= count; b += " + samples + ")"))
                    ForwardTileRows(w, layer, k, samples, "0", mainRows.ToString(System.Globalization.CultureInfo.InvariantCulture), rest: true);
            return;
        }
        // W is too large to stay in L2 while every sample passes: blocks of rows do, and each block meets all samples.
        w.Line("// Blocks of " + block + " rows of W (" + block * n * size / 1024 + " KiB, kept in L2) meet every sample in turn.");
        using (w.Open("for (int i0 = 0; i0 < " + mainRows + "; i0 += " + block + ")"))
        {
            w.Line("int iEnd = global::System.Math.Min(i0 + " + block + ", " + mainRows + ");");
            w.Line("int b = 0;");
            foreach (int samples in SampleGroups(k.Samples))
                using (w.Open(samples == 1 ? "for (; b < count; b++)" : "for (; b + " + samples + " <= count; b += " + samples + ")"))
                    ForwardTileRows(w, layer, k, samples, "i0", "iEnd", rest: false);
        }
        if (m % k.Rows > 0)
            using (w.Open())
            {
                w.Line("int b = 0;");
                foreach (int samples in SampleGroups(k.Samples))
                    using (w.Open(samples == 1 ? "for (; b < count; b++)" : "for (; b + " + samples + " <= count; b += " + samples + ")"))
                        ForwardTileRows(w, layer, k, samples, null, null, rest: true);
            }
    }

    /// <summary>The group sizes of samples in a tile loop: the full tile, then 4 (for a wide tile), then one at a time.</summary>
    private static IEnumerable<int> SampleGroups(int samples)
    {
        yield return samples;
        if (samples > 4) yield return 4;
        if (samples > 1) yield return 1;
    }

    /// <summary>
    /// The rows of one group of <paramref name="samples"/> samples starting at b: tiles of k.Rows rows from
    /// <paramref name="from"/> to <paramref name="to"/> (none if null), then, if <paramref name="rest"/>, the last m mod k.Rows rows.
    /// </summary>
    private void ForwardTileRows(SourceWriter w, LayerShape layer, Width k, int samples, string? from, string? to, bool rest)
    {
        int m = layer.Outputs, inStride = Element.Padded(layer.Inputs), outStride = Element.Padded(m);
        for (int s = 0; s < samples; s++)
        {
            w.Line("ref " + T + " x" + s + " = ref " + UnsafeAdd + "(ref x, (b + " + s + ") * " + inStride + ");");
            w.Line("ref " + T + " u" + s + " = ref " + UnsafeAdd + "(ref u, (b + " + s + ") * " + outStride + ");");
        }
        int mainRows = m - m % k.Rows;
        if (from is not null && mainRows > 0)
            using (w.Open("for (int i = " + from + "; i < " + to + "; i += " + k.Rows + ")"))
                ForwardTile(w, layer, k, samples, k.Rows, new Index("i", 0));
        if (rest && m % k.Rows > 0)
            using (w.Open())
                ForwardTile(w, layer, k, samples, m % k.Rows, mainRows);
    }

    private void ForwardTile(SourceWriter w, LayerShape layer, Width k, int samples, int rows, Index i)
    {
        int l = layer.Number, n = layer.Inputs, whole = n / k.Lanes, tail = n % k.Lanes;
        for (int r = 0; r < rows; r++)
            w.Line("ref " + T + " w" + r + " = ref " + At("p", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
        for (int s = 0; s < samples; s++)
            for (int r = 0; r < rows; r++)
                w.Line(k.Type + " sum" + s + "_" + r + " = " + k.Type + ".Zero;");
        var j = new Index("j", 0);
        using (w.Open("for (int j = 0; j < " + whole * k.Lanes + "; j += " + k.Lanes + ")"))
            TileStep(w, k, samples, rows, j, "");
        if (tail > 0)
            using (w.Open()) TileStep(w, k, samples, rows, n - k.Lanes, " & tailMask");
        if (k.Lanes > V && rows == 4)
        {
            // Four rows of a sample reduced together and stored as one vector: u_s[i…i+3] = Σ lanes + b[i…i+3].
            string sums = V == 8 ? "Simd::Vector128" : "Simd::Vector256";
            for (int s = 0; s < samples; s++)
                w.Line(sums + ".StoreUnsafe(SumsOf4(sum" + s + "_0, sum" + s + "_1, sum" + s + "_2, sum" + s + "_3) + " + sums + ".LoadUnsafe(ref p, (nuint)(B" + l + " + " + i + ")), ref u" + s + ", " + i.AsOffset() + ");");
        }
        else
            for (int s = 0; s < samples; s++)
                for (int r = 0; r < rows; r++)
                    w.Line(At("u" + s, i.Plus(r).ToString()) + " = " + k.Class + ".Sum(sum" + s + "_" + r + ") + " + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    /// <summary>
    /// SumsOf4: the horizontal sums of four Vector512 accumulators as one vector [Σa, Σb, Σc, Σd], in about a quarter
    /// of the instructions of four Vector512.Sum (halves added, then pairwise sums across the four).
    /// </summary>
    internal void WriteSumsOf4(SourceWriter w)
    {
        string v512 = "Simd::Vector512<" + T + ">", v256 = "Simd::Vector256<" + T + ">";
        string avx = "Simd::X86.Avx";
        string result = V == 8 ? "Simd::Vector128<float>" : v256;
        string v512s = "Simd::Vector512";
        w.Line("// [Σa, Σb, Σc, Σd] over the lanes of four Vector512 accumulators (the batched Vector512 kernels' four rows of a sample):");
        w.Line("// each folded to its halves' sum, then pairwise sums across the four. Only called when Vector512 is accelerated (AVX-512, so AVX).");
        w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.AggressiveInlining)]");
        using (w.Open("private static " + result + " SumsOf4(" + v512 + " a, " + v512 + " b, " + v512 + " c, " + v512 + " d)"))
        {
            w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.AggressiveInlining)] static " + v256 + " Half(" + v512 + " v) => " + v512s + ".GetLower(v) + " + v512s + ".GetUpper(v);");
            if (V == 8)
            {
                w.Line(v256 + " ab = " + avx + ".HorizontalAdd(Half(a), Half(b)); // [a01 a23 b01 b23 | a45 a67 b45 b67]");
                w.Line(v256 + " cd = " + avx + ".HorizontalAdd(Half(c), Half(d));");
                w.Line(v256 + " abcd = " + avx + ".HorizontalAdd(ab, cd); // [a0123 b0123 c0123 d0123 | a4567 b4567 c4567 d4567]");
                w.Line("return Simd::Vector256.GetLower(abcd) + Simd::Vector256.GetUpper(abcd);");
            }
            else
            {
                w.Line(v256 + " ab = " + avx + ".HorizontalAdd(Half(a), Half(b)); // [a01 b01 | a23 b23]");
                w.Line(v256 + " cd = " + avx + ".HorizontalAdd(Half(c), Half(d)); // [c01 d01 | c23 d23]");
                w.Line("return " + avx + ".Permute2x128(ab, cd, 0x20) + " + avx + ".Permute2x128(ab, cd, 0x31);");
            }
        }
        w.Line();
    }

    private void TileStep(SourceWriter w, Width k, int samples, int rows, Index j, string mask)
    {
        for (int r = 0; r < rows; r++)
            w.Line(k.Type + " wv" + r + " = " + k.Load("w" + r, j) + ";");
        for (int s = 0; s < samples; s++)
        {
            w.Line("{");
            w.Line("    " + k.Type + " xv = " + k.Load("x" + s, j) + mask + ";");
            for (int r = 0; r < rows; r++)
                w.Line("    sum" + s + "_" + r + " = " + k.MultiplyAdd("wv" + r, "xv", "sum" + s + "_" + r) + ";");
            w.Line("}");
        }
    }
}
