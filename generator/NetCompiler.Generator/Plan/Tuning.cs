namespace NetCompiler.Generator.Plan;

/// <summary>
/// Every tile shape and threshold of the generated kernels, in one place, each with the reason that set it. The
/// planner's rules (Planner.cs) and the emitters read these; the measurements are in bench/RESULTS.md, "Kernel design
/// notes" (named below by subsection). The unroll budget is <see cref="CostModel"/>'s. Where a line says "register
/// count", the value fills the 16 (Vector256) or 32 (Vector512) vector registers and was not tuned separately.
/// </summary>
internal static class Tuning
{
    // Per-sample dense kernels.

    /// <summary>Rows of W dotted with x at once: each load of x feeds this many FMAs (register count: 4 accumulators + x).</summary>
    public const int RowGroup = 4;

    /// <summary>Column vectors per block in the backward pass: x and x̂ of the block (2 × 4 registers) stay in registers while W and g_W stream past.</summary>
    public const int ColumnBlock = 4;

    /// <summary>
    /// Vector256s of inputs from which a layer streams W row by row: four Vector512, a row a run of whole cache lines.
    /// One linear stream measured 1.5× faster than four rows at a time on 784 × 128 ("Dense kernels: streamed rows").
    /// </summary>
    public const int StreamedRowVectors = 8;

    /// <summary>Partial sums per row in the streamed kernels, Vector256 and Vector512: enough independent FMA chains to cover the FMA latency.</summary>
    public const int StreamAccumulators256 = 8, StreamAccumulators512 = 4;

    /// <summary>Vectors of g_W per zero test in the fused step: one branch for four vectors.</summary>
    public const int ZeroTestGroup = 4;

    /// <summary>Copies of at most this many Vector256 are written as a constant-size block copy (the JIT unrolls it: a few moves, no call).</summary>
    public const int SmallCopyVectors = 4;

    // Batched dense kernels ("Batched tiles").

    /// <summary>Samples held in the batch buffers; larger batches run in chunks of this many.</summary>
    public const int MaxBatch = 64;

    /// <summary>Vector256 tiles: samples × rows in u = W·x, rows × column vectors in g_W, samples × column vectors in x̂ (register count).</summary>
    public const int BatchSamples = 4, BatchRows = 4, BatchColumns = 2;

    /// <summary>Vector512 tiles: samples × rows in u = W·x, 24 accumulators of the 32 registers.</summary>
    public const int WideSamples = 6, WideRows = 4;

    /// <summary>The Vector512 u = W·x takes a larger W in blocks of rows of at most this many bytes, each meeting every sample while it is in L2.</summary>
    public const int RowBlockBytes = 256 * 1024;

    /// <summary>Vector512 tiles: rows × column vectors in g_W += −û·xᵀ, samples × column vectors in x̂ = Wᵀ·û (register count).</summary>
    public const int WideGradientRows = 4, WideGradientColumns = 6, WideSensitivitySamples = 4, WideSensitivityColumns = 6;

    /// <summary>Feature-major tiles: rows of W × Vector512s of samples, 24 accumulators ("Feature-major ForwardBatch").</summary>
    public const int FeatureMajorRows = 6, FeatureMajorVectors = 4;

    /// <summary>
    /// The smallest chunk that takes the feature-major path, whose tiles always compute MaxBatch samples: a chunk took
    /// about 66 µs from 48 samples up, against 1.35 µs a sample sample-major, on 784-128-10 ("Feature-major ForwardBatch").
    /// </summary>
    public const int FeatureMajorMinimum = 48;

    // Convolution and pooling.

    /// <summary>Accumulators of the flat convolution kernel, Vector512 and Vector256: a dozen or more independent FMA chains (register count).</summary>
    public const int FlatAccumulators512 = 16, FlatAccumulators256 = 8;

    /// <summary>
    /// Accumulators of one pass of the flat weight-gradient kernel, Vector512 and Vector256 (two a tap in the
    /// fallback): every tap of the kernel at once when they fit (5×5 in the 32 registers of AVX-512), else a kernel row.
    /// </summary>
    public const int GradientAccumulators512 = 25, GradientAccumulators256 = 10;

    /// <summary>
    /// Maps one pass of a flat convolution kernel computes together: each vector of the source loaded feeds this many
    /// FMAs (one broadcast weight a map), the pass's vectors being FlatAccumulators / ConvMapBlock.
    /// </summary>
    public const int ConvMapBlock = 4;

