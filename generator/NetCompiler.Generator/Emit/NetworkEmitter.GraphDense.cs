using System.Collections.Generic;
using System.Linq;
using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    /// <summary>
    /// u = Σ_β W^β·x^β + b for a dense layer in a graph: its sources may be several and of any rank (read flattened,
    /// which row-major storage makes free). Rows go <see cref="RowGroup"/> at a time, each row's dot products with
    /// every source summed in vector accumulators and reduced once.
    /// </summary>
    private void GraphDenseForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs;
        string target = Target(layer);
        w.Line(Ref("p", "_parameters"));
        DeclareTarget(w, layer);
        foreach (int src in layer.Sources) w.Line(Ref("x" + src, "_x" + src));
        w.Line("// u" + Sup(l) + " = " + string.Join(" + ", layer.Sources.Select((src, s) => MathWeight(layer, s) + "·x" + Sup(src) + " [" + layer.SourceShapes[s].Size + "]")) + " + b" + Sup(l) + ", " +
               RowGroup + " rows at a time so that each load of x feeds " + RowGroup + " FMAs.");
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], n = layer.SourceShapes[s].Size, tail = n % V;
            if (n >= V && tail > 0)
                w.Line(VectorType + " xTail" + src + " = " + Load("x" + src, n - V) + " & " + _t.MaskLast(tail) + "; // x" + Sup(src) + "[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
            else if (n < V)
                w.Line(T + " " + string.Join(", ", Enumerable.Range(0, n).Select(j => "x" + src + "_" + j + " = " + At("x" + src, j.ToString()))) + "; // x" + Sup(src) + " is narrower than a vector");
        }
        int mainRows = m - m % RowGroup;
        Range(w, "i", 0, mainRows, RowGroup, mainRows == RowGroup, i => DenseRowsForward(w, layer, target, i, RowGroup), scopeEach: true);
        if (m % RowGroup > 0)
            using (w.Open()) DenseRowsForward(w, layer, target, mainRows, m % RowGroup);
    }

    private void DenseRowsForward(SourceWriter w, LayerShape layer, string target, Index i, int rows)
    {
        int l = layer.Number;
        bool anyVector = layer.SourceShapes.Any(shape => shape.Size >= V);
        if (anyVector)
            w.Line(VectorType + " " + string.Join(", ", Enumerable.Range(0, rows).Select(r => "sum" + r + " = " + VectorType + ".Zero")) + ";");
        var scalarTerms = new string[rows];
        for (int r = 0; r < rows; r++) scalarTerms[r] = "";
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], n = layer.SourceShapes[s].Size, whole = n / V, tail = n % V;
            string weights = WeightName(layer, s), x = "x" + src;
            if (n < V)
            {
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < n; j++)
                        scalarTerms[r] += At("p", weights + " + " + i.Plus(r).Times(n) + " + " + j) + " * x" + src + "_" + j + " + ";
                continue;
            }
            using (w.Open())
            {
                w.Line("// " + MathWeight(layer, s) + "·x" + Sup(src) + " (" + weights + ")");
                for (int r = 0; r < rows; r++)
                    w.Line("ref " + T + " w" + r + " = ref " + At("p", weights + " + " + i.Plus(r).Times(n)) + ";");
                Range(w, "j", 0, whole * V, V, CostModel.UnrollRow(whole), j =>
                {
                    w.Line(VectorType + " xj = " + Load(x, j) + ";");
                    for (int r = 0; r < rows; r++)
                        w.Line("sum" + r + " = " + Fma(Load("w" + r, j), "xj", "sum" + r) + ";");
                }, scopeEach: true);
                if (tail > 0)
                    for (int r = 0; r < rows; r++)
                        w.Line("sum" + r + " = " + Fma(Load("w" + r, n - V), "xTail" + src, "sum" + r) + ";");
            }
        }
        for (int r = 0; r < rows; r++)
            w.Line(At(target, i.Plus(r).ToString()) + " = " + (anyVector ? Sum("sum" + r) + " + " : "") + scalarTerms[r] + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    /// <summary>g_b += −û; per source β, g_W^β += −û·(x^β)ᵀ and x̂^β += (W^β)ᵀ·û (added: x^β may feed other layers too).</summary>
    private void GraphDenseBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line(Ref("p", "_parameters"));
        w.Line(Ref("g", "_gradients"));
        foreach (int src in layer.Sources)
        {
            w.Line(Ref("x" + src, "_x" + src));
            if (src != 0) w.Line(Ref("s" + src, "_s" + src));
        }
        w.Line("// g_b" + Sup(l) + " += −û" + Sup(l) + ".");
        BiasGradient(w, layer);
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s];
            w.Line("// g_" + MathWeight(layer, s) + " += −û" + Sup(l) + "·(x" + Sup(src) + ")ᵀ" + (src != 0 ? ", x̂" + Sup(src) + " += (" + MathWeight(layer, s) + ")ᵀ·û" + Sup(l) : "; x̂⁰ is not needed") + ".");
            using (w.Open())
            {
                if (layer.SourceShapes[s].Size >= V) DenseSourceBackwardVector(w, layer, s);
                else DenseSourceBackwardScalar(w, layer, s);
            }
        }
    }

    /// <summary>
    /// By blocks of <see cref="ColumnBlock"/> column vectors, x and x̂ held in registers while the rows of W and g_W
    /// stream past. x̂ starts from what is in the buffer, so the layer's share is added to that of other consumers.
    /// </summary>
    private void DenseSourceBackwardVector(SourceWriter w, LayerShape layer, int source)
    {
        int n = layer.SourceShapes[source].Size, whole = n / V, tail = n % V;
        var columns = new List<int>();
        for (int k = 0; k < whole; k++) columns.Add(k * V);
        if (tail > 0) columns.Add(n - V);
        int fullBlocks = whole / ColumnBlock;
        Range(w, "c", 0, fullBlocks * ColumnBlock * V, ColumnBlock * V, fullBlocks <= 1, c =>
        {
            var block = new List<(Index Offset, bool Tail)>();
            for (int k = 0; k < ColumnBlock; k++) block.Add((c.Plus(k * V), false));
            DenseColumnBlockBackward(w, layer, source, block, tail);
        }, scopeEach: true);
        var rest = new List<(Index Offset, bool Tail)>();
        for (int c = fullBlocks * ColumnBlock; c < columns.Count; c++)
            rest.Add((columns[c], tail > 0 && c == columns.Count - 1));
        for (int start = 0; start < rest.Count; start += ColumnBlock)
            using (w.Open())
                DenseColumnBlockBackward(w, layer, source, rest.GetRange(start, System.Math.Min(ColumnBlock, rest.Count - start)), tail);
    }

    private void DenseColumnBlockBackward(SourceWriter w, LayerShape layer, int source, List<(Index Offset, bool Tail)> block, int tail)
    {
        int l = layer.Number, m = layer.Outputs, src = layer.Sources[source], n = layer.SourceShapes[source].Size;
        bool send = src != 0;
        string x = "x" + src, sIn = "s" + src, s = "s" + l, weights = WeightName(layer, source);
        for (int k = 0; k < block.Count; k++)
        {
            w.Line(VectorType + " x_" + k + " = " + Load(x, block[k].Offset) + (block[k].Tail ? " & " + _t.MaskLast(tail) : "") + ";");
            if (send) w.Line(VectorType + " xHat_" + k + " = " + Load(sIn, block[k].Offset) + ";");
        }
        Range(w, "i", 0, m, 1, m == 1, i =>
        {
            w.Line(VectorType + " uHat = " + Broadcast(At(s, i.ToString())) + ";");
            if (send) w.Line("ref " + T + " wRow = ref " + At("p", weights + " + " + i.Times(n)) + ";");
            w.Line("ref " + T + " gRow = ref " + At("g", weights + " + " + i.Times(n)) + ";");
            for (int k = 0; k < block.Count; k++)
            {
                Index c = block[k].Offset;
                w.Line(Store("global::NetCompiler.VectorMath.MultiplyAddNegated(uHat, x_" + k + ", " + Load("gRow", c) + ")", "gRow", c));
                if (send) w.Line("xHat_" + k + " = " + Fma(Load("wRow", c), "uHat", "xHat_" + k) + ";");
            }
        }, scopeEach: true);
        if (!send) return;
        for (int k = 0; k < block.Count; k++)
        {
            Index c = block[k].Offset;
            if (block[k].Tail)
                w.Line(Store("global::System.Runtime.Intrinsics.Vector256.ConditionalSelect(" + _t.MaskLast(tail) + ", xHat_" + k + ", " + Load(sIn, c) + ")", sIn, c) +
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
