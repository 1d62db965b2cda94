namespace NetCompiler.Generator.Plan;

/// <summary>
/// Decides which loops of a generated method are written out (unrolled) and which stay loops. Unrolling pays for small
/// bodies, but a method past the JIT's size limits is compiled whole with MinOpts (a fully unrolled 784×128 layer: 9×
/// slower), so the model charges estimated IL bytes per row and per operation, measured on generated kernels, against
/// <see cref="LayerLimit"/> per layer and <see cref="MethodBudget"/> per method, a third of the JIT's limit. The
/// JitCheck test fails if any generated method is compiled with MinOpts (bench/RESULTS.md, "Cost model").
/// </summary>
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
