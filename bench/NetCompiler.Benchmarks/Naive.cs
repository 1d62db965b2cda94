// The "naive" engine: what a person writes by hand without thinking about speed. Scalar float loops straight from the
// formulas (no SIMD, no TensorPrimitives, no unrolling), jagged arrays, MathF for the transfer functions. Weights are
// copied once from the generated network's parameter buffer, so all engines run the same numbers.
using System;
using NetCompiler;

namespace NetCompiler.Benchmarks;

/// <summary>A dense chain: forward pass and per-sample SGD train step (squared error or softmax cross-entropy).</summary>
public sealed class NaiveMlp
{
    private readonly int[] _sizes;              // n_0 … n_L
    private readonly Activation[] _activations; // f^1 … f^L (index 0 unused)
    private readonly float[][][] _w;            // _w[l][o][i]
    private readonly float[][] _b, _x, _delta;  // _delta[l] = û^l = −∂L/∂u^l
    private readonly bool _crossEntropy;

    public NaiveMlp(NetworkTopology topology, ReadOnlySpan<float> theta)
    {
        int layers = topology.Layers.Count;
        _sizes = new int[layers + 1];
        _sizes[0] = topology.InputSize;
        _activations = new Activation[layers + 1];
        _w = new float[layers + 1][][];
        _b = new float[layers + 1][];
        _x = new float[layers + 1][];
        _delta = new float[layers + 1][];
        _x[0] = new float[_sizes[0]];
        for (int l = 1; l <= layers; l++)
        {
            LayerShape layer = topology.Layers[l - 1];
            if (layer.Kind != LayerKind.Dense) throw new NotSupportedException("NaiveMlp runs dense chains only.");
            int n = layer.Outputs, m = layer.Inputs;
            _sizes[l] = n;
            _activations[l] = layer.Activation;
            _w[l] = new float[n][];
            for (int o = 0; o < n; o++) _w[l][o] = theta.Slice(layer.WeightOffset + o * m, m).ToArray();
            _b[l] = theta.Slice(layer.BiasOffset, n).ToArray();
            _x[l] = new float[n];
            _delta[l] = new float[n];
        }
        _crossEntropy = topology.Loss == LossFunction.CrossEntropy;
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < _sizes[0]; i++) _x[0][i] = input[i];
        for (int l = 1; l < _sizes.Length; l++)
        {
            float[] x = _x[l - 1], y = _x[l];
            for (int o = 0; o < _sizes[l]; o++)
            {
                float sum = _b[l][o];
                float[] row = _w[l][o];
                for (int i = 0; i < _sizes[l - 1]; i++) sum += row[i] * x[i];
                y[o] = sum;
            }
            Naive.Activate(_activations[l], y);
        }
        float[] last = _x[_sizes.Length - 1];
        for (int i = 0; i < last.Length; i++) output[i] = last[i];
    }

    /// <summary>Forward, backward and θ ← θ − η·∂L/∂θ; returns the loss before the update.</summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, float learningRate, Span<float> scratch)
    {
        Forward(input, scratch);
        int L = _sizes.Length - 1;
        float[] x = _x[L], delta = _delta[L];
        float loss = 0;
        if (_crossEntropy)
        {
            // Softmax output: û = d − (Σ d)·x, L = −Σ d·log x.
            float targetSum = 0;
            for (int i = 0; i < x.Length; i++) targetSum += target[i];
            for (int i = 0; i < x.Length; i++)
            {
                if (target[i] != 0) loss -= target[i] * MathF.Log(x[i]);
                delta[i] = target[i] - targetSum * x[i];
            }
        }
        else
        {
            for (int i = 0; i < x.Length; i++)
            {
                float e = target[i] - x[i];
                loss += 0.5f * e * e;
                delta[i] = e * Naive.Derivative(_activations[L], x[i]);
            }
        }
        for (int l = L; l >= 1; l--)
        {
            float[] d = _delta[l], xIn = _x[l - 1];
            if (l > 1)
            {
                // û^(l−1) = f'(x^(l−1)) ⊙ Wᵀ·û^l, with the weights before this step's update.
                float[] dIn = _delta[l - 1];
                for (int i = 0; i < _sizes[l - 1]; i++)
                {
                    float sum = 0;
                    for (int o = 0; o < _sizes[l]; o++) sum += _w[l][o][i] * d[o];
                    dIn[i] = sum * Naive.Derivative(_activations[l - 1], xIn[i]);
                }
            }
            // ∂L/∂W = −û·xᵀ, ∂L/∂b = −û.
            for (int o = 0; o < _sizes[l]; o++)
            {
                float step = learningRate * d[o];
                float[] row = _w[l][o];
                for (int i = 0; i < _sizes[l - 1]; i++) row[i] += step * xIn[i];
                _b[l][o] += step;
            }
        }
        return loss;
    }
}

