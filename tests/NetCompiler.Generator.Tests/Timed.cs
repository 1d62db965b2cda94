using Xunit;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// Tests that bound the wall-clock time of one generator run (a guard against hangs, not a speed claim) run alone:
/// beside the other classes' compilations on a 2-core machine a run that takes 0.15 s took over a second.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Timed
{
    public const string Name = "Timed generator runs";
}
