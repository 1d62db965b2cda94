// One network's Forward in a fresh process, timed as an app that calls it once per event sees it: the first call
// (which includes compiling it, unless it was compiled ahead of time), the mean of calls 2-100 (back to back), and the
// steady state (the median of 21 blocks of calls after two seconds of calls). Prints one line:
//   network first_us calls2to100_us steady_us vector256 vector512
// With "weights-embedded" or "weights-file" it times instead what an app pays to get its trained network: Main to the
// end of the first Forward of samples/Embedded's LeNet-5, its weights compiled in (new EmbeddedLeNet5()) or read from
// lenet.safetensors beside the executable (SafeTensors.Load, then new EmbeddedLeNet5(weights)). Prints one line:
//   mode main_to_first_forward_us
// bench/startup.sh runs it in every build (JIT with and without AggressiveOptimization, ReadyToRun, NativeAOT) and
// tabulates the runs.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NetCompiler;
using NetCompiler.Samples;
using NetCompiler.Serialization;

namespace NetCompiler.Startup;

/// <summary>2-8-1 tanh, the size of RTNeural's comparisons.</summary>
[Network, Input(2), Dense(8, Activation.Tanh), Dense(1, Activation.Tanh)]
public partial class Tiny { }

/// <summary>784-128-10, MLP-S.</summary>
[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax)]
public partial class MlpS { }

/// <summary>samples/Embedded's inference-only LeNet-5 with its trained weights compiled in (the weights-* modes).</summary>
[Network(Weights = "../../samples/Embedded/models/lenet.safetensors")]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
[Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
{
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.",
    "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
})]
[AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
[Conv2D(120, 5, Activation.Tanh, Name = "C5")]
[Dense(84, Activation.Tanh, Name = "F6")]
[Dense(10, Activation.Softmax, Name = "output")]
public partial class EmbeddedLeNet5 { }

/// <summary>Calls one network's Forward directly: a struct type argument gets its own compiled Measure, so the call is not an interface dispatch (whose stub is built on the second call).</summary>
internal interface IForward
{
    int InputSize { get; }
    int OutputSize { get; }
    void Forward(ReadOnlySpan<float> input, Span<float> output);
}

internal readonly struct TinyForward(Tiny network) : IForward
{
    public int InputSize => Tiny.InputSize;
    public int OutputSize => Tiny.OutputSize;
    public void Forward(ReadOnlySpan<float> input, Span<float> output) => network.Forward(input, output);
}

internal readonly struct MlpSForward(MlpS network) : IForward
{
    public int InputSize => MlpS.InputSize;
    public int OutputSize => MlpS.OutputSize;
    public void Forward(ReadOnlySpan<float> input, Span<float> output) => network.Forward(input, output);
}

internal readonly struct LeNet5Forward(LeNet5 network) : IForward
{
    public int InputSize => LeNet5.InputSize;
    public int OutputSize => LeNet5.OutputSize;
    public void Forward(ReadOnlySpan<float> input, Span<float> output) => network.Forward(input, output);
}

public static class Program
{
    public static int Main(string[] args)
    {
        long main = Stopwatch.GetTimestamp();
        if (args is ["weights-embedded" or "weights-file"]) return FirstForward(args[0], main);
        string network = args.Length == 1 ? args[0] : "";
        (double First, double Calls2To100, double Steady) times;
        switch (network)
        {
            case "2-8-1": times = Measure(new TinyForward(new Tiny())); break;
            case "784-128-10": times = Measure(new MlpSForward(new MlpS())); break;
            case "LeNet-5": times = Measure(new LeNet5Forward(new LeNet5())); break;
            default:
                Console.Error.WriteLine("usage: NetCompiler.Startup 2-8-1|784-128-10|LeNet-5|weights-embedded|weights-file");
                return 2;
        }
        Console.WriteLine(string.Join(" ", network, F(times.First), F(times.Calls2To100), F(times.Steady),
            Vector256.IsHardwareAccelerated, Vector512.IsHardwareAccelerated));
        return 0;
    }

    /// <summary>Main to the end of the first Forward, with the weights compiled in or read from the file.</summary>
    private static int FirstForward(string mode, long main)
    {
        EmbeddedLeNet5 network = mode == "weights-embedded"
            ? new EmbeddedLeNet5()
            : new EmbeddedLeNet5(SafeTensors.Load<float>(Path.Combine(AppContext.BaseDirectory, "lenet.safetensors"), EmbeddedLeNet5.Topology));
        var input = new float[EmbeddedLeNet5.InputSize];
        var output = new float[EmbeddedLeNet5.OutputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;
        network.Forward(input, output);
        long end = Stopwatch.GetTimestamp();
        if (!float.IsFinite(output[0])) throw new InvalidOperationException("Forward gave " + output[0]);
        Console.WriteLine(mode + " " + F(Microseconds(end - main)));
        return 0;
    }

    private static string F(double microseconds) => microseconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Compiled fully optimised before its first call, so that the harness adds nothing of its own to the calls it times.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static (double First, double Calls2To100, double Steady) Measure<TNetwork>(TNetwork network) where TNetwork : struct, IForward
    {
        var input = new float[network.InputSize];
        var output = new float[network.OutputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;

        long start = Stopwatch.GetTimestamp();
        network.Forward(input, output);
        long first = Stopwatch.GetTimestamp();
        for (int call = 2; call <= 100; call++) network.Forward(input, output);
        long hundredth = Stopwatch.GetTimestamp();

        // Steady state: two seconds of calls (tiered compilation has long finished), then blocks of about 5 ms.
        long warm = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        int calls = 0;
        while (Stopwatch.GetTimestamp() < warm) { network.Forward(input, output); calls++; }
        int block = Math.Max(1, calls / 400);
        var blocks = new double[21];
        for (int b = 0; b < blocks.Length; b++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < block; i++) network.Forward(input, output);
            blocks[b] = Microseconds(Stopwatch.GetTimestamp() - t0) / block;
        }
        Array.Sort(blocks);
        if (!float.IsFinite(output[0])) throw new InvalidOperationException("Forward gave " + output[0]);
        return (Microseconds(first - start), Microseconds(hundredth - first) / 99, blocks[blocks.Length / 2]);
    }

    private static double Microseconds(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
}