/// <summary>LeNet-5 forward pass (the benchmark's 28×28 variant), hand-written for exactly that network.</summary>
public sealed class NaiveLeNet5
{
    private readonly float[] _c1w, _c1b, _s2c, _s2b, _c3w, _c3b, _s4c, _s4b, _c5w, _c5b, _f6w, _f6b, _f7w, _f7b;
    private readonly bool[] _c3connected; // [16 · 6]
    private readonly float[] _input = new float[1 * 28 * 28], _c1 = new float[6 * 28 * 28], _s2 = new float[6 * 14 * 14],
        _c3 = new float[16 * 10 * 10], _s4 = new float[16 * 5 * 5], _c5 = new float[120], _f6 = new float[84], _f7 = new float[10];

    public NaiveLeNet5(NetworkTopology topology, ReadOnlySpan<float> theta)
    {
        var layers = topology.Layers;
        (_c1w, _c1b) = ConvWeights(layers[0], theta, out _);
        (_s2c, _s2b) = (theta.Slice(layers[1].WeightOffset, 6).ToArray(), theta.Slice(layers[1].BiasOffset, 6).ToArray());
        (_c3w, _c3b) = ConvWeights(layers[2], theta, out _c3connected);
        (_s4c, _s4b) = (theta.Slice(layers[3].WeightOffset, 16).ToArray(), theta.Slice(layers[3].BiasOffset, 16).ToArray());
        (_c5w, _c5b) = ConvWeights(layers[4], theta, out _);
        (_f6w, _f6b) = (theta.Slice(layers[5].WeightOffset, layers[5].WeightCount).ToArray(), theta.Slice(layers[5].BiasOffset, 84).ToArray());
        (_f7w, _f7b) = (theta.Slice(layers[6].WeightOffset, layers[6].WeightCount).ToArray(), theta.Slice(layers[6].BiasOffset, 10).ToArray());
    }

