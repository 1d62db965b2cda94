using System;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>
/// <see cref="LayerShape.Window"/>, the one geometry of convolutions and pooling that the interpreter and the
/// generator share: every field against sizes worked out by hand, for 2-D and 1-D layers (1-D as height 1), with the
/// parameter counts that go with them.
/// </summary>
public class WindowGeometryTests
{
    private static string Fields(WindowGeometry g) =>
        $"2-D {g.TwoD}; in {g.Channels}×{g.Height}×{g.Width}; out {g.OutChannels}×{g.OutHeight}×{g.OutWidth}; " +
        $"kernel {g.KernelHeight}×{g.KernelWidth} = {g.KernelVolume}; stride {g.Stride}; padding {g.PadHeight}, {g.PadWidth}; " +
        $"padded {g.PaddedHeight}×{g.PaddedWidth}; planes {g.InPlane}, {g.PaddedPlane}, {g.OutPlane}";

    [Fact]
    public void Conv2DWithPaddingAndStrideThenAvgPool2D()
    {
        // [3, 11, 7] → Conv2D 4 filters 3×3, stride 2, padding 1: (11 + 2 − 3)/2 + 1 = 6, (7 + 2 − 3)/2 + 1 = 4.
        // → trainable AvgPool 2 (stride 0 = 2): 6/2 = 3, 4/2 = 2.
        var topology = new NetworkTopology(new TensorShape(3, 11, 7),
        [
            new ConvLayer(2, 4, 3, Activation.Tanh) { Stride = 2, Padding = 1 },
            new PoolLayer(LayerKind.AvgPool, 2, Activation.Tanh, trainable: true),
        ]);
        LayerShape conv = topology.Layers[0], pool = topology.Layers[1];

        Assert.Equal("2-D True; in 3×11×7; out 4×6×4; kernel 3×3 = 9; stride 2; padding 1, 1; padded 13×9; planes 77, 117, 24", Fields(conv.Window));
        Assert.Equal("2-D True; in 4×6×4; out 4×3×2; kernel 2×2 = 4; stride 2; padding 0, 0; padded 6×4; planes 24, 24, 6", Fields(pool.Window));

        Assert.Equal((4 * 3 * 9, 4), (conv.WeightCount, conv.BiasCount));
        Assert.Equal((4, 4), (pool.WeightCount, pool.BiasCount));
        Assert.Equal(108 + 4 + 4 + 4, topology.ParameterCount);
        Assert.Equal(24L * 4 * 3 * 9 + 24L * 4, topology.MultiplyAdds);
    }

    [Fact]
    public void Conv1DWithTableThenMaxPool1D()
    {
        // [2, 10] → Conv1D 3 filters of 3 taps, padding 2, 4 of 6 kernels connected: 10 + 4 − 3 + 1 = 12.
        // → MaxPool 4, stride 2: (12 − 4)/2 + 1 = 5.
        var topology = new NetworkTopology(new TensorShape(2, 10),
        [
            new ConvLayer(1, 3, 3, Activation.ReLU) { Padding = 2, Connections = ["XX", "X.", ".X"] },
            new PoolLayer(LayerKind.MaxPool, 4) { Stride = 2 },
        ]);
        LayerShape conv = topology.Layers[0], pool = topology.Layers[1];

        Assert.Equal("2-D False; in 2×1×10; out 3×1×12; kernel 1×3 = 3; stride 1; padding 0, 2; padded 1×14; planes 10, 14, 12", Fields(conv.Window));
        Assert.Equal("2-D False; in 3×1×12; out 3×1×5; kernel 1×4 = 4; stride 2; padding 0, 0; padded 1×12; planes 12, 12, 5", Fields(pool.Window));

        Assert.Equal((4 * 3, 3), (conv.WeightCount, conv.BiasCount));
        Assert.Equal(new[] { 0, 3, 6, -1, -1, 9 }, new[] { conv.KernelOffset(0, 0), conv.KernelOffset(0, 1), conv.KernelOffset(1, 0), conv.KernelOffset(1, 1), conv.KernelOffset(2, 0), conv.KernelOffset(2, 1) });
        Assert.Equal((0, 0), (pool.WeightCount, pool.BiasCount));
        Assert.Equal(15, topology.ParameterCount);
    }

    [Fact]
    public void LayersWithoutAWindowSaySo()
    {
        var topology = new NetworkTopology(4, [new DenseLayer(3)]);
        var error = Assert.Throws<InvalidOperationException>(() => topology.Layers[0].Window);
        Assert.Equal("Dense layer 1 has no window; only convolution and pooling layers have one.", error.Message);
    }
}
