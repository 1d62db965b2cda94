// A graph (several sources, convolution, pooling, joins): one ForwardLayer{l} and BackwardLayer{l} method per layer,
// called in execution order, each written by the emitter of the layer's kind (ILayerEmitter).

namespace NetCompiler.Generator.Emit;

internal sealed class GraphEmitter : EmitterBase, INetworkPath
{
    public GraphEmitter(EmitContext context) : base(context) { }

    // ---------------------------------------------------------------------------------------------------------------
    // Description, constants, buffers.

    public void WriteDescription(SourceWriter w)
    {
        w.Line("// Network, as compiled (layers in execution order):");
        w.Line("//   " + OneLine(Topology.ToString()));
        w.Line("//   x⁰: input " + Topology.InputShape + ", " + Num(Topology.InputSize) + " values");
        foreach (int l in Topology.ExecutionOrder)
        {
            LayerShape layer = Layers[l - 1];
            w.Line("//   layer " + l + QuotedName(layer) + ": " + LayerFormula(layer));
            w.Line("//       x" + Sup(l) + " " + layer.Shape + ParameterText(layer));
        }
        WriteLossAndCost(w);
    }

    /// <summary>The layer's computation in the lecture's notation, for comments.</summary>
    private string LayerFormula(LayerShape layer)
    {
        string l = Sup(layer.Number), f = FunctionText(layer.Activation, "u" + l);
        string Source(int s) => "x" + Sup(layer.Sources[s]);
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                if (layer.Sources.Count == 1)
                    return "u" + l + " = W" + l + "·" + Source(0) + " + b" + l + ", x" + l + " = " + f;
                return "u" + l + " = " + string.Join(" + ", layer.Sources.Select((src, s) => "W" + l + Sub(src) + "·" + Source(s))) + " + b" + l + ", x" + l + " = " + f;
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                bool twoD = layer.Kind == LayerKind.Conv2D;
                string at = twoD ? "y·s + ky − p, x·s + kx − p" : "x·s + k − p";
                string taps = twoD ? "ky, kx" : "k";
                string conv = layer.Kind + " " + layer.Shape.Channels + " filters " + (twoD ? layer.KernelSize + "×" + layer.KernelSize : layer.KernelSize + " taps") +
                              (layer.Stride != 1 ? ", stride " + layer.Stride : "") + (layer.Padding != 0 ? ", padding " + layer.Padding : "") +
                              (layer.Spec is ConvLayer { Connections: not null } ? ", connection table" : "");
                return conv + ": u" + l + "[o, " + (twoD ? "y, x" : "x") + "] = b" + l + "[o] + Σ_i Σ_" + taps.Replace(" ", "") + " w" + l + "[o, i, " + taps + "]·" + Source(0) + "[i, " + at + "], x" + l + " = " + f +
                       (layer.Padding != 0 || layer.Stride != 1 ? " (s = " + layer.Stride + ", p = " + layer.Padding + ")" : "");
            }
            case LayerKind.AvgPool:
            {
                string window = layer.Shape.Rank == 3 ? layer.PoolSize + "×" + layer.PoolSize : layer.PoolSize.ToString(CultureInfo.InvariantCulture);
                string head = "AvgPool " + window + (layer.Stride != layer.PoolSize ? ", stride " + layer.Stride : "") + (layer.Trainable ? ", trainable" : "") + ": ";
                return head + "u" + l + " = " + (layer.Trainable ? "c" + l + "·mean + b" + l : "mean") + " of each window of " + Source(0) + ", x" + l + " = " + f;
            }
            case LayerKind.MaxPool:
            {
                string window = layer.Shape.Rank == 3 ? layer.PoolSize + "×" + layer.PoolSize : layer.PoolSize.ToString(CultureInfo.InvariantCulture);
                return "MaxPool " + window + (layer.Stride != layer.PoolSize ? ", stride " + layer.Stride : "") + ": x" + l + " = max of each window of " + Source(0);
            }
            case LayerKind.Add:
                return "Add: u" + l + " = " + string.Join(" + ", layer.Sources.Select((_, s) => Source(s))) + ", x" + l + " = " + f;
            default:
                return "Concat: x" + l + " = [" + string.Join(", ", layer.Sources.Select((_, s) => Source(s))) + "]" +
                       (layer.Shape.Rank == 1 ? " (features)" : " (channels)");
        }
    }

    private string ParameterText(LayerShape layer)
    {
        int l = layer.Number;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                return "; " + string.Join(", ", layer.Sources.Select((src, s) =>
                           "W" + Sup(l) + (layer.Sources.Count > 1 ? Sub(src) : "") + " [" + layer.Outputs + "×" + layer.SourceShapes[s].Size + "] at θ[" + layer.SourceWeightOffset(s) + "]")) +
                       ", b" + Sup(l) + " at θ[" + layer.BiasOffset + "]";
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                int channels = layer.SourceShapes[0].Channels, k = layer.KernelSize;
                string dims = layer.Kind == LayerKind.Conv2D ? k + ", " + k : k.ToString(CultureInfo.InvariantCulture);
                bool table = layer.Spec is ConvLayer { Connections: not null };
                return "; w" + Sup(l) + " [" + layer.Shape.Channels + ", " + channels + ", " + dims + "]" +
                       (table ? " (" + layer.WeightCount / layer.Window.KernelVolume + " connected kernels)" : "") +
                       " at θ[" + layer.WeightOffset + "], b" + Sup(l) + " at θ[" + layer.BiasOffset + "]";
            }
            case LayerKind.AvgPool when layer.Trainable:
                return "; c" + Sup(l) + " at θ[" + layer.WeightOffset + "], b" + Sup(l) + " at θ[" + layer.BiasOffset + "]";
            default:
                return "; no parameters";
        }
    }

    public void WriteConstantsAndBuffers(SourceWriter w)
    {
        WriteSizeConstants(w, "n⁰: the number of inputs (" + Topology.InputShape + ", row-major).",
            "The number of outputs (layer " + Output.Number + ", " + Output.Shape + ").", "The number of parameters (the length of Parameters).");
        w.Line("// Offsets in θ, layers in declaration order: dense W^β row-major [outputs, size of x^β] per source, then b;");
        w.Line("// convolution w [filters, channels, k(, k)] (connected kernels only with a table), then b; trainable pooling c, then b.");
        foreach (LayerShape layer in Layers)
        {
            if (layer.ParameterCount == 0) continue;
            w.Line("private const int W" + layer.Number + " = " + layer.WeightOffset + ", B" + layer.Number + " = " + layer.BiasOffset + ";");
            if (layer.Kind == LayerKind.Dense && layer.Sources.Count > 1)
                w.Line("private const int " + string.Join(", ", layer.Sources.Select((src, s) => WeightName(layer, s) + " = " + layer.SourceWeightOffset(s))) + ";");
        }
        foreach (LayerShape layer in Layers)
        {
            if (layer.Spec is not ConvLayer { Connections: not null }) continue;
            int channels = layer.SourceShapes[0].Channels;
            w.Line("// Layer " + layer.Number + "'s connection table: θ offset of kernel w[o, i] at [o·" + channels + " + i], −1 where filter o does not read channel i.");
            var offsets = new List<string>();
            for (int o = 0; o < layer.Shape.Channels; o++)
                for (int i = 0; i < channels; i++)
                    offsets.Add(layer.KernelOffset(o, i).ToString(CultureInfo.InvariantCulture));
            w.Line("private static global::System.ReadOnlySpan<int> Kernels" + layer.Number + " => new int[]");
            w.Line("{");
            for (int o = 0; o < layer.Shape.Channels; o++)
                w.Line("    " + string.Join(", ", offsets.Skip(o * channels).Take(channels)) + ",");
            w.Line("};");
        }
        w.Line();
        WriteTopologyProperty(w);
        w.Line();
        C.Network.WriteWeightsField(w);
        if (Trainable) w.Line("private readonly " + T + "[] _gradients = new " + T + "[ParameterCount];");
        w.Line("// x⁰…x" + Sup(L) + " (row-major [channels, height, width]), padded to whole vectors of " + V + ".");
        w.Line("private readonly " + T + "[] _x0 = new " + T + "[" + Element.Padded(Topology.InputSize) + "];");
        foreach (LayerShape layer in Layers)
            w.Line("private readonly " + T + "[] _x" + layer.Number + " = new " + T + "[" + Element.Padded(layer.Outputs) + "]; // " + layer.Shape);
        if (SoftmaxOutput)
        {
            w.Line("// u" + Sup(Output.Number) + " and the softmax's shift and normaliser, kept for a stable log-softmax in the loss.");
            w.Line("private readonly " + T + "[] _u" + Output.Number + " = new " + T + "[" + Element.Padded(Output.Outputs) + "];");
            w.Line("private " + T + " _softmaxMax, _softmaxSum;");
        }
        if (Trainable)
        {
            w.Line("// û¹…û" + Sup(L) + " = ∂R/∂u (each first collects x̂ = ∂R/∂x from the layers that read it), padded like the activities.");
            foreach (LayerShape layer in Layers)
            {
                int slack = PlanOf(layer).SensitivitySlack;
                w.Line("private readonly " + T + "[] _s" + layer.Number + " = new " + T + "[" + (Element.Padded(layer.Outputs) + slack) + "];" +
                       (slack > 0 ? " // and " + slack + " zeros after it, where a consumer's x̂ rows end" : ""));
            }
        }
        foreach (LayerShape layer in Layers)
        {
            int l = layer.Number;
            if (PlanOf(layer).Owns("_pad" + l))
            {
                var g = layer.Window;
                int size = g.Channels * g.PaddedHeight * g.PaddedWidth;
                w.Line("// Layer " + l + ": x" + Sup(layer.Sources[0]) + " with " + layer.Padding + " zeros on every side, [" + g.Channels + (g.TwoD ? ", " + g.PaddedHeight : "") + ", " + g.PaddedWidth + "]; only the interior is ever written" +
                       (PlanOf(layer).Owns("_padHat" + l) ? ", and its sensitivity" : "") + ".");
                w.Line("private readonly " + T + "[] _pad" + l + " = new " + T + "[" + size + "];");
                if (PlanOf(layer).Owns("_padHat" + l)) w.Line("private readonly " + T + "[] _padHat" + l + " = new " + T + "[" + size + "];");
            }
            if (PlanOf(layer).Owns("_flat" + l))
            {
                var g = layer.Window;
                int maps = PlanOf(layer).OutputMaps;
                w.Line("// Layer " + l + ": the staging buffer of u" + Sup(l) + "[o] computed at x" + Sup(layer.Sources[0]) + "'s row stride " + g.PaddedWidth + " (" + Planner.FlatLength(g) + " positions" +
                       (maps > 1 ? " for each of " + maps + " maps at once" : "") + "; see ForwardLayer" + l + ").");
                w.Line("private readonly " + T + "[] _flat" + l + " = new " + T + "[" + maps * Planner.FlatLength(g) + "];");
            }
            if (PlanOf(layer).Owns("_uHatPad" + l))
            {
                var g = layer.Window;
                (int height, int width) = ConvEmitter.UHatPadSize(g);
                w.Line("// Layer " + l + ": û" + Sup(l) + " with a zero border of k − 1, [" + g.OutChannels + (g.TwoD ? ", " + height : "") + ", " + width + "], for x̂" + Sup(layer.Sources[0]) + " as a correlation with the flipped filter.");
                w.Line("private readonly " + T + "[] _uHatPad" + l + " = new " + T + "[" + g.OutChannels * height * width + "];");
            }
            if (PlanOf(layer).Owns("_uHatRows" + l))
            {
                var g = layer.Window;
                int stride = Planner.RowsStride(g, V);
                w.Line("// Layer " + l + ": û" + Sup(l) + "'s rows, each after k − 1 zeros and followed by zeros to a stride of " + stride + ", for x̂" + Sup(layer.Sources[0]) + " by rows (see BackwardLayer" + l + ").");
                w.Line("private readonly " + T + "[] _uHatRows" + l + " = new " + T + "[" + g.OutChannels * g.OutHeight * stride + "];");
            }
            if (PlanOf(layer).Owns("_uHatFlat" + l))
            {
                var g = layer.Window;
                w.Line("// Layer " + l + ": û" + Sup(l) + "[o] at x" + Sup(layer.Sources[0]) + "'s row stride " + g.PaddedWidth + ", zeros between rows (" + Planner.FlatLength(g) + " positions), for g_w (see BackwardLayer" + l + ").");
                w.Line("private readonly " + T + "[] _uHatFlat" + l + " = new " + T + "[" + PlanOf(layer).GradientMaps * Planner.FlatLength(g) + "];");
            }
            if (PlanOf(layer).Owns("_xHatFlat" + l))
            {
                var g = layer.Window;
                w.Line("// Layer " + l + ": x̂" + Sup(layer.Sources[0]) + "[i] at the row stride of û" + Sup(l) + "'s bordered copy (" + Planner.GatherLength(g) + " positions; see BackwardLayer" + l + ").");
                w.Line("private readonly " + T + "[] _xHatFlat" + l + " = new " + T + "[" + PlanOf(layer).SourceMaps * Planner.GatherLength(g) + "];");
            }
            if (PlanOf(layer).Owns("_argmax" + l))
                w.Line("private readonly int[] _argmax" + l + " = new int[" + layer.Outputs + "]; // layer " + l + ": where in x" + Sup(layer.Sources[0]) + " each window's (first) maximum is");
            if (PlanOf(layer).Owns("_mean" + l))
                w.Line("private readonly " + T + "[] _mean" + l + " = new " + T + "[" + layer.Outputs + "]; // layer " + l + ": the window means, for ∂L/∂c = −Σ û·mean");
        }
        if (Trainable) w.Line("private bool _hasForward; // Backward needs a forward pass to work from");
        if (Plan.AnyDeferredGradient)
        {
            w.Line("/// <summary>The samples BackwardBatch records before it adds the deferred layers' g_W (FlushDeferred).</summary>");
            w.Line("private const int DeferredSamples = " + Tuning.DeferredSamples + ";");
            w.Line("// Inside BackwardBatch, the samples recorded since the last FlushDeferred; −1 otherwise (Backward adds g_W at once).");
            w.Line("private int _deferred = -1;");
            w.Line("// Per deferred layer, û and x of each recorded sample, DeferredSamples rows each (and a convolution's records with the");
            w.Line("// samples in lanes, 64-byte aligned); allocated by the first BackwardBatch.");
            WriteLazyFields(w, DeferredBuffers());
        }
        if (Plan.LanesForward)
        {
            w.Line("// ForwardBatch's lanes buffers, 16 samples each (element f of sample s at f·16 + s, 64-byte aligned): x⁰ as rows");
            w.Line("// (_lanesRows) and as lanes, every layer's x, and the padded convolutions' sources; allocated by the first chunk.");
            WriteLazyFields(w, LanesBuffers());
        }
        w.Line();
    }

    /// <summary>Fields for buffers allocated on first use (<see cref="WriteAllocations"/>).</summary>
    private void WriteLazyFields(SourceWriter w, List<(string Name, string Length, bool Aligned)> buffers)
    {
        foreach ((string name, _, _) in buffers)
            w.Line("private " + T + "[] " + name + " = null!;");
    }

    /// <summary>The statements that allocate <paramref name="buffers"/>: AlignedBuffer for those read from AlignedStart, a plain array otherwise.</summary>
    private void WriteAllocations(SourceWriter w, List<(string Name, string Length, bool Aligned)> buffers)
    {
        foreach ((string name, string length, bool aligned) in buffers)
            w.Line(name + " = " + (aligned ? "AlignedBuffer(" + length + ")" : "new " + T + "[" + length + "]") + ";");
    }

    /// <summary>ForwardBatch's lanes buffers, their lengths, and whether they start at AlignedStart.</summary>
    private List<(string Name, string Length, bool Aligned)> LanesBuffers()
    {
        int input = Planner.LanesInputLength(Topology);
        var buffers = new List<(string, int, bool)> { ("_lanesRows", LaneSamples * input, false), ("_lanes0", LaneSamples * input, true) };
        foreach (LayerShape layer in Layers)
        {
            buffers.Add(("_lanes" + layer.Number, LaneSamples * Planner.LanesRecordLength(layer.Outputs), true));
            if (PlanOf(layer).Owns("_lanesPad" + layer.Number))
                buffers.Add(("_lanesPad" + layer.Number, LaneSamples * layer.Window.Channels * layer.Window.PaddedPlane, true));
            if (PlanOf(layer).Owns("_lanesS" + layer.Number))
                buffers.Add(("_lanesS" + layer.Number, LaneSamples * Planner.LanesRecordLength(layer.Outputs), true));
            if (PlanOf(layer).Owns("_lanesPadHat" + layer.Number))
                buffers.Add(("_lanesPadHat" + layer.Number, LaneSamples * layer.Window.Channels * layer.Window.PaddedPlane, true));
        }
        if (Plan.LanesBackward)
        {
            int targets = LaneSamples * Planner.LanesRecordLength(Topology.OutputSize);
            buffers.Add(("_lanesTargetRows", targets, false));
            buffers.Add(("_lanesD", targets, true));
            // The widest source of a dense layer (or of a convolution that is one), as rows for its g_W.
            int widest = Layers.Where(layer => PlanOf(layer).Lanes is LanesKernel.Dense or LanesKernel.ConvAsDense && PlanOf(layer).Backward != BackwardKernel.None)
                               .SelectMany(layer => layer.SourceShapes.Select(shape => Planner.LanesRecordLength(shape.Size))).DefaultIfEmpty(0).Max();
            buffers.Add(("_lanesRowsX", LaneSamples * Math.Max(widest, LaneSamples), true));
            if (SoftmaxOutput)
            {
                buffers.Add(("_lanesU", LaneSamples * Output.Outputs, true));
                buffers.Add(("_lanesLogZ", LaneSamples, true));
            }
        }
        return buffers.Select(b => (b.Item1, b.Item2.ToString(CultureInfo.InvariantCulture), b.Item3)).ToList();
    }

    /// <summary>ForwardLanes (a chunk of 8 to 16 samples through every layer in lanes), the buffers' allocation and one LanesLayer{l} per layer.</summary>
    private void WriteLanes(SourceWriter w)
    {
        int input = Planner.LanesInputLength(Topology), o = Output.Number;
        w.Line("/// <summary>Allocates ForwardBatch's lanes buffers, on the first chunk it runs in lanes.</summary>");
        w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.NoInlining)]");
        w.Line("[global::System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_lanesRows), nameof(_lanes0), nameof(_lanes" + o + "))]");
        using (w.Open("private void AllocateLanesBuffers()"))
            WriteAllocations(w, LanesBuffers());
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The forward pass of count (at most 16) samples at once, each layer in turn with the samples in the lanes of each");
        w.Line("/// Vector512: x⁰'s rows into lanes, LanesLayer{l} in execution order, x" + Sup(o) + "'s lanes back into rows. Lanes count … 15");
        w.Line("/// compute zeros' outputs, which are not read; the per-sample state (Activities) is not changed.");
        w.Line("/// </summary>");
        using (OpenMethod(w, "private void ForwardLanes(global::System.ReadOnlySpan<" + T + "> inputs, global::System.Span<" + T + "> outputs, int count)"))
        {
            w.Line("if (_lanes0 is null) AllocateLanesBuffers();");
            RowsIntoLanes(w, "inputs", "InputSize", input, "_lanesRows", "_lanes0");
            foreach (int l in Topology.ExecutionOrder)
                w.Line("LanesLayer" + l + "(); // " + ShortName(Layers[l - 1]));
            w.Line("// x" + Sup(o) + "'s lanes into the samples' rows.");
            w.Line("if (outputs.IsEmpty) return;");
            w.Line(LanesRef("xOut", o));
            w.Line("ref " + T + " y = ref Interop::MemoryMarshal.GetReference(outputs);");
            using (w.Open("for (int s = 0; s < count; s++)"))
            using (w.Open("for (int f = 0; f < OutputSize; f++)"))
                w.Line(At("y", "s * OutputSize + f") + " = " + At("xOut", "f * " + LaneSamples + " + s") + ";");
        }
        w.Line();
        if (Plan.LanesBackward) WriteLanesBackward(w);
        foreach (int l in Topology.ExecutionOrder)
        {
            LayerShape layer = Layers[l - 1];
            w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + " for 16 samples in lanes (" + Xml(PlanOf(layer).Lanes.ToString()) + "): " + Xml(LayerFormula(layer)) + ".</summary>");
            using (OpenMethod(w, "private void LanesLayer" + l + "()"))
                C.For(layer.Kind).WriteLanesForward(w, layer);
            w.Line();
        }
    }

    /// <summary>
    /// The count rows of <paramref name="span"/> ([count, size]) into the lanes buffer <paramref name="lanes"/>: each row
    /// copied to s·<paramref name="stride"/> of <paramref name="rows"/> (whole Vector512s; the padding columns are never
    /// written, so they stay 0), the rows of absent samples cleared, then one SampleLanes.Transpose.
    /// </summary>
    private void RowsIntoLanes(SourceWriter w, string span, string size, int stride, string rows, string lanes)
    {
        w.Line("// Sample s's row at s·" + stride + ", the absent samples' rows cleared; then the rows into lanes.");
        using (w.Open("for (int s = 0; s < count; s++)"))
            w.Line(span + ".Slice(s * " + size + ", " + size + ").CopyTo(new global::System.Span<" + T + ">(" + rows + ", s * " + stride + ", " + size + "));");
        w.Line("if (count < " + LaneSamples + ") new global::System.Span<" + T + ">(" + rows + ", count * " + stride + ", (" + LaneSamples + " - count) * " + stride + ").Clear();");
        w.Line("Nc::SampleLanes.Transpose(" + rows + ", " + stride + ", Interop::MemoryMarshal.CreateSpan(ref AlignedStart(" + lanes + "), " + LaneSamples * stride + "));");
    }

    /// <summary>BackwardLanes (a chunk of 8 to 16 samples forward and backward in lanes), its loss and one BackwardLanesLayer{l} per layer that has a backward pass.</summary>
    private void WriteLanesBackward(SourceWriter w)
    {
        int targets = Planner.LanesRecordLength(Topology.OutputSize), o = Output.Number;
        w.Line("/// <summary>");
        w.Line("/// The forward and backward pass of count (at most 16) samples at once, each layer with the samples in the lanes of");
        w.Line("/// each Vector512, adding the summed ∂L/∂θ to Gradients; returns the summed loss. The absent samples' lanes get û = 0,");
        w.Line("/// so they add nothing. The per-sample state (Activities, Sensitivities) is not changed.");
        w.Line("/// </summary>");
        using (OpenMethod(w, "private " + T + " BackwardLanes(global::System.ReadOnlySpan<" + T + "> inputs, global::System.ReadOnlySpan<" + T + "> targets, global::System.Span<" + T + "> outputs, int count)"))
        {
            w.Line("ForwardLanes(inputs, outputs, count);");
            w.Line("// The targets into lanes, as the inputs went (the absent samples' d = 0).");
            RowsIntoLanes(w, "targets", "OutputSize", targets, "_lanesTargetRows", "_lanesD");
            w.Line("// x̂ = 0 for every layer but the output, whose consumers add their shares to it (one that is a layer's only consumer");
            w.Line("// and writes all of it stores x̂ instead).");
            foreach (LayerShape layer in Layers)
                if (layer.Number != o && !PlanOf(layer).LanesSensitivityStored) w.Line("global::System.Array.Clear(_lanesS" + layer.Number + ");");
            w.Line(T + " loss = BackwardLanesOutput(count);");
            for (int k = Topology.ExecutionOrder.Count - 1; k >= 0; k--)
            {
                LayerShape layer = Layers[Topology.ExecutionOrder[k] - 1];
                if (PlanOf(layer).Backward != BackwardKernel.None) w.Line("BackwardLanesLayer" + layer.Number + "(); // " + ShortName(layer));
            }
            w.Line("return loss;");
        }
        w.Line();
        w.Line("/// <summary>L of the count samples and û" + Sup(o) + " in lanes.</summary>");
        using (OpenMethod(w, "private " + T + " BackwardLanesOutput(int count)"))
            C.Output.WriteLanesOutputSensitivity(w);
        w.Line();
        foreach (int l in Topology.ExecutionOrder)
        {
            LayerShape layer = Layers[l - 1];
            if (PlanOf(layer).Backward == BackwardKernel.None) continue;
            w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + " backward for 16 samples in lanes: " + Xml(BackwardText(layer)) + ".</summary>");
            using (OpenMethod(w, "private void BackwardLanesLayer" + l + "()"))
            {
                w.Line(LanesSensitivityRef("s", l));
                if (HasU(layer) && l != o) LanesActivationBackward(w, layer);
                C.For(layer.Kind).WriteLanesBackward(w, layer);
            }
            w.Line();
        }
    }

    /// <summary>The deferred layers' record buffers, their lengths, and whether they start at AlignedStart.</summary>
    private List<(string Name, string Length, bool Aligned)> DeferredBuffers()
    {
        var buffers = new List<(string, string, bool)>();
        foreach (LayerShape layer in Layers)
        {
            int l = layer.Number;
            switch (PlanOf(layer).Deferral)
            {
                case GradientDeferral.Rows:
                    buffers.Add(("_deferU" + l, "DeferredSamples * " + layer.Outputs, false));
                    buffers.Add(("_deferX" + l, "DeferredSamples * " + layer.SourceShapes[0].Size, false));
                    break;
                case GradientDeferral.Lanes:
                    (int u, int x) = Planner.LanesRecordLengths(layer.Window);
                    buffers.Add(("_deferU" + l, "DeferredSamples * " + u, false));
                    buffers.Add(("_deferX" + l, "DeferredSamples * " + x, false));
                    buffers.Add(("_laneU" + l, "DeferredSamples * " + u, true));
                    buffers.Add(("_laneX" + l, "DeferredSamples * " + x, true));
                    break;
            }
        }
        return buffers;
    }

    /// <summary>FlushDeferred, one DeferredGradientLayer{l} per deferred layer, and the buffers' allocation.</summary>
    private void WriteDeferred(SourceWriter w)
    {
        w.Line("/// <summary>Allocates the deferred layers' record buffers, on the first BackwardBatch of this instance.</summary>");
        w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.NoInlining)]");
        using (w.Open("private void AllocateDeferredBuffers()"))
            WriteAllocations(w, DeferredBuffers());
        w.Line();
        w.Line("/// <summary>Adds the recorded samples' gradients to each deferred layer's g_W and starts a new record.</summary>");
        using (OpenMethod(w, "private void FlushDeferred()"))
        {
            w.Line("int count = _deferred;");
            w.Line("if (count == 0) return;");
            foreach (LayerShape layer in Layers)
                if (PlanOf(layer).DeferredGradient) w.Line("DeferredGradientLayer" + layer.Number + "(count); // " + ShortName(layer));
            w.Line("_deferred = 0;");
        }
        w.Line();
        foreach (LayerShape layer in Layers)
        {
            if (!PlanOf(layer).DeferredGradient) continue;
            int l = layer.Number;
            if (PlanOf(layer).Deferral == GradientDeferral.Lanes)
            {
                w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + ": g_w and g_b of the count recorded samples, the samples in the lanes of each vector.</summary>");
                using (OpenMethod(w, "private void DeferredGradientLayer" + l + "(int count)"))
                    C.Conv.WriteDeferredGradient(w, layer);
            }
            else
            {
                w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + ": g_" + Xml(MathWeight(layer, 0)) + " += −Σ_b û_b·x_bᵀ over the count recorded samples, in sample order.</summary>");
                using (OpenMethod(w, "private void DeferredGradientLayer" + l + "(int count)"))
                    C.Dense.WriteDeferredGradient(w, layer);
            }
            w.Line();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Forward and Backward: the layers' methods in execution order.

    public void WriteForward(SourceWriter w)
    {
        w.Line("/// <summary>The forward pass, layer by layer in execution order; writes x" + Sup(Output.Number) + " to <paramref name=\"output\"/>.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">input is not " + Topology.InputSize + " long or output not " + Topology.OutputSize + ".</exception>");
        using (OpenMethod(w, "public void Forward(global::System.ReadOnlySpan<" + T + "> input, global::System.Span<" + T + "> output)"))
        {
            w.Line("if (input.Length != InputSize) ThrowLength(nameof(input), InputSize, input.Length);");
            w.Line("if (output.Length != OutputSize) ThrowLength(nameof(output), OutputSize, output.Length);");
            w.Line("ForwardCore(input);");
            w.Line("new global::System.ReadOnlySpan<" + T + ">(_x" + Output.Number + ", 0, OutputSize).CopyTo(output);");
        }
        w.Line();
        w.Line("// x⁰ is copied in because the backward pass needs it (and so input may alias output).");
        using (OpenMethod(w, "private void ForwardCore(global::System.ReadOnlySpan<" + T + "> input)"))
        {
            w.Line("input.CopyTo(_x0);");
            foreach (int l in Topology.ExecutionOrder)
                w.Line("ForwardLayer" + l + "(); // " + ShortName(Layers[l - 1]));
            if (Trainable) w.Line("_hasForward = true;");
        }
        w.Line();
    }

    public void WriteBackward(SourceWriter w)
    {
        using (OpenBackward(w, "After Forward: the loss L and the backward pass, layers in reverse execution order, adding ∂L/∂θ to Gradients (+=)", "so that a minibatch is B Forward/Backward pairs and one Update. Returns L."))
        {
            w.Line("// x̂ = 0 for every layer but the output: each layer adds its share to the x̂ of its sources (fan-out sums).");
            foreach (LayerShape layer in Layers)
                if (layer.Number != Output.Number) w.Line("global::System.Array.Clear(_s" + layer.Number + ");");
            int o = Output.Number;
            w.Line("ref " + T + " d = ref Interop::MemoryMarshal.GetReference(target);");
            w.Line(Ref("x" + o, "_x" + o));
            w.Line(Ref("s" + o, "_s" + o));
            w.Line();
            C.Output.OutputSensitivity(w);
            w.Line();
            for (int k = Topology.ExecutionOrder.Count - 1; k >= 0; k--)
            {
                LayerShape layer = Layers[Topology.ExecutionOrder[k] - 1];
if (PlanOf(layer).Backward != BackwardKernel.None) w.Line("BackwardLayer" + layer.Number + "(); // " + ShortName(layer));
                else w.Line("// " + ShortName(layer) + " has no parameters and reads only the input: nothing to send back.");
            }
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>The batched entry points as loops over the per-sample path, then each layer's forward and backward method.</summary>
    public void WriteBatch(SourceWriter w)
    {
        C.Network.WriteBatchEntryPoints(w, blocked: false);
        NetworkEmitter.WriteBatchHelpers(w);
        if (Plan.AnyDeferredGradient) WriteDeferred(w);
        if (Plan.LanesForward) WriteLanes(w);
        foreach (int l in Topology.ExecutionOrder)
        {
            LayerShape layer = Layers[l - 1];
            WriteLayerForward(w, layer);
            if (PlanOf(layer).Backward != BackwardKernel.None) WriteLayerBackward(w, layer);
        }
    }

    private void WriteLayerForward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + ", forward: " + Xml(LayerFormula(layer)) + ".</summary>");
        using (OpenMethod(w, "private void ForwardLayer" + l + "()"))
        {
            C.For(layer.Kind).WriteForward(w, layer);
            if (PlanOf(layer).ConvFusesActivation) w.Line("// x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + " was applied by the kernel above.");
            else if (HasU(layer)) ActivationForward(w, layer, PlanOf(layer).ActivationUnrolled);
        }
        w.Line();
    }

    private void WriteLayerBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line("/// <summary>Layer " + l + Xml(QuotedName(layer)) + ", backward: " + Xml(BackwardText(layer)) + ".</summary>");
        using (OpenMethod(w, "private void BackwardLayer" + l + "()"))
        {
            w.Line(Ref("s" + l, "_s" + l));
            if (HasU(layer) && l != Output.Number)
            {
                w.Line(Ref("x" + l, "_x" + l));
                ActivationBackward(w, layer);
            }
            else if (!HasU(layer))
                w.Line("// û" + Sup(l) + " = x̂" + Sup(l) + ": the layer has no u (nor f).");
            else
                w.Line("// û" + Sup(l) + " was set from the loss.");
            C.For(layer.Kind).WriteBackward(w, layer);
        }
        w.Line();
    }

    private string BackwardText(LayerShape layer)
    {
        string l = Sup(layer.Number);
        string sources = string.Join(", ", layer.Sources.Where(s => s != 0).Select(s => "x̂" + Sup(s)));
        string send = sources.Length == 0 ? "" : "; adds to " + sources;
        return layer.Kind switch
        {
            LayerKind.Dense => "g_b" + l + " += −û" + l + ", g_W" + l + " += −û" + l + "·xᵀ (ΔW ∝ û·xᵀ)" + (sources.Length == 0 ? "" : ", x̂ += (W" + l + ")ᵀ·û" + l) + send,
            LayerKind.Conv1D or LayerKind.Conv2D => "g_w" + l + " += −Σ over positions of û" + l + "·x (a shared weight's gradient sums over its uses), g_b" + l + " += −Σ û" + l +
                                                    (sources.Length == 0 ? "" : ", x̂ += û" + l + " correlated with the flipped filter") + send,
            LayerKind.AvgPool => (layer.Trainable ? "g_c" + l + " += −Σ û" + l + "·mean, g_b" + l + " += −Σ û" + l + ", " : "") + "each window's inputs get " + (layer.Trainable ? "c·" : "") + "û/size" + send,
            LayerKind.MaxPool => "each window's first maximal input gets x̂" + l + send,
            LayerKind.Add => "every source gets û" + l + send,
            _ => "each source gets its slice of x̂" + l + send,
        };
    }
}
