// Pooling in ForwardBatch's lanes path (LanesKernel.AvgPool, MaxPool): 16 samples a vector, so each output position is
// its window's vectors summed (or their maximum), with no shuffles; LeNet's trainable c·mean + b and f in registers.

namespace NetCompiler.Generator.Emit;

internal sealed partial class PoolEmitter
{
    /// <summary>The body of LanesLayer{l} for a pooling layer.</summary>
    public void WriteLanesForward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool average = layer.Kind == LayerKind.AvgPool;
        string type = Lanes512.Type;
        if (layer.Trainable) w.Line(ThetaRef("p"));
        w.Line(LanesRef("uLanes", l));
        w.Line(LanesRef("xs", src));
        w.Line("// " + (average ? "u" + Sup(l) + "[c, y, x] = " + (layer.Trainable ? "c" + Sup(l) + "[c]·mean + b" + Sup(l) + "[c], mean = " : "") + "the mean"
                                : "x" + Sup(l) + "[c, y, x] = the maximum") + " of the window of x" + Sup(src) + ", 16 samples a vector.");
        PoolPositions(w, g,
            c =>
            {
                if (layer.Trainable) w.Line(type + " coefficient = " + Lanes512.Broadcast(At("p", "W" + l + " + " + c)) + ", bias = " + Lanes512.Broadcast(At("p", "B" + l + " + " + c)) + ";");
            },
            (corner, k) =>
            {
                w.Line("ref " + T + " window = ref " + At("xs", LanesAt(corner)) + ";");
                // Written out, the first element starts the sum (or maximum); in loops, 0 (or −∞) does.
                bool first = g.KernelVolume <= WindowUnrollLimit;
                w.Line(type + " v" + (first ? "" : " = " + (average ? type + ".Zero" : Lanes512.Broadcast(T + ".NegativeInfinity"))) + ";");
                WindowElements(w, g, offset =>
                {
                    string load = LanesLoad("window", offset);
                    w.Line(first ? "v = " + load + ";" : average ? "v += " + load + ";" : "v = Simd::Vector512.Max(v, " + load + ");");
                    first = false;
                });
                if (average)
                    w.Line("v *= " + Element.Literal(1.0 / g.KernelVolume) + ";" + (layer.Trainable ? " v = v * coefficient + bias;" : ""));
                w.Line(LanesStore(layer, "v", "uLanes", k));
            });
    }

    /// <summary>
    /// The body of BackwardLanesLayer{l} for a pooling layer. Average: g_c −= Σ û·mean and g_b −= Σ û per channel (the
    /// mean recomputed from the source), and each window's inputs get c·û/size. Max: each lane's û goes to the window's
    /// first input equal to its maximum, as the per-sample path sends it to the first maximal element.
    /// </summary>
    public void WriteLanesBackward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool average = layer.Kind == LayerKind.AvgPool, send = src != 0;
        string type = Lanes512.Type, inverse = Element.Literal(1.0 / g.KernelVolume);
        if (layer.Trainable)
        {
            w.Line(ThetaRef("p"));
            w.Line(Ref("g", "_gradients"));
        }
        if (layer.Trainable || !average) w.Line(LanesRef("xs", src));
        if (!average) w.Line(LanesRef("xo", l));
        if (send) w.Line(LanesSensitivityRef("sx", src));
        w.Line("// " + (average ? (layer.Trainable ? "g_c" + Sup(l) + "[c] −= Σ û·mean, g_b" + Sup(l) + "[c] −= Σ û; " : "") + "each input of a window gets " + (layer.Trainable ? "c·" : "") + "û/" + g.KernelVolume
                                : "each lane's û goes to the first input of the window equal to its maximum") + ".");
        PoolPositions(w, g,
            c =>
            {
                if (layer.Trainable)
                {
                    w.Line(type + " coefficient = " + Lanes512.Broadcast(At("p", "W" + l + " + " + c)) + ", gc = " + type + ".Zero, gb = " + type + ".Zero;");
                    w.Line(type + " scale = coefficient * " + Lanes512.Broadcast(inverse) + ";");
                }
                else if (average) w.Line(type + " scale = " + Lanes512.Broadcast(inverse) + ";");
            },
            (corner, k) =>
            {
                w.Line(type + " u = " + LanesLoad("s", k) + ";");
                if (!average)
                {
                    w.Line(type + " max = " + LanesLoad("xo", k) + ", remaining = " + type + ".AllBitsSet;");
                    w.Line("ref " + T + " window = ref " + At("xs", LanesAt(corner)) + ";");
                    w.Line("ref " + T + " hat = ref " + At("sx", LanesAt(corner)) + ";");
                    WindowElements(w, g, offset =>
                    {
                        w.Line("{");
                        w.Line("    " + type + " first = Simd::Vector512.Equals(" + LanesLoad("window", offset) + ", max) & remaining;");
                        w.Line("    " + Lanes512.Store(LanesAccumulate(src, LanesLoad("hat", offset), "(u & first)"), "hat", LanesAt(offset)));
                        w.Line("    remaining = Simd::Vector512.AndNot(remaining, first);");
                        w.Line("}");
                    });
                    return;
                }
                if (layer.Trainable)
                {
                    w.Line("ref " + T + " window = ref " + At("xs", LanesAt(corner)) + ";");
                    w.Line(type + " mean = " + type + ".Zero;");
                    WindowElements(w, g, offset => w.Line("mean += " + LanesLoad("window", offset) + ";"));
                    w.Line("gc = " + Lanes512.Fma("u", "mean * " + Lanes512.Broadcast(inverse), "gc") + ";");
                    w.Line("gb += u;");
                }
                if (!send) return;
                w.Line(type + " share = u * scale;");
                w.Line("ref " + T + " hat = ref " + At("sx", LanesAt(corner)) + ";");
                WindowElements(w, g, offset => w.Line(Lanes512.Store(LanesAccumulate(src, LanesLoad("hat", offset), "share"), "hat", LanesAt(offset))));
            },
            c =>
            {
                if (!layer.Trainable) return;
                w.Line(At("g", "W" + l + " + " + c) + " -= Simd::Vector512.Sum(gc);");
                w.Line(At("g", "B" + l + " + " + c) + " -= Simd::Vector512.Sum(gb);");
            });
    }
}
