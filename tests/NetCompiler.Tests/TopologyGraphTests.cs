using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>
/// Graph topologies: every rule of <see cref="NetworkTopology.Check(TensorShape?, IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>
/// for graphs, convolutions and pooling (with a message naming the sizes, thrown by the constructor), LeNet-5's
/// shapes and parameter count, and the execution order.
/// </summary>
public class TopologyGraphTests
{
    private static DenseLayer Dense(int units, string? name = null, string[]? from = null, Activation f = Activation.Tanh) => new(units, f) { Name = name, From = from };

    private static ConvLayer Conv2D(int filters, int kernel, int stride = 1, int padding = 0, string? name = null, string[]? from = null, string[]? table = null) =>
        new(2, filters, kernel, Activation.Tanh) { Stride = stride, Padding = padding, Name = name, From = from, Connections = table };

    private sealed record Case(TensorShape Input, LayerSpec[] Layers, TopologyProblemKind Kind, string Message, string? Output = null);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["duplicate name"] = new(new(4), [Dense(3, "h"), Dense(2, "h")], TopologyProblemKind.DuplicateName,
            "Layer 2 is named \"h\", like layer 1; layer names must be unique."),
        ["reserved name"] = new(new(4), [Dense(3, "input"), Dense(2)], TopologyProblemKind.ReservedName,
            "Layer 1 is named \"input\", which names the network's input; choose another name."),
        ["unknown source"] = new(new(4), [Dense(3, "a"), Dense(2, from: ["b"])], TopologyProblemKind.UnknownSource,
            "Dense layer 2 reads \"b\", which names no layer; the names are \"input\", \"a\"."),
        ["duplicate source"] = new(new(4), [Dense(3, "a"), Dense(2, from: ["a", "a"])], TopologyProblemKind.DuplicateSource,
            "Dense layer 2 reads \"a\" twice."),
        ["cycle"] = new(new(4), [Dense(3, "a", ["b"]), Dense(3, "b", ["a"]), Dense(2, from: ["b"])], TopologyProblemKind.Cycle,
            "Layers read each other in a cycle: layer 1 ('a') ← layer 2 ('b') ← layer 1 ('a'); a network must be a directed acyclic graph."),
        ["unused layer"] = new(new(4), [Dense(3, "a"), Dense(2, from: ["input"])], TopologyProblemKind.UnusedLayer,
            "Dense layer 1 ('a') is not used: no layer reads it and it is not the output (layer 2)."),
        ["unknown output"] = new(new(4), [Dense(3, "a"), Dense(2, "b")], TopologyProblemKind.UnknownOutput,
            "The network's Output is \"c\", which names no layer; the names are \"input\", \"a\", \"b\".", "c"),
        ["convolution with two sources"] = new(new(2, 6, 6), [Conv2D(3, 3, name: "a"), Conv2D(2, 3, from: ["a", "input"]), Dense(2)],
            TopologyProblemKind.WrongSourceCount, "Conv2D layer 2 reads 2 sources; a convolution reads exactly one"),
        ["add with one source"] = new(new(4), [Dense(3, "a"), new JoinLayer(LayerKind.Add, ["a"])],
            TopologyProblemKind.WrongSourceCount, "Add layer 2 reads 1 source(s); Add joins at least two, listed in From."),
        ["Conv2D on a 1-D source"] = new(new(2, 7), [Conv2D(3, 3), Dense(2)], TopologyProblemKind.WrongSourceRank,
            "Conv2D layer 1 needs a source of shape [channels, height, width], but the input has shape [2, 7]."),
        ["pooling features"] = new(new(8), [new PoolLayer(LayerKind.MaxPool, 2), Dense(2)], TopologyProblemKind.WrongSourceRank,
            "MaxPool layer 1 needs a source of shape [channels, length] or [channels, height, width], but the input has shape [8]."),
        ["add shape mismatch"] = new(new(4), [Dense(3, "a"), Dense(4, "b", ["input"]), new JoinLayer(LayerKind.Add, ["a", "b"])],
            TopologyProblemKind.AddShapeMismatch, "Add layer 3 adds sources of different shapes: layer 1 ('a') is [3] but layer 2 ('b') is [4]."),
        ["concat shape mismatch"] = new(new(2, 6, 6), [Conv2D(3, 3, padding: 1, name: "c1"), Conv2D(3, 3, name: "c2", from: ["input"]),
            new JoinLayer(LayerKind.Concat, ["c1", "c2"])], TopologyProblemKind.ConcatShapeMismatch,
            "Concat layer 3 cannot join layer 1 ('c1') of shape [3, 6, 6] with layer 2 ('c2') of shape [3, 4, 4]: sources must have the same rank and, with channels, the same height and width."),
        ["kernel 0"] = new(new(1, 7, 5), [Conv2D(2, 0), Dense(2)], TopologyProblemKind.KernelNotPositive, "Conv2D layer 1 has kernel size 0; it must be positive."),
        ["stride 0"] = new(new(1, 7, 5), [Conv2D(2, 3, stride: 0), Dense(2)], TopologyProblemKind.StrideNotPositive, "Conv2D layer 1 has stride 0; it must be positive."),
        ["pool stride −1"] = new(new(1, 8, 8), [new PoolLayer(LayerKind.AvgPool, 2) { Stride = -1 }, Dense(2)], TopologyProblemKind.StrideNotPositive,
            "AvgPool layer 1 has stride -1; it must be positive (or 0 for the window size)."),
        ["padding −1"] = new(new(1, 7, 5), [Conv2D(2, 3, padding: -1), Dense(2)], TopologyProblemKind.PaddingNegative, "Conv2D layer 1 has padding -1; it must be 0 or more."),
        ["pool size 0"] = new(new(1, 8, 8), [new PoolLayer(LayerKind.MaxPool, 0), Dense(2)], TopologyProblemKind.PoolSizeNotPositive,
            "MaxPool layer 1 has window size 0; it must be positive."),
        ["kernel larger than the input"] = new(new(1, 7, 5), [Conv2D(2, 6, padding: 0), Dense(2)], TopologyProblemKind.KernelTooLarge,
            "Conv2D layer 1 has a window of 6 but its input width is only 5."),
        ["kernel larger than the padded input"] = new(new(1, 7, 5), [Conv2D(2, 8, padding: 1), Dense(2)], TopologyProblemKind.KernelTooLarge,
            "Conv2D layer 1 has a window of 8 but its input width is only 5 (padded to 7)."),
        ["stride does not tile"] = new(new(1, 7, 5), [Conv2D(2, 3, stride: 3), Dense(2)], TopologyProblemKind.StrideDoesNotTile,
            "Conv2D layer 1: windows of 3 with stride 3 do not tile the input height of 7: the last 1 value(s) would be dropped; adjust the stride, window or padding."),
        ["pool does not tile"] = new(new(2, 9), [new PoolLayer(LayerKind.AvgPool, 2), Dense(2)], TopologyProblemKind.StrideDoesNotTile,
            "AvgPool layer 1: windows of 2 with stride 2 do not tile the input length of 9: the last 1 value(s) would be dropped"),
        ["table rows"] = new(new(2, 6, 6), [Conv2D(3, 3, table: ["XX", "X."]), Dense(2)], TopologyProblemKind.ConnectionTableShape,
            "Conv2D layer 1 has 3 filters but its connection table has 2 rows; write one row per filter."),
        ["table row length"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["XX", "X.X"]), Dense(2)], TopologyProblemKind.ConnectionTableShape,
            "Conv2D layer 1 reads 2 channels but row 1 of its connection table has 3 entries; write one 'X' or '.' per input channel."),
        ["table entry"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["X?", "XX"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 0 of the connection table has '?' at position 1; use 'X' for a connection and '.' for none."),
        ["table entry x"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["Xx", "XX"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 0 of the connection table has 'x' at position 1; use 'X' for a connection and '.' for none."),
        ["table entry 1"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["XX", "1X"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 1 of the connection table has '1' at position 0; use 'X' for a connection and '.' for none."),
        ["table entry 0"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["X0", "XX"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 0 of the connection table has '0' at position 1; use 'X' for a connection and '.' for none."),
        ["table entry -"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["X-", "XX"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 0 of the connection table has '-' at position 1; use 'X' for a connection and '.' for none."),
        ["table entry space"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["X ", "XX"]), Dense(2)], TopologyProblemKind.ConnectionTableEntry,
            "Conv2D layer 1: row 0 of the connection table has ' ' at position 1; use 'X' for a connection and '.' for none."),
        ["table empty filter"] = new(new(2, 6, 6), [Conv2D(2, 3, table: ["X.", ".."]), Dense(2)], TopologyProblemKind.ConnectionTableEmptyFilter,
            "Conv2D layer 1: filter 1 reads no input channel in the connection table, so it would be a constant."),
        ["max pooling with activation"] = new(new(1, 8, 8), [new PoolLayer(LayerKind.MaxPool, 2, Activation.Tanh), Dense(2)],
            TopologyProblemKind.ActivationNotAllowed, "MaxPool layer 1 takes no activation."),
        ["concat with activation"] = new(new(4), [Dense(3, "a"), Dense(2, "b", ["input"]), new JoinLayer(LayerKind.Concat, ["a", "b"], Activation.ReLU)],
            TopologyProblemKind.ActivationNotAllowed, "Concat layer 3 takes no activation."),
        ["input of rank 4"] = new(new(1, 2, 3, 4), [Dense(2)], TopologyProblemKind.InputRankUnsupported,
            "The input has 4 dimensions; declare [Input(size)], [Input(channels, length)] or [Input(channels, height, width)]."),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EveryRuleIsReportedAndThrown(string name)
    {
        Case c = Cases[name];
        List<TopologyProblem> problems = NetworkTopology.Check(c.Input, c.Layers, LossFunction.SquaredError, Precision.Single, c.Output);
        string all = string.Join(Environment.NewLine, problems.Select(p => $"{p.Kind}: {p.Message}"));
        TopologyProblem? problem = problems.FirstOrDefault(p => p.Kind == c.Kind);
        Assert.True(problem is not null, $"{name}: expected {c.Kind}, got:{Environment.NewLine}{all}");
        Assert.Equal(TopologySeverity.Error, problem!.Severity);
        Assert.True(problem.Message.StartsWith(c.Message, StringComparison.Ordinal), $"{name}: expected a message starting \"{c.Message}\", got \"{problem.Message}\"");

        ArgumentException e = Assert.Throws<ArgumentException>(() => new NetworkTopology(c.Input, c.Layers, LossFunction.SquaredError, Precision.Single, c.Output));
        Assert.Equal("layers", e.ParamName);
        Assert.Contains(problem.Message, e.Message);
    }

    [Fact]
    public void EveryGraphRuleHasACase()
    {
        var covered = Cases.Values.Select(c => c.Kind).ToHashSet();
        covered.Add(TopologyProblemKind.ImplicitFlatten); // an information, tested below
        TopologyProblemKind[] graphRules =
        [
            TopologyProblemKind.DuplicateName, TopologyProblemKind.ReservedName, TopologyProblemKind.UnknownSource, TopologyProblemKind.DuplicateSource,
            TopologyProblemKind.Cycle, TopologyProblemKind.UnusedLayer, TopologyProblemKind.UnknownOutput, TopologyProblemKind.WrongSourceCount,
            TopologyProblemKind.WrongSourceRank, TopologyProblemKind.AddShapeMismatch, TopologyProblemKind.ConcatShapeMismatch,
            TopologyProblemKind.KernelNotPositive, TopologyProblemKind.StrideNotPositive, TopologyProblemKind.PaddingNegative,
            TopologyProblemKind.PoolSizeNotPositive, TopologyProblemKind.KernelTooLarge, TopologyProblemKind.StrideDoesNotTile,
            TopologyProblemKind.ConnectionTableShape, TopologyProblemKind.ConnectionTableEntry, TopologyProblemKind.ConnectionTableEmptyFilter,
            TopologyProblemKind.ActivationNotAllowed, TopologyProblemKind.ImplicitFlatten, TopologyProblemKind.InputRankUnsupported,
        ];
        TopologyProblemKind[] missing = graphRules.Where(k => !covered.Contains(k)).ToArray();
        Assert.True(missing.Length == 0, "No case for " + string.Join(", ", missing));
    }

    [Fact]
    public void ImplicitFlattenIsInformationOnly()
    {
        LayerSpec[] layers = [Conv2D(3, 3), Dense(2)];
        TopologyProblem problem = Assert.Single(NetworkTopology.Check(new TensorShape(2, 7, 5), layers, LossFunction.SquaredError, Precision.Single));
        Assert.Equal((TopologyProblemKind.ImplicitFlatten, TopologySeverity.Info, 2, 45L), (problem.Kind, problem.Severity, problem.Layer, problem.Value));
        Assert.Equal("Dense layer 2 reads layer 1 of shape [3, 5, 3] and flattens it to 45 features in PyTorch's order (channel, then row, then column).", problem.Message);
        Assert.Equal(45, new NetworkTopology(new TensorShape(2, 7, 5), layers, LossFunction.SquaredError).Layers[1].Inputs);

        // A [channels, 1, 1] source is a vector already: nothing to say.
        Assert.Empty(NetworkTopology.Check(new TensorShape(2, 3, 3), [Conv2D(4, 3), Dense(2)], LossFunction.SquaredError, Precision.Single));
    }

    [Fact]
    public void LeNet5ShapesAndParameters()
    {
        NetworkTopology lenet = Graphs.LeNet5();
        Assert.Equal(
            ["[6, 28, 28]", "[6, 14, 14]", "[16, 10, 10]", "[16, 5, 5]", "[120, 1, 1]", "[84]", "[10]"],
            lenet.Layers.Select(l => l.Shape.ToString()));
        // C1 6·25 + 6; S2 6 + 6; C3 60 kernels·25 + 16; S4 16 + 16; C5 120·16·25 + 120; F6 84·120 + 84; output 10·84 + 10.
        Assert.Equal([156, 12, 1516, 32, 48120, 10164, 850], lenet.Layers.Select(l => l.ParameterCount));
        Assert.Equal(60850, lenet.ParameterCount);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], lenet.ExecutionOrder);
        Assert.Equal(784, lenet.InputSize);
        Assert.Equal(10, lenet.OutputSize);

        // The C3 table: filter 0 reads maps 0–2 (kernels stored back to back), filter 15 all six; 60 kernels in all.
        LayerShape c3 = lenet.Layers[2];
        Assert.Equal(c3.WeightOffset, c3.KernelOffset(0, 0));
        Assert.Equal(c3.WeightOffset + 25, c3.KernelOffset(0, 1));
        Assert.Equal(-1, c3.KernelOffset(0, 3));
        Assert.Equal(c3.WeightOffset + 75, c3.KernelOffset(1, 1));
        Assert.Equal(c3.WeightOffset + 54 * 25, c3.KernelOffset(15, 0));
        Assert.Equal(60 * 25, c3.WeightCount);
    }

    [Fact]
    public void ExecutionOrderFollowsTheGraphAndPrefersDeclarationOrder()
    {
        // Declared: out (reads r, a), r (adds a and b), b (reads a), a (reads the input), c (reads the input, read by b).
        LayerSpec[] layers =
        [
            Dense(2, "out", ["r", "a"], Activation.Identity),
            new JoinLayer(LayerKind.Add, ["a", "b"]) { Name = "r" },
            Dense(3, "b", ["a", "c"]),
            Dense(3, "a", ["input"]),
            Dense(4, "c", ["input"]),
        ];
        var topology = new NetworkTopology(new TensorShape(5), layers, LossFunction.SquaredError, Precision.Single, "out");
        Assert.Equal([4, 5, 3, 2, 1], topology.ExecutionOrder);
        Assert.Equal(1, topology.OutputLayer);
        Assert.Equal([3, 2, 1], topology.Consumers(4)); // a is read by b, r and out: fan-out of three
        Assert.Equal([4, 5], topology.Consumers(0));
        Assert.False(topology.IsDenseChain);
        // Dense "b" with two sources: W^a [3, 3] then W^c [3, 4], then b [3].
        LayerShape b = topology.Layers[2];
        Assert.Equal(7, b.Inputs);
        Assert.Equal(b.WeightOffset + 9, b.SourceWeightOffset(1));
        Assert.Equal(3 * 7 + 3, b.ParameterCount);
    }
}
