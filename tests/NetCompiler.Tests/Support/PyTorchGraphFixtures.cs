using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler;

namespace NetCompiler.Tests.Support;

/// <summary>
/// A graph fixture (Fixtures/pytorch/graph-*.json, written by tools/make_fixtures.py; see the README there): a
/// topology of any layer kinds, its parameters (as a replayable rule, and as values unless there are many) and a
/// batch of samples with PyTorch's float64 results for each sample alone.
/// </summary>
public sealed class GraphFixture
{
    /// <summary>The script and torch version that wrote the file.</summary>
    public required string GeneratedBy { get; init; }
    /// <summary>The fixture's name (its file name).</summary>
    public required string Name { get; init; }
    /// <summary>The seed of torch.manual_seed (inputs, targets) and of the parameter rule.</summary>
    public required int Seed { get; init; }
    /// <summary>[n], [channels, length] or [channels, height, width].</summary>
    public required int[] InputShape { get; init; }
    /// <summary>The layers 1..L in declaration order.</summary>
    public required GraphLayerFixture[] Layers { get; init; }
    /// <summary>A <see cref="LossFunction"/> name.</summary>
    public required string Loss { get; init; }
    /// <summary>The output layer's name, or null for the last declared layer.</summary>
    public string? Output { get; init; }
    /// <summary>The number of parameters.</summary>
    public required int ParameterCount { get; init; }
    /// <summary>How θ was made; replayed by <see cref="ParameterRule.Generate"/>.</summary>
    public required ParameterRule ParameterRule { get; init; }
    /// <summary>θ as the script computed it, or null when there are too many to write (LeNet-5).</summary>
    public double[]? Parameters { get; init; }
    /// <summary>True when only buffers of at most 400 values are written per sample (the others are null).</summary>
    public required bool Compact { get; init; }
    /// <summary>The batch.</summary>
    public required GraphSampleFixture[] Samples { get; init; }

    /// <summary>The topology the fixture describes, with the given precision.</summary>
    public NetworkTopology Topology(Precision precision) => new(
        new TensorShape(InputShape),
        Layers.Select(layer => layer.ToSpec()).ToArray(),
        Enum.Parse<LossFunction>(Loss),
        precision,
        Output);

    private double[]? _parameterValues;

    /// <summary>θ: the written values, or the rule replayed when none are written (a copy each call).</summary>
    public double[] ParameterValues() => (double[])(_parameterValues ??= Parameters ?? ParameterRule.Generate(ParameterCount)).Clone();

