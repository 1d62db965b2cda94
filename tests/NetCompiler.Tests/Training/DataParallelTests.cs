using System;
using System.Linq;
using NetCompiler.Tests.Generated;
using NetCompiler.Tests.Support;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Training;

/// <summary>
/// The trainer's data-parallel workers against the algorithm written out sequentially in the test: the final θ and
/// every epoch's loss must be the same to the bit, for every engine and worker count. Each worker runs its chunk of a
/// minibatch through BackwardBatch (a generated chain's blocked kernels); against the per-sample path the results agree
/// within float rounding (<see cref="TheBatchedPathAgreesWithThePerSamplePath"/>).
/// </summary>
public class DataParallelTests
{
    private static readonly ArrayDataset<float> Blobs600 = Blobs.Create<float>(600, seed: 1);
    private static readonly ArrayDataset<float> Images = RandomImages(count: 40, classes: 10, seed: 4);

    /// <summary>Uniform [0, 1) pixels with random labels: enough for LeNet-5 and 784-input networks to take real steps.</summary>
    private static ArrayDataset<float> RandomImages(int count, int classes, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            inputs[i] = new float[784];
            for (int p = 0; p < 784; p++) inputs[i][p] = (float)random.NextDouble();
            labels[i] = random.Next(classes);
        }
        return ArrayDataset<float>.Labeled(inputs, labels, classes);
    }

    private static Func<INetwork<float>> Factory(string engine) => engine switch
    {
        "interpreted blobs" => () =>
        {
            var network = new InterpretedNetwork<float>(TestNetworks.Parse("2-16-3 Tanh,Softmax CrossEntropy"));
            network.InitializeParameters(3);
            return network;
        },
        "generated blobs" => () =>
        {
            var network = new BlobsMlp();
            network.InitializeParameters(3);
            return network;
        },
        "generated 784-64-10" => () => new FashionMlp(),
        "generated LeNet-5" => () => new LeNet5(),
        "interpreted LeNet-5" => () => new InterpretedNetwork<float>(LeNet5.Topology),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, null),
    };

    private static IOptimizer<float> Optimizer(string name, int parameters) =>
        name == "adam" ? new Adam<float>(parameters, 0.002) : new SgdMomentum<float>(parameters, 0.05, momentum: 0.9);

    [Theory]
    [InlineData("interpreted blobs", "sgd", 1)]
    [InlineData("interpreted blobs", "sgd", 2)]
    [InlineData("interpreted blobs", "sgd", 3)]
    [InlineData("generated blobs", "sgd", 1)]
    [InlineData("generated blobs", "sgd", 2)]
    [InlineData("generated blobs", "adam", 3)]
    [InlineData("generated 784-64-10", "sgd", 2)]
    [InlineData("generated LeNet-5", "sgd", 2)]
    [InlineData("interpreted LeNet-5", "adam", 2)]
    public void WorkersGiveExactlyTheSequentialResult(string engine, string optimizer, int workers)
    {
        bool blobs = engine.EndsWith("blobs", StringComparison.Ordinal);
        ArrayDataset<float> data = blobs ? Blobs600 : Images;
        int epochs = blobs ? 3 : 2, batchSize = blobs ? 20 : 16; // 40 images: batches of 16, 16 and a partial 8
        Func<INetwork<float>> factory = Factory(engine);
        int parameters = factory().ParameterCount;

        var options = new TrainingOptions { Epochs = epochs, BatchSize = batchSize, Seed = 7, Workers = workers };
        var trainer = new Trainer<float>(factory, Optimizer(optimizer, parameters), options);
        TrainingResult result = trainer.Train(data);

        (float[] theta, double[] losses) = Sequential(factory, Optimizer(optimizer, parameters), workers, epochs, batchSize, seed: 7, data);
        Assert.Equal(Bits(theta), Bits(trainer.Network.Parameters.ToArray()));
        Assert.Equal(losses, result.Epochs.Select(e => e.TrainLoss));
    }

    /// <summary>
    /// A progress callback that takes 2 ms after every other minibatch sends the workers waiting at the pool's barrier to
    /// sleep each time; they must wake to the same result.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WorkersThatSleepAtTheBarrierGiveTheSameResult(int workers)
    {
        Func<INetwork<float>> factory = Factory("generated blobs");
        int parameters = factory().ParameterCount;
        var options = new TrainingOptions { Epochs = 2, BatchSize = 20, Seed = 7, Workers = workers, ProgressInterval = 2 };
        var trainer = new Trainer<float>(factory, Optimizer("sgd", parameters), options);
        int reports = 0;
        var slow = new SynchronousProgress(_ =>
        {
            reports++;
            System.Threading.Thread.Sleep(2);
        });
        trainer.Train(Blobs600, progress: slow);

        (float[] theta, _) = Sequential(factory, Optimizer("sgd", parameters), workers, epochs: 2, batchSize: 20, seed: 7, Blobs600);
        Assert.True(reports >= 30, reports + " progress reports: the workers should have waited through at least 30");
        Assert.Equal(Bits(theta), Bits(trainer.Network.Parameters.ToArray()));
    }

    /// <summary>IProgress that runs on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>
    /// The batched path sums the same gradients in another order (blocked kernels over 4 and 64 samples), so after 3
    /// epochs θ differs from the per-sample path's by float rounding carried through the steps: at most 1e-4 + 1e-4·|θ|
    /// here, where a wrong gradient or a dropped sample moves θ by 1e-2 or more.
    /// </summary>
    [Theory]
    [InlineData("generated blobs", 1)]
    [InlineData("generated blobs", 3)]
    [InlineData("generated 784-64-10", 2)]
    [InlineData("interpreted blobs", 2)]
    public void TheBatchedPathAgreesWithThePerSamplePath(string engine, int workers)
    {
        bool blobs = engine.EndsWith("blobs", StringComparison.Ordinal);
        ArrayDataset<float> data = blobs ? Blobs600 : Images;
        int epochs = blobs ? 3 : 2, batchSize = blobs ? 20 : 16;
        Func<INetwork<float>> factory = Factory(engine);
        int parameters = factory().ParameterCount;
        var trainer = new Trainer<float>(factory, Optimizer("sgd", parameters), new TrainingOptions { Epochs = epochs, BatchSize = batchSize, Seed = 7, Workers = workers });
        TrainingResult result = trainer.Train(data);
        (float[] theta, double[] losses) = Sequential(factory, Optimizer("sgd", parameters), workers, epochs, batchSize, seed: 7, data, batched: false);
        float[] actual = trainer.Network.Parameters.ToArray();
        int worst = Enumerable.Range(0, theta.Length).MaxBy(p => Math.Abs(actual[p] - theta[p]) / (1e-4 + 1e-4 * Math.Abs(theta[p])));
        Assert.True(Math.Abs(actual[worst] - theta[worst]) <= 1e-4 + 1e-4 * Math.Abs(theta[worst]),
            $"θ[{worst}] = {actual[worst]} batched, {theta[worst]} per sample");
        for (int e = 0; e < epochs; e++)
            Assert.True(Math.Abs(result.Epochs[e].TrainLoss - losses[e]) <= 1e-5 * Math.Abs(losses[e]), $"epoch {e + 1}: loss {result.Epochs[e].TrainLoss} batched, {losses[e]} per sample");
    }

    [Fact]
    public void TheFactoryMakesOneNetworkAndTheWorkersReadItsWeights()
    {
        // Three workers, one factory call. θ written into Network after the trainer was made (as a Load would) is what
        // every worker trains from: the result is the sequential one from those parameters.
        int calls = 0;
        Func<INetwork<float>> factory = () => { calls++; return new BlobsMlp(); };
        var options = new TrainingOptions { Epochs = 2, BatchSize = 20, Seed = 7, Workers = 3 };
        var trainer = new Trainer<float>(factory, Optimizer("sgd", BlobsMlp.ParameterCount), options);
        Assert.Equal(1, calls);
        trainer.Network.InitializeParameters(11);
        trainer.Train(Blobs600);

        Func<INetwork<float>> reference = () =>
        {
            var network = new BlobsMlp();
            network.InitializeParameters(11);
            return network;
        };
        (float[] theta, _) = Sequential(reference, Optimizer("sgd", BlobsMlp.ParameterCount), 3, 2, 20, seed: 7, Blobs600);
        Assert.Equal(Bits(theta), Bits(trainer.Network.Parameters.ToArray()));
    }

    [Fact]
    public void AfterADivergenceTheWorkersGoOnFromTheRestoredWeights()
    {
        // Adam's first step moves every weight by about γ, and γ = 1e39 is infinite in float: the step itself makes θ
        // infinite, so the trainer puts θ back and resets Adam. The same trainer at γ = 0.002 must then train every
        // worker from the restored θ: exactly the sequential result from the initial parameters with a new Adam.
        Func<INetwork<float>> factory = Factory("interpreted blobs");
        var adam = new Adam<float>(99, 1e39);
        var options = new TrainingOptions { Epochs = 2, BatchSize = 20, Seed = 7, Workers = 2 };
        var trainer = new Trainer<float>(factory, adam, options);
        float[] initial = trainer.Network.Parameters.ToArray();
        Assert.Throws<TrainingDivergedException>(() => trainer.Train(Blobs600));
        Assert.Equal(Bits(initial), Bits(trainer.Network.Parameters.ToArray()));

        adam.LearningRate = 0.002;
        TrainingResult result = trainer.Train(Blobs600);

        (float[] theta, double[] losses) = Sequential(factory, Optimizer("adam", 99), 2, 2, 20, seed: 7, Blobs600);
        Assert.Equal(Bits(theta), Bits(trainer.Network.Parameters.ToArray()));
        Assert.Equal(losses, result.Epochs.Select(e => e.TrainLoss));
    }

    [Fact]
    public void WorkspacesThatAreNotNewOrNotOnTheSameWeightsAreRejected()
    {
        // Generated and interpreted networks always give proper workspaces; a hand-written INetwork might not.
        NetworkTopology topology = TestNetworks.Parse("2-16-3 Tanh,Softmax CrossEntropy");
        string Message(Func<OddWorkspaces, INetwork<float>?> createWorkspace, int workers = 2) =>
            Assert.Throws<ArgumentException>(() => new Trainer<float>(
                () => new OddWorkspaces(new InterpretedNetwork<float>(topology), createWorkspace),
                new SgdMomentum<float>(topology.ParameterCount, 0.1), new TrainingOptions { Workers = workers })).Message;

        Assert.StartsWith("OddWorkspaces.CreateWorkspace(), called for worker 1 of 0..1, returned null;", Message(_ => null));
        Assert.Contains("worker 1 of 0..1, returned worker 0's network again", Message(network => network));
        INetwork<float>? cached = null;
        Assert.Contains("worker 2 of 0..2, returned worker 1's network again",
            Message(network => cached ??= network.Inner.CreateWorkspace(), workers: 3));
        Assert.Contains("returned another topology (2 → Dense(17, Tanh)",
            Message(_ => new InterpretedNetwork<float>(TestNetworks.Parse("2-17-3 Tanh,Softmax CrossEntropy"))));
        Assert.Contains("returned a network on other weights; the workers must share the trained network's Weights",
            Message(network => new InterpretedNetwork<float>(network.Weights.Clone())));
        // One worker asks for no workspace.
        Assert.NotNull(new Trainer<float>(() => new OddWorkspaces(new InterpretedNetwork<float>(topology), _ => null),
            new SgdMomentum<float>(topology.ParameterCount, 0.1)).Network);
    }

    /// <summary>A network whose CreateWorkspace is whatever the test says.</summary>
    private sealed class OddWorkspaces(INetwork<float> inner, Func<OddWorkspaces, INetwork<float>?> createWorkspace) : DelegatingNetwork<float>(inner)
    {
        public override INetwork<float> CreateWorkspace() => createWorkspace(this)!;
    }

    /// <summary>
    /// Data-parallel minibatch training written out on one thread, as the trainer did it before its workers shared the
    /// weights: W networks from the factory; before every minibatch θ is copied from network 0 into the others; worker
    /// k's contiguous chunk [n·k/W, n·(k+1)/W) of the shuffled minibatch runs Forward/Backward on network k; the
    /// gradients are added in worker order into network 0's, divided by n, and the optimizer takes one step. Returns θ
    /// and each epoch's mean training loss (per-sample losses summed in sample order).
    /// </summary>
    /// <summary>
    /// The trainer's algorithm written out: W networks from the factory, each minibatch split into W contiguous chunks,
    /// worker k's chunk through BackwardBatch (<paramref name="batched"/>) or sample by sample through Forward/Backward,
    /// the gradients summed in worker order, divided by the minibatch's size, one optimizer step.
    /// </summary>
    private static (float[] Theta, double[] EpochLosses) Sequential(Func<INetwork<float>> factory, IOptimizer<float> optimizer,
        int workers, int epochs, int batchSize, int seed, IDataset<float> data, bool batched = true)
    {
        INetwork<float>[] networks = Enumerable.Range(0, workers).Select(_ => factory()).ToArray();
        INetwork<float> main = networks[0];
        var input = new float[data.InputSize];
        var target = new float[data.TargetSize];
        var output = new float[data.TargetSize];
        var order = new int[data.Count];
        var epochLosses = new double[epochs];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            SampleOrder.Fill(order, seed, epoch);
            double lossSum = 0;
            for (int start = 0; start < data.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, data.Count - start);
                double batchLoss = 0;
                for (int k = 0; k < workers; k++)
                {
                    INetwork<float> network = networks[k];
                    if (k > 0) main.Parameters.CopyTo(network.Parameters);
                    int from = n * k / workers, to = n * (k + 1) / workers;
                    if (batched)
                    {
                        // Worker k's chunk as rows through BackwardBatch: its loss is the chunk's sum.
                        var inputs = new float[(to - from) * data.InputSize];
                        var targets = new float[(to - from) * data.TargetSize];
                        for (int j = from; j < to; j++)
                        {
                            data.GetInput(order[start + j], inputs.AsSpan((j - from) * data.InputSize, data.InputSize));
                            data.GetTarget(order[start + j], targets.AsSpan((j - from) * data.TargetSize, data.TargetSize));
                        }
                        if (to > from) batchLoss += network.BackwardBatch(inputs, targets, to - from);
                        continue;
                    }
                    for (int j = from; j < to; j++)
                    {
                        data.GetInput(order[start + j], input);
                        data.GetTarget(order[start + j], target);
                        network.Forward(input, output);
                        batchLoss += network.Backward(target);
                    }
                }
                Span<float> gradients = main.Gradients;
                for (int k = 1; k < workers; k++)
                {
                    Span<float> other = networks[k].Gradients;
                    for (int p = 0; p < gradients.Length; p++) gradients[p] += other[p];
                    other.Clear();
                }
                for (int p = 0; p < gradients.Length; p++) gradients[p] /= n;
                optimizer.Step(main.Parameters, gradients); // also zeroes the gradients
                lossSum += batchLoss;
            }
            epochLosses[epoch] = lossSum / data.Count;
        }
        return (main.Parameters.ToArray(), epochLosses);
    }

    private static uint[] Bits(float[] values) => values.Select(BitConverter.SingleToUInt32Bits).ToArray();
}
