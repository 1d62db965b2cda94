using NetCompiler;
using Xunit;

namespace NetCompiler.Tests;

public class TopologyTests
{
    [Fact]
    public void LayoutIsRowMajorWeightsThenBias()
    {
        var t = new NetworkTopology(3, new[] { new DenseLayer(5, Activation.Tanh), new DenseLayer(2, Activation.Sigmoid) }, LossFunction.SquaredError);
        Assert.Equal(5 * 3 + 5 + 2 * 5 + 2, t.ParameterCount);
        Assert.Equal(0, t.Layers[0].WeightOffset);
        Assert.Equal(15, t.Layers[0].BiasOffset);
        Assert.Equal(20, t.Layers[1].WeightOffset);
        Assert.Equal(30, t.Layers[1].BiasOffset);
    }
}
