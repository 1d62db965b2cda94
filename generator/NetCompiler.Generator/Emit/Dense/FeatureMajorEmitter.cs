// ForwardBatch's feature-major path on AVX-512: the chunk transposed to [features, MaxBatch], each layer as
// uᵀ = W·xᵀ + b with W broadcast and 16 samples a vector (no sums across lanes), the outputs transposed back.

namespace NetCompiler.Generator.Emit;

internal sealed class FeatureMajorEmitter : EmitterBase
{
    public FeatureMajorEmitter(EmitContext context) : base(context) { }

    private const string V512 = "Simd::Vector512";

    /// <summary>Whether ForwardBatch gets the feature-major path (the plan's choice: the first layer has a Vector512 of inputs).</summary>
    private bool FeatureMajor => Plan.FeatureMajor;

    private string V512Type => V512 + "<" + T + ">";

    /// <summary>Lanes of a Vector512: samples per vector in the feature-major layout.</summary>
    private int WideLanes => 2 * V;

    /// <summary>The call in ForwardBatch's chunk loop.</summary>
    internal void WriteFeatureMajorDispatch(SourceWriter w)
    {
        if (!FeatureMajor) return;
        w.Line("// A (nearly) full chunk on AVX-512: the feature-major kernels (broadcast W, 16 samples a vector, no horizontal sums).");
        using (w.Open("if (" + V512 + ".IsHardwareAccelerated && count >= " + FeatureMajorMinimum + ")"))
        {
            w.Line("ForwardBatchFeatureMajor(inputs.Slice(start * InputSize, count * InputSize), outputs.Slice(start * OutputSize, count * OutputSize), count);");
            w.Line("continue;");
        }
    }

