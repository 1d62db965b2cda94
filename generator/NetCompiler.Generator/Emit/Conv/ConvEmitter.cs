// Convolutions (weight sharing, the lecture's LeNet): the padded copy of the source, and the forward kernels the plan
// names: as a dense layer when the kernel covers its whole input, the flat kernel, or one position at a time.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter : EmitterBase, ILayerEmitter
{
    public ConvEmitter(EmitContext context) : base(context) { }

    /// <inheritdoc/>
    public void WriteForward(SourceWriter w, LayerShape layer) => ConvForward(w, layer);

    /// <inheritdoc/>
    public void WriteBackward(SourceWriter w, LayerShape layer) => ConvBackward(w, layer);

    /// <summary>
    /// The loop over the input channels i of filter o, binding <c>w</c> (and <c>gw</c>) to kernel w[o, i]: a
    /// connection table's kernels come from Kernels{l}, skipping channels the filter does not read.
    /// </summary>
    private void ChannelLoop(SourceWriter w, LayerShape layer, Index o, bool gradient, Action<Index> body)
    {
        Loop(w, "i", layer.Window.Channels, i =>
        {
            string kernel = BindKernel(w, layer, o, i);
            if (gradient) w.Line("ref " + T + " gw = ref " + At("g", kernel) + ";");
            body(i);
        });
    }

    /// <summary>
    /// Binds <c>xp</c> to the source as the kernels read it: the source itself, or (padding) its zero-padded copy
    /// _pad{l}, whose interior is refreshed here and whose border is never written.
    /// </summary>
    private void PaddedSource(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        if (layer.Padding == 0)
        {
            w.Line(Ref("xp", "_x" + src) + " // no padding: the kernel reads x" + Sup(src) + " directly");
            return;
        }
        w.Line("// Copy x" + Sup(src) + " into the interior of its zero-padded copy (its border is never written, so it stays 0).");
        w.Line(Ref("xp", "_pad" + l));
        w.Line(Ref("unpadded", "_x" + src));
        Loop(w, "i", g.Channels, i => Loop(w, "y", g.Height, y =>
            w.Line(CopyBlock(At("xp", Lin(g.PadHeight * g.PaddedWidth + g.PadWidth, (i, g.PaddedPlane), (y, g.PaddedWidth))),
                             At("unpadded", Lin(0, (i, g.InPlane), (y, g.Width))), g.Width.ToString(CultureInfo.InvariantCulture)) + " // a row: a constant size, no call")));
    }

    private void ConvForward(SourceWriter w, LayerShape layer)
    {
        ForwardKernel kernel = PlanOf(layer).Forward;
        if (kernel is ForwardKernel.ConvAsDense or ForwardKernel.GraphDense)
        {
            w.Line("// The kernel covers the whole input: w" + Sup(layer.Number) + "[o, i, ky, kx] row-major is W[o, (i, y, x)] of a dense layer on x" + Sup(layer.Sources[0]) + " flattened.");
            if (kernel == ForwardKernel.ConvAsDense) ConvDenseForward(w, layer);
            else C.Dense.GraphDenseForward(w, layer);
            return;
        }
        var g = layer.Window;
        int l = layer.Number;
        string target = Target(layer);
        w.Line(ThetaRef("p"));
        DeclareTarget(w, layer);
        PaddedSource(w, layer);
        if (kernel == ForwardKernel.ConvFlat) ConvForwardFlat(w, layer, g, target);
        else ConvForwardScalar(w, layer, g, target);
    }

    /// <summary>
    /// A convolution that is a dense layer (its kernel covers its whole input, at least two Vector256 long):
    /// u[o] = b[o] + W[o, ·]·x, each row's dot product in lanes of a Vector512 (16 floats), several rows at a time
    /// sharing each load of x. The Vector256 fallback keeps the same 16 partial sums per row in two Vector256
    /// accumulators (the lower and upper halves), so both widths add in the same order and agree bit for bit; the
    /// last chunk of x overlaps the one before it with the overlapped lanes of x zeroed.
    /// </summary>
    private void ConvDenseForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, src = layer.Sources[0], m = layer.Outputs, n = layer.SourceShapes[0].Size, lanes = 2 * V, tail = n % lanes;
        string target = Target(layer);
        w.Line(ThetaRef("p"));
        DeclareTarget(w, layer);
        w.Line(Ref("x", "_x" + src));
        w.Line("// u" + Sup(l) + "[o] = b[o] + Σ_j W[o, j]·x" + Sup(src) + "[j], j < " + n + ": " + lanes + " partial sums per row (one Vector512, or two Vector256 halves), then their total" +
               (tail != 0 ? "; the last " + lanes + " of x overlap the chunk before them, their first " + (lanes - tail) + " lanes zeroed" : "") + ".");
        var wide = new VectorWidth(Element, wide: true);
        var narrow = new VectorWidth(Element, wide: false);
        string zero512 = wide.Type + ".Zero", zero256 = VectorType + ".Zero";
        string Mask512() => Element.Mask(wide.Class, lanes, tail, last: true);
        string Mask256(bool upper) => upper ? (tail >= V ? Element.MaskLast(V) : Element.MaskLast(tail)) : (tail > V ? Element.MaskLast(tail - V) : Element.MaskFirst(0));
        void Rows(VectorWidth vec, int group)
        {
            bool isWide = vec.Wide;
            int full = m / group * group;
            void Block(Index i, int rows)
            {
                for (int r = 0; r < rows; r++)
                    w.Line("ref " + T + " w" + r + " = ref " + At("p", "W" + l + " + " + Lin(0, (i, n)) + (r == 0 ? "" : " + " + r * n)) + ";");
                if (isWide) w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, rows).Select(r => "sum" + r + " = " + zero512)) + ";");
                else w.Line(VectorType + " " + string.Join(", ", Enumerable.Range(0, rows).Select(r => "low" + r + " = " + zero256 + ", high" + r + " = " + zero256)) + ";");
                void Chunk(string j, bool masked)
                {
                    string Index(int offset) => offset == 0 ? j : j == "0" ? offset.ToString(CultureInfo.InvariantCulture) : j + " + " + offset;
                    if (isWide)
                    {
                        w.Line(vec.Type + " xj = " + vec.Load("x", j) + (masked ? " & " + Mask512() : "") + ";");
                        for (int r = 0; r < rows; r++) w.Line("sum" + r + " = " + vec.Fma(vec.Load("w" + r, j), "xj", "sum" + r) + ";");
                    }
                    else
                    {
                        w.Line(VectorType + " xLow = " + LoadAt("x", j) + (masked ? " & " + Mask256(upper: false) : "") + ", xHigh = " + LoadAt("x", Index(V)) + (masked ? " & " + Mask256(upper: true) : "") + ";");
                        for (int r = 0; r < rows; r++)
                        {
                            w.Line("low" + r + " = " + Fma(LoadAt("w" + r, j), "xLow", "low" + r) + ";");
                            w.Line("high" + r + " = " + Fma(LoadAt("w" + r, Index(V)), "xHigh", "high" + r) + ";");
                        }
                    }
                }
                using (w.Open("for (int j = 0; j < " + (n - tail) + "; j += " + lanes + ")")) Chunk("j", false);
                if (tail != 0)
                    using (w.Open()) Chunk((n - lanes).ToString(CultureInfo.InvariantCulture), true);
                for (int r = 0; r < rows; r++)
                {
                    string halves = isWide
                        ? "Simd::Vector512.GetLower(sum" + r + ") + Simd::Vector512.GetUpper(sum" + r + ")"
                        : "low" + r + " + high" + r;
                    string o = Lin(r, (i, 1));
                    w.Line(At(target, o) + " = " + Sum(halves) + " + " + At("p", "B" + l + " + " + o) + ";");
                }
            }
            if (full > 0)
                using (w.Open("for (int i = 0; i < " + full + "; i += " + group + ")")) Block(new Index("i", 0), group);
            if (m > full)
                using (w.Open()) Block(full, m - full);
        }
        using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
        {
            w.Line("// " + 8 + " rows at a time: each Vector512 of x feeds 8 FMAs.");
            Rows(wide, 8);
        }
        using (w.Open("else"))
        {
            w.Line("// 4 rows at a time (two accumulators each: 8 of the 16 registers).");
            Rows(narrow, 4);
        }
    }

    /// <summary>Stride above 1, or rows narrower than a vector: one output at a time, the taps written out.</summary>
    private void ConvForwardScalar(SourceWriter w, LayerShape layer, WindowGeometry g, string target)
    {
        int l = layer.Number, s = g.Stride;
        w.Line("// u" + Sup(l) + "[o, y, x] = b[o] + Σ_i Σ_ky,kx w[o, i, ky, kx]·xp[i, " + (s == 1 ? "y + ky, x + kx" : s + "y + ky, " + s + "x + kx") + "], one output at a time" +
               (s != 1 ? " (stride " + s + ")." : " (rows of " + g.OutWidth + " are narrower than a vector)."));
        Loop(w, "o", g.OutChannels, o => Loop(w, "y", g.OutHeight, y => Loop(w, "x", g.OutWidth, x =>
        {
            w.Line(T + " sum = " + At("p", "B" + l + " + " + o) + ";");
            ChannelLoop(w, layer, o, gradient: false, i =>
            {
                w.Line("ref " + T + " xk = ref " + At("xp", Lin(0, (i, g.PaddedPlane), (y, s * g.PaddedWidth), (x, s))) + ";");
                KernelWindow(w, g, (wk, xk) => w.Line("sum += " + At("w", wk) + " * " + At("xk", xk) + ";"));
            });
            w.Line(At(target, Lin(0, (o, g.OutPlane), (y, g.OutWidth), (x, 1))) + " = sum;");
        })));
    }

    /// <summary>The taps (ky, kx) of a kernel as (index in w, index in the input from the window's corner): written out up to WindowUnrollLimit taps, else a loop over ky.</summary>
    private static void KernelWindow(SourceWriter w, WindowGeometry g, Action<string, string> tap)
    {
        if (g.KernelVolume <= WindowUnrollLimit)
        {
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                    tap((ky * g.KernelWidth + kx).ToString(CultureInfo.InvariantCulture), (ky * g.PaddedWidth + kx).ToString(CultureInfo.InvariantCulture));
            return;
        }
        Loop(w, "ky", g.KernelHeight, ky => KernelTaps(w, g.KernelWidth, false, kx =>
            tap(Lin(0, (ky, g.KernelWidth), (kx, 1)), Lin(0, (ky, g.PaddedWidth), (kx, 1)))));
    }

    /// <summary>
    /// Writes <paramref name="block"/> for maps 0 … count − 1 in blocks of <paramref name="maps"/> (first map, maps in
    /// the block): a loop over single maps, or one block, or a loop over the whole blocks, then the remainder's block.
    /// With a connection table (<paramref name="writeOut"/>) every block is written out, its first map a constant.
    /// </summary>
    private static void MapBlocks(SourceWriter w, string variable, int count, int maps, bool writeOut, Action<Index, int> block)
    {
        if (maps == 1)
        {
            Loop(w, variable, count, map => block(map, 1));
            return;
        }
        if (writeOut)
        {
            for (int start = 0; start < count; start += maps)
                using (w.Open()) block(start, Math.Min(maps, count - start));
            return;
        }
        int full = count / maps * maps;
        if (full == maps)
            using (w.Open()) block(0, maps);
        else if (full > 0)
            using (w.Open("for (int " + variable + " = 0; " + variable + " < " + full + "; " + variable + " += " + maps + ")")) block(new Index(variable, 0), maps);
        if (full < count)
            using (w.Open()) block(full, count - full);
    }

    /// <summary>
    /// <see cref="MapBlocks"/> over maps (or channels) 0 … count − 1. With a connection table every block is written
    /// out as a method of its own (named <paramref name="prefix"/>, its first map and the width), called in place with
    /// the ref locals <paramref name="refs"/>: written out into one method, the blocks inline past the JIT's limit of
    /// tracked locals, and the accumulators of the maps a channel does not feed are stored and reloaded inside its
    /// loop (bench/RESULTS.md, "C3's map blocks").
    /// </summary>
    private void TableMapBlocks(SourceWriter w, LayerShape layer, string variable, int count, int maps, string prefix, VectorWidth vec,
        IReadOnlyList<string> refs, Action<Index, int> block)
    {
        if (maps == 1 || !Planner.HasSparseTable(layer))
        {
            MapBlocks(w, variable, count, maps, false, block);
            return;
        }
        MapBlocks(w, variable, count, maps, true, (first, size) =>
        {
            string name = prefix + first.Offset.ToString(CultureInfo.InvariantCulture) + (vec.Wide ? "Wide" : "");
            w.Line(name + "(" + string.Join(", ", refs.Select(r => "ref " + r)) + ");");
            w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.NoInlining | Compiler::MethodImplOptions.AggressiveOptimization)]");
            using (w.Open("void " + name + "(" + string.Join(", ", refs.Select(r => "ref " + T + " " + r)) + ")"))
                block(first, size);
        });
    }

    /// <summary>
    /// The channels i that a block of maps o … o + count − 1 reads, each with the maps b of the block it feeds: a loop
    /// over every channel, feeding every map, without a connection table; with one (the block written out, o a
    /// constant), each channel the table connects to the block, written out with only the maps it feeds.
    /// </summary>
    private static void BlockChannels(SourceWriter w, LayerShape layer, Index o, int count, Action<Index, IReadOnlyList<int>> body) =>
        BlockPairs(w, layer.Window.Channels, "i", count, Planner.HasSparseTable(layer), (b, i) => layer.IsConnected(o.Offset + b, i), body);

    /// <summary>The filters o that read a block of channels i … i + count − 1, each with the channels b of the block it reads (as <see cref="BlockChannels"/>).</summary>
    private static void BlockFilters(SourceWriter w, LayerShape layer, Index i, int count, Action<Index, IReadOnlyList<int>> body) =>
        BlockPairs(w, layer.Window.OutChannels, "o", count, Planner.HasSparseTable(layer), (b, o) => layer.IsConnected(o, i.Offset + b), body);

    private static void BlockPairs(SourceWriter w, int others, string variable, int count, bool table, Func<int, int, bool> connected, Action<Index, IReadOnlyList<int>> body)
    {
        var all = Enumerable.Range(0, count).ToList();
        if (!table)
        {
            Loop(w, variable, others, j => body(j, all));
            return;
        }
        for (int j = 0; j < others; j++)
        {
            var fed = all.Where(b => connected(b, j)).ToList();
            if (fed.Count > 0)
                using (w.Open()) body(j, fed);
        }
    }

    /// <summary>Whether a block of <paramref name="count"/> maps (channels) of the layer is a connection table's written-out block.</summary>
    private static bool IsTableBlock(LayerShape layer, int count) => count > 1 && Planner.HasSparseTable(layer);

    /// <summary>The offset in θ of row ky of kernel w[o, i]: a constant with a connection table (o and i written out), from W{l} otherwise.</summary>
    private static string KernelRow(LayerShape layer, Index o, Index i, Index ky)
    {
        var g = layer.Window;
        return Planner.HasSparseTable(layer)
            ? Lin(layer.KernelOffset(o.Offset, i.Offset), (ky, g.KernelWidth))
            : "W" + layer.Number + " + " + Lin(0, (o, g.Channels * g.KernelVolume), (i, g.KernelVolume), (ky, g.KernelWidth));
    }

    /// <summary>The loop over the filters o that read input channel i, binding <c>w</c> to kernel w[o, i].</summary>
    private void FilterLoop(SourceWriter w, LayerShape layer, Index i, Action<Index> body)
    {
        Loop(w, "o", layer.Window.OutChannels, o =>
        {
            BindKernel(w, layer, o, i);
            body(o);
        });
    }

    /// <summary>
    /// Binds <c>w</c> to kernel w[o, i] and returns the expression of its offset in θ: from Kernels{l} with a connection
    /// table (skipping the pair when the table leaves it out), computed from o and i otherwise.
    /// </summary>
    private string BindKernel(SourceWriter w, LayerShape layer, Index o, Index i)
    {
        var g = layer.Window;
        int l = layer.Number;
        string kernel;
        if (Planner.HasSparseTable(layer))
        {
            w.Line("int kernel = Kernels" + l + "[" + Lin(0, (o, g.Channels), (i, 1)) + "];");
            w.Line("if (kernel < 0) continue; // filter o does not read channel i");
            kernel = "kernel";
        }
        else
            kernel = "W" + l + " + " + Lin(0, (o, g.Channels * g.KernelVolume), (i, g.KernelVolume));
        w.Line("ref " + T + " w = ref " + At("p", kernel) + "; // w" + Sup(l) + "[o, i]");
        return kernel;
    }
}
