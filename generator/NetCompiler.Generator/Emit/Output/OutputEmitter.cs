// The output layer and the loss: the softmax (shifted by max u), L and û^L = ∂R/∂u^L for squared error and for
// cross-entropy over a softmax, per sample and over a chunk.

namespace NetCompiler.Generator.Emit;

internal sealed class OutputEmitter : EmitterBase
{
    public OutputEmitter(EmitContext context) : base(context) { }

    /// <summary>L and û^L: x̂^L = ∂R/∂x^L = d − x^L, then û^L = f'(u^L)·x̂^L (for softmax with cross-entropy, û^L = d − x^L).</summary>
    internal void OutputSensitivity(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number;
        string x = "x" + l, s = "s" + l;
        w.Line(T + " loss = 0;");
        if (Model.Loss == LossFunction.CrossEntropy)
        {
            w.Line("// L = −Σ d·log x" + Sup(l) + " with log x" + Sup(l) + " = u" + Sup(l) + " − log Σ e^u (stable: the shift and sum kept by the forward pass);");
            w.Line("// û" + Sup(l) + " = ∂R/∂u" + Sup(l) + " = d − (Σd)·x" + Sup(l) + ": the softmax and the cross-entropy together (d − x for a one-hot d).");
            w.Line(Ref("u" + l, "_u" + l));
            w.Line(T + " logPartition = _softmaxMax + " + Element.Math + ".Log(_softmaxSum);");
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
            string target = VectorOfLanes(i => i < m ? At("d", i.ToString()) : Element.Literal(0));
            w.Line(VectorType + " error = " + (m < V ? "(" + target + " - " + Load(x, 0) + ") & " + Element.MaskFirst(m) + "; // the padding lanes of x hold f(0)" : target + " - " + Load(x, 0) + ";"));
            w.Line(Store("error", s, 0));
            w.Line("loss = " + Element.Literal(0.5) + " * Simd::Vector256.Sum(error * error);");
        }
        else
        {
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(T + " error = " + At("d", "i") + " - " + At(x, "i") + ";");
                w.Line("loss += error * error;");
                w.Line(At(s, "i") + " = error;");
            }
            w.Line("loss *= " + Element.Literal(0.5) + ";");
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

    /// <summary>x = softmax(u) per sample, as SoftmaxForward does it; keeps log Σ e^u per sample.</summary>
    internal void SoftmaxBatch(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, padded = Element.Padded(m), last = padded - V, realInLast = m - last;
        w.Line(Ref("xOut", "_batchX" + l));
        w.Line(Ref("logPartition", "_batchLogPartition"));
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + ") per sample: subtract max(u) so that no exponent overflows.");
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + padded + ");");
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref xOut, b * " + padded + ");");
            w.Line(T + " max = " + At("ub", "0") + ";");
            using (w.Open("for (int i = 1; i < " + m + "; i++)"))
                w.Line("if (" + At("ub", "i") + " > max) max = " + At("ub", "i") + ";");
            w.Line(VectorType + " shift = Simd::Vector256.Create(max), total = " + VectorType + ".Zero;");
            if (last > 0)
                using (w.Open("for (int j = 0; j < " + last + "; j += " + V + ")"))
                    SoftmaxExp(w, "xb", "ub", new Index("j", 0), null);
            using (w.Open())
                SoftmaxExp(w, "xb", "ub", last, realInLast < V ? Element.MaskFirst(realInLast) + "; // the padding lanes stay 0" : ";");
            w.Line(T + " sumExp = Simd::Vector256.Sum(total);");
            w.Line(At("logPartition", "b") + " = max + " + Element.Math + ".Log(sumExp);");
            w.Line(VectorType + " scale = Simd::Vector256.Create(" + Element.Literal(1) + " / sumExp);");
            using (w.Open("for (int j = 0; j < " + padded + "; j += " + V + ")"))
                w.Line(Store(Load("xb", new Index("j", 0)) + " * scale", "xb", new Index("j", 0)));
        }
    }

    /// <summary>The loss of each sample and û^L, as OutputSensitivity does it per sample; returns the summed loss.</summary>
    internal void WriteBackwardBatchOutput(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number, stride = Element.Padded(m);
        w.Line("// The chunk's loss and û" + Sup(l) + ", sample by sample; then f' over the whole chunk.");
        using (OpenMethod(w, "private " + T + " BackwardBatchOutput(global::System.ReadOnlySpan<" + T + "> targets, int count)"))
        {
            w.Line("ref " + T + " d = ref Interop::MemoryMarshal.GetReference(targets);");
            w.Line(Ref("x", "_batchX" + l));
            w.Line(Ref("s", "_batchS" + l));
            if (Model.Loss == LossFunction.CrossEntropy) w.Line(Ref("logPartition", "_batchLogPartition"));
            w.Line(T + " loss = 0;");
            using (w.Open("for (int b = 0; b < count; b++)"))
            {
                w.Line("ref " + T + " db = ref " + UnsafeAdd + "(ref d, b * " + m + ");");
                w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + stride + ");");
                w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + stride + ");");
                if (Model.Loss == LossFunction.CrossEntropy)
                {
                    w.Line(T + " logZ = " + At("logPartition", "b") + ", targetSum = 0, sampleLoss = 0;");
                    w.Line(Ref("u", "_batchU" + l));
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + stride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(T + " di = " + At("db", "i") + ";");
                        w.Line("targetSum += di;");
                        w.Line("if (di != 0) sampleLoss -= di * (" + At("ub", "i") + " - logZ);");
                    }
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                        w.Line(At("sb", "i") + " = " + At("db", "i") + " - targetSum * " + At("xb", "i") + ";");
                    w.Line("loss += sampleLoss;");
                }
                else
                    SquaredErrorBatchSample(w, m);
            }
            if (!SoftmaxOutput) ActivationBackwardBatch(w, Output, "x", "s");
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>The squared error of sample b and its x̂ (for a softmax output, û through the softmax's Jacobian).</summary>
    private void SquaredErrorBatchSample(SourceWriter w, int m)
    {
        w.Line(T + " sampleLoss = 0;");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line(T + " error = " + At("db", "i") + " - " + At("xb", "i") + ";");
            w.Line("sampleLoss += error * error;");
            w.Line(At("sb", "i") + " = error;");
        }
        w.Line("loss += " + Element.Literal(0.5) + " * sampleLoss;");
        if (SoftmaxOutput)
        {
            w.Line(T + " dot = 0;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line("dot += " + At("xb", "i") + " * " + At("sb", "i") + ";");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At("sb", "i") + " = " + At("xb", "i") + " * (" + At("sb", "i") + " - dot);");
        }
    }

    internal void SoftmaxForward(SourceWriter w, LayerShape layer, bool unroll)
    {
        int l = layer.Number, m = layer.Outputs, padded = Element.Padded(m), last = padded - V, realInLast = m - last;
        string x = "x" + l, u = "u" + l;
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + "): subtract max(u) so that no exponent overflows.");
        w.Line(T + " max = " + At(u, "0") + ";");
        using (w.Open("for (int i = 1; i < " + m + "; i++)"))
            w.Line("if (" + At(u, "i") + " > max) max = " + At(u, "i") + ";");
        w.Line(VectorType + " shift = Simd::Vector256.Create(max), total = " + VectorType + ".Zero;");
        Range(w, "j", 0, last, V, unroll, j => SoftmaxExp(w, x, u, j, null), scopeEach: true);
        using (w.Open())
            SoftmaxExp(w, x, u, last, realInLast < V ? Element.MaskFirst(realInLast) + "; // the padding lanes stay 0" : ";");
        w.Line("_softmaxMax = max;");
        w.Line("_softmaxSum = Simd::Vector256.Sum(total);");
        w.Line(VectorType + " scale = Simd::Vector256.Create(" + Element.Literal(1) + " / _softmaxSum);");
        Range(w, "j", 0, padded, V, unroll, j => w.Line(Store(Load(x, j) + " * scale", x, j)));
    }

    private void SoftmaxExp(SourceWriter w, string x, string u, Index j, string? mask)
    {
        w.Line(VectorType + " e = Nc::VectorMath.Exp(" + Load(u, j) + " - shift)" + (mask is null || mask == ";" ? ";" : " & " + mask));
        w.Line(Store("e", x, j));
        w.Line("total += e;");
    }

    /// <summary>
    /// In BackwardLanes: L summed over the count samples and û^L in lanes, as OutputSensitivity gives them per sample
    /// (d in _lanesD, 0 in the lanes of absent samples, whose û is 0 so that they add nothing to any gradient).
    /// </summary>
    internal void WriteLanesOutputSensitivity(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number;
        string type = Lanes512.Type;
        w.Line(LanesRef("xo", l));
        w.Line(LanesSensitivityRef("so", l));
        w.Line("ref " + T + " d = ref AlignedStart(_lanesD);");
        w.Line(type + " losses = " + type + ".Zero;");
        if (Model.Loss == LossFunction.CrossEntropy)
        {
            w.Line("// L = −Σ d·log x" + Sup(l) + " = Σ d·(log Σ e^u − u" + Sup(l) + "), per lane; û" + Sup(l) + " = d − (Σd)·x" + Sup(l) + ".");
            w.Line("ref " + T + " u = ref AlignedStart(_lanesU);");
            w.Line(type + " logZ = " + Lanes512.Load("AlignedStart(_lanesLogZ)", "0") + ", targetSum = " + type + ".Zero;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(type + " di = " + LanesLoad("d", "i") + ";");
                w.Line("targetSum += di;");
                w.Line("losses += di * (logZ - " + LanesLoad("u", "i") + ");");
            }
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(Lanes512.Store(LanesLoad("d", "i") + " - targetSum * " + LanesLoad("xo", "i"), "so", LanesAt("i")));
            w.Line("return Simd::Vector512.Sum(losses);");
            return;
        }
        w.Line("// x̂" + Sup(l) + " = d − x" + Sup(l) + " in the lanes of the count samples (0 in the others), L = ½Σ(d − x)².");
        w.Line(type + " valid = Simd::Vector512.AsSingle(Simd::Vector512.LessThan(Simd::Vector512.Create(" + string.Join(", ", Enumerable.Range(0, LaneSamples)) + "), Simd::Vector512.Create(count)));");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line(type + " error = (" + LanesLoad("d", "i") + " - " + LanesLoad("xo", "i") + ") & valid;");
            w.Line("losses += error * error;");
            w.Line(Lanes512.Store("error", "so", LanesAt("i")));
        }
        if (SoftmaxOutput)
        {
            w.Line("// û" + Sup(l) + " = x ⊙ (x̂ − x·x̂) for the softmax.");
            w.Line(type + " dot = " + type + ".Zero;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line("dot += " + LanesLoad("xo", "i") + " * " + LanesLoad("so", "i") + ";");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(Lanes512.Store(LanesLoad("xo", "i") + " * (" + LanesLoad("so", "i") + " - dot)", "so", LanesAt("i")));
        }
        else if (Output.Activation != Activation.Identity)
        {
            w.Line("// û" + Sup(l) + " = f'(u" + Sup(l) + ")·x̂" + Sup(l) + ", " + ActivationCode.Of(Output.Activation).DerivativeText + ".");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line(type + " x = " + LanesLoad("xo", "i") + ", hat = " + LanesLoad("so", "i") + ";");
                w.Line(Lanes512.Store(ActivationCode.Of(Output.Activation).DerivativeTimes(Lanes512, Element, "x", "hat") ?? "hat", "so", LanesAt("i")));
            }
        }
        w.Line("return " + Element.Literal(0.5) + " * Simd::Vector512.Sum(losses);");
    }
}
