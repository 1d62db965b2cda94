// The convolution kernels against this core's multiply-add peak (issue 17): one layer's generated ForwardLayer{l} or
// BackwardLayer{l} (called through a delegate, after a Forward and Backward filled its inputs), and a loop of 12
// independent Vector512 FMA chains with no loads, the most multiply-adds a cycle this core does.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*ConvKernels*'
// Multiply-adds per call (the useful ones: positions the flat kernels compute and drop are not counted):
//   peak              12 chains × 10,000 FMAs × 16 lanes = 1,920,000 (Vector256: 8 lanes, 960,000)
//   LeNet-5 C1        6 maps × 28×28 × 25 taps                    = 117,600
//   LeNet-5 C3        60 connected kernels × 10×10 × 25 taps       = 150,000
//   LeNet-5 C3 back   g_w and x̂: 2 × 150,000                      = 300,000
// LeNetC3BackwardInBatch is C3 as BackwardBatch runs it without AVX-512: 16 samples' BackwardLayer3 recording û and x,
// then DeferredGradientLayer3(16), which sums g_w with the samples in lanes; reported per sample (300,000 multiply-adds).
// The backward rows restore the layer's û before each call (see Restoring).
// LeNetC1ForwardInLanes and LeNetC3ForwardInLanes are LanesLayer1 and LanesLayer3 as ForwardBatch runs them, 16 samples
// in the lanes of each vector (C1 with its copy of x⁰ into the padded buffer), reported per sample.
//   CNN conv2         64 × 32 kernels × 14×14 × 9 taps             = 3,612,672
//   CNN conv2 back    g_w and x̂: 2 × 3,612,672                    = 7,225,344
// GMAC/s = multiply-adds / mean time; the share of peak is that over the peak row's GMAC/s (bench/RESULTS.md).
using System;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace NetCompiler.Benchmarks;

/// <summary>The app's --model cnn: 32 and 64 3×3 ReLU maps with 2×2 max pooling, softmax and cross-entropy.</summary>
[Network, Input(1, 28, 28), Conv2D(32, 3, Activation.ReLU, Padding = 1), MaxPool(2), Conv2D(64, 3, Activation.ReLU, Padding = 1), MaxPool(2),
 Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class SmallCnn { }

/// <summary>Single layers' kernels and the FMA peak, each one call per invocation.</summary>
public class ConvKernels
{
    private Action _c1 = null!, _c3 = null!, _c1Lanes = null!, _c3Lanes = null!, _c3Back = null!, _c3Batch = null!, _conv2 = null!, _conv2Back = null!;

    [GlobalSetup]
    public void Setup()
    {
        _c1 = Layer(Ready(new LeNet5()), "ForwardLayer1");
        var lenet = Ready(new LeNet5());
        _c3 = Layer(lenet, "ForwardLayer3");
        _c3Back = Restoring(lenet, "_s3", Layer(lenet, "BackwardLayer3"));
        _c3Batch = InBatch(Ready(new LeNet5()), 3);
        var lanes = Ready(new LeNet5());
        lanes.ForwardBatch(new float[16 * lanes.InputSize], new float[16 * lanes.OutputSize], 16); // allocates the lanes buffers
        _c1Lanes = Layer(lanes, "LanesLayer1");
        _c3Lanes = Layer(lanes, "LanesLayer3");
        var cnn = Ready(new SmallCnn());
        _conv2 = Layer(cnn, "ForwardLayer3");
        _conv2Back = Restoring(cnn, "_s3", Layer(cnn, "BackwardLayer3"));
    }

    /// <summary>The network after one Forward and Backward on a random image, so every layer's inputs hold real values.</summary>
    private static INetwork<float> Ready(INetwork<float> network)
    {
        network.InitializeParameters(1);
        var random = new Random(2);
        var input = new float[network.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)random.NextDouble();
        var target = new float[network.OutputSize];
        target[3] = 1;
        network.Forward(input, new float[network.OutputSize]);
        network.Backward(target);
        return network;
    }

    /// <summary>
    /// Layer <paramref name="l"/>'s backward pass over a record of 16 samples, as BackwardBatch runs it: BackwardLayer{l}
    /// with _deferred = 0 … 15 (each call records its û and x), then DeferredGradientLayer{l}(16).
    /// </summary>
    private static Action InBatch(INetwork<float> network, int l)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.NonPublic;
        // The record buffers, as the first BackwardBatch that defers allocates them (on AVX-512 BackwardBatch runs in lanes instead).
        Layer(network, "AllocateDeferredBuffers")();
        Action backward = Restoring(network, "_s" + l, Layer(network, "BackwardLayer" + l));
        var flush = network.GetType().GetMethod("DeferredGradientLayer" + l, flags)?.CreateDelegate<Action<int>>(network)
                    ?? throw new InvalidOperationException($"{network.GetType().Name} does not defer layer {l}'s g_w");
        FieldInfo deferred = network.GetType().GetField("_deferred", flags)!;
        return () =>
        {
            for (int b = 0; b < 16; b++)
            {
                deferred.SetValue(network, b);
                backward();
            }
            flush(16);
            deferred.SetValue(network, -1);
        };
    }

    /// <summary>
    /// <paramref name="backward"/> after restoring the layer's sensitivity buffer <paramref name="field"/> as Ready left
    /// it: BackwardLayer{l} applies f' to it in place, and repeated on the same values they decay into subnormals, which
    /// cost Intel cores about 100 times as much (C3's backward measured 1.3 ms). The copy (6.4 KB for C3) is timed too.
    /// </summary>
    private static Action Restoring(object network, string field, Action backward)
    {
        var buffer = (float[])network.GetType().GetField(field, BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(network)!;
        float[] saved = (float[])buffer.Clone();
        return () =>
        {
            saved.AsSpan().CopyTo(buffer);
            backward();
        };
    }

    private static Action Layer(object network, string method) =>
        network.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.NonPublic)?.CreateDelegate<Action>(network)
        ?? throw new InvalidOperationException($"{network.GetType().Name} has no {method}");

    [Benchmark] public float Peak() => Vector512.IsHardwareAccelerated ? Peak512() : Peak256();
    [Benchmark] public void LeNetC1Forward() => _c1();
    [Benchmark] public void LeNetC3Forward() => _c3();
    [Benchmark] public void LeNetC3Backward() => _c3Back();
    [Benchmark(OperationsPerInvoke = 16)] public void LeNetC3BackwardInBatch() => _c3Batch();
    /// <summary>C1 and C3 as ForwardBatch runs them: 16 samples in the lanes of each vector (per sample).</summary>
    [Benchmark(OperationsPerInvoke = 16)] public void LeNetC1ForwardInLanes() => _c1Lanes();
    [Benchmark(OperationsPerInvoke = 16)] public void LeNetC3ForwardInLanes() => _c3Lanes();
    [Benchmark] public void CnnConv2Forward() => _conv2();
    [Benchmark] public void CnnConv2Backward() => _conv2Back();

    private static float Peak512()
    {
        Vector512<float> m = Vector512.Create(0.9999f), c = Vector512.Create(1e-4f);
        Vector512<float> a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (int i = 0; i < 10_000; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c); a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c); a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c); a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c); a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private static float Peak256()
    {
        Vector256<float> m = Vector256.Create(0.9999f), c = Vector256.Create(1e-4f);
        Vector256<float> a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (int i = 0; i < 10_000; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c); a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c); a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
