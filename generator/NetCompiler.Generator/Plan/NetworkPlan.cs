
namespace NetCompiler.Generator.Plan;

/// <summary>
/// Which kernel every entry point of a network runs, layer by layer, as plain values: the output of the planning stage
/// (Planner.cs) and the only input, besides the topology, of the emitters and of the analyzer's list of generated members.
/// </summary>
/// <param name="IsChain">A chain of dense layers (the multilayer perceptron path); otherwise a graph.</param>
/// <param name="Trainable">The network has a loss: Backward, Update and TrainStep are generated.</param>
/// <param name="Lanes">Elements per Vector256: 8 for float, 4 for double.</param>
/// <param name="RegisterChain">Every layer fits in one vector: Forward, Backward and TrainStep keep x and û in registers.</param>
/// <param name="TrainStep">What TrainStep runs.</param>
/// <param name="BatchForward">What ForwardBatch runs.</param>
/// <param name="UpdateUnrolled">Update's vector loop is written out (a handful of vectors of θ).</param>
/// <param name="Layers">One plan per layer, layer l at index l − 1.</param>
internal sealed record NetworkPlan(
    bool IsChain,
    bool Trainable,
    int Lanes,
    bool RegisterChain,
    TrainStepKind TrainStep,
    BatchForwardKind BatchForward,
    bool UpdateUnrolled,
    EquatableArray<LayerPlan> Layers)
{
    /// <summary>The plan of layer <paramref name="number"/> (1-based).</summary>
    public LayerPlan this[int number] => Layers[number - 1];

    /// <summary>Whether a chain's ForwardCore (the per-sample forward pass over buffers) is generated: not for a register chain, whose passes never call it.</summary>
    public bool HasForwardCore => !RegisterChain;

    /// <summary>Whether ForwardBatch has the feature-major path (Emit/Dense/FeatureMajorEmitter.cs).</summary>
    public bool FeatureMajor => BatchForward == BatchForwardKind.BlockedOrFeatureMajor;

    /// <summary>Whether ForwardBatch has the lanes path (a float graph's layers over 16 samples a vector).</summary>
    public bool LanesForward => BatchForward == BatchForwardKind.Lanes;

    /// <summary>Whether BackwardBatch has the lanes path too: the forward pass in lanes, then every layer's backward pass over the same 16 samples.</summary>
    public bool LanesBackward => LanesForward && Trainable;

    /// <summary>Whether the graph's class has AlignedBuffer and AlignedStart (a chain always has them).</summary>
    public bool GraphAlignedBuffers => AnyLanesGradient || LanesForward;

    /// <summary>Whether BackwardBatch defers some layer's g_W (and so has FlushDeferred and its buffers).</summary>
    public bool AnyDeferredGradient
    {
        get
        {
            foreach (LayerPlan layer in Layers)
                if (layer.DeferredGradient) return true;
            return false;
        }
    }

    /// <summary>Whether some layer's deferred g_w reads its samples from lanes buffers (and so the graph needs AlignedBuffer).</summary>
    public bool AnyLanesGradient
    {
        get
        {
            foreach (LayerPlan layer in Layers)
                if (layer.Deferral == GradientDeferral.Lanes) return true;
            return false;
        }
    }

    /// <summary>Whether any batched kernel has a Vector512 form (and so SumsOf4 is needed by the forward tiles).</summary>
    public bool AnyBatchForwardVector512
    {
        get
        {
            foreach (LayerPlan layer in Layers)
                if (layer.BatchForwardVector512) return true;
            return false;
        }
    }

    /// <summary>The plan as comment lines for the generated file's header, one per layer.</summary>
    public IEnumerable<string> Describe()
    {
        yield return "(kernel names: NetCompiler's docs/architecture.md, \"Reading the generated code\")";
        if (RegisterChain) yield return "every layer fits in a vector: Forward, Backward and TrainStep keep x and û in registers";
        foreach (LayerPlan layer in Layers) yield return layer.Describe(Trainable, IsChain);
        if (Trainable) yield return "TrainStep: " + TrainStep switch
        {
            TrainStepKind.Register => "in registers, the SGD step folded into the backward pass",
            TrainStepKind.Fused => "Backward with the SGD step folded in (W and g read once)",
            _ => "Backward, then Update",
        };
        yield return "ForwardBatch: " + BatchForward switch
        {
            BatchForwardKind.RegisterLoop => "the forward pass in registers per sample, θ loaded once",
            BatchForwardKind.Blocked => "blocked kernels over chunks of " + Tuning.MaxBatch.ToString(CultureInfo.InvariantCulture) + " samples",
            BatchForwardKind.BlockedOrFeatureMajor => "blocked kernels over chunks of " + Tuning.MaxBatch.ToString(CultureInfo.InvariantCulture) +
                                                      " samples; feature-major for a chunk of " + Tuning.FeatureMajorMinimum.ToString(CultureInfo.InvariantCulture) + " or more on AVX-512",
            BatchForwardKind.Lanes => "the layers over chunks of 16 samples in the lanes of each Vector512 (from " + Tuning.LanesMinimum.ToString(CultureInfo.InvariantCulture) +
                                      " a chunk, on AVX-512); a loop over Forward otherwise" + (Trainable ? "; BackwardBatch likewise" : ""),
            _ => "a loop over Forward",
        };
    }
}

