using System;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>Invalid topologies throw ArgumentException whose message names the problem and the numbers involved.</summary>
public class TopologyValidationTests
{
    private static string Invalid(int inputSize, DenseLayer[] layers, LossFunction? loss = null, Precision precision = Precision.Single)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new NetworkTopology(inputSize, layers, loss, precision));
        Assert.StartsWith("Invalid network topology: ", e.Message);
        Assert.Equal("layers", e.ParamName);
        Assert.Equal(e.Message.Replace(" (Parameter 'layers')", ""),
            "Invalid network topology: " + string.Join(" ", NetworkTopology.Validate(inputSize, layers, loss, precision)));
        return e.Message;
    }

    [Fact]
    public void SoftmaxOnlyOnTheOutputLayer()
    {
        string message = Invalid(4, [new DenseLayer(5, Activation.Tanh), new DenseLayer(6, Activation.Softmax), new DenseLayer(2)]);
        Assert.Contains("Dense layer 2 uses Softmax, which is only supported on the output layer (layer 3).", message);
    }

    [Fact]
    public void CrossEntropyNeedsSoftmaxOutput()
    {
        string message = Invalid(4, [new DenseLayer(5, Activation.ReLU), new DenseLayer(3, Activation.Sigmoid)], LossFunction.CrossEntropy);
        Assert.Contains("CrossEntropy needs a Softmax output layer, but the output layer (layer 2) uses Sigmoid.", message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-7)]
    public void InputSizeMustBePositive(int inputSize)
    {
        string message = Invalid(inputSize, [new DenseLayer(2)]);
        Assert.Contains($"The input size must be positive, but it is {inputSize}.", message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void LayerUnitsMustBePositive(int units)
    {
        string message = Invalid(4, [new DenseLayer(5), new DenseLayer(units, Activation.Tanh), new DenseLayer(1)]);
        Assert.Contains($"Dense layer 2 has {units} units; it needs at least 1.", message);
    }

    [Fact]
    public void AtLeastOneLayer()
    {
        string message = Invalid(4, []);
        Assert.Contains("The network has no layers", message);
    }

    [Fact]
    public void UndefinedEnumValuesAreNamed()
    {
        Assert.Contains("Dense layer 1 has activation value 17, which is not defined.", Invalid(3, [new DenseLayer(2, (Activation)17)]));
        Assert.Contains("Dense layer 2 has activation value -1, which is not defined.", Invalid(3, [new DenseLayer(2), new DenseLayer(2, (Activation)(-1))]));
        Assert.Contains("Loss function value 5 is not defined", Invalid(3, [new DenseLayer(2)], (LossFunction)5));
        Assert.Contains("Precision value 9 is not defined", Invalid(3, [new DenseLayer(2)], null, (Precision)9));
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        string message = Invalid(0, [new DenseLayer(-1, Activation.Softmax), new DenseLayer(2, Activation.Tanh)], LossFunction.CrossEntropy);
        Assert.Contains("The input size must be positive, but it is 0.", message);
        Assert.Contains("Dense layer 1 has -1 units", message);
        Assert.Contains("Dense layer 1 uses Softmax", message);
        Assert.Contains("CrossEntropy needs a Softmax output layer, but the output layer (layer 2) uses Tanh.", message);
    }

    [Fact]
    public void TooManyParametersForOneBuffer()
    {
        string message = Invalid(100_000, [new DenseLayer(100_000)]);
        Assert.Contains($"The network has 10000100000 parameters; one buffer holds at most {NetworkTopology.MaxParameterCount}.", message);
    }

    [Fact]
    public void EveryTensorFitsTheBatchBuffers()
    {
        // 33,554,431 inputs made the generated batch buffer MaxBatch × 33,554,432 overflow int (CS0220); the limit is per tensor.
        Assert.Contains($"The input [33554431] has 33554431 values; a tensor holds at most {NetworkTopology.MaxTensorSize}.", Invalid(33_554_431, [new DenseLayer(1)]));
        Assert.Contains("Dense layer 1 outputs [16777217] (16777217 values); a tensor holds at most 16777216.", Invalid(1, [new DenseLayer(16_777_217)]));
        Assert.Equal(16_777_216, new NetworkTopology(16_777_216, [new DenseLayer(1)]).InputSize);
    }

    [Fact]
    public void NullLayersAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new NetworkTopology(3, null!));
        Assert.Contains("Layer 2 is null.", Invalid(3, [new DenseLayer(2), null!, new DenseLayer(1)]));
    }

    [Fact]
    public void ValidTopologyDescribesItself()
    {
        var topology = new NetworkTopology(784, [new DenseLayer(128, Activation.ReLU), new DenseLayer(10, Activation.Softmax)], LossFunction.CrossEntropy);
        Assert.Equal("784 → Dense(128, ReLU) → Dense(10, Softmax); CrossEntropy; 101,770 parameters", topology.ToString());
        Assert.Empty(NetworkTopology.Validate(784, [new DenseLayer(128, Activation.ReLU), new DenseLayer(10, Activation.Softmax)], LossFunction.CrossEntropy, Precision.Single));
    }

    [Fact]
    public void NamedChainDescribesItselfWithItsNames()
    {
        // As a graph names its layers ("h: Dense(120, Tanh) [120]"), without the shapes a chain's description leaves out.
        var topology = new NetworkTopology(784, [new DenseLayer(128, Activation.ReLU) { Name = "hidden1" }, new DenseLayer(64, Activation.ReLU),
                                                 new DenseLayer(10, Activation.Softmax) { Name = "output" }], LossFunction.CrossEntropy);
        Assert.True(topology.IsDenseChain);
        Assert.Equal("784 → hidden1: Dense(128, ReLU) → Dense(64, ReLU) → output: Dense(10, Softmax); CrossEntropy; 109,386 parameters", topology.ToString());
    }

    [Fact]
    public void CheckSaysWhatWhereAndHowBad()
    {
        var problems = NetworkTopology.Check(0, [new DenseLayer(4, Activation.Softmax), new DenseLayer(-2, (Activation)9)], (LossFunction)3, Precision.Single);
        Assert.Collection(problems,
            p => AssertProblem(p, TopologyProblemKind.InputSizeNotPositive, TopologyArgument.InputSize, 0, 0),
            p => AssertProblem(p, TopologyProblemKind.UndefinedLoss, TopologyArgument.Loss, 0, 3),
            p => AssertProblem(p, TopologyProblemKind.SoftmaxNotOnOutput, TopologyArgument.Activation, 1, 0),
            p => AssertProblem(p, TopologyProblemKind.UnitsNotPositive, TopologyArgument.Units, 2, -2),
            p => AssertProblem(p, TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, 2, 9));
        Assert.All(problems, p => Assert.Equal(TopologySeverity.Error, p.Severity));
        Assert.Equal(problems.ConvertAll(p => p.Message), NetworkTopology.Validate(0, [new DenseLayer(4, Activation.Softmax), new DenseLayer(-2, (Activation)9)], (LossFunction)3, Precision.Single));

        static void AssertProblem(TopologyProblem problem, TopologyProblemKind kind, TopologyArgument argument, int layer, long value)
        {
            Assert.Equal(kind, problem.Kind);
            Assert.Equal(argument, problem.Argument);
            Assert.Equal(layer, problem.Layer);
            Assert.Equal(value, problem.Value);
        }
    }

    [Fact]
    public void MissingInputIsABuildTimeProblem()
    {
        TopologyProblem problem = Assert.Single(NetworkTopology.Check(null, [new DenseLayer(2)], null, Precision.Single));
        Assert.Equal(TopologyProblemKind.MissingInput, problem.Kind);
        Assert.Equal("The network has no input; declare its shape with [Input(size)], [Input(channels, length)] or [Input(channels, height, width)].", problem.Message);
    }

    [Fact]
    public void WarningsAreNotThrown()
    {
        // Softmax with SquaredError works (and is tested); the runtime accepts it, the analyzer only advises.
        TopologyProblem softmax = Assert.Single(NetworkTopology.Check(4, [new DenseLayer(3, Activation.Softmax)], LossFunction.SquaredError, Precision.Single));
        Assert.Equal((TopologyProblemKind.SoftmaxWithSquaredError, TopologySeverity.Warning, TopologyArgument.Loss, 1), (softmax.Kind, softmax.Severity, softmax.Argument, softmax.Layer));
        _ = new NetworkTopology(4, [new DenseLayer(3, Activation.Softmax)], LossFunction.SquaredError);

        // 10,001 × 1,001 = 10,011,001 parameters: above LargeParameterCount, a warning naming the count and the bytes.
        TopologyProblem large = Assert.Single(NetworkTopology.Check(10_000, [new DenseLayer(1_001)], null, Precision.Double));
        Assert.Equal((TopologyProblemKind.LargeNetwork, TopologySeverity.Warning, 10_011_001L), (large.Kind, large.Severity, large.Value));
        Assert.Equal("The network has 10011001 parameters, more than 10000000; each instance holds 80088008 bytes of parameters and as many of gradients.", large.Message);
        Assert.Empty(NetworkTopology.Validate(10_000, [new DenseLayer(1_001)], null, Precision.Double));
    }
}
