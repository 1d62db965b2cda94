
namespace NetCompiler.Generator.Plan;

/// <summary>
/// The planning stage: decides, for a valid topology, which kernel each entry point runs for each layer, which loops
/// are written out (<see cref="CostModel"/>), and which buffers each layer owns. Every rule that picks a kernel is
/// here and only here; the emitters write what the plan names, and GeneratedMembers lists what it declares.
/// </summary>
internal static class Planner
{
    /// <summary>The plan of <paramref name="topology"/>, which must be valid.</summary>
    public static NetworkPlan Plan(NetworkTopology topology)
    {
        Emit.ElementType element = Emit.ElementType.Of(topology.Precision);
        int v = element.Lanes;
        bool trainable = topology.Loss.HasValue;
        IReadOnlyList<LayerShape> layers = topology.Layers;
        var builders = layers.Select(layer => new Builder(layer)).ToArray();
        bool registerChain = topology.IsDenseChain && trainable && topology.Loss == LossFunction.SquaredError &&
                             layers.All(layer => layer.Activation != Activation.Softmax && layer.Outputs <= v && (layer.Inputs == v || IsNarrow(layer, v)));

        if (topology.IsDenseChain) PlanChain(topology, builders, v, registerChain);
        else PlanGraph(topology, builders, element);

        TrainStepKind trainStep = registerChain ? TrainStepKind.Register
            : topology.IsDenseChain && layers.All(layer => layer.Inputs >= v) ? TrainStepKind.Fused
            : TrainStepKind.BackwardThenUpdate;
        bool lanes = !topology.IsDenseChain && RunsInLanes(topology, element);
        if (lanes) PlanLanes(builders, trainable);
        if (lanes && trainable) PlanLanesSensitivities(topology, builders);
        BatchForwardKind batch = !topology.IsDenseChain ? (lanes ? BatchForwardKind.Lanes : BatchForwardKind.PerSample)
            : registerChain ? BatchForwardKind.RegisterLoop
            : IsWide(layers[0], v) ? BatchForwardKind.BlockedOrFeatureMajor
            : BatchForwardKind.Blocked;
        int parameters = topology.ParameterCount;
        return new NetworkPlan(topology.IsDenseChain, trainable, v, registerChain, trainStep, batch,
            UpdateUnrolled: parameters / v <= CostModel.ElementwiseUnrollLimit,
            builders.Select(b => b.Build()).ToEquatableArray());
    }

    /// <summary>n &lt; V inputs dividing V, m·n a multiple of V: the row-major W is whole vectors of V/n rows each.</summary>
    private static bool IsNarrow(LayerShape layer, int v) => layer.Inputs < v && v % layer.Inputs == 0 && layer.Outputs * layer.Inputs % v == 0;

    /// <summary>
    /// Whether a narrow layer's kernel, written out in full (n vectors of W per vector of V outputs), fits the cost
    /// model; charges it if so. Without this a 2 → 4096 layer wrote 1,024 vectors into one method (MinOpts).
    /// </summary>
    private static bool NarrowFits(CostModel cost, LayerShape layer, int v) => cost.TryUnrollVectorKernel(Vectors(layer.Outputs, v), layer.Inputs);

    /// <summary>At least one Vector512 of inputs: the batched kernels get Vector512 forms.</summary>
    private static bool IsWide(LayerShape layer, int v) => layer.Inputs >= 2 * v;

    /// <summary>Whether copying <paramref name="count"/> elements is a handful of moves.</summary>
    public static bool IsSmallCopy(int count, int v) => count <= SmallCopyVectors * v;

