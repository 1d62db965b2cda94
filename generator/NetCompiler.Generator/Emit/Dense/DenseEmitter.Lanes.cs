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
}
