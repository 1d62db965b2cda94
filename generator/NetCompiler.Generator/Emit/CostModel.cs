namespace NetCompiler.Generator.Emit;

/// <summary>
/// Decides which loops of a generated method are written out (unrolled) and which stay loops.
/// </summary>
/// <remarks>
/// Unrolling removes a loop's counter, compare and branch and lets the JIT fold every address into a constant
/// offset: that pays when a loop body is a handful of instructions, as in small layers. Past a few hundred vector
/// operations the loop overhead is already amortised, and more code only fills the instruction cache and pushes the
/// method toward the JIT's limits (about 60,000 bytes of IL, 20,000 instructions, 2,000 basic blocks or 2,000
/// locals), past which the JIT compiles the whole method with MinOpts: a fully unrolled 784×128 dense layer measured
/// 9× slower than a compact Vector256 loop. So:
/// <list type="bullet">
/// <item>a row of at most <see cref="RowUnrollLimit"/> vectors is written out, a longer row is a loop;</item>
/// <item>a layer whose kernel takes at most <see cref="LayerUnrollLimit"/> vector operations is written out whole,
/// while the method's budget lasts;</item>
/// <item>each method gets <see cref="MethodUnrollBudget"/> unrolled operations; at roughly 30 bytes of IL and 4
/// instructions each that stays near 30 KB of IL and 4,000 instructions, half the JIT's limits. The test suite
/// checks that no generated method of its networks is compiled with MinOpts.</item>
/// </list>
/// </remarks>
internal sealed class CostModel
{
    public const int RowUnrollLimit = 8;
    public const int LayerUnrollLimit = 128;
    public const int MethodUnrollBudget = 1024;
    /// <summary>Elementwise passes over at most this many vectors are written out.</summary>
    public const int ElementwiseUnrollLimit = 4;

    private int _budget = MethodUnrollBudget;

    /// <summary>Whether a row (or column block) of <paramref name="vectors"/> vector operations is written out.</summary>
    public static bool UnrollRow(int vectors) => vectors <= RowUnrollLimit;

    /// <summary>
    /// Whether a whole layer kernel of <paramref name="operations"/> vector (or scalar) operations is written out;
    /// charges the method's budget when it is.
    /// </summary>
    public bool TryUnrollLayer(int operations)
    {
        if (operations > LayerUnrollLimit || operations > _budget) return false;
        _budget -= operations;
        return true;
    }

    /// <summary>Whether an elementwise pass over <paramref name="vectors"/> vectors is written out.</summary>
    public bool TryUnrollElementwise(int vectors)
    {
        if (vectors > ElementwiseUnrollLimit || vectors > _budget) return false;
        _budget -= vectors;
        return true;
    }
}
