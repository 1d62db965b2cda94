namespace NetCompiler.Generator.Plan;

// The kernels the emitters can write, one enum per entry point. The planner (Planner.cs) picks one value per layer;
// each emitter has one method per value. Adding a kernel is a value here, a rule in Planner and a method in an emitter.

/// <summary>A layer's per-sample forward kernel (Forward, and the forward half of TrainStep).</summary>
internal enum ForwardKernel
{
    /// <summary>Register chain, 2 inputs and V outputs: W's two columns times the broadcast inputs.</summary>
    RegisterColumns,
    /// <summary>Register chain, n &lt; V inputs dividing V: each vector of W holds V/n rows; pairwise sums.</summary>
    RegisterNarrow,
    /// <summary>Register chain, one output of n = V inputs: the products summed into every lane.</summary>
    RegisterSumToAll,
    /// <summary>Register chain, n = V inputs: one product per row, added by VectorMath.RowSums.</summary>
    RegisterRowSums,
    /// <summary>n &lt; V inputs dividing V, m·n a multiple of V: V/n rows a vector, log₂ n levels of pairwise adds.</summary>
    Narrow,
    /// <summary>n ≥ V inputs, 2 ≤ m ≤ V outputs: the rows' partial sums reduced into one vector of u.</summary>
    RowsToVector,
    /// <summary>n ≥ 8V inputs: one row at a time front to back (one linear stream from L2), Vector512 | Vector256.</summary>
    StreamedRows,
    /// <summary>n ≥ V inputs: four rows at a time, so each load of x feeds four FMAs.</summary>
    RowGroups,
    /// <summary>n &lt; V inputs otherwise: scalar multiply-adds.</summary>
    Scalar,
    /// <summary>A dense layer in a graph: any number of sources of any rank, four rows at a time.</summary>
    GraphDense,
    /// <summary>A convolution whose kernel covers its whole input, at least two Vector256 of it: a dense layer, rows in Vector512 lanes.</summary>
    ConvAsDense,
    /// <summary>A convolution at stride 1 with at least a vector of outputs, over the output plane flattened at the source's row stride.</summary>
    ConvFlat,
    /// <summary>A convolution one output position at a time (stride above 1, or fewer outputs than a vector).</summary>
    ConvScalar,
    /// <summary>Average pooling of 2-wide windows at stride 2 with output rows of a vector or more: two source vectors per output vector.</summary>
    AvgPoolPairs,
    /// <summary>Average pooling one window at a time.</summary>
    AvgPoolWindows,
    /// <summary>Max pooling of 2-wide windows at stride 2 (float) with output rows of a vector or more: the maximum and where it was, selected lane by lane.</summary>
    MaxPoolPairs,
    /// <summary>Max pooling one window at a time, remembering where each maximum was.</summary>
    MaxPoolWindows,
    /// <summary>u = Σ sources, whole vectors.</summary>
    Add,
    /// <summary>x = the sources one after the other: a copy each.</summary>
    Concat,
}

/// <summary>A layer's per-sample backward kernel (Backward, and the fused step of TrainStep).</summary>
internal enum BackwardKernel
{
    /// <summary>Register chain: û and x̂ pass from layer to layer in registers.</summary>
    Register,
    /// <summary>Layer 1 with n ≥ 8V inputs: g_W (and W) streamed row by row, front to back, Vector512 | Vector256.</summary>
    StreamedRows,
    /// <summary>n ≥ V inputs: blocks of four column vectors of x and x̂ in registers while the rows stream past.</summary>
    ColumnBlocks,
    /// <summary>n &lt; V inputs: scalars, x and x̂ in locals.</summary>
    Scalar,
    /// <summary>A dense layer in a graph (or a convolution that is one): per source, column blocks or scalars; x̂ added.</summary>
    GraphDense,
    /// <summary>A convolution at stride 1 with a vector of outputs: each tap's g_w a dot product over the plane flattened at the source's row stride.</summary>
    ConvFlat,
    /// <summary>A convolution one output position at a time.</summary>
    ConvScalar,
    /// <summary>Average pooling, 2-wide windows at stride 2, a vector of outputs at a time.</summary>
    AvgPoolPairs,
    /// <summary>Average pooling one window at a time.</summary>
    AvgPoolWindows,
    /// <summary>Max pooling: each window's maximum gets the sensitivity.</summary>
    MaxPoolArgmax,
    /// <summary>Every source gets û.</summary>
    Add,
    /// <summary>Each source gets its slice of x̂.</summary>
    Concat,
    /// <summary>Nothing to send back: no parameters, and only the input is read.</summary>
    None,
}

