using System;
using System.Numerics;

namespace NetCompiler;

/// <summary>
/// Deterministic initialisation shared by generated and interpreted networks, so the same seed gives the same
/// parameters in both. Weights are uniform in [−a, a]: He (a = √(6/n_in)) for ReLU and LeakyReLU layers, Glorot
/// (a = √(6/(n_in + n_out))) for the others; biases are zero. The random stream is SplitMix64, fixed here so that
/// a seed means the same weights on every runtime version.
/// </summary>
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
            double bound = layer.Activation is Activation.ReLU or Activation.LeakyReLU
                ? Math.Sqrt(6.0 / layer.Inputs)
                : Math.Sqrt(6.0 / (layer.Inputs + layer.Outputs));
            Span<T> weights = parameters.Slice(layer.WeightOffset, layer.WeightCount);
            for (int k = 0; k < weights.Length; k++)
                weights[k] = T.CreateTruncating((2.0 * NextUnit(ref state) - 1.0) * bound);
            parameters.Slice(layer.BiasOffset, layer.Outputs).Clear();
        }
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
