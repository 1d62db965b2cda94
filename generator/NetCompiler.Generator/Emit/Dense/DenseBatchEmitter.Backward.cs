// Dense layers over a chunk, backward: g_W by tiles of rows × column vectors held while the chunk streams past, and
// x̂ = Wᵀ·û by tiles of samples × column vectors; the samples in order, as the per-sample kernels add them.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseBatchEmitter
{
    internal void WriteBackwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = Element.Padded(n), outStride = Element.Padded(m);
        bool needInputSensitivity = l > 1;
        w.Line("// Layer " + l + " over the chunk: g_b" + Sup(l) + " += −Σ_b û" + Sup(l) + ", g_W" + Sup(l) + " += −Σ_b û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ" +
               (needInputSensitivity ? ", x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " per sample, then û" + Sup(l - 1) + " = f'·x̂" + Sup(l - 1) : "") + ".");
        using (OpenMethod(w, "private void BackwardBatchLayer" + l + "(int count)"))
        {
            w.Line(ThetaRef("p"));
            w.Line(Ref("g", "_gradients"));
            w.Line(Ref("x", "_batchX" + (l - 1)));
            w.Line(Ref("s", "_batchS" + l));
            if (needInputSensitivity) w.Line(Ref("sIn", "_batchS" + (l - 1)));

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
                using (SampleLoop(w, ("xb", "x", inStride), ("sb", "s", outStride)))
                {
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
                    using (SampleLoop(w, ("sb", "s", outStride), ("hb", "sIn", inStride)))
                    {
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                        {
                            w.Line(T + " sum = 0;");
                            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                                w.Line("sum += " + At("p", "W" + l + " + i * " + n + " + j") + " * " + At("sb", "i") + ";");
                            w.Line(At("hb", "j") + " = sum;");
                        }
                    }
                }
                w.Line(Ref("xIn", "_batchX" + (l - 1)));
                ActivationBackwardBatch(w, Layers[l - 2], "xIn", "sIn");
            }
        }
        w.Line();
        if (PlanOf(layer).BatchBackwardVector512)
        {
            w.Line("// Layer " + l + "'s g_W" + Sup(l) + " += −Σ_b û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ with Vector512 tiles (AVX-512: 32 registers, twice the lanes); the samples in order.");
            using (OpenMethod(w, "private void GradientBatchLayer" + l + "Vector512(int count)"))
            {
                w.Line(Ref("g", "_gradients"));
                w.Line(Ref("x", "_batchX" + (l - 1)));
                w.Line(Ref("s", "_batchS" + l));
                GradientTiles(w, layer, Wide512);
            }
            w.Line();
            if (needInputSensitivity)
            {
                w.Line("// Layer " + l + "'s x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " per sample with Vector512 tiles (AVX-512: 32 registers, twice the lanes).");
                using (OpenMethod(w, "private void InputSensitivityBatchLayer" + l + "Vector512(int count)"))
                {
                    w.Line(ThetaRef("p"));
                    w.Line(Ref("s", "_batchS" + l));
                    w.Line(Ref("sIn", "_batchS" + (l - 1)));
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
        int vectors = whole + (tail > 0 ? 1 : 0);
        w.Line("// g_W: tiles of up to " + Math.Min(rows, m) + " rows × " + Math.Min(columns, vectors) + " column vectors stay in registers while the chunk streams past.");
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
        int l = layer.Number, n = layer.Inputs, inStride = Element.Padded(n), outStride = Element.Padded(layer.Outputs);
        for (int r = 0; r < rows; r++)
        {
            w.Line("ref " + T + " gRow" + r + " = ref " + At("g", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
            for (int c = 0; c < columns; c++)
                w.Line(k.Type + " acc" + r + "_" + c + " = " + k.Load("gRow" + r, j.Plus(c * k.Lanes)) + ";");
        }
        using (SampleLoop(w, ("xb", "x", inStride), ("sb", "s", outStride)))
        {
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
        int vectors = n / k.Lanes + (n % k.Lanes > 0 ? 1 : 0);
        w.Line("// x̂: tiles of up to " + k.SensitivitySamples + " samples × " + Math.Min(k.SensitivityColumns, vectors) + " column vectors; each vector of W loaded feeds up to " + k.SensitivitySamples + " FMAs.");
        if (tail > 0) w.Line(k.Type + " keepTail = " + MaskLast(k, tail) + ";");
        w.Line("int b = 0;");
        foreach (int samples in SampleGroups(k.SensitivitySamples))
            using (w.Open(samples == 1 ? "for (; b < count; b++)" : "for (; b + " + samples + " <= count; b += " + samples + ")"))
                InputSensitivityGroup(w, layer, k, samples);
    }

    private void InputSensitivityGroup(SourceWriter w, LayerShape layer, Width k, int samples)
    {
        int n = layer.Inputs, inStride = Element.Padded(n), outStride = Element.Padded(layer.Outputs);
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
}
