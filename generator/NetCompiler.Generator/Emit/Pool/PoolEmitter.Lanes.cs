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
}