/// <summary>The kernels of one layer. Fields that do not apply to the layer's kind or path hold their defaults.</summary>
/// <param name="Number">The layer number l.</param>
/// <param name="Forward">The per-sample forward kernel.</param>
/// <param name="ForwardUnrolled">RowGroups and Scalar: the rows are written out (the cost model's decision).</param>
/// <param name="OutputInRegister">A chain layer of at most a vector of outputs, not softmax: u is kept in registers and x stored once.</param>
/// <param name="ForwardVector512">The forward kernel has a Vector512 form, used where Vector512 is accelerated.</param>
/// <param name="ActivationUnrolled">The elementwise pass x = f(u) is written out.</param>
/// <param name="Backward">The per-sample backward kernel.</param>
/// <param name="BackwardUnrolled">ColumnBlocks and Scalar: the rows are written out.</param>
/// <param name="ActivationBackwardUnrolled">The elementwise pass û = f'(u)·x̂ of this layer is written out.</param>
/// <param name="BatchForward">A chain layer's kernel over a chunk of samples.</param>
/// <param name="BatchForwardVector512">The batched forward kernel has a Vector512 method (ForwardBatchLayer{l}Vector512).</param>
/// <param name="BatchBackward">A chain layer's batched g_W and x̂ kernels.</param>
/// <param name="BatchBackwardVector512">The batched backward kernels have Vector512 methods (GradientBatchLayer{l}Vector512, …).</param>
/// <param name="InputSensitivity">A convolution's x̂ kernel.</param>
/// <param name="ConvFusesActivation">A flat convolution applies f itself (no separate activation pass).</param>
/// <param name="OutputMaps">Output maps a pass of the flat forward kernel computes together, so that each load of x feeds up to that many FMAs (with a connection table, the maps of the block a channel feeds).</param>
/// <param name="GradientMaps">Output maps a pass of the flat g_w kernel computes together on Vector512; 1 with a connection table.</param>
/// <param name="SourceMaps">Source channels a pass of the flat x̂ kernel computes together (with a connection table, the channels of the block a filter reads).</param>
/// <param name="SensitivitySlack">Elements after x̂ of this layer's padded buffer: a consumer's Rows kernel adds whole vectors from the start of each row, and the lanes past the last row's end land there (adding zeros).</param>
/// <param name="Deferral">How BackwardBatch adds the layer's g_W: per sample, or once for up to Tuning.DeferredSamples recorded samples (Planner.DefersGradient).</param>
/// <param name="Buffers">The fields the layer owns, by name.</param>
/// <param name="Lanes">The layer's kernel in ForwardBatch's lanes path (BatchForwardKind.Lanes), or None.</param>
/// <param name="LanesMaps">Lanes: output maps (a convolution) or outputs (dense) a pass computes together; in a dense layer's backward pass also the inputs of x̂ a pass.</param>
/// <param name="LanesRun">Lanes, a convolution: the most positions of an output row a pass holds in registers.</param>
/// <param name="LanesSensitivityStored">BackwardLanes: the layer's one consumer stores its x̂ (every element once), so it is not cleared first (Planner.PlanLanesSensitivities).</param>
internal sealed record LayerPlan(
    int Number,
    ForwardKernel Forward,
    bool ForwardUnrolled,
    bool OutputInRegister,
    bool ForwardVector512,
    bool ActivationUnrolled,
    BackwardKernel Backward,
    bool BackwardUnrolled,
    bool ActivationBackwardUnrolled,
    BatchKernel BatchForward,
    bool BatchForwardVector512,
    BatchKernel BatchBackward,
    bool BatchBackwardVector512,
    ConvInputSensitivity InputSensitivity,
    bool ConvFusesActivation,
    int OutputMaps,
    int GradientMaps,
    int SourceMaps,
    GradientDeferral Deferral,
    int SensitivitySlack,
    EquatableArray<string> Buffers,
    LanesKernel Lanes,
    int LanesMaps,
    int LanesRun,
    bool LanesSensitivityStored)
{
    /// <summary>Whether BackwardBatch records this layer's samples and adds its g_W in FlushDeferred.</summary>
    public bool DeferredGradient => Deferral != GradientDeferral.None;

    /// <summary>Whether the layer owns the field <paramref name="name"/>.</summary>
    public bool Owns(string name)
    {
        foreach (string buffer in Buffers)
            if (buffer == name) return true;
        return false;
    }

    /// <summary>"layer 2: streamed rows (Vector512 | Vector256 fallback); backward column blocks; batched tiles (…)": the forward kernel first.</summary>
    public string Describe(bool trainable, bool chain)
    {
        string text = "layer " + Number.ToString(CultureInfo.InvariantCulture) + ": " + Words(Forward.ToString()) +
                      (ForwardUnrolled ? ", written out" : "") + (OutputInRegister ? ", u in registers" : "") + (ForwardVector512 ? " (Vector512 | Vector256 fallback)" : "") +
                      (Forward == ForwardKernel.ConvFlat && OutputMaps > 1 ? ", " + OutputMaps.ToString(CultureInfo.InvariantCulture) + " maps a pass" : "");
        if (trainable && Backward != BackwardKernel.None)
            text += "; backward " + Words(Backward.ToString()) + (BackwardUnrolled ? ", written out" : "") +
                    (Backward == BackwardKernel.StreamedRows ? " (Vector512 | Vector256 fallback)" : "") +
                    (Backward == BackwardKernel.ConvFlat && GradientMaps > 1 ? ", g_w " + GradientMaps.ToString(CultureInfo.InvariantCulture) + " maps a pass" : "") +
                    (InputSensitivity != ConvInputSensitivity.None ? ", x̂ by " + Words(InputSensitivity.ToString()) : "") +
                    (InputSensitivity == ConvInputSensitivity.Gather && SourceMaps > 1 ? " " + SourceMaps.ToString(CultureInfo.InvariantCulture) + " channels a pass" : "") +
                    (Deferral == GradientDeferral.Rows ? ", g_W deferred in BackwardBatch" : "") +
                    (Deferral == GradientDeferral.Lanes ? ", g_w deferred in BackwardBatch (16 samples in lanes)" : "");
        if (Lanes != LanesKernel.None)
            text += "; ForwardBatch in lanes: " + Words(Lanes.ToString()) + (Lanes is LanesKernel.Conv or LanesKernel.Dense or LanesKernel.ConvAsDense
                ? " " + LanesMaps.ToString(CultureInfo.InvariantCulture) + (Lanes == LanesKernel.Conv ? " maps" : " outputs") + " a pass" : "") +
                (Lanes == LanesKernel.Conv ? ", runs of " + LanesRun.ToString(CultureInfo.InvariantCulture) + " positions" : "");
        if (chain)
            text += "; batched " + Words(BatchForward.ToString()) + (BatchForwardVector512 ? " (Vector512 | Vector256 fallback)" : "") +
                    (trainable ? ", batched backward " + Words(BatchBackward.ToString()) + (BatchBackwardVector512 ? " (Vector512 | Vector256 fallback)" : "") : "");
        return text;
    }

    /// <summary>"StreamedRows" → "streamed rows".</summary>
    private static string Words(string name)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool boundary = i > 0 && char.IsUpper(c) && !char.IsDigit(name[i - 1]) && !(char.IsUpper(name[i - 1]) && (i + 1 == name.Length || char.IsUpper(name[i + 1])));
            if (boundary) text.Append(' ');
            text.Append(boundary || i == 0 ? char.ToLowerInvariant(c) : c);
        }
        return text.ToString();
    }
}
