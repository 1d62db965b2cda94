// A convolution in ForwardBatch's lanes path (LanesKernel.Conv): 16 samples a vector, so every load of x is aligned
// and useful (per sample, the flat kernel computes the positions between rows and loads each tap across two cache
// lines; bench/RESULTS.md, "Tap loads"). A pass holds LanesMaps maps × a run of an output row in accumulators and
// a kernel row's weights broadcast in registers; each vector of x in the row is loaded once for every tap and map
// it meets. A convolution that is a dense layer (ConvAsDense) takes the dense layer's lanes kernel.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter
{
    /// <summary>The body of LanesLayer{l} for a convolution.</summary>
    public void WriteLanesForward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        if (PlanOf(layer).Lanes == LanesKernel.ConvAsDense)
        {
            w.Line("// One output position that sees the whole of x" + Sup(src) + ": a dense layer, w" + Sup(l) + "[o] being row o of W over the flattened source.");
            C.Dense.WriteLanesProduct(w, layer, new List<(int, int, string)> { (src, g.Channels * g.InPlane, "W" + l) }, "B" + l);
            return;
        }
        int maps = PlanOf(layer).LanesMaps, pairs = g.OutChannels / maps;
        w.Line(ThetaRef("p"));
        w.Line(LanesRef("uLanes", l));
        if (Planner.LanesPadded(layer))
        {
            w.Line("// x" + Sup(src) + " into the interior of its zero-padded copy (the border is never written, so it stays 0).");
            w.Line("ref " + T + " xp = ref AlignedStart(_lanesPad" + l + ");");
            w.Line(LanesRef("unpadded", src));
            Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
                w.Line(CopyBlock(At("xp", LanesAt(Lin(g.PadHeight * g.PaddedWidth + g.PadWidth, (i, g.PaddedPlane), (y, g.PaddedWidth)))),
                                 At("unpadded", LanesAt(Lin(0, (i, g.InPlane), (y, g.Width)))), (g.Width * LaneSamples).ToString(CultureInfo.InvariantCulture)))));
        }
        else w.Line(LanesRef("xp", src) + " // no padding: read x" + Sup(src) + " directly");
        int run = PlanOf(layer).LanesRun, ow = g.OutWidth;
        var runs = Enumerable.Range(0, (ow + run - 1) / run).Select(r => (Start: r * run, Count: Math.Min(run, ow - r * run))).ToList();
        w.Line("// u" + Sup(l) + "[o, y, x] = b[o] + Σ_i Σ_ky,kx w[o, i, ky, kx]·xp[i, y·s + ky, x·s + kx] for 16 samples a vector: " +
               (maps == 1 ? "one map" : maps + " maps") + " a pass, each output row in runs of " + string.Join(", ", runs.Select(r => r.Count)) + " positions.");
        if (pairs > 0) Range(w, "o", 0, pairs * maps, maps, unroll: false, o => LanesPass(w, layer, o, maps, runs));
        if (g.OutChannels > pairs * maps)
            using (w.Open())
            {
                w.Line("// The last map.");
                LanesPass(w, layer, pairs * maps, 1, runs);
            }
    }

    /// <summary>Maps o … o + maps − 1 over every output row: per run, the accumulators, the channels, f and the stores.</summary>
    private void LanesPass(SourceWriter w, LayerShape layer, Index o, int maps, List<(int Start, int Count)> runs)
    {
        var g = layer.Window;
        int l = layer.Number, s = g.Stride;
        bool table = Planner.HasSparseTable(layer);
        Loop(w, "y", g.OutHeight, y =>
        {
            foreach ((int start, int n) in runs)
                using (w.Open())
                {
                    w.Line("// Accumulators a[map, position], from the bias.");
                    w.Line(Lanes512.Type + " " + string.Join(", ", Enumerable.Range(0, maps).Select(m => "bias" + m + " = " + Lanes512.Broadcast(At("p", "B" + l + " + " + Lin(m, (o, 1)))))) + ";");
                    for (int m = 0; m < maps; m++)
                        w.Line(Lanes512.Type + " " + string.Join(", ", Enumerable.Range(0, n).Select(r => "a" + m + "_" + r + " = bias" + m)) + ";");
                    Loop(w, "i", g.Channels, i =>
                    {
                        for (int m = 0; m < maps; m++)
                            w.Line("int k" + m + " = " + (table ? "Kernels" + l + "[" + Lin(m * g.Channels, (o, g.Channels), (i, 1)) + "]" : "W" + l + " + " + Lin(m * g.Channels * g.KernelVolume, (o, g.Channels * g.KernelVolume), (i, g.KernelVolume))) +
                                   "; // w" + Sup(l) + "[o" + (m > 0 ? " + " + m : "") + ", i]" + (table ? ", −1 where the table leaves it out" : ""));
                        w.Line("ref " + T + " xw = ref " + At("xp", LanesAt(Lin(start * s, (i, g.PaddedPlane), (y, s * g.PaddedWidth)))) + "; // the run's first window");
                        if (!table) LanesTaps(w, layer, Enumerable.Range(0, maps).ToList(), n);
                        else if (maps == 1)
                            using (w.Open("if (k0 >= 0)")) LanesTaps(w, layer, new List<int> { 0 }, n);
                        else
                        {
                            using (w.Open("if (k0 >= 0 && k1 >= 0)")) LanesTaps(w, layer, new List<int> { 0, 1 }, n);
                            using (w.Open("else if (k0 >= 0)")) LanesTaps(w, layer, new List<int> { 0 }, n);
                            using (w.Open("else if (k1 >= 0)")) LanesTaps(w, layer, new List<int> { 1 }, n);
                        }
                    });
                    if (layer.Activation != Activation.Identity)
                        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + " in registers.");
                    for (int m = 0; m < maps; m++)
                        for (int r = 0; r < n; r++)
                            w.Line(LanesStore(layer, "a" + m + "_" + r, "uLanes", Lin(m * g.OutPlane + start + r, (o, g.OutPlane), (y, g.OutWidth))));
                }
        });
    }

    /// <summary>
    /// The (position, tap) pairs that meet column <paramref name="column"/> of a run's source row: position r of the
    /// <paramref name="positions"/> in the run reads column r·s + kx at tap kx. Every lanes kernel that walks a row of x
    /// (or x̂) loads each column once and uses it for these.
    /// </summary>
    private static List<(int Position, int Tap)> TapsAt(int column, int positions, int stride, int kernelWidth)
    {
        var taps = new List<(int, int)>();
        for (int kx = 0; kx < kernelWidth; kx++)
            if (column - kx >= 0 && (column - kx) % stride == 0 && (column - kx) / stride < positions) taps.Add(((column - kx) / stride, kx));
        return taps;
    }

    /// <summary>
    /// The taps of channel i for the maps <paramref name="maps"/> of the pass, a kernel row at a time: the row's weights
    /// broadcast, then each vector of x the run's windows cover loaded once and multiplied into every (map, position)
    /// whose tap meets it (column c meets position r at tap kx = c − r·s).
    /// </summary>
    private void LanesTaps(SourceWriter w, LayerShape layer, List<int> maps, int n)
    {
        var g = layer.Window;
        int s = g.Stride, kw = g.KernelWidth;
        Loop(w, "ky", g.KernelHeight, ky =>
        {
            foreach (int m in maps)
                w.Line(Lanes512.Type + " " + string.Join(", ", Enumerable.Range(0, kw).Select(kx => "w" + m + "_" + kx + " = " + Lanes512.Broadcast(At("p", "k" + m + " + " + Lin(kx, (ky, kw)))))) + ";");
            w.Line("ref " + T + " xr = ref " + At("xw", LanesAt(Lin(0, (ky, g.PaddedWidth)))) + ";");
            for (int c = 0; c < (n - 1) * s + kw; c++)
            {
                var hits = TapsAt(c, n, s, kw);
                if (hits.Count == 0) continue;
                w.Line(Lanes512.Type + " x" + c + " = " + LanesLoad("xr", c.ToString(CultureInfo.InvariantCulture)) + ";");
                foreach ((int r, int kx) in hits)
                    foreach (int m in maps)
                        w.Line("a" + m + "_" + r + " = " + Lanes512.Fma("w" + m + "_" + kx, "x" + c, "a" + m + "_" + r) + ";");
            }
        });
    }

    /// <summary>
    /// The body of BackwardLanesLayer{l} for a convolution: g_w and g_b by the lanes kernel BackwardBatch's deferral
    /// uses (ConvEmitter.Deferred.cs), reading û and the padded x where the forward pass left them; then x̂ of the
    /// source, each row of û scattered through the kernel (a correlation with the flipped filter): per run of a row
    /// of û held in registers, each vector of x̂ it reaches is loaded, given every (position, tap) that meets it and
    /// stored once a kernel row. A padded convolution scatters into a padded x̂ and adds its interior to the source's.
    /// </summary>
    public void WriteLanesBackward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        if (PlanOf(layer).Lanes == LanesKernel.ConvAsDense)
        {
            C.Dense.WriteLanesProductBackward(w, layer, new List<(int, int, string)> { (src, g.Channels * g.InPlane, "W" + l) }, "B" + l);
            return;
        }
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        w.Line("ref " + T + " uLanes = ref s; // û_s[o, y, x] at ((o·" + g.OutHeight + " + y)·" + g.OutWidth + " + x)·16 + s");
        w.Line("ref " + T + " xLanes = ref AlignedStart(" + (Planner.LanesPadded(layer) ? "_lanesPad" + l : "_lanes" + src) + "); // xp_s[i, y, x] at ((i·" + g.PaddedHeight + " + y)·" + g.PaddedWidth + " + x)·16 + s");
        LanesGradientKernel(w, layer, Lanes512);
        if (src == 0) return;
        bool padded = PlanOf(layer).Owns("_lanesPadHat" + l);
        int s = g.Stride, kw = g.KernelWidth, run = Math.Min(PlanOf(layer).LanesRun, LanesRowWidth(Lanes512, kw)), ow = g.OutWidth;
        var runs = Enumerable.Range(0, (ow + run - 1) / run).Select(r => (Start: r * run, Count: Math.Min(run, ow - r * run))).ToList();
        w.Line("// x̂" + Sup(src) + "[i, y·s + ky, x·s + kx] += w[o, i, ky, kx]·û[o, y, x], rows of û in runs of " + string.Join(", ", runs.Select(r => r.Count)) + " positions" +
               (padded ? ", into the zero-padded x̂ first." : "."));
        if (padded)
        {
            w.Line("Interop::MemoryMarshal.CreateSpan(ref AlignedStart(_lanesPadHat" + l + "), " + g.Channels * g.PaddedPlane * LaneSamples + ").Clear();");
            w.Line("ref " + T + " hat = ref AlignedStart(_lanesPadHat" + l + ");");
        }
        else w.Line(LanesSensitivityRef("hat", src));
        bool table = Planner.HasSparseTable(layer);
        Loop(w, "o", g.OutChannels, o => Loop(w, "y", g.OutHeight, y =>
        {
            foreach ((int start, int n) in runs)
                using (w.Open())
                {
                    w.Line(Lanes512.Type + " " + string.Join(", ", Enumerable.Range(0, n).Select(r => "u" + r + " = " + LanesLoad("uLanes", Lin(start + r, (o, g.OutPlane), (y, ow))))) + ";");
                    Loop(w, "i", g.Channels, i =>
                    {
                        if (table)
                        {
                            w.Line("int k = Kernels" + l + "[" + Lin(0, (o, g.Channels), (i, 1)) + "];");
                            w.Line("if (k < 0) continue; // filter o does not read channel i");
                        }
                        else w.Line("int k = W" + l + " + " + Lin(0, (o, g.Channels * g.KernelVolume), (i, g.KernelVolume)) + ";");
                        w.Line("ref " + T + " hw = ref " + At("hat", LanesAt(Lin(start * s, (i, g.PaddedPlane), (y, s * g.PaddedWidth)))) + ";");
                        Loop(w, "ky", g.KernelHeight, ky =>
                        {
                            w.Line(Lanes512.Type + " " + string.Join(", ", Enumerable.Range(0, kw).Select(kx => "w" + kx + " = " + Lanes512.Broadcast(At("p", "k + " + Lin(kx, (ky, kw)))))) + ";");
                            w.Line("ref " + T + " hr = ref " + At("hw", LanesAt(Lin(0, (ky, g.PaddedWidth)))) + ";");
                            for (int c = 0; c < (n - 1) * s + kw; c++)
                            {
                                var hits = TapsAt(c, n, s, kw);
                                if (hits.Count == 0) continue;
                                w.Line(Lanes512.Type + " h" + c + " = " + LanesLoad("hr", c.ToString(CultureInfo.InvariantCulture)) + ";");
                                foreach ((int r, int kx) in hits)
                                    w.Line("h" + c + " = " + Lanes512.Fma("w" + kx, "u" + r, "h" + c) + ";");
                                w.Line(Lanes512.Store("h" + c, "hr", LanesAt(c.ToString(CultureInfo.InvariantCulture))));
                            }
                        });
                    });
                }
        }));
        if (!padded) return;
        w.Line("// The padded x̂'s interior into x̂" + Sup(src) + ".");
        w.Line(LanesSensitivityRef("sx", src));
        Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
        {
            using (w.Open("for (int x = 0; x < " + g.Width + "; x++)"))
            {
                string to = Lin(0, (i, g.InPlane), (y, g.Width), (new Index("x", 0), 1)), from = Lin(g.PadHeight * g.PaddedWidth + g.PadWidth, (i, g.PaddedPlane), (y, g.PaddedWidth), (new Index("x", 0), 1));
                w.Line(Lanes512.Store(LanesLoad("sx", to) + " + " + LanesLoad("hat", from), "sx", LanesAt(to)));
            }
        }));
    }
}
