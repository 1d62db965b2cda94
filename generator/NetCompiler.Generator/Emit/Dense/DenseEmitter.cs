// Dense layers, per sample: u = W·x + b by the kernel the plan names (rows in groups, rows reduced to one vector,
// narrow inputs, scalars, or a graph layer's several sources). Shared by chain and graph networks.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseEmitter : EmitterBase, ILayerEmitter
{
    public DenseEmitter(EmitContext context) : base(context) { }

    /// <inheritdoc/>
    public void WriteForward(SourceWriter w, LayerShape layer) => GraphDenseForward(w, layer);

    /// <inheritdoc/>
    public void WriteBackward(SourceWriter w, LayerShape layer) => GraphDenseBackward(w, layer);

    /// <summary>
    /// sum0…sum(rows−1) = the lane partial sums of rows of W (row r at p + <paramref name="rowStart"/>(r)) times x:
    /// each load of x feeds one FMA per row; a row whose length is not whole vectors ends with the masked xTail.
    /// </summary>
    private void AccumulateRows(SourceWriter w, string x, Func<int, string> rowStart, int rows, int n, int whole, int tail, bool unrollColumns)
    {
        for (int r = 0; r < rows; r++)
        {
            w.Line("ref " + T + " w" + r + " = ref " + At("p", rowStart(r)) + ";");
            w.Line(VectorType + " sum" + r + " = " + VectorType + ".Zero;");
        }
        if (whole > 0)
        {
            Range(w, "j", 0, whole * V, V, unrollColumns, j =>
            {
                w.Line(VectorType + " xj = " + Load(x, j) + ";");
                for (int r = 0; r < rows; r++)
                    w.Line("sum" + r + " = Nc::VectorMath.MultiplyAdd(" + Load("w" + r, j) + ", xj, sum" + r + ");");
            }, scopeEach: true);
        }
        if (tail > 0)
            for (int r = 0; r < rows; r++)
                w.Line("sum" + r + " = Nc::VectorMath.MultiplyAdd(" + Load("w" + r, n - V) + ", xTail, sum" + r + ");");
    }

    /// <summary>u = W·x + b with rows dotted against x a vector at a time; a row's last partial vector overlaps the one before it, masked.</summary>
    internal void DenseForwardVector(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool unrollRows)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V, vectors = whole + (tail > 0 ? 1 : 0);
        bool unrollColumns = CostModel.UnrollRow(vectors);
        string x = "x" + (l - 1);
        using (w.Open())
        {
            w.Line("// " + (unrollRows ? "Written out: the layer is small (" + m * vectors + " vector multiply-adds)." : "Loops: " + m * vectors + " vector multiply-adds are too many to write out.")
                   + " " + RowGroup + " rows at a time, so each load of x" + Sup(l - 1) + " feeds " + RowGroup + " FMAs.");
            if (tail > 0)
                w.Line(VectorType + " xTail = " + Load(x, n - V) + " & " + Element.MaskLast(tail) + "; // x[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
            int mainRows = m - m % RowGroup;
            Range(w, "i", 0, mainRows, RowGroup, unrollRows, i => RowGroupForward(w, layer, destination, x, i, RowGroup, whole, tail, unrollColumns), scopeEach: true);
            if (m % RowGroup > 0)
                using (w.Open()) RowGroupForward(w, layer, destination, x, mainRows, m % RowGroup, whole, tail, unrollColumns);
        }
    }

    private void RowGroupForward(SourceWriter w, LayerShape layer, Func<Index, string> destination, string x, Index i, int rows, int whole, int tail, bool unrollColumns)
    {
        int l = layer.Number, n = layer.Inputs;
        AccumulateRows(w, x, r => "W" + l + " + " + i.Plus(r).Times(n), rows, n, whole, tail, unrollColumns);
        for (int r = 0; r < rows; r++)
            w.Line(destination(i.Plus(r)) + " = Simd::Vector256.Sum(sum" + r + ") + " + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    /// <summary>x^(l−1) repeated to fill a vector: (x₀, …, x_(n−1), x₀, …), a broadcast of its first n elements.</summary>
    internal string RepeatedInput(string x, int n)
    {
        int bytes = n * (32 / V);
        if (n == 1) return "Simd::Vector256.Create(" + x + ")";
        if (bytes == 8) // two floats broadcast as one double
            return "Simd::Vector256.AsSingle(Simd::Vector256.Create(Compiler::Unsafe.ReadUnaligned<double>(ref Compiler::Unsafe.As<float, byte>(ref " + x + "))))";
        string half = "Simd::Vector128.LoadUnsafe(ref " + x + ")"; // 16 bytes: the same in both halves
        return "Simd::Vector256.Create(" + half + ", " + half + ")";
    }

    /// <summary>b^l as a vector of V lanes starting at output <paramref name="first"/>; lanes past m are 0.</summary>
    internal string BiasVector(LayerShape layer, int first)
    {
        int l = layer.Number, m = layer.Outputs, real = System.Math.Min(V, m - first);
        if (real == V || layer.BiasOffset + first + V <= Topology.ParameterCount)
        {
            string load = Load("p", new Index("B" + l, first));
            return real == V ? load : "(" + load + " & " + Element.MaskFirst(real) + ")";
        }
        return VectorOfLanes(k => k < real ? At("p", "B" + l + " + " + (first + k)) : Element.Literal(0));
    }

    /// <summary>
    /// u = W·x + b for n &lt; V inputs, n dividing V: each vector of the row-major W holds V/n whole rows; multiplied by
    /// x repeated, every run of n lanes is one row's products, and log₂ n levels of pairwise adds give V outputs a vector.
    /// </summary>
    internal void DenseForwardNarrow(SourceWriter w, LayerShape layer, bool inRegister, string target)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, rowsPerVector = V / n;
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": each vector of W" + Sup(l) + " holds " + rowsPerVector + " rows, multiplied by x" + Sup(l - 1) + " repeated " + rowsPerVector + " times;" +
               (n > 1 ? " adding neighbouring lanes " + Log2(n) + " time" + (n == 2 ? "" : "s") + " leaves one u" + Sup(l) + "_i a lane." : " each lane is one u" + Sup(l) + "_i."));
        if (inRegister) w.Line(VectorType + " u" + l + ";");
        using (w.Open())
        {
            w.Line(VectorType + " xRepeated = " + RepeatedInput("x" + (l - 1), n) + ";");
            for (int first = 0; first < m; first += V)
            {
                // Outputs first…first+V−1 come from n vectors of W (fewer at the end of the layer).
                int vectors = System.Math.Min(n, (m - first) * n / V);
                var products = new List<string>();
                for (int k = 0; k < vectors; k++)
                {
                    string name = "w" + (first / V * n + k) + "x";
                    w.Line(VectorType + " " + name + " = " + Load("p", new Index("W" + l, first * n + k * V)) + " * xRepeated;");
                    products.Add(name);
                }
                string sum = SumRuns(w, products, n, "sum" + (first / V) + "_")[0];
                string u = sum + " + " + BiasVector(layer, first);
                if (inRegister) w.Line("u" + l + " = " + u + ";");
                else w.Line(Store(u, target, first));
            }
        }
    }

    /// <summary>
    /// u = W·x + b for m ≤ V outputs of n ≥ V inputs, as one vector: the rows' partial sums in m accumulators, then
    /// log₂ V levels of pairwise adds instead of a horizontal sum per row. From the row <paramref name="x"/>; stores u
    /// to <paramref name="destination"/> if given, else declares the local u_l.
    /// </summary>
    internal void DenseForwardRowsToVector(SourceWriter w, LayerShape layer, string x, string? destination)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V, vectors = whole + (tail > 0 ? 1 : 0);
        bool unrollColumns = CostModel.UnrollRow(vectors);
        if (destination is null) w.Line(VectorType + " u" + l + ";");
        using (w.Open())
        {
            w.Line("// The " + m + " rows at once, each load of x" + Sup(l - 1) + " feeding " + m + " FMAs; then the rows' " + V + " partial sums are added pairwise, " + Log2(V) + " levels.");
            if (tail > 0)
                w.Line(VectorType + " xTail = " + Load(x, n - V) + " & " + Element.MaskLast(tail) + "; // x[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
            AccumulateRows(w, x, r => "W" + l + " + " + r * n, m, n, whole, tail, unrollColumns);
            var sums = Enumerable.Range(0, m).Select(r => "sum" + r).ToList();
            string total = SumRuns(w, sums, V, "pairs")[0];
            if (destination is null) w.Line("u" + l + " = " + total + " + " + BiasVector(layer, 0) + ";");
            else w.Line(Store(total + " + " + BiasVector(layer, 0), destination, 0));
        }
    }

    /// <summary>u = W·x + b for inputs narrower than a vector: scalar multiply-adds with x held in locals.</summary>
    internal void DenseForwardScalar(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool unroll)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        using (w.Open())
        {
            w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalar multiply-adds" + (unroll ? ", written out." : " in a loop over the rows."));
            for (int j = 0; j < n; j++)
                w.Line(T + " in" + j + " = " + At("x" + (l - 1), j.ToString()) + ";");
            Range(w, "i", 0, m, 1, unroll, i =>
            {
                var terms = new System.Text.StringBuilder();
                for (int j = 0; j < n; j++)
                    terms.Append(At("p", "W" + l + " + " + i.Times(n) + " + " + j)).Append(" * in").Append(j).Append(" + ");
                w.Line(destination(i) + " = " + terms + At("p", "B" + l + " + " + i) + ";");
            });
        }
    }
    /// <summary>
    /// u = Σ_β W^β·x^β + b for a dense layer in a graph: its sources may be several and of any rank (read flattened,
    /// which row-major storage makes free). Rows go <see cref="RowGroup"/> at a time, each row's dot products with
    /// every source summed in vector accumulators and reduced once.
    /// </summary>
    internal void GraphDenseForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs;
        string target = Target(layer);
        w.Line(ThetaRef("p"));
        DeclareTarget(w, layer);
        foreach (int src in layer.Sources) w.Line(Ref("x" + src, "_x" + src));
        w.Line("// u" + Sup(l) + " = " + string.Join(" + ", layer.Sources.Select((src, s) => MathWeight(layer, s) + "·x" + Sup(src) + " [" + layer.SourceShapes[s].Size + "]")) + " + b" + Sup(l) + ", " +
               RowGroup + " rows at a time so that each load of x feeds " + RowGroup + " FMAs.");
        for (int s = 0; s < layer.Sources.Count; s++)
        {
            int src = layer.Sources[s], n = layer.SourceShapes[s].Size, tail = n % V;
            if (n >= V && tail > 0)
                w.Line(VectorType + " xTail" + src + " = " + Load("x" + src, n - V) + " & " + Element.MaskLast(tail) + "; // x" + Sup(src) + "[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
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
}
