// TorchSharp (libtorch for .NET) as an engine, where its native library loads. It is opt-in because the package
// brings libtorch (hundreds of MB) and because on Debian 12 its native library does not load (libtorch 2.10 needs
// libstdc++'s GLIBCXX_3.4.32; Debian 12 has 3.4.30): build and run with
//     dotnet run -c Release --project bench/NetCompiler.Benchmarks -p:TorchSharp=true -- --filter '*TorchSharp*'
// Without the property none of this is compiled; PyTorch itself is measured by bench/torch_bench.py (--torch).
// When the property is set but the library does not load, Program prints why and runs the other tables.
#if TORCHSHARP
using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NetCompiler.Benchmarks;

/// <summary>
/// The network of an <see cref="Engines"/> as TorchSharp tensors, on one thread, from the same parameter buffer: dense
/// = x·Wᵀ + b, Conv2D = conv2d (a connection table as a full convolution whose absent kernels are zeros, as in
/// torch_bench.py), trainable AvgPool = c·avg_pool2d(x) + b; the softmax output is fused into the loss for training.
/// </summary>
public sealed class TorchSharpNetwork : IDisposable
{
    private readonly NetworkTopology _topology;
    private readonly List<Tensor> _parameters = new();
    private readonly Tensor _input1, _target1, _inputs64, _targets64;
    private readonly bool _softmaxOutput;