    private static void PlanChain(NetworkTopology topology, Builder[] layers, int v, bool registerChain)
    {
        bool trainable = topology.Loss.HasValue;
        foreach (Builder b in layers)
        {
            LayerShape layer = b.Layer;
            int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
            b.Buffers.Add("_x" + Number(l));
            if (trainable) b.Buffers.Add("_s" + Number(l));
            bool softmaxOutput = l == topology.OutputLayer && layer.Activation == Activation.Softmax;
            if (softmaxOutput) b.Buffers.Add("_u" + Number(l));
            b.Buffers.Add("_batchX" + Number(l));
            if (trainable) b.Buffers.Add("_batchS" + Number(l));
            if (softmaxOutput) b.Buffers.Add("_batchU" + Number(l));

            // Batched: rows to one vector for a vector of outputs; tiles from a vector of inputs; narrow or scalar below.
            // The narrow kernels write out every vector of W (g_W's stay in registers): a method of their own each, so
            // each gets a fresh budget; a wider layer takes the scalar loops.
            bool wide = IsWide(layer, v), narrow = IsNarrow(layer, v) && NarrowFits(new CostModel(), layer, v);
            b.BatchForward = n >= v && m <= v && m > 1 ? BatchKernel.RowsToVector : n >= v ? BatchKernel.Tiles : narrow ? BatchKernel.Narrow : BatchKernel.Scalar;
            b.BatchForwardVector512 = wide && b.BatchForward == BatchKernel.Tiles;
            b.BatchBackward = n >= v ? BatchKernel.Tiles : narrow ? BatchKernel.Narrow : BatchKernel.Scalar;
            b.BatchBackwardVector512 = wide && trainable;
        }
        if (registerChain) PlanRegisterChain(layers, v);
        else PlanForwardCore(layers, v);
        if (trainable && !registerChain) PlanChainBackward(topology, layers, v);
    }

    /// <summary>Every layer one vector: x and û in registers; the kernel by the layer's shape.</summary>
    private static void PlanRegisterChain(Builder[] layers, int v)
    {
        foreach (Builder b in layers)
        {
            int n = b.Layer.Inputs, m = b.Layer.Outputs;
            b.Forward = n == 2 && m == v ? ForwardKernel.RegisterColumns
                : n < v ? ForwardKernel.RegisterNarrow
                : m == 1 ? ForwardKernel.RegisterSumToAll
                : ForwardKernel.RegisterRowSums;
            b.OutputInRegister = true;
            b.Backward = BackwardKernel.Register;
        }
    }

    /// <summary>
    /// ForwardCore's kernels, with the cost model charged in the order the method is written: each layer's kernel,
    /// then its elementwise pass x = f(u).
    /// </summary>
    private static void PlanForwardCore(Builder[] layers, int v)
    {
        var cost = new CostModel();
        foreach (Builder b in layers)
        {
            LayerShape layer = b.Layer;
            int n = layer.Inputs, m = layer.Outputs;
            // A layer whose outputs fit in one vector keeps u in registers and stores x once: storing u lane by lane
            // and loading it back as a vector would stall on store forwarding.
            bool inRegister = layer.Activation != Activation.Softmax && m <= v;
            b.OutputInRegister = inRegister;
            if ((IsNarrow(layer, v) && (inRegister || NarrowFits(cost, layer, v))) || (inRegister && n >= v && m > 1))
                b.Forward = n < v ? ForwardKernel.Narrow : ForwardKernel.RowsToVector;
            else if (!inRegister && n >= StreamedRowVectors * v)
            {
                b.Forward = ForwardKernel.StreamedRows;
                b.ForwardVector512 = true;
            }
            else if (n >= v)
            {
                int vectors = (n + v - 1) / v;
                b.Forward = ForwardKernel.RowGroups;
                b.ForwardUnrolled = inRegister || (CostModel.UnrollRow(vectors) && cost.TryUnrollVectorKernel(m, vectors));
            }
            else
            {
                b.Forward = ForwardKernel.Scalar;
                b.ForwardUnrolled = inRegister || cost.TryUnrollScalarKernel(m, n);
            }
            if (!inRegister) b.ActivationUnrolled = cost.TryUnrollElementwise(Vectors(m, v));
        }
    }

