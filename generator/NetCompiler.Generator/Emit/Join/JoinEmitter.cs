// Joins: Add (u = Σ sources; every source gets û) and Concat (x = the sources one after the other; each gets its
// slice of x̂). Row-major storage makes both a pass over whole buffers.

namespace NetCompiler.Generator.Emit;

internal sealed class JoinEmitter : EmitterBase, ILayerEmitter
{
    public JoinEmitter(EmitContext context) : base(context) { }

    /// <inheritdoc/>
    public void WriteForward(SourceWriter w, LayerShape layer) => (layer.Kind == LayerKind.Add ? (System.Action<SourceWriter, LayerShape>)AddForward : ConcatForward)(w, layer);

    /// <inheritdoc/>
    public void WriteBackward(SourceWriter w, LayerShape layer) => (layer.Kind == LayerKind.Add ? (System.Action<SourceWriter, LayerShape>)AddBackward : ConcatBackward)(w, layer);

    /// <summary>u = Σ sources over whole vectors of the padded buffers (sources of one shape are padded alike).</summary>
    private void AddForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, padded = Element.Padded(layer.Outputs);
        string target = Target(layer);
        DeclareTarget(w, layer);
        foreach (int src in layer.Sources) w.Line(Ref("x" + src, "_x" + src));
        w.Line("// u" + Sup(l) + " = " + string.Join(" + ", layer.Sources.Select(src => "x" + Sup(src))) + ".");
        Range(w, "j", 0, padded, V, padded / V <= CostModel.ElementwiseUnrollLimit, j =>
            w.Line(Store(string.Join(" + ", layer.Sources.Select(src => Load("x" + src, j))), target, j)));
    }

    /// <summary>x̂^β += û for every source β: ∂u/∂x^β = 1.</summary>
    private void AddBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, padded = Element.Padded(layer.Outputs);
        foreach (int src in layer.Sources.Where(src => src != 0))
        {
            w.Line(Ref("s" + src, "_s" + src));
            w.Line("// x̂" + Sup(src) + " += û" + Sup(l) + ".");
            Range(w, "j", 0, padded, V, padded / V <= CostModel.ElementwiseUnrollLimit, j =>
                w.Line(Store(Load("s" + src, j) + " + " + Load("s" + l, j), "s" + src, j)));
        }
    }

    /// <summary>x = [x^β1, x^β2, …]: row-major storage makes joining features or channels one copy per source.</summary>
    private void ConcatForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, offset = 0;
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], size = layer.SourceShapes[s].Size;
            w.Line("global::System.Array.Copy(_x" + src + ", 0, _x" + l + ", " + offset + ", " + size + "); // x" + Sup(l) + "[" + offset + ".." + (offset + size) + ") = x" + Sup(src));
            offset += size;
        }
    }

    /// <summary>x̂^β += its slice of x̂.</summary>
    private void ConcatBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, offset = 0;
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], size = layer.SourceShapes[s].Size;
            if (src != 0)
            {
                w.Line("// x̂" + Sup(src) + " += x̂" + Sup(l) + "[" + offset + ".." + (offset + size) + ").");
                using (w.Open())
                {
                    w.Line(Ref("s" + src, "_s" + src));
                    AddRange(w, "s" + src, "0", "s" + l, offset.ToString(CultureInfo.InvariantCulture), size);
                }
            }
            offset += size;
        }
    }

    /// <summary>The body of LanesLayer{l} for a join: Add sums the sources' vectors (f in registers); Concat copies each source's lanes buffer after the one before.</summary>
    public void WriteLanesForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line(LanesRef("uLanes", l));
        foreach (int src in layer.Sources.Distinct()) w.Line(LanesRef("x" + src, src));
        if (layer.Kind == LayerKind.Add)
        {
            w.Line("// u" + Sup(l) + " = " + string.Join(" + ", layer.Sources.Select(src => "x" + Sup(src))) + (layer.Activation == Activation.Identity ? "" : ", x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l))) + ", 16 samples a vector.");
            using (w.Open("for (int j = 0; j < " + layer.Outputs + "; j++)"))
            {
                w.Line(Lanes512.Type + " v = " + string.Join(" + ", layer.Sources.Select(src => LanesLoad("x" + src, "j"))) + ";");
                w.Line(LanesStore(layer, "v", "uLanes", "j"));
            }
            if (layer.Activation == Activation.Softmax) LanesSoftmax(w, layer);
            return;
        }
        int offset = 0;
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], size = layer.SourceShapes[s].Size;
            w.Line(CopyBlock(At("uLanes", LanesAt(offset.ToString(CultureInfo.InvariantCulture))), "x" + src, (size * LaneSamples).ToString(CultureInfo.InvariantCulture)) +
                   " // x" + Sup(l) + "[" + offset + ".." + (offset + size) + ") = x" + Sup(src));
            offset += size;
        }
    }

    /// <summary>The body of BackwardLanesLayer{l} for a join: every source gets û (Add) or its slice of it (Concat).</summary>
    public void WriteLanesBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, offset = 0;
        for (int k = 0; k < layer.Sources.Count; k++)
        {
            int src = layer.Sources[k], size = layer.SourceShapes[k].Size, from = layer.Kind == LayerKind.Add ? 0 : offset;
            offset += size;
            if (src == 0) continue;
            using (w.Open())
            {
                w.Line(LanesSensitivityRef("sx", src));
                w.Line("// x̂" + Sup(src) + " += " + (layer.Kind == LayerKind.Add ? "û" + Sup(l) : "û" + Sup(l) + "[" + from + ".." + (from + size) + ")") + ".");
                using (w.Open("for (int j = 0; j < " + size + "; j++)"))
                    w.Line(Lanes512.Store(LanesAccumulate(src, LanesLoad("sx", "j"), LanesLoad("s", from == 0 ? "j" : "j + " + from)), "sx", LanesAt("j")));
            }
        }
    }
}
