using System;
using System.Globalization;
using System.Linq;
using NetCompiler.Tests.Reference;
using Xunit;

namespace NetCompiler.Tests.Support;

/// <summary>
/// The topologies the engine tests run on, written as "sizes activations loss", e.g. "3-5-2 Tanh,Sigmoid SquaredError",
/// and seeded samples, parameters and targets for them.
/// </summary>
public static class TestNetworks
{
    /// <summary>Every activation, both losses, Softmax with either loss, widths 1, 3, 7, 9, 17, 33 (around the 4- and 8-lane boundaries).</summary>
    public static readonly string[] All =
    [
        "3-5-2 Tanh,Sigmoid SquaredError",
        "12-16-8-4 ReLU,ReLU,Softmax CrossEntropy",
        "6-9-3 LeakyReLU,Identity SquaredError",
        "4-7-3 Identity,Identity SquaredError",
        "1-1 Identity SquaredError",
        "1-17-1 Tanh,Identity SquaredError",
        "33-9-7-3 Sigmoid,LeakyReLU,Softmax SquaredError",
        "9-33-17-1 ReLU,Tanh,Sigmoid SquaredError",
        "7-3-33 Tanh,Softmax CrossEntropy",
        "17-7-9 LeakyReLU,Softmax CrossEntropy",
        "5-3 Softmax CrossEntropy",
    ];

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in All) data.Add(name);
            return data;
        }
    }

    /// <summary>Parses "3-5-2 Tanh,Sigmoid SquaredError" (loss "none" for inference-only).</summary>
    public static NetworkTopology Parse(string name, Precision precision = Precision.Single)
    {
        string[] parts = name.Split(' ');
        int[] sizes = parts[0].Split('-').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Activation[] activations = parts[1].Split(',').Select(Enum.Parse<Activation>).ToArray();
        LossFunction? loss = parts[2] == "none" ? null : Enum.Parse<LossFunction>(parts[2]);
        var layers = new DenseLayer[sizes.Length - 1];
        for (int l = 0; l < layers.Length; l++) layers[l] = new DenseLayer(sizes[l + 1], activations[l]);
        return new NetworkTopology(sizes[0], layers, loss, precision);
    }

    /// <summary>Initialised weights (seeded) plus random biases in [−0.5, 0.5], so that biases matter in the comparison.</summary>
    public static double[] RandomParameters(NetworkTopology topology, int seed)
    {
        var theta = new double[topology.ParameterCount];
        ParameterInitializer.Initialize<double>(topology, theta, seed);
        var random = new Random(seed);
        foreach (LayerShape layer in topology.Layers)
            for (int i = 0; i < layer.BiasCount; i++)
                theta[layer.BiasOffset + i] = random.NextDouble() - 0.5;
        return theta;
    }

    /// <summary>An input in [−1, 1]^n_0.</summary>
    public static double[] RandomInput(NetworkTopology topology, int seed)
    {
        var random = new Random(seed * 7919 + 1);
        return Enumerable.Range(0, topology.InputSize).Select(_ => 2 * random.NextDouble() - 1).ToArray();
    }

    /// <summary>
    /// A target: for cross-entropy a one-hot vector (even <paramref name="seed"/>) or a random distribution (odd);
    /// for squared error values in [0, 1] (sigmoid or softmax outputs) or [−1, 1].
    /// </summary>
    public static double[] RandomTarget(NetworkTopology topology, int seed)
    {
        var random = new Random(seed * 104729 + 2);
        int n = topology.OutputSize;
        var d = new double[n];
        Activation output = topology.Layers[topology.OutputLayer - 1].Activation;
        if (topology.Loss == LossFunction.CrossEntropy)
        {
            if (seed % 2 == 0)
            {
                d[random.Next(n)] = 1;
                return d;
            }
            for (int i = 0; i < n; i++) d[i] = random.NextDouble() + 0.01;
            double sum = d.Sum();
            for (int i = 0; i < n; i++) d[i] /= sum;
            return d;
        }
        bool unit = output is Activation.Sigmoid or Activation.Softmax;
        for (int i = 0; i < n; i++) d[i] = unit ? random.NextDouble() : 2 * random.NextDouble() - 1;
        return d;
    }

    /// <summary>The reference MLP with the same parameters as <paramref name="theta"/>.</summary>
    public static ScalarMlp Reference(NetworkTopology topology, double[] theta)
    {
        ScalarMlp reference = ScalarMlp.From(topology);
        theta.CopyTo(reference.Parameters, 0);
        return reference;
    }

    public static T[] Convert<T>(double[] values) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => values.Select(T.CreateTruncating).ToArray();

    public static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = double.CreateTruncating(values[i]);
        return result;
    }
}
