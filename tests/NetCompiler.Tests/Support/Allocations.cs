using System;

namespace NetCompiler.Tests.Support;

/// <summary>Measures the bytes an action allocates on this thread (GC.GetAllocatedBytesForCurrentThread).</summary>
public static class Allocations
{
    private const int WarmUpCalls = 50, CallsPerRound = 20, Rounds = 3;

    /// <summary>
    /// The fewest bytes allocated by <see cref="CallsPerRound"/> calls in any of <see cref="Rounds"/> rounds, after
    /// <see cref="WarmUpCalls"/> warm-up calls (JIT, static initialisation, tier-up). Code that allocates does so in
    /// every round, so the minimum still sees it; the runtime's own one-off work (installing a re-jitted method on
    /// a loaded machine, seen once in CI) does not recur and is not charged to the code under test.
    /// </summary>
    public static long Measure(Action action)
    {
        for (int i = 0; i < WarmUpCalls; i++) action();
        long fewest = long.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < CallsPerRound; i++) action();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }

    /// <summary>The number of calls a round makes, for messages and for tests of the measurement itself.</summary>
    public const int Calls = CallsPerRound;
}
