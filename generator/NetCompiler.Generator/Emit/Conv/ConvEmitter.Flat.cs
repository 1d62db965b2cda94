// The flat convolution kernel: u[o] over its output plane flattened at the source's row stride, a dozen accumulators
// in registers while every tap streams past, f applied as u is stored.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter
{
    /// <summary>Accumulators one pass of the flat kernel keeps in registers: 32 vector registers with AVX-512, 16 without.</summary>
    private static int FlatAccumulators(VectorWidth vec, int lanes) => vec.Lanes > lanes ? FlatAccumulators512 : FlatAccumulators256;

    /// <summary>The vector widths the flat kernel of <paramref name="g"/> is written for: Vector512 (if a plane holds one) and Vector256.</summary>
    private IEnumerable<VectorWidth> FlatWidths(WindowGeometry g) => Planner.FlatWidths(Planner.FlatLength(g), V).Select(wide => new VectorWidth(Element, wide));

    /// <summary>
    /// Stride 1: u[o] is computed over its plane flattened at the source's row stride PW, position q = y·PW + x, so
    /// that for every tap (i, ky, kx) the inputs of a vector of consecutive q are the consecutive xp[i, q + ky·PW + kx]:
    /// rows narrower than a vector cost no extra lanes (10-wide rows fill 16-lane vectors across rows), and one pass
    /// keeps up to a dozen independent accumulators in registers while the taps of every connected channel stream
    /// past, one broadcast weight and one FMA per accumulator and tap. The x = PW − OW … PW − 1 columns between rows
    /// are computed and dropped. Unless the plane is u[o] itself, it goes to the staging buffer _flat{l} and its rows
    /// are moved into x, f applied on the way. Vector512 where it is accelerated, else Vector256.
    /// </summary>
    private void ConvForwardFlat(SourceWriter w, LayerShape layer, WindowGeometry g, string target)
    {
        int l = layer.Number, n = Planner.FlatLength(g);
        bool direct = !PlanOf(layer).Owns("_flat" + l), fused = PlanOf(layer).ConvFusesActivation;
        w.Line("// u" + Sup(l) + "[o, y, x] = b[o] + Σ_i Σ_ky,kx w[o, i, ky, kx]·xp[i, y + ky, x + kx], over the plane flattened at xp's row stride " + g.PaddedWidth +
               ": q = y·" + g.PaddedWidth + " + x, so every tap reads xp[i, q + ky·" + g.PaddedWidth + " + kx] for consecutive q" +
               (direct ? "." : " (" + n + " positions, of which x ≥ " + g.OutWidth + " are dropped)."));
        if (!direct) w.Line(Ref("flat", "_flat" + l) + " // u[o] at row stride " + g.PaddedWidth + (fused ? ", f applied" : ""));
        List<VectorWidth> widths = FlatWidths(g).ToList();
        if (widths.Count == 2)
        {
            using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
                ConvForwardFlatKernel(w, layer, g, target, widths[0], direct, fused);
            using (w.Open("else"))
                ConvForwardFlatKernel(w, layer, g, target, widths[1], direct, fused);
        }
        else
            ConvForwardFlatKernel(w, layer, g, target, widths[0], direct, fused);
    }

    private void ConvForwardFlatKernel(SourceWriter w, LayerShape layer, WindowGeometry g, string target, VectorWidth vec, bool direct, bool fused)
    {
        int l = layer.Number, n = Planner.FlatLength(g), maps = PlanOf(layer).OutputMaps;
        FlatPasses passes = FlatPasses.Of(n, vec, Math.Max(1, FlatAccumulators(vec, V) / maps));
        List<int> offsets = passes.Offsets;
        string? inRegisters = fused ? RegisterActivation(layer.Activation, vec, "acc") : null;
        w.Line("// " + passes.Describe() + (maps > 1 ? ", for " + maps + " maps at once: each vector of x loaded feeds " + maps + " FMAs" : "") +
               (inRegisters is not null && layer.Activation != Activation.Identity ? "; x = " + FunctionText(layer.Activation, "u") + " is applied to the accumulators before they are stored." : "."));
        // Maps o … o + count − 1 together: acc{b}_{k} is map o + b at the pass's k-th vector.
        void Block(Index o, int count)
        {
            string Acc(int b, int k) => count == 1 ? "acc" + k : "acc" + b + "_" + k;
            for (int b = 0; b < count; b++)
            {
                w.Line(vec.Type + " bias" + b + " = " + vec.Broadcast(At("p", "B" + l + " + " + Lin(b, (o, 1)))) + ";");
                if (direct) w.Line("ref " + T + " uPlane" + b + " = ref " + At(target, Lin(0, (o, g.OutPlane), (b, g.OutPlane))) + ";");
                else w.Line("ref " + T + " flat" + b + " = ref " + At("flat", (b * n).ToString(CultureInfo.InvariantCulture)) + ";");
            }
            passes.Write(w, start =>
            {
                w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, count).SelectMany(b => offsets.Select((_, k) => Acc(b, k) + " = bias" + b))) + ";");
                // The maps of the block that channel i feeds: all of them, or those a connection table connects.
                void Taps(Index i, IReadOnlyList<int> fed)
                {
                    string plane = Lin(0, (i, g.PaddedPlane));
                    w.Line("ref " + T + " xRow = ref " + At("xp", start == "0" ? plane : plane == "0" ? start : plane + " + " + start) + ";");
                    Loop(w, "ky", g.KernelHeight, ky =>
                    {
                        foreach (int b in fed)
                            w.Line("ref " + T + " wk" + (count == 1 ? "" : b.ToString(CultureInfo.InvariantCulture)) + " = ref " +
                                   At(count == 1 ? "w" : "p", count == 1 ? Lin(0, (ky, g.KernelWidth)) : KernelRow(layer, o.Plus(b), i, ky)) + ";");
                        w.Line("ref " + T + " xk = ref " + At("xRow", Lin(0, (ky, g.PaddedWidth))) + ";");
                        KernelTaps(w, g.KernelWidth, IsTableBlock(layer, count), kx =>
                        {
                            if (count == 1)
                            {
                                w.Line(vec.Type + " " + TapName(kx) + " = " + vec.Broadcast(At("wk", kx.ToString())) + ";");
                                for (int k = 0; k < offsets.Count; k++)
                                    w.Line(Acc(0, k) + " = " + vec.Fma(TapName(kx), vec.Load("xk", Lin(offsets[k], (kx, 1))), Acc(0, k)) + ";");
                                return;
                            }
                            using (w.Open()) // one block a tap, for its locals
                            {
                                for (int k = 0; k < offsets.Count; k++)
                                    w.Line(vec.Type + " source" + k + " = " + vec.Load("xk", Lin(offsets[k], (kx, 1))) + ";");
                                foreach (int b in fed)
                                {
                                    w.Line(vec.Type + " weight" + b + " = " + vec.Broadcast(At("wk" + b, kx.ToString())) + ";");
                                    for (int k = 0; k < offsets.Count; k++)
                                        w.Line(Acc(b, k) + " = " + vec.Fma("weight" + b, "source" + k, Acc(b, k)) + ";");
                                }
                            }
                        });
                    });
                }
                if (count == 1) ChannelLoop(w, layer, o, gradient: false, i => Taps(i, new[] { 0 }));
                else BlockChannels(w, layer, o, count, Taps);
                for (int b = 0; b < count; b++)
                {
                    string plane = (direct ? "uPlane" : "flat") + b;
                    w.Line("ref " + T + " uStart" + b + " = ref " + At(plane, start) + ";");
                    for (int k = 0; k < offsets.Count; k++)
                        w.Line(vec.Store(inRegisters is null ? Acc(b, k) : RegisterActivation(layer.Activation, vec, Acc(b, k))!, "uStart" + b, offsets[k].ToString(CultureInfo.InvariantCulture)));
                }
            });
            if (!direct)
                for (int b = 0; b < count; b++)
                    FlatRowsToTarget(w, layer, g, target, "flat" + b, new Index(o.Variable, o.Offset + b), fused && inRegisters is null);
        }
        var refs = new List<string> { "p", "xp", target };
        if (!direct) refs.Add("flat");
        TableMapBlocks(w, layer, "o", g.OutChannels, maps, "Maps", vec, refs, Block);
    }

    /// <summary>
    /// How a flat kernel covers n positions with vectors of L lanes and at most A accumulators: one pass holds the
    /// vectors at 0, L, 2L, … (the last overlapping the one before it, storing the same values); several passes each
    /// hold a run of the same number of vectors from min(pass·span, n − span), the last run overlapping the one before.
    /// </summary>
    private sealed class FlatPasses
    {
        private readonly int _n, _lanes;

        private FlatPasses(int n, int lanes, int vectors, int passes, int perPass, List<int> offsets) =>
            (_n, _lanes, Vectors, Passes, PerPass, Span, Offsets) = (n, lanes, vectors, passes, perPass, perPass * lanes, offsets);

        public int Vectors { get; }
        public int Passes { get; }
        public int PerPass { get; }
        public int Span { get; }
        /// <summary>Each accumulator's offset from the pass's start.</summary>
        public List<int> Offsets { get; }

        public static FlatPasses Of(int n, VectorWidth vec, int accumulators)
        {
            int lanes = vec.Lanes, vectors = (n + lanes - 1) / lanes, passes = (vectors + accumulators - 1) / accumulators;
            int perPass = (vectors + passes - 1) / passes;
            List<int> offsets = passes == 1
                ? Enumerable.Range(0, perPass).Select(k => k == perPass - 1 ? n - lanes : k * lanes).ToList()
                : Enumerable.Range(0, perPass).Select(k => k * lanes).ToList();
            return new FlatPasses(n, lanes, vectors, passes, perPass, offsets);
        }

        public string Describe() =>
            Vectors + " vector" + (Vectors == 1 ? "" : "s") + " of " + _lanes + " per plane" + (_n % _lanes != 0 ? " (the last overlaps the one before it)" : "") +
            (Passes == 1 ? ", all in registers at once" : ", " + Passes + " passes of " + PerPass + " accumulators (the last pass overlaps the one before it)");

        /// <summary>Writes the passes: <paramref name="pass"/> gets the start position's expression, "0" or "start".</summary>
        public void Write(SourceWriter w, Action<string> pass)
        {
            if (Passes == 1)
            {
                using (w.Open()) pass("0");
                return;
            }
            using (w.Open("for (int pass = 0; pass < " + Passes + "; pass++)"))
            {
                w.Line("int start = global::System.Math.Min(pass * " + Span + ", " + (_n - Span) + ");");
                pass("start");
            }
        }
    }

    /// <summary>u[o, y, 0…OW) = flat[y·PW…y·PW + OW), and x = f(u) on the way when <paramref name="fused"/>.</summary>
    private void FlatRowsToTarget(SourceWriter w, LayerShape layer, WindowGeometry g, string target, string flat, Index o, bool fused)
    {
        int l = layer.Number;
        string what = Target(layer) == target && PlanOf(layer).ConvFusesActivation ? "x" : "u";
        w.Line("// " + (fused ? "x" + Sup(l) + "[o, y, ·] = " + FunctionText(layer.Activation, "u") + " of " : what + Sup(l) + "[o, y, ·] = ") +
               "the first " + g.OutWidth + " of row y of the staging buffer" + (g.OutWidth >= V && g.OutWidth % V != 0 ? " (the last vector overlaps the one before it)" : "") + ".");
        Loop(w, "y", g.OutHeight, y =>
        {
            w.Line("ref " + T + " uRow = ref " + At(flat, Lin(0, (y, g.PaddedWidth))) + ";");
            w.Line("ref " + T + " xRow = ref " + At(target, Lin(0, (o, g.OutPlane), (y, g.OutWidth))) + ";");
            if (g.OutWidth >= V)
                foreach ((int start, bool _) in RowVectors(g.OutWidth))
                {
                    string at = start.ToString(CultureInfo.InvariantCulture), u = LoadAt("uRow", at);
                    w.Line(StoreAt(fused ? VectorFunction(layer.Activation, u) : u, "xRow", at));
                }
            else
                for (int x = 0; x < g.OutWidth; x++)
                    w.Line(At("xRow", x.ToString(CultureInfo.InvariantCulture)) + " = " + At("uRow", x.ToString(CultureInfo.InvariantCulture)) + ";");
        });
    }

    /// <summary>The broadcast weight of tap kx: w0, w1, … when the taps are written out, wv in a loop over kx.</summary>
    private static string TapName(Index kx) => kx.Variable is null ? "w" + kx.Offset.ToString(CultureInfo.InvariantCulture) : "wv";

    /// <summary>
    /// The taps kx of a kernel row: written out up to <see cref="KernelUnrollLimit"/>, else a loop; always a loop in the
    /// written-out blocks of a connection table (<paramref name="table"/>), which repeat the row for every pair of a
    /// block and a channel it reads.
    /// </summary>
    private static void KernelTaps(SourceWriter w, int width, bool table, Action<Index> body)
    {
        if (width <= KernelUnrollLimit && !table)
        {
            for (int kx = 0; kx < width; kx++) body(kx);
            return;
        }
        using (w.Open("for (int kx = 0; kx < " + width + "; kx++)"))
            body(new Index("kx", 0));
    }
}
