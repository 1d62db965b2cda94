namespace NetCompiler;

/// <summary>
/// The block length of the elementwise sweeps over θ-sized buffers (the optimizers' steps, the trainer's reduction of
/// the workers' gradients): every operation of a step runs on one block before the next block is read, so the
/// buffers are read from memory once a step instead of once an operation. The operations are elementwise, so the
/// result is the same, bit for bit, as whole-buffer passes. bench/RESULTS.md, "The step's passes over θ".
/// </summary>
internal static class CacheBlocks
{
    /// <summary>Elements a block: 16 KB of float, so the four or five buffers of an Adam step stay in L2 (and mostly L1).</summary>
    public const int Length = 4096;
}
