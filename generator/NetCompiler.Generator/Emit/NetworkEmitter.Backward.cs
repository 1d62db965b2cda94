using System.Linq;
using System.Collections.Generic;
using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    private void WriteBackward(SourceWriter w)
    {
        w.Line("/// <summary>");
        w.Line("/// After Forward: the loss L and the backward pass, adding ∂L/∂θ to Gradients (+=) so that a minibatch is");
        w.Line("/// B Forward/Backward pairs and one Update. Returns L.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">target is not " + _topology.OutputSize + " long.</exception>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No forward pass has run.</exception>");
        using (OpenMethod(w, "public " + T + " Backward(global::System.ReadOnlySpan<" + T + "> target)"))
        {
            w.Line("if (target.Length != OutputSize) ThrowLength(nameof(target), OutputSize, target.Length);");
            w.Line("if (!_hasForward) throw new global::System.InvalidOperationException(\"Backward needs a forward pass first: call Forward or TrainStep.\");");
            if (_plan.RegisterChain)
            {
                RegisterBackward(w, fusedUpdate: false, forwardInScope: false);
                w.Line("return loss;");
                return;
            }
            BackwardBody(w, fused: false);
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>
    /// The backward pass from <c>target</c>: declares <c>loss</c>. With <paramref name="fused"/> (TrainStep), each layer's
    /// SGD step is folded into its gradient pass, θ ← θ − η·(g − û·xᵀ) with <c>learningRate</c>, and g is cleared: what
    /// Backward then Update compute, operation for operation, with W and g read once and W written once.
    /// </summary>
    private void BackwardBody(SourceWriter w, bool fused)
    {
        w.Line(Ref("p", "_parameters"));
        w.Line(Ref("g", "_gradients"));
        w.Line("ref " + T + " d = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(target);");
        for (int l = 0; l <= L; l++) w.Line(Ref("x" + l, "_x" + l));
        foreach (LayerShape layer in _layers) w.Line(Ref("s" + layer.Number, "_s" + layer.Number));
        w.Line();
        OutputSensitivity(w);
        if (fused) w.Line(VectorType + " eta = global::System.Runtime.Intrinsics.Vector256.Create(learningRate);");
        for (int l = L; l >= 1; l--)
        {
            LayerShape layer = _layers[l - 1];
            w.Line();
            if (fused)
                w.Line("// Layer " + l + ": g" + Sup(l) + " − û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ is Backward's gradient (g holds what an earlier Backward left); θ" + Sup(l) + " ← θ" + Sup(l) + " − η·that, g ← 0" +
                       (l > 1 ? "; x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " with W" + Sup(l) + " before its step" : "; x̂⁰ is not needed"));
            else
                w.Line("// Layer " + l + ": g_b" + Sup(l) + " += −û" + Sup(l) + ", g_W" + Sup(l) + " += −û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ (ΔW ∝ û·xᵀ)" +
                       (l > 1 ? ", x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) : "; x̂⁰ is not needed"));
            using (w.Open())
            {
                if (fused) FusedBiasStep(w, layer);
                else BiasGradient(w, layer);
                LayerPlan plan = PlanOf(layer);
                switch (plan.Backward)
                {
                    case BackwardKernel.StreamedRows:
                        using (w.Open()) StreamBackward(w, layer, fused);
                        break;
                    case BackwardKernel.ColumnBlocks:
                        DenseBackwardVector(w, layer, plan.BackwardUnrolled, fused);
                        break;
                    default:
                        DenseBackwardScalar(w, layer, plan.BackwardUnrolled);
                        break;
                }
            }
            if (l > 1) ActivationBackward(w, _layers[l - 2]);
        }
    }

    /// <summary>L and û^L: x̂^L = ∂R/∂x^L = d − x^L, then û^L = f'(u^L)·x̂^L (for softmax with cross-entropy, û^L = d − x^L).</summary>
    private void OutputSensitivity(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number;
        string x = "x" + l, s = "s" + l;
        w.Line(T + " loss = 0;");
        if (_model.Loss == LossFunction.CrossEntropy)
        {
            w.Line("// L = −Σ d·log x" + Sup(l) + " with log x" + Sup(l) + " = u" + Sup(l) + " − log Σ e^u (stable: the shift and sum kept by the forward pass);");
            w.Line("// û" + Sup(l) + " = ∂R/∂u" + Sup(l) + " = d − (Σd)·x" + Sup(l) + ": the softmax and the cross-entropy together (d − x for a one-hot d).");
            w.Line(Ref("u" + l, "_u" + l));
            w.Line(T + " logPartition = _softmaxMax + " + _t.Math + ".Log(_softmaxSum);");
            w.Line(T + " targetSum = 0;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(T + " di = " + At("d", "i") + ";");
                w.Line("targetSum += di;");
                w.Line("if (di != 0) loss -= di * (" + At("u" + l, "i") + " - logPartition);");
            }
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At(s, "i") + " = " + At("d", "i") + " - targetSum * " + At(x, "i") + ";");
            return;
        }

        w.Line("// x̂" + Sup(l) + " = ∂R/∂x" + Sup(l) + " = d − x" + Sup(l) + ", with R = −½Σ(d − x)² = −L.");
        if (m <= V)
        {
            // One vector: x̂ is stored whole, so the vector load of f'·x̂ below is forwarded from that store.
            string target = VectorOfLanes(i => i < m ? At("d", i.ToString()) : _t.Literal(0));
            w.Line(VectorType + " error = " + target + " - " + Load(x, 0) + (m < V ? " & " + _t.MaskFirst(m) + "; // the padding lanes of x hold f(0)" : ";"));
            w.Line(Store("error", s, 0));
            w.Line("loss = " + _t.Literal(0.5) + " * global::System.Runtime.Intrinsics.Vector256.Sum(error * error);");
        }
        else
        {
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(T + " error = " + At("d", "i") + " - " + At(x, "i") + ";");
                w.Line("loss += error * error;");
                w.Line(At(s, "i") + " = error;");
            }
            w.Line("loss *= " + _t.Literal(0.5) + ";");
        }
        if (SoftmaxOutput)
        {
            w.Line("// û" + Sup(l) + " = (∂x/∂u)ᵀ·x̂" + Sup(l) + " = x ⊙ (x̂ − x·x̂) for the softmax.");
            w.Line(T + " dot = 0;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line("dot += " + At(x, "i") + " * " + At(s, "i") + ";");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At(s, "i") + " = " + At(x, "i") + " * (" + At(s, "i") + " - dot);");
        }
        else
        {
            ActivationBackward(w, Output);
        }
    }

    /// <summary>û = f'(u)·x̂ in place over whole vectors, with f' taken from x = f(u); written out as the plan says.</summary>
    private void ActivationBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, padded = _t.Padded(layer.Outputs);
        string x = "x" + l, s = "s" + l;
        w.Line("// û" + Sup(l) + " = f'(u" + Sup(l) + ")·x̂" + Sup(l) + ", " + ActivationCode.Of(layer.Activation).DerivativeText + (layer.Activation == Activation.Identity ? ": û = x̂ already." : "."));
        if (layer.Activation == Activation.Identity) return;
        Range(w, "j", 0, padded, V, PlanOf(layer).ActivationBackwardUnrolled, j =>
        {
            w.Line(VectorType + " x = " + Load(x, j) + ";");
            w.Line(Store(DerivativeTimes(layer.Activation, "x", Load(s, j)), s, j));
        }, scopeEach: true);
    }

    /// <summary>g_b += −û over the layer's biases: whole vectors, then the last few as scalars.</summary>
    private void BiasGradient(SourceWriter w, LayerShape layer)
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
    private void DenseBackwardVector(SourceWriter w, LayerShape layer, bool unrollRows, bool fused)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        int whole = n / V, tail = n % V;
        bool needInputSensitivity = l > 1;

        // Columns as vectors: the whole ones, then the overlapping tail.
        var columns = new List<int>();
        for (int k = 0; k < whole; k++) columns.Add(k * V);
        if (tail > 0) columns.Add(n - V);

        int fullBlocks = whole / ColumnBlock; // blocks of ColumnBlock whole vectors: one loop body serves them all
        int vectors = columns.Count;
        bool unrollBlocks = unrollRows || fullBlocks <= 1;
        w.Line("// " + (unrollRows ? "Written out: " + m * vectors + " vector updates." : "Loops: " + m * vectors + " vector updates are too many to write out.") +
               " Blocks of " + ColumnBlock + " column vectors keep x" + Sup(l - 1) + (needInputSensitivity ? " and x̂" + Sup(l - 1) : "") + " in registers.");
        Range(w, "j", 0, fullBlocks * ColumnBlock * V, ColumnBlock * V, unrollBlocks, j =>
        {
            var block = new List<(Index Offset, bool Tail)>();
            for (int k = 0; k < ColumnBlock; k++) block.Add((j.Plus(k * V), false));
            ColumnBlockBackward(w, layer, block, unrollRows, needInputSensitivity, tail, fused);
        }, scopeEach: true);

        var rest = new List<(Index Offset, bool Tail)>();
        for (int c = fullBlocks * ColumnBlock; c < columns.Count; c++)
            rest.Add((columns[c], tail > 0 && c == columns.Count - 1));
        for (int start = 0; start < rest.Count; start += ColumnBlock)
            using (w.Open())
                ColumnBlockBackward(w, layer, rest.GetRange(start, System.Math.Min(ColumnBlock, rest.Count - start)), unrollRows, needInputSensitivity, tail, fused);
    }

    private void ColumnBlockBackward(SourceWriter w, LayerShape layer, List<(Index Offset, bool Tail)> block, bool unrollRows, bool needInputSensitivity, int tail, bool fused)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        string x = "x" + (l - 1), s = "s" + l, sIn = "s" + (l - 1);
        for (int k = 0; k < block.Count; k++)
        {
            w.Line(VectorType + " x_" + k + " = " + Load(x, block[k].Offset) + (block[k].Tail ? " & " + _t.MaskLast(tail) : "") + ";");
            if (needInputSensitivity) w.Line(VectorType + " xHat_" + k + " = " + VectorType + ".Zero;");
        }
        Range(w, "i", 0, m, 1, unrollRows, i =>
        {
            w.Line(VectorType + " uHat = global::System.Runtime.Intrinsics.Vector256.Create(" + At(s, i.ToString()) + ");");
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
                            w.Line("xHat_" + k + " = global::NetCompiler.VectorMath.MultiplyAdd(wOld, uHat, xHat_" + k + ");");
                        w.Line(Store("global::NetCompiler.VectorMath.MultiplyAddNegated(eta, global::NetCompiler.VectorMath.MultiplyAddNegated(uHat, x_" + k + ", gOld), wOld)", "wRow", c));
                        w.Line("if (" + NonZeroBits(Narrow256, "gOld") + ") " + Store(VectorType + ".Zero", "gRow", c));
                    }
                    continue;
                }
                w.Line(Store("global::NetCompiler.VectorMath.MultiplyAddNegated(uHat, x_" + k + ", " + Load("gRow", c) + ")", "gRow", c));
                if (needInputSensitivity)
                    w.Line("xHat_" + k + " = global::NetCompiler.VectorMath.MultiplyAdd(" + Load("wRow", c) + ", uHat, xHat_" + k + ");");
            }
        }, scopeEach: true);
        if (!needInputSensitivity) return;
        for (int k = 0; k < block.Count; k++)
        {
            Index c = block[k].Offset;
            if (block[k].Tail)
                w.Line(Store("global::System.Runtime.Intrinsics.Vector256.ConditionalSelect(" + _t.MaskLast(tail) + ", xHat_" + k + ", " + Load(sIn, c) + ")", sIn, c));
            else
                w.Line(Store("xHat_" + k, sIn, c));
        }
    }

    /// <summary>The same for inputs narrower than a vector, in scalars: x and x̂ in locals.</summary>
    private void DenseBackwardScalar(SourceWriter w, LayerShape layer, bool unroll)
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
                w.Line(Store(VectorOfLanes(j => j < n ? "inHat" + j : _t.Literal(0)), "s" + (l - 1), 0));
        }
    }
}
