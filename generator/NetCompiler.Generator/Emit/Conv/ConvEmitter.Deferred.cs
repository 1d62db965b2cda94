// A convolution's g_w over a chunk of samples (GradientDeferral.Lanes, planned by Planner.DefersGradient). Per sample,
// the flat kernel sums over the plane flattened at the source's row stride: the positions between rows count, and each
// tap's load of x straddles two cache lines (bench/RESULTS.md, "Tap loads"). In BackwardBatch each sample's û and
// padded x are recorded instead; FlushDeferred moves 16 records into sample lanes (SampleLanes.Transpose: element f of
// sample s at f·16 + s) and sums g_w and g_b with one aligned vector per position, every lane a sample.

namespace NetCompiler.Generator.Emit;

internal sealed partial class ConvEmitter
{
    /// <summary>Samples a position holds in the lanes buffers (element f of sample s at f·16 + s).</summary>
    private const int Samples = Planner.SampleLanesCount;

    /// <summary>Positions of a row of û one pass keeps in registers: at most 16 on Vector512; on Vector256, what the two sets of accumulators leave.</summary>
    private static int LanesRowWidth(VectorWidth vec, int kernelWidth) => Math.Max(1, vec.Wide ? 16 : 16 - 2 * kernelWidth - 1);

    /// <summary>In BackwardLayer{l} inside BackwardBatch: û and the padded x of this sample into row _deferred of the records.</summary>
    private void RecordDeferred(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        (int u, int x) = Planner.LanesRecordLengths(g);
        string span = "global::System.Span<" + T + ">", readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("// In BackwardBatch: û" + Sup(l) + " and x" + Sup(src) + (layer.Padding == 0 ? "" : " zero-padded") + " are recorded; FlushDeferred adds g_w and g_b of the recorded samples at once.");
        w.Line("new " + readOnlySpan + "(_s" + l + ", 0, " + g.OutChannels * g.OutPlane + ").CopyTo(new " + span + "(_deferU" + l + ", _deferred * " + u + ", " + u + "));");
        w.Line("new " + readOnlySpan + "(" + (layer.Padding == 0 ? "_x" + src : "_pad" + l) + ", 0, " + g.Channels * g.PaddedPlane + ").CopyTo(new " + span + "(_deferX" + l + ", _deferred * " + x + ", " + x + "));");
    }