    internal void WriteFeatureMajorForward(SourceWriter w)
    {
        if (!FeatureMajor) return;
        string readOnlySpan = "global::System.ReadOnlySpan<" + T + ">", span = "global::System.Span<" + T + ">";
        w.Line("// ForwardBatch's feature-major path for one chunk: layer 1 transposes the inputs into xᵀ [inputs, MaxBatch],");
        w.Line("// each layer leaves its x [outputs, MaxBatch] in _batchX1…, then the outputs are transposed back. Only called when Vector512 is accelerated.");
        using (OpenMethod(w, "private void ForwardBatchFeatureMajor(" + readOnlySpan + " inputs, " + span + " outputs, int count)"))
        {
            foreach (LayerShape layer in Layers) w.Line("ForwardFeatureMajorLayer" + layer.Number + (layer.Number == 1 ? "(inputs, count);" : "();"));
            w.Line("OutputsFeatureMajor(outputs, count);");
        }
        w.Line();
        WriteTransposeInputs(w);
        foreach (LayerShape layer in Layers) WriteFeatureMajorLayer(w, layer);
        WriteFeatureMajorOutputs(w);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // xᵀ: the inputs transposed.

    private void WriteTransposeInputs(SourceWriter w)
    {
        int n = Topology.InputSize, whole = n / 16 * 16;
        string readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("// xᵀ[j, b] = inputs[b, j] for the chunk's samples, into _batchX0 as [" + n + ", MaxBatch]; the samples from count to MaxBatch");
        w.Line("// are zeros (their lanes compute, but nobody reads them).");
        using (OpenMethod(w, "private void TransposeInputsFeatureMajor(" + readOnlySpan + " inputs, int count)"))
        {
            w.Line("ref " + T + " source = ref Interop::MemoryMarshal.GetReference(inputs);");
            w.Line(Ref("xT", "_batchX0"));
            w.Line("int b = 0;");
            if (T == "float" && whole > 0)
            {
                w.Line("// Blocks of 16 samples × 16 inputs: 16 rows loaded, transposed in registers (unpack pairs, then pairs of pairs, then");
                w.Line("// 128-bit lanes across the four groups of four), 16 columns stored. The last group's rows past count are zeros.");
                using (w.Open("for (; b < MaxBatch; b += 16)"))
                {
                    w.Line("int valid = count - b; // rows of this group that are samples: 16 but in the last groups");
                    w.Line("ref " + T + " columns = ref " + UnsafeAdd + "(ref xT, b);");
                    using (w.Open("if (valid <= 0)"))
                    {
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                            w.Line(V512 + ".StoreUnsafe(" + V512 + "<float>.Zero, ref columns, (nuint)(j * MaxBatch));");
                        w.Line("continue;");
                    }
                    w.Line("ref " + T + " rows = ref " + UnsafeAdd + "(ref source, b * " + n + ");");
                    using (w.Open("if (valid >= 16)"))
                        TransposeGroup(w, n, whole, partial: false);
                    using (w.Open("else"))
                        TransposeGroup(w, n, whole, partial: true);
                }
            }
            else
            {
                w.Line("// The samples one at a time, then the zeros.");
                using (w.Open("for (; b < count; b++)"))
                {
                    w.Line("ref " + T + " row = ref " + UnsafeAdd + "(ref source, b * " + n + ");");
                    using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                        w.Line(At("xT", "j * MaxBatch + b") + " = " + At("row", "j") + ";");
                }
                using (w.Open("for (; b < MaxBatch; b++)"))
                using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                    w.Line(At("xT", "j * MaxBatch + b") + " = 0;");
            }
        }
        w.Line();
    }

    /// <summary>The 16 × 16 blocks of one group of 16 samples, then its last n mod 16 inputs as scalars; partial: rows k ≥ valid are zeros.</summary>
    private void TransposeGroup(SourceWriter w, int n, int whole, bool partial)
    {
        using (w.Open("for (int j = 0; j < " + whole + "; j += 16)"))
        {
            w.Line("ref " + T + " block = ref " + UnsafeAdd + "(ref rows, j); // rows k at k × " + n);
            w.Line("ref " + T + " blockT = ref " + UnsafeAdd + "(ref columns, j * MaxBatch); // columns k at k × MaxBatch");
            Transpose16(w, n, partial);
        }
        if (whole < n)
            using (w.Open("for (int j = " + whole + "; j < " + n + "; j++)"))
            using (w.Open("for (int k = 0; k < 16; k++)"))
                w.Line(At("columns", "j * MaxBatch + k") + " = " + (partial ? "k < valid ? " + At("rows", "k * " + n + " + j") + " : 0" : At("rows", "k * " + n + " + j")) + ";");
    }

    /// <summary>One 16 × 16 float block: rows k of <c>rows</c> (stride n) at j into columns j + k of <c>columns</c> (stride MaxBatch).</summary>
    private void Transpose16(SourceWriter w, int n, bool partial)
    {
        string avx = "Simd::X86.Avx512F";
        string vf = V512 + "<float>";
        for (int k = 0; k < 16; k++)
        {
            string load = V512 + ".LoadUnsafe(ref block" + (k == 0 ? "" : ", " + (k * n).ToString(CultureInfo.InvariantCulture)) + ")";
            w.Line(vf + " r" + k + " = " + (partial && k > 0 ? k + " < valid ? " + load + " : " + vf + ".Zero" : load) + ";"); // valid ≥ 1
        }
        w.Line("// [a0 b0 a1 b1 | a4 b4 a5 b5 | …] from rows a, b");
        for (int k = 0; k < 16; k += 2)
        {
            w.Line(vf + " t" + k + " = " + avx + ".UnpackLow(r" + k + ", r" + (k + 1) + ");");
            w.Line(vf + " t" + (k + 1) + " = " + avx + ".UnpackHigh(r" + k + ", r" + (k + 1) + ");");
        }
        w.Line("// [a0 b0 c0 d0 | a4 b4 c4 d4 | …]: s{4g + c} holds inputs c, c + 4, c + 8, c + 12 of rows 4g…4g + 3");
        for (int g = 0; g < 4; g++)
        {
            int a = 4 * g;
            string D(int t) => V512 + ".AsDouble(t" + t + ")";
            w.Line(vf + " s" + a + " = " + V512 + ".AsSingle(" + avx + ".UnpackLow(" + D(a) + ", " + D(a + 2) + "));");
            w.Line(vf + " s" + (a + 1) + " = " + V512 + ".AsSingle(" + avx + ".UnpackHigh(" + D(a) + ", " + D(a + 2) + "));");
            w.Line(vf + " s" + (a + 2) + " = " + V512 + ".AsSingle(" + avx + ".UnpackLow(" + D(a + 1) + ", " + D(a + 3) + "));");
            w.Line(vf + " s" + (a + 3) + " = " + V512 + ".AsSingle(" + avx + ".UnpackHigh(" + D(a + 1) + ", " + D(a + 3) + "));");
        }
        w.Line("// 128-bit lanes gathered across the four groups: column c, c + 4, c + 8, c + 12");
        for (int c = 0; c < 4; c++)
        {
            w.Line("{");
            w.Line("    " + vf + " even01 = " + avx + ".Shuffle4x128(s" + c + ", s" + (4 + c) + ", 0x88), even23 = " + avx + ".Shuffle4x128(s" + (8 + c) + ", s" + (12 + c) + ", 0x88);");
            w.Line("    " + vf + " odd01 = " + avx + ".Shuffle4x128(s" + c + ", s" + (4 + c) + ", 0xDD), odd23 = " + avx + ".Shuffle4x128(s" + (8 + c) + ", s" + (12 + c) + ", 0xDD);");
            w.Line("    " + V512 + ".StoreUnsafe(" + avx + ".Shuffle4x128(even01, even23, 0x88), ref blockT" + (c == 0 ? "" : ", " + c * MaxBatch) + ");");
            w.Line("    " + V512 + ".StoreUnsafe(" + avx + ".Shuffle4x128(odd01, odd23, 0x88), ref blockT, " + (c + 4) * MaxBatch + ");");
            w.Line("    " + V512 + ".StoreUnsafe(" + avx + ".Shuffle4x128(even01, even23, 0xDD), ref blockT, " + (c + 8) * MaxBatch + ");");
            w.Line("    " + V512 + ".StoreUnsafe(" + avx + ".Shuffle4x128(odd01, odd23, 0xDD), ref blockT, " + (c + 12) * MaxBatch + ");");
            w.Line("}");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // uᵀ = W·xᵀ + b, layer by layer.

    private void WriteFeatureMajorLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, rows = FeatureMajorRows, vectors = FeatureMajorVectors;
        int block = vectors * WideLanes, mainRows = m - m % rows;
        bool softmax = layer.Activation == Activation.Softmax, first = l == 1;
        w.Line("// Layer " + l + ", feature-major: u" + Sup(l) + "[i, b] = Σ_j W" + Sup(l) + "[i, j]·x" + Sup(l - 1) + "[j, b] + b" + Sup(l) + "[i]  [" + n + " → " + m + "], x" + Sup(l) + " = " +
               (softmax ? "u" + Sup(l) + " (the softmax follows in OutputsFeatureMajor)" : FunctionText(layer.Activation, "u" + Sup(l))) + ",");
        w.Line("// into _batchX" + l + " as [" + m + ", MaxBatch]" + (first ? ", from the inputs transposed into _batchX0 as [" + n + ", MaxBatch]" : "") + ".");
        w.Line("// Tiles of " + rows + " rows × " + block + " samples (" + vectors + " vectors): per input j, " + vectors + " loads of x and " + rows + " broadcasts of W feed " + rows * vectors + " FMAs.");
        string readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        using (OpenMethod(w, "private void ForwardFeatureMajorLayer" + l + (first ? "(" + readOnlySpan + " inputs, int count)" : "()")))
        {
            if (first) w.Line("TransposeInputsFeatureMajor(inputs, count);");
            w.Line(ThetaRef("p"));
            w.Line(Ref("x", "_batchX" + (l - 1)));
            w.Line(Ref("u", "_batchX" + l));
            bool columnLoop = block < MaxBatch;
            using (columnLoop ? w.Open("for (int c = 0; c < MaxBatch; c += " + block + ")") : w.Open())
            {
                string c = columnLoop ? "c" : "0";
                if (mainRows > 0)
                    using (w.Open("for (int i = 0; i < " + mainRows + "; i += " + rows + ")"))
                        FeatureMajorTile(w, layer, new Index("i", 0), rows, c);
                if (m % rows > 0)
                    using (w.Open())
                        FeatureMajorTile(w, layer, mainRows, m % rows, c);
            }
        }
        w.Line();
    }

    /// <summary>One tile: <paramref name="rows"/> rows from <paramref name="i"/> × the tile's samples from column <paramref name="c"/>.</summary>
    private void FeatureMajorTile(SourceWriter w, LayerShape layer, Index i, int rows, string c)
    {
        int l = layer.Number, n = layer.Inputs, vectors = FeatureMajorVectors, lanes = WideLanes;
        string fma = "Simd::X86.Avx512F.FusedMultiplyAdd";
        w.Line("ref " + T + " wj = ref " + At("p", "W" + l + (i.Variable is null ? i.Offset == 0 ? "" : " + " + (i.Offset * n).ToString(CultureInfo.InvariantCulture) : " + " + i.Times(n))) + "; // W[i, j]; W[i + 1, j] is " + n + " further, …");
        w.Line("ref " + T + " xj = ref " + (c == "0" ? "x" : UnsafeAdd + "(ref x, " + c + ")") + "; // x[j, the tile's samples]");
        for (int r = 0; r < rows; r++)
            for (int s = 0; s < vectors; s++)
                w.Line(V512Type + " sum" + r + "_" + s + " = " + V512Type + ".Zero;");
        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
        {
            for (int s = 0; s < vectors; s++)
                w.Line(V512Type + " x" + s + " = " + V512 + ".LoadUnsafe(ref xj" + (s == 0 ? "" : ", " + s * lanes) + ");");
            for (int r = 0; r < rows; r++)
            {
                w.Line("{");
                w.Line("    " + V512Type + " wv = " + V512 + ".Create(" + (r == 0 ? "wj" : At("wj", (r * n).ToString(CultureInfo.InvariantCulture))) + ");");
                for (int s = 0; s < vectors; s++)
                    w.Line("    sum" + r + "_" + s + " = " + fma + "(wv, x" + s + ", sum" + r + "_" + s + ");");
                w.Line("}");
            }
            w.Line("xj = ref " + UnsafeAdd + "(ref xj, MaxBatch);");
            w.Line("wj = ref " + UnsafeAdd + "(ref wj, 1);");
        }
        bool softmax = layer.Activation == Activation.Softmax;
        string row = i.Variable is null ? (i.Offset * MaxBatch).ToString(CultureInfo.InvariantCulture) : i + " * MaxBatch";
        w.Line("ref " + T + " uTile = ref " + UnsafeAdd + "(ref u, " + row + (c == "0" ? "" : " + " + c) + "); // u[i, the tile's samples]; u[i + 1, …] is MaxBatch further");
        for (int r = 0; r < rows; r++)
        {
            w.Line("{");
            w.Line("    " + V512Type + " bias = " + V512 + ".Create(" + At("p", "B" + l + " + " + i.Plus(r)) + ");");
            for (int s = 0; s < vectors; s++)
            {
                int offset = r * MaxBatch + s * lanes;
                w.Line("    " + V512Type + " u" + s + " = sum" + r + "_" + s + " + bias;");
                w.Line("    " + V512 + ".StoreUnsafe(" + (softmax ? "u" + s : WideFunction(layer.Activation, "u" + s)) + ", ref uTile" + (offset == 0 ? "" : ", " + offset.ToString(CultureInfo.InvariantCulture)) + ");");
            }
            w.Line("}");
        }
    }

    /// <summary>
    /// f on the Vector512 local <paramref name="u"/>: ReLU, leaky ReLU and (float) tanh directly; the others on its two
    /// Vector256 halves with VectorMath's Vector256 forms (the same values as the per-sample path, lane for lane).
    /// </summary>
    private string WideFunction(Activation activation, string u) =>
        RegisterActivation(activation, new VectorWidth(Element, wide: true), u)
        ?? Halves(half => VectorFunction(activation, half), u);

    /// <summary>A Vector256 function on both halves of the Vector512 local <paramref name="v"/>.</summary>
    private static string Halves(string f, string v) => Halves(half => f + "(" + half + ")", v);

    /// <summary><paramref name="f"/>, a Vector256 expression of its argument, on both halves of the Vector512 local <paramref name="v"/>.</summary>
    private static string Halves(System.Func<string, string> f, string v) =>
        V512 + ".Create(" + f(V512 + ".GetLower(" + v + ")") + ", " + f(V512 + ".GetUpper(" + v + ")") + ")";

    // ---------------------------------------------------------------------------------------------------------------
    // The outputs: a softmax lane-wise, then transposed back.

    private void WriteFeatureMajorOutputs(SourceWriter w)
    {
        int l = Output.Number, m = Output.Outputs, lanes = WideLanes;
        string span = "global::System.Span<" + T + ">";
        w.Line(SoftmaxOutput
            ? "// x" + Sup(l) + " = softmax(u" + Sup(l) + ") per sample, one sample a lane: max over the rows, e^(u − max), their sum, then the scale; then outputs[b, i] = x" + Sup(l) + "[i, b]."
            : "// outputs[b, i] = x" + Sup(l) + "[i, b] for the chunk's samples.");
        using (OpenMethod(w, "private void OutputsFeatureMajor(" + span + " outputs, int count)"))
        {
            w.Line(Ref("x", "_batchX" + l));
            if (SoftmaxOutput)
            {
                using (w.Open("for (int c = 0; c < count; c += " + lanes + ")"))
                {
                    w.Line("ref " + T + " xc = ref " + UnsafeAdd + "(ref x, c);");
                    w.Line(V512Type + " max = " + V512 + ".LoadUnsafe(ref xc);");
                    using (w.Open("for (int i = 1; i < " + m + "; i++)"))
                        w.Line("max = " + V512 + ".Max(max, " + V512 + ".LoadUnsafe(ref xc, (nuint)(i * MaxBatch)));");
                    w.Line(V512Type + " total = " + V512Type + ".Zero;");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(V512Type + " shifted = " + V512 + ".LoadUnsafe(ref xc, (nuint)(i * MaxBatch)) - max;");
                        w.Line(V512Type + " e = " + Halves("Nc::VectorMath.Exp", "shifted") + ";");
                        w.Line(V512 + ".StoreUnsafe(e, ref xc, (nuint)(i * MaxBatch));");
                        w.Line("total += e;");
                    }
                    w.Line(V512Type + " scale = " + V512Type + ".One / total;");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                        w.Line(V512 + ".StoreUnsafe(" + V512 + ".LoadUnsafe(ref xc, (nuint)(i * MaxBatch)) * scale, ref xc, (nuint)(i * MaxBatch));");
                }
            }
            w.Line("ref " + T + " o = ref Interop::MemoryMarshal.GetReference(outputs);");
            using (w.Open("for (int b = 0; b < count; b++)"))
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At("o", "b * " + m + " + i") + " = " + At("x", "i * MaxBatch + b") + ";");
        }
        w.Line();
    }
}
