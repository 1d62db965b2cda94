// Generated against interpreted code on the same weights and inputs, in one BenchmarkDotNet run.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*'
// PyTorch (one thread) on the same weights: --torch [DIR] exports them and runs bench/torch_bench.py (TorchExport.cs).
// Finite differences against backprop for growing N: --filter '*GradientCost*' --job short (GradientCost.cs).
// The full suite (ONNX Runtime, libtorch, batched paths) is a later issue; this is the per-sample baseline,
// with LeNet-5 for the convolutional path.
using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using NetCompiler;

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

[MemoryDiagnoser]
public class PerSample
{
    [Params("2-8-1", "8-8-8", "784-128-10", "784-256-128-10", "LeNet-5")]
    public string Network { get; set; } = "";

    private INetwork<float> _generated = null!, _interpreted = null!;
    private float[] _input = null!, _target = null!, _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _generated = Network switch { "2-8-1" => new Tiny(), "8-8-8" => new Small(), "784-128-10" => new MlpS(), "784-256-128-10" => new MlpM(), _ => new LeNet5() };
        _interpreted = new InterpretedNetwork<float>(_generated.Topology);
        _generated.Parameters.CopyTo(_interpreted.Parameters);
        var random = new Random(1);
        _input = new float[_generated.InputSize];
        for (int i = 0; i < _input.Length; i++) _input[i] = (float)random.NextDouble();
        _target = new float[_generated.OutputSize];
        _target[0] = 1;
        _output = new float[_generated.OutputSize];
        // The same outputs from both engines, so a wrong engine cannot look fast.
        var other = new float[_output.Length];
        _generated.Forward(_input, _output);
        _interpreted.Forward(_input, other);
        for (int i = 0; i < other.Length; i++)
            if (Math.Abs(other[i] - _output[i]) > 1e-4f * Math.Max(1f, Math.Abs(other[i])))
                throw new InvalidOperationException($"engines disagree at output {i}: {_output[i]} vs {other[i]}");
    }

    [Benchmark(Baseline = true)] public void GeneratedForward() => _generated.Forward(_input, _output);
    [Benchmark] public void InterpretedForward() => _interpreted.Forward(_input, _output);

    // Forward + Backward: a minibatch sample (Update runs once per batch).
    [Benchmark] public float GeneratedForwardBackward() { _generated.Forward(_input, _output); return _generated.Backward(_target); }
    [Benchmark] public float InterpretedForwardBackward() { _interpreted.Forward(_input, _output); return _interpreted.Backward(_target); }

    [Benchmark] public float GeneratedTrainStep() => _generated.TrainStep(_input, _target, 1e-6f);
    [Benchmark] public float InterpretedTrainStep() => _interpreted.TrainStep(_input, _target, 1e-6f);
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
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        GradientCost.PrintGrowth(summaries);
        return 0;
    }
}
