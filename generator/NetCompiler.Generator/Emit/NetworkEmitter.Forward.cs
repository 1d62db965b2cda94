using System;
using System.Linq;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    /// <summary>Rows of W dotted with x at once in the forward pass: each load of x feeds this many FMAs.</summary>
    private const int RowGroup = 4;

    private void WriteForward(SourceWriter w)
    {
        w.Line("/// <summary>The forward pass u^l = W^l·x^(l−1) + b^l, x^l = f(u^l) for l = 1…" + L + "; writes x" + Sup(L) + " to <paramref name=\"output\"/>.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + _topology.InputSize + " long or output not " + _topology.OutputSize + ".</exception>");
        using (w.Open("public void Forward(global::System.ReadOnlySpan<" + T + "> input, global::System.Span<" + T + "> output)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (output.Length != OutputSize) ThrowLength(nameof(output), OutputSize, output.Length);");
            w.Line("ForwardCore(input);");
            w.Line("new global::System.ReadOnlySpan<" + T + ">(_x" + Output.Number + ", 0, OutputSize).CopyTo(output);");
        }
        w.Line();

        var cost = new CostModel();
        w.Line("// x⁰ is copied in because the backward pass needs it for ΔW¹ ∝ û¹·(x⁰)ᵀ (and so input may alias output).");
        using (w.Open("private void ForwardCore(global::System.ReadOnlySpan<" + T + "> input)"))
        {
            w.Line("input.CopyTo(_x0);");
            w.Line(Ref("p", "_parameters"));
            w.Line(Ref("x0", "_x0"));
            foreach (LayerShape layer in _layers)
            {
                w.Line();
                int l = layer.Number;
                bool softmax = layer.Activation == Activation.Softmax;
                w.Line(Ref("x" + l, "_x" + l));
                if (softmax) w.Line(Ref("u" + l, "_u" + l));
                // A layer whose outputs fit in one vector keeps u in registers and stores x once: storing u lane by
                // lane and loading it back as a vector would stall on store forwarding.
                bool inRegister = !softmax && layer.Outputs <= V;
                string target = softmax ? "u" + l : "x" + l;
                Func<Index, string> destination = inRegister ? i => "u" + l + "_" + i.Offset : i => At(target, i.ToString());
                w.Line("// Layer " + l + ": u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + layer.Inputs + " → " + layer.Outputs + "]" +
                       (softmax ? "" : inRegister ? ", in registers" : ", computed in place of x" + Sup(l)));
                if (inRegister)
                    w.Line(T + " " + string.Join(", ", Enumerable.Range(0, layer.Outputs).Select(i => "u" + l + "_" + i)) + "; // u" + Sup(l) + "_i");
                if (layer.Inputs >= V) DenseForwardVector(w, layer, destination, inRegister, cost);
                else DenseForwardScalar(w, layer, destination, inRegister, cost);
                if (inRegister) ActivationInRegister(w, layer);
                else ActivationForward(w, layer, cost);
            }
            if (Trainable) w.Line("_hasForward = true;");
        }
        w.Line();
    }

    /// <summary>u = W·x + b with rows dotted against x a vector at a time; a row's last partial vector overlaps the one before it, masked.</summary>
    private void DenseForwardVector(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool inRegister, CostModel cost)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V, vectors = whole + (tail > 0 ? 1 : 0);
        bool unrollColumns = CostModel.UnrollRow(vectors);
        // Outputs in registers need their rows written out; there are at most a vector's worth of them.
        bool unrollRows = inRegister || (unrollColumns && cost.TryUnrollVectorKernel(m, vectors));
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
        for (int r = 0; r < rows; r++)
        {
            w.Line("ref " + T + " w" + r + " = ref " + At("p", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
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
        for (int r = 0; r < rows; r++)
            w.Line(destination(i.Plus(r)) + " = global::System.Runtime.Intrinsics.Vector256.Sum(sum" + r + ") + " + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    /// <summary>u = W·x + b for inputs narrower than a vector: scalar multiply-adds with x held in locals.</summary>
    private void DenseForwardScalar(SourceWriter w, LayerShape layer, Func<Index, string> destination, bool inRegister, CostModel cost)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        bool unroll = inRegister || cost.TryUnrollScalarKernel(m, n);
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
    private void ActivationForward(SourceWriter w, LayerShape layer, CostModel cost)
    {
        int l = layer.Number, m = layer.Outputs, padded = _t.Padded(m);
        string x = "x" + l;
        bool unroll = cost.TryUnrollElementwise(padded / V);
        switch (layer.Activation)
        {
            case Activation.Identity:
                w.Line("// x" + Sup(l) + " = u" + Sup(l) + ": identity, nothing to do.");
                return;
            case Activation.Softmax:
                SoftmaxForward(w, layer, unroll);
                return;
        }
        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + ", in place.");
        Range(w, "j", 0, padded, V, unroll, j =>
        {
            w.Line(VectorType + " u = " + Load(x, j) + ";");
            w.Line(Store(VectorFunction(layer.Activation, "u"), x, j));
        }, scopeEach: true);
    }

    /// <summary>x = f(u) for a layer whose u is in locals u1_0…: one vector made from them, f applied, one store.</summary>
    private void ActivationInRegister(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs;
        w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + (m < V ? "; the padding lanes hold f(0)" : "") + ".");
        w.Line(Store(VectorFunction(layer.Activation, VectorOfLanes(i => i < m ? "u" + l + "_" + i : _t.Literal(0))), "x" + l, 0));
    }

    private string VectorFunction(Activation activation, string u) => activation switch
    {
        Activation.Sigmoid => "global::NetCompiler.VectorMath.Sigmoid(" + u + ")",
        Activation.Tanh => "global::NetCompiler.VectorMath.Tanh(" + u + ")",
        Activation.ReLU => "global::System.Runtime.Intrinsics.Vector256.Max(" + u + ", " + VectorType + ".Zero)",
        Activation.LeakyReLU => "global::System.Runtime.Intrinsics.Vector256.ConditionalSelect(global::System.Runtime.Intrinsics.Vector256.GreaterThan(" + u + ", " + VectorType + ".Zero), " + u + ", " + u + " * " + _t.Literal(NetworkTopology.LeakyReLUSlope) + ")",
        _ => u,
    };

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
