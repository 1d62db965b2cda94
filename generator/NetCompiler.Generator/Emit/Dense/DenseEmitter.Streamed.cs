// Dense layers of at least 8 vectors of inputs: W (and g_W) streamed one row at a time, front to back, so the
// hardware prefetcher sees one linear stream; Vector512 where it is accelerated, else Vector256.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseEmitter
{
    /// <summary>Accumulators per row in the streaming kernels: enough independent FMA chains to cover the FMA latency.</summary>
    private int StreamAccumulators(Width k) => k.Lanes == V ? StreamAccumulators256 : StreamAccumulators512;

    /// <summary>
    /// u = W·x + b one row at a time, in memory order: <c>StreamAccumulators</c> partial sums over the row, added
    /// pairwise at the end. The row's last partial vector overlaps the one before it; x is masked there.
    /// </summary>
    internal void StreamForward(SourceWriter w, LayerShape layer, string target)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        string x = "x" + (l - 1);
        w.Line("// One row of W" + Sup(l) + " at a time, front to back: W" + Sup(l) + " (" + Num((long)m * n * (32 / V)) + " bytes) streams from L2 in memory order, one linear stream.");
        ByWidth(w, k =>
        {
            int a = StreamAccumulators(k), tail = n % k.Lanes;
            var vectors = RowVectors(n, k.Lanes);
            int groups = vectors.Count(v => !v.Tail) / a;
            bool loop = groups > 2;
            w.Line("// " + vectors.Count + " " + (k.Lanes == V ? "Vector256" : "Vector512") + " a row in " + a + " partial sums (" + a + " independent FMA chains).");
            if (tail > 0) w.Line(k.Type + " xTail = " + k.Load(x, n - k.Lanes) + " & " + MaskLast(k, tail) + "; // x[" + (n - tail) + ".." + n + "); the lanes before are counted already");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
                for (int c = 0; c < a; c++) w.Line(k.Type + " sum" + c + " = " + k.Type + ".Zero;");
                Range(w, "j", 0, groups * a * k.Lanes, a * k.Lanes, !loop, j =>
                {
                    for (int c = 0; c < a; c++)
                        w.Line("sum" + c + " = " + k.MultiplyAdd(k.Load("wRow", j.Plus(c * k.Lanes)), k.Load(x, j.Plus(c * k.Lanes)), "sum" + c) + ";");
                });
                int next = 0;
                foreach (var (offset, isTail) in vectors.Skip(groups * a))
                {
                    string xv = isTail ? "xTail" : k.Load(x, offset);
                    w.Line("sum" + next + " = " + k.MultiplyAdd(k.Load("wRow", offset), xv, "sum" + next) + ";");
                    next = (next + 1) % a;
                }
                w.Line(At(target, "i") + " = " + k.Class + ".Sum(" + PairwiseSum(Enumerable.Range(0, a).Select(c => "sum" + c).ToList()) + ") + " + At("p", "B" + l + " + i") + ";");
            }
        });
    }

    /// <summary>
    /// Layer 1's g_W += −û·xᵀ (or, <paramref name="fused"/>, W ← W − η·(g − û·xᵀ), g ← 0) one row at a time, in memory
    /// order: g_W (and W) stream once, front to back, while x⁰ is reloaded from L1. A row's last partial vector
    /// overlaps the one before it; x is masked there, so the overlapped lanes get g − û·0 = their g, which the earlier
    /// vector has just cleared (fused) or already updated: +0 or the same value.
    /// </summary>
    internal void StreamBackward(SourceWriter w, LayerShape layer, bool fused)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        string x = "x" + (l - 1), s = "s" + l;
        w.Line(fused
            ? "// Row by row, front to back: W" + Sup(l) + " and g" + Sup(l) + " each stream once. g is stored (as 0) only where it is not 0 already: after a TrainStep it is, and its write stream is skipped."
            : "// Row by row, front to back: g_W" + Sup(l) + " streams once in memory order; x" + Sup(l - 1) + " is reloaded from L1.");
        ByWidth(w, k =>
        {
            int tail = n % k.Lanes;
            var vectors = RowVectors(n, k.Lanes);
            int groups = vectors.Count(v => !v.Tail) / ZeroTestGroup;
            bool loop = groups > 2;
            if (fused) w.Line(k.Type + " etaV = " + k.Class + ".Create(learningRate);");
            if (tail > 0) w.Line(k.Type + " xTail = " + k.Load(x, n - k.Lanes) + " & " + MaskLast(k, tail) + "; // x[" + (n - tail) + ".." + n + "); the lanes before are done");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(k.Type + " uHat = " + k.Class + ".Create(" + At(s, "i") + ");");
                if (fused) w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
                w.Line("ref " + T + " gRow = ref " + At("g", "W" + l + " + i * " + n) + ";");
                Range(w, "j", 0, groups * ZeroTestGroup * k.Lanes, ZeroTestGroup * k.Lanes, !loop, j =>
                    StreamGradientVectors(w, k, x, Enumerable.Range(0, ZeroTestGroup).Select(c => (j.Plus(c * k.Lanes), false)).ToList(), fused), scopeEach: true);
                foreach (var (offset, isTail) in vectors.Skip(groups * ZeroTestGroup))
                    using (w.Open()) StreamGradientVectors(w, k, x, new List<(Index, bool)> { (offset, isTail) }, fused);
            }
        });
    }

    /// <summary>The gradient (or fused step) of a few column vectors of one row: <c>uHat</c>, <c>gRow</c>, <c>wRow</c> in scope.</summary>
    private void StreamGradientVectors(SourceWriter w, Width k, string x, List<(Index Offset, bool Tail)> columns, bool fused)
    {
        if (!fused)
        {
            foreach (var (c, isTail) in columns)
                w.Line(k.Store(k.MultiplyAddNegated("uHat", isTail ? "xTail" : k.Load(x, c), k.Load("gRow", c)), "gRow", c));
            return;
        }
        for (int v = 0; v < columns.Count; v++)
            w.Line(k.Type + " g" + v + " = " + k.Load("gRow", columns[v].Offset) + ";");
        for (int v = 0; v < columns.Count; v++)
        {
            var (c, isTail) = columns[v];
            w.Line(k.Store(k.MultiplyAddNegated("etaV", k.MultiplyAddNegated("uHat", isTail ? "xTail" : k.Load(x, c), "g" + v), k.Load("wRow", c)), "wRow", c));
        }
        string any = string.Join(" | ", Enumerable.Range(0, columns.Count).Select(v => "g" + v));
        using (w.Open("if (" + NonZeroBits(k, any) + ")"))
            foreach (var (c, _) in columns)
                w.Line(k.Store(k.Type + ".Zero", "gRow", c));
    }

    /// <summary>b ← b − η·(g_b − û), g_b ← 0: Backward's g_b += −û, then Update's fused step, lane for lane as they compute them.</summary>
    internal void FusedBiasStep(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, whole = m / V * V;
        string s = "s" + l;
        w.Line("ref " + T + " pb = ref " + At("p", "B" + l) + ";");
        w.Line("ref " + T + " gb = ref " + At("g", "B" + l) + ";");
        Range(w, "i", 0, whole, V, whole / V <= CostModel.ElementwiseUnrollLimit, i =>
        {
            w.Line(Store("Nc::VectorMath.MultiplyAddNegated(eta, " + Load("gb", i) + " - " + Load(s, i) + ", " + Load("pb", i) + ")", "pb", i));
            w.Line(Store(VectorType + ".Zero", "gb", i));
        });
        for (int i = whole; i < m; i++)
        {
            string gi = At("gb", i.ToString()), pi = At("pb", i.ToString()), si = At(s, i.ToString());
            w.Line(pi + " = Nc::VectorMath.MultiplyAdd(-learningRate, " + gi + " - " + si + ", " + pi + ");");
            w.Line(gi + " = 0;");
        }
    }
}
