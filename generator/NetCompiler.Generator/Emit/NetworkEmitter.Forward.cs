using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    private void WriteForward(SourceWriter w)
    {
        w.Line("/// <summary>The forward pass u^l = W^l·x^(l−1) + b^l, x^l = f(u^l) for l = 1…" + L + "; writes x" + Sup(L) + " to <paramref name=\"output\"/>.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + _topology.InputSize + " long or output not " + _topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public void Forward(global::System.ReadOnlySpan<" + T + "> input, global::System.Span<" + T + "> output)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (output.Length != OutputSize) ThrowLength(nameof(output), OutputSize, output.Length);");
            if (_plan.RegisterChain)
            {
                w.Line("// The forward pass written out here: the network is tiny, and a call would cost as much as a layer.");
                RegisterForward(w, toOutput: true);
            }
            else
            {
                w.Line("ForwardCore(input);");
                if (SmallCopy(_topology.OutputSize))
                    w.Line(CopyBlock("global::System.Runtime.InteropServices.MemoryMarshal.GetReference(output)", StartOf("_x" + Output.Number), "OutputSize") + " // a constant size: a few moves, no call");
                else
                    w.Line(ReadOnlyStart("_x" + Output.Number, "OutputSize") + ".CopyTo(output);");
            }
        }
        w.Line();
        if (!_plan.HasForwardCore) return;

        w.Line("// x⁰ is copied in because the backward pass needs it for ΔW¹ ∝ û¹·(x⁰)ᵀ (and so input may alias output).");
        using (OpenMethod(w, "private void ForwardCore(global::System.ReadOnlySpan<" + T + "> input)"))
            ForwardBody(w);
        w.Line();
    }

    /// <summary>
    /// The statements of the forward pass from <c>input</c>: declares <c>p</c>, <c>x0</c>…<c>xL</c> and, for layers
    /// that fit in one vector, <c>a1</c>, <c>a2</c>… holding x^l in registers.
    /// </summary>
    private void ForwardBody(SourceWriter w)
    {
        w.Line(Ref("p", "_parameters"));
        w.Line(Ref("x0", "_x0"));
        if (SmallCopy(_topology.InputSize))
            w.Line(CopyBlock("x0", "global::System.Runtime.InteropServices.MemoryMarshal.GetReference(input)", "InputSize") + " // a constant size: a few moves, no call");
        else
            w.Line("input.CopyTo(global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref x0, InputSize));");
        foreach (LayerShape layer in _layers)
        {
            w.Line();
            LayerPlan plan = PlanOf(layer);
            int l = layer.Number;
            bool softmax = layer.Activation == Activation.Softmax, inRegister = plan.OutputInRegister;
            w.Line(Ref("x" + l, "_x" + l));
            if (softmax) w.Line(Ref("u" + l, "_u" + l));
            string target = softmax ? "u" + l : "x" + l;
            string heading = "// Layer " + l + ": u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + layer.Inputs + " → " + layer.Outputs + "]";
            switch (plan.Forward)
            {
                case ForwardKernel.Narrow:
                case ForwardKernel.RowsToVector:
                    // u as whole vectors: no horizontal sum per output.
                    w.Line(heading + (inRegister ? ", in a register" : ", computed in place of " + (softmax ? "u" : "x") + Sup(l)));
                    if (plan.Forward == ForwardKernel.Narrow) DenseForwardNarrow(w, layer, inRegister, target);
                    else DenseForwardRowsToVector(w, layer, "x" + (l - 1), null);
                    if (inRegister) ActivationOfVector(w, layer);
                    else ActivationForward(w, layer, plan.ActivationUnrolled);
                    continue;
                case ForwardKernel.StreamedRows:
                    w.Line(heading + (softmax ? "" : ", computed in place of x" + Sup(l)));
                    using (w.Open()) StreamForward(w, layer, target);
                    ActivationForward(w, layer, plan.ActivationUnrolled);
                    continue;
            }
            Func<Index, string> destination = inRegister ? i => "u" + l + "_" + i.Offset : i => At(target, i.ToString());
            w.Line(heading + (softmax ? "" : inRegister ? ", in registers" : ", computed in place of x" + Sup(l)));
            if (inRegister)
                w.Line(T + " " + string.Join(", ", Enumerable.Range(0, layer.Outputs).Select(i => "u" + l + "_" + i)) + "; // u" + Sup(l) + "_i");
            if (plan.Forward == ForwardKernel.RowGroups) DenseForwardVector(w, layer, destination, plan.ForwardUnrolled);
            else DenseForwardScalar(w, layer, destination, plan.ForwardUnrolled);
            if (inRegister) ActivationInRegister(w, layer);
            else ActivationForward(w, layer, plan.ActivationUnrolled);
        }
        if (Trainable) w.Line("_hasForward = true;");
    }

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
                    w.Line("sum" + r + " = global::NetCompiler.VectorMath.MultiplyAdd(" + Load("w" + r, j) + ", xj, sum" + r + ");");
            }, scopeEach: true);
        }
        if (tail > 0)
            for (int r = 0; r < rows; r++)
                w.Line("sum" + r + " = global::NetCompiler.VectorMath.MultiplyAdd(" + Load("w" + r, n - V) + ", xTail, sum" + r + ");");
    }

    /// <summary>u = W·x + b with rows dotted against x a vector at a time; a row's last partial vector overlaps the one before it, masked.</summary>
    private void DenseForwardVector(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool unrollRows)
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
                w.Line(VectorType + " xTail = " + Load(x, n - V) + " & " + _t.MaskLast(tail) + "; // x[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
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
            w.Line(destination(i.Plus(r)) + " = global::System.Runtime.Intrinsics.Vector256.Sum(sum" + r + ") + " + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    /// <summary>Whether copying <paramref name="count"/> elements is a handful of moves (the JIT unrolls constant-size block copies).</summary>
    private bool SmallCopy(int count) => Planner.IsSmallCopy(count, V);

    private string CopyBlock(string destination, string source, string count) =>
        "global::System.Runtime.CompilerServices.Unsafe.CopyBlockUnaligned(ref global::System.Runtime.CompilerServices.Unsafe.As<" + T + ", byte>(ref " + destination + "), ref global::System.Runtime.CompilerServices.Unsafe.As<" + T + ", byte>(ref " + source + "), " + count + " * sizeof(" + T + "));";

    /// <summary>x^(l−1) repeated to fill a vector: (x₀, …, x_(n−1), x₀, …), a broadcast of its first n elements.</summary>
    private string RepeatedInput(string x, int n)
    {
        int bytes = n * (32 / V);
        if (n == 1) return "global::System.Runtime.Intrinsics.Vector256.Create(" + x + ")";
        if (bytes == 8) // two floats broadcast as one double
            return "global::System.Runtime.Intrinsics.Vector256.AsSingle(global::System.Runtime.Intrinsics.Vector256.Create(global::System.Runtime.CompilerServices.Unsafe.ReadUnaligned<double>(ref global::System.Runtime.CompilerServices.Unsafe.As<float, byte>(ref " + x + "))))";
        string half = "global::System.Runtime.Intrinsics.Vector128.LoadUnsafe(ref " + x + ")"; // 16 bytes: the same in both halves
        return "global::System.Runtime.Intrinsics.Vector256.Create(" + half + ", " + half + ")";
    }

    /// <summary>
    /// Reduces <paramref name="vectors"/>, whose lanes run in groups of <paramref name="run"/> (a power of 2), to one
    /// lane per group: log₂ run levels of <c>VectorMath.AddPairs</c>. Returns the names of the resulting vectors.
    /// </summary>
    private List<string> SumRuns(SourceWriter w, List<string> vectors, int run, string prefix)
    {
        int level = 0;
        while (run > 1)
        {
            level++;
            var next = new List<string>();
            for (int k = 0; k < vectors.Count; k += 2)
            {
                string a = vectors[k], b = k + 1 < vectors.Count ? vectors[k + 1] : VectorType + ".Zero";
                string name = prefix + level + "_" + k / 2;
                w.Line(VectorType + " " + name + " = global::NetCompiler.VectorMath.AddPairs(" + a + ", " + b + ");");
                next.Add(name);
            }
            vectors = next;
            run /= 2;
        }
        return vectors;
    }

    /// <summary>b^l as a vector of V lanes starting at output <paramref name="first"/>; lanes past m are 0.</summary>
    private string BiasVector(LayerShape layer, int first)
    {
        int l = layer.Number, m = layer.Outputs, real = System.Math.Min(V, m - first);
        if (real == V || layer.BiasOffset + first + V <= _topology.ParameterCount)
        {
            string load = Load("p", new Index("B" + l, first));
            return real == V ? load : "(" + load + " & " + _t.MaskFirst(real) + ")";
        }
        return VectorOfLanes(k => k < real ? At("p", "B" + l + " + " + (first + k)) : _t.Literal(0));
    }

    /// <summary>
    /// u = W·x + b for n &lt; V inputs, n dividing V: each vector of the row-major W holds V/n whole rows; multiplied by
    /// x repeated, every run of n lanes is one row's products, and log₂ n levels of pairwise adds give V outputs a vector.
    /// </summary>
    private void DenseForwardNarrow(SourceWriter w, LayerShape layer, bool inRegister, string target)
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
    private void DenseForwardRowsToVector(SourceWriter w, LayerShape layer, string x, string? destination)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V, vectors = whole + (tail > 0 ? 1 : 0);
        bool unrollColumns = CostModel.UnrollRow(vectors);
        if (destination is null) w.Line(VectorType + " u" + l + ";");
        using (w.Open())
        {
            w.Line("// The " + m + " rows at once, each load of x" + Sup(l - 1) + " feeding " + m + " FMAs; then the rows' " + V + " partial sums are added pairwise, " + Log2(V) + " levels.");
            if (tail > 0)
                w.Line(VectorType + " xTail = " + Load(x, n - V) + " & " + _t.MaskLast(tail) + "; // x[" + (n - tail) + ".." + n + "); lanes the whole vectors cover are zeroed");
            AccumulateRows(w, x, r => "W" + l + " + " + r * n, m, n, whole, tail, unrollColumns);
            var sums = Enumerable.Range(0, m).Select(r => "sum" + r).ToList();
            string total = SumRuns(w, sums, V, "pairs")[0];
            if (destination is null) w.Line("u" + l + " = " + total + " + " + BiasVector(layer, 0) + ";");
            else w.Line(Store(total + " + " + BiasVector(layer, 0), destination, 0));
        }
    }

    /// <summary>
    /// x = f(u) for a layer whose u is the vector <paramref name="u"/> (by default the local u1, u2, …): f applied, one
    /// store; the padding lanes hold f(0).
    /// </summary>
    private void ActivationOfVector(SourceWriter w, LayerShape layer, string? u = null)
    {
        int l = layer.Number, m = layer.Outputs;
        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + (m < V ? "; the padding lanes hold f(0)" : "") + ".");
        w.Line(VectorType + " a" + l + " = " + VectorFunction(layer.Activation, u ?? "u" + l) + "; // x" + Sup(l) + ", kept in a register");
        w.Line(Store("a" + l, "x" + l, 0));
    }

    private static int Log2(int powerOfTwo)
    {
        int log = 0;
        while ((1 << log) < powerOfTwo) log++;
        return log;
    }

    /// <summary>u = W·x + b for inputs narrower than a vector: scalar multiply-adds with x held in locals.</summary>
    private void DenseForwardScalar(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool unroll)
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

    /// <summary>x = f(u) over whole vectors of the padded buffer (softmax: over the real lanes only).</summary>
    private void ActivationForward(SourceWriter w, LayerShape layer, bool unroll)
    {
        int l = layer.Number, m = layer.Outputs, padded = _t.Padded(m);
        string x = "x" + l;
        if (layer.Activation == Activation.Softmax)
        {
            SoftmaxForward(w, layer, unroll);
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
    private void ActivationInRegister(SourceWriter w, LayerShape layer) =>
        ActivationOfVector(w, layer, VectorOfLanes(i => i < layer.Outputs ? "u" + layer.Number + "_" + i : _t.Literal(0)));

    private void SoftmaxForward(SourceWriter w, LayerShape layer, bool unroll)
    {
        int l = layer.Number, m = layer.Outputs, padded = _t.Padded(m), last = padded - V, realInLast = m - last;
        string x = "x" + l, u = "u" + l;
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + "): subtract max(u) so that no exponent overflows.");
        w.Line(T + " max = " + At(u, "0") + ";");
        using (w.Open("for (int i = 1; i < " + m + "; i++)"))
            w.Line("if (" + At(u, "i") + " > max) max = " + At(u, "i") + ";");
        w.Line(VectorType + " shift = global::System.Runtime.Intrinsics.Vector256.Create(max), total = " + VectorType + ".Zero;");
        Range(w, "j", 0, last, V, unroll, j => SoftmaxExp(w, x, u, j, null), scopeEach: true);
        using (w.Open())
            SoftmaxExp(w, x, u, last, realInLast < V ? _t.MaskFirst(realInLast) + "; // the padding lanes stay 0" : ";");
        w.Line("_softmaxMax = max;");
        w.Line("_softmaxSum = global::System.Runtime.Intrinsics.Vector256.Sum(total);");
        w.Line(VectorType + " scale = global::System.Runtime.Intrinsics.Vector256.Create(" + _t.Literal(1) + " / _softmaxSum);");
        Range(w, "j", 0, padded, V, unroll, j => w.Line(Store(Load(x, j) + " * scale", x, j)));
    }

    private void SoftmaxExp(SourceWriter w, string x, string u, Index j, string? mask)
    {
        w.Line(VectorType + " e = global::NetCompiler.VectorMath.Exp(" + Load(u, j) + " - shift)" + (mask is null || mask == ";" ? ";" : " & " + mask));
        w.Line(Store("e", x, j));
        w.Line("total += e;");
    }
}
