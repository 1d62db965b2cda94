// A register chain (every layer one vector wide, squared error): the forward pass with x in registers from input to
// output, θ's vectors named once; ForwardBatch runs it per sample with θ held in registers.

namespace NetCompiler.Generator.Emit;

internal sealed partial class RegisterChainEmitter : EmitterBase
{
    public RegisterChainEmitter(EmitContext context) : base(context) { }

    /// <summary>
    /// The forward pass of a register-chain network from <c>input</c>, every x^l in a register from the input to the
    /// output: declares <c>p</c>, <c>x0</c>…<c>xL</c> and <c>a0</c>…<c>aL</c> (x^l as vectors; for a layer of fewer
    /// than V inputs, <c>xr</c>l, x^(l−1) repeated). The stores of x^l to their buffers are for Backward and off the
    /// chain: nothing is loaded back. With <paramref name="toOutput"/>, writes x^L to <c>output</c> from the register.
    /// </summary>
    /// <remarks>
    /// Forward on a tiny network is one dependent chain per call, and consecutive calls overlap only as far as the
    /// out-of-order window reaches: a shorter chain and fewer instructions both count. So x⁰ is read from input (its
    /// copy in _x0 is a side store), u = W·x for n = V inputs is one product per row summed by
    /// <c>VectorMath.RowSums</c> (or, for one output, <c>VectorMath.SumToAll</c> plus b, leaving u in every lane for
    /// the activation), a layer of 2 inputs and V outputs takes W's two columns (a shuffle of the weights, off the
    /// chain) times the broadcast inputs instead of products summed pairwise, and x^L goes to output from its
    /// register. Every sum is added in the order of the batched kernels, so the results agree bit for bit.
    /// </remarks>
    internal void RegisterForward(SourceWriter w, bool toOutput)
    {
        _activityInRegister = true;
        w.Line(ThetaRef("p"));
        RegisterWeights(w, declare: false);
        w.Line(Ref("x0", "_x0"));
        w.Line("ref " + T + " input0 = ref Interop::MemoryMarshal.GetReference(input);");
        if (toOutput) w.Line("ref " + T + " output0 = ref Interop::MemoryMarshal.GetReference(output);");
        RegisterSample(w, "input0", toOutput ? "output0" : null, sideStores: true, forBackward: !toOutput);
    }

    /// <summary>
    /// ForwardBatch of a register-chain network: the per-sample register forward pass in a loop, θ loaded (and W's
    /// columns shuffled) once before it and kept in registers, each sample from its row of inputs to its row of
    /// outputs with no buffer in between. The blocked kernels would store every layer's x for the batch and read it
    /// back; for layers of one vector that is more work than the layer. Consecutive samples are independent chains,
    /// which the out-of-order core overlaps.
    /// </summary>
    /// <remarks>
    /// 8-8-8 at 64 samples: 1.07 µs against 2.3–2.8 µs for the blocked kernels (bench/RESULTS.md, "Register chain").
    /// </remarks>
    internal void RegisterForwardBatch(SourceWriter w)
    {
        w.Line("// Per sample, the forward pass in registers (as Forward, without the stores for Backward); θ loaded once.");
        w.Line(ThetaRef("p"));
        RegisterWeights(w, declare: true);
        w.Line("ref " + T + " inputs0 = ref Interop::MemoryMarshal.GetReference(inputs);");
        w.Line("ref " + T + " outputs0 = ref Interop::MemoryMarshal.GetReference(outputs);");
        using (w.Open("for (int b = 0; b < batch; b++)"))
        {
            w.Line("ref " + T + " input0 = ref " + At("inputs0", "b * InputSize") + ";");
            w.Line("ref " + T + " output0 = ref " + At("outputs0", "b * OutputSize") + ";");
            RegisterSample(w, "input0", "output0", sideStores: false, forBackward: false);
        }
    }

    /// <summary>Whether layer l of a register chain takes W's two columns times the broadcast inputs (n = 2, m = V: W is two vectors).</summary>
    private bool Columns(LayerShape layer) => PlanOf(layer).Forward == ForwardKernel.RegisterColumns;

