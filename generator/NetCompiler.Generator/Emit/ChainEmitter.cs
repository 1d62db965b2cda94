// A chain of dense layers: ForwardCore and Backward with every layer's kernel inline in one method (the cost model
// keeps each method under the JIT's limits), and the batched path's per-layer methods over chunks of MaxBatch samples.

namespace NetCompiler.Generator.Emit;

internal sealed class ChainEmitter : EmitterBase, INetworkPath
{
    public ChainEmitter(EmitContext context) : base(context) { }

    public void WriteDescription(SourceWriter w)
    {
        w.Line("// Network, as compiled:");
        w.Line("//   " + OneLine(Topology.ToString()));
        w.Line("//   x⁰: input, " + Num(Topology.InputSize) + " values");
        foreach (LayerShape layer in Layers)
        {
            string l = Sup(layer.Number), prev = Sup(layer.Number - 1);
            w.Line("//   layer " + layer.Number + QuotedName(layer) + ": u" + l + " = W" + l + "·x" + prev + " + b" + l + ", x" + l + " = " + FunctionText(layer.Activation, "u" + l) +
                   "    W" + l + " [" + layer.Outputs + "×" + layer.Inputs + "] at θ[" + layer.WeightOffset + "], b" + l + " at θ[" + layer.BiasOffset + "]");
        }
        WriteLossAndCost(w);
    }

    public void WriteConstantsAndBuffers(SourceWriter w)
    {
        WriteSizeConstants(w, "n⁰: the number of inputs.", "n" + Sup(L) + ": the number of outputs.", "The number of weights and biases (the length of Parameters).");
        w.Line("// Offsets in θ: for each layer, W row-major [outputs, inputs] (W_ij from input j to output i), then b.");
        foreach (LayerShape layer in Layers)
            w.Line("private const int W" + layer.Number + " = " + layer.WeightOffset + ", B" + layer.Number + " = " + layer.BiasOffset + ";");
        w.Line();
        WriteTopologyProperty(w);
        w.Line();
        C.Network.WriteWeightsField(w);
        w.Line("// Every buffer below starts at AlignedStart of a pinned array, on a 64-byte boundary, as θ does: a Vector512 load or");
        w.Line("// store on them never straddles two cache lines.");
        if (Trainable) AlignedField(w, "_gradients", "ParameterCount");
        w.Line("// x⁰…x" + Sup(L) + ", padded to whole vectors of " + V + ".");
        AlignedField(w, "_x0", Element.Padded(Topology.InputSize).ToString(CultureInfo.InvariantCulture));
        foreach (LayerShape layer in Layers)
            AlignedField(w, "_x" + layer.Number, Element.Padded(layer.Outputs).ToString(CultureInfo.InvariantCulture));
        if (SoftmaxOutput)
        {
            w.Line("// u" + Sup(L) + " and the softmax's shift and normaliser, kept for a stable log-softmax in the loss.");
            AlignedField(w, "_u" + L, Element.Padded(Output.Outputs).ToString(CultureInfo.InvariantCulture));
            w.Line("private " + T + " _softmaxMax, _softmaxSum;");
        }
        if (Trainable)
        {
            w.Line("// û¹…û" + Sup(L) + " = ∂R/∂u (each first holds x̂ = ∂R/∂x on the way back), padded like the activities.");
            foreach (LayerShape layer in Layers)
                AlignedField(w, "_s" + layer.Number, Element.Padded(layer.Outputs).ToString(CultureInfo.InvariantCulture));
        }
        if (Trainable) w.Line("private bool _hasForward; // Backward needs a forward pass to work from");
        w.Line();
        WriteBatchBuffers(w);
    }

    /// <summary>
    /// A field holding a pinned buffer of <paramref name="length"/> elements that starts 64-byte aligned (AlignedBuffer),
    /// registered so that every ref to it goes through AlignedStart. Vector512 loads and stores on these buffers then
    /// never straddle two cache lines; a straddling store costs about two.
    /// </summary>
    private void AlignedField(SourceWriter w, string name, string length)
    {
        w.Line("private readonly " + T + "[] " + name + " = AlignedBuffer(" + length + ");");
    }

