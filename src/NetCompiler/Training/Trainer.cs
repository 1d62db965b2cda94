using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace NetCompiler.Training;

/// <summary>
/// Minibatch training of any <see cref="INetwork{T}"/> (generated or interpreted) with an <see cref="IOptimizer{T}"/>,
/// optionally data-parallel over several workspaces of the network on its one set of weights.
/// </summary>
/// <remarks>
/// <para>
/// Each epoch visits the training set in a seeded shuffled order (<see cref="TrainingOptions.Seed"/>) in minibatches
/// of <see cref="TrainingOptions.BatchSize"/> samples, the last one partial. A step uses the mean gradient of its
/// minibatch: the summed per-sample gradients (Backward sums) are divided by the minibatch's size B before
/// <see cref="IOptimizer{T}.Step"/>, so learning rates, weight decay and Adam behave as in PyTorch with a
/// mean-reduced loss, and the learning rate does not depend on B.
/// </para>
/// <para>
/// With W workers every minibatch is split into W contiguous chunks. Worker 0 is <see cref="Network"/> itself and
/// workers 1..W−1 are its workspaces (<see cref="INetwork{T}.CreateWorkspace"/>, made once by the constructor): they
/// read the same <see cref="IInferenceNetwork{T}.Weights"/>, so no parameters are copied, and each keeps its own
/// activations, sensitivities and gradients. Worker k runs chunk k through BackwardBatch (a generated chain's blocked
/// kernels; a graph's per-sample path); the gradients are then summed
/// in worker order into <see cref="Network"/>'s buffer, and the optimizer takes one step on the weights. With
/// <see cref="SgdMomentum{T}"/> and <see cref="Adam{T}"/> the sum, the checks, the copy of θ and the step run together
/// on blocks of θ that stay in cache, the blocks split among the workers; any other optimizer gets one whole-buffer
/// Step on the calling thread while the workers wait. Both give the same parameters, bit for bit. The result is
/// deterministic for a given seed and worker count. Workers 1..W−1 run on dedicated
/// threads that live for one <see cref="Train"/> or <see cref="Evaluate"/> call; the calling thread is worker 0. After
/// the first minibatch a step allocates nothing.
/// </para>
/// <para>
/// Divergence guard: before a step the minibatch's loss and gradient are checked, after it the parameters. On a NaN
/// or infinity the parameters are restored to their values before that minibatch (they are copied before every step,
/// which costs far less than the minibatch's passes), gradients are zeroed, the optimizer is reset and
/// <see cref="TrainingDivergedException"/> is thrown. After each epoch, from the second on, two epoch rules catch a
/// run that exploded without overflowing: the mean training loss rose past <see cref="TrainingOptions.DivergenceLossRatio"/>
/// times the loss before training, or a classification run is at chance accuracy without learning
/// (<see cref="TrainingOptions.DivergeAtChance"/>). Then the parameters are restored to their values at the end of the
/// last epoch that passed those rules (or before training), copied once per epoch, and the exception is thrown the same way.
/// </para>
/// <para>A trainer is not thread-safe: one Train or Evaluate at a time (a second concurrent call throws).</para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Trainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int EvaluationBlock = 4096; // samples per evaluation round (cancellation and progress in between)
    private const int EvaluationGroup = 64;   // samples per ForwardBatch call in an evaluation: a multiple of a generated graph's 16 lanes

    private readonly INetwork<T>[] _networks; // [0] is the trained network, the others its workspaces (the same weights)
    private readonly T[][] _inputs, _targets; // per worker
    private readonly T[]?[] _evaluationInputs, _evaluationOutputs; // per worker, EvaluationGroup rows; allocated by the first evaluation
    private readonly T[] _lastGood;           // the parameters before the current step
    private readonly T[] _lastGoodEpoch;      // the parameters after the last epoch that passed the epoch rules (or before training)
    private T[][] _chunkInputs, _chunkTargets, _chunkOutputs; // training: per worker, its chunk's rows for BackwardBatch
    private readonly double[] _chunkLoss;     // training: the summed loss of each worker's chunk of the minibatch
    private readonly int[] _correct;          // training: correct predictions per worker in the minibatch
    private readonly IBlockOptimizer<T>? _blockOptimizer; // a built-in optimizer, stepped block by block by the workers
    private readonly bool[] _sweepGradients, _sweepParameters; // per worker: its blocks' mean gradient, and θ after the step, finite
    private readonly LossFunction _loss;
    private readonly Action<int> _trainChunk, _evaluateChunk, _sweepChunk;
    private int _busy;

    // Shared with the workers for the current round (published by the barrier).
    private IDataset<T>? _data;
    private int[] _order = [];
    private int _roundStart, _roundCount;
    private int _epoch;                       // training: the epoch being trained (the augmentation's draws depend on it)
    private double[] _evaluationLoss = [];
    private int[] _evaluationPredicted = [];

    /// <summary>Creates a trainer.</summary>
    /// <param name="networkFactory">
    /// Creates the network to train, once; it becomes <see cref="Network"/>, with the parameters it was created with
    /// (initialise them in the factory, for example with <c>InitializeParameters(seed)</c>, or load them). The other
    /// <see cref="TrainingOptions.Workers"/>−1 workers are its workspaces (<see cref="INetwork{T}.CreateWorkspace"/>):
    /// they share its weights and have their own activations, sensitivities and gradients.
    /// </param>
    /// <param name="optimizer">The optimizer, for <see cref="Network"/>'s parameters; its learning rate is the base rate of the schedule.</param>
    /// <param name="options">Epochs, batch size, seed, workers…; null gives the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="networkFactory"/> or <paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// The factory returned null; the network has no loss function; the optimizer was made for a different parameter
    /// count; the network's CreateWorkspace returned null, the network itself, another topology or a network on other
    /// weights (possible only for a hand-written <see cref="INetwork{T}"/>).
    /// </exception>
    public Trainer(Func<INetwork<T>> networkFactory, IOptimizer<T> optimizer, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(networkFactory);
        ArgumentNullException.ThrowIfNull(optimizer);
        Options = options ?? new TrainingOptions();
        Optimizer = optimizer;
        int workers = Options.Workers;

        INetwork<T> main = networkFactory()
            ?? throw new ArgumentException("The network factory returned null.", nameof(networkFactory));
        _loss = main.Topology.Loss
            ?? throw new ArgumentException(Invariant($"The network ({main.Topology}) has no loss function, so it cannot be trained; declare one (for example Loss(LossFunction.CrossEntropy))."),
                nameof(networkFactory));
        if (optimizer.ParameterCount != main.ParameterCount)
            throw new ArgumentException(Invariant(
                $"The optimizer was created for {optimizer.ParameterCount} parameters, but the network has {main.ParameterCount}."), nameof(optimizer));
        _networks = new INetwork<T>[workers];
        _networks[0] = main;
        for (int k = 1; k < workers; k++) _networks[k] = Workspace(_networks, k);

        _inputs = new T[workers][];
        _targets = new T[workers][];
        _evaluationInputs = new T[workers][];
        _evaluationOutputs = new T[workers][];
        for (int k = 0; k < workers; k++)
        {
            _inputs[k] = new T[main.InputSize];
            _targets[k] = new T[main.OutputSize];
        }
        _lastGood = new T[main.ParameterCount];
        _lastGoodEpoch = new T[main.ParameterCount];
        _chunkInputs = new T[workers][];
        _chunkTargets = new T[workers][];
        _chunkOutputs = new T[workers][];
        _chunkLoss = new double[workers];
        _correct = new int[workers];
        _blockOptimizer = optimizer as IBlockOptimizer<T>;
        _sweepGradients = new bool[workers];
        _sweepParameters = new bool[workers];
        _trainChunk = TrainChunk;
        _evaluateChunk = EvaluateChunk;
        _sweepChunk = SweepChunk;
    }

    /// <summary>The trained network (the factory's); the workers are workspaces on its weights.</summary>
    public INetwork<T> Network => _networks[0];

    /// <summary>The optimizer.</summary>
    public IOptimizer<T> Optimizer { get; }

    /// <summary>The options.</summary>
    public TrainingOptions Options { get; }

    /// <summary>
    /// Trains <see cref="Network"/> for <see cref="TrainingOptions.Epochs"/> epochs, continuing from its current
    /// parameters and the optimizer's state. The schedule starts at epoch 0 on every call; the optimizer's learning rate
    /// is set back to its base value when the call returns or throws.
    /// </summary>
    /// <param name="train">The training set.</param>
    /// <param name="test">A test set to evaluate after every epoch (or after the last, see <see cref="TrainingOptions.EvaluateEveryEpoch"/>), or null.</param>
    /// <param name="progress">Receives progress reports on the calling thread, or null.</param>
    /// <param name="cancellationToken">Checked between minibatches (and between evaluation rounds).</param>
    /// <returns>The result of every epoch.</returns>
    /// <exception cref="ArgumentException">A data set does not fit the network (sizes, classes) or is empty, or a label is out of range (checked before the first step); the parameters are not finite; the augmentation does not fit the network's input.</exception>
    /// <exception cref="TrainingDivergedException">A loss, gradient or parameter became NaN or infinite, or an epoch broke an epoch rule of the divergence guard (<see cref="TrainingOptions.DivergenceLossRatio"/>, <see cref="TrainingOptions.DivergeAtChance"/>).</exception>
    /// <exception cref="TrainingCanceledException">Cancelled; the network keeps the parameters of the last finished step.</exception>
    public TrainingResult Train(IDataset<T> train, IDataset<T>? test = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckDataset(train, nameof(train));
        if (test is not null) CheckDataset(test, nameof(test));
        int mostFrequent = MostFrequentLabelCount(train, nameof(train)); // every label checked before any step
        if (test is not null) MostFrequentLabelCount(test, nameof(test));
        Options.Augmentation?.Check(Network.Topology.InputShape);
        if (!TensorPrimitives.IsFiniteAll<T>(Network.Parameters))
            throw new ArgumentException("The network's parameters contain NaN or infinite values before training; initialise them (InitializeParameters) or load finite ones.", nameof(train));

        Enter();
        double baseRate = Optimizer.LearningRate;
        var pool = new WorkerPool(_networks.Length);
        try
        {
            foreach (INetwork<T> network in _networks) network.Gradients.Clear();
            return TrainCore(pool, train, test, baseRate, mostFrequent, progress, cancellationToken);
        }
        finally
        {
            _data = null;
            pool.Dispose();
            foreach (INetwork<T> network in _networks) network.Gradients.Clear(); // zero after a failure mid-minibatch too
            Optimizer.LearningRate = baseRate;
            Exit();
        }
    }

    /// <summary>Evaluates <see cref="Network"/> on <paramref name="data"/> (using the workers; the result does not depend on their number).</summary>
    /// <exception cref="ArgumentException">The data set does not fit the network or is empty, or a label is out of range.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between evaluation rounds.</exception>
    public Evaluation Evaluate(IDataset<T> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data, nameof(data));
        Enter();
        var pool = new WorkerPool(_networks.Length);
        try
        {
            return EvaluateCore(pool, data, null, 0, 0, 0, cancellationToken);
        }
        finally
        {
            _data = null;
            pool.Dispose();
            Exit();
        }
    }

    private TrainingResult TrainCore(WorkerPool pool, IDataset<T> train, IDataset<T>? test, double baseRate, int mostFrequent,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        INetwork<T> main = Network;
        int epochs = Options.Epochs, batchSize = Options.BatchSize, count = train.Count;
        int batches = (int)(((long)count + batchSize - 1) / batchSize);
        bool labeled = train.Classes > 0;
        var results = new List<EpochResult>(epochs);
        long runStart = Stopwatch.GetTimestamp();
        _order = new int[count];
        // Each worker's chunk of a minibatch as rows, for BackwardBatch (allocated once per size of chunk).
        int chunk = (Math.Min(batchSize, count) + _networks.Length - 1) / _networks.Length;
        for (int k = 0; k < _networks.Length; k++)
        {
            if (_chunkInputs[k] is { } rows && rows.Length >= chunk * main.InputSize) continue;
            _chunkInputs[k] = new T[chunk * main.InputSize];
            _chunkTargets[k] = new T[chunk * main.OutputSize];
            _chunkOutputs[k] = new T[chunk * main.OutputSize];
        }
        _data = train;
        main.Parameters.CopyTo(_lastGoodEpoch);
        int lastGoodEpoch = 0; // the epoch whose end _lastGoodEpoch holds; 0: before training
        double firstLoss = double.NaN, initialLoss = double.NaN; // the first epoch's mean; the first minibatch's before its step
        bool previousAtChance = false;
        // The chance rule judges classification sets large enough for an epoch's accuracy to mean something.
        double mostFrequentShare = train.Classes >= 2 && count >= TrainingOptions.ChanceRuleMinimumSamples ? (double)mostFrequent / count : double.NaN;

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            _epoch = epoch;
            SampleOrder.Fill(_order, Options.Seed, epoch, Options.Shuffle);
            long epochStart = Stopwatch.GetTimestamp();
            double lossSum = 0, firstRate = double.NaN, rate = double.NaN;
            long correct = 0;
            int done = 0;

            for (int batch = 0; batch < batches; batch++)
            {
                if (cancellationToken.IsCancellationRequested)
                    throw new TrainingCanceledException(Invariant($"Training was cancelled in epoch {epoch + 1} before batch {batch + 1} of {batches}."),
                        new TrainingResult(results.ToArray(), Seconds(runStart)), cancellationToken);

                rate = baseRate * ScheduleMultiplier(epoch, batch, batches, epochs);
                if (batch == 0) firstRate = rate;
                Optimizer.LearningRate = rate;

                // Forward/Backward over the minibatch, split among the workers.
                _roundStart = batch * batchSize;
                _roundCount = Math.Min(batchSize, count - _roundStart);
                pool.Run(_trainChunk); // the workspaces read the weights the last step wrote (the barrier orders that)

                // Reduce in a fixed order: the losses worker by worker (the gradients below, in MeanGradient).
                int n = _roundCount;
                double batchLoss = 0;
                for (int k = 0; k < _chunkLoss.Length; k++) batchLoss += _chunkLoss[k];
                for (int k = 0; k < _correct.Length; k++) correct += _correct[k];

                double meanLoss = batchLoss / n;
                if (epoch == 0 && batch == 0 && n >= TrainingOptions.InitialLossMinimumSamples) initialLoss = meanLoss; // θ untouched yet
                if (!double.IsFinite(meanLoss))
                    Diverge(epoch, batch, batches, meanLoss, rate, results, runStart, restore: false,
                        Invariant($"the minibatch's mean loss is {meanLoss}"));

                // The mean gradient, optionally clipped, and one step; θ before it is kept in _lastGood.
                bool gradientsFinite, parametersFinite;
                if (_blockOptimizer is not null && Options.GradientClipNorm is null)
                {
                    // Sweep and step fused, the blocks split among the workers (SweepChunk).
                    _blockOptimizer.BeginStep();
                    pool.Run(_sweepChunk);
                    gradientsFinite = Array.TrueForAll(_sweepGradients, finite => finite);
                    parametersFinite = Array.TrueForAll(_sweepParameters, finite => finite);
                }
                else
                {
                    Span<T> gradients = main.Gradients;
                    gradientsFinite = MeanGradient(gradients, n, 0, BlockCount(gradients.Length));
                    if (gradientsFinite)
                    {
                        if (Options.GradientClipNorm is double clip) Clip(gradients, clip);
                        Optimizer.Step(main.Parameters, gradients);
                    }
                    parametersFinite = TensorPrimitives.IsFiniteAll<T>(main.Parameters);
                }
                if (!gradientsFinite)
                    Diverge(epoch, batch, batches, meanLoss, rate, results, runStart, restore: true,
                        Invariant($"the minibatch's mean loss is {meanLoss:G6} but its gradient has NaN or infinite entries"));
                if (!parametersFinite)
                    Diverge(epoch, batch, batches, meanLoss, rate, results, runStart, restore: true,
                        Invariant($"the step (mean loss {meanLoss:G6}) made parameters NaN or infinite"));

                lossSum += batchLoss;
                done += n;
                if ((batch + 1) % Options.ProgressInterval == 0 || batch + 1 == batches)
                    progress?.Report(new TrainingProgress
                    {
                        Phase = TrainingPhase.Training,
                        Epoch = epoch + 1,
                        Epochs = epochs,
                        Batch = batch + 1,
                        Batches = batches,
                        RunningLoss = lossSum / done,
                        RunningAccuracy = labeled ? (double)correct / done : null,
                        SamplesPerSecond = done / Math.Max(Seconds(epochStart), 1e-9),
                        LearningRate = rate,
                    });
            }

            double seconds = Seconds(epochStart);
            double trainLoss = lossSum / count;
            double? trainAccuracy = labeled ? (double)correct / count : null;
            if (epoch == 0) firstLoss = trainLoss;
            bool beforeTraining = initialLoss > 0;
            string? broken = EpochRule(epoch, trainLoss, beforeTraining ? initialLoss : firstLoss, beforeTraining, trainAccuracy, mostFrequentShare, ref previousAtChance);
            if (broken is not null)
                Diverge(Invariant($"epoch {epoch + 1} of {epochs}"), epoch, batches - 1, trainLoss, rate, results, runStart, _lastGoodEpoch,
                    lastGoodEpoch == 0 ? "their values before training" : Invariant($"their values after epoch {lastGoodEpoch}, the last that passed the epoch rules"),
                    broken);
            if (!previousAtChance)
            {
                main.Parameters.CopyTo(_lastGoodEpoch);
                lastGoodEpoch = epoch + 1;
            }

            Evaluation? evaluation = null;
            double evaluationSeconds = 0;
            if (test is not null && (Options.EvaluateEveryEpoch || epoch == epochs - 1))
            {
                long evaluationStart = Stopwatch.GetTimestamp();
                evaluation = EvaluateCore(pool, test, progress, epoch + 1, epochs, rate, cancellationToken, results, runStart);
                evaluationSeconds = Seconds(evaluationStart);
                _data = train;
            }

            var result = new EpochResult(epoch + 1, count, batches, trainLoss, trainAccuracy, evaluation, seconds, evaluationSeconds, firstRate, rate);
            results.Add(result);
            progress?.Report(new TrainingProgress
            {
                Phase = TrainingPhase.EpochCompleted,
                Epoch = epoch + 1,
                Epochs = epochs,
                Batch = batches,
                Batches = batches,
                RunningLoss = result.TrainLoss,
                RunningAccuracy = result.TrainAccuracy,
                SamplesPerSecond = result.SamplesPerSecond,
                LearningRate = rate,
                EpochResult = result,
            });
        }
        return new TrainingResult(results.ToArray(), Seconds(runStart));
    }

    private Evaluation EvaluateCore(WorkerPool pool, IDataset<T> data, IProgress<TrainingProgress>? progress, int epoch, int epochs,
        double rate, CancellationToken cancellationToken, List<EpochResult>? results = null, long runStart = 0)
    {
        int count = data.Count, classes = data.Classes;
        int block = Math.Min(count, EvaluationBlock);
        _data = data;
        _evaluationLoss = new double[block];
        _evaluationPredicted = new int[block];

        int[,]? confusion = classes > 0 ? new int[classes, classes] : null;
        double lossSum = 0;
        int correct = 0;
        long start = Stopwatch.GetTimestamp();
        for (int first = 0; first < count; first += block)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                string message = Invariant($"Evaluation was cancelled after {first} of {count} samples.");
                if (results is not null)
                    throw new TrainingCanceledException(message, new TrainingResult(results.ToArray(), Seconds(runStart)), cancellationToken);
                throw new OperationCanceledException(message, cancellationToken);
            }
            _roundStart = first;
            _roundCount = Math.Min(block, count - first);
            pool.Run(_evaluateChunk);
            for (int j = 0; j < _roundCount; j++)
            {
                lossSum += _evaluationLoss[j];
                if (confusion is null) continue;
                int index = first + j, label = CheckedLabel(data, index, nameof(data));
                int predicted = _evaluationPredicted[j];
                confusion[label, predicted]++;
                if (predicted == label) correct++;
            }
            progress?.Report(new TrainingProgress
            {
                Phase = TrainingPhase.Evaluating,
                Epoch = epoch,
                Epochs = epochs,
                Batch = first + _roundCount,
                Batches = count,
                RunningLoss = double.NaN,
                RunningAccuracy = null,
                SamplesPerSecond = (first + _roundCount) / Math.Max(Seconds(start), 1e-9),
                LearningRate = rate,
            });
        }
        return new Evaluation(count, lossSum / count, classes, correct, confusion);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Worker bodies (run on worker k's thread; k = 0 is the calling thread).

    /// <summary>Worker k's chunk of the minibatch as rows, through the network's batched path (BackwardBatch).</summary>
    private void TrainChunk(int k)
    {
        IDataset<T> data = _data!;
        INetwork<T> network = _networks[k];
        (int from, int to) = Chunk(_roundCount, k, _networks.Length);
        int n = to - from, inputSize = network.InputSize, outputSize = network.OutputSize;
        Span<T> inputs = _chunkInputs[k].AsSpan(0, n * inputSize), targets = _chunkTargets[k].AsSpan(0, n * outputSize);
        Span<T> outputs = _chunkOutputs[k].AsSpan(0, n * outputSize);
        ImageAugmentation? augmentation = Options.Augmentation;
        for (int j = 0; j < n; j++)
        {
            int index = _order[_roundStart + from + j];
            Span<T> row = inputs.Slice(j * inputSize, inputSize);
            if (augmentation is null) data.GetInput(index, row);
            else
            {
                // The sample as the data set has it, then flipped and shifted into its row.
                Span<T> image = _inputs[k].AsSpan(0, inputSize);
                data.GetInput(index, image);
                (bool flip, int dx, int dy) = augmentation.Draw(Options.Seed, _epoch, index);
                ImageAugmentation.Apply<T>(image, row, network.Topology.InputShape, flip, dx, dy);
            }
            data.GetTarget(index, targets.Slice(j * outputSize, outputSize));
        }
        _chunkLoss[k] = n == 0 ? 0 : double.CreateTruncating(network.BackwardBatch(inputs, targets, n, outputs));
        int correct = 0;
        if (data.Classes > 0)
            for (int j = 0; j < n; j++)
                if (Predict(outputs.Slice(j * outputSize, outputSize)) == data.Label(_order[_roundStart + from + j])) correct++;
        _correct[k] = correct;
    }

    /// <summary>
    /// Worker k's share of an evaluation round through ForwardBatch, EvaluationGroup samples a call. The shares start
    /// at multiples of EvaluationGroup, so each sample is in the same place of the same group of 16 (a generated
    /// graph's lanes) whatever the number of workers, and its outputs are the same bits.
    /// </summary>
    private void EvaluateChunk(int k)
    {
        IDataset<T> data = _data!;
        INetwork<T> network = _networks[k];
        int inputSize = network.InputSize, outputSize = network.OutputSize;
        T[] inputs = _evaluationInputs[k] ??= new T[EvaluationGroup * inputSize], outputs = _evaluationOutputs[k] ??= new T[EvaluationGroup * outputSize];
        Span<T> target = _targets[k];
        int groups = (_roundCount + EvaluationGroup - 1) / EvaluationGroup;
        (int fromGroup, int toGroup) = Chunk(groups, k, _networks.Length);
        for (int first = fromGroup * EvaluationGroup; first < Math.Min(toGroup * EvaluationGroup, _roundCount); first += EvaluationGroup)
        {
            int n = Math.Min(EvaluationGroup, _roundCount - first);
            for (int j = 0; j < n; j++) data.GetInput(_roundStart + first + j, inputs.AsSpan(j * inputSize, inputSize));
            network.ForwardBatch(inputs.AsSpan(0, n * inputSize), outputs.AsSpan(0, n * outputSize), n);
            for (int j = 0; j < n; j++)
            {
                ReadOnlySpan<T> output = outputs.AsSpan(j * outputSize, outputSize);
                data.GetTarget(_roundStart + first + j, target);
                _evaluationLoss[first + j] = SampleLoss(_loss, output, target);
                _evaluationPredicted[first + j] = Predict(output);
            }
        }
    }

    /// <summary>Worker k's contiguous share [from, to) of n items.</summary>
    /// <summary>
    /// Blocks [from, to) of <see cref="CacheBlocks"/> of the mean gradient g ← (g₀ + g₁ + …) / n, the workers'
    /// gradients summed in worker order into the trained network's (the others cleared), with θ copied to _lastGood:
    /// all of each block's operations while it is in cache, the same values bit for bit as whole-buffer passes, which
    /// read θ and the gradients from memory once an operation. Returns whether the sum is finite in every block.
    /// </summary>
    private bool MeanGradient(Span<T> gradients, int n, int from, int to)
    {
        bool finite = true;
        T count = T.CreateTruncating(n);
        ReadOnlySpan<T> parameters = Network.Parameters;
        for (int block = from; block < to; block++)
        {
            int start = block * CacheBlocks.Length, length = Math.Min(CacheBlocks.Length, gradients.Length - start);
            Span<T> g = gradients.Slice(start, length);
            for (int k = 1; k < _networks.Length; k++)
            {
                Span<T> other = _networks[k].Gradients.Slice(start, length);
                TensorPrimitives.Add(g, other, g);
                other.Clear();
            }
            finite &= TensorPrimitives.IsFiniteAll<T>(g);
            TensorPrimitives.Divide(g, count, g);
            parameters.Slice(start, length).CopyTo(_lastGood.AsSpan(start, length));
        }
        return finite;
    }

    /// <summary>
    /// Worker k's share of a step with a built-in optimizer: for each of its blocks, the mean gradient
    /// (<see cref="MeanGradient"/>) and at once the optimizer's step of the block, then the check of θ, while the
    /// block is in cache. A block whose gradient is not finite is not stepped (the step is then undone from _lastGood).
    /// </summary>
    private void SweepChunk(int k)
    {
        Span<T> gradients = Network.Gradients, parameters = Network.Parameters;
        (int from, int to) = Chunk(BlockCount(gradients.Length), k, _networks.Length);
        bool gradientsFinite = true, parametersFinite = true;
        for (int block = from; block < to; block++)
        {
            int start = block * CacheBlocks.Length, length = Math.Min(CacheBlocks.Length, gradients.Length - start);
            if (!MeanGradient(gradients, _roundCount, block, block + 1))
            {
                gradientsFinite = false;
                continue;
            }
            Span<T> theta = parameters.Slice(start, length);
            _blockOptimizer!.StepBlock(theta, gradients.Slice(start, length), start);
            parametersFinite &= TensorPrimitives.IsFiniteAll<T>(theta);
        }
        _sweepGradients[k] = gradientsFinite;
        _sweepParameters[k] = parametersFinite;
    }

    private static int BlockCount(int length) => (length + CacheBlocks.Length - 1) / CacheBlocks.Length;

    private static (int From, int To) Chunk(int n, int k, int workers) => ((int)((long)n * k / workers), (int)((long)n * (k + 1) / workers));

    private static int Predict(ReadOnlySpan<T> output) =>
        output.Length == 1 ? (output[0] >= T.CreateTruncating(0.5) ? 1 : 0) : TensorPrimitives.IndexOfMax(output);

    private static double SampleLoss(LossFunction loss, ReadOnlySpan<T> y, ReadOnlySpan<T> d)
    {
        double sum = 0;
        if (loss == LossFunction.CrossEntropy)
        {
            double smallest = double.CreateTruncating(T.Epsilon);
            for (int i = 0; i < d.Length; i++)
            {
                double target = double.CreateTruncating(d[i]);
                if (target != 0) sum -= target * Math.Log(Math.Max(double.CreateTruncating(y[i]), smallest));
            }
            return sum;
        }
        for (int i = 0; i < d.Length; i++)
        {
            double difference = double.CreateTruncating(d[i]) - double.CreateTruncating(y[i]);
            sum += difference * difference;
        }
        return 0.5 * sum;
    }

    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>A NaN or infinite loss, gradient or step in a minibatch (restore: the step was taken, so undo it).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Diverge(int epoch, int batch, int batches, double loss, double rate, List<EpochResult> results, long runStart, bool restore, string what) =>
        Diverge(Invariant($"epoch {epoch + 1}, batch {batch + 1} of {batches}"), epoch, batch, loss, rate, results, runStart,
            restore ? _lastGood : null, "their values before this batch", what);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Diverge(string where, int epoch, int batch, double loss, double rate, List<EpochResult> results, long runStart,
        T[]? restore, string restoredTo, string what)
    {
        restore?.CopyTo(Network.Parameters);
        foreach (INetwork<T> network in _networks) network.Gradients.Clear();
        Optimizer.Reset();
        string message = Invariant($"Training diverged in {where}: {what} at learning rate {rate:G6}. ") +
            "The parameters were restored to " + restoredTo + " and the optimizer state was reset. " +
            Invariant($"Try a lower learning rate (for example {rate / 10:G6}), gradient clipping or a smaller model.");
        throw new TrainingDivergedException(message, epoch + 1, batch + 1, loss, rate, new TrainingResult(results.ToArray(), Seconds(runStart)));
    }

    /// <summary>
    /// The divergence guard's epoch rules (TrainingOptions.DivergenceLossRatio, DivergeAtChance) for the epoch just
    /// trained: what it broke, or null. The loss rule compares with <paramref name="baseline"/>, the loss before
    /// training when <paramref name="beforeTraining"/> (then from the first epoch on), else the first epoch's.
    /// <paramref name="atChance"/> comes in as whether the previous epoch was at chance accuracy and goes out as whether
    /// this one is (then its end is no state to restore to).
    /// </summary>
    private string? EpochRule(int epoch, double loss, double baseline, bool beforeTraining, double? accuracy, double mostFrequentShare, ref bool atChance)
    {
        bool previous = atChance;
        atChance = Options.DivergeAtChance && accuracy is double a && a <= mostFrequentShare + TrainingOptions.ChanceMargin; // false for a NaN share
        if (Options.DivergenceLossRatio is double ratio && (epoch > 0 || beforeTraining) && baseline > 0 && loss > ratio * baseline)
            return Invariant($"its mean training loss {loss:G4} is more than {ratio:G4}× ") +
                   (beforeTraining ? "the loss before training (the first minibatch's, before its step) " : "the first epoch's ") +
                   Invariant($"{baseline:G4} (TrainingOptions.DivergenceLossRatio)");
        if (epoch == 0) return null;
        if (atChance && previous)
            return Invariant($"its training accuracy {100 * accuracy:F2}% is, like the previous epoch's, no better than chance: at most {100 * mostFrequentShare:F2}% (the most frequent label's share) + {100 * TrainingOptions.ChanceMargin:G3} percentage point (TrainingOptions.DivergeAtChance)");
        return null;
    }

    private double ScheduleMultiplier(int epoch, int batch, int batches, int epochs)
    {
        if (Options.LearningRateSchedule is not LearningRateSchedule schedule) return 1;
        double multiplier = schedule.Multiplier(epoch, batch, batches, epochs);
        if (!(multiplier >= 0 && double.IsFinite(multiplier)))
            throw new InvalidOperationException(Invariant(
                $"The learning-rate schedule ({schedule}) returned {multiplier} for epoch {epoch}, batch {batch}; a multiplier must be finite and ≥ 0."));
        return multiplier;
    }

    private static void Clip(Span<T> gradients, double maxNorm)
    {
        double sumOfSquares = 0;
        foreach (T g in gradients)
        {
            double value = double.CreateTruncating(g);
            sumOfSquares += value * value;
        }
        double norm = Math.Sqrt(sumOfSquares);
        if (norm > maxNorm) TensorPrimitives.Multiply(gradients, T.CreateTruncating(maxNorm / norm), gradients);
    }

    /// <summary>Sample <paramref name="index"/>'s label, checked to be one of the data set's classes.</summary>
    private static int CheckedLabel(IDataset<T> data, int index, string name)
    {
        int label = data.Label(index), classes = data.Classes;
        if ((uint)label >= (uint)classes)
            throw new ArgumentException(Invariant($"Sample {index} has label {label}, outside the data set's {classes} classes (0..{classes - 1})."), name);
        return label;
    }

    /// <summary>Checks every label of a classification data set (CheckedLabel); returns how many samples have the most frequent one (0 without classes).</summary>
    private static int MostFrequentLabelCount(IDataset<T> data, string name)
    {
        if (data.Classes <= 0) return 0;
        var counts = new int[data.Classes];
        for (int i = 0; i < data.Count; i++) counts[CheckedLabel(data, i, name)]++;
        int most = 0;
        foreach (int c in counts) most = Math.Max(most, c);
        return most;
    }

    private void CheckDataset(IDataset<T> data, string name)
    {
        INetwork<T> network = Network;
        if (data.Count < 1)
            throw new ArgumentException(Invariant($"The {name} data set is empty (Count {data.Count})."), name);
        if (data.InputSize != network.InputSize)
            throw new ArgumentException(Invariant($"The {name} data set's inputs have {data.InputSize} values, but the network expects {network.InputSize}."), name);
        if (data.TargetSize != network.OutputSize)
            throw new ArgumentException(Invariant($"The {name} data set's targets have {data.TargetSize} values, but the network has {network.OutputSize} outputs."), name);
        int classes = data.Classes;
        if (classes < 0 || (classes > 0 && classes != network.OutputSize && !(classes == 2 && network.OutputSize == 1)))
            throw new ArgumentException(Invariant(
                $"The {name} data set has {classes} classes, but the network has {network.OutputSize} outputs; classification needs one output per class (or one output for two classes)."), name);
    }

    /// <summary>
    /// Worker <paramref name="k"/>'s network: a workspace of worker 0's, checked to be an instance of its own (no other
    /// worker's) of the same topology on the same weights.
    /// </summary>
    private static INetwork<T> Workspace(INetwork<T>[] networks, int k)
    {
        INetwork<T> main = networks[0];
        string type = main.GetType().Name;
        if (type.IndexOf('`') is int tick and > 0) type = type[..tick];
        string call = Invariant($"{type}.CreateWorkspace(), called for worker {k} of 0..{networks.Length - 1},");
        INetwork<T> workspace = main.CreateWorkspace()
            ?? throw new ArgumentException(call + " returned null; it must return a new instance on the same weights.", "networkFactory");
        for (int j = 0; j < k; j++)
            if (ReferenceEquals(workspace, networks[j]))
                throw new ArgumentException(call + Invariant(
                    $" returned worker {j}'s network again; every worker needs an instance of its own (an instance serves one thread at a time)."),
                    "networkFactory");
        string a = main.Topology.ToString(), b = workspace.Topology.ToString();
        if (a != b || main.ParameterCount != workspace.ParameterCount || main.InputSize != workspace.InputSize || main.OutputSize != workspace.OutputSize)
            throw new ArgumentException(call + Invariant(
                $" returned another topology ({b}; {workspace.InputSize} inputs, {workspace.OutputSize} outputs) than the network's ({a}; {main.InputSize} inputs, {main.OutputSize} outputs)."),
                "networkFactory");
        if (!ReferenceEquals(workspace.Weights, main.Weights))
            throw new ArgumentException(call + " returned a network on other weights; the workers must share the trained network's Weights.", "networkFactory");
        return workspace;
    }

    private void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("This trainer is already training or evaluating; a trainer runs one call at a time.");
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    private static double Seconds(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// W−1 dedicated threads and the calling thread running one action per round, synchronised by a barrier (two phases
    /// per round: start and finish). A worker's exception is rethrown on the calling thread after the round.
    /// </summary>
    private sealed class WorkerPool : IDisposable
    {
        private readonly int _workers;
        private readonly SpinningBarrier? _barrier;
        private readonly Thread[] _threads;
        private readonly Exception?[] _errors;
        private Action<int>? _work;
        private bool _stopping;

        public WorkerPool(int workers)
        {
            _workers = workers;
            _errors = new Exception?[workers];
            _threads = new Thread[workers - 1];
            if (workers == 1) return;
            _barrier = new SpinningBarrier(workers);
            for (int k = 1; k < workers; k++)
            {
                int worker = k;
                _threads[k - 1] = new Thread(() => Loop(worker))
                {
                    IsBackground = true,
                    Name = Invariant($"NetCompiler trainer worker {worker}"),
                };
                _threads[k - 1].Start();
            }
        }

        public void Run(Action<int> work)
        {
            if (_barrier is null)
            {
                work(0);
                return;
            }
            _work = work;
            _barrier.SignalAndWait(); // start
            try
            {
                work(0);
            }
            catch (Exception error)
            {
                _errors[0] = error;
            }
            _barrier.SignalAndWait(); // finish
            for (int k = 0; k < _workers; k++)
            {
                if (_errors[k] is not Exception error) continue;
                Array.Clear(_errors);
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }

        private void Loop(int k)
        {
            while (true)
            {
                _barrier!.SignalAndWait();
                if (Volatile.Read(ref _stopping)) return;
                try
                {
                    _work!(k);
                }
                catch (Exception error)
                {
                    _errors[k] = error;
                }
                _barrier.SignalAndWait();
            }
        }

        public void Dispose()
        {
            if (_barrier is null) return;
            Volatile.Write(ref _stopping, true);
            _barrier.SignalAndWait();
            foreach (Thread thread in _threads) thread.Join();
        }
    }

    /// <summary>
    /// A barrier for the worker pool's rounds: each thread that arrives before the last spins for up to 200 µs (the
    /// main thread's serial work between two rounds of a minibatch is a few microseconds) and then sleeps on a monitor
    /// until the last arrives. System.Threading.Barrier puts a waiting thread to sleep much sooner, and waking it cost
    /// about 100 µs a minibatch of LeNet-5 (bench/RESULTS.md, "Lanes"). With more workers than processors a spinning
    /// thread would hold a processor a working one needs (training ran 2–7 times slower in a new-user trial), so
    /// then every thread sleeps at once.
    /// </summary>
    private sealed class SpinningBarrier(int participants)
    {
        private readonly long _spinTicks = participants <= Environment.ProcessorCount ? Stopwatch.Frequency / 5000 : 0;
        private readonly object _gate = new();
        private int _arrived;
        private int _phase;

        public void SignalAndWait()
        {
            int phase = Volatile.Read(ref _phase);
            if (Interlocked.Increment(ref _arrived) == participants)
            {
                _arrived = 0;
                lock (_gate)
                {
                    Volatile.Write(ref _phase, phase + 1);
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _phase) == phase)
            {
                if (Stopwatch.GetTimestamp() - start < _spinTicks)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                lock (_gate)
                    while (Volatile.Read(ref _phase) == phase) Monitor.Wait(_gate);
            }
        }
    }
}