    /// <summary>Why the native library does not load, or null when it does.</summary>
    public static string? LoadFailure()
    {
        try
        {
            torch.set_num_threads(1);
            using Tensor probe = torch.ones(1);
            return null;
        }
        catch (Exception e)
        {
            // TorchSharp's message is a page of its loader's trace; the dynamic loader's own error says why.
            Exception inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            string reason = inner.Message.Split('\n')[0].Trim();
            foreach (string candidate in new[] { "cpu/libLibTorchSharp.so", "runtimes/linux-x64/native/libLibTorchSharp.so", "libLibTorchSharp.so" })
            {
                string path = System.IO.Path.Combine(AppContext.BaseDirectory, candidate);
                if (!System.IO.File.Exists(path)) continue;
                try { System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path)); }
                catch (DllNotFoundException loader)
                {
                    // dlerror's lines, e.g. "...libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by ...)".
                    string? dl = Array.Find(loader.Message.Split('\n'), line => line.Contains("not found") || line.Contains("cannot open"));
                    reason = (dl ?? loader.Message.Split('\n')[0]).Trim();
                }
                break;
            }
            return reason;
        }
    }

    public TorchSharpNetwork(NetworkTopology topology, ReadOnlySpan<float> theta, float[] input, float[] target, float[] inputs64, float[] targets64)
    {
        torch.set_num_threads(1);
        _topology = topology;
        TensorShape shape = topology.InputShape;
        foreach (LayerShape layer in topology.Layers)
        {
            if (layer.Sources.Count != 1 || layer.Sources[0] != layer.Number - 1 || topology.OutputLayer != topology.Layers.Count)
                throw new NotSupportedException("The TorchSharp engine builds chains only.");
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    Add(theta.Slice(layer.WeightOffset, layer.WeightCount).ToArray(), layer.Outputs, layer.Inputs);
                    Add(theta.Slice(layer.BiasOffset, layer.BiasCount).ToArray(), layer.Outputs);
                    break;
                case LayerKind.Conv2D:
                {
                    int filters = layer.Shape.Channels, channels = shape.Channels, k = layer.KernelSize;
                    Add(FullKernels(layer, channels, theta), filters, channels, k, k); // absent kernels are 0
                    Add(theta.Slice(layer.BiasOffset, layer.BiasCount).ToArray(), filters);
                    break;
                }
                case LayerKind.AvgPool when layer.Trainable:
                    Add(theta.Slice(layer.WeightOffset, layer.Shape.Channels).ToArray(), 1, layer.Shape.Channels, 1, 1);
                    Add(theta.Slice(layer.BiasOffset, layer.Shape.Channels).ToArray(), 1, layer.Shape.Channels, 1, 1);
                    break;
                default:
                    throw new NotSupportedException($"The TorchSharp engine does not build {layer.Kind} layers.");
            }
            shape = layer.Shape;
        }
        _softmaxOutput = topology.Layers[topology.OutputLayer - 1].Activation == Activation.Softmax;
        long[] inputShape = InputShape(topology, 1), batchShape = InputShape(topology, inputs64.Length / topology.InputSize);
        _input1 = torch.tensor(input, inputShape);
        _target1 = torch.tensor(target, new long[] { 1, topology.OutputSize });
        _inputs64 = torch.tensor(inputs64, batchShape);
        _targets64 = torch.tensor(targets64, new long[] { targets64.Length / topology.OutputSize, topology.OutputSize });
    }

    private static long[] InputShape(NetworkTopology topology, int batch)
    {
        var shape = new List<long> { batch };
        foreach (int d in topology.InputShape.ToArray()) shape.Add(d);
        return shape.ToArray();
    }

    private void Add(float[] values, params long[] shape) => _parameters.Add(torch.tensor(values, shape).requires_grad_(true));

    /// <summary>A Conv2D layer's weights as PyTorch's full [filters, channels, k, k]: a connection table's absent kernels are zeros.</summary>
    private static float[] FullKernels(LayerShape layer, int channels, ReadOnlySpan<float> theta)
    {
        int filters = layer.Shape.Channels, k = layer.KernelSize;
        var w = new float[filters * channels * k * k];
        for (int o = 0; o < filters; o++)
            for (int i = 0; i < channels; i++)
            {
                int at = layer.KernelOffset(o, i);
                if (at >= 0) theta.Slice(at, k * k).CopyTo(w.AsSpan((o * channels + i) * k * k, k * k));
            }
        return w;
    }

    /// <summary>The output layer's u (before its softmax) for a batch; the other activations applied.</summary>
    private Tensor Logits(Tensor x)
    {
        int p = 0;
        foreach (LayerShape layer in _topology.Layers)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    if (x.dim() > 2) x = x.flatten(1);
                    x = F.linear(x, _parameters[p], _parameters[p + 1]);
                    p += 2;
                    break;
                case LayerKind.Conv2D:
                    x = F.conv2d(x, _parameters[p], _parameters[p + 1],
                        strides: new long[] { layer.Stride, layer.Stride }, padding: new long[] { layer.Padding, layer.Padding });
                    p += 2;
                    break;
                default: // trainable AvgPool
                    x = F.avg_pool2d(x, new long[] { layer.PoolSize, layer.PoolSize }, new long[] { layer.Stride, layer.Stride }) * _parameters[p] + _parameters[p + 1];
                    p += 2;
                    break;
            }
            if (layer.Number == _topology.OutputLayer && _softmaxOutput) break;
            x = layer.Activation switch
            {
                Activation.Identity => x,
                Activation.Tanh => x.tanh(),
                Activation.ReLU => x.relu(),
                Activation.Sigmoid => x.sigmoid(),
                _ => throw new NotSupportedException($"The TorchSharp engine does not apply {layer.Activation}."),
            };
        }
        return x;
    }

    /// <summary>The loss summed over the batch, as the .NET engines report it.</summary>
    private Tensor Loss(Tensor logits, Tensor targets) => _softmaxOutput
        ? -(targets * F.log_softmax(logits, 1)).sum()
        : 0.5f * (targets - logits).pow(2).sum();

    /// <summary>Forward without gradients; the outputs copied into <paramref name="output"/>.</summary>
    public void Forward(bool batch, float[] output)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor u = Logits(batch ? _inputs64 : _input1);
        Tensor x = _softmaxOutput ? F.softmax(u, 1) : u;
        x.data<float>().CopyTo(output);
    }

    /// <summary>Forward, loss, backward and one SGD step θ ← θ − η·∂L/∂θ with the gradient summed over the batch.</summary>
    public float TrainStep(bool batch, float learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Tensor loss = Loss(Logits(batch ? _inputs64 : _input1), batch ? _targets64 : _target1);
        loss.backward();
        using (torch.no_grad())
            foreach (Tensor p in _parameters)
            {
                p.add_(p.grad!, alpha: -learningRate);
                p.grad!.zero_();
            }
        return loss.item<float>();
    }

    public void Dispose()
    {
        foreach (Tensor p in _parameters) p.Dispose();
        _input1.Dispose();
        _target1.Dispose();
        _inputs64.Dispose();
        _targets64.Dispose();
    }
}

