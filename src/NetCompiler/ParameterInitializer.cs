using System;
using System.Numerics;

namespace NetCompiler;

/// <summary>
/// Deterministic initialisation shared by generated and interpreted networks, so the same seed gives the same
/// parameters in both.
/// </summary>
/// <remarks>
/// <para>
/// Weights are uniform in [−a, a]: He (a = √(6/fan_in)) for ReLU and LeakyReLU layers, Glorot
/// (a = √(6/(fan_in + fan_out))) for the others. The fans follow PyTorch's convention (torch.nn.init):
/// </para>
/// <list type="bullet">
/// <item>Dense: fan_in = all inputs of the layer (the sizes of every source, flattened), fan_out = units.</item>
/// <item>Conv1D / Conv2D: fan_in = channels·k^d and fan_out = filters·k^d (k^d = k taps, or k·k). With a connection
/// table each kernel w[o, i] counts only real connections: fan_in = (channels filter o reads)·k^d and
/// fan_out = (filters that read channel i)·k^d, which are PyTorch's numbers when every entry is connected.</item>
/// </list>
/// <para>
/// Biases are zero. Trainable average pooling starts as a plain average: coefficient c = 1, bias 0. Layers without
/// parameters (MaxPool, plain AvgPool, Add, Concat) have nothing to initialise.
/// </para>
/// <para>
/// The random stream is SplitMix64, fixed here so that a seed means the same weights on every runtime version. One
/// stream runs through the weights in the order of the parameter layout (layers in declaration order); biases and
/// pooling coefficients draw nothing, so a multilayer perceptron gets the same weights as before graphs existed.
/// </para>
/// </remarks>
public static class ParameterInitializer
{
    /// <summary>Fills <paramref name="parameters"/> (the layout of <paramref name="topology"/>) from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> does not have <see cref="NetworkTopology.ParameterCount"/> values.</exception>
    public static void Initialize<T>(NetworkTopology topology, Span<T> parameters, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(topology);
        if (parameters.Length != topology.ParameterCount)
            throw new ArgumentException($"Expected {topology.ParameterCount} parameters, got {parameters.Length}.", nameof(parameters));

        ulong state = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL);
        foreach (LayerShape layer in topology.Layers)
        {
            bool he = layer.Activation is Activation.ReLU or Activation.LeakyReLU;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    Uniform(parameters.Slice(layer.WeightOffset, layer.WeightCount), Bound(he, layer.Inputs, layer.Outputs), ref state);
                    break;

                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                {
                    int channels = layer.SourceShapes[0].Channels, filters = layer.Shape.Channels;
                    int volume = layer.Window.KernelVolume;
                    for (int o = 0; o < filters; o++)
                        for (int i = 0; i < channels; i++)
                        {
                            int kernel = layer.KernelOffset(o, i);
                            if (kernel < 0) continue;
                            int fanIn = 0, fanOut = 0;
                            for (int c = 0; c < channels; c++) if (layer.IsConnected(o, c)) fanIn += volume;
                            for (int f = 0; f < filters; f++) if (layer.IsConnected(f, i)) fanOut += volume;
                            Uniform(parameters.Slice(kernel, volume), Bound(he, fanIn, fanOut), ref state);
                        }
                    break;
                }

                case LayerKind.AvgPool when layer.Trainable:
                    parameters.Slice(layer.WeightOffset, layer.WeightCount).Fill(T.One); // x = f(1·mean + 0) at first
                    break;
            }
            parameters.Slice(layer.BiasOffset, layer.BiasCount).Clear();
        }
    }

    private static double Bound(bool he, int fanIn, int fanOut) => he ? Math.Sqrt(6.0 / fanIn) : Math.Sqrt(6.0 / (fanIn + fanOut));

    private static void Uniform<T>(Span<T> weights, double bound, ref ulong state) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < weights.Length; k++)
            weights[k] = T.CreateTruncating((2.0 * NextUnit(ref state) - 1.0) * bound);
    }

    /// <summary>SplitMix64 step mapped to [0, 1) with 53 random bits.</summary>
    private static double NextUnit(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
