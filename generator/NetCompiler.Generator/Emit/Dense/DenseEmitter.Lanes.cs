// A dense layer in ForwardBatch's lanes path (LanesKernel.Dense; also a convolution that is one, ConvAsDense): 16
// samples a vector, so u[o] = b[o] + Σ_i W[o, i]·x[i] is the same sum on vectors with W[o, i] broadcast. A pass takes
// LanesMaps outputs, so each vector of x is loaded once for that many FMAs on as many independent chains.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseEmitter
{
    /// <summary>The body of LanesLayer{l} for a dense layer: Σ over its sources.</summary>
    public void WriteLanesForward(SourceWriter w, LayerShape layer) =>
        WriteLanesProduct(w, layer, layer.Sources.Select((src, s) => (src, layer.SourceShapes[s].Size, WeightName(layer, s))).ToList(), "B" + layer.Number);

    /// <summary>
    /// u = Σ_β W^β·x^β + b over the lanes buffers of the sources (source, its size, W^β's offset in θ, row-major),
    /// then f in registers: outputs o … o + LanesMaps − 1 a pass, the last pass over the rest.
    /// </summary>
    internal void WriteLanesProduct(SourceWriter w, LayerShape layer, List<(int Source, int Size, string Weights)> sources, string bias)
    {
        int l = layer.Number, m = layer.Outputs, rows = PlanOf(layer).LanesMaps, whole = m / rows * rows;
        string type = Lanes512.Type;
        w.Line(ThetaRef("p"));
        w.Line(LanesRef("uLanes", l));
        foreach (int src in sources.Select(s => s.Source).Distinct()) w.Line(LanesRef("x" + src, src));
        w.Line("// u" + Sup(l) + "[o] = b" + Sup(l) + "[o] + " + string.Join(" + ", sources.Select(s => "Σ_i W[o, i]·x" + Sup(s.Source) + "[i]")) +
               " for 16 samples a vector, W broadcast: " + rows + " outputs a pass, each vector of x loaded once for all of them.");
        void Pass(Index o, int count)
        {
            w.Line(type + " " + string.Join(", ", Enumerable.Range(0, count).Select(j => "a" + j + " = " + Lanes512.Broadcast(At("p", Lin(j, (o, 1)) + " + " + bias)))) + ";");
            for (int s = 0; s < sources.Count; s++)
            {
                (int src, int n, string weights) = sources[s];
                w.Line("ref " + T + " w" + s + " = ref " + At("p", weights + " + " + o.Times(n)) + "; // row o of W; row o + j at j·" + n);
                using (w.Open("for (int i = 0; i < " + n + "; i++)"))
                {
                    w.Line(type + " xv = " + LanesLoad("x" + src, "i") + ";");
                    for (int j = 0; j < count; j++)
                        w.Line("a" + j + " = " + Lanes512.Fma(Lanes512.Broadcast(At("w" + s, j == 0 ? "i" : "i + " + j * n)), "xv", "a" + j) + ";");
                }
            }
            if (layer.Activation != Activation.Identity && layer.Activation != Activation.Softmax)
                w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + " in registers.");
            for (int j = 0; j < count; j++)
                w.Line(LanesStore(layer, "a" + j, "uLanes", Lin(j, (o, 1))));
        }
        if (whole > 0)
            Range(w, "o", 0, whole, rows, unroll: false, o => Pass(o, rows));
        if (m > whole)
            using (w.Open())
            {
                w.Line("// The last " + (m - whole) + " output" + (m - whole == 1 ? "" : "s") + ".");
                Pass(whole, m - whole);
            }
        if (layer.Activation == Activation.Softmax) LanesSoftmax(w, layer);
    }

    /// <summary>The body of BackwardLanesLayer{l} for a dense layer.</summary>
    public void WriteLanesBackward(SourceWriter w, LayerShape layer) =>
        WriteLanesProductBackward(w, layer, layer.Sources.Select((src, s) => (src, layer.SourceShapes[s].Size, WeightName(layer, s))).ToList(), "B" + layer.Number);

    /// <summary>
    /// The backward pass of u = Σ_β W^β·x^β + b over 16 samples: g_b −= Σ_s û, x̂^β += (W^β)ᵀ·û with W broadcast
    /// (eight inputs a pass, each vector of û loaded once for them), and g_W^β −= Σ_s û_s·x^β_sᵀ with x^β turned back
    /// into rows, so that each vector of 16 columns of a row of g_W gets one FMA a sample, in sample order.
    /// </summary>
    internal void WriteLanesProductBackward(SourceWriter w, LayerShape layer, List<(int Source, int Size, string Weights)> sources, string bias)
    {
        int l = layer.Number, m = layer.Outputs, inputs = PlanOf(layer).LanesMaps;
        string type = Lanes512.Type;
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        w.Line("// g_b" + Sup(l) + "[o] −= Σ_s û" + Sup(l) + "_s[o].");
        using (w.Open("for (int o = 0; o < " + m + "; o++)"))
            w.Line(At("g", bias + " + o") + " -= Simd::Vector512.Sum(" + LanesLoad("s", "o") + ");");
        for (int k = 0; k < sources.Count; k++)
        {
            (int src, int n, string weights) = sources[k];
            int n16 = Planner.LanesRecordLength(n), whole = n / inputs * inputs, columns = n / LaneSamples * LaneSamples;
            using (w.Open())
            {
                w.Line(LanesRef("x", src));
                if (src != 0)
                {
                    w.Line(LanesSensitivityRef("sx", src));
                    w.Line("// x̂" + Sup(src) + "[i] += Σ_o " + MathWeight(layer, k) + "[o, i]·û" + Sup(l) + "[o], " + inputs + " inputs a pass.");
                    void Pass(Index i, int count)
                    {
                        w.Line(type + " " + string.Join(", ", Enumerable.Range(0, count).Select(j => "h" + j + " = " + (LanesStored(src) ? type + ".Zero" : LanesLoad("sx", Lin(j, (i, 1)))))) + ";" +
                               (LanesStored(src) ? " // this layer is x" + Sup(src) + "'s only consumer: x̂ stored, not added" : ""));
                        w.Line("ref " + T + " column = ref " + At("p", weights + " + " + Lin(0, (i, 1))) + "; // W[0, i]; W[o, i + j] at o·" + n + " + j");
                        using (w.Open("for (int o = 0; o < " + m + "; o++)"))
                        {
                            w.Line(type + " uo = " + LanesLoad("s", "o") + ";");
                            w.Line("ref " + T + " row = ref " + At("column", "o * " + n) + ";");
                            for (int j = 0; j < count; j++)
                                w.Line("h" + j + " = " + Lanes512.Fma(Lanes512.Broadcast(At("row", j.ToString(CultureInfo.InvariantCulture))), "uo", "h" + j) + ";");
                        }
                        for (int j = 0; j < count; j++) w.Line(Lanes512.Store("h" + j, "sx", LanesAt(Lin(j, (i, 1)))));
                    }
                    if (whole > 0) Range(w, "i", 0, whole, inputs, unroll: false, i => Pass(i, inputs));
                    if (n > whole)
                        using (w.Open()) Pass(whole, n - whole);
                }
                w.Line("// g_" + MathWeight(layer, k) + " −= Σ_s û_s·x" + Sup(src) + "_sᵀ: x" + Sup(src) + " back into rows (sample s at s·" + n16 + "), then per row o of g_W the 16 û_s[o] broadcast");
                w.Line("// and each vector of 16 columns taking one FMA a sample, in sample order" + (columns < n ? "; the last " + (n - columns) + " columns one by one" : "") + ".");
                w.Line("Nc::SampleLanes.ToRows(Interop::MemoryMarshal.CreateReadOnlySpan(ref x, " + n16 * LaneSamples + "), " + n16 + ", Interop::MemoryMarshal.CreateSpan(ref AlignedStart(_lanesRowsX), " + n16 * LaneSamples + "));");
                w.Line("ref " + T + " xRows = ref AlignedStart(_lanesRowsX);");
                using (w.Open("for (int o = 0; o < " + m + "; o++)"))
                {
                    w.Line("ref " + T + " gRow = ref " + At("g", weights + " + o * " + n) + ";");
                    w.Line("ref " + T + " uo = ref " + At("s", "o * " + LaneSamples) + ";");
                    if (columns > 0)
                    {
                        w.Line(type + " " + string.Join(", ", Enumerable.Range(0, LaneSamples).Select(t => "u" + t + " = " + Lanes512.Broadcast(At("uo", t.ToString(CultureInfo.InvariantCulture))))) + ";");
                        using (w.Open("for (int j = 0; j < " + columns + "; j += " + LaneSamples + ")"))
                        {
                            w.Line(type + " acc = " + Lanes512.Load("gRow", "j") + ";");
                            for (int t = 0; t < LaneSamples; t++)
                                w.Line("acc = " + Lanes512.FmaNegated("u" + t, Lanes512.Load("xRows", t == 0 ? "j" : "j + " + t * n16), "acc") + ";");
                            w.Line(Lanes512.Store("acc", "gRow", "j"));
                        }
                    }
                    if (columns < n)
                        using (w.Open("for (int j = " + columns + "; j < " + n + "; j++)"))
                        {
                            w.Line(T + " acc = " + At("gRow", "j") + ";");
                            using (w.Open("for (int t = 0; t < " + LaneSamples + "; t++)"))
                                w.Line("acc -= " + At("uo", "t") + " * " + At("xRows", "t * " + n16 + " + j") + ";");
                            w.Line(At("gRow", "j") + " = acc;");
                        }
                }
            }
        }
    }
}