    /// <summary>
    /// Backward's kernels (TrainStep's fused step makes the same choices), charged in the method's order: the output
    /// layer's f', then from layer L down, each layer's kernel and the f' of the layer below.
    /// </summary>
    private static void PlanChainBackward(NetworkTopology topology, Builder[] layers, int v)
    {
        var cost = new CostModel();
        Builder output = layers[layers.Length - 1];
        if (topology.Loss == LossFunction.SquaredError && output.Layer.Activation != Activation.Softmax)
            output.ActivationBackwardUnrolled = ChargeActivationBackward(cost, output.Layer, v);
        for (int l = layers.Length; l >= 1; l--)
        {
            Builder b = layers[l - 1];
            int n = b.Layer.Inputs, m = b.Layer.Outputs, needInputSensitivity = l > 1 ? 2 : 1;
            if (l == 1 && n >= StreamedRowVectors * v) b.Backward = BackwardKernel.StreamedRows;
            else if (n >= v)
            {
                b.Backward = BackwardKernel.ColumnBlocks;
                b.BackwardUnrolled = cost.TryUnrollVectorKernel(m, needInputSensitivity * ((n + v - 1) / v));
            }
            else
            {
                b.Backward = BackwardKernel.Scalar;
                b.BackwardUnrolled = cost.TryUnrollScalarKernel(m, needInputSensitivity * n);
            }
            if (l > 1) layers[l - 2].ActivationBackwardUnrolled = ChargeActivationBackward(cost, layers[l - 2].Layer, v);
        }
    }

    private static bool ChargeActivationBackward(CostModel cost, LayerShape layer, int v) =>
        layer.Activation != Activation.Identity && cost.TryUnrollElementwise(Vectors(layer.Outputs, v));

