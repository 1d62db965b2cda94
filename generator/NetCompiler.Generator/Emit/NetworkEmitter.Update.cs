using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    private void WriteUpdate(SourceWriter w)
    {
        int count = _topology.ParameterCount;
        w.Line("/// <summary>The SGD step θ ← θ − η·g, then g ← 0 (ΔW ∝ û·xᵀ with the minus sign of R = −L folded into g).</summary>");
        using (OpenMethod(w, "public void Update(" + T + " learningRate)"))
        {
            w.Line(Ref("p", "_parameters"));
            w.Line(Ref("g", "_gradients"));
            int whole = count / V * V;
            if (_plan.UpdateUnrolled)
            {
                if (whole > 0) w.Line(VectorType + " eta = global::System.Runtime.Intrinsics.Vector256.Create(learningRate);");
                Range(w, "k", 0, whole, V, true, k => UpdateVector(w, Narrow256, k));
            }
            else
            {
                // Vector512 while a whole one is left (where the hardware has it), then Vector256: lane for lane the same.
                w.Line("int k = 0;");
                using (w.Open("if (global::System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)"))
                {
                    w.Line(Wide512.Type + " eta512 = " + Wide512.Class + ".Create(learningRate);");
                    using (w.Open("for (; k <= " + (count - 2 * V) + "; k += " + 2 * V + ")"))
                        UpdateVector(w, Wide512, new Index("k", 0), "eta512");
                }
                w.Line(VectorType + " eta = global::System.Runtime.Intrinsics.Vector256.Create(learningRate);");
                using (w.Open("for (; k < " + whole + "; k += " + V + ")"))
                    UpdateVector(w, Narrow256, new Index("k", 0));
            }
            for (int k = whole; k < count; k++)
            {
                w.Line(At("p", k.ToString()) + " = global::NetCompiler.VectorMath.MultiplyAdd(-learningRate, " + At("g", k.ToString()) + ", " + At("p", k.ToString()) + "); // as a fused lane");
                w.Line(At("g", k.ToString()) + " = 0;");
            }
        }
        w.Line();
    }

    private void UpdateVector(SourceWriter w, Width k, Index i, string eta = "eta")
    {
        w.Line(k.Store(k.MultiplyAddNegated(eta, k.Load("g", i), k.Load("p", i)), "p", i));
        w.Line(k.Store(k.Type + ".Zero", "g", i));
    }

    private void WriteTrainStep(SourceWriter w)
    {
        w.Line("/// <summary>Forward, Backward and Update for one sample; returns its loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + _topology.InputSize + " long or target not " + _topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " TrainStep(global::System.ReadOnlySpan<" + T + "> input, global::System.ReadOnlySpan<" + T + "> target, " + T + " learningRate)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (target.Length != OutputSize) ThrowLength(nameof(target), OutputSize, target.Length);");
            if (_plan.TrainStep == TrainStepKind.Register)
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
            if (_plan.TrainStep == TrainStepKind.Fused)
            {
                w.Line("// Backward and Update in one pass: each layer's θ takes its SGD step as soon as its gradient is known, so W and g");
                w.Line("// are read once and W written once (Backward then Update stream them six times). The results are Backward's and");
                w.Line("// Update's to the bit, gradients an earlier Backward left in g included; g is left at 0.");
                BackwardBody(w, fused: true);
                w.Line("return loss;");
                return;
            }
            w.Line(T + " loss = Backward(target);");
            w.Line("Update(learningRate);");
            w.Line("return loss;");
        }
        w.Line();
    }
}
