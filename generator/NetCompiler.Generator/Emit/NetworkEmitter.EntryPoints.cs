// The public entry points both paths share: Update, TrainStep and the batched ForwardBatch, BackwardBatch and
// TrainStepBatch, which check their arguments and call the kernels the plan chose.

namespace NetCompiler.Generator.Emit;

internal sealed partial class NetworkEmitter
{
    // ---------------------------------------------------------------------------------------------------------------
    // The public entry points, shared by both paths.

    internal void WriteBatchEntryPoints(SourceWriter w, bool blocked)
    {
        string span = "global::System.Span<" + T + ">", readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("/// <summary>");
        w.Line("/// Forward over <paramref name=\"batch\"/> samples: <paramref name=\"inputs\"/> is [batch, InputSize] row-major and");
        if (Plan.LanesForward)
        {
            w.Line("/// <paramref name=\"outputs\"/> receives [batch, OutputSize]; each row as Forward gives it, within float rounding. On AVX-512,");
            w.Line("/// chunks of 16 samples (the last of " + Tuning.LanesMinimum + " or more) run each layer with the samples in the lanes of each Vector512,");
            w.Line("/// the sums in another order; the rest, and every sample elsewhere, run Forward. Allocates nothing after its first chunk.");
            w.Line("/// Activities afterwards are those of the last sample run by Forward, if any (the lanes path leaves them as they were).");
        }
        else
        {
            w.Line("/// <paramref name=\"outputs\"/> receives [batch, OutputSize]; the same results as Forward on each row. " +
                   (blocked ? "Runs in chunks of MaxBatch samples through blocked kernels; allocates nothing." : "A loop over Forward (the graph path is not yet blocked); allocates nothing."));
            w.Line(blocked ? "/// Activities and the per-sample state are not changed." : "/// Activities afterwards are those of the last sample.");
        }
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + Topology.InputSize + " long or outputs not batch × " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public void ForwardBatch(" + readOnlySpan + " inputs, " + span + " outputs, int batch)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != outputs.Length) ThrowBatchLength(nameof(outputs), batch, OutputSize, outputs.Length);");
            if (Plan.BatchForward == BatchForwardKind.RegisterLoop)
            {
                C.RegisterChain.RegisterForwardBatch(w);
            }
            else if (blocked)
            {
                w.Line(EnsureBatchBuffers);
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    C.FeatureMajor.WriteFeatureMajorDispatch(w);
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    WriteCopyBatchOutputs(w);
                }
            }
            else if (Plan.LanesForward)
            {
                w.Line("int b = 0;");
                using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
                    WriteLanesChunks(w, "", "ForwardLanes(inputs.Slice(b * InputSize, count * InputSize), outputs.Slice(b * OutputSize, count * OutputSize), count);");
                using (w.Open("for (; b < batch; b++)"))
                    w.Line("Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));");
            }
            else
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                    w.Line("Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));");
            }
        }
        w.Line();
        if (!Trainable) return;

        w.Line("/// <summary>");
        w.Line("/// Forward and backward over <paramref name=\"batch\"/> samples ([batch, InputSize] inputs, [batch, OutputSize] targets),");
        w.Line("/// adding the summed ∂L/∂θ to Gradients (+=) as batch Forward/Backward pairs would (in float, the sums may be in");
        w.Line("/// another order and differ in the last bits); returns the summed loss. For a mean step, follow with Update(learningRate / batch).");
        if (blocked) w.Line("/// Blocked kernels, in chunks of MaxBatch samples.");
        else if (Plan.LanesBackward)
            w.Line("/// On AVX-512, chunks of 16 samples (the last of " + Tuning.LanesMinimum + " or more) run forward and backward with the samples in the lanes of each" +
                   " Vector512 (another order of the same sums); the rest, and every sample elsewhere, take the per-sample path" +
                   (Plan.AnyDeferredGradient ? ", deferring g_W as the plan says." : "."));
        else if (Plan.AnyLanesGradient)
            w.Line("/// A loop over the per-sample path; from " + Tuning.DeferredMinimum + " samples on, the layers whose g_W is deferred add it every " + Tuning.DeferredSamples +
                   " samples, the convolutions with the samples in the lanes of each vector (another order of the same sums).");
        else if (Plan.AnyDeferredGradient)
            w.Line("/// A loop over the per-sample path; from " + Tuning.DeferredMinimum + " samples on, the layers whose g_W is deferred add it every " + Tuning.DeferredSamples +
                   " samples, in the per-sample order (the same bits).");
        else w.Line("/// A loop over the per-sample path.");
        w.Line(blocked ? "/// Activities, Sensitivities and the per-sample state are not changed."
               : Plan.LanesBackward ? "/// Activities and Sensitivities afterwards are those of the last sample taken per sample, if any (the lanes path leaves them as they were)."
               : "/// Activities and Sensitivities afterwards are those of the last sample.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + Topology.InputSize + " long or targets not batch × " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " BackwardBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch)"))
            w.Line("return BackwardBatch(inputs, targets, batch, default);");
        w.Line();
        w.Line("/// <summary>BackwardBatch, also writing the forward pass's outputs ([batch, OutputSize], as ForwardBatch gives them) to <paramref name=\"outputs\"/> unless it is empty.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + Topology.InputSize + " long, targets or a non-empty outputs not batch × " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " BackwardBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch, " + span + " outputs)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != targets.Length) ThrowBatchLength(nameof(targets), batch, OutputSize, targets.Length);");
            w.Line("if (!outputs.IsEmpty && (long)batch * OutputSize != outputs.Length) ThrowBatchLength(nameof(outputs), batch, OutputSize, outputs.Length);");
            w.Line(T + " loss = 0;");
            if (blocked)
            {
                w.Line(EnsureBatchBuffers);
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    using (w.Open("if (!outputs.IsEmpty)")) WriteCopyBatchOutputs(w);
                    w.Line("loss += BackwardBatchOutput(targets.Slice(start * OutputSize, count * OutputSize), count);");
                    for (int l = L; l >= 1; l--) w.Line("BackwardBatchLayer" + l + "(count);");
                }
            }
            else
            {
                if (Plan.LanesBackward)
                    using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
                    {
                        w.Line("int b = 0;");
                        WriteLanesChunks(w, " forward and backward", "loss += BackwardLanes(inputs.Slice(b * InputSize, count * InputSize), targets.Slice(b * OutputSize, count * OutputSize), outputs.IsEmpty ? outputs : outputs.Slice(b * OutputSize, count * OutputSize), count);");
                        using (w.Open("for (; b < batch; b++)")) WriteSampleBackward(w);
                        w.Line("return loss;");
                    }
                WritePerSampleBackwardBatch(w);
            }
            w.Line("return loss;");
        }
        w.Line();
        WriteTrainStepBatch(w);
    }

    /// <summary>
    /// The lanes path's loop over a batch from b: while 8 or more samples are left, a chunk of up to 16 (count), which
    /// <paramref name="chunk"/> runs; the caller takes the rest per sample.
    /// </summary>
    private static void WriteLanesChunks(SourceWriter w, string what, string chunk)
    {
        w.Line("// Chunks of 16 samples (the last of " + Tuning.LanesMinimum + " or more)" + what + " in the lanes of each Vector512; the rest per sample.");
        using (w.Open("for (; batch - b >= " + Tuning.LanesMinimum + "; b += " + Planner.SampleLanesCount + ")"))
        {
            w.Line("int count = global::System.Math.Min(" + Planner.SampleLanesCount + ", batch - b);");
            w.Line(chunk);
        }
    }

    /// <summary>BackwardBatch over the per-sample path, deferring the layers' g_W the plan defers.</summary>
    private void WritePerSampleBackwardBatch(SourceWriter w)
    {
        if (Plan.AnyDeferredGradient)
        {
            w.Line("// A few samples take the per-sample path: recording them and adding g_W apart costs more than it saves.");
            using (w.Open("if (batch < " + Tuning.DeferredMinimum + ")"))
            {
                using (w.Open("for (int b = 0; b < batch; b++)")) WriteSampleBackward(w);
                w.Line("return loss;");
            }
            w.Line("// Layers whose g_W is deferred record û and x per sample; FlushDeferred adds them every DeferredSamples samples.");
            w.Line("if (_deferX" + FirstDeferred + " is null) AllocateDeferredBuffers();");
            w.Line("_deferred = 0;");
            using (w.Open("try"))
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                {
                    WriteSampleBackward(w);
                    w.Line("if (++_deferred == DeferredSamples) FlushDeferred();");
                }
                w.Line("FlushDeferred();");
            }
            using (w.Open("finally"))
                w.Line("_deferred = -1; // Backward on its own adds g_W at once");
        }
        else
        {
            using (w.Open("for (int b = 0; b < batch; b++)")) WriteSampleBackward(w);
        }
    }

    private void WriteTrainStepBatch(SourceWriter w)
    {
        string readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("/// <summary>BackwardBatch, then Update(learningRate): one SGD step with the summed gradient of the batch; returns the summed loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative, or learningRate is NaN or infinite (nothing is changed).</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + Topology.InputSize + " long or targets not batch × " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public " + T + " TrainStepBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch, " + T + " learningRate)"))
        {
            WriteLearningRateCheck(w);
            w.Line(T + " loss = BackwardBatch(inputs, targets, batch);");
            w.Line("Update(learningRate);");
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>Sample b of BackwardBatch through the per-sample path.</summary>
    private void WriteSampleBackward(SourceWriter w)
    {
        w.Line("ForwardCore(inputs.Slice(b * InputSize, InputSize));");
        w.Line("if (!outputs.IsEmpty) Activities(" + L + ").CopyTo(outputs.Slice(b * OutputSize, OutputSize));");
        w.Line("loss += Backward(targets.Slice(b * OutputSize, OutputSize));");
    }

    /// <summary>The number of the first layer whose g_W is deferred (its buffers stand for all of them being allocated).</summary>
    private int FirstDeferred => Plan.Layers.First(layer => layer.DeferredGradient).Number;

    /// <summary>Copies the chunk of count samples from start in _batchX of the output layer to outputs (its rows padded to whole vectors there).</summary>
    private void WriteCopyBatchOutputs(SourceWriter w)
    {
        int outStride = Element.Padded(Output.Outputs);
        if (outStride == Output.Outputs)
            w.Line(ReadOnlyStart("_batchX" + Output.Number, "count * OutputSize") + ".CopyTo(outputs.Slice(start * OutputSize));");
        else
            using (w.Open("for (int b = 0; b < count; b++)"))
                w.Line(ReadOnlyStart("_batchX" + Output.Number, "MaxBatch * " + outStride) + ".Slice(b * " + outStride + ", OutputSize).CopyTo(outputs.Slice((start + b) * OutputSize, OutputSize));");
    }

    /// <summary>The batch buffers exist from the first batched call on (ChainEmitter.WriteAllocateBatchBuffers).</summary>
    private const string EnsureBatchBuffers = "if (_batchX0 is null) AllocateBatchBuffers();";

    internal static void WriteBatchHelpers(SourceWriter w)
    {
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("private static void ThrowBatchLength(string name, int batch, int size, int actual) =>");
        w.Line("    throw new global::System.ArgumentException(\"Expected \" + name + \" of length batch × size = \" + batch + \" × \" + size + \" = \" + ((long)batch * size) + \", got \" + actual + \".\", name);");
        w.Line();
    }
    private void WriteUpdate(SourceWriter w)
    {
        int count = Topology.ParameterCount;
        w.Line("/// <summary>The SGD step θ ← θ − η·g, then g ← 0 (ΔW ∝ û·xᵀ with the minus sign of R = −L folded into g).</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">learningRate is NaN or infinite (θ and g are not changed).</exception>");
        using (OpenMethod(w, "public void Update(" + T + " learningRate)"))
        {
            WriteLearningRateCheck(w);
            w.Line(ThetaRef("p"));
            w.Line(Ref("g", "_gradients"));
            int whole = count / V * V;
            if (Plan.UpdateUnrolled)
            {
                if (whole > 0) w.Line(VectorType + " eta = Simd::Vector256.Create(learningRate);");
                Range(w, "k", 0, whole, V, true, k => UpdateVector(w, Narrow256, k));
            }
            else
            {
                // Vector512 while a whole one is left (where the hardware has it), then Vector256: lane for lane the same.
                w.Line("int k = 0;");
                using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
                {
                    w.Line(Wide512.Type + " eta512 = " + Wide512.Class + ".Create(learningRate);");
                    using (w.Open("for (; k <= " + (count - 2 * V) + "; k += " + 2 * V + ")"))
                        UpdateVector(w, Wide512, new Index("k", 0), "eta512");
                }
                w.Line(VectorType + " eta = Simd::Vector256.Create(learningRate);");
                using (w.Open("for (; k < " + whole + "; k += " + V + ")"))
                    UpdateVector(w, Narrow256, new Index("k", 0));
            }
            for (int k = whole; k < count; k++)
            {
                w.Line(At("p", k.ToString()) + " = Nc::VectorMath.MultiplyAdd(-learningRate, " + At("g", k.ToString()) + ", " + At("p", k.ToString()) + "); // as a fused lane");
                w.Line(At("g", k.ToString()) + " = 0;");
            }
        }
        w.Line();
    }

    /// <summary>
    /// The first statement of Update, TrainStep and TrainStepBatch: a NaN or infinite learning rate would turn every
    /// parameter into NaN, so it is rejected once per call, before anything changes (ThrowLearningRate, WriteHelpers).
    /// </summary>
    private void WriteLearningRateCheck(SourceWriter w) =>
        w.Line("if (!" + T + ".IsFinite(learningRate)) ThrowLearningRate(learningRate);");

    private void UpdateVector(SourceWriter w, Width k, Index i, string eta = "eta")
    {
        w.Line(k.Store(k.MultiplyAddNegated(eta, k.Load("g", i), k.Load("p", i)), "p", i));
        w.Line(k.Store(k.Type + ".Zero", "g", i));
    }

    private void WriteTrainStep(SourceWriter w)
    {
        w.Line("/// <summary>Forward, Backward and Update for one sample; returns its loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + Topology.InputSize + " long or target not " + Topology.OutputSize + ".</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">learningRate is NaN or infinite (nothing is changed).</exception>");
        using (OpenMethod(w, "public " + T + " TrainStep(global::System.ReadOnlySpan<" + T + "> input, global::System.ReadOnlySpan<" + T + "> target, " + T + " learningRate)"))
        {
            WriteLearningRateCheck(w);
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (target.Length != OutputSize) ThrowLength(nameof(target), OutputSize, target.Length);");
            if (Plan.TrainStep == TrainStepKind.Register)
            {
                w.Line("// The forward pass, then the backward pass with the SGD step folded in (each layer's parameters change as soon");
                w.Line("// as their gradient is known), all in one method: x and û stay in registers from layer to layer.");
                C.RegisterChain.RegisterForward(w, toOutput: false);
                w.Line();
                C.RegisterChain.RegisterBackward(w, fusedUpdate: true, forwardInScope: true);
                w.Line("return loss;");
                return;
            }
            w.Line("ForwardCore(input);");
            if (Plan.TrainStep == TrainStepKind.Fused)
            {
                w.Line("// Backward and Update in one pass: each layer's θ takes its SGD step as soon as its gradient is known, so W and g");
                w.Line("// are read once and W written once (Backward then Update stream them six times). The results are Backward's and");
                w.Line("// Update's to the bit, gradients an earlier Backward left in g included; g is left at 0.");
                C.Chain.BackwardBody(w, fused: true);
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