    /// <summary>A graph: each layer's forward and backward in methods of their own, each with the whole unroll budget.</summary>
    private static void PlanGraph(NetworkTopology topology, Builder[] layers, Emit.ElementType element)
    {
        int v = element.Lanes;
        bool trainable = topology.Loss.HasValue;
        foreach (Builder b in layers)
        {
            LayerShape layer = b.Layer;
            int l = layer.Number;
            bool elementwise = new CostModel().TryUnrollElementwise(Vectors(layer.Outputs, v));
            b.ActivationUnrolled = elementwise;
            b.ActivationBackwardUnrolled = layer.Activation != Activation.Identity && elementwise;
            b.Buffers.Add("_x" + Number(l));
            if (trainable) b.Buffers.Add("_s" + Number(l));
            if (l == topology.OutputLayer && layer.Activation == Activation.Softmax) b.Buffers.Add("_u" + Number(l));
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    b.Forward = ForwardKernel.GraphDense;
                    b.Backward = BackwardKernel.GraphDense;
                    break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                    PlanConv(b, trainable, element);
                    break;
                case LayerKind.AvgPool:
                {
                    WindowGeometry g = layer.Window;
                    bool pairs = IsPairRow(g, v);
                    b.Forward = pairs ? ForwardKernel.AvgPoolPairs : ForwardKernel.AvgPoolWindows;
                    b.Backward = pairs ? BackwardKernel.AvgPoolPairs : BackwardKernel.AvgPoolWindows;
                    if (layer.Spec is PoolLayer { Trainable: true } && trainable) b.Buffers.Add("_mean" + Number(l));
                    break;
                }
                case LayerKind.MaxPool:
                {
                    // The positions are int lanes beside the float lanes: the vector form is written for float.
                    WindowGeometry g = layer.Window;
                    bool pairs = IsPairRow(g, v) && element.Name == "float";
                    b.Forward = pairs ? ForwardKernel.MaxPoolPairs : ForwardKernel.MaxPoolWindows;
                    b.Backward = BackwardKernel.MaxPoolArgmax;
                    if (trainable) b.Buffers.Add("_argmax" + Number(l));
                    break;
                }
                case LayerKind.Add:
                    b.Forward = ForwardKernel.Add;
                    b.Backward = BackwardKernel.Add;
                    break;
                default:
                    b.Forward = ForwardKernel.Concat;
                    b.Backward = BackwardKernel.Concat;
                    break;
            }
            // A layer with no parameters that reads only the input has nothing to send back.
            if (!trainable || (layer.ParameterCount == 0 && layer.Sources.All(s => s == 0))) b.Backward = BackwardKernel.None;
            if (b.InputSensitivity == ConvInputSensitivity.Rows)
            {
                // The last row of the source's last channel reads and writes a whole vector (two Vector256) from its start.
                Builder source = layers[layer.Sources[0] - 1];
                source.SensitivitySlack = Math.Max(source.SensitivitySlack, 2 * v - layer.Window.Width);
            }
            b.Deferral = DefersGradient(b, element);
            if (b.Deferral != GradientDeferral.None)
            {
                b.Buffers.Add("_deferU" + Number(l));
                b.Buffers.Add("_deferX" + Number(l));
            }
            if (b.Deferral == GradientDeferral.Lanes)
            {
                b.Buffers.Add("_laneU" + Number(l));
                b.Buffers.Add("_laneX" + Number(l));
            }
        }
    }

    /// <summary>
    /// Whether and how BackwardBatch defers the layer's g_W:
    /// <list type="bullet">
    /// <item>Rows: a graph's dense layer with one source of at least a vector and a W larger than
    /// <see cref="Tuning.DeferredGradientBytes"/>. BackwardBatch records its û and x per sample and adds
    /// g_W += −û·xᵀ for up to <see cref="Tuning.DeferredSamples"/> samples in one pass over g_W, in the per-sample
    /// order (so the sums are the same, bit for bit). Smaller layers stay in L1 and keep the per-sample update.</item>
    /// <item>Lanes: a float convolution with the flat backward kernel, a kernel at most
    /// <see cref="Tuning.LanesKernelWidth"/> wide, a map of û and a channel of x that fit in L1 together as lanes
    /// (<see cref="LanesPlaneBytes"/>, <see cref="Tuning.LanesPlaneBytes"/>), and records of at most
    /// <see cref="Tuning.LanesRecordBytes"/> (<see cref="LanesRecordBytes"/>). Its g_w and g_b are summed over 16 samples in the lanes of each vector,
    /// every lane useful and every load aligned, where the flat kernel computes positions between rows and reads
    /// each tap misaligned; the sums are in another order than the per-sample path's.</item>
    /// </list>
    /// </summary>
    private static GradientDeferral DefersGradient(Builder b, Emit.ElementType element)
    {
        LayerShape layer = b.Layer;
        if (b.Backward == BackwardKernel.ConvFlat)
            return element.Name == "float" && layer.Window.KernelWidth <= Tuning.LanesKernelWidth && LanesPlaneBytes(layer.Window) <= Tuning.LanesPlaneBytes &&
                   LanesRecordBytes(layer.Window) <= Tuning.LanesRecordBytes
                ? GradientDeferral.Lanes : GradientDeferral.None;
        long bytes = (long)layer.WeightCount * (32 / element.Lanes);
        return b.Backward == BackwardKernel.GraphDense && layer.Sources.Count == 1 && layer.SourceShapes[0].Size >= element.Lanes &&
               bytes >= Tuning.DeferredGradientBytes ? GradientDeferral.Rows : GradientDeferral.None;
    }

    /// <summary>Elements a sample's record of <paramref name="count"/> elements takes: whole Vector512s of float, so that a row transposes in 16 × 16 blocks.</summary>
    internal static int LanesRecordLength(int count) => (count + SampleLanesCount - 1) / SampleLanesCount * SampleLanesCount;

    /// <summary>
    /// Samples a lanes record holds: the lanes of a Vector512 of float. The runtime's SampleLanes.Count and the record
    /// length BackwardBatch flushes at (Tuning.DeferredSamples) must be the same; PlannerTests holds them to it.
    /// </summary>
    internal const int SampleLanesCount = 16;

    /// <summary>Bytes of one map of û and one channel of the padded x with 16 samples in lanes: what the kernel rereads once a kernel row.</summary>
    internal static long LanesPlaneBytes(WindowGeometry g) => (long)SampleLanesCount * sizeof(float) * (g.OutPlane + g.PaddedPlane);

    /// <summary>Elements of one sample's record of û and of the padded x: whole Vector512s of float.</summary>
    internal static (int U, int X) LanesRecordLengths(WindowGeometry g) =>
        (LanesRecordLength(g.OutChannels * g.OutPlane), LanesRecordLength(g.Channels * g.PaddedPlane));

    /// <summary>Bytes of a lanes-deferred convolution's buffers: û and the padded x of 16 samples, as rows and as lanes.</summary>
    internal static long LanesRecordBytes(WindowGeometry g)
    {
        (int u, int x) = LanesRecordLengths(g);
        return 2L * SampleLanesCount * sizeof(float) * (u + x);
    }

    /// <summary>
    /// Whether a graph's ForwardBatch runs in lanes (BatchForwardKind.Lanes): in float, whose Vector512 holds 16
    /// samples, and with every layer's x of 16 samples, the padded copies and the input's rows and lanes in at most
    /// <see cref="Tuning.LanesBytes"/> (<see cref="LanesBytes"/>). Every graph layer kind has a lanes kernel.
    /// </summary>
    private static bool RunsInLanes(NetworkTopology topology, Emit.ElementType element) =>
        element.Name == "float" && LanesBytes(topology) <= Tuning.LanesBytes;

    /// <summary>Elements of ForwardBatch's lanes buffer of x⁰ (a sample's row padded to whole Vector512s, so that it transposes in 16 × 16 blocks), and of the rows it is transposed from.</summary>
    internal static int LanesInputLength(NetworkTopology topology) => LanesRecordLength(topology.InputSize);

    /// <summary>Whether a convolution reads its source through a zero-padded copy in lanes (_lanesPad{l}).</summary>
    internal static bool LanesPadded(LayerShape layer) => layer.Padding != 0;

    /// <summary>
    /// Bytes of ForwardBatch's lanes buffers: x⁰ as rows and lanes, every layer's x (whole blocks of 16 positions, so
    /// that a dense layer's source turns back into rows in 16 × 16 blocks) and every padded copy, 16 samples each.
    /// BackwardBatch adds as many again for û.
    /// </summary>
    internal static long LanesBytes(NetworkTopology topology)
    {
        long elements = 2L * LanesInputLength(topology);
        foreach (LayerShape layer in topology.Layers)
        {
            elements += LanesRecordLength(layer.Outputs);
            if (layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D && LanesPadded(layer)) elements += (long)layer.Window.Channels * layer.Window.PaddedPlane;
        }
        return elements * SampleLanesCount * sizeof(float);
    }

    /// <summary>
    /// Each layer's lanes kernel and its register blocking. A convolution holds LanesMaps × LanesRun accumulators
    /// (maps × positions of an output row) and LanesMaps × k broadcast weights of a kernel row in
    /// <see cref="Tuning.LanesRegisters"/>: two maps a pass where their weights leave room, so each load of x feeds
    /// up to 2k FMAs; the row in runs of nearly equal width. A convolution that is a dense layer (IsDenseConv) takes the dense
    /// kernel over the flattened source, whose W has the same layout.
    /// </summary>
    private static void PlanLanes(Builder[] layers, bool trainable)
    {
        foreach (Builder b in layers)
        {
            LayerShape layer = b.Layer;
            int l = layer.Number;
            b.Buffers.Add("_lanes" + Number(l));
            // BackwardBatch in lanes: û of every layer, and a padded convolution's x̂ before its interior goes to its source.
            if (trainable) b.Buffers.Add("_lanesS" + Number(l));
            if (trainable && layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D && LanesPadded(layer) && !IsDenseConv(layer) && b.Backward != BackwardKernel.None && layer.Sources[0] != 0)
                b.Buffers.Add("_lanesPadHat" + Number(l));
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    b.Lanes = LanesKernel.Dense;
                    b.LanesMaps = Tuning.LanesDenseRows;
                    break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                {
                    WindowGeometry g = layer.Window;
                    if (IsDenseConv(layer))
                    {
                        b.Lanes = LanesKernel.ConvAsDense;
                        b.LanesMaps = Tuning.LanesDenseRows;
                        break;
                    }
                    b.Lanes = LanesKernel.Conv;
                    int maps = g.OutChannels >= 2 && 2 * g.KernelWidth <= Tuning.LanesRegisters / 2 ? 2 : 1;
                    int run = Math.Max(1, (Tuning.LanesRegisters - maps * g.KernelWidth) / maps);
                    int runs = (g.OutWidth + run - 1) / run;
                    b.LanesMaps = maps;
                    b.LanesRun = (g.OutWidth + runs - 1) / runs;
                    if (LanesPadded(layer)) b.Buffers.Add("_lanesPad" + Number(l));
                    break;
                }
                case LayerKind.AvgPool:
                    b.Lanes = LanesKernel.AvgPool;
                    break;
                case LayerKind.MaxPool:
                    b.Lanes = LanesKernel.MaxPool;
                    break;
                case LayerKind.Add:
                    b.Lanes = LanesKernel.Add;
                    break;
                default:
                    b.Lanes = LanesKernel.Concat;
                    break;
            }
        }
    }

    /// <summary>
    /// Which layers' x̂ in lanes BackwardLanes need not clear: those read by exactly one consumer whose lanes backward
    /// writes every element of it once (a dense layer or a convolution that is one, Add, Concat, and pooling whose
    /// windows tile the source), so that consumer stores x̂ where the others add to a cleared buffer. LeNet-5 clears
    /// only C3's source (518 KB a chunk before).
    /// </summary>
    private static void PlanLanesSensitivities(NetworkTopology topology, Builder[] layers)
    {
        foreach (Builder b in layers)
        {
            int l = b.Layer.Number;
            if (l == topology.OutputLayer) continue;
            var readers = layers.Where(c => c.Layer.Sources.Contains(l)).ToList();
            if (readers.Count != 1 || readers[0].Layer.Sources.Count(src => src == l) != 1 || readers[0].Backward == BackwardKernel.None) continue;
            LayerShape consumer = readers[0].Layer;
            b.LanesSensitivityStored = readers[0].Lanes switch
            {
                LanesKernel.Dense or LanesKernel.ConvAsDense or LanesKernel.Add or LanesKernel.Concat => true,
                LanesKernel.AvgPool or LanesKernel.MaxPool => consumer.Window.Stride == consumer.Window.KernelWidth && consumer.Window.KernelHeight == (consumer.Window.TwoD ? consumer.Window.KernelWidth : 1) &&
                                                              consumer.Window.OutWidth * consumer.Window.Stride == consumer.Window.Width &&
                                                              (!consumer.Window.TwoD || consumer.Window.OutHeight * consumer.Window.Stride == consumer.Window.Height),
                _ => false,
            };
        }
    }

    /// <summary>
    /// 2-wide windows at stride 2 whose output rows hold one to <see cref="CostModel.RowUnrollLimit"/> vectors: the pair
    /// kernels write out every vector of a row, so a wider row (a 2 × 4,096 plane wrote 645 KB) takes the window loop.
    /// </summary>
    private static bool IsPairRow(WindowGeometry g, int v) =>
        g.KernelWidth == 2 && g.Stride == 2 && g.OutWidth >= v && CostModel.UnrollRow(Vectors(g.OutWidth, v));

    private static void PlanConv(Builder b, bool trainable, Emit.ElementType element)
    {
        int v = element.Lanes;
        LayerShape layer = b.Layer;
        int l = layer.Number;
        if (IsDenseConv(layer))
        {
            // The kernel covers its whole unpadded input: one position per filter, a dense layer on x flattened.
            b.Forward = layer.SourceShapes[0].Size >= 2 * v ? ForwardKernel.ConvAsDense : ForwardKernel.GraphDense;
            b.Backward = BackwardKernel.GraphDense;
            return;
        }
        WindowGeometry g = layer.Window;
        int flatLength = FlatLength(g);
        b.Forward = g.Stride == 1 && flatLength >= v ? ForwardKernel.ConvFlat : ForwardKernel.ConvScalar;
        b.Backward = g.Stride == 1 && flatLength >= v ? BackwardKernel.ConvFlat : BackwardKernel.ConvScalar;
        bool sends = trainable && layer.Sources[0] != 0;
        b.InputSensitivity = !sends ? ConvInputSensitivity.None
            : FitsRows(g, v) ? ConvInputSensitivity.Rows
            : g.Stride == 1 && GatherLength(g) >= v ? ConvInputSensitivity.Gather
            : ConvInputSensitivity.Scatter;
        // The flat plane is u[o] itself for one output row (Conv1D) or rows as wide as the padded source's.
        bool direct = g.OutHeight == 1 || g.PaddedWidth == g.OutWidth;
        if (b.Forward == ForwardKernel.ConvFlat)
            b.ConvFusesActivation = layer.Activation != Activation.Softmax &&
                                    FlatWidths(flatLength, v).All(wide => HasVectorForm(layer.Activation, wide, element) || (!direct && g.OutWidth >= v));
        // Several maps a pass share each load of x (forward, g_w) or û (x̂). With a connection table each block is
        // written out as a method of its own, a channel feeding only the maps of the block it is connected to, while
        // the blocks stay small (TableBlocksFit); g_w keeps one map a pass there (its blocks measured slower:
        // bench/RESULTS.md, "C3's map blocks").
        bool table = HasSparseTable(layer);
        if (!table || TableBlocksFit(layer, outputs: true)) b.OutputMaps = Math.Min(ConvMapBlock, g.OutChannels);
        if (!table || TableBlocksFit(layer, outputs: false)) b.SourceMaps = Math.Min(ConvMapBlock, g.Channels);
        b.GradientMaps = table ? 1 : b.OutputMaps;
        if (g.PadWidth > 0)
        {
            b.Buffers.Add("_pad" + Number(l));
            if (b.InputSensitivity == ConvInputSensitivity.Scatter) b.Buffers.Add("_padHat" + Number(l));
        }
        if (b.Forward == ForwardKernel.ConvFlat && !direct) b.Buffers.Add("_flat" + Number(l));
        if (trainable && b.Backward == BackwardKernel.ConvFlat && !direct) b.Buffers.Add("_uHatFlat" + Number(l));
        if (b.InputSensitivity == ConvInputSensitivity.Rows) b.Buffers.Add("_uHatRows" + Number(l));
        if (b.InputSensitivity == ConvInputSensitivity.Gather)
        {
            b.Buffers.Add("_uHatPad" + Number(l));
            b.Buffers.Add("_xHatFlat" + Number(l));
        }
    }

    /// <summary>
    /// The x̂ rows kernel (ConvEmitter.Rows.cs): a 2-D convolution at stride 1 without padding whose source rows are
    /// wider than a Vector256 and at most two (one Vector512), with a kernel the rows kernel writes out. Its rows of x̂
    /// take every tap of a filter in a row of FMAs (the gather computed the planes' borders as full positions too):
    /// LeNet-5's C3, x̂ in 4.5 µs instead of 8.3 (bench/RESULTS.md, "x̂ in rows").
    /// </summary>
    private static bool FitsRows(WindowGeometry g, int v) =>
        g.TwoD && g.Stride == 1 && g.PadHeight == 0 && g.PadWidth == 0 && g.Width > v && g.Width <= 2 * v &&
        g.KernelWidth <= Tuning.KernelUnrollLimit && 2 * g.KernelHeight <= Tuning.RowsAccumulators256;

    /// <summary>The length of the rows of û's copy for the rows kernel: k − 1 zeros, then room for a whole Vector512 (two Vector256) read from any kx.</summary>
    public static int RowsStride(WindowGeometry g, int v) => g.KernelWidth - 1 + 2 * v;

    /// <summary>
    /// The length of a source plane flattened at the row stride of û's copy with a border of k − 1 (the gather's x̂
    /// staging): H − 1 rows of that stride and one of W.
    /// </summary>
    public static int GatherLength(WindowGeometry g) => (g.Height - 1) * (g.OutWidth + 2 * (g.KernelWidth - 1)) + g.Width;

    /// <summary>The widths the flat kernel is written for: Vector512 (wide) if a plane holds one, and Vector256.</summary>
    public static IEnumerable<bool> FlatWidths(int flatLength, int v)
    {
        if (flatLength >= 2 * v) yield return true;
        yield return false;
    }

    /// <summary>
    /// The length of a convolution's output plane flattened at the source's padded row stride: the last output of a
    /// plane starts at the same offset in the padded source as the output itself (stride 1).
    /// </summary>
    public static int FlatLength(WindowGeometry g) => (g.OutHeight - 1) * g.PaddedWidth + g.OutWidth;

    /// <summary>Whether the activation table has a vector form of f at the width (none for sigmoid in Vector512, tanh in double Vector512, softmax).</summary>
    private static bool HasVectorForm(Activation activation, bool wide, Emit.ElementType element) =>
        Emit.ActivationCode.Of(activation).Forward(new Emit.VectorWidth(element, wide), element, "u") is not null;

    /// <summary>A convolution whose kernel covers its whole unpadded input with every kernel connected: a dense layer.</summary>
    private static bool IsDenseConv(LayerShape layer) => layer.Shape.Spatial == 1 && layer.Padding == 0 && !HasSparseTable(layer);

    /// <summary>
    /// Whether a connection table's blocks of output maps (forward) or of source channels (x̂), each written out as a
    /// method, stay small: at most <see cref="TableBlockPairs"/> (block, connected channel or filter) pairs a block
    /// and <see cref="TableLayerPairs"/> a layer.
    /// </summary>
    private static bool TableBlocksFit(LayerShape layer, bool outputs)
    {
        WindowGeometry g = layer.Window;
        int blocked = outputs ? g.OutChannels : g.Channels, other = outputs ? g.Channels : g.OutChannels, total = 0;
        for (int start = 0; start < blocked; start += ConvMapBlock)
        {
            int pairs = 0;
            for (int j = 0; j < other; j++)
                for (int b = start; b < Math.Min(start + ConvMapBlock, blocked); b++)
                    if (outputs ? layer.IsConnected(b, j) : layer.IsConnected(j, b))
                    {
                        pairs++;
                        break;
                    }
            if (pairs > TableBlockPairs) return false;
            total += pairs;
        }
        return total <= TableLayerPairs;
    }

    /// <summary>
    /// A convolution whose connection table leaves some kernel out (a table connecting everything is the full layout):
    /// fewer weights than a kernel for every filter and channel.
    /// </summary>
    public static bool HasSparseTable(LayerShape layer) =>
        layer.WeightCount < (long)layer.Window.OutChannels * layer.Window.Channels * layer.Window.KernelVolume;

    /// <summary>Vectors of <paramref name="v"/> lanes that hold <paramref name="count"/> elements.</summary>
    private static int Vectors(int count, int v) => (count + v - 1) / v;

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A layer's plan while the rules fill it in.</summary>
    private sealed class Builder
    {
        public Builder(LayerShape layer) => Layer = layer;

        public LayerShape Layer { get; }
        public ForwardKernel Forward;
        public bool ForwardUnrolled, OutputInRegister, ForwardVector512, ActivationUnrolled;
        public BackwardKernel Backward = BackwardKernel.None;
        public bool BackwardUnrolled, ActivationBackwardUnrolled;
        public BatchKernel BatchForward, BatchBackward;
        public bool BatchForwardVector512, BatchBackwardVector512, ConvFusesActivation;
        public int OutputMaps = 1, GradientMaps = 1, SourceMaps = 1;
        public GradientDeferral Deferral;
        public int SensitivitySlack;
        public ConvInputSensitivity InputSensitivity;
        public LanesKernel Lanes;
        public int LanesMaps, LanesRun;
        public bool LanesSensitivityStored;
        public List<string> Buffers { get; } = new();

        public LayerPlan Build() => new(Layer.Number, Forward, ForwardUnrolled, OutputInRegister, ForwardVector512, ActivationUnrolled,
            Backward, BackwardUnrolled, ActivationBackwardUnrolled, BatchForward, BatchForwardVector512, BatchBackward, BatchBackwardVector512,
            InputSensitivity, ConvFusesActivation, OutputMaps, GradientMaps, SourceMaps, Deferral, SensitivitySlack, Buffers.ToEquatableArray(), Lanes, LanesMaps, LanesRun, LanesSensitivityStored);
    }
}