    /// <summary>
    /// The body of DeferredGradientLayer{l}(count): the records into lanes, then for every map o, g_b[o] −= Σ_s Σ_y,x
    /// û_s[o, y, x], and for every connected channel i and kernel row ky, g_w[o, i, ky, kx] −= Σ_s Σ_y,x
    /// û_s[o, y, x]·xp_s[i, y + ky, x + kx]: one accumulator a tap kx, a run of a row of û in registers, and each
    /// vector of xp loaded once for the taps it meets. Then one lane sum a tap. The Vector256 fallback runs lanes 0–7
    /// and 8–15 as two halves with the same order of terms per lane and adds the halves as Vector512's lower and upper
    /// halves are added, so both widths agree bit for bit.
    /// </summary>
    internal void WriteDeferredGradient(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number;
        (int u, int x) = Planner.LanesRecordLengths(g);
        string span = "global::System.Span<" + T + ">";
        w.Line("// Rows count … 15 of the records still hold an earlier chunk's samples: cleared, so that their lanes add 0.");
        using (w.Open("if (count < DeferredSamples)"))
        {
            w.Line("new " + span + "(_deferU" + l + ", count * " + u + ", (DeferredSamples - count) * " + u + ").Clear();");
            w.Line("new " + span + "(_deferX" + l + ", count * " + x + ", (DeferredSamples - count) * " + x + ").Clear();");
        }
        w.Line("// The records into lanes: element f of sample s at f·16 + s.");
        w.Line("Nc::SampleLanes.Transpose(_deferU" + l + ", " + u + ", Interop::MemoryMarshal.CreateSpan(ref AlignedStart(_laneU" + l + "), DeferredSamples * " + u + "));");
        w.Line("Nc::SampleLanes.Transpose(_deferX" + l + ", " + x + ", Interop::MemoryMarshal.CreateSpan(ref AlignedStart(_laneX" + l + "), DeferredSamples * " + x + "));");
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        w.Line("ref " + T + " uLanes = ref AlignedStart(_laneU" + l + "); // û_s[o, y, x] at ((o·" + g.OutHeight + " + y)·" + g.OutWidth + " + x)·16 + s");
        w.Line("ref " + T + " xLanes = ref AlignedStart(_laneX" + l + "); // xp_s[i, y, x] at ((i·" + g.PaddedHeight + " + y)·" + g.PaddedWidth + " + x)·16 + s");
        using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)")) LanesGradientKernel(w, layer, new VectorWidth(Element, wide: true));
        using (w.Open("else")) LanesGradientKernel(w, layer, new VectorWidth(Element, wide: false));
    }

    private void LanesGradientKernel(SourceWriter w, LayerShape layer, VectorWidth vec)
    {
        var g = layer.Window;
        int l = layer.Number, kw = g.KernelWidth, halves = Samples / vec.Lanes, ow = g.OutWidth, pw = g.PaddedWidth, stride = g.Stride;
        // Runs of a row of û: as many as the registers need, of nearly equal width.
        int runs = (ow + LanesRowWidth(vec, kw) - 1) / LanesRowWidth(vec, kw), width = (ow + runs - 1) / runs;
        var starts = Enumerable.Range(0, runs).Select(r => r * width).Where(start => start < ow).ToList();
        string Acc(int h, int kx) => "acc" + h + "_" + kx;
        string Total(Func<int, string> name) => vec.Wide ? "Simd::Vector512.GetLower(" + name(0) + ") + Simd::Vector512.GetUpper(" + name(0) + ")" : name(0) + " + " + name(1);
        w.Line("// " + (vec.Wide ? "One Vector512 holds the 16 samples of a position" : "Two Vector256 halves, samples 0–7 and 8–15, hold a position") + "; a row of û in runs of " +
               string.Join(", ", starts.Select(start => Math.Min(width, ow - start))) + " positions.");
        Loop(w, "o", g.OutChannels, o =>
        {
            w.Line("ref " + T + " uMap = ref " + At("uLanes", Lin(0, (o, g.OutPlane * Samples))) + ";");
            w.Line("// g_b[o] −= Σ_s Σ_y,x û_s[o, y, x]: the bias is shared by every position and every sample. Four partial sums");
            w.Line("// (positions q mod 4, the rest in the first), for the latency of the adds and a shorter chain of roundings.");
            using (w.Open())
            {
                string Bias(int h, int k) => "bias" + h + "_" + k;
                w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, halves).SelectMany(h => Enumerable.Range(0, 4).Select(k => Bias(h, k) + " = " + vec.Type + ".Zero"))) + ";");
                w.Line("int q = 0;");
                using (w.Open("for (; q + 4 <= " + g.OutPlane + "; q += 4)"))
                    for (int h = 0; h < halves; h++)
                        for (int k = 0; k < 4; k++)
                            w.Line(Bias(h, k) + " += " + vec.Load("uMap", Lin(h * vec.Lanes + k * Samples, (new Index("q", 0), Samples))) + ";");
                using (w.Open("for (; q < " + g.OutPlane + "; q++)"))
                    for (int h = 0; h < halves; h++)
                        w.Line(Bias(h, 0) + " += " + vec.Load("uMap", Lin(h * vec.Lanes, (new Index("q", 0), Samples))) + ";");
                w.Line(At("g", "B" + l + " + " + o) + " -= Simd::Vector256.Sum(" + Total(h => "((" + Bias(h, 0) + " + " + Bias(h, 1) + ") + (" + Bias(h, 2) + " + " + Bias(h, 3) + "))") + ");");
            }
            ChannelLoop(w, layer, o, gradient: true, i =>
            {
                w.Line("ref " + T + " xPlane = ref " + At("xLanes", Lin(0, (i, g.PaddedPlane * Samples))) + ";");
                w.Line("// g_w[o, i, ky, kx] −= Σ_s Σ_y,x û_s[o, y, x]·xp_s[i, y + ky, x + kx]: one accumulator a tap of the kernel row ky.");
                Loop(w, "ky", g.KernelHeight, ky =>
                {
                    w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, halves).SelectMany(h => Enumerable.Range(0, kw).Select(kx => Acc(h, kx) + " = " + vec.Type + ".Zero"))) + ";");
                    for (int h = 0; h < halves; h++)
                    {
                        int half = h;
                        Loop(w, "y", g.OutHeight, y =>
                        {
                            foreach (int start in starts)
                                using (w.Open())
                                {
                                    int n = Math.Min(width, ow - start);
                                    w.Line("ref " + T + " uRow = ref " + At("uMap", Lin(start * Samples + half * vec.Lanes, (y, ow * Samples))) + ";");
                                    w.Line("ref " + T + " xRow = ref " + At("xPlane", Lin(start * stride * Samples + half * vec.Lanes, (y, stride * pw * Samples), (ky, pw * Samples))) + ";");
                                    w.Line(vec.Type + " " + string.Join(", ", Enumerable.Range(0, n).Select(p => "u" + p + " = " + vec.Load("uRow", (p * Samples).ToString(CultureInfo.InvariantCulture)))) + ";");
                                    // xp at column c meets û at position (c − kx)/s for every tap kx that makes it whole: one load, up to kw FMAs.
                                    for (int c = 0; c < (n - 1) * stride + kw; c++)
                                    {
                                        var taps = TapsAt(c, n, stride, kw);
                                        if (taps.Count == 0) continue;
                                        using (w.Open())
                                        {
                                            w.Line(vec.Type + " source = " + vec.Load("xRow", (c * Samples).ToString(CultureInfo.InvariantCulture)) + ";");
                                            foreach ((int position, int kx) in taps)
                                                w.Line(Acc(half, kx) + " = " + vec.Fma("u" + position, "source", Acc(half, kx)) + ";");
                                        }
                                    }
                                }
                        });
                    }
                    LaneSums(w, "gw", kw, k => Lin(k, (ky, kw)), k => Total(h => Acc(h, k)));
                });
            });
        });
    }
}