    /// <summary>
    /// A layer with a connection table computes its forward pass (x̂) in blocks of ConvMapBlock maps (channels), each
    /// written out as a method of its own with its kernel rows and taps in loops, when no block reads more than
    /// TableBlockPairs channels (filters) and the layer's blocks together no more than TableLayerPairs. LeNet-5's C3
    /// has 24 pairs (at most 6 a block) forward and 29 (at most 16) for x̂: 2.5 FMAs a load of x instead of 1.
    /// Larger blocks made methods the JIT compiled with MinOpts (bench/RESULTS.md, "C3's map blocks").
    /// </summary>
    public const int TableBlockPairs = 16, TableLayerPairs = 64;

    /// <summary>
    /// The x̂ rows kernel keeps the kernel's height in rows of x̂, each one Vector512 or two Vector256, in
    /// registers: at most this many Vector256 accumulators leaves the 16 AVX2 registers room for û's row and a weight.
    /// </summary>
    public const int RowsAccumulators256 = 12;

    /// <summary>Convolution kernel widths up to this are written out (one accumulator or broadcast per tap).</summary>
    public const int KernelUnrollLimit = 8;

    /// <summary>Pooling windows and convolution kernels of at most this many elements are written out (one statement per element).</summary>
    public const int WindowUnrollLimit = 32;

    // A graph's BackwardBatch ("Deferred g_W").

    /// <summary>
    /// A graph's dense layer (or a convolution that is one) with at least this many bytes of W: larger than L1, so
    /// the per-sample g_W += −û·xᵀ reads and writes g_W from L2 on every sample. In BackwardBatch it records û and x
    /// instead and adds g_W once for DeferredSamples samples.
    /// </summary>
    public const int DeferredGradientBytes = 32 * 1024;

    /// <summary>Samples whose û and x a deferred layer records before it adds them to g_W: their x rows stay in L1 (16 × 400 floats for LeNet-5's C5).</summary>
    public const int DeferredSamples = 16;

    /// <summary>
    /// Batches below this many samples skip the deferral: one sample recorded and added apart took 7–21% longer than
    /// the per-sample update (a new-user trial, 2026-12-07), 48 took 8–13% less.
    /// </summary>
    public const int DeferredMinimum = 8;

    /// <summary>
    /// The widest kernel whose g_w is summed with the samples in lanes: a pass holds one accumulator per tap of a kernel
    /// row; the Vector256 fallback keeps two sets (lanes 0–7 and 8–15) beside a row of û in its 16 registers.
    /// </summary>
    public const int LanesKernelWidth = 7;

    /// <summary>
    /// The most bytes a map of û and a channel of the padded x may take as lanes (16 samples a position) for the
    /// convolution's g_w to be summed in lanes: the kernel reads both once a kernel row, so they must stay in L1.
    /// LeNet-5's C3 takes 18.9 KB. Its C1 (115.7 KB) streamed them from L2 and took 4.35 µs a sample in
    /// BenchmarkDotNet against 3.79 per sample (ConvKernels, 2026-12-07), so it keeps the per-sample kernel.
    /// </summary>
    public const long LanesPlaneBytes = 32 * 1024;

    /// <summary>
    /// The most bytes of records (û and the padded x of 16 samples, as rows and as lanes) a convolution's deferred g_w
    /// may take, so that they stay in L2: LeNet-5's C3 takes 356 KB.
    /// </summary>
    public const long LanesRecordBytes = 1024 * 1024;

    /// <summary>Column vectors of g_W a pass of the deferred update holds: each takes a chain of dependent FMAs (one a sample), and 8 chains cover the FMA latency at 2 a cycle.</summary>
    public const int DeferredColumns = 8;

    // A float graph's ForwardBatch in lanes (BatchForwardKind.Lanes).

    /// <summary>
    /// The most bytes ForwardBatch's lanes buffers may take (every layer's x for 16 samples, the padded copies and the
    /// input's rows and lanes): each layer reads its source's buffer once, so together they should stay in L2 (1 MB
    /// a core on the Zen 4 host, 2 MB on the Intel one). LeNet-5 takes 686 KB (BackwardBatch as much again for û); the
    /// sample's CNN (3.7 MB) keeps the per-sample path.
    /// </summary>
    public const long LanesBytes = 1024 * 1024;

    /// <summary>Chunks of fewer samples than this run per sample: the lanes of the missing samples are computed for nothing.</summary>
    public const int LanesMinimum = 8;

    /// <summary>Vector512 registers a lanes kernel may fill with accumulators and broadcast weights (of 32; the rest for the loads).</summary>
    public const int LanesRegisters = 30;

    /// <summary>Outputs a pass of a dense layer in lanes: each input vector is loaded once for that many FMAs, on that many independent chains.</summary>
    public const int LanesDenseRows = 8;
}
