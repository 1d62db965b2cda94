using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    /// <summary>Output vectors of a row that one pass over the kernel fills at once (accumulators in registers).</summary>
    private const int ConvChunk = 4;

    /// <summary>Kernel widths up to this are written out (one accumulator or broadcast per tap).</summary>
    private const int KernelUnrollLimit = 8;

    private static bool IsConv(LayerShape layer) => layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D;

    /// <summary>A connection table that leaves some kernel out (a table connecting everything is the full layout).</summary>
    private static bool HasSparseTable(LayerShape layer)
    {
        var g = layer.Window;
        for (int o = 0; o < g.OutChannels; o++)
            for (int i = 0; i < g.Channels; i++)
                if (!layer.IsConnected(o, i)) return true;
        return false;
    }

    /// <summary>A kernel that covers its whole unpadded input: one output position per filter, so the layer is a dense layer.</summary>
    private static bool IsDenseConv(LayerShape layer) => layer.Shape.Spatial == 1 && layer.Padding == 0 && !HasSparseTable(layer);

    /// <summary>Row-at-a-time vector kernels need stride 1 and rows at least a vector wide.</summary>
    private bool IsVectorConv(LayerShape layer) => layer.Stride == 1 && layer.Shape.Width >= V;

    /// <summary>"o * 784 + y * 28 + 3": a linear int expression of loop variables (or the constants they are when written out).</summary>
    private static string Lin(int constant, params (Index Index, int Scale)[] terms)
    {
        var text = new System.Text.StringBuilder();
        void Term(bool negative, string term)
        {
            if (text.Length == 0) text.Append(negative ? "-" : "").Append(term);
            else text.Append(negative ? " - " : " + ").Append(term);
        }
        foreach ((Index index, int scale) in terms)
        {
            constant += index.Offset * scale;
            if (index.Variable is null || scale == 0) continue;
            int size = Math.Abs(scale);
            Term(scale < 0, size == 1 ? index.Variable : index.Variable + " * " + size.ToString(CultureInfo.InvariantCulture));
        }
        if (constant != 0 || text.Length == 0) Term(constant < 0, Math.Abs(constant).ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Writes a loop over <paramref name="count"/> values of <paramref name="variable"/>, or the body once with 0 when count is 1.</summary>
    private static void Loop(SourceWriter w, string variable, int count, Action<Index> body)
    {
        if (count == 1)
        {
            body(0);
            return;
        }
        using (w.Open("for (int " + variable + " = 0; " + variable + " < " + count + "; " + variable + "++)"))
            body(new Index(variable, 0));
    }

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
        if (IsDenseConv(layer))
        {
            w.Line("// The kernel covers the whole input: w" + Sup(layer.Number) + "[o, i, ky, kx] row-major is W[o, (i, y, x)] of a dense layer on x" + Sup(layer.Sources[0]) + " flattened.");
            if (layer.SourceShapes[0].Size >= 2 * V) ConvDenseForward(w, layer);
            else GraphDenseForward(w, layer);
            return;
        }
        var g = layer.Window;
        int l = layer.Number;
        string target = Target(layer);
        w.Line(Ref("p", "_parameters"));
        DeclareTarget(w, layer);
        PaddedSource(w, layer);
        if (IsFlatConv(layer)) ConvForwardFlat(w, layer, g, target);
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
        w.Line(Ref("p", "_parameters"));
        DeclareTarget(w, layer);
        w.Line(Ref("x", "_x" + src));
        w.Line("// u" + Sup(l) + "[o] = b[o] + Σ_j W[o, j]·x" + Sup(src) + "[j], j < " + n + ": " + lanes + " partial sums per row (one Vector512, or two Vector256 halves), then their total" +
               (tail != 0 ? "; the last " + lanes + " of x overlap the chunk before them, their first " + (lanes - tail) + " lanes zeroed" : "") + ".");
        var wide = new VectorWidth(_t, wide: true);
        var narrow = new VectorWidth(_t, wide: false);
        string zero512 = wide.Type + ".Zero", zero256 = VectorType + ".Zero";
        string Mask512() => "global::System.Runtime.Intrinsics.Vector512." + (T == "float" ? "AsSingle" : "AsDouble") + "(global::System.Runtime.Intrinsics.Vector512.Create(" +
                             string.Join(", ", Enumerable.Range(0, lanes).Select(k => k >= lanes - tail ? (T == "float" ? "0xFFFFFFFFu" : "0xFFFFFFFFFFFFFFFFul") : (T == "float" ? "0u" : "0ul"))) + "))";
        string Mask256(bool upper) => upper ? (tail >= V ? _t.MaskLast(V) : _t.MaskLast(tail)) : (tail > V ? _t.MaskLast(tail - V) : _t.MaskFirst(0));
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
                        ? "global::System.Runtime.Intrinsics.Vector512.GetLower(sum" + r + ") + global::System.Runtime.Intrinsics.Vector512.GetUpper(sum" + r + ")"
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
        using (w.Open("if (global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)"))
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

    /// <summary>The output vectors of a row: starts of the whole vectors, then one overlapping the one before it if the width is not a multiple of V.</summary>
    private List<(int Start, bool Tail)> RowVectors(int width)
    {
        var starts = new List<(int, bool)>();
        for (int k = 0; k < width / V; k++) starts.Add((k * V, false));
        if (width % V != 0) starts.Add((width - V, true));
        return starts;
    }

    /// <summary>Accumulators one pass of the flat kernel keeps in registers: 32 vector registers with AVX-512, 16 without.</summary>
    private static int FlatAccumulators(VectorWidth vec, int lanes) => vec.Lanes > lanes ? 16 : 8;

    /// <summary>
    /// The length of u[o] counted at the source's row stride: output (y, x) sits at y·PW + x, so the window of every
    /// output of a plane starts at the same offset in xp[i] as the output itself (stride 1).
    /// </summary>
    private static int FlatLength(WindowGeometry g) => (g.OutHeight - 1) * g.PaddedWidth + g.OutWidth;

    /// <summary>
    /// Stride 1 and at least a vector of (flat) outputs: the forward kernel runs over the output plane flattened at
    /// the source's row stride (<see cref="ConvForwardFlat"/>).
    /// </summary>
    private bool IsFlatConv(LayerShape layer) => layer.Stride == 1 && FlatLength(layer.Window) >= V;

    /// <summary>The flat plane is u[o] itself: one output row (Conv1D), or rows as wide as the source's (kernel width 1).</summary>
    private static bool FlatIsDirect(WindowGeometry g) => g.OutHeight == 1 || g.PaddedWidth == g.OutWidth;

    /// <summary>
    /// f on a vector of <paramref name="vec"/>'s width, or null where that width has no form of it (sigmoid in
    /// Vector512, tanh in double Vector512, softmax).
    /// </summary>
    private string? RegisterActivation(Activation activation, VectorWidth vec, string u)
    {
        string zero = vec.Type + ".Zero";
        switch (activation)
        {
            case Activation.Identity: return u;
            case Activation.ReLU: return vec.Class + ".Max(" + u + ", " + zero + ")";
            case Activation.LeakyReLU:
                return vec.Class + ".ConditionalSelect(" + vec.Class + ".GreaterThan(" + u + ", " + zero + "), " + u + ", " + u + " * " + _t.Literal(NetworkTopology.LeakyReLUSlope) + ")";
            case Activation.Tanh: return vec.Wide && T != "float" ? null : "global::NetCompiler.VectorMath.Tanh(" + u + ")";
            case Activation.Sigmoid: return vec.Wide ? null : "global::NetCompiler.VectorMath.Sigmoid(" + u + ")";
            default: return null;
        }
    }

    /// <summary>The vector widths the flat kernel of <paramref name="g"/> is written for: Vector512 (if a plane holds one) and Vector256.</summary>
    private IEnumerable<VectorWidth> FlatWidths(WindowGeometry g)
    {
        var wide = new VectorWidth(_t, wide: true);
        if (FlatLength(g) >= wide.Lanes) yield return wide;
        yield return new VectorWidth(_t, wide: false);
    }

    /// <summary>
    /// Whether the flat kernel applies f itself (so the layer has no separate activation pass): in registers before
    /// the accumulators are stored where the width has a form of f, else as u leaves the staging buffer (rows at least
    /// a Vector256 wide). Never for softmax, which needs u.
    /// </summary>
    private bool ConvFusesActivation(LayerShape layer)
    {
        if (!IsConv(layer) || IsDenseConv(layer) || !IsFlatConv(layer) || layer.Activation == Activation.Softmax) return false;
        var g = layer.Window;
        return FlatWidths(g).All(vec => RegisterActivation(layer.Activation, vec, "u") is not null || (!FlatIsDirect(g) && g.OutWidth >= V));
    }

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
        int l = layer.Number, n = FlatLength(g);
        bool direct = FlatIsDirect(g), fused = ConvFusesActivation(layer);
        w.Line("// u" + Sup(l) + "[o, y, x] = b[o] + Σ_i Σ_ky,kx w[o, i, ky, kx]·xp[i, y + ky, x + kx], over the plane flattened at xp's row stride " + g.PaddedWidth +
               ": q = y·" + g.PaddedWidth + " + x, so every tap reads xp[i, q + ky·" + g.PaddedWidth + " + kx] for consecutive q" +
               (direct ? "." : " (" + n + " positions, of which x ≥ " + g.OutWidth + " are dropped)."));
        if (!direct) w.Line(Ref("flat", "_flat" + l) + " // u[o] at row stride " + g.PaddedWidth + (fused ? ", f applied" : ""));
        List<VectorWidth> widths = FlatWidths(g).ToList();
        if (widths.Count == 2)
        {
            using (w.Open("if (global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)"))
                ConvForwardFlatKernel(w, layer, g, target, widths[0], direct, fused);
            using (w.Open("else"))
                ConvForwardFlatKernel(w, layer, g, target, widths[1], direct, fused);
        }
        else
            ConvForwardFlatKernel(w, layer, g, target, widths[0], direct, fused);
    }

    private void ConvForwardFlatKernel(SourceWriter w, LayerShape layer, WindowGeometry g, string target, VectorWidth vec, bool direct, bool fused)
    {
        int l = layer.Number, n = FlatLength(g), lanes = vec.Lanes;
        int vectors = (n + lanes - 1) / lanes, passes = (vectors + FlatAccumulators(vec, V) - 1) / FlatAccumulators(vec, V);
        int perPass = (vectors + passes - 1) / passes, span = perPass * lanes;
        // One pass: the vectors at 0, L, 2L, … with the last one overlapping the one before it (it stores the same values).
        // Several: each pass a run of perPass vectors from min(pass·span, n − span), the last run overlapping the one before it.
        List<int> offsets = passes == 1
            ? Enumerable.Range(0, perPass).Select(k => k == perPass - 1 ? n - lanes : k * lanes).ToList()
            : Enumerable.Range(0, perPass).Select(k => k * lanes).ToList();
        string? inRegisters = fused ? RegisterActivation(layer.Activation, vec, "acc") : null;
        w.Line("// " + vectors + " vector" + (vectors == 1 ? "" : "s") + " of " + lanes + " per plane" + (n % lanes != 0 ? " (the last overlaps the one before it)" : "") +
               (passes == 1 ? ", all in registers at once" : ", " + passes + " passes of " + perPass + " accumulators (the last pass overlaps the one before it)") +
               (inRegisters is not null && layer.Activation != Activation.Identity ? "; x = " + FunctionText(layer.Activation, "u") + " is applied to the accumulators before they are stored." : "."));
        Loop(w, "o", g.OutChannels, o =>
        {
            w.Line(vec.Type + " bias = " + vec.Broadcast(At("p", "B" + l + " + " + o)) + ";");
            string plane = direct ? "uPlane" : "flat";
            if (direct) w.Line("ref " + T + " uPlane = ref " + At(target, Lin(0, (o, g.OutPlane))) + ";");
            Action<string> pass = start =>
            {
                w.Line(vec.Type + " " + string.Join(", ", offsets.Select((_, k) => "acc" + k + " = bias")) + ";");
                ChannelLoop(w, layer, o, gradient: false, i =>
                {
                    string plane = Lin(0, (i, g.PaddedPlane));
                    w.Line("ref " + T + " xRow = ref " + At("xp", start == "0" ? plane : plane == "0" ? start : plane + " + " + start) + ";");
                    Loop(w, "ky", g.KernelHeight, ky =>
                    {
                        w.Line("ref " + T + " wk = ref " + At("w", Lin(0, (ky, g.KernelWidth))) + ";");
                        w.Line("ref " + T + " xk = ref " + At("xRow", Lin(0, (ky, g.PaddedWidth))) + ";");
                        KernelTaps(w, g.KernelWidth, kx =>
                        {
                            w.Line(vec.Type + " " + TapName(kx) + " = " + vec.Broadcast(At("wk", kx.ToString())) + ";");
                            for (int k = 0; k < offsets.Count; k++)
                                w.Line("acc" + k + " = " + vec.Fma(TapName(kx), vec.Load("xk", Lin(offsets[k], (kx, 1))), "acc" + k) + ";");
                        });
                    });
                });
                w.Line("ref " + T + " uStart = ref " + At(plane, start) + ";");
                for (int k = 0; k < offsets.Count; k++)
                    w.Line(vec.Store(inRegisters is null ? "acc" + k : RegisterActivation(layer.Activation, vec, "acc" + k)!, "uStart", offsets[k].ToString(CultureInfo.InvariantCulture)));
            };
            if (passes == 1)
                using (w.Open()) pass("0");
            else
                using (w.Open("for (int pass = 0; pass < " + passes + "; pass++)"))
                {
                    w.Line("int start = global::System.Math.Min(pass * " + span + ", " + (n - span) + ");");
                    pass("start");
                }
            if (!direct) FlatRowsToTarget(w, layer, g, target, o, fused && inRegisters is null);
        });
    }

    /// <summary>u[o, y, 0…OW) = flat[y·PW…y·PW + OW), and x = f(u) on the way when <paramref name="fused"/>.</summary>
    private void FlatRowsToTarget(SourceWriter w, LayerShape layer, WindowGeometry g, string target, Index o, bool fused)
    {
        int l = layer.Number;
        string what = Target(layer) == target && ConvFusesActivation(layer) ? "x" : "u";
        w.Line("// " + (fused ? "x" + Sup(l) + "[o, y, ·] = " + FunctionText(layer.Activation, "u") + " of " : what + Sup(l) + "[o, y, ·] = ") +
               "the first " + g.OutWidth + " of row y of the staging buffer" + (g.OutWidth >= V && g.OutWidth % V != 0 ? " (the last vector overlaps the one before it)" : "") + ".");
        Loop(w, "y", g.OutHeight, y =>
        {
            w.Line("ref " + T + " uRow = ref " + At("flat", Lin(0, (y, g.PaddedWidth))) + ";");
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

    /// <summary>
    /// The row's vectors in chunks of <see cref="ConvChunk"/>, each chunk in a block of its own: a loop over the
    /// chunks of whole vectors when there are more than two, then the rest (with the overlapping last vector).
    /// </summary>
    private void ForEachChunk(SourceWriter w, List<(int Start, bool Tail)> vectors, Action<List<Index>> chunk)
    {
        int whole = vectors.Count(v => !v.Tail), fullChunks = whole / ConvChunk;
        int looped = fullChunks > 2 ? fullChunks : 0;
        if (looped > 0)
            using (w.Open("for (int v = 0; v < " + looped * ConvChunk * V + "; v += " + ConvChunk * V + ")"))
                chunk(Enumerable.Range(0, ConvChunk).Select(k => new Index("v", k * V)).ToList());
        var rest = vectors.Skip(looped * ConvChunk).Select(v => (Index)v.Start).ToList();
        for (int start = 0; start < rest.Count; start += ConvChunk)
            using (w.Open())
                chunk(rest.GetRange(start, Math.Min(ConvChunk, rest.Count - start)));
    }

    /// <summary>The broadcast weight of tap kx: w0, w1, … when the taps are written out, wv in a loop over kx.</summary>
    private static string TapName(Index kx) => kx.Variable is null ? "w" + kx.Offset.ToString(CultureInfo.InvariantCulture) : "wv";

    /// <summary>The taps kx of a kernel row: written out up to <see cref="KernelUnrollLimit"/>, else a loop.</summary>
    private static void KernelTaps(SourceWriter w, int width, Action<Index> body)
    {
        if (width <= KernelUnrollLimit)
        {
            for (int kx = 0; kx < width; kx++) body(kx);
            return;
        }
        using (w.Open("for (int kx = 0; kx < " + width + "; kx++)"))
            body(new Index("kx", 0));
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

    /// <summary>The taps (ky, kx) of a kernel as (index in w, index in the input from the window's corner): written out up to 32 taps, else a loop over ky.</summary>
    private static void KernelWindow(SourceWriter w, WindowGeometry g, Action<string, string> tap)
    {
        if (g.KernelVolume <= 32)
        {
            for (int ky = 0; ky < g.KernelHeight; ky++)
                for (int kx = 0; kx < g.KernelWidth; kx++)
                    tap((ky * g.KernelWidth + kx).ToString(CultureInfo.InvariantCulture), (ky * g.PaddedWidth + kx).ToString(CultureInfo.InvariantCulture));
            return;
        }
        Loop(w, "ky", g.KernelHeight, ky => KernelTaps(w, g.KernelWidth, kx =>
            tap(Lin(0, (ky, g.KernelWidth), (kx, 1)), Lin(0, (ky, g.PaddedWidth), (kx, 1)))));
    }

    /// <summary>
    /// x̂ as a correlation of û with the flipped filter (a gather: each x̂ vector summed in registers and stored
    /// once), rather than scattering w·û into x̂ tap by tap, whose overlapping vector stores and reloads stall on
    /// store forwarding. Needs stride 1 and source rows at least a vector wide.
    /// </summary>
    private bool GathersInputSensitivity(LayerShape layer) =>
        Trainable && layer.Sources[0] != 0 && layer.Stride == 1 && layer.SourceShapes[0].Width >= V && !IsDenseConv(layer);

    /// <summary>Scatters w·û into x̂ (stride above 1 or narrow rows): through the padded copy's x̂ when there is padding.</summary>
    private bool ScattersInputSensitivity(LayerShape layer) =>
        Trainable && layer.Sources[0] != 0 && !GathersInputSensitivity(layer) && !IsDenseConv(layer);

    /// <summary>The zero-bordered copy of û that the gather reads: k − 1 zeros on each side (none vertically for Conv1D).</summary>
    private static (int Height, int Width) UHatPadSize(WindowGeometry g) =>
        (g.OutHeight + 2 * (g.KernelHeight - 1), g.OutWidth + 2 * (g.KernelWidth - 1));

    private void ConvBackward(SourceWriter w, LayerShape layer)
    {
        if (IsDenseConv(layer))
        {
            w.Line("// As a dense layer on x" + Sup(layer.Sources[0]) + " flattened (see ForwardLayer" + layer.Number + ").");
            GraphDenseBackward(w, layer);
            return;
        }
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool scatter = ScattersInputSensitivity(layer);
        w.Line(Ref("p", "_parameters"));
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
                if (IsVectorConv(layer)) ConvKernelBackwardVector(w, layer, g, o, i, scatter);
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
        if (GathersInputSensitivity(layer)) ConvInputSensitivityGather(w, layer, g);
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
                    w.Line(StoreAt(LoadAt("xHatRow", at) + " + " + (isTail ? "(acc" + k + " & " + _t.MaskLast(tail) + ")" : "acc" + k), "xHatRow", at) +
                           (isTail ? " // overlaps the vector before it: those lanes add 0" : ""));
                }
            });
        }));
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
        if (HasSparseTable(layer))
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

    /// <summary>
    /// Kernel w[o, i] at stride 1, vectorised along rows: its gradient, one vector dot product per tap and row
    /// (−Σ_x û[o, y, x]·xp[i, y + ky, x + kx], the taps of a kernel row in registers), then x̂ as one axpy per tap
    /// and row: xp̂[i, y + ky, x + kx…] += w[o, i, ky, kx]·û[o, y, x…], û correlated with the flipped filter.
    /// </summary>
    private void ConvKernelBackwardVector(SourceWriter w, LayerShape layer, WindowGeometry g, Index o, Index i, bool send)
    {
        int l = layer.Number, tail = g.OutWidth % V;
        List<(int Start, bool Tail)> vectors = RowVectors(g.OutWidth);
        string Masked(string load, bool isTail) => isTail ? load + " & " + _t.MaskLast(tail) : load;
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

    /// <summary>Writes <paramref name="body"/> in a block of its own when <paramref name="open"/>, else as it is.</summary>
    private static void Scope(SourceWriter w, bool open, Action body)
    {
        if (!open)
        {
            body();
            return;
        }
        using (w.Open()) body();
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

    /// <summary>Declares <paramref name="name"/> = Σ buffer[offset…offset + count): whole vectors, the last masked where it overlaps; scalars below a vector.</summary>
    private void SumRange(SourceWriter w, string name, string buffer, string offset, int count)
    {
        string At0(string j) => offset == "0" ? j : j == "0" ? offset : offset + " + " + j;
        if (count < V)
        {
            w.Line(T + " " + name + " = " + string.Join(" + ", Enumerable.Range(0, count).Select(j => At(buffer, At0(j.ToString(CultureInfo.InvariantCulture))))) + ";");
            return;
        }
        int whole = count / V, tail = count % V;
        w.Line(VectorType + " " + name + "Vector = " + VectorType + ".Zero;");
        Range(w, "j", 0, whole * V, V, whole <= CostModel.ElementwiseUnrollLimit, j =>
            w.Line(name + "Vector += " + LoadAt(buffer, At0(j.ToString())) + ";"));
        if (tail > 0)
            w.Line(name + "Vector += " + LoadAt(buffer, At0((count - V).ToString(CultureInfo.InvariantCulture))) + " & " + _t.MaskLast(tail) + "; // overlaps the vector before it");
        w.Line(T + " " + name + " = " + Sum(name + "Vector") + ";");
    }
}
