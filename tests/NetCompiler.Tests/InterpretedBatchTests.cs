using System;
using System.Linq;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>
/// The batched members of INetwork on the interpreter (issue 17): ForwardBatch, BackwardBatch and TrainStepBatch give
/// exactly the per-sample path's outputs, summed loss, summed gradients and parameters, on a chain and a convolutional
/// graph, and reject a negative batch or a wrong length naming batch × size. The generated classes' batched kernels are
/// compared with their per-sample path in Generated/BatchTests.
/// </summary>
public class InterpretedBatchTests
{
    public static TheoryData<string> Networks => new() { "mlp", "conv" };

    private static NetworkTopology Topology(string name) => name == "mlp"
        ? new NetworkTopology(6, [new DenseLayer(5, Activation.Tanh), new DenseLayer(3, Activation.Softmax)], LossFunction.CrossEntropy)
        : new NetworkTopology(new TensorShape(2, 6, 6),
            [new ConvLayer(2, 3, 3, Activation.ReLU) { Padding = 1 }, new PoolLayer(LayerKind.MaxPool, 2), new DenseLayer(4, Activation.Sigmoid)],
            LossFunction.SquaredError);

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_batched_members_are_the_per_sample_path(string name)
    {
        NetworkTopology topology = Topology(name);
        const int batch = 5;
        var random = new Random(3);
        double[] inputs = Enumerable.Range(0, batch * topology.InputSize).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] targets = new double[batch * topology.OutputSize];
        for (int b = 0; b < batch; b++) targets[b * topology.OutputSize + random.Next(topology.OutputSize)] = 1;

        var batched = new InterpretedNetwork<double>(topology);
        var single = new InterpretedNetwork<double>(topology);
        batched.InitializeParameters(7);
        single.InitializeParameters(7);

        var outputs = new double[batch * topology.OutputSize];
        batched.ForwardBatch(inputs, outputs, batch);
        var expected = new double[outputs.Length];
        for (int b = 0; b < batch; b++)
            single.Forward(inputs.AsSpan(b * topology.InputSize, topology.InputSize), expected.AsSpan(b * topology.OutputSize, topology.OutputSize));
        Assert.Equal(expected, outputs);

        var passOutputs = new double[outputs.Length];
        Assert.Equal(batched.BackwardBatch(inputs, targets, batch), batched.BackwardBatch(inputs, targets, batch, passOutputs));
        Assert.Equal(expected, passOutputs);
        batched.Gradients.Clear();
        double loss = batched.TrainStepBatch(inputs, targets, batch, 0.1);
        double sum = 0;
        for (int b = 0; b < batch; b++)
        {
            single.Forward(inputs.AsSpan(b * topology.InputSize, topology.InputSize), new double[topology.OutputSize]);
            sum += single.Backward(targets.AsSpan(b * topology.OutputSize, topology.OutputSize));
        }
        single.Update(0.1);
        Assert.Equal(sum, loss);
        Assert.Equal(single.Parameters.ToArray(), batched.Parameters.ToArray());
        Assert.All(batched.Gradients.ToArray(), g => Assert.Equal(0, g));

        Assert.Equal(0, batched.BackwardBatch([], [], 0));
    }

    [Fact]
    public void A_negative_batch_or_a_wrong_length_is_an_exception_naming_it()
    {
        var network = new InterpretedNetwork<float>(Topology("mlp"));
        Assert.Throws<ArgumentOutOfRangeException>("batch", () => network.ForwardBatch([], [], -1));
        var e = Assert.Throws<ArgumentException>("inputs", () => network.ForwardBatch(new float[11], new float[6], 2));
        Assert.Contains("batch × 6 = 12, got 11", e.Message);
        Assert.Throws<ArgumentException>("targets", () => network.BackwardBatch(new float[12], new float[5], 2));
        var inference = new InterpretedNetwork<float>(new NetworkTopology(6, [new DenseLayer(3)]));
        Assert.Throws<InvalidOperationException>(() => inference.BackwardBatch(new float[6], new float[3], 1));
    }
}
