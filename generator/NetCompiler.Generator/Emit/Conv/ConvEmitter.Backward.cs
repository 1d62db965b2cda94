// Convolutions, backward: g_w sums û·x over every position a shared weight was used at, g_b over the map, and x̂
// as û correlated with the flipped filter (gathered in registers) or scattered tap by tap.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter
{
    /// <summary>The zero-bordered copy of û that the gather reads: k − 1 zeros on each side (none vertically for Conv1D).</summary>
    internal static (int Height, int Width) UHatPadSize(WindowGeometry g) =>
        (g.OutHeight + 2 * (g.KernelHeight - 1), g.OutWidth + 2 * (g.KernelWidth - 1));

    private void ConvBackward(SourceWriter w, LayerShape layer)
    {
        if (PlanOf(layer).Backward == BackwardKernel.GraphDense)
        {
            w.Line("// As a dense layer on x" + Sup(layer.Sources[0]) + " flattened (see ForwardLayer" + layer.Number + ").");
            C.Dense.GraphDenseBackward(w, layer);
            return;
        }
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool scatter = PlanOf(layer).InputSensitivity == ConvInputSensitivity.Scatter;
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        if (layer.Padding == 0)
            w.Line(Ref("xp", "_x" + src) + " // no padding: the kernel read x" + Sup(src) + " directly");
        else
            w.Line(Ref("xp", "_pad" + l) + " // x" + Sup(src) + " zero-padded, as the forward pass left it");
        if (scatter)
        {
            if (layer.Padding == 0)
                w.Line(Ref("xpHat", "_s" + src) + " // x̂" + Sup(src) + ": this layer's share is added to it");
            else
            {
                w.Line("global::System.Array.Clear(_padHat" + l + ");");
                w.Line(Ref("xpHat", "_padHat" + l) + " // x̂ of the padded copy; its interior is added to x̂" + Sup(src) + " at the end");
            }
        }
        else if (src == 0)
            w.Line("// x̂⁰ is not needed.");
        Loop(w, "o", g.OutChannels, o =>
        {
            w.Line("// g_b[o] += −Σ_y,x û[o, y, x]: the bias is shared by every position of map o.");
            SumRange(w, "biasSum", "s" + l, Lin(0, (o, g.OutPlane)), g.OutPlane);
            w.Line(At("g", "B" + l + " + " + o) + " -= biasSum;");
            ChannelLoop(w, layer, o, gradient: true, i =>
            {
                if (PlanOf(layer).Backward == BackwardKernel.ConvRows) ConvKernelBackwardVector(w, layer, g, o, i, scatter);
                else ConvKernelBackwardScalar(w, layer, g, o, i, scatter);
            });
        });
        if (scatter && layer.Padding > 0)
        {
            w.Line(Ref("xHat", "_s" + src));
            w.Line("// x̂" + Sup(src) + " += the interior of the padded copy's x̂ (its border belongs to no input).");
            Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
                AddRange(w, "xHat", Lin(0, (i, g.InPlane), (y, g.Width)), "xpHat", Lin(g.PadHeight * g.PaddedWidth + g.PadWidth, (i, g.PaddedPlane), (y, g.PaddedWidth)), g.Width)));
        }
        if (PlanOf(layer).InputSensitivity == ConvInputSensitivity.Gather) ConvInputSensitivityGather(w, layer, g);
    }

    /// <summary>
    /// x̂[i, y, x] += Σ_o Σ_ky,kx w[o, i, ky, kx]·û[o, y + p − ky, x + p − kx]: û correlated with the flipped filter,
    /// û read from its copy with a zero border of k − 1 so that no position needs a bounds test. For each source row,
    /// up to <see cref="ConvChunk"/> vectors of x̂ are summed in registers over every filter that reads channel i.
    /// </summary>
    private void ConvInputSensitivityGather(SourceWriter w, LayerShape layer, WindowGeometry g)
    {
        int l = layer.Number, src = layer.Sources[0];
        (int padHeight, int padWidth) = UHatPadSize(g);
        int padPlane = padHeight * padWidth, kh = g.KernelHeight - 1, kw = g.KernelWidth - 1;
        string shift = g.PadWidth == 0 ? "" : " + " + g.PadWidth;
        w.Line("// x̂" + Sup(src) + "[i, " + (g.TwoD ? "y, " : "") + "x] += Σ_o Σ_" + (g.TwoD ? "ky,kx" : "k") + " w[o, i, " + (g.TwoD ? "ky, kx" : "k") + "]·û[o, " +
               (g.TwoD ? "y" + shift + " − ky, " : "") + "x" + shift + " − k" + (g.TwoD ? "x" : "") + "]: û correlated with the flipped filter.");
        w.Line("// û goes into the interior of a copy with a zero border of k − 1 (never written), so every tap reads it without a bounds test.");
        w.Line(Ref("uHatPad", "_uHatPad" + l));
        w.Line(Ref("uHatRows", "_s" + l));
        Loop(w, "o", g.OutChannels, o => Loop(w, "y", g.OutHeight, y =>
            w.Line(CopyBlock(At("uHatPad", Lin(kh * padWidth + kw, (o, padPlane), (y, padWidth))),
                             At("uHatRows", Lin(0, (o, g.OutPlane), (y, g.OutWidth))), g.OutWidth.ToString(CultureInfo.InvariantCulture)) + " // a row: a constant size, no call")));
        w.Line(Ref("xHat", "_s" + src));
        List<(int Start, bool Tail)> vectors = RowVectors(g.Width);
        int tail = g.Width % V;
        Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
        {
            w.Line("ref " + T + " xHatRow = ref " + At("xHat", Lin(0, (i, g.InPlane), (y, g.Width))) + ";");
            ForEachChunk(w, vectors, chunk =>
            {
                w.Line(VectorType + " " + string.Join(", ", chunk.Select((_, k) => "acc" + k + " = " + VectorType + ".Zero")) + ";");
                FilterLoop(w, layer, i, o =>
                {
                    Loop(w, "ky", g.KernelHeight, ky =>
                    {
                        // Row y + p − ky of û is row y + p + (k − 1) − ky of the bordered copy; column x + p − kx is
                        // x + (k − 1 − kx) counted from column p, so every offset below is non-negative.
                        w.Line("ref " + T + " uRow = ref " + At("uHatPad", Lin((g.PadHeight + kh) * padWidth + g.PadWidth, (o, padPlane), (y, padWidth), (ky, -padWidth))) + ";");
                        w.Line("ref " + T + " wk = ref " + At("w", Lin(0, (ky, g.KernelWidth))) + ";");
                        KernelTaps(w, g.KernelWidth, kx =>
                        {
                            w.Line(VectorType + " " + TapName(kx) + " = " + Broadcast(At("wk", kx.ToString())) + ";");
                            for (int k = 0; k < chunk.Count; k++)
                                w.Line("acc" + k + " = " + Fma(TapName(kx), LoadAt("uRow", Lin(kw, (chunk[k], 1), (kx, -1))), "acc" + k) + ";");
                        });
                    });
                });
                for (int k = 0; k < chunk.Count; k++)
                {
                    bool isTail = tail != 0 && chunk[k].Variable is null && chunk[k].Offset == g.Width - V;
                    string at = chunk[k].ToString();
                    w.Line(StoreAt(LoadAt("xHatRow", at) + " + " + (isTail ? "(acc" + k + " & " + Element.MaskLast(tail) + ")" : "acc" + k), "xHatRow", at) +
                           (isTail ? " // overlaps the vector before it: those lanes add 0" : ""));
                }
            });
        }));
    }

    /// <summary>
    /// Kernel w[o, i] at stride 1, vectorised along rows: its gradient, one vector dot product per tap and row
    /// (−Σ_x û[o, y, x]·xp[i, y + ky, x + kx], the taps of a kernel row in registers), then x̂ as one axpy per tap
    /// and row: xp̂[i, y + ky, x + kx…] += w[o, i, ky, kx]·û[o, y, x…], û correlated with the flipped filter.
    /// </summary>
    private void ConvKernelBackwardVector(SourceWriter w, LayerShape layer, WindowGeometry g, Index o, Index i, bool send)
    {
        int l = layer.Number, tail = g.OutWidth % V;
        List<(int Start, bool Tail)> vectors = RowVectors(g.OutWidth);
        string Masked(string load, bool isTail) => isTail ? load + " & " + Element.MaskLast(tail) : load;
        w.Line("ref " + T + " xPlane = ref " + At("xp", Lin(0, (i, g.PaddedPlane))) + ";");
        w.Line("// g_w[o, i, ky, kx] += −Σ_y,x û[o, y, x]·xp[i, y + ky, x + kx]: a shared weight's gradient sums over every position it was used at." +
               (tail != 0 ? " The row's last vector of û is masked where it overlaps the one before it." : ""));
        // Rows and kernel rows of one are written out, so the two parts below get blocks of their own for their locals.
        bool scoped = g.KernelHeight == 1 || g.OutHeight == 1;
        Scope(w, scoped, () => Loop(w, "ky", g.KernelHeight, ky =>
        {
            bool allTaps = g.KernelWidth <= KernelUnrollLimit;
            Action<List<Index>> body = taps =>
            {
                w.Line(VectorType + " " + string.Join(", ", taps.Select((_, k) => "dot" + k + " = " + VectorType + ".Zero")) + ";");
                Loop(w, "y", g.OutHeight, y =>
                {
                    w.Line("ref " + T + " uRow = ref " + At("s" + l, Lin(0, (o, g.OutPlane), (y, g.OutWidth))) + ";");
                    w.Line("ref " + T + " xRow = ref " + At("xPlane", Lin(0, (y, g.PaddedWidth), (ky, g.PaddedWidth))) + ";");
                    RowLoop(w, vectors, (start, isTail) =>
                    {
                        w.Line(VectorType + " uHat = " + Masked(LoadAt("uRow", start.ToString()), isTail) + ";");
                        for (int k = 0; k < taps.Count; k++)
                            w.Line("dot" + k + " = " + Fma("uHat", LoadAt("xRow", Lin(0, (start, 1), (taps[k], 1))), "dot" + k) + ";");
                    });
                });
                for (int k = 0; k < taps.Count; k++)
                    w.Line(At("gw", Lin(0, (ky, g.KernelWidth), (taps[k], 1))) + " -= " + Sum("dot" + k) + ";");
            };
            if (allTaps) body(Enumerable.Range(0, g.KernelWidth).Select(k => (Index)k).ToList());
            else using (w.Open("for (int kx = 0; kx < " + g.KernelWidth + "; kx++)")) body(new List<Index> { new("kx", 0) });
        }));
        if (!send) return;
        w.Line("// x̂p[i, y + ky, x + kx] += w[o, i, ky, kx]·û[o, y, x]: û correlated with the flipped filter, one axpy per tap and row.");
        w.Line("ref " + T + " hatPlane = ref " + At("xpHat", Lin(0, (i, g.PaddedPlane))) + ";");
        Scope(w, scoped, () => Loop(w, "y", g.OutHeight, y =>
        {
            w.Line("ref " + T + " uRow = ref " + At("s" + l, Lin(0, (o, g.OutPlane), (y, g.OutWidth))) + ";");
            ForEachChunk(w, vectors, chunk =>
            {
                for (int k = 0; k < chunk.Count; k++)
                {
                    bool isTail = tail != 0 && chunk[k].Variable is null && chunk[k].Offset == g.OutWidth - V;
                    w.Line(VectorType + " uHat" + k + " = " + Masked(LoadAt("uRow", chunk[k].ToString()), isTail) + ";");
                }
                Loop(w, "ky", g.KernelHeight, ky =>
                {
                    w.Line("ref " + T + " hatRow = ref " + At("hatPlane", Lin(0, (y, g.PaddedWidth), (ky, g.PaddedWidth))) + ";");
                    w.Line("ref " + T + " wk = ref " + At("w", Lin(0, (ky, g.KernelWidth))) + ";");
                    KernelTaps(w, g.KernelWidth, kx =>
                    {
                        w.Line(VectorType + " " + TapName(kx) + " = " + Broadcast(At("wk", kx.ToString())) + ";");
                        for (int k = 0; k < chunk.Count; k++)
                        {
                            string at = Lin(0, (chunk[k], 1), (kx, 1));
                            w.Line(StoreAt(Fma(TapName(kx), "uHat" + k, LoadAt("hatRow", at)), "hatRow", at));
                        }
                    });
                });
            });
        }));
    }

    /// <summary>The vectors of a row, one at a time: a loop over the whole vectors when there are many, then the overlapping last one.</summary>
    private void RowLoop(SourceWriter w, List<(int Start, bool Tail)> vectors, Action<Index, bool> body)
    {
        int whole = vectors.Count(v => !v.Tail);
        Range(w, "v", 0, whole * V, V, CostModel.UnrollRow(whole), v => body(v, false), scopeEach: true);
        foreach ((int start, bool isTail) in vectors.Where(v => v.Tail))
            using (w.Open()) body(start, isTail);
    }

    /// <summary>Kernel w[o, i] one output position at a time (stride above 1, or narrow rows).</summary>
    private void ConvKernelBackwardScalar(SourceWriter w, LayerShape layer, WindowGeometry g, Index o, Index i, bool send)
    {
        int l = layer.Number, s = g.Stride;
        w.Line("// g_w[o, i, ky, kx] += −Σ_y,x û[o, y, x]·xp[i, " + (s == 1 ? "y + ky, x + kx" : s + "y + ky, " + s + "x + kx") + "]" +
               (send ? "; x̂p at the same place += w[o, i, ky, kx]·û[o, y, x]" : "") + ".");
        Loop(w, "y", g.OutHeight, y => Loop(w, "x", g.OutWidth, x =>
        {
            w.Line(T + " uHat = " + At("s" + l, Lin(0, (o, g.OutPlane), (y, g.OutWidth), (x, 1))) + ";");
            string corner = Lin(0, (i, g.PaddedPlane), (y, s * g.PaddedWidth), (x, s));
            w.Line("ref " + T + " xk = ref " + At("xp", corner) + ";");
            if (send) w.Line("ref " + T + " hk = ref " + At("xpHat", corner) + ";");
            KernelWindow(w, g, (wk, xk) =>
            {
                w.Line(At("gw", wk) + " -= uHat * " + At("xk", xk) + ";");
                if (send) w.Line(At("hk", xk) + " += " + At("w", wk) + " * uHat;");
            });
        }));
    }
}
