// Steady-state Forward with the generated methods marked AggressiveOptimization (the default) against tiered
// compilation (the same code built with -p:NetCompilerAggressiveOptimization=false: Tier-0, then Tier-1 with Dynamic
// PGO), side by side in one run. AggressiveOptimization is what makes calls 2-100 run at full speed (bench/startup.py
// measures first calls in fresh processes); this table shows what it costs once both are warm.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*Tiering*'
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace NetCompiler.Benchmarks;

/// <summary>Two jobs: the default build, and one whose generated methods are left to tiered compilation.</summary>
public sealed class TieringConfig : ManualConfig
{
    public TieringConfig()
    {
        AddJob(Job.Default.WithId("AggressiveOptimization").AsBaseline());
        AddJob(Job.Default.WithId("Tiered").WithArguments(new Argument[] { new MsBuildArgument("/p:NetCompilerAggressiveOptimization=false") }));
    }
}

/// <summary>Batch-1 Forward of three networks under both jobs.</summary>
[Config(typeof(TieringConfig))]
[MemoryDiagnoser]
public class Tiering
{
    [Params(Engines.Tiny, Engines.MlpS, Engines.LeNet5)]
    public string Network { get; set; } = "";

    private INetwork<float> _network = null!;
    private float[] _input = null!, _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = Engines.Create(Network);
        _network.InitializeParameters(1);
        var random = new Random(1);
        _input = new float[_network.InputSize];
        for (int i = 0; i < _input.Length; i++) _input[i] = (float)random.NextDouble();
        _output = new float[_network.OutputSize];
    }

    [Benchmark] public void Forward() => _network.Forward(_input, _output);
}
