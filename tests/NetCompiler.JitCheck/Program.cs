using System;
using NetCompiler;

namespace NetCompiler.JitCheck;

/// <summary>784-128-10, the issue's example of a layer too large to unroll.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Mlp784 { }

/// <summary>The same in double.</summary>
[Network(Precision = Precision.Double), Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Mlp784Double { }

/// <summary>Many layers each just under the unroll limit, so the per-method budget is what stops unrolling.</summary>
[Network, Input(64), Dense(16, Activation.Tanh), Dense(16, Activation.Tanh), Dense(64, Activation.Sigmoid), Dense(16, Activation.ReLU),
 Dense(64, Activation.LeakyReLU), Dense(16, Activation.Tanh), Dense(64, Activation.Tanh), Dense(16, Activation.Tanh), Dense(64, Activation.Tanh),
 Dense(16, Activation.Tanh), Dense(64, Activation.Tanh), Dense(7, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class UnrolledStack { }

/// <summary>Narrow inputs: the scalar kernels, written out.</summary>
[Network, Input(7), Dense(7, Activation.Tanh), Dense(7, Activation.Tanh), Dense(7, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Narrow { }

/// <summary>
/// Two inputs into a wide layer (issue 18): the narrow kernels write out n vectors of W per vector of outputs, so the
/// planner gives them the cost model's budget; past it, this layer's kernels are the scalar loops (it compiled
/// BackwardBatchLayer1 with MinOpts, 92,881 bytes of IL, before).
/// </summary>
[Network, Input(2), Dense(4096, Activation.Tanh), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class NarrowWide { }

/// <summary>A 2 → 65,536 layer: 21 MB of source before the planner bounded the narrow kernels.</summary>
[Network, Input(2), Dense(65536, Activation.Tanh), Dense(6, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class NarrowHuge { }

/// <summary>LeNet-5 with C3's connection table: convolution, trainable pooling and a convolution that is a dense layer.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5 { }

/// <summary>The issue's example graph: convolution, both poolings, a residual Add and a dense layer with two sources.</summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2)]
[Conv2D(16, 5, Activation.Tanh)]
[MaxPool(2)]
[Dense(120, Activation.Tanh, Name = "h")]
[Dense(120, Activation.Tanh, Name = "g")]
[Add(Name = "r", From = new[] { "h", "g" })]
[Dense(10, Activation.Softmax, From = new[] { "r", "h" })]
[Loss(LossFunction.CrossEntropy)]
public partial class IssueExample { }

/// <summary>The flat convolution kernel's cases (see FlatConvNet in NetCompiler.Tests), for the "outputs" mode.</summary>
[Network, Input(2, 8, 20)]
[Conv2D(3, 9, Activation.Tanh, Padding = 4)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(4, 1, Activation.ReLU)]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 1)]
[AvgPool(2)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FlatConv { }

[Network(Precision = Precision.Double), Input(2, 8, 20)]
[Conv2D(3, 9, Activation.Tanh, Padding = 4)]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(4, 1, Activation.ReLU)]
[Conv2D(2, 3, Activation.Sigmoid, Padding = 1)]
[AvgPool(2)]
[Dense(3, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class FlatConvDouble { }

/// <summary>A convolution that is a dense layer with a masked last chunk and a remainder block of rows, for the "outputs" mode.</summary>
[Network, Input(3, 5, 5), Conv2D(11, 5, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class DenseConv { }

[Network(Precision = Precision.Double), Input(3, 5, 5), Conv2D(11, 5, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class DenseConvDouble { }

/// <summary>
/// The Fashion-MNIST app's CNN: ReLU, max pooling, and the flat kernels 4 maps a pass over 32 and 64 maps (g_w's
/// 4-map blocks on Vector512, one map on the Vector256 fallback), for every mode.
/// </summary>
[Network, Input(1, 28, 28), Conv2D(32, 3, Activation.ReLU, Padding = 1), MaxPool(2), Conv2D(64, 3, Activation.ReLU, Padding = 1), MaxPool(2),
 Dense(24, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class SmallCnn { }

/// <summary>x̂ by rows in double (rows of 7: one Vector512, two Vector256), under a connection table, for the "outputs" mode.</summary>
[Network(Precision = Precision.Double), Input(2, 6, 7), Conv2D(3, 3, Activation.Tanh, Padding = 1),
 Conv2D(2, 3, Activation.Tanh, Connections = new[] { "XX.", ".XX" }), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class RowsDouble { }

/// <summary>The widest kernel whose g_w BackwardBatch sums with the samples in lanes (7): one position a pass in the Vector256 fallback.</summary>
[Network, Input(2, 9, 30), Conv2D(3, 7, Activation.Tanh, Padding = 1), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class WideKernel { }

/// <summary>LeNet-5 in double, for the "outputs" mode.</summary>
[Network(Precision = Precision.Double)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(16, 5, Activation.Tanh, Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh)]
[Conv2D(120, 5, Activation.Tanh)]
[Dense(84, Activation.Tanh)]
[Dense(10, Activation.Softmax)]
[Loss(LossFunction.CrossEntropy)]
public partial class LeNet5Double { }


public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "outputs") return PrintOutputs();
        Exercise(new Mlp784(), 0.01f);
        Exercise(new Mlp784Double(), 0.01);
        Exercise(new UnrolledStack(), 0.01f);
        Exercise(new Narrow(), 0.01f);
        Exercise(new NarrowWide(), 0.01f);
        Exercise(new NarrowHuge(), 0.01f);
        Exercise(new LeNet5(), 0.01f);
        Exercise(new IssueExample(), 0.01f);
        Exercise(new SmallCnn(), 0.01f);
        Exercise(new RowsDouble(), 0.01);
        Exercise(new WideKernel(), 0.01f);
        ExerciseBatch(new Mlp784(), 0.01f);
        ExerciseBatch(new Mlp784Double(), 0.01);
        ExerciseBatch(new UnrolledStack(), 0.01f);
        ExerciseBatch(new Narrow(), 0.01f);
        ExerciseBatch(new NarrowWide(), 0.01f);
        ExerciseBatch(new NarrowHuge(), 0.01f);
        ExerciseBatch(new LeNet5(), 0.01f);
        ExerciseBatch(new IssueExample(), 0.01f);
        ExerciseBatch(new SmallCnn(), 0.01f);
        ExerciseBatch(new WideKernel(), 0.01f);
        Console.WriteLine("exercised every generated method");
        Console.WriteLine("Vector512.IsHardwareAccelerated " + System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
        CompareBatch<Mlp784, float>(new Mlp784(), new Mlp784(), 1e-5);
        CompareBatch<Mlp784Double, double>(new Mlp784Double(), new Mlp784Double(), 1e-12);
        CompareBatch<UnrolledStack, float>(new UnrolledStack(), new UnrolledStack(), 1e-5);
        CompareBatch<Narrow, float>(new Narrow(), new Narrow(), 1e-5);
        CompareBatch<NarrowWide, float>(new NarrowWide(), new NarrowWide(), 1e-5);
        CompareBatch<NarrowHuge, float>(new NarrowHuge(), new NarrowHuge(), 1e-5);
        CompareTrainStep(new Mlp784(), new Mlp784());
        CompareTrainStep(new Mlp784Double(), new Mlp784Double());
        return 0;
    }

    /// <summary>
    /// TrainStep (the SGD step fused into the backward pass) against Forward, Backward and Update from the same
    /// parameters, with gradients an earlier Backward left pending; prints "trainstep {network} {k}", k the number of
    /// parameters and gradients that differ in any bit (the test requires 0, with and without AVX-512).
    /// </summary>
    private static void CompareTrainStep<T>(INetwork<T> fused, INetwork<T> phases) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        fused.InitializeParameters(5);
        phases.InitializeParameters(5);
        var random = new Random(13);
        var input = new T[fused.InputSize];
        var output = new T[fused.OutputSize];
        var target = new T[fused.OutputSize];
        int differences = 0;
        for (int step = 0; step < 3; step++)
        {
            for (int k = 0; k < input.Length; k++) input[k] = T.CreateChecked(random.NextDouble());
            Array.Clear(target);
            target[step % target.Length] = T.One;
            if (step == 1)
            {
                fused.Forward(input, output);
                phases.Forward(input, output);
                fused.Backward(target);
                phases.Backward(target);
            }
            T loss = fused.TrainStep(input, target, T.CreateChecked(0.05));
            phases.Forward(input, output);
            if (!phases.Backward(target).Equals(loss)) differences++;
            phases.Update(T.CreateChecked(0.05));
            T[] a = fused.Parameters.ToArray(), e = phases.Parameters.ToArray(), g = fused.Gradients.ToArray();
            for (int k = 0; k < e.Length; k++)
                if (!a[k].Equals(e[k]) || !g[k].Equals(T.Zero)) differences++;
        }
        Console.WriteLine("trainstep " + fused.GetType().Name + " " + differences);
    }

    /// <summary>
    /// ForwardBatch and BackwardBatch against the per-sample Forward and Backward from the same parameters, over a batch
    /// that fills a chunk and leaves a remainder; prints one line per quantity: "batch {network} {what} {worst} {τ}",
    /// worst as NumericAssert in the test project measures it (|a − e| / (|e| + 16·u·max|e|/τ)), for the test to check.
    /// </summary>
    private static void CompareBatch<TNet, T>(TNet batched, TNet single, double tolerance) where TNet : INetwork<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int batch = 67;
        batched.InitializeParameters(3);
        single.InitializeParameters(3);
        int nIn = batched.InputSize, nOut = batched.OutputSize;
        var random = new Random(11);
        var inputs = new T[batch * nIn];
        var targets = new T[batch * nOut];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = T.CreateChecked(random.NextDouble() * 2 - 1);
        for (int b = 0; b < batch; b++) targets[b * nOut + random.Next(nOut)] = T.One;
        var outputs = new T[batch * nOut];
        var expected = new T[batch * nOut];
        batched.ForwardBatch(inputs, outputs, batch);
        T loss = batched.BackwardBatch(inputs, targets, batch), expectedLoss = T.Zero;
        for (int b = 0; b < batch; b++)
        {
            single.Forward(inputs.AsSpan(b * nIn, nIn), expected.AsSpan(b * nOut, nOut));
            expectedLoss += single.Backward(targets.AsSpan(b * nOut, nOut));
        }
        string name = typeof(TNet).Name;
        Report(name, "outputs", expected, outputs, tolerance);
        Report(name, "loss", new[] { expectedLoss }, new[] { loss }, tolerance);
        Report(name, "gradients", single.Gradients.ToArray(), batched.Gradients.ToArray(), tolerance);
    }

    private static void Report<T>(string network, string what, T[] expected, T[] actual, double tolerance) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double largest = 0, worst = 0, unitRoundoff = typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);
        foreach (T e in expected) largest = Math.Max(largest, Math.Abs(double.CreateChecked(e)));
        double floor = 16 * unitRoundoff * largest / tolerance;
        for (int k = 0; k < expected.Length; k++)
        {
            double e = double.CreateChecked(expected[k]), a = double.CreateChecked(actual[k]);
            double difference = a.Equals(e) ? 0 : double.IsFinite(a) ? Math.Abs(a - e) / (Math.Abs(e) + floor) : double.PositiveInfinity;
            worst = Math.Max(worst, difference);
        }
        Console.WriteLine(FormattableString.Invariant($"batch {network} {what} {worst:R} {tolerance:R}"));
    }

    /// <summary>
    /// "outputs": Forward, the loss and every gradient of the convolution networks on a fixed input, as exact bits, so
    /// that a test can run this once with Vector512 and once with AVX-512 disabled (DOTNET_EnableAVX512=0) and
    /// require the two kernels to agree bit for bit (they sum in the same order, with the same fused multiply-adds).
    /// </summary>
    private static int PrintOutputs()
    {
        Console.WriteLine("Vector512.IsHardwareAccelerated: " + System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated);
        Print<float>("LeNet5", new LeNet5());
        Print<double>("LeNet5Double", new LeNet5Double());
        Print<float>("IssueExample", new IssueExample());
        Print<float>("FlatConv", new FlatConv());
        Print<double>("FlatConvDouble", new FlatConvDouble());
        Print<float>("DenseConv", new DenseConv());
        Print<double>("DenseConvDouble", new DenseConvDouble());
        Print<double>("RowsDouble", new RowsDouble());
        Print<float>("SmallCnn", new SmallCnn());
        // BackwardBatch: a full record of 16 samples and a partial one of 4, so the g_w summed with the samples in
        // lanes (and SampleLanes' AVX-512 and AVX transposes) are compared too.
        PrintBatch<float>("LeNet5", new LeNet5());
        PrintBatch<float>("FlatConv", new FlatConv());
        PrintBatch<float>("WideKernel", new WideKernel());
        return 0;
    }

    private static void PrintBatch<T>(string name, INetwork<T> network) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int batch = 20;
        var inputs = new T[batch * network.InputSize];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = T.CreateTruncating(Math.Sin(0.37 * k + 0.1));
        var targets = new T[batch * network.OutputSize];
        for (int b = 0; b < batch; b++) targets[b * network.OutputSize + b % network.OutputSize] = T.One;
        T loss = network.BackwardBatch(inputs, targets, batch);
        Console.WriteLine(name + " batch loss: " + Bits(loss));
        Console.WriteLine(name + " batch gradients: " + string.Join(" ", Array.ConvertAll(network.Gradients.ToArray(), Bits)));
    }

    private static void Print<T>(string name, INetwork<T> network) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var input = new T[network.InputSize];
        for (int k = 0; k < input.Length; k++) input[k] = T.CreateTruncating(Math.Sin(0.37 * k + 0.1));
        var output = new T[network.OutputSize];
        var target = new T[network.OutputSize];
        target[network.OutputSize / 2] = T.One;
        network.Forward(input, output);
        T loss = network.Backward(target);
        Console.WriteLine(name + " output: " + string.Join(" ", Array.ConvertAll(output, Bits)));
        Console.WriteLine(name + " loss: " + Bits(loss));
        Console.WriteLine(name + " gradients: " + string.Join(" ", Array.ConvertAll(network.Gradients.ToArray(), Bits)));
    }

    private static string Bits<T>(T value) where T : unmanaged =>
        value is float f ? BitConverter.SingleToInt32Bits(f).ToString("x8") : BitConverter.DoubleToInt64Bits((double)(object)value).ToString("x16");

    private static void Exercise<T>(INetwork<T> network, T eta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var input = new T[network.InputSize];
        var output = new T[network.OutputSize];
        var target = new T[network.OutputSize];
        target[0] = T.One;
        network.Forward(input, output);
        network.Backward(target);
        network.Update(eta);
        network.TrainStep(input, target, eta);
    }

    /// <summary>The batched entry points with a batch that fills a chunk and leaves a remainder (both kernels of each tile loop).</summary>
    private static void ExerciseBatch<TNet, T>(TNet network, T eta) where TNet : INetwork<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int batch = 67;
        var inputs = new T[batch * network.InputSize];
        var outputs = new T[batch * network.OutputSize];
        var targets = new T[batch * network.OutputSize];
        for (int b = 0; b < batch; b++) targets[b * network.OutputSize] = T.One;
        network.ForwardBatch(inputs, outputs, batch);
        network.BackwardBatch(inputs, targets, batch);
        network.TrainStepBatch(inputs, targets, batch, eta);
    }
}
