// Convolutions, backward: x̂ by rows (Planner.FitsRows: stride 1, no padding, source rows of one Vector512 or two
// Vector256). x̂[i, Y] gets w[o, i, ky, kx]·û[o, Y − ky] shifted right by kx, so a row y of û feeds rows y … y + k − 1
// of x̂: k accumulators slide down channel i's plane, and row y is complete, added to x̂ and dropped once every
// filter's row y has passed. Every tap is a full row of FMAs; the gather computed the plane's borders as whole
// positions of the bordered correlation, twice the multiply-adds on LeNet-5's C3. Both widths add the same terms in
// the same order, so they agree bit for bit.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter
{
    /// <summary>x̂[i, y, x] += Σ_o Σ_ky,kx w[o, i, ky, kx]·û[o, y − ky, x − kx], a row of x̂ at a time.</summary>
    private void ConvInputSensitivityRows(SourceWriter w, LayerShape layer, WindowGeometry g)
    {
        int l = layer.Number, src = layer.Sources[0], stride = Planner.RowsStride(g, V), uPlane = g.OutHeight * stride, kw = g.KernelWidth - 1;
        w.Line("// x̂" + Sup(src) + "[i, y, x] += Σ_o Σ_ky,kx w[o, i, ky, kx]·û[o, y − ky, x − kx]: row y of û, shifted right by kx, reaches rows y … y + " +
               (g.KernelHeight - 1) + " of x̂.");
        w.Line("// û's rows go into a copy, each after " + kw + " zeros and followed by zeros (never written), so a vector read at " + kw + " − kx is the row shifted by kx.");
        w.Line(Ref("uHatRows", "_uHatRows" + l));
        Loop(w, "o", g.OutChannels, o => Loop(w, "y", g.OutHeight, y =>
            w.Line(CopyBlock(At("uHatRows", Lin(kw, (o, uPlane), (y, stride))), At("s" + l, Lin(0, (o, g.OutPlane), (y, g.OutWidth))),
                             g.OutWidth.ToString(CultureInfo.InvariantCulture)) + " // a row: a constant size, no call")));
        w.Line(Ref("xHat", "_s" + src) + " // its rows are read and written a whole vector from their start; the lanes past a row add 0");
        using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)")) RowsKernel(w, layer, g, new VectorWidth(Element, wide: true));
        using (w.Open("else")) RowsKernel(w, layer, g, new VectorWidth(Element, wide: false));
    }

    private void RowsKernel(SourceWriter w, LayerShape layer, WindowGeometry g, VectorWidth vec)
    {
        int stride = Planner.RowsStride(g, V), uPlane = g.OutHeight * stride, kh = g.KernelHeight, kw = g.KernelWidth;
        int parts = (g.Width + vec.Lanes - 1) / vec.Lanes; // vectors a row
        string Acc(int ky, int part) => parts == 1 ? "row" + ky : "row" + ky + "_" + part;
        string Part(int part) => parts == 1 ? "" : "_" + part;
        w.Line("// rowK" + (parts == 1 ? "" : "_p") + " holds x̂[i, y + K]'s sum so far" + (parts == 1 ? "." : ", part p " + (vec.Lanes == 8 ? "an " : "a ") + vec.Lanes + "-lane vector of it."));
        Loop(w, "i", g.Channels, i =>
        {
            w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, kh).SelectMany(ky => Enumerable.Range(0, parts).Select(part => Acc(ky, part) + " = " + vec.Type + ".Zero"))) + ";");
            w.Line("ref " + T + " xHatPlane = ref " + At("xHat", Lin(0, (i, g.InPlane))) + ";");
            using (w.Open("for (int y = 0; y < " + g.Height + "; y++)"))
            {
                using (w.Open("if (y < " + g.OutHeight + ")"))
                using (w.Open("for (int o = 0; o < " + g.OutChannels + "; o++)"))
                {
                    BindKernel(w, layer, new Index("o", 0), i);
                    w.Line("ref " + T + " uRow = ref " + At("uHatRows", "o * " + uPlane + " + y * " + stride) + ";");
                    for (int kx = 0; kx < kw; kx++)
                        using (w.Open())
                        {
                            for (int part = 0; part < parts; part++)
                                w.Line(vec.Type + " shifted" + Part(part) + " = " + vec.Load("uRow", (kw - 1 - kx + part * vec.Lanes).ToString(CultureInfo.InvariantCulture)) + ";");
                            for (int ky = 0; ky < kh; ky++)
                            {
                                string weight = vec.Broadcast(At("w", (ky * kw + kx).ToString(CultureInfo.InvariantCulture)));
                                if (parts > 1)
                                {
                                    w.Line(vec.Type + " weight" + ky + " = " + weight + ";");
                                    weight = "weight" + ky;
                                }
                                for (int part = 0; part < parts; part++)
                                    w.Line(Acc(ky, part) + " = " + vec.Fma(weight, "shifted" + Part(part), Acc(ky, part)) + ";");
                            }
                        }
                }
                w.Line("// Row y of x̂ is complete: add it, and slide the window down a row.");
                for (int part = 0; part < parts; part++)
                {
                    string at = "y * " + g.Width + (part == 0 ? "" : " + " + part * vec.Lanes);
                    w.Line(vec.Store(vec.Load("xHatPlane", at) + " + " + Acc(0, part), "xHatPlane", at));
                }
                for (int ky = 0; ky < kh; ky++)
                    for (int part = 0; part < parts; part++)
                        w.Line(Acc(ky, part) + " = " + (ky + 1 < kh ? Acc(ky + 1, part) : vec.Type + ".Zero") + ";");
            }
        });
    }
}