    /// <summary>
    /// The loads (and, for <see cref="Columns"/>, the shuffles) of θ a register-chain forward pass needs:
    /// <c>w</c>l_k (vector k of W^l: a row for n = V, V/n rows for n &lt; V), <c>c</c>l_j (column j of W^l) and
    /// <c>b</c>l. With <paramref name="declare"/> (ForwardBatch) they are locals before the sample loop and stay in
    /// registers across it; otherwise (one sample) each is written where it is used, so that the JIT folds the load
    /// into the instruction that uses it (one instruction fewer, and no register held from the start). The columns
    /// are locals either way: they are shuffles, and a line reads better with their names.
    /// </summary>
    private void RegisterWeights(SourceWriter w, bool declare)
    {
        _weights.Clear();
        void Define(string name, string expression, string comment, bool always = false)
        {
            if (!declare && !always)
            {
                _weights[name] = expression;
                return;
            }
            w.Line(VectorType + " " + name + " = " + expression + ";" + (comment.Length > 0 ? " // " + comment : ""));
            _weights[name] = name;
        }
        foreach (LayerShape layer in Layers)
        {
            int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
            if (Columns(layer))
            {
                string halves = Load("p", new Index("W" + l, 0)) + ", " + Load("p", new Index("W" + l, V));
                Define("c" + l + "_0", "Nc::VectorMath.EvenLanes(" + halves + ")", "W" + Sup(l) + "_i0, column 0 of W" + Sup(l), always: true);
                Define("c" + l + "_1", "Nc::VectorMath.OddLanes(" + halves + ")", "W" + Sup(l) + "_i1", always: true);
            }
            else
            {
                int vectors = n < V ? m * n / V : m;
                for (int k = 0; k < vectors; k++)
                    Define("w" + l + "_" + k, Load("p", new Index("W" + l, k * V)), k == 0 ? (n < V ? "vector k of W" + Sup(l) + ": rows " + V / n + "k…" : "row i of W" + Sup(l)) : "");
            }
            if (n >= V && m == 1) Define("b" + l, "Simd::Vector256.Create(" + At("p", "B" + l) + ")", "b" + Sup(l) + " in every lane");
            else Define("b" + l, C.Dense.BiasVector(layer, 0), "");
        }
    }

    /// <summary>Name → the local or the expression for each of θ's vectors, from <see cref="RegisterWeights"/>.</summary>
    private readonly Dictionary<string, string> _weights = new();

    private string Weight(string name) => _weights[name];

