// Threads over one set of weights (issue 15): batch-1 Forward of 784-128-10 from 1 and 2 threads, each thread calling
// its own workspace (`new MlpSInference(weights)`) over the one shared NetworkWeights<float>, against each thread on
// its own copy of the weights. On a 2-core machine 2 threads should give ≈ 2× the calls per second of 1: θ is only
// read, and each workspace writes its own activations, so nothing is shared that one thread writes.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*SharedWeights*'
// Each invocation makes the same 4,000 calls, from one thread or split evenly over two, and the reported time is per
// call (OperationsPerInvoke), so the throughput of 2 threads over 1 is Mean(1 thread) / Mean(2 threads).
using System;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace NetCompiler.Benchmarks;

/// <summary>784-128-10 inference-only: the shape of MlpS, without a loss, as an app embeds it.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax)]
public partial class MlpSInference { }

/// <summary>Forward calls per second from 1 and 2 threads, workspaces over shared weights or over copies.</summary>
[MemoryDiagnoser]
public class SharedWeights
{
    /// <summary>Forward calls per benchmark invocation, split evenly over the threads (≈ 10–20 ms of work).</summary>
    public const int Calls = 4_000;

    [Params(1, 2)]
    public int Threads { get; set; }

    private Workers _shared = null!, _copies = null!;

    [GlobalSetup]
    public void Setup()
    {
        var weights = new NetworkWeights<float>(MlpSInference.Topology, seed: 1);
        _shared = new Workers(Threads, _ => new MlpSInference(weights));
        _copies = new Workers(Threads, _ => new MlpSInference(weights.Clone()));
        // Every workspace computes the same outputs as a fresh instance on the same weights, so a wrong one cannot look fast.
        var reference = new MlpSInference(weights);
        _shared.Check(reference);
        _copies.Check(reference);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _shared.Dispose();
        _copies.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public void Shared() => _shared.Run();

    [Benchmark(OperationsPerInvoke = Calls)]
    public void Copies() => _copies.Run();

    /// <summary>
    /// Threads that wait for a go, make their share of <see cref="Calls"/> Forward calls each on their own network, and
    /// report done. Started once in setup, so an invocation times the calls and two barrier crossings, not thread
    /// start-up. Each thread's input and output arrays are its own allocations, with 64 floats of padding so that no
    /// two threads write the same cache line.
    /// </summary>
    private sealed class Workers : IDisposable
    {
        private readonly Thread[] _threads;
        private readonly MlpSInference[] _networks;
        private readonly float[][] _inputs, _outputs;
        private readonly Barrier _start, _done;
        private readonly int _callsPerThread;
        private volatile bool _stop;

        public Workers(int count, Func<int, MlpSInference> create)
        {
            _callsPerThread = Calls / count;
            _networks = new MlpSInference[count];
            _inputs = new float[count][];
            _outputs = new float[count][];
            _start = new Barrier(count + 1);
            _done = new Barrier(count + 1);
            _threads = new Thread[count];
            for (int t = 0; t < count; t++)
            {
                _networks[t] = create(t);
                _inputs[t] = new float[MlpSInference.InputSize + 64];
                _outputs[t] = new float[MlpSInference.OutputSize + 64];
                var random = new Random(t + 1);
                for (int i = 0; i < MlpSInference.InputSize; i++) _inputs[t][i] = (float)random.NextDouble();
                int index = t;
                _threads[t] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"SharedWeights worker {t}" };
                _threads[t].Start();
            }
        }

        /// <summary>One invocation: every thread makes its calls; returns when all are done.</summary>
        public void Run()
        {
            _start.SignalAndWait();
            _done.SignalAndWait();
        }

        public void Check(MlpSInference reference)
        {
            Run();
            var expected = new float[MlpSInference.OutputSize];
            for (int t = 0; t < _networks.Length; t++)
            {
                reference.Forward(_inputs[t].AsSpan(0, MlpSInference.InputSize), expected);
                for (int i = 0; i < expected.Length; i++)
                {
                    if (BitConverter.SingleToInt32Bits(_outputs[t][i]) != BitConverter.SingleToInt32Bits(expected[i]))
                        throw new InvalidOperationException($"worker {t} output {i}: {_outputs[t][i]} != {expected[i]}");
                }
            }
        }

        private void Loop(int t)
        {
            var network = _networks[t];
            ReadOnlySpan<float> input = _inputs[t].AsSpan(0, MlpSInference.InputSize);
            Span<float> output = _outputs[t].AsSpan(0, MlpSInference.OutputSize);
            while (true)
            {
                _start.SignalAndWait();
                if (_stop) return;
                for (int i = 0; i < _callsPerThread; i++) network.Forward(input, output);
                _done.SignalAndWait();
            }
        }

        public void Dispose()
        {
            _stop = true;
            _start.SignalAndWait();
            foreach (var thread in _threads) thread.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }
}
