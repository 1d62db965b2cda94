// Dense layers, per sample, backward: g_b += −û, g_W += −û·xᵀ and x̂ = Wᵀ·û by column blocks (x and x̂ in
// registers while the rows stream past) or scalars; TrainStep's fused SGD step folds θ ← θ − η·g into the same pass.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseEmitter
{
    /// <summary>g_b += −û over the layer's biases: whole vectors, then the last few as scalars.</summary>
    internal void BiasGradient(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, whole = m / V * V;
        string s = "s" + l;
        w.Line("ref " + T + " gb = ref " + At("g", "B" + l) + ";");
        Range(w, "i", 0, whole, V, whole / V <= CostModel.ElementwiseUnrollLimit, i =>
            w.Line(Store(Load("gb", i) + " - " + Load(s, i), "gb", i)));
        for (int i = whole; i < m; i++)
            w.Line(At("gb", i.ToString()) + " -= " + At(s, i.ToString()) + ";");
    }

    /// <summary>
    /// g_W += −û·xᵀ and x̂ = Wᵀ·û by blocks of columns: the block's x and x̂ stay in registers while each row
    /// streams past. A row's last partial vector overlaps the one before it; x is masked there, so the overlapped
    /// gradients get +0, and x̂ is blended into place.
    /// </summary>
    internal void DenseBackwardVector(SourceWriter w, LayerShape layer, bool unrollRows, bool fused)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V;
        bool needInputSensitivity = l > 1;

        int vectors = whole + (tail > 0 ? 1 : 0);
        bool unrollBlocks = unrollRows || whole / ColumnBlock <= 1; // full blocks share one loop body unless written out
        w.Line("// " + (unrollRows ? "Written out: " + m * vectors + " vector updates." : "Loops: " + m * vectors + " vector updates are too many to write out.") +
               " Blocks of " + ColumnBlock + " column vectors keep x" + Sup(l - 1) + (needInputSensitivity ? " and x̂" + Sup(l - 1) : "") + " in registers.");
        ForEachColumnBlock(w, "j", n, unrollBlocks, block => ColumnBlockBackward(w, layer, block, unrollRows, needInputSensitivity, tail, fused));
    }

    /// <summary>
    /// The column vectors of a row of <paramref name="n"/> in blocks of <see cref="Tuning.ColumnBlock"/>: the full blocks
    /// of whole vectors as one loop body over <paramref name="variable"/> (or written out), then the rest, the
    /// overlapping tail vector last, each block in a scope of its own.
    /// </summary>
    private void ForEachColumnBlock(SourceWriter w, string variable, int n, bool unrollBlocks, Action<List<(Index Offset, bool Tail)>> body) =>
        ForEachColumnBlock(w, variable, n, ColumnBlock, unrollBlocks, body);

    /// <summary>The same with blocks of <paramref name="size"/> column vectors.</summary>
    private void ForEachColumnBlock(SourceWriter w, string variable, int n, int size, bool unrollBlocks, Action<List<(Index Offset, bool Tail)>> body)
    {
        int whole = n / V, tail = n % V, fullBlocks = whole / size;
        var columns = new List<int>();
        for (int k = 0; k < whole; k++) columns.Add(k * V);
        if (tail > 0) columns.Add(n - V);
        Range(w, variable, 0, fullBlocks * size * V, size * V, unrollBlocks, j =>
        {
            var block = new List<(Index Offset, bool Tail)>();
            for (int k = 0; k < size; k++) block.Add((j.Plus(k * V), false));
            body(block);
        }, scopeEach: true);
        var rest = new List<(Index Offset, bool Tail)>();
        for (int c = fullBlocks * size; c < columns.Count; c++)
            rest.Add((columns[c], tail > 0 && c == columns.Count - 1));
        for (int start = 0; start < rest.Count; start += size)
            using (w.Open())
                body(rest.GetRange(start, Math.Min(size, rest.Count - start)));
    }

    private void ColumnBlockBackward(SourceWriter w, LayerShape layer, List<(Index Offset, bool Tail)> block, bool unrollRows, bool needInputSensitivity, int tail, bool fused)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        string x = "x" + (l - 1), s = "s" + l, sIn = "s" + (l - 1);
        for (int k = 0; k < block.Count; k++)
        {
            w.Line(VectorType + " x_" + k + " = " + Load(x, block[k].Offset) + (block[k].Tail ? " & " + Element.MaskLast(tail) : "") + ";");
            if (needInputSensitivity) w.Line(VectorType + " xHat_" + k + " = " + VectorType + ".Zero;");
        }
        Range(w, "i", 0, m, 1, unrollRows, i =>
        {
            w.Line(VectorType + " uHat = Simd::Vector256.Create(" + At(s, i.ToString()) + ");");
            if (needInputSensitivity || fused) w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + " + i.Times(n)) + ";");
            w.Line("ref " + T + " gRow = ref " + At("g", "W" + l + " + " + i.Times(n)) + ";");
            for (int k = 0; k < block.Count; k++)
            {
                Index c = block[k].Offset;
                if (fused)
                {
                    // x̂ from W before its step; W ← W − η·(g − û·xᵀ); g ← 0 where it is not 0 already.
                    using (w.Open())
                    {
                        w.Line(VectorType + " gOld = " + Load("gRow", c) + ", wOld = " + Load("wRow", c) + ";");
                        if (needInputSensitivity)
                            w.Line("xHat_" + k + " = Nc::VectorMath.MultiplyAdd(wOld, uHat, xHat_" + k + ");");
                        w.Line(VectorType + " gradient = Nc::VectorMath.MultiplyAddNegated(uHat, x_" + k + ", gOld); // g − û·x");
                        w.Line(Store("Nc::VectorMath.MultiplyAddNegated(eta, gradient, wOld)", "wRow", c));
                        w.Line("if (" + NonZeroBits(Narrow256, "gOld") + ")");
                        w.Line("    " + Store(VectorType + ".Zero", "gRow", c));
                    }
                    continue;
                }
                w.Line(Store("Nc::VectorMath.MultiplyAddNegated(uHat, x_" + k + ", " + Load("gRow", c) + ")", "gRow", c));
                if (needInputSensitivity)
                    w.Line("xHat_" + k + " = Nc::VectorMath.MultiplyAdd(" + Load("wRow", c) + ", uHat, xHat_" + k + ");");
            }
        }, scopeEach: true);
        if (!needInputSensitivity) return;
        for (int k = 0; k < block.Count; k++)
        {
            Index c = block[k].Offset;
            if (block[k].Tail)
                w.Line(Store("Simd::Vector256.ConditionalSelect(" + Element.MaskLast(tail) + ", xHat_" + k + ", " + Load(sIn, c) + ")", sIn, c));
            else
                w.Line(Store("xHat_" + k, sIn, c));
        }
    }

    /// <summary>The same for inputs narrower than a vector, in scalars: x and x̂ in locals.</summary>
    internal void DenseBackwardScalar(SourceWriter w, LayerShape layer, bool unroll)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        bool needInputSensitivity = l > 1;
        string x = "x" + (l - 1), s = "s" + l;
        using (w.Open())
        {
            for (int j = 0; j < n; j++)
            {
                w.Line(T + " in" + j + " = " + At(x, j.ToString()) + ";");
                if (needInputSensitivity) w.Line(T + " inHat" + j + " = 0;");
            }
            Range(w, "i", 0, m, 1, unroll, i =>
            {
                w.Line(T + " uHat = " + At(s, i.ToString()) + ";");
                if (needInputSensitivity) w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + " + i.Times(n)) + ";");
                w.Line("ref " + T + " gRow = ref " + At("g", "W" + l + " + " + i.Times(n)) + ";");
                for (int j = 0; j < n; j++)
                {
                    w.Line(At("gRow", j.ToString()) + " -= uHat * in" + j + ";");
                    if (needInputSensitivity) w.Line("inHat" + j + " += " + At("wRow", j.ToString()) + " * uHat;");
                }
            }, scopeEach: true);
            // x̂ fits in one vector (n is below a vector's width): one store, so that the vector load of f'·x̂ that
            // follows is forwarded from it instead of stalling on n separate stores.
            if (needInputSensitivity)
                w.Line(Store(VectorOfLanes(j => j < n ? "inHat" + j : Element.Literal(0)), "s" + (l - 1), 0));
        }
    }

    /// <summary>
    /// g_b += −û; per source β, g_W^β += −û·(x^β)ᵀ and x̂^β += (W^β)ᵀ·û (added: x^β may feed other layers too). A layer
    /// whose g_W is deferred (DenseEmitter.Deferred.cs) records û and x inside BackwardBatch and computes only x̂.
    /// </summary>
    internal void GraphDenseBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        foreach (int src in layer.Sources)
        {
            w.Line(Ref("x" + src, "_x" + src));
            if (src != 0) w.Line(Ref("s" + src, "_s" + src));
        }
        w.Line("// g_b" + Sup(l) + " += −û" + Sup(l) + ".");
        BiasGradient(w, layer);
        if (PlanOf(layer).DeferredGradient)
        {
            using (w.Open("if (_deferred >= 0)"))
            {
                RecordDeferred(w, layer);
                if (layer.Sources[0] != 0)
                {
                    w.Line("// x̂" + Sup(layer.Sources[0]) + " += (" + MathWeight(layer, 0) + ")ᵀ·û" + Sup(l) + ".");
                    using (w.Open()) DenseSourceBackwardVector(w, layer, 0, gradient: false);
                }
            }
            using (w.Open("else")) SourcesBackward(w, layer);
        }
        else
        {
            SourcesBackward(w, layer);
        }
    }

    private void SourcesBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s];
            w.Line("// g_" + MathWeight(layer, s) + " += −û" + Sup(l) + "·(x" + Sup(src) + ")ᵀ" + (src != 0 ? ", x̂" + Sup(src) + " += (" + MathWeight(layer, s) + ")ᵀ·û" + Sup(l) : "; x̂⁰ is not needed") + ".");
            using (w.Open())
            {
                if (layer.SourceShapes[s].Size >= V) DenseSourceBackwardVector(w, layer, s, gradient: true);
                else DenseSourceBackwardScalar(w, layer, s);
            }
        }
    }

    /// <summary>
    /// By blocks of <see cref="ColumnBlock"/> column vectors, x and x̂ held in registers while the rows of W and g_W
    /// stream past. x̂ starts from what is in the buffer, so the layer's share is added to that of other consumers.
    /// </summary>
    private void DenseSourceBackwardVector(SourceWriter w, LayerShape layer, int source, bool gradient)
    {
        int n = layer.SourceShapes[source].Size, whole = n / V, tail = n % V;
        ForEachColumnBlock(w, "c", n, whole / ColumnBlock <= 1, block => DenseColumnBlockBackward(w, layer, source, block, tail, gradient));
    }

    /// <summary>One block of columns: g_W and x̂, or x̂ alone when <paramref name="gradient"/> is false (g_W deferred).</summary>
    private void DenseColumnBlockBackward(SourceWriter w, LayerShape layer, int source, List<(Index Offset, bool Tail)> block, int tail, bool gradient)
    {
        int l = layer.Number, m = layer.Outputs, src = layer.Sources[source], n = layer.SourceShapes[source].Size;
        bool send = src != 0;
        string x = "x" + src, sIn = "s" + src, s = "s" + l, weights = WeightName(layer, source);
        for (int k = 0; k < block.Count; k++)
        {
            if (gradient) w.Line(VectorType + " x_" + k + " = " + Load(x, block[k].Offset) + (block[k].Tail ? " & " + Element.MaskLast(tail) : "") + ";");
            if (send) w.Line(VectorType + " xHat_" + k + " = " + Load(sIn, block[k].Offset) + ";");
        }
        Range(w, "i", 0, m, 1, m == 1, i =>
        {
            w.Line(VectorType + " uHat = " + Broadcast(At(s, i.ToString())) + ";");
            if (send) w.Line("ref " + T + " wRow = ref " + At("p", weights + " + " + i.Times(n)) + ";");
            if (gradient) w.Line("ref " + T + " gRow = ref " + At("g", weights + " + " + i.Times(n)) + ";");
            for (int k = 0; k < block.Count; k++)
            {
                Index c = block[k].Offset;
                if (gradient) w.Line(Store("Nc::VectorMath.MultiplyAddNegated(uHat, x_" + k + ", " + Load("gRow", c) + ")", "gRow", c));
                if (send) w.Line("xHat_" + k + " = " + Fma(Load("wRow", c), "uHat", "xHat_" + k) + ";");
            }
        }, scopeEach: true);
        if (!send) return;
        for (int k = 0; k < block.Count; k++)
        {
            Index c = block[k].Offset;
            if (block[k].Tail)
                w.Line(Store("Simd::Vector256.ConditionalSelect(" + Element.MaskLast(tail) + ", xHat_" + k + ", " + Load(sIn, c) + ")", sIn, c) +
                       " // lanes another vector of this row already stored are kept");
            else
                w.Line(Store("xHat_" + k, sIn, c));
        }
    }

    /// <summary>The same for a source narrower than a vector, in scalars.</summary>
    private void DenseSourceBackwardScalar(SourceWriter w, LayerShape layer, int source)
    {
        int l = layer.Number, m = layer.Outputs, src = layer.Sources[source], n = layer.SourceShapes[source].Size;
        bool send = src != 0;
        string weights = WeightName(layer, source);
        for (int j = 0; j < n; j++)
            w.Line(T + " in" + j + " = " + At("x" + src, j.ToString()) + (send ? ", inHat" + j + " = 0" : "") + ";");
        Range(w, "i", 0, m, 1, m == 1, i =>
        {
            w.Line(T + " uHat = " + At("s" + l, i.ToString()) + ";");
            if (send) w.Line("ref " + T + " wRow = ref " + At("p", weights + " + " + i.Times(n)) + ";");
            w.Line("ref " + T + " gRow = ref " + At("g", weights + " + " + i.Times(n)) + ";");
            for (int j = 0; j < n; j++)
            {
                w.Line(At("gRow", j.ToString()) + " -= uHat * in" + j + ";");
                if (send) w.Line("inHat" + j + " += " + At("wRow", j.ToString()) + " * uHat;");
            }
        }, scopeEach: true);
        if (send)
            for (int j = 0; j < n; j++)
                w.Line(At("s" + src, j.ToString()) + " += inHat" + j + ";");
    }
}
