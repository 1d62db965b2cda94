using System;

namespace NetCompiler.Training;

/// <summary>
/// The order in which <see cref="Trainer{T}"/> visits the training samples in an epoch, public so that a run can be
/// reproduced or inspected (minibatch b of epoch e holds samples order[b·B .. b·B + B − 1]).
/// </summary>
public static class SampleOrder
{
    /// <summary>
    /// Fills <paramref name="order"/> with 0..n−1 and, when <paramref name="shuffle"/>, permutes it by Fisher–Yates
    /// driven by SplitMix64 seeded from (<paramref name="seed"/>, <paramref name="epoch"/>): the same on every machine
    /// and runtime version, and independent of other epochs.
    /// </summary>
    public static void Fill(Span<int> order, int seed, int epoch, bool shuffle = true)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!shuffle) return;
        ulong state = unchecked(((ulong)(uint)seed << 32 | (uint)epoch) * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(NextUInt64(ref state) % (ulong)(i + 1)); // modulo bias below 2^-32 for any int length
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>One SplitMix64 step (the generator of <see cref="ParameterInitializer"/>).</summary>
    private static ulong NextUInt64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