/// <summary>How a convolution's backward pass computes x̂ of its source.</summary>
internal enum ConvInputSensitivity
{
    /// <summary>Not needed: the source is the input, the network is not trainable, or the convolution is a dense layer.</summary>
    None,
    /// <summary>û correlated with the flipped filter over x̂'s plane flattened at the bordered û's row stride (stride 1, a vector of positions).</summary>
    Gather,
    /// <summary>w·û scattered into x̂ tap by tap (through the padded copy's x̂ when there is padding).</summary>
    Scatter,
    /// <summary>
    /// Stride 1, no padding, source rows of at most two Vector256: x̂'s rows of one channel slide through k
    /// accumulators (a row a vector or two), each row of û shifted by kx feeding the k rows of x̂ it reaches.
    /// </summary>
    Rows,
}

/// <summary>A dense layer's kernel over a chunk of samples (ForwardBatch, BackwardBatch).</summary>
internal enum BatchKernel
{
    /// <summary>n ≥ V inputs, 2 ≤ m ≤ V outputs (forward only): per sample, the rows' partial sums into one vector.</summary>
    RowsToVector,
    /// <summary>n ≥ V inputs: tiles of samples × rows (forward), rows × column vectors (g_W), samples × column vectors (x̂).</summary>
    Tiles,
    /// <summary>n &lt; V inputs dividing V: per sample, V/n rows a vector.</summary>
    Narrow,
    /// <summary>n &lt; V inputs otherwise: scalars.</summary>
    Scalar,
}

/// <summary>What TrainStep runs after (or with) the forward pass.</summary>
internal enum TrainStepKind
{
    /// <summary>Forward and backward in registers, each layer's SGD step folded in as its gradient is known.</summary>
    Register,
    /// <summary>Backward with each layer's SGD step folded in: W and g read once, W written once.</summary>
    Fused,
    /// <summary>Backward, then Update.</summary>
    BackwardThenUpdate,
}

/// <summary>What ForwardBatch runs.</summary>
internal enum BatchForwardKind
{
    /// <summary>The register chain's per-sample forward pass in a loop, θ held in registers.</summary>
    RegisterLoop,
    /// <summary>The blocked kernels, in chunks of MaxBatch samples.</summary>
    Blocked,
    /// <summary>The blocked kernels, and the feature-major ones for a nearly full chunk on AVX-512.</summary>
    BlockedOrFeatureMajor,
    /// <summary>A loop over Forward (a graph).</summary>
    PerSample,
    /// <summary>
    /// A float graph: the layers in turn over chunks of 16 samples held in the lanes of each Vector512 (LanesLayer{l}),
    /// from Tuning.LanesMinimum samples a chunk on AVX-512; a loop over Forward otherwise.
    /// </summary>
    Lanes,
}

/// <summary>A graph layer's kernel in ForwardBatch's lanes path (BatchForwardKind.Lanes): element f of sample s at f·16 + s.</summary>
internal enum LanesKernel
{
    /// <summary>Not in lanes (the network runs ForwardBatch per sample).</summary>
    None,
    /// <summary>A convolution: LanesMaps maps a pass, each output row in runs of at most LanesRun positions held in registers.</summary>
    Conv,
    /// <summary>A convolution whose single output position sees its whole source (LeNet-5's C5): a dense layer over the flattened source.</summary>
    ConvAsDense,
    /// <summary>A dense layer: LanesMaps outputs a pass, each input vector loaded once for all of them.</summary>
    Dense,
    /// <summary>Average pooling (and LeNet's trainable c·mean + b), one vector per position.</summary>
    AvgPool,
    /// <summary>Max pooling, one vector per position.</summary>
    MaxPool,
    /// <summary>The sum of the sources.</summary>
    Add,
    /// <summary>The sources copied one after another.</summary>
    Concat,
}

/// <summary>How a graph's BackwardBatch adds a layer's weight gradient (Planner.DefersGradient).</summary>
internal enum GradientDeferral
{
    /// <summary>Per sample, in BackwardLayer{l}.</summary>
    None,
    /// <summary>A dense layer: û and x recorded per sample, g_W += −Σ_b û_b·x_bᵀ in one pass over g_W (DenseEmitter.Deferred.cs).</summary>
    Rows,
    /// <summary>A convolution: û and the padded x recorded per sample, then g_w and g_b over 16 samples held in the lanes of each vector (ConvEmitter.Deferred.cs).</summary>
    Lanes,
}
