using System;
using System.Collections.Generic;
using System.Linq;

using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

namespace NetCompiler.Generator.Emit;

/// <summary>
/// The batched entry points ForwardBatch, BackwardBatch and TrainStepBatch over [batch, features] row-major data. A
/// dense chain runs chunks of <see cref="MaxBatch"/> samples through blocked kernels, one method per layer and pass:
/// register tiles of samples × rows or rows × column vectors, so each load of W or g_W serves several samples; Vector512
/// tiles where AVX-512 is accelerated (and NetworkEmitter.BatchFeatureMajor.cs for full chunks). Without AVX-512 the
/// results equal B per-sample calls; the Vector512 u = W·x sums in another order. A graph loops over the per-sample
/// path (bench/RESULTS.md, "Batched tiles").
/// </summary>
internal sealed partial class NetworkEmitter
{
    private const string UnsafeAdd = "global::System.Runtime.CompilerServices.Unsafe.Add";

    // ---------------------------------------------------------------------------------------------------------------
    // The public entry points, shared by both paths.

    private void WriteBatchEntryPoints(SourceWriter w, bool blocked)
    {
        string span = "global::System.Span<" + T + ">", readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("/// <summary>");
        w.Line("/// Forward over <paramref name=\"batch\"/> samples: <paramref name=\"inputs\"/> is [batch, InputSize] row-major and");
        w.Line("/// <paramref name=\"outputs\"/> receives [batch, OutputSize]; the same results as Forward on each row. " +
               (blocked ? "Runs in chunks of MaxBatch samples through blocked kernels; allocates nothing." : "A loop over Forward (the graph path is not yet blocked); allocates nothing."));
        w.Line(blocked ? "/// Activities and the per-sample state are not changed." : "/// Activities afterwards are those of the last sample.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or outputs not batch × " + _topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public void ForwardBatch(" + readOnlySpan + " inputs, " + span + " outputs, int batch)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != outputs.Length) ThrowBatchLength(nameof(outputs), batch, OutputSize, outputs.Length);");
            if (_plan.BatchForward == BatchForwardKind.RegisterLoop)
            {
                RegisterForwardBatch(w);
            }
            else if (blocked)
            {
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    WriteFeatureMajorDispatch(w);
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    int outStride = _t.Padded(Output.Outputs);
                    if (outStride == Output.Outputs)
                        w.Line(ReadOnlyStart("_batchX" + Output.Number, "count * OutputSize") + ".CopyTo(outputs.Slice(start * OutputSize));");
                    else
                        using (w.Open("for (int b = 0; b < count; b++)"))
                            w.Line(ReadOnlyStart("_batchX" + Output.Number, "MaxBatch * " + outStride) + ".Slice(b * " + outStride + ", OutputSize).CopyTo(outputs.Slice((start + b) * OutputSize, OutputSize));");
                }
            }
            else
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                    w.Line("Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));");
            }
        }
        w.Line();
        if (!Trainable) return;

        w.Line("/// <summary>");
        w.Line("/// Forward and backward over <paramref name=\"batch\"/> samples ([batch, InputSize] inputs, [batch, OutputSize] targets),");
        w.Line("/// adding the summed ∂L/∂θ to Gradients (+=) as batch Forward/Backward pairs would; returns the summed loss.");
        w.Line("/// For a mean step, follow with Update(learningRate / batch). " + (blocked ? "Blocked kernels, in chunks of MaxBatch samples." : "A loop over the per-sample path (not yet blocked)."));
        w.Line(blocked ? "/// Activities, Sensitivities and the per-sample state are not changed." : "/// Activities and Sensitivities afterwards are those of the last sample.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or targets not batch × " + _topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " BackwardBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != targets.Length) ThrowBatchLength(nameof(targets), batch, OutputSize, targets.Length);");
            w.Line(T + " loss = 0;");
            if (blocked)
            {
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    w.Line("loss += BackwardBatchOutput(targets.Slice(start * OutputSize, count * OutputSize), count);");
                    for (int l = L; l >= 1; l--) w.Line("BackwardBatchLayer" + l + "(count);");
                }
            }
            else
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                {
                    w.Line("ForwardCore(inputs.Slice(b * InputSize, InputSize));");
                    w.Line("loss += Backward(targets.Slice(b * OutputSize, OutputSize));");
                }
            }
            w.Line("return loss;");
        }
        w.Line();

        w.Line("/// <summary>BackwardBatch, then Update(learningRate): one SGD step with the summed gradient of the batch; returns the summed loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or targets not batch × " + _topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " TrainStepBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch, " + T + " learningRate)"))
        {
            w.Line(T + " loss = BackwardBatch(inputs, targets, batch);");
            w.Line("Update(learningRate);");
            w.Line("return loss;");
        }
        w.Line();
    }

    private static void WriteBatchHelpers(SourceWriter w)
    {
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("private static void ThrowBatchLength(string name, int batch, int size, int actual) =>");
        w.Line("    throw new global::System.ArgumentException(\"Expected \" + name + \" of length batch × size = \" + batch + \" × \" + size + \" = \" + ((long)batch * size) + \", got \" + actual + \".\", name);");
        w.Line();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The dense chain's buffers and kernels.

    private void WriteBatchBuffers(SourceWriter w)
    {
        w.Line("/// <summary>The samples the batched kernels hold at once; ForwardBatch, BackwardBatch and TrainStepBatch take larger batches in chunks of this many.</summary>");
        w.Line("public const int MaxBatch = " + MaxBatch + ";");
        w.Line("// The batched x⁰…x" + Sup(L) + (Trainable ? " and û¹…û" + Sup(L) : "") + ": MaxBatch rows each, every row padded to whole vectors like the per-sample buffers.");
        AlignedField(w, "_batchX0", "MaxBatch * " + _t.Padded(_topology.InputSize));
        foreach (LayerShape layer in _layers)
            AlignedField(w, "_batchX" + layer.Number, "MaxBatch * " + _t.Padded(layer.Outputs));
        if (Trainable)
            foreach (LayerShape layer in _layers)
                AlignedField(w, "_batchS" + layer.Number, "MaxBatch * " + _t.Padded(layer.Outputs));
        if (SoftmaxOutput)
        {
            w.Line("// u" + Sup(L) + " per sample and log Σ e^u (the softmax's shift plus the log of its normaliser), for the loss.");
            AlignedField(w, "_batchU" + L, "MaxBatch * " + _t.Padded(Output.Outputs));
            AlignedField(w, "_batchLogPartition", "MaxBatch");
        }
        w.Line();
    }

    private void WriteBatchChain(SourceWriter w)
    {
        WriteBatchEntryPoints(w, blocked: true);
        int inStride = _t.Padded(_topology.InputSize);
        w.Line("// The chunk's inputs into padded rows of _batchX0 (the padding lanes stay 0), then each layer in turn.");
        using (OpenMethod(w, "private void ForwardBatchCore(global::System.ReadOnlySpan<" + T + "> inputs, int count)"))
        {
            if (inStride == _topology.InputSize)
                w.Line("inputs.CopyTo(" + WholeSpan("_batchX0", "MaxBatch * InputSize") + ");");
            else if (SmallCopy(_topology.InputSize))
            {
                w.Line("ref " + T + " source = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
                w.Line(BatchRef("x0", "_batchX0"));
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line(CopyBlock(UnsafeAdd + "(ref x0, b * " + inStride + ")", UnsafeAdd + "(ref source, b * InputSize)", "InputSize") + " // a constant size: a few moves, no call");
            }
            else
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line("inputs.Slice(b * InputSize, InputSize).CopyTo(" + WholeSpan("_batchX0", "MaxBatch * " + inStride) + ".Slice(b * " + inStride + ", InputSize));");
            foreach (LayerShape layer in _layers) w.Line("ForwardBatchLayer" + layer.Number + "(count);");
        }
        w.Line();
        foreach (LayerShape layer in _layers) WriteForwardBatchLayer(w, layer);
        WriteFeatureMajorForward(w);
        if (Trainable)
        {
            WriteBackwardBatchOutput(w);
            foreach (LayerShape layer in _layers) WriteBackwardBatchLayer(w, layer);
        }
        WriteBatchHelpers(w);
        if (_plan.AnyBatchForwardVector512) WriteSumsOf4(w);
    }

    private string BatchRef(string name, string array) => Ref(name, array);

    private void WriteForwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        bool softmax = layer.Activation == Activation.Softmax;
        w.Line("// Layer " + l + " over the chunk: u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + n + " → " + m + "], x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + ".");
        using (OpenMethod(w, "private void ForwardBatchLayer" + l + "(int count)"))
        {
            w.Line(BatchRef("p", "_parameters"));
            w.Line(BatchRef("x", "_batchX" + (l - 1)));
            w.Line(BatchRef("u", softmax ? "_batchU" + l : "_batchX" + l));
            LayerPlan plan = PlanOf(layer);
            if (plan.BatchForward == BatchKernel.RowsToVector)
            {
                // At most a vector of outputs: per sample, the rows' partial sums added pairwise into one vector, instead
                // of a horizontal sum per sample and row.
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
                    DenseForwardRowsToVector(w, layer, "xb", "ub");
                }
            }
            else if (plan.BatchForward == BatchKernel.Tiles)
                WidthDispatch(w, plan.BatchForwardVector512, "ForwardBatchLayer" + l + "Vector512", () => ForwardTiles(w, layer, Narrow256));
            else if (plan.BatchForward == BatchKernel.Narrow)
                ForwardBatchNarrow(w, layer);
            else
            {
                w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalar multiply-adds.");
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
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
            if (softmax) SoftmaxBatch(w, layer);
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
                w.Line(BatchRef("p", "_parameters"));
                w.Line(BatchRef("x", "_batchX" + (l - 1)));
                w.Line(BatchRef("u", softmax ? "_batchU" + l : "_batchX" + l));
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
        int m = layer.Outputs, inStride = _t.Padded(layer.Inputs), outStride = _t.Padded(m);
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
            string sums = V == 8 ? "global::System.Runtime.Intrinsics.Vector128" : "global::System.Runtime.Intrinsics.Vector256";
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
    private void WriteSumsOf4(SourceWriter w)
    {
        string v512 = "global::System.Runtime.Intrinsics.Vector512<" + T + ">", v256 = "global::System.Runtime.Intrinsics.Vector256<" + T + ">";
        string avx = "global::System.Runtime.Intrinsics.X86.Avx";
        string result = V == 8 ? "global::System.Runtime.Intrinsics.Vector128<float>" : v256;
        string v512s = "global::System.Runtime.Intrinsics.Vector512";
        w.Line("// [Σa, Σb, Σc, Σd] over the lanes of four Vector512 accumulators (the batched Vector512 kernels' four rows of a sample):");
        w.Line("// each folded to its halves' sum, then pairwise sums across the four. Only called when Vector512 is accelerated (AVX-512, so AVX).");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Open("private static " + result + " SumsOf4(" + v512 + " a, " + v512 + " b, " + v512 + " c, " + v512 + " d)"))
        {
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)] static " + v256 + " Half(" + v512 + " v) => " + v512s + ".GetLower(v) + " + v512s + ".GetUpper(v);");
            if (V == 8)
            {
                w.Line(v256 + " ab = " + avx + ".HorizontalAdd(Half(a), Half(b)); // [a01 a23 b01 b23 | a45 a67 b45 b67]");
                w.Line(v256 + " cd = " + avx + ".HorizontalAdd(Half(c), Half(d));");
                w.Line(v256 + " abcd = " + avx + ".HorizontalAdd(ab, cd); // [a0123 b0123 c0123 d0123 | a4567 b4567 c4567 d4567]");
                w.Line("return global::System.Runtime.Intrinsics.Vector256.GetLower(abcd) + global::System.Runtime.Intrinsics.Vector256.GetUpper(abcd);");
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

    /// <summary>x = softmax(u) per sample, as SoftmaxForward does it; keeps log Σ e^u per sample.</summary>
    private void SoftmaxBatch(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, padded = _t.Padded(m), last = padded - V, realInLast = m - last;
        w.Line(BatchRef("xOut", "_batchX" + l));
        w.Line(BatchRef("logPartition", "_batchLogPartition"));
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + ") per sample: subtract max(u) so that no exponent overflows.");
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + padded + ");");
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref xOut, b * " + padded + ");");
            w.Line(T + " max = " + At("ub", "0") + ";");
            using (w.Open("for (int i = 1; i < " + m + "; i++)"))
                w.Line("if (" + At("ub", "i") + " > max) max = " + At("ub", "i") + ";");
            w.Line(VectorType + " shift = global::System.Runtime.Intrinsics.Vector256.Create(max), total = " + VectorType + ".Zero;");
            if (last > 0)
                using (w.Open("for (int j = 0; j < " + last + "; j += " + V + ")"))
                    SoftmaxExp(w, "xb", "ub", new Index("j", 0), null);
            using (w.Open())
                SoftmaxExp(w, "xb", "ub", last, realInLast < V ? _t.MaskFirst(realInLast) + "; // the padding lanes stay 0" : ";");
            w.Line(T + " sumExp = global::System.Runtime.Intrinsics.Vector256.Sum(total);");
            w.Line(At("logPartition", "b") + " = max + " + _t.Math + ".Log(sumExp);");
            w.Line(VectorType + " scale = global::System.Runtime.Intrinsics.Vector256.Create(" + _t.Literal(1) + " / sumExp);");
            using (w.Open("for (int j = 0; j < " + padded + "; j += " + V + ")"))
                w.Line(Store(Load("xb", new Index("j", 0)) + " * scale", "xb", new Index("j", 0)));
        }
    }

    /// <summary>The loss of each sample and û^L, as OutputSensitivity does it per sample; returns the summed loss.</summary>
    private void WriteBackwardBatchOutput(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number, stride = _t.Padded(m);
        w.Line("// The chunk's loss and û" + Sup(l) + ", sample by sample; then f' over the whole chunk.");
        using (OpenMethod(w, "private " + T + " BackwardBatchOutput(global::System.ReadOnlySpan<" + T + "> targets, int count)"))
        {
            w.Line("ref " + T + " d = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(targets);");
            w.Line(BatchRef("x", "_batchX" + l));
            w.Line(BatchRef("s", "_batchS" + l));
            if (_model.Loss == LossFunction.CrossEntropy) w.Line(BatchRef("logPartition", "_batchLogPartition"));
            w.Line(T + " loss = 0;");
            using (w.Open("for (int b = 0; b < count; b++)"))
            {
                w.Line("ref " + T + " db = ref " + UnsafeAdd + "(ref d, b * " + m + ");");
                w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + stride + ");");
                w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + stride + ");");
                if (_model.Loss == LossFunction.CrossEntropy)
                {
                    w.Line(T + " logZ = " + At("logPartition", "b") + ", targetSum = 0, sampleLoss = 0;");
                    w.Line(BatchRef("u", "_batchU" + l));
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + stride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(T + " di = " + At("db", "i") + ";");
                        w.Line("targetSum += di;");
                        w.Line("if (di != 0) sampleLoss -= di * (" + At("ub", "i") + " - logZ);");
                    }
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                        w.Line(At("sb", "i") + " = " + At("db", "i") + " - targetSum * " + At("xb", "i") + ";");
                    w.Line("loss += sampleLoss;");
                }
                else
                    SquaredErrorBatchSample(w, m);
            }
            if (!SoftmaxOutput) ActivationBackwardBatch(w, Output, "x", "s");
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>The squared error of sample b and its x̂ (for a softmax output, û through the softmax's Jacobian).</summary>
    private void SquaredErrorBatchSample(SourceWriter w, int m)
    {
        w.Line(T + " sampleLoss = 0;");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line(T + " error = " + At("db", "i") + " - " + At("xb", "i") + ";");
            w.Line("sampleLoss += error * error;");
            w.Line(At("sb", "i") + " = error;");
        }
        w.Line("loss += " + _t.Literal(0.5) + " * sampleLoss;");
        if (SoftmaxOutput)
        {
            w.Line(T + " dot = 0;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line("dot += " + At("xb", "i") + " * " + At("sb", "i") + ";");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At("sb", "i") + " = " + At("xb", "i") + " * (" + At("sb", "i") + " - dot);");
        }
    }

    /// <summary>û = f'(u)·x̂ over the chunk's rows, padding included (it holds 0 in x̂, so it stays finite and unread).</summary>
    private void ActivationBackwardBatch(SourceWriter w, LayerShape layer, string x, string s)
    {
        if (layer.Activation == Activation.Identity) return;
        var k = new Index("k", 0);
        w.Line("// û" + Sup(layer.Number) + " = f'(u" + Sup(layer.Number) + ")·x̂" + Sup(layer.Number) + " over the chunk.");
        using (w.Open("for (int k = 0; k < count * " + _t.Padded(layer.Outputs) + "; k += " + V + ")"))
        {
            w.Line(VectorType + " xv = " + Load(x, k) + ";");
            w.Line(Store(DerivativeTimes(layer.Activation, "xv", Load(s, k)), s, k));
        }
    }

    private void WriteBackwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        bool needInputSensitivity = l > 1;
        w.Line("// Layer " + l + " over the chunk: g_b" + Sup(l) + " += −Σ_b û" + Sup(l) + ", g_W" + Sup(l) + " += −Σ_b û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ" +
               (needInputSensitivity ? ", x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " per sample, then û" + Sup(l - 1) + " = f'·x̂" + Sup(l - 1) : "") + ".");
        using (OpenMethod(w, "private void BackwardBatchLayer" + l + "(int count)"))
        {
            w.Line(BatchRef("p", "_parameters"));
            w.Line(BatchRef("g", "_gradients"));
            w.Line(BatchRef("x", "_batchX" + (l - 1)));
            w.Line(BatchRef("s", "_batchS" + l));
            if (needInputSensitivity) w.Line(BatchRef("sIn", "_batchS" + (l - 1)));

            // g_b: whole vectors with the batch streaming past, then the last few as scalars; the samples in order.
            int wholeBias = m / V * V;
            w.Line("ref " + T + " gb = ref " + At("g", "B" + l) + ";");
            if (wholeBias > 0)
                using (w.Open("for (int i = 0; i < " + wholeBias + "; i += " + V + ")"))
                {
                    var i = new Index("i", 0);
                    w.Line(VectorType + " acc = " + Load("gb", i) + ";");
                    using (w.Open("for (int b = 0; b < count; b++)"))
                        w.Line("acc -= " + Load("s", new Index("(b * " + outStride + " + i)", 0)) + ";");
                    w.Line(Store("acc", "gb", i));
                }
            if (wholeBias < m)
                using (w.Open("for (int i = " + wholeBias + "; i < " + m + "; i++)"))
                {
                    w.Line(T + " acc = " + At("gb", "i") + ";");
                    using (w.Open("for (int b = 0; b < count; b++)"))
                        w.Line("acc -= " + At("s", "b * " + outStride + " + i") + ";");
                    w.Line(At("gb", "i") + " = acc;");
                }

            LayerPlan plan = PlanOf(layer);
            if (plan.BatchBackward == BatchKernel.Tiles) WidthDispatch(w, plan.BatchBackwardVector512, "GradientBatchLayer" + l + "Vector512", () => GradientTiles(w, layer, Narrow256));
            else if (plan.BatchBackward == BatchKernel.Narrow)
                GradientBatchNarrow(w, layer);
            else
            {
                w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalars, the samples in order.");
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(T + " uHat = " + At("sb", "i") + ";");
                        w.Line("ref " + T + " gRow = ref " + At("g", "W" + l + " + i * " + n) + ";");
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                            w.Line(At("gRow", "j") + " -= uHat * " + At("xb", "j") + ";");
                    }
                }
            }

            if (needInputSensitivity)
            {
                if (plan.BatchBackward == BatchKernel.Tiles)
                    WidthDispatch(w, plan.BatchBackwardVector512, "InputSensitivityBatchLayer" + l + "Vector512", () => InputSensitivityTiles(w, layer, Narrow256));
                else if (plan.BatchBackward == BatchKernel.Narrow)
                    InputSensitivityBatchNarrow(w, layer);
                else
                {
                    using (w.Open("for (int b = 0; b < count; b++)"))
                    {
                        w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                        w.Line("ref " + T + " hb = ref " + UnsafeAdd + "(ref sIn, b * " + inStride + ");");
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                        {
                            w.Line(T + " sum = 0;");
                            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                                w.Line("sum += " + At("p", "W" + l + " + i * " + n + " + j") + " * " + At("sb", "i") + ";");
                            w.Line(At("hb", "j") + " = sum;");
                        }
                    }
                }
                w.Line(BatchRef("xIn", "_batchX" + (l - 1)));
                ActivationBackwardBatch(w, _layers[l - 2], "xIn", "sIn");
            }
        }
        w.Line();
        if (PlanOf(layer).BatchBackwardVector512)
        {
            w.Line("// Layer " + l + "'s g_W" + Sup(l) + " += −Σ_b û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ with Vector512 tiles (AVX-512: 32 registers, twice the lanes); the samples in order.");
            using (OpenMethod(w, "private void GradientBatchLayer" + l + "Vector512(int count)"))
            {
                w.Line(BatchRef("g", "_gradients"));
                w.Line(BatchRef("x", "_batchX" + (l - 1)));
                w.Line(BatchRef("s", "_batchS" + l));
                GradientTiles(w, layer, Wide512);
            }
            w.Line();
            if (needInputSensitivity)
            {
                w.Line("// Layer " + l + "'s x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " per sample with Vector512 tiles (AVX-512: 32 registers, twice the lanes).");
                using (OpenMethod(w, "private void InputSensitivityBatchLayer" + l + "Vector512(int count)"))
                {
                    w.Line(BatchRef("p", "_parameters"));
                    w.Line(BatchRef("s", "_batchS" + l));
                    w.Line(BatchRef("sIn", "_batchS" + (l - 1)));
                    InputSensitivityTiles(w, layer, Wide512);
                }
                w.Line();
            }
        }
    }

    /// <summary>
    /// A wide layer's kernel as a call to its Vector512 method when <c>Vector512.IsHardwareAccelerated</c> (a JIT
    /// constant, so the JIT keeps one branch), else <paramref name="narrow"/> inline; a narrower layer's just <paramref name="narrow"/>.
    /// </summary>
    private void WidthDispatch(SourceWriter w, bool vector512, string wideMethod, Action narrow)
    {
        if (vector512)
        {
            w.Line("if (" + Wide512.Class + ".IsHardwareAccelerated) " + wideMethod + "(count);");
            w.Line("else");
        }
        using (w.Open()) narrow();
    }

    /// <summary>
    /// g_W += −Σ_b û_b·x_bᵀ by tiles of k.GradientRows rows × k.GradientColumns column vectors held in registers while
    /// the batch streams past. The overlapping tail vector (x masked, so the lanes it shares get +0) is its own tile,
    /// after the others have stored the lanes it overlaps.
    /// </summary>
    private void GradientTiles(SourceWriter w, LayerShape layer, Width k)
    {
        int n = layer.Inputs, m = layer.Outputs, whole = n / k.Lanes, tail = n % k.Lanes, columns = k.GradientColumns, rows = k.GradientRows;
        int fullBlocks = whole / columns, mainRows = m - m % rows;
        w.Line("// g_W: tiles of " + rows + " rows × " + columns + " column vectors stay in registers while the chunk streams past.");
        if (tail > 0) w.Line(k.Type + " tailMask = " + MaskLast(k, tail) + ";");
        var groups = new List<(Index Start, int Columns, bool Tail)>();
        if (fullBlocks > 0) groups.Add((new Index("j", 0), columns, false));
        if (whole % columns > 0) groups.Add((fullBlocks * columns * k.Lanes, whole % columns, false));
        if (tail > 0) groups.Add((n - k.Lanes, 1, true));
        foreach (var group in groups)
        {
            bool loop = group.Start.Variable is not null;
            using (loop ? w.Open("for (int j = 0; j < " + fullBlocks * columns * k.Lanes + "; j += " + columns * k.Lanes + ")") : w.Open())
            {
                if (mainRows > 0)
                    using (w.Open("for (int i = 0; i < " + mainRows + "; i += " + rows + ")"))
                        GradientTile(w, layer, k, new Index("i", 0), rows, group.Start, group.Columns, group.Tail);
                if (m % rows > 0)
                    using (w.Open())
                        GradientTile(w, layer, k, mainRows, m % rows, group.Start, group.Columns, group.Tail);
            }
        }
    }

    private void GradientTile(SourceWriter w, LayerShape layer, Width k, Index i, int rows, Index j, int columns, bool tail)
    {
        int l = layer.Number, n = layer.Inputs, inStride = _t.Padded(n), outStride = _t.Padded(layer.Outputs);
        for (int r = 0; r < rows; r++)
        {
            w.Line("ref " + T + " gRow" + r + " = ref " + At("g", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
            for (int c = 0; c < columns; c++)
                w.Line(k.Type + " acc" + r + "_" + c + " = " + k.Load("gRow" + r, j.Plus(c * k.Lanes)) + ";");
        }
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
            w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
            for (int c = 0; c < columns; c++)
                w.Line(k.Type + " xv" + c + " = " + k.Load("xb", j.Plus(c * k.Lanes)) + (tail ? " & tailMask" : "") + ";");
            for (int r = 0; r < rows; r++)
            {
                w.Line("{");
                w.Line("    " + k.Type + " uHat = " + k.Class + ".Create(" + At("sb", i.Plus(r).ToString()) + ");");
                for (int c = 0; c < columns; c++)
                    w.Line("    acc" + r + "_" + c + " = " + k.MultiplyAddNegated("uHat", "xv" + c, "acc" + r + "_" + c) + ";");
                w.Line("}");
            }
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                w.Line(k.Store("acc" + r + "_" + c, "gRow" + r, j.Plus(c * k.Lanes)));
    }

    /// <summary>
    /// x̂_b = Wᵀ·û_b by tiles of k.SensitivitySamples samples × k.SensitivityColumns column vectors, each row of W
    /// loaded once per tile. The overlapping tail vector is blended into place after the whole vectors are stored.
    /// </summary>
    private void InputSensitivityTiles(SourceWriter w, LayerShape layer, Width k)
    {
        int n = layer.Inputs, tail = n % k.Lanes;
        w.Line("// x̂: tiles of " + k.SensitivitySamples + " samples × " + k.SensitivityColumns + " column vectors; each vector of W loaded feeds " + k.SensitivitySamples + " FMAs.");
        if (tail > 0) w.Line(k.Type + " keepTail = " + MaskLast(k, tail) + ";");
        w.Line("int b = 0;");
        foreach (int samples in SampleGroups(k.SensitivitySamples))
            using (w.Open(samples == 1 ? "for (; b < count; b++)" : "for (; b + " + samples + " <= count; b += " + samples + ")"))
                InputSensitivityGroup(w, layer, k, samples);
    }

    private void InputSensitivityGroup(SourceWriter w, LayerShape layer, Width k, int samples)
    {
        int n = layer.Inputs, inStride = _t.Padded(n), outStride = _t.Padded(layer.Outputs);
        int whole = n / k.Lanes, tail = n % k.Lanes, columns = k.SensitivityColumns, fullBlocks = whole / columns;
        for (int s = 0; s < samples; s++)
        {
            w.Line("ref " + T + " s" + s + " = ref " + UnsafeAdd + "(ref s, (b + " + s + ") * " + outStride + ");");
            w.Line("ref " + T + " h" + s + " = ref " + UnsafeAdd + "(ref sIn, (b + " + s + ") * " + inStride + ");");
        }
        if (fullBlocks > 0)
            using (w.Open("for (int j = 0; j < " + fullBlocks * columns * k.Lanes + "; j += " + columns * k.Lanes + ")"))
                InputSensitivityTile(w, layer, k, samples, new Index("j", 0), columns, false);
        if (whole % columns > 0)
            using (w.Open())
                InputSensitivityTile(w, layer, k, samples, fullBlocks * columns * k.Lanes, whole % columns, false);
        if (tail > 0)
            using (w.Open())
                InputSensitivityTile(w, layer, k, samples, n - k.Lanes, 1, true);
    }

    private void InputSensitivityTile(SourceWriter w, LayerShape layer, Width k, int samples, Index j, int columns, bool tail)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < columns; c++)
                w.Line(k.Type + " hat" + s + "_" + c + " = " + k.Type + ".Zero;");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
            for (int c = 0; c < columns; c++)
                w.Line(k.Type + " wv" + c + " = " + k.Load("wRow", j.Plus(c * k.Lanes)) + ";");
            for (int s = 0; s < samples; s++)
            {
                w.Line("{");
                w.Line("    " + k.Type + " uHat = " + k.Class + ".Create(" + At("s" + s, "i") + ");");
                for (int c = 0; c < columns; c++)
                    w.Line("    hat" + s + "_" + c + " = " + k.MultiplyAdd("wv" + c, "uHat", "hat" + s + "_" + c) + ";");
                w.Line("}");
            }
        }
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < columns; c++)
            {
                Index at = j.Plus(c * k.Lanes);
                if (tail)
                    w.Line(k.Store(k.Class + ".ConditionalSelect(keepTail, hat" + s + "_" + c + ", " + k.Load("h" + s, at) + ")", "h" + s, at));
                else
                    w.Line(k.Store("hat" + s + "_" + c, "h" + s, at));
            }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The two vector widths of the blocked kernels.

    /// <summary>A vector width of the blocked kernels (<see cref="VectorWidth"/>) and its tile shapes.</summary>
    private sealed class Width
    {
        public Width(VectorWidth vector, int samples, int rows, int gradientRows, int gradientColumns, int sensitivitySamples, int sensitivityColumns)
        {
            Vector = vector;
            Samples = samples;
            Rows = rows;
            GradientRows = gradientRows;
            GradientColumns = gradientColumns;
            SensitivitySamples = sensitivitySamples;
            SensitivityColumns = sensitivityColumns;
        }

        public VectorWidth Vector { get; }
        /// <summary>"global::System.Runtime.Intrinsics.Vector256" or "…Vector512".</summary>
        public string Class => Vector.Class;
        /// <summary>The vector type, e.g. "global::System.Runtime.Intrinsics.Vector512&lt;float&gt;".</summary>
        public string Type => Vector.Type;
        /// <summary>Elements per vector.</summary>
        public int Lanes => Vector.Lanes;
        /// <summary>Samples × rows per tile of u = W·x.</summary>
        public int Samples { get; }
        public int Rows { get; }
        /// <summary>Rows × column vectors per tile of g_W += −û·xᵀ.</summary>
        public int GradientRows { get; }
        public int GradientColumns { get; }
        /// <summary>Samples × column vectors per tile of x̂ = Wᵀ·û.</summary>
        public int SensitivitySamples { get; }
        public int SensitivityColumns { get; }

        public string Load(string buffer, Index index) => Vector.Load(buffer, index);
        public string Store(string value, string buffer, Index index) => Vector.Store(value, buffer, index);
        /// <summary>a·b + c, fused.</summary>
        public string MultiplyAdd(string a, string b, string c) => Vector.Fma(a, b, c);
        /// <summary>c − a·b, fused.</summary>
        public string MultiplyAddNegated(string a, string b, string c) => Vector.FmaNegated(a, b, c);
    }

    private Width? _narrow256, _wide512;

    /// <summary>Vector256: the per-sample kernels' width, and the batched kernels' on machines without AVX-512.</summary>
    private Width Narrow256 => _narrow256 ??= new Width(new VectorWidth(_t, wide: false),
        BatchSamples, BatchRows, BatchRows, BatchColumns, BatchSamples, BatchColumns);

    /// <summary>
    /// Vector512, used when <c>Vector512.IsHardwareAccelerated</c> (AVX-512, which always has FMA: Avx512F's fused
    /// multiply-adds are called directly). Tiles sized for its 32 registers.
    /// </summary>
    private Width Wide512 => _wide512 ??= new Width(new VectorWidth(_t, wide: true),
        WideSamples, WideRows, WideGradientRows, WideGradientColumns, WideSensitivitySamples, WideSensitivityColumns);

    /// <summary>A constant mask of <paramref name="k"/>'s width keeping the last <paramref name="keep"/> lanes.</summary>
    private string MaskLast(Width k, int keep)
    {
        if (k.Lanes == V) return _t.MaskLast(keep);
        bool single = T == "float";
        var lanes = new List<string>();
        for (int lane = 0; lane < k.Lanes; lane++)
            lanes.Add(lane >= k.Lanes - keep ? (single ? "0xFFFFFFFFu" : "0xFFFFFFFFFFFFFFFFul") : (single ? "0u" : "0ul"));
        return k.Class + "." + (single ? "AsSingle" : "AsDouble") + "(" + k.Class + ".Create(" + string.Join(", ", lanes) + "))";
    }

    /// <summary>
    /// u = W·x + b for n &lt; V inputs, n dividing V, sample by sample as in the per-sample kernel: each vector of W
    /// holds V/n rows, multiplied by the sample's x repeated; pairwise adds leave V outputs a vector.
    /// </summary>
    private void ForwardBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": per sample, each vector of W" + Sup(l) + " holds " + V / n + " rows, multiplied by x repeated " + V / n + " times;" +
               (n > 1 ? " adding neighbouring lanes " + Log2(n) + " time" + (n == 2 ? "" : "s") + " leaves one u_i a lane." : " each lane is one u_i."));
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
            w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
            w.Line(VectorType + " xRepeated = " + RepeatedInput("xb", n) + ";");
            for (int first = 0; first < m; first += V)
            {
                int vectors = System.Math.Min(n, (m - first) * n / V);
                var products = new System.Collections.Generic.List<string>();
                for (int k = 0; k < vectors; k++)
                {
                    string name = "w" + (first / V * n + k) + "x";
                    w.Line(VectorType + " " + name + " = " + Load("p", new Index("W" + l, first * n + k * V)) + " * xRepeated;");
                    products.Add(name);
                }
                string sum = SumRuns(w, products, n, "sum" + (first / V) + "_")[0];
                w.Line(Store(sum + " + " + BiasVector(layer, first), "ub", first));
            }
        }
    }

    /// <summary>
    /// g_W += −Σ_b û_b·x_bᵀ for n &lt; V inputs, n dividing V: the m·n/V vectors of g_W stay in registers while the
    /// chunk streams past; per sample, x repeated times û spread over each row's n lanes.
    /// </summary>
    private void GradientBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": the " + vectors + " vector" + (vectors == 1 ? "" : "s") + " of g_W" + Sup(l) + " (" + rowsPerVector + " rows each) stay in registers while the chunk streams past.");
        using (w.Open())
        {
            for (int k = 0; k < vectors; k++)
                w.Line(VectorType + " gw" + k + " = " + Load("g", new Index("W" + l, k * V)) + ";");
            using (w.Open("for (int b = 0; b < count; b++)"))
            {
                w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                w.Line(VectorType + " xRepeated = " + RepeatedInput("xb", n) + ";");
                for (int c = 0; c * V < m; c++)
                    w.Line(VectorType + " uHat" + c + " = " + Load("sb", c * V) + ";");
                for (int k = 0; k < vectors; k++)
                {
                    int first = k * rowsPerVector, offset = first % V;
                    w.Line("gw" + k + " = global::NetCompiler.VectorMath.MultiplyAddNegated(" + Permute("uHat" + first / V, t => offset + t / n) + ", xRepeated, gw" + k + "); // rows " + first + "…" + (first + rowsPerVector - 1));
                }
            }
            for (int k = 0; k < vectors; k++)
                w.Line(Store("gw" + k, "g", new Index("W" + l, k * V)));
        }
    }

    /// <summary>
    /// x̂ = Wᵀ·û per sample for n &lt; V inputs, n dividing V: W's vectors times û spread over each row's n lanes, summed,
    /// then folded onto the first n lanes (x̂_j sums the lanes j, j + n, …).
    /// </summary>
    private void InputSensitivityBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// x̂" + Sup(l - 1) + " per sample: W" + Sup(l) + "'s vectors times û" + Sup(l) + " spread over each row's " + n + " lanes, summed, then folded onto the first " + n + " lanes.");
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
            w.Line("ref " + T + " hb = ref " + UnsafeAdd + "(ref sIn, b * " + inStride + ");");
            for (int c = 0; c * V < m; c++)
                w.Line(VectorType + " uHat" + c + " = " + Load("sb", c * V) + ";");
            var terms = new System.Collections.Generic.List<string>();
            for (int k = 0; k < vectors; k++)
            {
                int first = k * rowsPerVector, offset = first % V;
                w.Line(VectorType + " rows" + k + " = " + Load("p", new Index("W" + l, k * V)) + " * " + Permute("uHat" + first / V, t => offset + t / n) + ";");
                terms.Add("rows" + k);
            }
            w.Line(VectorType + " xHat = " + SumTree(terms) + ";");
            for (int half = V / 2; half >= n; half /= 2)
            {
                int h = half;
                w.Line("xHat += " + Permute("xHat", t => (t + h) % V) + ";");
            }
            w.Line(Store("xHat & " + _t.MaskFirst(n), "hb", 0));
        }
    }
}
