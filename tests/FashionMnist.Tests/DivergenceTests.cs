using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using NetCompiler.Samples.Fashion;
using Xunit;

namespace NetCompiler.Samples.Fashion.Tests;

public sealed class DivergenceTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fashion-app-diverge-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void ADivergingRunPrintsWhyExitsWith1AndSavesNothing()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string subset = Path.Combine(AppContext.BaseDirectory, "fashion-mnist-subset");
        // The MLP, except that its 200th Backward returns NaN (as an overflowing loss would).
        var calls = new StrongBox<int>();
        int code = FashionApp.Run(new[] { "--model", "mlp", "--epochs", "2", "--data", subset, "--out", _out }, new AppConsole(stdout, stderr, false),
            (model, engine) => () => new NaNAfter(new Mlp(), calls, 200));
        Assert.Equal(1, code);
        string error = stderr.ToString();
        Assert.Contains("error: training diverged: ", error);
        Assert.Contains("Nothing was saved", error);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Wrote:", stdout.ToString());
        Assert.False(Directory.Exists(_out), "the output folder was created");
    }

    [Fact]
    public void AnExplodedButFiniteRunExitsWith1AndSavesNothing()
    {
        // --lr 10 blows the MLP's weights up in the first epoch (train loss about 5e11 against about 2.3 before training;
        // by the second epoch its units are dead, the loss looks ordinary again and the accuracy is at chance). The loss
        // rule of the trainer's guard must stop it after epoch 1: before the fix the run saved its useless weights and
        // exited 0.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string subset = Path.Combine(AppContext.BaseDirectory, "fashion-mnist-subset");
        int code = FashionApp.Run(new[] { "--model", "mlp", "--lr", "10", "--epochs", "2", "--data", subset, "--out", _out }, new AppConsole(stdout, stderr, false));
        string error = stderr.ToString();
        Assert.True(code == 1, $"exit code {code}\n{stdout}\n{error}");
        Assert.Contains("error: training diverged: Training diverged in epoch 1 of 2: its mean training loss ", error);
        Assert.Contains("more than 100× the loss before training", error);
        Assert.Contains("restored to their values before training", error);
        Assert.Contains("Nothing was saved", error);
        Assert.DoesNotContain("Wrote:", stdout.ToString());
        Assert.False(Directory.Exists(_out), "the output folder was left behind");
    }

    /// <summary>A network that returns NaN from the n-th Backward counted in <paramref name="calls"/> (shared by the workers' networks).</summary>
    private sealed class NaNAfter(INetwork<float> inner, StrongBox<int> calls, int n) : INetwork<float>
    {

        public NetworkTopology Topology => inner.Topology;
        public int InputSize => inner.InputSize;
        public int OutputSize => inner.OutputSize;
        public int LayerCount => inner.LayerCount;
        public int ParameterCount => inner.ParameterCount;
        public Span<float> Parameters => inner.Parameters;
        public NetworkWeights<float> Weights => inner.Weights;
        public INetwork<float> CreateWorkspace() => new NaNAfter(inner.CreateWorkspace(), calls, n);
        IInferenceNetwork<float> IInferenceNetwork<float>.CreateWorkspace() => CreateWorkspace();
        public Span<float> Gradients => inner.Gradients;
        public void InitializeParameters(int seed) => inner.InitializeParameters(seed);
        public void Forward(ReadOnlySpan<float> input, Span<float> output) => inner.Forward(input, output);
        public ReadOnlySpan<float> Activities(int layer) => inner.Activities(layer);
        public ReadOnlySpan<float> Sensitivities(int layer) => inner.Sensitivities(layer);
        public void Update(float learningRate) => inner.Update(learningRate);
        public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> target, float learningRate) => throw new NotSupportedException();

        public float Backward(ReadOnlySpan<float> target)
        {
            float loss = inner.Backward(target);
            return Interlocked.Increment(ref calls.Value) >= n ? float.NaN : loss;
        }

        public void ForwardBatch(ReadOnlySpan<float> inputs, Span<float> outputs, int batch) => inner.ForwardBatch(inputs, outputs, batch);
        public float TrainStepBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, float learningRate) => throw new NotSupportedException();

        /// <summary>Counts each sample of the batch as one Backward.</summary>
        public float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch) => BackwardBatch(inputs, targets, batch, default);

        public float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Span<float> outputs)
        {
            float loss = inner.BackwardBatch(inputs, targets, batch, outputs);
            return Interlocked.Add(ref calls.Value, batch) >= n ? float.NaN : loss;
        }
    }
}
