using System;
using System.Collections.Generic;
using System.Linq;

namespace NetCompiler.Tests.Support;

/// <summary>Graph, convolution and pooling topologies for the tests, and random parameters, inputs and targets for them.</summary>
public static class Graphs
{
    /// <summary>LeNet-5's C3 connection table: one row per output map, one entry per S2 map.</summary>
    public static readonly string[] C3 =
    [
        "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X",
        "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X",
        "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
    ];

    /// <summary>LeNet-5 on 28×28 (C1 padded by 2, as for MNIST): 60,850 parameters.</summary>
    public static NetworkTopology LeNet5(LossFunction loss = LossFunction.CrossEntropy, Precision precision = Precision.Single) =>
        new(new TensorShape(1, 28, 28), LeNet5Layers(kernel5: 5, c5: 120, f6: 84), loss, precision);

    /// <summary>
    /// LeNet-5's layers. With a smaller input the last convolution shrinks too: LeNetSmall uses 20×20, C5 with 3×3
    /// kernels and fewer maps, so that every parameter can be gradient-checked quickly.
    /// </summary>
    public static List<LayerSpec> LeNet5Layers(int kernel5, int c5, int f6) =>
    [
        new ConvLayer(2, 6, 5, Activation.Tanh) { Padding = 2, Name = "c1" },
        new PoolLayer(LayerKind.AvgPool, 2, Activation.Tanh, trainable: true) { Name = "s2" },
        new ConvLayer(2, 16, 5, Activation.Tanh) { Connections = C3, Name = "c3" },
        new PoolLayer(LayerKind.AvgPool, 2, Activation.Tanh, trainable: true) { Name = "s4" },
        new ConvLayer(2, c5, kernel5, Activation.Tanh) { Name = "c5" },
        new DenseLayer(f6, Activation.Tanh) { Name = "f6" },
        new DenseLayer(10, Activation.Softmax) { Name = "output" },
    ];

    /// <summary>LeNet-5's structure (C3 table, trainable pools) on 1×20×20: C5 has 12 maps of 3×3 kernels, F6 8 units.</summary>
    public static NetworkTopology LeNetSmall(LossFunction loss) =>
        new(new TensorShape(1, 20, 20), LeNet5Layers(kernel5: 3, c5: 12, f6: 8), loss, Precision.Double);

    /// <summary>
    /// Seeded initial weights, random biases in [−0.5, 0.5] and pooling coefficients in [0.5, 1.5], so that biases
    /// and coefficients matter (the initializer sets them to 0 and 1).
    /// </summary>
    public static double[] RandomParameters(NetworkTopology topology, int seed)
    {
        var theta = new double[topology.ParameterCount];
        ParameterInitializer.Initialize<double>(topology, theta, seed);
        var random = new Random(seed);
        foreach (LayerShape layer in topology.Layers)
        {
            if (layer.Trainable)
                for (int c = 0; c < layer.WeightCount; c++) theta[layer.WeightOffset + c] = 0.5 + random.NextDouble();
            for (int i = 0; i < layer.BiasCount; i++) theta[layer.BiasOffset + i] = random.NextDouble() - 0.5;
        }
        return theta;
    }

    /// <summary>An input in [−1, 1]^n.</summary>
    public static double[] RandomInput(NetworkTopology topology, int seed)
    {
        var random = new Random(seed * 7919 + 1);
        return Enumerable.Range(0, topology.InputSize).Select(_ => 2 * random.NextDouble() - 1).ToArray();
    }

    /// <summary>A cross-entropy target: one-hot (even seed) or a random distribution (odd); otherwise values in [−1, 1].</summary>
    public static double[] RandomTarget(NetworkTopology topology, int seed)
    {
        var random = new Random(seed * 104729 + 2);
        var d = new double[topology.OutputSize];
        if (topology.Loss != LossFunction.CrossEntropy)
        {
            for (int i = 0; i < d.Length; i++) d[i] = 2 * random.NextDouble() - 1;
            return d;
        }
        if (seed % 2 == 0)
        {
            d[random.Next(d.Length)] = 1;
            return d;
        }
        for (int i = 0; i < d.Length; i++) d[i] = random.NextDouble() + 0.01;
        double sum = d.Sum();
        for (int i = 0; i < d.Length; i++) d[i] /= sum;
        return d;
    }
}