    /// <summary>
    /// One sample of the register-chain forward pass from <paramref name="input"/> (a ref): declares <c>a0</c>…<c>aL</c>
    /// (and <c>xr</c>l for narrow layers when <paramref name="forBackward"/>); writes x^L to <paramref name="output"/> (a
    /// ref) if given; with <paramref name="sideStores"/>, copies x⁰ to _x0 and stores each x^l in its buffer for Backward.
    /// </summary>
    private void RegisterSample(SourceWriter w, string input, string? output, bool sideStores, bool forBackward)
    {
        int n0 = Layers[0].Inputs;
        bool repeated = n0 < V && (forBackward || !Columns(Layers[0]));
        if (n0 == V || repeated || sideStores)
            w.Line("// x⁰ straight from input into registers" + (sideStores ? "; the copy in _x0 is for the backward pass (ΔW¹ ∝ û¹·(x⁰)ᵀ), off the chain." : "."));
        if (n0 == V) w.Line(VectorType + " a0 = " + Load(input, 0) + "; // x⁰");
        if (repeated)
            w.Line(VectorType + " xr1 = " + C.Dense.RepeatedInput(input, n0) + "; // x⁰ repeated " + V / n0 + " times");
        if (sideStores) w.Line(CopyBlock("x0", input, "InputSize"));
        foreach (LayerShape layer in Layers)
        {
            int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
            w.Line();
            if (sideStores) w.Line(Ref("x" + l, "_x" + l));
            w.Line("// Layer " + l + ": u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + n + " → " + m + "], x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + ".");
            w.Line(VectorType + " u" + l + ";");
            if (n < V && l > 1 && (forBackward || !Columns(layer)))
                w.Line(VectorType + " xr" + l + " = " + Permute("a" + (l - 1), t => t % n) + "; // x" + Sup(l - 1) + " repeated " + V / n + " times");
            using (w.Open())
            {
                if (Columns(layer))
                {
                    w.Line("// u" + Sup(l) + " = W" + Sup(l) + "_·0·x" + Sup(l - 1) + "_0 + W" + Sup(l) + "_·1·x" + Sup(l - 1) + "_1 + b" + Sup(l) + ": the columns times the broadcast inputs (the same sums as adding neighbouring products).");
                    for (int j = 0; j < 2; j++)
                        w.Line(VectorType + " in" + j + " = " + (l == 1 ? "Simd::Vector256.Create(" + At(input, j.ToString()) + ")" : Permute("a" + (l - 1), _ => j)) + "; // x" + Sup(l - 1) + "_" + j + " in every lane");
                    w.Line("u" + l + " = (" + Weight("c" + l + "_0") + " * in0 + " + Weight("c" + l + "_1") + " * in1) + " + Weight("b" + l) + ";");
                }
                else if (n < V)
                {
                    int vectors = m * n / V;
                    w.Line("// Each vector of W" + Sup(l) + " holds " + V / n + " rows of " + n + "; times x" + Sup(l - 1) + " repeated, adding neighbouring lanes " + Log2(n) + " time" + (n == 2 ? "" : "s") + " leaves one u" + Sup(l) + "_i a lane.");
                    var products = new List<string>();
                    for (int k = 0; k < vectors; k++)
                    {
                        w.Line(VectorType + " w" + k + "x = " + Weight("w" + l + "_" + k) + " * xr" + l + ";");
                        products.Add("w" + k + "x");
                    }
                    w.Line("u" + l + " = " + SumRuns(w, products, n, "sum")[0] + " + " + Weight("b" + l) + ";");
                }
                else if (m == 1)
                {
                    w.Line("// One output: W" + Sup(l) + "·x" + Sup(l - 1) + " lane by lane, summed into every lane, plus b" + Sup(l) + ".");
                    w.Line("u" + l + " = Nc::VectorMath.SumToAll(" + Weight("w" + l + "_0") + " * a" + (l - 1) + ") + " + Weight("b" + l) + ";");
                }
                else
                {
                    w.Line("// One product per row of W" + Sup(l) + "; RowSums adds each row's lanes into lane i (horizontal adds, no permutation per level).");
                    for (int i = 0; i < m; i++)
                        w.Line(VectorType + " row" + i + " = " + Weight("w" + l + "_" + i) + " * a" + (l - 1) + ";" + (i == 0 ? " // W" + Sup(l) + "_ij·x" + Sup(l - 1) + "_j for row i" : ""));
                    var rows = Enumerable.Range(0, V).Select(i => i < m ? "row" + i : VectorType + ".Zero");
                    w.Line("u" + l + " = Nc::VectorMath.RowSums(" + string.Join(", ", rows) + ") + " + Weight("b" + l) + ";");
                }
            }
            string padding = m == V ? "" : m == 1 && n >= V ? " (in every lane)" : " (the padding lanes hold f(0))";
            w.Line(VectorType + " a" + l + " = " + VectorFunction(layer.Activation, "u" + l) + "; // x" + Sup(l) + padding);
            if (sideStores) w.Line(Store("a" + l, "x" + l, 0) + " // for Backward");
        }
        if (sideStores && Trainable) w.Line("_hasForward = true;");
        if (output is null) return;
        int mL = Output.Outputs;
        if (mL == V)
        {
            w.Line(Store("a" + L, output, 0) + " // x" + Sup(L) + " from its register");
            return;
        }
        for (int i = 0; i < mL; i++)
            w.Line(At(output, i.ToString()) + " = " + (i == 0 ? "Simd::Vector256.ToScalar(a" + L + ")" : "Simd::Vector256.GetElement(a" + L + ", " + i + ")") + ";" + (i == 0 ? " // x" + Sup(L) + " from its register" : ""));
    }
}
