// What every lanes kernel (ForwardBatch's path for a float graph, BatchForwardKind.Lanes) writes with: 16 samples in the
// lanes of each Vector512, element f of sample s at f·16 + s of a 64-byte-aligned buffer, so a layer's formula becomes
// the same formula on vectors, the weights broadcast. The kernels are in each layer kind's emitter (*.Lanes.cs).

namespace NetCompiler.Generator.Emit;

internal abstract partial class EmitterBase
{
    /// <summary>Samples a lanes buffer holds a position: the lanes of a Vector512 of float.</summary>
    protected const int LaneSamples = Planner.SampleLanesCount;

    /// <summary>The lanes kernels' width: Vector512 (they run only where it is accelerated).</summary>
    protected VectorWidth Lanes512 => Wide512.Vector;

    /// <summary>"ref float x3 = ref AlignedStart(_lanes3);": x of layer <paramref name="layer"/> (0: the input) for 16 samples.</summary>
    protected string LanesRef(string name, int layer) => "ref " + T + " " + name + " = ref AlignedStart(_lanes" + layer + ");";

    /// <summary>The element offset of position <paramref name="index"/> in a lanes buffer: index·16.</summary>
    protected static string LanesAt(string index)
    {
        index = Fold(index);
        if (int.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out int constant)) return (constant * LaneSamples).ToString(CultureInfo.InvariantCulture);
        return (Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(index) ? index : "(" + index + ")") + " * " + LaneSamples;
    }

    /// <summary>
    /// f(<paramref name="u"/>) on a Vector512 of 16 samples (a local: some forms read it twice): the table's Vector512
    /// form, or its Vector256 form on each half where it has none (sigmoid); u itself for the identity and the softmax,
    /// which <see cref="LanesSoftmax"/> applies as a pass of its own.
    /// </summary>
    protected string LanesFunction(Activation activation, string u)
    {
        if (activation is Activation.Identity or Activation.Softmax) return u;
        string? wide = RegisterActivation(activation, Lanes512, u);
        if (wide is not null) return wide;
        var narrow = new VectorWidth(Element, wide: false);
        return "Simd::Vector512.Create(" + RegisterActivation(activation, narrow, "Simd::Vector512.GetLower(" + u + ")") + ", " +
               RegisterActivation(activation, narrow, "Simd::Vector512.GetUpper(" + u + ")") + ")";
    }

    /// <summary>Stores f(<paramref name="u"/>) at position <paramref name="index"/> of the lanes buffer <paramref name="buffer"/>.</summary>
    protected string LanesStore(LayerShape layer, string u, string buffer, string index) =>
        Lanes512.Store(LanesFunction(layer.Activation, u), buffer, LanesAt(index));

    /// <summary>A load of position <paramref name="index"/> of a lanes buffer: the 16 samples' values there.</summary>
    protected string LanesLoad(string buffer, string index) => Lanes512.Load(buffer, LanesAt(index));

    /// <summary>
    /// x = softmax(u) per sample over the layer's lanes buffer, which holds u: every lane subtracts its own max(u), so
    /// that no exponent overflows; e^u by VectorMath.Exp on each Vector256 half.
    /// </summary>
    protected void LanesSoftmax(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs;
        string type = Lanes512.Type;
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + ") per sample, in every lane: subtract the lane's max(u) so that no exponent overflows.");
        w.Line(LanesRef("xs", l));
        if (Trainable)
        {
            w.Line("// u" + Sup(l) + " kept for the loss in BackwardBatch.");
            w.Line(CopyBlock("AlignedStart(_lanesU)", "xs", (m * LaneSamples).ToString(CultureInfo.InvariantCulture)));
        }
        w.Line(type + " max = " + LanesLoad("xs", "0") + ";");
        using (w.Open("for (int j = 1; j < " + m + "; j++)"))
            w.Line("max = Simd::Vector512.Max(max, " + LanesLoad("xs", "j") + ");");
        w.Line(type + " total = " + type + ".Zero;");
        using (w.Open("for (int j = 0; j < " + m + "; j++)"))
        {
            w.Line(type + " shifted = " + LanesLoad("xs", "j") + " - max;");
            w.Line(type + " e = Simd::Vector512.Create(Nc::VectorMath.Exp(Simd::Vector512.GetLower(shifted)), Nc::VectorMath.Exp(Simd::Vector512.GetUpper(shifted)));");
            w.Line(Lanes512.Store("e", "xs", LanesAt("j")));
            w.Line("total += e;");
        }
        if (Trainable)
        {
            w.Line("// For the loss in BackwardBatch: log Σ e^u = max + log Σ e^(u − max), lane by lane.");
            w.Line("ref " + T + " logZ = ref AlignedStart(_lanesLogZ);");
            w.Line(Lanes512.Store("max", "logZ", "0"));
            using (w.Open("for (int s = 0; s < " + LaneSamples + "; s++)"))
                w.Line(At("logZ", "s") + " += " + Element.Math + ".Log(Simd::Vector512.GetElement(total, s));");
        }
        w.Line(type + " scale = " + type + ".One / total;");
        using (w.Open("for (int j = 0; j < " + m + "; j++)"))
            w.Line(Lanes512.Store(LanesLoad("xs", "j") + " * scale", "xs", LanesAt("j")));
    }

    /// <summary>û = f'(u)·x̂ in place over a layer's lanes buffers, f' taken from x = f(u) (nothing for the identity).</summary>
    protected void LanesActivationBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line("// û" + Sup(l) + " = f'(u" + Sup(l) + ")·x̂" + Sup(l) + ", " + ActivationCode.Of(layer.Activation).DerivativeText + (layer.Activation == Activation.Identity ? ": û = x̂ already." : "."));
        if (layer.Activation == Activation.Identity) return;
        w.Line(LanesRef("xf", l));
        using (w.Open("for (int j = 0; j < " + layer.Outputs + "; j++)"))
        {
            w.Line(Lanes512.Type + " xj = " + LanesLoad("xf", "j") + ", sj = " + LanesLoad("s", "j") + ";");
            w.Line(Lanes512.Store(ActivationCode.Of(layer.Activation).DerivativeTimes(Lanes512, Element, "xj", "sj") ?? "sj", "s", LanesAt("j")));
        }
    }

    /// <summary>"ref float s3 = ref AlignedStart(_lanesS3);": û (or x̂ while it collects) of layer <paramref name="layer"/> for 16 samples.</summary>
    protected string LanesSensitivityRef(string name, int layer) => "ref " + T + " " + name + " = ref AlignedStart(_lanesS" + layer + ");";

    /// <summary>Whether x̂ of layer <paramref name="source"/> is stored by its one consumer rather than added to a cleared buffer (LayerPlan.LanesSensitivityStored).</summary>
    protected bool LanesStored(int source) => source != 0 && PlanOf(Layers[source - 1]).LanesSensitivityStored;

    /// <summary>"x̂ + value", or the value alone where the one consumer stores x̂ (<see cref="LanesStored"/>).</summary>
    protected string LanesAccumulate(int source, string hat, string value) => LanesStored(source) ? value : hat + " + " + value;
}
