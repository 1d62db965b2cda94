// The elementwise passes x = f(u) and û = f'(u)·x̂ over a layer's buffers, with f and f' from the activation table
// (Activations.cs). Written out or as loops as the plan says.

namespace NetCompiler.Generator.Emit;

internal abstract partial class EmitterBase
{
    /// <summary>û = f'(u)·x̂ in place over whole vectors, with f' taken from x = f(u); written out as the plan says.</summary>
    protected void ActivationBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, padded = Element.Padded(layer.Outputs);
        string x = "x" + l, s = "s" + l;
        w.Line("// û" + Sup(l) + " = f'(u" + Sup(l) + ")·x̂" + Sup(l) + ", " + ActivationCode.Of(layer.Activation).DerivativeText + (layer.Activation == Activation.Identity ? ": û = x̂ already." : "."));
        if (layer.Activation == Activation.Identity) return;
        Range(w, "j", 0, padded, V, PlanOf(layer).ActivationBackwardUnrolled, j =>
        {
            w.Line(VectorType + " x = " + Load(x, j) + ";");
            w.Line(Store(DerivativeTimes(layer.Activation, "x", Load(s, j)), s, j));
        }, scopeEach: true);
    }

    /// <summary>û = f'(u)·x̂ over the chunk's rows, padding included (it holds 0 in x̂, so it stays finite and unread).</summary>
    protected void ActivationBackwardBatch(SourceWriter w, LayerShape layer, string x, string s)
    {
        if (layer.Activation == Activation.Identity) return;
        var k = new Index("k", 0);
        w.Line("// û" + Sup(layer.Number) + " = f'(u" + Sup(layer.Number) + ")·x̂" + Sup(layer.Number) + " over the chunk.");
        using (w.Open("for (int k = 0; k < count * " + Element.Padded(layer.Outputs) + "; k += " + V + ")"))
        {
            w.Line(VectorType + " xv = " + Load(x, k) + ";");
            w.Line(Store(DerivativeTimes(layer.Activation, "xv", Load(s, k)), s, k));
        }
    }

    /// <summary>
    /// x = f(u) for a layer whose u is the vector <paramref name="u"/> (by default the local u1, u2, …): f applied, one
    /// store; the padding lanes hold f(0).
    /// </summary>
    protected void ActivationOfVector(SourceWriter w, LayerShape layer, string? u = null)
    {
        int l = layer.Number, m = layer.Outputs;
        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + (m < V ? "; the padding lanes hold f(0)" : "") + ".");
        w.Line(VectorType + " a" + l + " = " + VectorFunction(layer.Activation, u ?? "u" + l) + "; // x" + Sup(l) + ", kept in a register");
        w.Line(Store("a" + l, "x" + l, 0));
    }

    /// <summary>x = f(u) over whole vectors of the padded buffer (softmax: over the real lanes only).</summary>
    protected void ActivationForward(SourceWriter w, LayerShape layer, bool unroll)
    {
        int l = layer.Number, m = layer.Outputs, padded = Element.Padded(m);
        string x = "x" + l;
        if (layer.Activation == Activation.Softmax)
        {
            C.Output.SoftmaxForward(w, layer, unroll);
            return;
        }
        bool identity = layer.Activation == Activation.Identity;
        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + (identity ? ": identity, nothing to do." : ", in place."));
        if (identity) return;
        Range(w, "j", 0, padded, V, unroll, j =>
        {
            w.Line(VectorType + " u = " + Load(x, j) + ";");
            w.Line(Store(VectorFunction(layer.Activation, "u"), x, j));
        }, scopeEach: true);
    }

    /// <summary>x = f(u) for a layer whose u is in locals u1_0…: one vector made from them, f applied, one store.</summary>
    protected void ActivationInRegister(SourceWriter w, LayerShape layer) =>
        ActivationOfVector(w, layer, VectorOfLanes(i => i < layer.Outputs ? "u" + layer.Number + "_" + i : Element.Literal(0)));

    /// <summary>
    /// x = f(u) on the Vector256 expression <paramref name="u"/> (every function has a Vector256 form); the softmax
    /// leaves u as it is, for its own pass over the layer.
    /// </summary>
    protected string VectorFunction(Activation activation, string u) => RegisterActivation(activation, new VectorWidth(Element, wide: false), u) ?? u;

    /// <summary>
    /// f on a vector of <paramref name="vec"/>'s width, or null where that width has no form of it (sigmoid in
    /// Vector512, tanh in double Vector512, softmax).
    /// </summary>
    protected string? RegisterActivation(Activation activation, VectorWidth vec, string u) => ActivationCode.Of(activation).Forward(vec, Element, u);

    /// <summary>û = f'(u)·x̂ with f' from x = f(u), as a Vector256 expression (the identity: x̂ itself).</summary>
    protected string DerivativeTimes(Activation activation, string x, string hat) =>
        ActivationCode.Of(activation).DerivativeTimes(new VectorWidth(Element, wide: false), Element, x, hat) ?? hat;
}
