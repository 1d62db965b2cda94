// The optimizer's step over θ (issue 17): SgdMomentum.Step as it runs now, every operation on a cache-sized block
// before the next block (CacheBlocks), against the same formulas applied to the whole buffers one after another, as
// the step ran before. The MLP's 235,146 parameters (θ, g and v: 2.8 MB, past L2) and LeNet-5's 60,850. Both give the
// same values bit for bit (OptimizerTests). Results: bench/RESULTS.md, "The step's passes over θ".
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*OptimizerStep*'
using System;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace NetCompiler.Benchmarks;

[MemoryDiagnoser]
public class OptimizerStep
{
    private float[] _theta = [], _gradients = [], _velocity = [];
    private SgdMomentum<float> _sgd = null!;

    [Params(60_850, 235_146)]
    public int Parameters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _theta = new float[Parameters];
        _gradients = new float[Parameters];
        _velocity = new float[Parameters];
        for (int i = 0; i < Parameters; i++) _theta[i] = random.NextSingle();
        _sgd = new SgdMomentum<float>(Parameters, 1e-6, 0.9, weightDecay: 1e-4);
    }

    /// <summary>g ← g + λθ; v ← μv + g; θ ← θ − γv; g ← 0: each a pass over the whole buffers.</summary>
    [Benchmark(Baseline = true)]
    public void WholeBufferPasses()
    {
        TensorPrimitives.MultiplyAdd(_theta, 1e-4f, _gradients, _gradients);
        TensorPrimitives.MultiplyAdd(_velocity, 0.9f, _gradients, _velocity);
        TensorPrimitives.MultiplyAdd(_velocity, -1e-6f, _theta, _theta);
        Array.Clear(_gradients);
    }

    /// <summary>The same step as SgdMomentum runs it, block by block.</summary>
    [Benchmark]
    public void Blocked() => _sgd.Step(_theta, _gradients);
}
