using System;
using System.Collections.Generic;
using NetCompiler;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Each layer kind written out in plain loops over double, straight from the formulas in LayerShape.cs and the brief
/// of issue 4, with no engine code: the forward step of one layer, the gradient of its parameters and what its backward
/// step sends to each source. The graph-fixture tests use it to check the fixtures' conventions layer by layer (so a
/// disagreement between an engine and PyTorch can be pinned on one side by hand), to rebuild gradient blocks a compact
/// fixture leaves out, and to turn an engine's first-layer sensitivities into ∂L/∂x^0, which INetwork does not expose.
/// </summary>
/// <remarks>Signs: <paramref name="uHat"/> arguments are û = ∂R/∂u = −∂L/∂u; <see cref="Gradient"/> returns ∂L/∂θ.</remarks>
public static class ReferenceLayers
{
    /// <summary>u of <paramref name="layer"/> from its sources' activities (x itself for MaxPool and Concat, which have no u).</summary>
    public static double[] PreActivation(LayerShape layer, ReadOnlySpan<double> theta, IReadOnlyList<double[]> sources)
    {
        var u = new double[layer.Outputs];
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                for (int o = 0; o < u.Length; o++)
                {
                    double sum = theta[layer.BiasOffset + o];
                    for (int s = 0; s < sources.Count; s++)
                    {
                        int w = layer.SourceWeightOffset(s) + o * sources[s].Length;
                        for (int j = 0; j < sources[s].Length; j++) sum += theta[w + j] * sources[s][j];
                    }
                    u[o] = sum;
                }
                break;
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                Window g = new(layer);
                double[] x = sources[0];
                for (int o = 0; o < layer.Shape.Channels; o++)
                    for (int y = 0; y < g.OutH; y++)
                        for (int c = 0; c < g.OutW; c++)
                        {
                            double sum = theta[layer.BiasOffset + o];
                            for (int i = 0; i < g.Channels; i++)
                            {
                                int kernel = layer.KernelOffset(o, i);
                                if (kernel < 0) continue;
                                for (int ky = 0; ky < g.KH; ky++)
                                    for (int kx = 0; kx < g.KW; kx++)
                                    {
                                        int at = g.Input(i, y, c, ky, kx);
                                        if (at >= 0) sum += theta[kernel + ky * g.KW + kx] * x[at];
                                    }
                            }
                            u[g.Output(o, y, c)] = sum;
                        }
                break;
            }
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            {
                Window g = new(layer);
                for (int ch = 0; ch < g.Channels; ch++)
                    for (int y = 0; y < g.OutH; y++)
                        for (int c = 0; c < g.OutW; c++)
                        {
                            int o = g.Output(ch, y, c);
                            if (layer.Kind == LayerKind.MaxPool)
                                u[o] = sources[0][ArgMax(g, sources[0], ch, y, c)];
                            else
                            {
                                double mean = Mean(g, sources[0], ch, y, c);
                                u[o] = layer.Trainable ? theta[layer.WeightOffset + ch] * mean + theta[layer.BiasOffset + ch] : mean;
                            }
                        }
                break;
            }
            case LayerKind.Add:
                foreach (double[] x in sources)
                    for (int k = 0; k < u.Length; k++) u[k] += x[k];
                break;
            case LayerKind.Concat:
            {
                int at = 0;
                foreach (double[] x in sources)
                {
                    x.CopyTo(u, at);
                    at += x.Length;
                }
                break;
            }
            default:
                throw new NotSupportedException(layer.Kind.ToString());
        }
        return u;
    }

    /// <summary>x = f(u); Softmax over the whole (flattened) buffer.</summary>
    public static double[] Activate(Activation f, double[] u)
    {
        var x = new double[u.Length];
        if (f == Activation.Softmax)
        {
            double max = double.NegativeInfinity, sum = 0;
            foreach (double v in u) max = Math.Max(max, v);
            for (int k = 0; k < u.Length; k++) sum += x[k] = Math.Exp(u[k] - max);
            for (int k = 0; k < u.Length; k++) x[k] /= sum;
            return x;
        }
        for (int k = 0; k < u.Length; k++)
            x[k] = f switch
            {
                Activation.Identity => u[k],
                Activation.Sigmoid => 1 / (1 + Math.Exp(-u[k])),
                Activation.Tanh => Math.Tanh(u[k]),
                Activation.ReLU => u[k] > 0 ? u[k] : 0,
                Activation.LeakyReLU => u[k] > 0 ? u[k] : NetworkTopology.LeakyReLUSlope * u[k],
                _ => throw new NotSupportedException(f.ToString()),
            };
        return x;
    }

    /// <summary>f'(u) written through x = f(u) (not for Softmax).</summary>
    public static double Derivative(Activation f, double x) => f switch
    {
        Activation.Identity => 1,
        Activation.Sigmoid => x * (1 - x),
        Activation.Tanh => 1 - x * x,
        Activation.ReLU => x > 0 ? 1 : 0,
        Activation.LeakyReLU => x > 0 ? 1 : NetworkTopology.LeakyReLUSlope,
        _ => throw new NotSupportedException(f.ToString()),
    };

    /// <summary>∂L/∂θ of <paramref name="layer"/>'s parameters (length <see cref="LayerShape.ParameterCount"/>): −û·xᵀ, summed over the positions that share a weight.</summary>
    public static double[] Gradient(LayerShape layer, double[] uHat, IReadOnlyList<double[]> sources)
    {
        var g = new double[layer.ParameterCount];
        int bias = layer.BiasOffset - layer.WeightOffset;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                for (int s = 0; s < sources.Count; s++)
                {
                    int w = layer.SourceWeightOffset(s) - layer.WeightOffset;
                    for (int o = 0; o < uHat.Length; o++)
                        for (int j = 0; j < sources[s].Length; j++)
                            g[w + o * sources[s].Length + j] = -uHat[o] * sources[s][j];
                }
                for (int o = 0; o < uHat.Length; o++) g[bias + o] = -uHat[o];
                break;
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                Window w = new(layer);
                for (int o = 0; o < layer.Shape.Channels; o++)
                    for (int y = 0; y < w.OutH; y++)
                        for (int c = 0; c < w.OutW; c++)
                        {
                            double du = uHat[w.Output(o, y, c)];
                            g[bias + o] -= du;
                            for (int i = 0; i < w.Channels; i++)
                            {
                                int kernel = layer.KernelOffset(o, i);
                                if (kernel < 0) continue;
                                for (int ky = 0; ky < w.KH; ky++)
                                    for (int kx = 0; kx < w.KW; kx++)
                                    {
                                        int at = w.Input(i, y, c, ky, kx);
                                        if (at >= 0) g[kernel - layer.WeightOffset + ky * w.KW + kx] -= du * sources[0][at];
                                    }
                            }
                        }
                break;
            }
            case LayerKind.AvgPool when layer.Trainable:
            {
                Window w = new(layer);
                for (int ch = 0; ch < w.Channels; ch++)
                    for (int y = 0; y < w.OutH; y++)
                        for (int c = 0; c < w.OutW; c++)
                        {
                            double du = uHat[w.Output(ch, y, c)];
                            g[ch] -= du * Mean(w, sources[0], ch, y, c);
                            g[bias + ch] -= du;
                        }
                break;
            }
        }
        return g;
    }

    /// <summary>
    /// What <paramref name="layer"/>'s backward step sends to each of its sources: x̂^β = (∂u/∂x^β)ᵀ·û, i.e. ∂R/∂x^β
    /// through this layer alone (a source read by several layers gets the sum over them).
    /// </summary>
    public static double[][] SourceSensitivities(LayerShape layer, ReadOnlySpan<double> theta, double[] uHat, IReadOnlyList<double[]?> sources)
    {
        var xHat = new double[layer.Sources.Count][];
        for (int s = 0; s < xHat.Length; s++) xHat[s] = new double[layer.SourceShapes[s].Size];
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                for (int s = 0; s < xHat.Length; s++)
                {
                    int n = xHat[s].Length, w = layer.SourceWeightOffset(s);
                    for (int o = 0; o < uHat.Length; o++)
                        for (int j = 0; j < n; j++) xHat[s][j] += theta[w + o * n + j] * uHat[o];
                }
                break;
            case LayerKind.Conv1D:
            case LayerKind.Conv2D:
            {
                Window g = new(layer);
                for (int o = 0; o < layer.Shape.Channels; o++)
                    for (int y = 0; y < g.OutH; y++)
                        for (int c = 0; c < g.OutW; c++)
                            for (int i = 0; i < g.Channels; i++)
                            {
                                int kernel = layer.KernelOffset(o, i);
                                if (kernel < 0) continue;
                                for (int ky = 0; ky < g.KH; ky++)
                                    for (int kx = 0; kx < g.KW; kx++)
                                    {
                                        int at = g.Input(i, y, c, ky, kx);
                                        if (at >= 0) xHat[0][at] += theta[kernel + ky * g.KW + kx] * uHat[g.Output(o, y, c)];
                                    }
                            }
                break;
            }
            case LayerKind.MaxPool:
            case LayerKind.AvgPool:
            {
                Window g = new(layer);
                double[]? x = sources[0];
                if (layer.Kind == LayerKind.MaxPool && x is null) throw new ArgumentException("MaxPool's backward step needs its source's activities.", nameof(sources));
                for (int ch = 0; ch < g.Channels; ch++)
                    for (int y = 0; y < g.OutH; y++)
                        for (int c = 0; c < g.OutW; c++)
                        {
                            double du = uHat[g.Output(ch, y, c)];
                            if (layer.Kind == LayerKind.MaxPool)
                            {
                                xHat[0][ArgMax(g, x!, ch, y, c)] += du;
                                continue;
                            }
                            double share = (layer.Trainable ? theta[layer.WeightOffset + ch] : 1) * du / (g.KH * g.KW);
                            for (int ky = 0; ky < g.KH; ky++)
                                for (int kx = 0; kx < g.KW; kx++) xHat[0][g.Input(ch, y, c, ky, kx)] += share;
                        }
                break;
            }
            case LayerKind.Add:
                foreach (double[] x in xHat) uHat.CopyTo(x, 0);
                break;
            case LayerKind.Concat:
            {
                int at = 0;
                foreach (double[] x in xHat)
                {
                    Array.Copy(uHat, at, x, 0, x.Length);
                    at += x.Length;
                }
                break;
            }
            default:
                throw new NotSupportedException(layer.Kind.ToString());
        }
        return xHat;
    }

    /// <summary>
    /// ∂L/∂x^0 = −Σ over the layers c that read the input of what c's backward step sends it, from û^c
    /// (<paramref name="sensitivities"/>(c)), θ and, for MaxPool, the activities (<paramref name="activities"/>(l), may
    /// return null for other layers).
    /// </summary>
    public static double[] InputGradient(NetworkTopology topology, ReadOnlySpan<double> theta, Func<int, double[]> sensitivities, Func<int, double[]?> activities)
    {
        var gradient = new double[topology.InputSize];
        foreach (int c in topology.Consumers(0))
        {
            LayerShape layer = topology.Layers[c - 1];
            var sources = new double[]?[layer.Sources.Count];
            for (int s = 0; s < sources.Length; s++) sources[s] = activities(layer.Sources[s]);
            double[][] xHat = SourceSensitivities(layer, theta, sensitivities(c), sources);
            for (int s = 0; s < xHat.Length; s++)
                if (layer.Sources[s] == 0)
                    for (int k = 0; k < gradient.Length; k++) gradient[k] -= xHat[s][k];
        }
        return gradient;
    }

    private static int ArgMax(in Window g, double[] x, int ch, int y, int c)
    {
        int best = g.Input(ch, y, c, 0, 0);
        for (int ky = 0; ky < g.KH; ky++)
            for (int kx = 0; kx < g.KW; kx++)
            {
                int at = g.Input(ch, y, c, ky, kx);
                if (x[at] > x[best]) best = at; // strict: the first maximum in row-major window order wins
            }
        return best;
    }

    private static double Mean(in Window g, double[] x, int ch, int y, int c)
    {
        double sum = 0;
        for (int ky = 0; ky < g.KH; ky++)
            for (int kx = 0; kx < g.KW; kx++) sum += x[g.Input(ch, y, c, ky, kx)];
        return sum / (g.KH * g.KW);
    }

    /// <summary>The geometry of a convolution or pooling layer; a 1-D layer is a 2-D one of height 1 without vertical padding.</summary>
    private readonly struct Window
    {
        public readonly int Channels, InH, InW, OutH, OutW, KH, KW, Stride, PadH, PadW;

        public Window(LayerShape layer)
        {
            TensorShape x = layer.SourceShapes[0];
            bool twoD = x.Rank == 3;
            int k = layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D ? layer.KernelSize : layer.PoolSize;
            Channels = x.Channels;
            InH = x.Height;
            InW = x.Width;
            OutH = layer.Shape.Height;
            OutW = layer.Shape.Width;
            KH = twoD ? k : 1;
            KW = k;
            Stride = layer.Stride;
            PadH = twoD ? layer.Padding : 0;
            PadW = layer.Padding;
        }

        /// <summary>The index of x[channel, y·s + ky − p, x·s + kx − p], or −1 in the zero padding.</summary>
        public int Input(int channel, int y, int x, int ky, int kx)
        {
            int row = y * Stride + ky - PadH, column = x * Stride + kx - PadW;
            return row < 0 || row >= InH || column < 0 || column >= InW ? -1 : (channel * InH + row) * InW + column;
        }

        public int Output(int channel, int y, int x) => (channel * OutH + y) * OutW + x;
    }
}
