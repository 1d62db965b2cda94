namespace NetCompiler.Generator.Plan;

/// <summary>
/// Decides which loops of a generated method are written out (unrolled) and which stay loops.
/// </summary>
/// <remarks>
/// <para>
/// Unrolling removes a loop's counter, compare and branch and lets the JIT fold every address into a constant
/// offset: that pays when a loop body is a handful of instructions, as in small layers. Past a few hundred vector
/// operations the loop overhead is already amortised, and more code only fills the instruction cache and pushes the
/// method toward the JIT's limits (60,000 bytes of IL, 20,000 IL instructions, 2,000 basic blocks, 2,000 locals or
/// 8,000 local references), past which the JIT compiles the whole method with MinOpts: a fully unrolled 784×128
/// dense layer measured 9× slower than a compact Vector256 loop.
/// </para>
/// <para>
/// So the model counts estimated IL bytes. Measured on generated kernels (IL size from DOTNET_JitDisasmSummary):
/// a written-out vector kernel costs about 80 bytes per row (row references, accumulators, the horizontal sum)
/// plus 30 per vector operation; a scalar kernel about 24 per row plus 20 per multiply-add. A layer is written out
/// whole when its kernel is at most <see cref="LayerLimit"/> bytes (about 128 vector multiply-adds), while the
/// method's budget of <see cref="MethodBudget"/> bytes lasts: a third of the JIT's limit, leaving room for the loops,
/// the fixed code and error in the estimate. A row of at most <see cref="RowUnrollLimit"/> vectors is written out
/// inside a loop over rows. The JitCheck test reads the JIT's summary and fails if any generated method of its
/// networks, which include one built to exhaust the budget, is compiled with MinOpts.
/// </para>
/// </remarks>
internal sealed class CostModel
{
    public const int RowUnrollLimit = 8;
    public const int LayerLimit = 6_000;
    public const int MethodBudget = 20_000;
    /// <summary>Elementwise passes over at most this many vectors are written out.</summary>
    public const int ElementwiseUnrollLimit = 4;

    private const int VectorRowBytes = 80, VectorOperationBytes = 30;
    private const int ScalarRowBytes = 24, ScalarOperationBytes = 20;
    private const int ElementwiseVectorBytes = 30;

    private int _budget = MethodBudget;

    /// <summary>Whether a row (or column block) of <paramref name="vectors"/> vector operations is written out.</summary>
    public static bool UnrollRow(int vectors) => vectors <= RowUnrollLimit;

    /// <summary>Whether a vector kernel of <paramref name="rows"/> rows of <paramref name="vectors"/> vectors is written out; charges the budget if so.</summary>
    public bool TryUnrollVectorKernel(int rows, int vectors) => TryCharge((long)rows * VectorRowBytes + (long)rows * vectors * VectorOperationBytes);

    /// <summary>Whether a scalar kernel of <paramref name="rows"/> rows of <paramref name="inputs"/> multiply-adds is written out; charges the budget if so.</summary>
    public bool TryUnrollScalarKernel(int rows, int inputs) => TryCharge((long)rows * ScalarRowBytes + (long)rows * inputs * ScalarOperationBytes);

    /// <summary>Whether an elementwise pass over <paramref name="vectors"/> vectors is written out; charges the budget if so.</summary>
    public bool TryUnrollElementwise(int vectors) =>
        vectors <= ElementwiseUnrollLimit && TryCharge((long)vectors * ElementwiseVectorBytes);

    private bool TryCharge(long bytes)
    {
        if (bytes > LayerLimit || bytes > _budget) return false;
        _budget -= (int)bytes;
        return true;
    }
}
