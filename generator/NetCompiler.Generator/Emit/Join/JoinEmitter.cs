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
}