    public void WriteBackward(SourceWriter w)
    {
        using (OpenBackward(w, "After Forward: the loss L and the backward pass, adding ∂L/∂θ to Gradients (+=) so that a minibatch is", "B Forward/Backward pairs and one Update. Returns L."))
        {
            if (Plan.RegisterChain)
            {
                C.RegisterChain.RegisterBackward(w, fusedUpdate: false, forwardInScope: false);
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
    internal void BackwardBody(SourceWriter w, bool fused)
    {
        w.Line(ThetaRef("p"));
        w.Line(Ref("g", "_gradients"));
        w.Line("ref " + T + " d = ref Interop::MemoryMarshal.GetReference(target);");
        for (int l = 0; l <= L; l++) w.Line(Ref("x" + l, "_x" + l));
        foreach (LayerShape layer in Layers) w.Line(Ref("s" + layer.Number, "_s" + layer.Number));
        w.Line();
        C.Output.OutputSensitivity(w);
        if (fused) w.Line(VectorType + " eta = Simd::Vector256.Create(learningRate);");
        for (int l = L; l >= 1; l--)
        {
            LayerShape layer = Layers[l - 1];
            w.Line();
            if (fused)
                w.Line("// Layer " + l + ": g" + Sup(l) + " − û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ is Backward's gradient (g holds what an earlier Backward left); θ" + Sup(l) + " ← θ" + Sup(l) + " − η·that, g ← 0" +
                       (l > 1 ? "; x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " with W" + Sup(l) + " before its step" : "; x̂⁰ is not needed"));
            else
                w.Line("// Layer " + l + ": g_b" + Sup(l) + " += −û" + Sup(l) + ", g_W" + Sup(l) + " += −û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ (ΔW ∝ û·xᵀ)" +
                       (l > 1 ? ", x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) : "; x̂⁰ is not needed"));
            using (w.Open())
            {
                if (fused) C.Dense.FusedBiasStep(w, layer);
                else C.Dense.BiasGradient(w, layer);
                LayerPlan plan = PlanOf(layer);
                switch (plan.Backward)
                {
                    case BackwardKernel.StreamedRows:
                        using (w.Open()) C.Dense.StreamBackward(w, layer, fused);
                        break;
                    case BackwardKernel.ColumnBlocks:
                        C.Dense.DenseBackwardVector(w, layer, plan.BackwardUnrolled, fused);
                        break;
                    default:
                        C.Dense.DenseBackwardScalar(w, layer, plan.BackwardUnrolled);
                        break;
                }
            }
            if (l > 1) ActivationBackward(w, Layers[l - 2]);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The dense chain's buffers and kernels.

    private void WriteBatchBuffers(SourceWriter w)
    {
        w.Line("/// <summary>The samples the batched kernels hold at once; ForwardBatch, BackwardBatch and TrainStepBatch take larger batches in chunks of this many.</summary>");
        w.Line("public const int MaxBatch = " + MaxBatch + ";");
        w.Line("// The batched x⁰…x" + Sup(L) + (Trainable ? " and û¹…û" + Sup(L) : "") + ": MaxBatch rows each, every row padded to whole vectors like the per-sample buffers;");
        w.Line("// allocated by the first batched call (AllocateBatchBuffers), so an instance that only runs Forward never holds them.");
        foreach ((string name, string _) in BatchBuffers())
            w.Line("private " + T + "[] " + name + " = null!;");
        w.Line();
    }

    /// <summary>
    /// The batch buffers and their lengths: x⁰…x^L (and û¹…û^L for training) for MaxBatch samples, and for a softmax
    /// output u^L and log Σ e^u per sample.
    /// </summary>
    private List<(string Name, string Length)> BatchBuffers()
    {
        var buffers = new List<(string, string)> { ("_batchX0", "MaxBatch * " + Element.Padded(Topology.InputSize)) };
        foreach (LayerShape layer in Layers) buffers.Add(("_batchX" + layer.Number, "MaxBatch * " + Element.Padded(layer.Outputs)));
        if (Trainable)
            foreach (LayerShape layer in Layers) buffers.Add(("_batchS" + layer.Number, "MaxBatch * " + Element.Padded(layer.Outputs)));
        if (SoftmaxOutput)
        {
            buffers.Add(("_batchU" + L, "MaxBatch * " + Element.Padded(Output.Outputs)));
            buffers.Add(("_batchLogPartition", "MaxBatch"));
        }
        return buffers;
    }

    private void WriteAllocateBatchBuffers(SourceWriter w)
    {
        w.Line("/// <summary>Allocates the batch buffers, on the first ForwardBatch, BackwardBatch or TrainStepBatch of this instance.</summary>");
        w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.NoInlining)]");
        using (w.Open("private void AllocateBatchBuffers()"))
            foreach ((string name, string length) in BatchBuffers())
                w.Line(name + " = AlignedBuffer(" + length + ");");
        w.Line();
    }

    public void WriteBatch(SourceWriter w)
    {
        C.Network.WriteBatchEntryPoints(w, blocked: true);
        WriteAllocateBatchBuffers(w);
        int inStride = Element.Padded(Topology.InputSize);
        w.Line("// The chunk's inputs into padded rows of _batchX0 (the padding lanes stay 0), then each layer in turn.");
        using (OpenMethod(w, "private void ForwardBatchCore(global::System.ReadOnlySpan<" + T + "> inputs, int count)"))
        {
            if (inStride == Topology.InputSize)
                w.Line("inputs.CopyTo(" + WholeSpan("_batchX0", "MaxBatch * InputSize") + ");");
            else if (SmallCopy(Topology.InputSize))
            {
                w.Line("ref " + T + " source = ref Interop::MemoryMarshal.GetReference(inputs);");
                w.Line(Ref("x0", "_batchX0"));
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line(CopyBlock(UnsafeAdd + "(ref x0, b * " + inStride + ")", UnsafeAdd + "(ref source, b * InputSize)", "InputSize") + " // a constant size: a few moves, no call");
            }
            else
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line("inputs.Slice(b * InputSize, InputSize).CopyTo(" + WholeSpan("_batchX0", "MaxBatch * " + inStride) + ".Slice(b * " + inStride + ", InputSize));");
            foreach (LayerShape layer in Layers) w.Line("ForwardBatchLayer" + layer.Number + "(count);");
        }
        w.Line();
        foreach (LayerShape layer in Layers) C.DenseBatch.WriteForwardBatchLayer(w, layer);
        C.FeatureMajor.WriteFeatureMajorForward(w);
        if (Trainable)
        {
            C.Output.WriteBackwardBatchOutput(w);
            foreach (LayerShape layer in Layers) C.DenseBatch.WriteBackwardBatchLayer(w, layer);
        }
        NetworkEmitter.WriteBatchHelpers(w);
        if (Plan.AnyBatchForwardVector512) C.DenseBatch.WriteSumsOf4(w);
    }
    public void WriteForward(SourceWriter w)
    {
        w.Line("/// <summary>The forward pass u^l = W^l·x^(l−1) + b^l, x^l = f(u^l) for l = 1…" + L + "; writes x" + Sup(L) + " to <paramref name=\"output\"/>.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + Topology.InputSize + " long or output not " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public void Forward(global::System.ReadOnlySpan<" + T + "> input, global::System.Span<" + T + "> output)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (output.Length != OutputSize) ThrowLength(nameof(output), OutputSize, output.Length);");
            if (Plan.RegisterChain)
            {
                w.Line("// The forward pass written out here: the network is tiny, and a call would cost as much as a layer.");
                C.RegisterChain.RegisterForward(w, toOutput: true);
            }
            else
            {
                w.Line("ForwardCore(input);");
                if (SmallCopy(Topology.OutputSize))
                    w.Line(CopyBlock("Interop::MemoryMarshal.GetReference(output)", StartOf("_x" + Output.Number), "OutputSize") + " // a constant size: a few moves, no call");
                else
                    w.Line(ReadOnlyStart("_x" + Output.Number, "OutputSize") + ".CopyTo(output);");
            }
        }
        w.Line();
        if (!Plan.HasForwardCore) return;

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
        w.Line(ThetaRef("p"));
        w.Line(Ref("x0", "_x0"));
        if (SmallCopy(Topology.InputSize))
            w.Line(CopyBlock("x0", "Interop::MemoryMarshal.GetReference(input)", "InputSize") + " // a constant size: a few moves, no call");
        else
            w.Line("input.CopyTo(Interop::MemoryMarshal.CreateSpan(ref x0, InputSize));");
        foreach (LayerShape layer in Layers)
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
                    if (plan.Forward == ForwardKernel.Narrow) C.Dense.DenseForwardNarrow(w, layer, inRegister, target);
                    else C.Dense.DenseForwardRowsToVector(w, layer, "x" + (l - 1), null);
                    if (inRegister) ActivationOfVector(w, layer);
                    else ActivationForward(w, layer, plan.ActivationUnrolled);
                    continue;
                case ForwardKernel.StreamedRows:
                    w.Line(heading + (softmax ? "" : ", computed in place of x" + Sup(l)));
                    using (w.Open()) C.Dense.StreamForward(w, layer, target);
                    ActivationForward(w, layer, plan.ActivationUnrolled);
                    continue;
            }
            Func<Index, string> destination = inRegister ? i => "u" + l + "_" + i.Offset : i => At(target, i.ToString());
            w.Line(heading + (softmax ? "" : inRegister ? ", in registers" : ", computed in place of x" + Sup(l)));
            if (inRegister)
                w.Line(T + " " + string.Join(", ", Enumerable.Range(0, layer.Outputs).Select(i => "u" + l + "_" + i)) + "; // u" + Sup(l) + "_i");
            if (plan.Forward == ForwardKernel.RowGroups) C.Dense.DenseForwardVector(w, layer, destination, plan.ForwardUnrolled);
            else C.Dense.DenseForwardScalar(w, layer, destination, plan.ForwardUnrolled);
            if (inRegister) ActivationInRegister(w, layer);
            else ActivationForward(w, layer, plan.ActivationUnrolled);
        }
        if (Trainable) w.Line("_hasForward = true;");
    }
}
