using System;
using System.Linq;
using System.Threading;
using NetCompiler.Tests.Generated;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>
/// Instances on one <see cref="NetworkWeights{T}"/> as the threading contract promises: any number of them may run
/// Forward at the same time, one thread each, and each keeps its own activations, sensitivities and gradients.
/// </summary>
public class SharedWeightsTests
{
    private const int Threads = 8, Calls = 2000, Outputs = 10;

    public static TheoryData<string> Engines => new() { "generated 784-128-10", "generated LeNet-5", "interpreted 784-128-10" };

    /// <summary>A network of the engine on seeded weights, and a way to make another instance on the same weights: half the threads use CreateWorkspace, half the constructor that takes weights.</summary>
    private static (INetwork<float> First, Func<int, INetwork<float>> Another) Create(string engine)
    {
        INetwork<float> first = engine switch
        {
            "generated 784-128-10" => new Net_784_128_10_ReLU_Softmax_CrossEntropy(),
            "generated LeNet-5" => new LeNet5(),
            "interpreted 784-128-10" => new InterpretedNetwork<float>(Net_784_128_10_ReLU_Softmax_CrossEntropy.Topology),
            _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, null),
        };
        TestNetworks.Convert<float>(Graphs.RandomParameters(first.Topology, seed: 5)).CopyTo(first.Parameters); // biases too
        NetworkWeights<float> weights = first.Weights;
        Func<int, INetwork<float>> another = engine switch
        {
            "generated 784-128-10" => k => k % 2 == 0 ? first.CreateWorkspace() : new Net_784_128_10_ReLU_Softmax_CrossEntropy(weights),
            "generated LeNet-5" => k => k % 2 == 0 ? first.CreateWorkspace() : new LeNet5(weights),
            _ => k => k % 2 == 0 ? first.CreateWorkspace() : new InterpretedNetwork<float>(weights),
        };
        return (first, another);
    }

    /// <summary>Thread t's inputs: call i gets the next 784 values of Random(t) in [−1, 1).</summary>
    private static void NextInput(Random random, float[] input)
    {
        for (int p = 0; p < input.Length; p++) input[p] = 2 * random.NextSingle() - 1;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void ConcurrentForwardsOnSharedWeightsMatchASequentialRun(string engine)
    {
        (INetwork<float> first, Func<int, INetwork<float>> another) = Create(engine);
        int inputSize = first.InputSize;
        Assert.Equal(Outputs, first.OutputSize);

        // Sequential: every thread's inputs, in turn, on the one first instance.
        var expected = new uint[Threads][];
        var input = new float[inputSize];
        var output = new float[Outputs];
        for (int t = 0; t < Threads; t++)
        {
            expected[t] = new uint[Calls * Outputs];
            var random = new Random(t);
            for (int i = 0; i < Calls; i++)
            {
                NextInput(random, input);
                first.Forward(input, output);
                for (int o = 0; o < Outputs; o++) expected[t][i * Outputs + o] = BitConverter.SingleToUInt32Bits(output[o]);
            }
        }

        // Concurrent: 8 threads, one instance each on the same weights, released together by a barrier and brought
        // together again every 250 calls so that they overlap throughout (2 cores: at least two run at any time).
        INetwork<float>[] instances = Enumerable.Range(0, Threads).Select(another).ToArray();
        Assert.All(instances, instance => Assert.Same(first.Weights, instance.Weights));
        var actual = new uint[Threads][];
        var errors = new Exception?[Threads];
        using var barrier = new Barrier(Threads);
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int thread = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    INetwork<float> network = instances[thread];
                    var random = new Random(thread);
                    var x = new float[inputSize];
                    var y = new float[Outputs];
                    var bits = new uint[Calls * Outputs];
                    for (int i = 0; i < Calls; i++)
                    {
                        if (i % 250 == 0) barrier.SignalAndWait();
                        NextInput(random, x);
                        network.Forward(x, y);
                        for (int o = 0; o < Outputs; o++) bits[i * Outputs + o] = BitConverter.SingleToUInt32Bits(y[o]);
                    }
                    actual[thread] = bits;
                }
                catch (Exception error)
                {
                    errors[thread] = error;
                    barrier.RemoveParticipant();
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads) thread.Join();
        Assert.All(errors, error => Assert.Null(error));

        for (int t = 0; t < Threads; t++)
        {
            int mismatches = Enumerable.Range(0, Calls * Outputs).Count(j => expected[t][j] != actual[t][j]);
            if (mismatches == 0) continue;
            int j = Enumerable.Range(0, Calls * Outputs).First(j => expected[t][j] != actual[t][j]);
            Assert.Fail($"{engine}, thread {t}: {mismatches} of {Calls * Outputs} output values differ from the sequential run; " +
                $"the first, call {j / Outputs} output {j % Outputs}: {BitConverter.UInt32BitsToSingle(actual[t][j]):R}, " +
                $"sequentially {BitConverter.UInt32BitsToSingle(expected[t][j]):R}");
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public void TwoWorkspacesShareTheWeightsButNothingElse(string engine)
    {
        (INetwork<float> a, _) = Create(engine);
        INetwork<float> b = a.CreateWorkspace();
        Assert.NotSame(a, b);
        Assert.Same(a.Weights, b.Weights);
        int layers = a.LayerCount;
        float[] x1 = TestNetworks.Convert<float>(Graphs.RandomInput(a.Topology, seed: 1));
        float[] x2 = TestNetworks.Convert<float>(Graphs.RandomInput(a.Topology, seed: 2));
        float[] target = TestNetworks.Convert<float>(Graphs.RandomTarget(a.Topology, seed: 1));
        var output = new float[a.OutputSize];

        // a's pass, recorded; then b's on another input must leave every one of a's buffers as it was.
        a.Forward(x1, output);
        a.Backward(target);
        float[][] activities = Enumerable.Range(0, layers + 1).Select(l => a.Activities(l).ToArray()).ToArray();
        float[][] sensitivities = Enumerable.Range(1, layers).Select(l => a.Sensitivities(l).ToArray()).ToArray();
        float[] gradients = a.Gradients.ToArray();
        Assert.Contains(gradients, g => g != 0);
        Assert.All(b.Gradients.ToArray(), g => Assert.Equal(0f, g)); // a's Backward added to a's gradients only

        b.Forward(x2, output);
        b.Backward(target);
        for (int l = 0; l <= layers; l++)
        {
            Assert.Equal(activities[l], a.Activities(l).ToArray());
            Assert.NotEqual(activities[l], b.Activities(l).ToArray()); // b really ran on x2
        }
        for (int l = 1; l <= layers; l++) Assert.Equal(sensitivities[l - 1], a.Sensitivities(l).ToArray());
        Assert.Equal(gradients, a.Gradients.ToArray());
        Assert.NotEqual(gradients, b.Gradients.ToArray());

        // The weights are one: b's Update moves θ for a as well, and a's next pass on x1 sees it.
        b.Update(0.5f);
        Assert.All(b.Gradients.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(gradients, a.Gradients.ToArray());
        a.Forward(x1, output);
        Assert.NotEqual(activities[layers], a.Activities(layers).ToArray());
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
    }
}
