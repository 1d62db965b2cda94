// The register chain's backward pass: û and x̂ handed from layer to layer in registers, and TrainStep's SGD step
// folded in as each layer's gradient is known (each layer's x̂ from W before its step).

namespace NetCompiler.Generator.Emit;

internal sealed partial class RegisterChainEmitter
{
    /// <summary>
    /// The backward pass from the loss to g (or, with <paramref name="fusedUpdate"/>, straight into θ with the SGD
    /// step, g left at 0); declares <c>loss</c>. Needs <c>target</c> and, fused, <c>learningRate</c> in scope.
    /// </summary>
    /// <param name="forwardInScope">Whether RegisterForward was written just before in the same method: then p, x0…xL, a0…aL (x^l in registers) and xr_l are in scope.</param>
    internal void RegisterBackward(SourceWriter w, bool fusedUpdate, bool forwardInScope)
    {
        _activityInRegister = forwardInScope;
        if (!forwardInScope)
        {
            w.Line(ThetaRef("p"));
            for (int l = 0; l <= L; l++) w.Line(Ref("x" + l, "_x" + l));
        }
        w.Line(Ref("g", "_gradients"));
        w.Line("ref " + T + " d = ref Interop::MemoryMarshal.GetReference(target);");
        foreach (LayerShape layer in Layers) w.Line(Ref("s" + layer.Number, "_s" + layer.Number));
        if (fusedUpdate) w.Line(VectorType + " eta = Simd::Vector256.Create(learningRate);");
        w.Line();

        int m = Output.Outputs;
        string target = m == V ? Load("d", 0) : VectorOfLanes(i => i < m ? At("d", i.ToString()) : Element.Literal(0));
        w.Line("// x̂" + Sup(L) + " = ∂R/∂x" + Sup(L) + " = d − x" + Sup(L) + ", with R = −½Σ(d − x)² = −L; û" + Sup(L) + " = f'(u" + Sup(L) + ")·x̂" + Sup(L) + ".");
        w.Line(VectorType + " xOut = " + Activity(L) + ";");
        _outputInEveryLane = forwardInScope && m == 1 && Output.Inputs >= V;
        if (_outputInEveryLane)
        {
            // RegisterForward's one output is in every lane: so are x̂ and û, and û needs no broadcast for the layer below.
            w.Line(VectorType + " error = Simd::Vector256.Create(" + At("d", "0") + ") - xOut; // in every lane, as x" + Sup(L));
            w.Line(T + " loss = " + Element.Literal(0.5) + " * Simd::Vector256.ToScalar(error * error);");
        }
        else
        {
            w.Line(VectorType + " error = " + (m < V ? "(" + target + " - xOut) & " + Element.MaskFirst(m) + "; // the padding lanes are not outputs" : target + " - xOut;"));
            w.Line(T + " loss = " + Element.Literal(0.5) + " * Simd::Vector256.Sum(error * error);");
        }
        w.Line(VectorType + " uHat" + L + " = " + DerivativeTimes(Output.Activation, "xOut", "error") + ";");

        for (int l = L; l >= 1; l--)
        {
            LayerShape layer = Layers[l - 1];
            int n = layer.Inputs;
            w.Line();
            w.Line("// Layer " + l + ": " + (l > 1 ? "x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " (before W" + Sup(l) + " changes), " : "") +
                   "g_W" + Sup(l) + " += −û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ, g_b" + Sup(l) + " += −û" + Sup(l) +
                   (fusedUpdate ? "; then θ ← θ − η·g and g ← 0 for W" + Sup(l) + " and b" + Sup(l) + "." : "."));
            w.Line(Store("uHat" + l, "s" + l, 0));
            if (l > 1) w.Line(VectorType + " uHat" + (l - 1) + ";");
            using (w.Open())
            {
                if (n == V) RegisterRows(w, layer, fusedUpdate);
                else RegisterNarrow(w, layer, fusedUpdate);
                RegisterBias(w, layer, fusedUpdate);
            }
        }
    }

    private bool _activityInRegister;

    /// <summary>Whether x^L, x̂^L and û^L hold the network's single output in every lane (RegisterForward's SumToAll layer).</summary>
    private bool _outputInEveryLane;

    /// <summary>x^l as a vector: the forward pass's register a_l when it is in scope, else loaded from its buffer (x⁰ always).</summary>
    private string Activity(int l) => _activityInRegister && (l > 0 || Layers[0].Inputs == V) ? "a" + l : Load("x" + l, 0);

    /// <summary>g_row += −û_i·x for one vector of W (or θ ← θ − η·(g + that), g ← 0).</summary>
    private void RegisterGradient(SourceWriter w, Index offset, string uHatLanes, string x, bool fusedUpdate)
    {
        string gNew = "Nc::VectorMath.MultiplyAddNegated(" + uHatLanes + ", " + x + ", " + Load("g", offset) + ")";
        if (!fusedUpdate)
        {
            w.Line(Store(gNew, "g", offset));
            return;
        }
        using (w.Open())
        {
            w.Line(VectorType + " gradient = " + gNew + ";");
            w.Line(Store("Nc::VectorMath.MultiplyAddNegated(eta, gradient, " + Load("p", offset) + ")", "p", offset));
            w.Line(Store(VectorType + ".Zero", "g", offset));
        }
    }

    /// <summary>A layer of n = V inputs: one vector per row of W.</summary>
    private void RegisterRows(SourceWriter w, LayerShape layer, bool fusedUpdate)
    {
        int l = layer.Number, m = layer.Outputs, n = layer.Inputs;
        for (int i = 0; i < m; i++)
            w.Line(VectorType + " uHat_" + i + " = " + (l == L && _outputInEveryLane ? "uHat" + l : Permute("uHat" + l, _ => i)) + "; // û" + Sup(l) + "_" + i + " in every lane");
        if (l > 1)
        {
            for (int i = 0; i < m; i++)
                w.Line(VectorType + " row" + i + " = " + Load("p", new Index("W" + l, i * n)) + " * uHat_" + i + ";");
            w.Line(VectorType + " xHat = " + SumTree(Enumerable.Range(0, m).Select(i => "row" + i).ToList()) + "; // x̂" + Sup(l - 1) + (m > 2 ? ", the rows summed as a tree" : ""));
            w.Line(VectorType + " x = " + Activity(l - 1) + ";");
            w.Line("uHat" + (l - 1) + " = " + DerivativeTimes(Layers[l - 2].Activation, "x", "xHat") + ";");
        }
        else
        {
            w.Line(VectorType + " x = " + Activity(l - 1) + ";");
        }
        for (int i = 0; i < m; i++)
            RegisterGradient(w, new Index("W" + l, i * n), "uHat_" + i, "x", fusedUpdate);
    }

    /// <summary>A layer of n &lt; V inputs, n dividing V: each vector of W holds V/n rows; û is spread to match (û₀ n times, û₁ n times, …).</summary>
    private void RegisterNarrow(SourceWriter w, LayerShape layer, bool fusedUpdate)
    {
        int l = layer.Number, m = layer.Outputs, n = layer.Inputs, rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// Each vector of W" + Sup(l) + " holds " + rowsPerVector + " rows of " + n + "; x" + Sup(l - 1) + " repeated " + rowsPerVector + " times and û" + Sup(l) + " spread over the rows' lanes line up with it.");
        w.Line(VectorType + " x = " + (_activityInRegister ? "xr" + l : C.Dense.RepeatedInput("x" + (l - 1), n)) + ";");
        for (int k = 0; k < vectors; k++)
        {
            int first = k * rowsPerVector;
            w.Line(VectorType + " uHat_" + k + " = " + Permute("uHat" + l, t => first + t / n) + "; // û" + Sup(l) + "_" + first + "…" + (first + rowsPerVector - 1) + ", each " + n + " times");
        }
        if (l > 1)
        {
            var terms = new List<string>();
            for (int k = 0; k < vectors; k++)
            {
                w.Line(VectorType + " rows" + k + " = " + Load("p", new Index("W" + l, k * V)) + " * uHat_" + k + ";");
                terms.Add("rows" + k);
            }
            w.Line(VectorType + " xHat = " + SumTree(terms) + ";");
            w.Line("// x̂_j sums the lanes j, j + n, j + 2n, …: fold the vector onto its first n lanes.");
            for (int half = V / 2; half >= n; half /= 2)
            {
                int h = half;
                w.Line("xHat += " + Permute("xHat", t => (t + h) % V) + ";");
            }
            w.Line(VectorType + " xIn = " + Activity(l - 1) + ";");
            w.Line("uHat" + (l - 1) + " = " + DerivativeTimes(Layers[l - 2].Activation, "xIn", "(xHat & " + Element.MaskFirst(n) + ")") + ";");
        }
        for (int k = 0; k < vectors; k++)
            RegisterGradient(w, new Index("W" + l, k * V), "uHat_" + k, "x", fusedUpdate);
    }

    /// <summary>g_b += −û (or b ← b − η·(g_b − û), g_b ← 0): a vector when m = V, else lane by lane.</summary>
    private void RegisterBias(SourceWriter w, LayerShape layer, bool fusedUpdate)
    {
        int l = layer.Number, m = layer.Outputs;
        if (m == V)
        {
            Index b = new Index("B" + l, 0);
            if (!fusedUpdate)
            {
                w.Line(Store(Load("g", b) + " - uHat" + l, "g", b));
                return;
            }
            w.Line(VectorType + " biasGradient = " + Load("g", b) + " - uHat" + l + ";");
            w.Line(Store("Nc::VectorMath.MultiplyAddNegated(eta, biasGradient, " + Load("p", b) + ")", "p", b));
            w.Line(Store(VectorType + ".Zero", "g", b));
            return;
        }
        for (int i = 0; i < m; i++)
        {
            string gb = At("g", "B" + l + " + " + i), pb = At("p", "B" + l + " + " + i);
            string lane = "Simd::Vector256.GetElement(uHat" + l + ", " + i + ")";
            if (!fusedUpdate)
            {
                w.Line(gb + " -= " + lane + ";");
                continue;
            }
            using (w.Open())
            {
                w.Line(T + " biasGradient = " + gb + " - " + lane + ";");
                w.Line(pb + " -= learningRate * biasGradient;");
                w.Line(gb + " = 0;");
            }
        }
    }
}
