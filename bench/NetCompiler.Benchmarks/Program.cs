// The engines side by side on the same weights and inputs, in BenchmarkDotNet classes (MemoryDiagnoser):
//   generated (the baseline), InterpretedNetwork<float>, a naive scalar C# implementation (Naive.cs) and ONNX Runtime
//   1.31.1 with one intra-op thread (the model written in setup from the same weights by the library's exporter,
//   NetCompiler.Onnx.OnnxModel.ToBytes).
// Every engine's outputs are compared with the generated network's once in setup (and, for training, the outputs after
// one train step), so a wrong engine cannot look fast.
//
// Classes (each one table):
//   ForwardBatch1       batch-1 Forward latency, every network × generated / interpreted / naive / ONNX Runtime
//   TrainStepPerSample  per-sample TrainStep (forward + backward + SGD) on the dense networks, generated / interpreted / naive;
//                       also Forward + Backward (one minibatch sample, no update), generated / interpreted
//   TrainStepLeNet5     the same on LeNet-5, generated / interpreted (the naive engine has no conv backward)
//   InferenceBatch64    batch-64 inference: ONNX Runtime on a [64, features] input against the generated ForwardBatch
//                       and 64 per-sample generated Forward calls
//   TrainBatch64        one minibatch-64 training step: generated TrainStepBatch against 64 Forward/Backward + Update
//   SharedWeights       784-128-10 batch-1 Forward from 1 and 2 threads over one set of weights (SharedWeights.cs)
//   ImportedForward     PyTorch's ONNX files imported at build time against ONNX Runtime on the same files (Imported.cs)
//   ConvKernels         single convolution layers' kernels against the FMA peak (ConvKernels.cs)
//
// Quick mode (short job; on the shared 2-core machine: Forward table 3.5 min, everything with --join 8.2 min wall):
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*ForwardBatch1*' --job short
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*TrainStep*' --job short
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*InferenceBatch64*' --job short
//   (or all at once: --filter '*' --job short)
// Full mode (BenchmarkDotNet's default job: until the error is small; tens of minutes):
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*'
// PyTorch (one thread) on the same weights: --torch [DIR] exports them and runs bench/torch_bench.py (TorchExport.cs).
// Finite differences against backprop for growing N: --filter '*GradientCost*' --job short (GradientCost.cs).
// Smoke test (one call of each benchmark, setup checks included; about a minute):
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*' --job dry
using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using Microsoft.ML.OnnxRuntime;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using NetCompiler;
using NetCompiler.Onnx;

namespace NetCompiler.Benchmarks;

