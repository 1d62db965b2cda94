// The argument checks at the generated entry points, on the smallest network (2-8-1, Tiny), where a check's per-call cost
// is the largest share of a step: TrainStep (one sample), Update (the SGD step alone) and TrainStepBatch of 8 samples on
// the concrete class (no interface dispatch), so that a change to what the entry points check shows here first.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*EntryPointChecks*' --job short
using BenchmarkDotNet.Attributes;

namespace NetCompiler.Benchmarks;

[MemoryDiagnoser]
public class EntryPointChecks
{
    private const float LearningRate = 1e-3f; // small, so that millions of steps on one sample stay finite
    private readonly Tiny _network = new();
    private readonly float[] _input = [0.5f, -0.25f], _target = [0.3f];
    private readonly float[] _inputs = new float[8 * 2], _targets = new float[8];

    [GlobalSetup]
    public void Setup()
    {
        _network.InitializeParameters(1);
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (i % 5 - 2) * 0.25f;
        for (int i = 0; i < _targets.Length; i++) _targets[i] = (i % 3 - 1) * 0.3f;
    }

    [Benchmark(Baseline = true)] public float TrainStep() => _network.TrainStep(_input, _target, LearningRate);
    [Benchmark] public void Update() => _network.Update(LearningRate);
    [Benchmark] public float TrainStepBatch8() => _network.TrainStepBatch(_inputs, _targets, 8, LearningRate);
}