    /// <summary>
    /// ∂L/∂θ for <paramref name="sample"/> alone, in the parameter layout: the written blocks, and for a block written
    /// as null (compact fixtures) −û^l·(x^source)ᵀ, −û^l from the sample's û^l and source activities.
    /// </summary>
    public double[] ExpectedGradient(NetworkTopology topology, GraphSampleFixture sample)
    {
        var gradient = new double[ParameterCount];
        foreach (GradientBlock block in sample.Gradient)
        {
            double[] values = block.Values ?? ReferenceLayers.Gradient(topology.Layers[block.Layer - 1],
                sample.Sensitivities[block.Layer - 1] ?? throw new InvalidOperationException($"{Name}: block {block.Layer} needs û^{block.Layer}."),
                topology.Layers[block.Layer - 1].Sources.Select(s => sample.Activities[s] ?? throw new InvalidOperationException($"{Name}: block {block.Layer} needs x^{s}.")).ToArray());
            values.CopyTo(gradient, block.Offset);
        }
        return gradient;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One layer as declared, with the shape and parameter slice the script computed for it.</summary>
public sealed class GraphLayerFixture
{
    /// <summary>A <see cref="LayerKind"/> name.</summary>
    public required string Kind { get; init; }
    /// <summary>The layer's name, or null.</summary>
    public string? Name { get; init; }
    /// <summary>The sources' names, or null for the previous layer.</summary>
    public string[]? From { get; init; }
    /// <summary>Dense: outputs.</summary>
    public int? Units { get; init; }
    /// <summary>Convolution: output channels.</summary>
    public int? Filters { get; init; }
    /// <summary>Convolution: kernel size.</summary>
    public int? Kernel { get; init; }
    /// <summary>Convolution or pooling: stride as declared (pooling: 0 means the window size).</summary>
    public int? Stride { get; init; }
    /// <summary>Convolution: padding.</summary>
    public int? Padding { get; init; }
    /// <summary>Pooling: window size.</summary>
    public int? Size { get; init; }
    /// <summary>AvgPool: c·mean + b per channel.</summary>
    public bool? Trainable { get; init; }
    /// <summary>An <see cref="NetCompiler.Activation"/> name.</summary>
    public required string Activation { get; init; }
    /// <summary>Convolution: the connection table, or null.</summary>
    public string[]? Connections { get; init; }
    /// <summary>The shape of x^l.</summary>
    public required int[] Shape { get; init; }
    /// <summary>The layer's first parameter.</summary>
    public required int ParameterOffset { get; init; }
    /// <summary>The layer's number of parameters.</summary>
    public required int ParameterCount { get; init; }

    /// <summary>The runtime layer spec.</summary>
    public LayerSpec ToSpec()
    {
        Activation f = Enum.Parse<Activation>(Activation);
        LayerSpec spec = Enum.Parse<LayerKind>(Kind) switch
        {
            LayerKind.Dense => new DenseLayer(Units!.Value, f),
            LayerKind.Conv1D => new ConvLayer(1, Filters!.Value, Kernel!.Value, f) { Stride = Stride!.Value, Padding = Padding!.Value, Connections = Connections },
            LayerKind.Conv2D => new ConvLayer(2, Filters!.Value, Kernel!.Value, f) { Stride = Stride!.Value, Padding = Padding!.Value, Connections = Connections },
            LayerKind.AvgPool => new PoolLayer(LayerKind.AvgPool, Size!.Value, f, Trainable!.Value) { Stride = Stride!.Value },
            LayerKind.MaxPool => new PoolLayer(LayerKind.MaxPool, Size!.Value, f, Trainable!.Value) { Stride = Stride!.Value },
            LayerKind.Add => new JoinLayer(LayerKind.Add, From!, f),
            LayerKind.Concat => new JoinLayer(LayerKind.Concat, From!, f),
            _ => throw new ArgumentException($"Unknown layer kind '{Kind}'."),
        };
        spec.Name = Name;
        spec.From = From;
        return spec;
    }
}

/// <summary>
/// The script's parameter rule: parameter k of a block is center + bound·r_k, r_k = ((z_k &gt;&gt; 11) − 2^52)/2^52 with
/// z_k the splitmix64 output for state seed + (k + 1)·0x9E3779B97F4A7C15. Every step is exact or one IEEE rounding,
/// so this replay gives the script's doubles bit for bit.
/// </summary>
public sealed class ParameterRule
{
    /// <summary>"splitmix64".</summary>
    public required string Generator { get; init; }
    /// <summary>The generator's seed.</summary>
    public required long Seed { get; init; }
    /// <summary>The blocks, covering every parameter.</summary>
    public required ParameterBlock[] Blocks { get; init; }

    /// <summary>θ of length <paramref name="count"/>.</summary>
    public double[] Generate(int count)
    {
        if (Generator != "splitmix64") throw new InvalidOperationException($"Unknown parameter generator '{Generator}'.");
        var theta = new double[count];
        foreach (ParameterBlock block in Blocks)
            for (int k = block.Offset; k < block.Offset + block.Count; k++)
            {
                ulong z = unchecked((ulong)Seed + (ulong)(k + 1) * 0x9E3779B97F4A7C15UL);
                z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
                z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
                z ^= z >> 31;
                double r = (double)((long)(z >> 11) - (1L << 52)) / (1L << 52);
                double scaled = block.Bound * r; // two separate roundings, as in Python: no fused multiply-add
                theta[k] = block.Center + scaled;
            }
        return theta;
    }
}

/// <summary>Parameters [offset, offset + count) are center + bound·r.</summary>
public sealed class ParameterBlock
{
    /// <summary>The first parameter.</summary>
    public required int Offset { get; init; }
    /// <summary>The number of parameters.</summary>
    public required int Count { get; init; }
    /// <summary>The middle of the range.</summary>
    public required double Center { get; init; }
    /// <summary>The half-width of the range.</summary>
    public required double Bound { get; init; }
}

/// <summary>One sample and PyTorch's results for it alone (float64). Buffers are flattened row-major.</summary>
public sealed class GraphSampleFixture
{
    /// <summary>x^0.</summary>
    public required double[] Input { get; init; }
    /// <summary>d.</summary>
    public required double[] Target { get; init; }
    /// <summary>The output layer's x.</summary>
    public required double[] Output { get; init; }
    /// <summary>L (summed over outputs).</summary>
    public required double Loss { get; init; }
    /// <summary>∂L/∂x^0 (the loss's gradient, not R's).</summary>
    public required double[] InputGradient { get; init; }
    /// <summary>x^l for l = 0..L; null where a compact fixture leaves it out.</summary>
    public required double[]?[] Activities { get; init; }
    /// <summary>û^l = −∂L/∂u^l for l = 1..L (index l − 1); x̂ for layers without u; null where left out.</summary>
    public required double[]?[] Sensitivities { get; init; }
    /// <summary>∂L/∂θ for this sample alone, one block per layer with parameters.</summary>
    public required GradientBlock[] Gradient { get; init; }
}

/// <summary>The gradient of one layer's parameters.</summary>
public sealed class GradientBlock
{
    /// <summary>The layer number l.</summary>
    public required int Layer { get; init; }
    /// <summary>The layer's first parameter.</summary>
    public required int Offset { get; init; }
    /// <summary>The layer's number of parameters.</summary>
    public required int Count { get; init; }
    /// <summary>The values, or null for −û^l·(x^source)ᵀ, −û^l (see <see cref="GraphFixture.ExpectedGradient"/>).</summary>
    public double[]? Values { get; init; }
}