/// <summary>
/// The four measures with TorchSharp next to the generated network, one category (and baseline) per measure: batch-1
/// Forward, per-sample TrainStep, a minibatch-64 training step and batch-64 inference. Setup compares TorchSharp's
/// outputs and losses with the generated network's, so a wrong engine throws instead of looking fast.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TorchSharpComparison
{
    public const int Batch = 64;

    [Params(Engines.Tiny, Engines.Small, Engines.MlpS, Engines.MlpM, Engines.LeNet5)]
    public string Network { get; set; } = "";

    private Engines _e = null!;
    private TorchSharpNetwork _torch = null!;
    private float[] _inputs = null!, _targets = null!, _outputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _e = new Engines(Network);
        int m = _e.Output.Length;
        (_inputs, _targets) = _e.MakeBatch(Batch, seed: 2);
        _outputs = new float[Batch * m];
        _torch = new TorchSharpNetwork(_e.Generated.Topology, _e.Generated.Parameters, _e.Input, _e.Target, _inputs, _targets);

        var expected = new float[m];
        _e.Generated.Forward(_e.Input, expected);
        var actual = new float[m];
        _torch.Forward(batch: false, actual);
        Engines.Compare(Network, "TorchSharp Forward", expected, actual);
        GeneratedInference64();
        var batchExpected = (float[])_outputs.Clone();
        TorchSharpInference64();
        Engines.Compare(Network, "TorchSharp batch 64", batchExpected, _outputs);
        // The loss of a train step, before its update, from the same weights (η = 0: nothing moves).
        Engines.Compare(Network, "TorchSharp TrainStep loss", new[] { _e.Generated.TrainStep(_e.Input, _e.Target, 0) },
            new[] { _torch.TrainStep(batch: false, 0) });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _torch.Dispose();
        _e.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Forward batch 1")]
    public void GeneratedForward() => _e.Generated.Forward(_e.Input, _e.Output);

    [Benchmark, BenchmarkCategory("Forward batch 1")]
    public void TorchSharpForward() => _torch.Forward(batch: false, _e.Output);

    [Benchmark(Baseline = true), BenchmarkCategory("TrainStep per sample")]
    public float GeneratedTrainStep() => _e.Generated.TrainStep(_e.Input, _e.Target, Engines.LearningRate);

    [Benchmark, BenchmarkCategory("TrainStep per sample")]
    public float TorchSharpTrainStep() => _torch.TrainStep(batch: false, Engines.LearningRate);

    [Benchmark(Baseline = true), BenchmarkCategory("Train minibatch 64")]
    public float GeneratedTrainBatch64() => Batched.TrainStep(_e.Generated, _inputs, _targets, Batch, Engines.LearningRate);

    [Benchmark, BenchmarkCategory("Train minibatch 64")]
    public float TorchSharpTrainBatch64() => _torch.TrainStep(batch: true, Engines.LearningRate);

    [Benchmark(Baseline = true), BenchmarkCategory("Inference batch 64")]
    public void GeneratedInference64() => Batched.Forward(_e.Generated, _inputs, _outputs, Batch);

    [Benchmark, BenchmarkCategory("Inference batch 64")]
    public void TorchSharpInference64() => _torch.Forward(batch: true, _outputs);
}
#endif
