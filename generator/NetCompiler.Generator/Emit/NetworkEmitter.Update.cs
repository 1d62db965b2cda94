namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    private void WriteUpdate(SourceWriter w)
    {
        int count = _topology.ParameterCount, whole = count / V * V;
        w.Line("/// <summary>The SGD step θ ← θ − η·g, then g ← 0 (ΔW ∝ û·xᵀ with the minus sign of R = −L folded into g).</summary>");
        using (w.Open("public void Update(" + T + " learningRate)"))
        {
            w.Line(Ref("p", "_parameters"));
            w.Line(Ref("g", "_gradients"));
            if (whole > 0)
            {
                w.Line(VectorType + " eta = global::System.Runtime.Intrinsics.Vector256.Create(learningRate);");
                Range(w, "k", 0, whole, V, whole / V <= CostModel.ElementwiseUnrollLimit, k =>
                {
                    w.Line(Store("global::NetCompiler.VectorMath.MultiplyAddNegated(eta, " + Load("g", k) + ", " + Load("p", k) + ")", "p", k));
                    w.Line(Store(VectorType + ".Zero", "g", k));
                });
            }
            for (int k = whole; k < count; k++)
            {
                w.Line(At("p", k.ToString()) + " -= learningRate * " + At("g", k.ToString()) + ";");
                w.Line(At("g", k.ToString()) + " = 0;");
            }
        }
        w.Line();
    }

    private void WriteTrainStep(SourceWriter w)
    {
        w.Line("/// <summary>Forward, Backward and Update for one sample; returns its loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + _topology.InputSize + " long or target not " + _topology.OutputSize + ".</exception>");
        using (w.Open("public " + T + " TrainStep(global::System.ReadOnlySpan<" + T + "> input, global::System.ReadOnlySpan<" + T + "> target, " + T + " learningRate)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (target.Length != OutputSize) ThrowLength(nameof(target), OutputSize, target.Length);");
            if (RegisterChain)
            {
                w.Line("// The forward pass, then the backward pass with the SGD step folded in (each layer's parameters change as soon");
                w.Line("// as their gradient is known), all in one method: x and û stay in registers from layer to layer.");
                RegisterForward(w, toOutput: false);
                w.Line();
                RegisterBackward(w, fusedUpdate: true, forwardInScope: true);
                w.Line("return loss;");
                return;
            }
            w.Line("ForwardCore(input);");
            w.Line(T + " loss = Backward(target);");
            w.Line("Update(learningRate);");
            w.Line("return loss;");
        }
        w.Line();
    }
}
