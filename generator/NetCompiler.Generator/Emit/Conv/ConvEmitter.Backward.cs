// Convolutions, backward: g_w sums û·x over every position a shared weight was used at, g_b over the map, and x̂
// as û correlated with the flipped filter (gathered in registers) or scattered tap by tap. At stride 1 both are
// flat kernels: planes flattened at a row stride, so narrow rows waste no lanes and a pass keeps many accumulators.

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
        bool flat = PlanOf(layer).Backward == BackwardKernel.ConvFlat;
        // Vector512 computes the gradients of several maps together (each load of x feeds one FMA a map); the
        // Vector256 fallback one map at a time, in the 16 registers of AVX2. Each tap's sum is the same either way.
        void FlatGradients() => ByFlatWidth(w, Planner.FlatLength(g), vec => GradientMaps(w, layer, g, vec, vec.Wide ? PlanOf(layer).GradientMaps : 1, scatter));
        if (PlanOf(layer).Deferral == GradientDeferral.Lanes)
        {
            using (w.Open("if (_deferred >= 0)")) RecordDeferred(w, layer);
            using (w.Open("else")) FlatGradients();
        }
        else if (flat) FlatGradients();
        else GradientMaps(w, layer, g, null, 1, scatter);
        if (scatter && layer.Padding > 0)
        {
            w.Line(Ref("xHat", "_s" + src));
            w.Line("// x̂" + Sup(src) + " += the interior of the padded copy's x̂ (its border belongs to no input).");
            Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
                AddRange(w, "xHat", Lin(0, (i, g.InPlane), (y, g.Width)), "xpHat", Lin(g.PadHeight * g.PaddedWidth + g.PadWidth, (i, g.PaddedPlane), (y, g.PaddedWidth)), g.Width)));
        }
        if (PlanOf(layer).InputSensitivity == ConvInputSensitivity.Gather) ConvInputSensitivityGather(w, layer, g);
        if (PlanOf(layer).InputSensitivity == ConvInputSensitivity.Rows) ConvInputSensitivityRows(w, layer, g);
    }

    /// <summary>
    /// x̂[i, y, x] += Σ_o Σ_ky,kx w[o, i, ky, kx]·û[o, y + p − ky, x + p − kx]: û correlated with the flipped filter,
    /// read from its copy with a zero border of k − 1 so that no position needs a bounds test. The flat form of the
    /// forward kernel (ConvEmitter.Flat.cs) with the roles of x and û swapped: x̂[i] is computed over its plane
    /// flattened at the bordered copy's row stride, so one pass keeps up to 16 independent accumulators while the taps
    /// of every filter that reads channel i stream past; the rows are then added into x̂ from the staging buffer.
    /// </summary>
    private void ConvInputSensitivityGather(SourceWriter w, LayerShape layer, WindowGeometry g)
    {
        int l = layer.Number, src = layer.Sources[0];
        (int padHeight, int padWidth) = UHatPadSize(g);
        int padPlane = padHeight * padWidth, kh = g.KernelHeight - 1, kw = g.KernelWidth - 1, n = Planner.GatherLength(g);
        string shift = g.PadWidth == 0 ? "" : " + " + g.PadWidth;
        w.Line("// x̂" + Sup(src) + "[i, " + (g.TwoD ? "y, " : "") + "x] += Σ_o Σ_" + (g.TwoD ? "ky,kx" : "k") + " w[o, i, " + (g.TwoD ? "ky, kx" : "k") + "]·û[o, " +
               (g.TwoD ? "y" + shift + " − ky, " : "") + "x" + shift + " − k" + (g.TwoD ? "x" : "") + "]: û correlated with the flipped filter.");
        w.Line("// û goes into the interior of a copy with a zero border of k − 1 (never written), so every tap reads it without a bounds test.");
        w.Line(Ref("uHatPad", "_uHatPad" + l));
        w.Line(Ref("uHatRows", "_s" + l));
        Loop(w, "o", g.OutChannels, o => Loop(w, "y", g.OutHeight, y =>
            w.Line(CopyBlock(At("uHatPad", Lin(kh * padWidth + kw, (o, padPlane), (y, padWidth))),
                             At("uHatRows", Lin(0, (o, g.OutPlane), (y, g.OutWidth))), g.OutWidth.ToString(CultureInfo.InvariantCulture)) + " // a row: a constant size, no call")));
        w.Line("// x̂[i] over its plane flattened at the copy's row stride " + padWidth + ": q = y·" + padWidth + " + x, and tap (ky, kx) reads the copy at q + " +
               "(" + (g.PadHeight + kh) + " − ky)·" + padWidth + " + " + (g.PadWidth + kw) + " − kx for consecutive q (" + n + " positions, of which x ≥ " + g.Width + " are dropped).");
        w.Line(Ref("xHat", "_s" + src));
        w.Line(Ref("flat", "_xHatFlat" + l) + " // x̂[i] at row stride " + padWidth);
        // The lowest tap (ky, kx) = (k − 1, k − 1) reads the copy at q + p·PW + p: every offset below is non-negative.
        int corner = g.PadHeight * padWidth + g.PadWidth;
        int maps = PlanOf(layer).SourceMaps;
        ByFlatWidth(w, n, vec =>
        {
            FlatPasses passes = FlatPasses.Of(n, vec, Math.Max(1, FlatAccumulators(vec, V) / maps));
            w.Line("// " + passes.Describe() + (maps > 1 ? ", for " + maps + " channels at once: each vector of û loaded feeds " + maps + " FMAs." : "."));
            // Channels i … i + count − 1 together: acc{b}_{k} is channel i + b at the pass's k-th vector.
            void Block(Index i, int count)
            {
                string Acc(int b, int k) => count == 1 ? "acc" + k : "acc" + b + "_" + k;
                passes.Write(w, start =>
                {
                    w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, count).SelectMany(b => passes.Offsets.Select((_, k) => Acc(b, k) + " = " + vec.Type + ".Zero"))) + ";");
                    // The channels of the block that filter o reads: all of them, or those a connection table connects.
                    void Filter(Index o, IReadOnlyList<int> read)
                    {
                        w.Line("ref " + T + " uPlane = ref " + At("uHatPad", Lin(corner, (o, padPlane)) + (start == "0" ? "" : " + " + start)) + ";");
                        Loop(w, "ky", g.KernelHeight, ky =>
                        {
                            w.Line("ref " + T + " uk = ref " + At("uPlane", Lin(kh * padWidth, (ky, -padWidth))) + ";");
                            foreach (int b in read)
                                w.Line("ref " + T + " wk" + (count == 1 ? "" : b.ToString(CultureInfo.InvariantCulture)) + " = ref " +
                                       At(count == 1 ? "w" : "p", count == 1 ? Lin(0, (ky, g.KernelWidth)) : KernelRow(layer, o, i.Plus(b), ky)) + ";");
                            KernelTaps(w, g.KernelWidth, IsTableBlock(layer, count), kx =>
                            {
                                if (count == 1)
                                {
                                    w.Line(vec.Type + " " + TapName(kx) + " = " + vec.Broadcast(At("wk", kx.ToString())) + ";");
                                    for (int k = 0; k < passes.Offsets.Count; k++)
                                        w.Line(Acc(0, k) + " = " + vec.Fma(TapName(kx), vec.Load("uk", Lin(passes.Offsets[k] + kw, (kx, -1))), Acc(0, k)) + ";");
                                    return;
                                }
                                using (w.Open()) // one block a tap, for its locals
                                {
                                    for (int k = 0; k < passes.Offsets.Count; k++)
                                        w.Line(vec.Type + " source" + k + " = " + vec.Load("uk", Lin(passes.Offsets[k] + kw, (kx, -1))) + ";");
                                    foreach (int b in read)
                                    {
                                        w.Line(vec.Type + " weight" + b + " = " + vec.Broadcast(At("wk" + b, kx.ToString())) + ";");
                                        for (int k = 0; k < passes.Offsets.Count; k++)
                                            w.Line(Acc(b, k) + " = " + vec.Fma("weight" + b, "source" + k, Acc(b, k)) + ";");
                                    }
                                }
                            });
                        });
                    }
                    if (count == 1) FilterLoop(w, layer, i, o => Filter(o, new[] { 0 }));
                    else BlockFilters(w, layer, i, count, Filter);
                    for (int b = 0; b < count; b++)
                    {
                        w.Line("ref " + T + " flatStart" + b + " = ref " + At("flat", (b * n).ToString(CultureInfo.InvariantCulture) + (start == "0" ? "" : " + " + start)) + ";");
                        for (int k = 0; k < passes.Offsets.Count; k++)
                            w.Line(vec.Store(Acc(b, k), "flatStart" + b, passes.Offsets[k].ToString(CultureInfo.InvariantCulture)));
                    }
                });
                w.Line("// x̂[i, y, ·] += the first " + g.Width + " of row y of the staging buffer" + (count > 1 ? ", for each of the " + count + " channels." : "."));
                for (int b = 0; b < count; b++)
                    using (w.Open()) Loop(w, "y", g.Height, y =>
                    {
                        w.Line("ref " + T + " xHatRow = ref " + At("xHat", Lin(b * g.InPlane, (i, g.InPlane), (y, g.Width))) + ";");
                        w.Line("ref " + T + " flatRow = ref " + At("flat", Lin(b * n, (y, padWidth))) + ";");
                        AddRowMasked(w, "xHatRow", "flatRow", g.Width);
                    });
            }
            TableMapBlocks(w, layer, "i", g.Channels, maps, "SourceChannels", vec, new[] { "p", "uHatPad", "xHat", "flat" }, Block);
        });
    }

    /// <summary>row[0…n) += source[0…n): whole vectors, the last one overlapping with the overlapped lanes of source zeroed; scalars below a vector.</summary>
    private void AddRowMasked(SourceWriter w, string row, string source, int n)
    {
        if (n < V)
        {
            for (int x = 0; x < n; x++)
            {
                string at = x.ToString(CultureInfo.InvariantCulture);
                w.Line(At(row, at) + " += " + At(source, at) + ";");
            }
            return;
        }
        int tail = n % V;
        foreach ((int start, bool isTail) in RowVectors(n))
        {
            string at = start.ToString(CultureInfo.InvariantCulture), add = LoadAt(source, at);
            w.Line(StoreAt(LoadAt(row, at) + " + " + (isTail ? "(" + add + " & " + Element.MaskLast(tail) + ")" : add), row, at) +
                   (isTail ? " // overlaps the vector before it: those lanes add 0" : ""));
        }
    }

    /// <summary>
    /// g_b and g_w of maps o … o + count − 1 at a time (with the flat kernel at <paramref name="vec"/>'s width, or one
    /// position at a time when it is null), and x̂ by scattering when the plan says so.
    /// </summary>
    private void GradientMaps(SourceWriter w, LayerShape layer, WindowGeometry g, VectorWidth? vec, int maps, bool scatter)
    {
        int l = layer.Number;
        void Block(Index o, int count)
        {
            for (int b = 0; b < count; b++)
            {
                Index map = new(o.Variable, o.Offset + b);
                w.Line("// g_b[o" + (b == 0 ? "" : " + " + b) + "] += −Σ_y,x û[o" + (b == 0 ? "" : " + " + b) + ", y, x]: the bias is shared by every position of the map.");
                using (w.Open())
                {
                    SumRange(w, "biasSum", "s" + l, Lin(0, (map, g.OutPlane)), g.OutPlane);
                    w.Line(At("g", "B" + l + " + " + map) + " -= biasSum;");
                }
                if (vec is not null) FlatSensitivity(w, layer, g, map, b, count);
            }
            if (count == 1)
                ChannelLoop(w, layer, o, gradient: true, i =>
                {
                    if (vec is not null) ConvKernelGradientFlat(w, g, i, vec, 1);
                    else ConvKernelBackwardScalar(w, layer, g, o, i, scatter);
                });
            else
                Loop(w, "i", g.Channels, i =>
                {
                    for (int b = 0; b < count; b++)
                        w.Line("ref " + T + " gw" + b + " = ref " + At("g", "W" + l + " + " + Lin(b * g.Channels * g.KernelVolume, (o, g.Channels * g.KernelVolume), (i, g.KernelVolume))) + ";");
                    ConvKernelGradientFlat(w, g, i, vec!, count);
                });
        }
        MapBlocks(w, "o", g.OutChannels, maps, false, Block);
    }

    /// <summary>
    /// Kernel w[o, i] at stride 1 for <paramref name="count"/> maps o + b: g_w[o + b, i, ky, kx] −= Σ_q ûf_b[q]·xp[i, q + ky·PW + kx],
    /// dot products over the output plane flattened at the source's row stride PW (ûf_b: û[o + b] at that stride with
    /// zeros between rows, so the positions between rows add nothing). Each chunk of x at a tap feeds every map, and
    /// each chunk of ûf every tap of the pass (all of them when they fit in registers, else a kernel row, else one);
    /// then one lane sum per tap. A chunk is one Vector512 or, in the fallback, the same 16 lanes as two Vector256
    /// halves, so that both widths add in the same order and agree bit for bit (as ConvDenseForward does).
    /// </summary>
    private void ConvKernelGradientFlat(SourceWriter w, WindowGeometry g, Index i, VectorWidth vec, int count)
    {
        int n = Planner.FlatLength(g), lanes = n >= 2 * V ? 2 * V : V, tail = n % lanes;
        w.Line("ref " + T + " xPlane = ref " + At("xp", Lin(0, (i, g.PaddedPlane))) + ";");
        w.Line("// g_w[o, i, ky, kx] −= Σ_q ûf[q]·xp[i, q + ky·" + g.PaddedWidth + " + kx], q < " + n + ": a shared weight's gradient sums over every position it was used at" +
               (count > 1 ? ", for " + count + " maps o at once" : "") + (tail != 0 ? "; the last chunk of ûf overlaps the one before it, its overlapped lanes zeroed." : "."));
        // The vectors of a chunk: (suffix of the accumulator, offset in the chunk, mask of the last chunk).
        var parts = new List<(string Suffix, int Offset, string Mask)>();
        if (vec.Wide) parts.Add(("", 0, Element.Mask(vec.Class, lanes, tail, last: true)));
        else if (lanes == V) parts.Add(("", 0, Element.MaskLast(tail)));
        else
        {
            parts.Add(("Low", 0, tail > V ? Element.MaskLast(tail - V) : Element.MaskFirst(0)));
            parts.Add(("High", V, tail >= V ? Element.MaskLast(V) : Element.MaskLast(tail)));
        }
        int limit = vec.Wide ? GradientAccumulators512 : GradientAccumulators256, perTap = count * parts.Count;
        string Suffix(int b) => count == 1 ? "" : b.ToString(CultureInfo.InvariantCulture);
        string Dot(int b, int k, string part) => "dot" + Suffix(b) + (count == 1 ? "" : "_") + k + part;
        // The taps of one pass over q.
        Action<List<(Index Ky, Index Kx)>> pass = taps =>
        {
            w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, count).SelectMany(b => taps.SelectMany((_, k) => parts.Select(part => Dot(b, k, part.Suffix) + " = " + vec.Type + ".Zero")))) + ";");
            void Body(Index q, bool isTail)
            {
                for (int b = 0; b < count; b++)
                    foreach (var part in parts)
                        w.Line(vec.Type + " uHat" + Suffix(b) + part.Suffix + " = " + vec.Load("uFlat" + Suffix(b), Lin(part.Offset, (q, 1))) + (isTail ? " & " + part.Mask : "") + ";");
                for (int k = 0; k < taps.Count; k++)
                    foreach (var part in parts)
                    {
                        string x = vec.Load("xPlane", Lin(part.Offset, (q, 1), (taps[k].Ky, g.PaddedWidth), (taps[k].Kx, 1)));
                        if (count == 1)
                        {
                            w.Line(Dot(0, k, part.Suffix) + " = " + vec.Fma("uHat" + part.Suffix, x, Dot(0, k, part.Suffix)) + ";");
                            continue;
                        }
                        string name = "source" + k + part.Suffix;
                        w.Line(vec.Type + " " + name + " = " + x + ";");
                        for (int b = 0; b < count; b++)
                            w.Line(Dot(b, k, part.Suffix) + " = " + vec.Fma("uHat" + Suffix(b) + part.Suffix, name, Dot(b, k, part.Suffix)) + ";");
                    }
            }
            int whole = n / lanes;
            Range(w, "q", 0, whole * lanes, lanes, CostModel.UnrollRow(whole), q => Body(q, false), scopeEach: true);
            if (tail != 0)
                using (w.Open()) Body(n - lanes, true);
            for (int b = 0; b < count; b++)
            {
                // Tap k's 16 partial sums as 8 (the halves added), the same expression at either width.
                string Total(int k) => vec.Wide ? "Simd::Vector512.GetLower(" + Dot(b, k, "") + ") + Simd::Vector512.GetUpper(" + Dot(b, k, "") + ")"
                    : string.Join(" + ", parts.Select(part => Dot(b, k, part.Suffix)));
                string Tap(int k) => Lin(0, (taps[k].Ky, g.KernelWidth), (taps[k].Kx, 1));
                LaneSums(w, "gw" + Suffix(b), taps.Count, Tap, Total);
            }
        };
        if (g.KernelVolume * perTap <= limit)
            using (w.Open())
                pass(Enumerable.Range(0, g.KernelVolume).Select(t => ((Index)(t / g.KernelWidth), (Index)(t % g.KernelWidth))).ToList());
        else
            Loop(w, "ky", g.KernelHeight, ky =>
            {
                if (g.KernelWidth <= KernelUnrollLimit && g.KernelWidth * perTap <= limit)
                    using (w.Open()) pass(Enumerable.Range(0, g.KernelWidth).Select(kx => (ky, (Index)kx)).ToList());
                else
                    using (w.Open("for (int kx = 0; kx < " + g.KernelWidth + "; kx++)")) pass(new List<(Index, Index)> { (ky, new Index("kx", 0)) });
            });
    }

    /// <summary>
    /// row[tap(k)] −= the lane sum of <paramref name="total"/>(k) for the <paramref name="count"/> taps of a pass,
    /// which lie at consecutive places of the kernel (tap(k) = tap(0) + k). In float, eight taps at once where AVX is
    /// there: two rounds of horizontal adds and one of the 128-bit halves leave the eight sums in one vector, which is
    /// subtracted from the eight values of g_w with one load and one store, instead of eight reductions of a vector to
    /// a scalar (C3's backward does 1,500 a sample). Both widths pass the same eight-lane totals, so they still agree
    /// bit for bit.
    /// </summary>
    private void LaneSums(SourceWriter w, string row, int count, Func<int, string> tap, Func<int, string> total)
    {
        void OneByOne(int from, int to)
        {
            for (int k = from; k < to; k++) w.Line(At(row, tap(k)) + " -= " + Sum(total(k)) + ";");
        }
        if (T != "float" || count < 2)
        {
            OneByOne(0, count);
            return;
        }
        for (int start = 0; start < count; start += 8)
        {
            int m = Math.Min(8, count - start);
            if (m == 1)
            {
                OneByOne(start, start + 1);
                continue;
            }
            using (w.Open("if (Simd::X86.Avx.IsSupported)"))
            {
                string Term(int j) => j < m ? total(start + j) : VectorType + ".Zero";
                w.Line("// The lane sums of taps " + start + "…" + (start + m - 1) + " in one vector: (t0 + t1 pairwise, t2 + t3 pairwise, …) twice, then the 128-bit halves.");
                w.Line(VectorType + " " + string.Join(", ", Enumerable.Range(0, 8).Select(j => "t" + j + " = " + Term(j))) + ";");
                w.Line(VectorType + " h01 = Simd::X86.Avx.HorizontalAdd(t0, t1), h23 = Simd::X86.Avx.HorizontalAdd(t2, t3), h45 = Simd::X86.Avx.HorizontalAdd(t4, t5), h67 = Simd::X86.Avx.HorizontalAdd(t6, t7);");
                w.Line(VectorType + " q0 = Simd::X86.Avx.HorizontalAdd(h01, h23), q1 = Simd::X86.Avx.HorizontalAdd(h45, h67);");
                w.Line(VectorType + " sums = Simd::X86.Avx.Permute2x128(q0, q1, 0x20) + Simd::X86.Avx.Permute2x128(q0, q1, 0x31); // lane j: the sum of tap " + start + " + j");
                w.Line("ref " + T + " first = ref " + At(row, tap(start)) + ";");
                if (m == 8) w.Line("Simd::Vector256.StoreUnsafe(Simd::Vector256.LoadUnsafe(ref first) - sums, ref first);");
                else
                    for (int j = 0; j < m; j++)
                        w.Line(At("first", j.ToString(CultureInfo.InvariantCulture)) + " -= Simd::Vector256.GetElement(sums, " + j + ");");
            }
            using (w.Open("else")) OneByOne(start, start + m);
        }
    }

    /// <summary>
    /// Binds <c>uFlat{b}</c> to û[o] at the source's row stride: û[o] itself when its rows are that wide (or it is
    /// one row), else its rows copied into plane b of _uHatFlat{l}, whose positions between rows are never written and
    /// stay 0.
    /// </summary>
    private void FlatSensitivity(SourceWriter w, LayerShape layer, WindowGeometry g, Index o, int b, int count)
    {
        int l = layer.Number, n = Planner.FlatLength(g);
        string name = "uFlat" + (count == 1 ? "" : b.ToString(CultureInfo.InvariantCulture));
        if (!PlanOf(layer).Owns("_uHatFlat" + l))
        {
            w.Line("ref " + T + " " + name + " = ref " + At("s" + l, Lin(0, (o, g.OutPlane))) + "; // û[o]: its rows are already at the source's row stride");
            return;
        }
        w.Line("ref " + T + " " + name + " = ref " + At(StartOf("_uHatFlat" + l), (b * n).ToString(CultureInfo.InvariantCulture)) + "; // û[o] at the source's row stride " + g.PaddedWidth + ", zeros between rows");
        using (w.Open())
            Loop(w, "y", g.OutHeight, y =>
                w.Line(CopyBlock(At(name, Lin(0, (y, g.PaddedWidth))), At("s" + l, Lin(0, (o, g.OutPlane), (y, g.OutWidth))), g.OutWidth.ToString(CultureInfo.InvariantCulture)) + " // a row: a constant size, no call"));
    }

    /// <summary>Writes <paramref name="body"/> for Vector512 (when a plane of <paramref name="n"/> holds one and the hardware has it) and for Vector256.</summary>
    private void ByFlatWidth(SourceWriter w, int n, Action<VectorWidth> body)
    {
        List<VectorWidth> widths = Planner.FlatWidths(n, V).Select(wide => new VectorWidth(Element, wide)).ToList();
        if (widths.Count == 1)
        {
            body(widths[0]);
            return;
        }
        using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)")) body(widths[0]);
        using (w.Open("else")) body(widths[1]);
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