/// <summary>2-8-1 tanh, the size of RTNeural's published comparisons.</summary>
[Network, Input(2), Dense(8, Activation.Tanh), Dense(1, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Tiny { }

/// <summary>8-8-8 tanh.</summary>
[Network, Input(8), Dense(8, Activation.Tanh), Dense(8, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Small { }

/// <summary>784-128-10, MLP-S.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class MlpS { }

/// <summary>784-256-128-10, MLP-M.</summary>
[Network, Input(784), Dense(256, Activation.ReLU), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class MlpM { }

/// <summary>LeNet-5 on 28×28 inputs: C1 6@5×5 pad 2, trainable S2, C3 16@5×5 with LeCun's table, trainable S4, C5 120, F6 84, 10.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[]
{
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.",
    "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5 { }


/// <summary>One network with every engine on the same weights, checked against each other on construction.</summary>
public sealed class Engines : IDisposable
{
    public const string Tiny = "2-8-1", Small = "8-8-8", MlpS = "784-128-10", MlpM = "784-256-128-10", LeNet5 = "LeNet-5";
    public const float LearningRate = 1e-6f; // small, so that repeated steps on one sample barely move the weights

    public readonly INetwork<float> Generated, Interpreted;
    public readonly NaiveMlp? NaiveMlp;       // dense networks
    public readonly NaiveLeNet5? NaiveLeNet5; // LeNet-5
    public readonly InferenceSession Onnx;
    public readonly float[] Input, Target, Output;
    private readonly float[] _theta;          // the weights as built, for fresh copies

    public Engines(string network)
    {
        Generated = Create(network);
        Generated.InitializeParameters(1);
        var random = new Random(1);
        Span<float> theta = Generated.Parameters;
        // Nonzero biases too, so that a bias an engine drops shows up in the comparison.
        for (int i = 0; i < theta.Length; i++) theta[i] += 0.05f * ((float)random.NextDouble() - 0.5f);
        _theta = theta.ToArray();
        Interpreted = new InterpretedNetwork<float>(Generated.Topology);
        _theta.CopyTo(Interpreted.Parameters);
        if (network == LeNet5) NaiveLeNet5 = new NaiveLeNet5(Generated.Topology, _theta);
        else NaiveMlp = new NaiveMlp(Generated.Topology, _theta);

        // ONNX Runtime: one thread, sequential, full graph optimization.
        using (var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        })
            Onnx = new InferenceSession(OnnxModel.ToBytes(new NetworkWeights<float>(Generated.Topology, _theta)), options);

        Input = new float[Generated.InputSize];
        for (int i = 0; i < Input.Length; i++) Input[i] = (float)random.NextDouble();
        Target = new float[Generated.OutputSize];
        Target[0] = 1;
        Output = new float[Generated.OutputSize];
        Check(network);
    }

    public static INetwork<float> Create(string network) => network switch
    {
        Tiny => new Tiny(),
        Small => new Small(),
        MlpS => new MlpS(),
        MlpM => new MlpM(),
        LeNet5 => new LeNet5(),
        _ => throw new ArgumentException($"unknown network {network}"),
    };

    /// <summary>The ONNX model's input shape for <paramref name="batch"/> samples: [batch, features] or [batch, C, H, W].</summary>
    public long[] OnnxInputShape(int batch)
    {
        var shape = new List<long> { batch };
        foreach (int d in Generated.Topology.InputShape.ToArray()) shape.Add(d);
        return shape.ToArray();
    }

    public void NaiveForward(ReadOnlySpan<float> input, Span<float> output)
    {
        if (NaiveMlp is not null) NaiveMlp.Forward(input, output);
        else NaiveLeNet5!.Forward(input, output);
    }

    /// <summary>
    /// <paramref name="batch"/> samples for the batch tables, from <paramref name="seed"/>: inputs [batch, InputSize]
    /// uniform in [0, 1), then one-hot targets [batch, OutputSize] at random classes.
    /// </summary>
    public (float[] Inputs, float[] Targets) MakeBatch(int batch, int seed)
    {
        int n = Input.Length, m = Output.Length;
        var random = new Random(seed);
        var inputs = new float[batch * n];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)random.NextDouble();
        var targets = new float[batch * m];
        for (int s = 0; s < batch; s++) targets[s * m + random.Next(m)] = 1;
        return (inputs, targets);
    }

    /// <summary>ONNX Runtime on <paramref name="batch"/> samples, the simple way (allocating): for the setup checks.</summary>
    public float[] OnnxRun(float[] inputs, int batch)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(inputs, OnnxInputShape(batch));
        using var runOptions = new RunOptions();
        using var results = Onnx.Run(runOptions, new[] { OnnxModel.InputName }, new[] { input }, new[] { OnnxModel.OutputName });
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private void Check(string network)
    {
        var expected = new float[Output.Length];
        Generated.Forward(Input, expected);
        var other = new float[Output.Length];
        Interpreted.Forward(Input, other);
        Compare(network, "interpreted Forward", expected, other);
        NaiveForward(Input, other);
        Compare(network, "naive Forward", expected, other);
        Compare(network, "ONNX Runtime", expected, OnnxRun(Input, 1));

        // Train step: one step with a visible learning rate on fresh copies, then compare the losses and the outputs.
        const float rate = 0.05f;
        INetwork<float> generated = Create(network), interpreted = new InterpretedNetwork<float>(Generated.Topology);
        _theta.CopyTo(generated.Parameters);
        _theta.CopyTo(interpreted.Parameters);
        float loss = generated.TrainStep(Input, Target, rate);
        generated.Forward(Input, expected);
        Compare(network, "interpreted TrainStep loss", new[] { loss }, new[] { interpreted.TrainStep(Input, Target, rate) });
        interpreted.Forward(Input, other);
        Compare(network, "interpreted TrainStep", expected, other);
        if (NaiveMlp is not null)
        {
            var naive = new NaiveMlp(Generated.Topology, _theta);
            Compare(network, "naive TrainStep loss", new[] { loss }, new[] { naive.TrainStep(Input, Target, rate, other) });
            naive.Forward(Input, other);
            Compare(network, "naive TrainStep", expected, other);
        }
    }

    /// <summary>Throws when <paramref name="actual"/> differs from <paramref name="expected"/> by more than 1e-4 relative (absolute below 1).</summary>
    public static void Compare(string network, string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (actual.Length != expected.Length)
            throw new InvalidOperationException($"{network}: {what} gives {actual.Length} values, the generated network {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i]))))
                throw new InvalidOperationException($"{network}: {what} disagrees with the generated network at output {i}: {expected[i]} vs {actual[i]}");
    }

    public void Dispose() => Onnx.Dispose();
}

/// <summary>Batch-1 Forward latency: every network, every engine.</summary>
[MemoryDiagnoser]
public class ForwardBatch1
{
    [Params(Engines.Tiny, Engines.Small, Engines.MlpS, Engines.MlpM, Engines.LeNet5)]
    public string Network { get; set; } = "";

    private Engines _e = null!;
    private OrtValue _onnxInput = null!, _onnxOutput = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _e = new Engines(Network);
        // Preallocated OrtValues over the same arrays the other engines use, bound once: a call is one RunWithBinding.
        _onnxInput = OrtValue.CreateTensorValueFromMemory(_e.Input, _e.OnnxInputShape(1));
        _onnxOutput = OrtValue.CreateTensorValueFromMemory(_e.Output, new long[] { 1, _e.Output.Length });
        _binding = _e.Onnx.CreateIoBinding();
        _binding.BindInput(OnnxModel.InputName, _onnxInput);
        _binding.BindOutput(OnnxModel.OutputName, _onnxOutput);
        _runOptions = new RunOptions();
        // The bound run writes where the others do, and agrees with them.
        var expected = new float[_e.Output.Length];
        _e.Generated.Forward(_e.Input, expected);
        Array.Clear(_e.Output);
        OnnxRuntimeForward();
        Engines.Compare(Network, "ONNX Runtime (IOBinding)", expected, _e.Output);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _onnxInput.Dispose();
        _onnxOutput.Dispose();
        _e.Dispose();
    }

    [Benchmark(Baseline = true)] public void GeneratedForward() => _e.Generated.Forward(_e.Input, _e.Output);
    [Benchmark] public void InterpretedForward() => _e.Interpreted.Forward(_e.Input, _e.Output);
    [Benchmark] public void NaiveForward() => _e.NaiveForward(_e.Input, _e.Output);
    [Benchmark] public void OnnxRuntimeForward() => _e.Onnx.RunWithBinding(_runOptions, _binding);

    /// <summary>
    /// The floor for a weight-bound Forward: read every parameter once (the network's own buffer, which stays in L2
    /// across calls like the weights a Forward reads), with the widest vectors the machine has and four independent sums.
    /// </summary>
    [Benchmark] public float StreamWeights() => WeightStream.Sum(_e.Generated.Parameters);
}

/// <summary>Reads a buffer once as fast as the core can: the L2 weight-streaming time of the targets.</summary>
public static class WeightStream
{
    public static float Sum(ReadOnlySpan<float> data)
    {
        ref float p = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data);
        int i = 0;
        float total = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = default, b = default, c = default, d = default;
            for (; i + 64 <= data.Length; i += 64)
            {
                a += Vector512.LoadUnsafe(ref p, (nuint)i);
                b += Vector512.LoadUnsafe(ref p, (nuint)(i + 16));
                c += Vector512.LoadUnsafe(ref p, (nuint)(i + 32));
                d += Vector512.LoadUnsafe(ref p, (nuint)(i + 48));
            }
            total = Vector512.Sum((a + b) + (c + d));
        }
        else
        {
            Vector256<float> a = default, b = default, c = default, d = default;
            for (; i + 32 <= data.Length; i += 32)
            {
                a += Vector256.LoadUnsafe(ref p, (nuint)i);
                b += Vector256.LoadUnsafe(ref p, (nuint)(i + 8));
                c += Vector256.LoadUnsafe(ref p, (nuint)(i + 16));
                d += Vector256.LoadUnsafe(ref p, (nuint)(i + 24));
            }
            total = Vector256.Sum((a + b) + (c + d));
        }
        for (; i < data.Length; i++) total += data[i];
        return total;
    }
}

/// <summary>Per-sample TrainStep (forward + backward + SGD update) on the dense networks.</summary>
[MemoryDiagnoser]
public class TrainStepPerSample
{
    [Params(Engines.Tiny, Engines.Small, Engines.MlpS, Engines.MlpM)]
    public string Network { get; set; } = "";

    private Engines _e = null!;

    [GlobalSetup] public void Setup() => _e = new Engines(Network);
    [GlobalCleanup] public void Cleanup() => _e.Dispose();

    [Benchmark(Baseline = true)] public float GeneratedTrainStep() => _e.Generated.TrainStep(_e.Input, _e.Target, Engines.LearningRate);
    [Benchmark] public float InterpretedTrainStep() => _e.Interpreted.TrainStep(_e.Input, _e.Target, Engines.LearningRate);
    [Benchmark] public float NaiveTrainStep() => _e.NaiveMlp!.TrainStep(_e.Input, _e.Target, Engines.LearningRate, _e.Output);

    // Forward + Backward: a minibatch sample (Update runs once per batch).
    [Benchmark] public float GeneratedForwardBackward() { _e.Generated.Forward(_e.Input, _e.Output); return _e.Generated.Backward(_e.Target); }
    [Benchmark] public float InterpretedForwardBackward() { _e.Interpreted.Forward(_e.Input, _e.Output); return _e.Interpreted.Backward(_e.Target); }
}

/// <summary>Per-sample TrainStep on LeNet-5 (the naive engine does not train convolutions).</summary>
[MemoryDiagnoser]
public class TrainStepLeNet5
{
    private Engines _e = null!;

    [GlobalSetup] public void Setup() => _e = new Engines(Engines.LeNet5);
    [GlobalCleanup] public void Cleanup() => _e.Dispose();

    [Benchmark(Baseline = true)] public float GeneratedTrainStep() => _e.Generated.TrainStep(_e.Input, _e.Target, Engines.LearningRate);
    [Benchmark] public float InterpretedTrainStep() => _e.Interpreted.TrainStep(_e.Input, _e.Target, Engines.LearningRate);
    [Benchmark] public float GeneratedForwardBackward() { _e.Generated.Forward(_e.Input, _e.Output); return _e.Generated.Backward(_e.Target); }
    [Benchmark] public float InterpretedForwardBackward() { _e.Interpreted.Forward(_e.Input, _e.Output); return _e.Interpreted.Backward(_e.Target); }
}

/// <summary>The generated networks' batched entry points (members of each class, not of INetwork&lt;T&gt;).</summary>
public static class Batched
{
    public static void Forward(INetwork<float> network, ReadOnlySpan<float> inputs, Span<float> outputs, int batch)
    {
        switch (network)
        {
            case Tiny n: n.ForwardBatch(inputs, outputs, batch); break;
            case Small n: n.ForwardBatch(inputs, outputs, batch); break;
            case MlpS n: n.ForwardBatch(inputs, outputs, batch); break;
            case MlpM n: n.ForwardBatch(inputs, outputs, batch); break;
            case LeNet5 n: n.ForwardBatch(inputs, outputs, batch); break;
            default: throw new ArgumentException("not a generated benchmark network", nameof(network));
        }
    }

    public static float TrainStep(INetwork<float> network, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, float learningRate) => network switch
    {
        Tiny n => n.TrainStepBatch(inputs, targets, batch, learningRate),
        Small n => n.TrainStepBatch(inputs, targets, batch, learningRate),
        MlpS n => n.TrainStepBatch(inputs, targets, batch, learningRate),
        MlpM n => n.TrainStepBatch(inputs, targets, batch, learningRate),
        LeNet5 n => n.TrainStepBatch(inputs, targets, batch, learningRate),
        _ => throw new ArgumentException("not a generated benchmark network", nameof(network)),
    };
}

/// <summary>
/// Batch-64 inference throughput: ONNX Runtime on one [64, features] input against the generated ForwardBatch (blocked
/// kernels for dense chains; a loop over the per-sample path for LeNet-5 so far) and 64 per-sample Forward calls.
/// </summary>
[MemoryDiagnoser]
public class InferenceBatch64
{
    public const int Batch = 64;

    [Params(Engines.Tiny, Engines.Small, Engines.MlpS, Engines.MlpM, Engines.LeNet5)]
    public string Network { get; set; } = "";

    private Engines _e = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int _in, _out;
    private OrtValue _onnxInput = null!, _onnxOutput = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _e = new Engines(Network);
        _in = _e.Input.Length;
        _out = _e.Output.Length;
        _inputs = _e.MakeBatch(Batch, seed: 2).Inputs;
        _outputs = new float[Batch * _out];
        _onnxInput = OrtValue.CreateTensorValueFromMemory(_inputs, _e.OnnxInputShape(Batch));
        _onnxOutput = OrtValue.CreateTensorValueFromMemory(_outputs, new long[] { Batch, _out });
        _binding = _e.Onnx.CreateIoBinding();
        _binding.BindInput(OnnxModel.InputName, _onnxInput);
        _binding.BindOutput(OnnxModel.OutputName, _onnxOutput);
        _runOptions = new RunOptions();
        // Every sample of the batch agrees.
        OnnxRuntimeBatch64();
        var onnx = (float[])_outputs.Clone();
        GeneratedForward64PerSample();
        var perSample = (float[])_outputs.Clone();
        Engines.Compare(Network, "ONNX Runtime batch 64", perSample, onnx);
        GeneratedForwardBatch64();
        Engines.Compare(Network, "generated ForwardBatch", perSample, _outputs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _onnxInput.Dispose();
        _onnxOutput.Dispose();
        _e.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void GeneratedForwardBatch64() => Batched.Forward(_e.Generated, _inputs, _outputs, Batch);

    /// <summary>64 per-sample generated Forward calls.</summary>
    [Benchmark]
    public void GeneratedForward64PerSample()
    {
        for (int s = 0; s < Batch; s++)
            _e.Generated.Forward(_inputs.AsSpan(s * _in, _in), _outputs.AsSpan(s * _out, _out));
    }

    [Benchmark] public void OnnxRuntimeBatch64() => _e.Onnx.RunWithBinding(_runOptions, _binding);
}

/// <summary>
/// One minibatch-64 training step (forward and backward over 64 samples, summed gradient, one SGD update): the generated
/// TrainStepBatch against 64 generated or interpreted Forward/Backward pairs and one Update. Outputs compared in setup.
/// </summary>
[MemoryDiagnoser]
public class TrainBatch64
{
    public const int Batch = 64;

    [Params(Engines.MlpS, Engines.MlpM, Engines.LeNet5)]
    public string Network { get; set; } = "";

    private Engines _e = null!;
    private float[] _inputs = null!, _targets = null!;
    private int _in, _out;

    [GlobalSetup]
    public void Setup()
    {
        _e = new Engines(Network);
        _in = _e.Input.Length;
        _out = _e.Output.Length;
        (_inputs, _targets) = _e.MakeBatch(Batch, seed: 3);
        // The batched step and the per-sample steps give the same summed loss from the same weights.
        float[] weights = _e.Generated.Parameters.ToArray();
        float batched = GeneratedTrainStepBatch64();
        weights.CopyTo(_e.Generated.Parameters);
        float perSample = GeneratedPerSample64();
        if (Math.Abs(batched - perSample) > 1e-4f * Math.Abs(perSample))
            throw new InvalidOperationException($"{Network}: batched loss {batched} but per-sample {perSample}");
    }

    [GlobalCleanup] public void Cleanup() => _e.Dispose();

    [Benchmark(Baseline = true)]
    public float GeneratedTrainStepBatch64() => Batched.TrainStep(_e.Generated, _inputs, _targets, Batch, Engines.LearningRate);

    [Benchmark] public float GeneratedPerSample64() => PerSample(_e.Generated);

    [Benchmark] public float InterpretedPerSample64() => PerSample(_e.Interpreted);

    private float PerSample(INetwork<float> network)
    {
        float loss = 0;
        for (int s = 0; s < Batch; s++)
        {
            network.Forward(_inputs.AsSpan(s * _in, _in), _e.Output);
            loss += network.Backward(_targets.AsSpan(s * _out, _out));
        }
        network.Update(Engines.LearningRate);
        return loss;
    }
}

public static class Program
{
    public static int Main(string[] args)
    {
        // Modes of this program besides BenchmarkDotNet's own arguments (TorchExport.cs):
        //   --export-weights DIR      writes each network's weights and reference outputs for bench/torch_bench.py
        //   --torch [DIR] [-- ARGS]   the same, then runs the script on them (ARGS go to the script, e.g. --quick)
        if (args.Length > 0 && (args[0] == "--export-weights" || args[0] == "--torch"))
            return TorchExport.Run(args);
        var types = new List<Type>();
        foreach (Type type in typeof(Program).Assembly.GetExportedTypes())
            if (type.IsClass && !type.IsAbstract && Array.Exists(type.GetMethods(), m => m.IsDefined(typeof(BenchmarkAttribute), false)))
                types.Add(type);
#if TORCHSHARP
        if (TorchSharpNetwork.LoadFailure() is string failure)
        {
            Console.WriteLine($"TorchSharp's native library does not load here ({failure}); its table is skipped.");
            types.Remove(typeof(TorchSharpComparison));
        }
#endif
        var summaries = BenchmarkSwitcher.FromTypes(types.ToArray()).Run(args);
        GradientCost.PrintGrowth(summaries);
        return 0;
    }
}