    // Full [filters, channels, k, k] kernels (zeros where the connection table leaves a kernel out) and the table.
    private static (float[] W, float[] B) ConvWeights(LayerShape layer, ReadOnlySpan<float> theta, out bool[] connected)
    {
        int filters = layer.Shape.Channels, channels = layer.SourceShapes[0].Channels, kk = layer.KernelSize * layer.KernelSize;
        var w = new float[filters * channels * kk];
        connected = new bool[filters * channels];
        for (int o = 0; o < filters; o++)
            for (int i = 0; i < channels; i++)
            {
                int at = layer.KernelOffset(o, i);
                connected[o * channels + i] = at >= 0;
                if (at >= 0) theta.Slice(at, kk).CopyTo(w.AsSpan((o * channels + i) * kk, kk));
            }
        return (w, theta.Slice(layer.BiasOffset, filters).ToArray());
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < _input.Length; i++) _input[i] = input[i];
        Conv(_input, 1, 28, _c1w, _c1b, null, 6, 5, 2, _c1, 28);
        Pool(_c1, 6, 28, _s2c, _s2b, _s2);
        Conv(_s2, 6, 14, _c3w, _c3b, _c3connected, 16, 5, 0, _c3, 10);
        Pool(_c3, 16, 10, _s4c, _s4b, _s4);
        Conv(_s4, 16, 5, _c5w, _c5b, null, 120, 5, 0, _c5, 1);
        Dense(_c5, _f6w, _f6b, _f6);
        Naive.Activate(Activation.Tanh, _f6);
        Dense(_f6, _f7w, _f7b, _f7);
        Naive.Activate(Activation.Softmax, _f7);
        for (int i = 0; i < 10; i++) output[i] = _f7[i];
    }

    // y[o, oy, ox] = tanh(b[o] + Σ_i Σ_ky Σ_kx w[o, i, ky, kx]·x[i, oy + ky − pad, ox + kx − pad]), zeros outside.
    private static void Conv(float[] x, int channels, int size, float[] w, float[] b, bool[]? connected,
        int filters, int k, int pad, float[] y, int outSize)
    {
        for (int o = 0; o < filters; o++)
            for (int oy = 0; oy < outSize; oy++)
                for (int ox = 0; ox < outSize; ox++)
                {
                    float sum = b[o];
                    for (int i = 0; i < channels; i++)
                    {
                        if (connected != null && !connected[o * channels + i]) continue;
                        for (int ky = 0; ky < k; ky++)
                        {
                            int iy = oy + ky - pad;
                            if (iy < 0 || iy >= size) continue;
                            for (int kx = 0; kx < k; kx++)
                            {
                                int ix = ox + kx - pad;
                                if (ix < 0 || ix >= size) continue;
                                sum += w[((o * channels + i) * k + ky) * k + kx] * x[(i * size + iy) * size + ix];
                            }
                        }
                    }
                    y[(o * outSize + oy) * outSize + ox] = MathF.Tanh(sum);
                }
    }

    // LeNet's trainable subsampling: y = tanh(c·mean of the 2×2 window + b), per channel.
    private static void Pool(float[] x, int channels, int size, float[] c, float[] b, float[] y)
    {
        int half = size / 2;
        for (int ch = 0; ch < channels; ch++)
            for (int oy = 0; oy < half; oy++)
                for (int ox = 0; ox < half; ox++)
                {
                    int at = (ch * size + 2 * oy) * size + 2 * ox;
                    float mean = (x[at] + x[at + 1] + x[at + size] + x[at + size + 1]) * 0.25f;
                    y[(ch * half + oy) * half + ox] = MathF.Tanh(c[ch] * mean + b[ch]);
                }
    }

    private static void Dense(float[] x, float[] w, float[] b, float[] y)
    {
        for (int o = 0; o < y.Length; o++)
        {
            float sum = b[o];
            for (int i = 0; i < x.Length; i++) sum += w[o * x.Length + i] * x[i];
            y[o] = sum;
        }
    }
}

internal static class Naive
{
    public static void Activate(Activation activation, float[] u)
    {
        switch (activation)
        {
            case Activation.Identity: break;
            case Activation.Tanh: for (int i = 0; i < u.Length; i++) u[i] = MathF.Tanh(u[i]); break;
            case Activation.ReLU: for (int i = 0; i < u.Length; i++) u[i] = u[i] > 0 ? u[i] : 0; break;
            case Activation.Sigmoid: for (int i = 0; i < u.Length; i++) u[i] = 1 / (1 + MathF.Exp(-u[i])); break;
            case Activation.Softmax:
            {
                float max = u[0];
                for (int i = 1; i < u.Length; i++) if (u[i] > max) max = u[i];
                float sum = 0;
                for (int i = 0; i < u.Length; i++) { u[i] = MathF.Exp(u[i] - max); sum += u[i]; }
                for (int i = 0; i < u.Length; i++) u[i] /= sum;
                break;
            }
            default: throw new NotSupportedException($"Naive engine: no {activation}.");
        }
    }

    /// <summary>f'(u) written in terms of x = f(u).</summary>
    public static float Derivative(Activation activation, float x) => activation switch
    {
        Activation.Identity => 1,
        Activation.Tanh => 1 - x * x,
        Activation.ReLU => x > 0 ? 1 : 0,
        Activation.Sigmoid => x * (1 - x),
        _ => throw new NotSupportedException($"Naive engine: no derivative of {activation}."),
    };
}
