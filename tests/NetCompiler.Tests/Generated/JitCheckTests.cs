using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// No generated method is compiled with MinOpts: runs tests/NetCompiler.JitCheck (784-128-10 in float and double, a
/// stack of layers built to exhaust the unrolling budget, narrow scalar layers, two inputs into 4,096 and 65,536 units, LeNet-5, the issue's example graph and the app's CNN,
/// whose layers each have a ForwardLayer/BackwardLayer method that the summary must also show fully optimised) with the JIT's own summary
/// (DOTNET_JitStdOutFile + DOTNET_JitDisasmSummary=1) and reads how each method was compiled. Tiered compilation
/// is off, so every method is compiled once, fully optimised unless the JIT falls back to MinOpts. JitCheck also
/// compares the dense chains' batched results with the per-sample ones, and the 784-128-10 networks' fused TrainStep
/// with Forward, Backward and Update bit for bit; a second run with AVX-512 disabled covers the Vector256 fallback of
/// the batched kernels and of the per-sample streaming kernels (Forward, Backward, TrainStep, Update).
/// </summary>
public class JitCheckTests(ITestOutputHelper output)
{
    private static readonly string[] Networks = { "Mlp784", "Mlp784Double", "UnrolledStack", "Narrow", "NarrowWide", "NarrowHuge", "LeNet5", "IssueExample", "SmallCnn" };
    private static readonly string[] Methods = { "ForwardCore", "Forward", "Backward", "Update", "TrainStep", "ForwardBatch", "BackwardBatch", "TrainStepBatch" };
    /// <summary>The dense chains and their layer counts: each layer has its own ForwardBatchLayer{l} and BackwardBatchLayer{l}.</summary>
    private static readonly (string Network, int Layers)[] Chains = { ("Mlp784", 2), ("Mlp784Double", 2), ("UnrolledStack", 12), ("Narrow", 4), ("NarrowWide", 2), ("NarrowHuge", 2) };
    /// <summary>The graph networks and their layer counts: each layer has its own ForwardLayer{l} and BackwardLayer{l}.</summary>
    private static readonly (string Network, int Layers)[] Graphs = { ("LeNet5", 7), ("IssueExample", 8), ("SmallCnn", 6), ("WideKernel", 2) };

    /// <summary>
    /// The Vector512 kernels of the wide layers (at least one Vector512 of inputs) of the 784-128-10 networks, and
    /// ForwardBatch's feature-major path (JitCheck's batch of 67 runs a full chunk through it; the helpers too small to
    /// stay methods of their own may be inlined).
    /// </summary>
    private static readonly string[] WideMethods =
    {
        "ForwardBatchLayer1Vector512", "ForwardBatchLayer2Vector512", "GradientBatchLayer1Vector512", "GradientBatchLayer2Vector512", "InputSensitivityBatchLayer2Vector512",
        "TransposeInputsFeatureMajor", "ForwardFeatureMajorLayer1", "ForwardFeatureMajorLayer2",
    };

    [Fact]
    public void NoGeneratedMethodIsCompiledWithMinOpts()
    {
        (List<string> lines, string stdout) = RunJitCheck(new Dictionary<string, string>());
        foreach (string network in Networks)
            foreach (string method in Methods)
                Assert.True(lines.Any(l => l.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        foreach ((string network, int layers) in Graphs)
            for (int l = 1; l <= layers; l++)
                foreach (string method in new[] { "ForwardLayer" + l, "BackwardLayer" + l })
                    Assert.True(lines.Any(line => line.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        foreach ((string network, int layers) in Chains)
        {
            var methods = new List<string>(); // ForwardBatchCore and BackwardBatchOutput may be inlined
            for (int l = 1; l <= layers; l++) methods.AddRange(new[] { "ForwardBatchLayer" + l, "BackwardBatchLayer" + l });
            foreach (string method in methods)
                Assert.True(lines.Any(line => line.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        }
        // ForwardBatch's and BackwardBatch's lanes path (ExerciseBatch's 67 samples: four chunks of 16, then 3 per sample);
        // without AVX-512, BackwardBatch's deferred g_W instead (AssertDeferredKernelsRan).
        if (Vector512.IsHardwareAccelerated)
            foreach ((string network, int layers) in Graphs.Where(g => g.Network != "SmallCnn")) // the CNN's lanes buffers exceed Tuning.LanesBytes
                for (int l = 0; l <= layers; l++)
                    foreach (string method in l == 0 ? new[] { "ForwardLanes", "BackwardLanes", "BackwardLanesOutput" } : new[] { "LanesLayer" + l, "BackwardLanesLayer" + l })
                        Assert.True(lines.Any(line => line.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        else AssertDeferredKernelsRan(lines);
        if (Vector512.IsHardwareAccelerated) // the child runs on this machine, so it takes the Vector512 kernels too
            foreach (string network in new[] { "Mlp784", "Mlp784Double" })
                foreach (string method in WideMethods)
                    Assert.True(lines.Any(line => line.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        AssertFullOpts(lines);
        AssertBatchMatchesPerSample(stdout);
        AssertTrainStepIsThePhases(stdout);
    }

    /// <summary>
    /// The Vector256 fallback of the batched kernels, which machines without AVX-512 run: JitCheck in a child process
    /// with AVX-512 disabled (DOTNET_EnableAVX512 from .NET 10, DOTNET_EnableAVX512F before), so Vector512 is not
    /// accelerated, no Vector512 method (nor the feature-major and lanes paths, which are Vector512 only) is compiled, every method is fully optimised and the batched results match the
    /// per-sample ones (BatchTests covers the same with the Vector512 kernels on machines that have them).
    /// </summary>
    [Fact]
    public void WithoutAvx512TheVector256KernelsRunFullyOptimisedAndMatchThePerSamplePath()
    {
        (List<string> lines, string stdout) = RunJitCheck(new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0", ["DOTNET_EnableAVX512F"] = "0" });
        Assert.Contains("Vector512.IsHardwareAccelerated False", stdout);
        Assert.Contains(lines, line => line.Contains(".Mlp784:BackwardBatchLayer2("));
        AssertDeferredKernelsRan(lines);
        List<string> wide = lines.Where(line => line.Contains("Vector512(") || line.Contains("FeatureMajor") || line.Contains(":LanesLayer") || line.Contains(":ForwardLanes(")).ToList();
        Assert.True(wide.Count == 0, "Vector512 kernels compiled without AVX-512:\n" + string.Join("\n", wide));
        AssertFullOpts(lines);
        AssertBatchMatchesPerSample(stdout);
        AssertTrainStepIsThePhases(stdout);
    }

    /// <summary>
    /// With tiered compilation on, as in any app, every generated method that computes (the entry points, the layers'
    /// methods and the batched kernels) is compiled once, fully optimised, on its first call and never as Tier-0
    /// code: they carry MethodImplOptions.AggressiveOptimization (GeneratorOptions), which is what keeps calls 2-100
    /// at steady-state speed (bench/RESULTS.md, "NativeAOT and first calls"). A layer's method may be inlined into its fully
    /// optimised caller instead; the entry points must appear. The constructor and the small accessors stay tiered.
    /// </summary>
    [Fact]
    public void WithTieredCompilationTheComputingMethodsStartFullyOptimised()
    {
        (List<string> lines, _) = RunJitCheck(new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "1" });
        foreach (string network in Networks)
            foreach (string method in Methods)
                Assert.True(lines.Any(l => l.Contains("." + network + ":" + method + "(")), $"{network}.{method} does not appear in the JIT summary");
        string[] computing = Methods.Concat(new[] { "ForwardLayer", "BackwardLayer", "LanesLayer", "ForwardLanes", "ForwardBatchLayer", "BackwardBatchLayer", "GradientBatchLayer", "InputSensitivityBatchLayer" }).ToArray();
        List<string> tiered = lines
            .Where(l => computing.Any(method => l.Contains(":" + method + "(") || System.Text.RegularExpressions.Regex.IsMatch(l, ":" + method + "[0-9]+(Vector512)?\\(")))
            .Where(l => !l.Contains("[FullOpts"))
            .ToList();
        Assert.True(tiered.Count == 0, "Computing methods compiled through tiering:\n" + string.Join("\n", tiered));
        Assert.Contains(lines, l => l.Contains("[Tier0")); // tiering was on: the accessors went through Tier-0
    }

    /// <summary>BackwardBatch's deferred g_W, which runs where the lanes path does not: by rows (LeNet-5's C5 and F6) and with the samples in lanes (its C3, and a 7-wide kernel).</summary>
    private static void AssertDeferredKernelsRan(List<string> lines)
    {
        foreach ((string network, int layer) in new[] { ("LeNet5", 3), ("LeNet5", 5), ("LeNet5", 6), ("WideKernel", 1) })
            Assert.True(lines.Any(line => line.Contains("." + network + ":DeferredGradientLayer" + layer + "(")), $"{network}.DeferredGradientLayer{layer} does not appear in the JIT summary");
    }

    /// <summary>JitCheck's lines "trainstep {network} {k}": the fused TrainStep of the 784-128-10 networks equals Forward, Backward and Update in every bit (k = 0).</summary>
    private static void AssertTrainStepIsThePhases(string stdout)
    {
        foreach (string network in new[] { "Mlp784", "Mlp784Double" })
            Assert.Contains("trainstep " + network + " 0", stdout.Split('\n').Select(l => l.Trim()));
    }

    private static void AssertFullOpts(List<string> lines)
    {
        List<string> notOptimised = lines.Where(l => !l.Contains("[FullOpts")).ToList();
        Assert.True(notOptimised.Count == 0, "Compiled without full optimisation:\n" + string.Join("\n", notOptimised));
    }

    /// <summary>JitCheck's lines "batch {network} {what} {worst} {τ}": every network's outputs, loss and gradients within τ.</summary>
    private void AssertBatchMatchesPerSample(string stdout)
    {
        var results = stdout.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("batch ", StringComparison.Ordinal)).ToList();
        foreach ((string network, _) in Chains)
            foreach (string what in new[] { "outputs", "loss", "gradients" })
                Assert.Contains(results, r => r.StartsWith("batch " + network + " " + what + " ", StringComparison.Ordinal));
        foreach (string result in results)
        {
            output.WriteLine(result);
            string[] parts = result.Split(' ');
            double worst = double.Parse(parts[3], CultureInfo.InvariantCulture), tolerance = double.Parse(parts[4], CultureInfo.InvariantCulture);
            Assert.True(worst <= tolerance, "Batched differs from per-sample: " + result);
        }
    }

    /// <summary>Runs JitCheck with the JIT's summary on and <paramref name="environment"/>; returns the summary's lines for generated methods and the program's output.</summary>
    private (List<string> Lines, string Stdout) RunJitCheck(Dictionary<string, string> environment)
    {
        string program = JitCheckProgram();
        string summary = Path.Combine(Path.GetTempPath(), "netcompiler-jit-" + Guid.NewGuid().ToString("N") + ".txt");
        var start = new ProcessStartInfo("dotnet", "\"" + program + "\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_TieredCompilation"] = "0";
        start.Environment["DOTNET_JitStdOutFile"] = summary;
        start.Environment["DOTNET_JitDisasmSummary"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        try
        {
            string stdout;
            using (Process process = Process.Start(start)!)
            {
                stdout = process.StandardOutput.ReadToEnd();
                string stderr = process.StandardError.ReadToEnd();
                Assert.True(process.WaitForExit(120_000), "JitCheck did not finish in two minutes");
                Assert.True(process.ExitCode == 0, $"JitCheck exited with {process.ExitCode}: {stdout}{stderr}");
            }
            var lines = File.ReadAllLines(summary).Where(l => l.Contains("JIT compiled NetCompiler.JitCheck.") && !l.Contains(".Program:")).ToList();
            foreach (string line in lines) output.WriteLine(line.Trim());
            return (lines, stdout);
        }
        finally
        {
            File.Delete(summary);
        }
    }

    /// <summary>
    /// The Vector256 fallback of the kernels that have a Vector512 version computes the same bits: JitCheck's "outputs"
    /// (forward, loss and gradients of LeNet-5, the issue's example and the flat-kernel cases, float and double) run
    /// as is and with AVX-512 disabled (DOTNET_EnableAVX512=0, and DOTNET_EnableAVX512F=0 for runtimes before .NET 10),
    /// the two texts compared. BackwardBatch's lines come from different paths (lanes with AVX-512, the per-sample
    /// path with its deferred g_W without) and are compared within a tolerance. The Vector512 path itself is checked
    /// against the interpreter by the other tests where the machine has AVX-512.
    /// </summary>
    [Fact]
    public void Vector256FallbackComputesTheSameBitsAsVector512()
    {
        string accelerated = RunOutputs(disableAvx512: false), fallback = RunOutputs(disableAvx512: true);
        Assert.Contains("Vector512.IsHardwareAccelerated: False", fallback);
        if (!accelerated.Contains("Vector512.IsHardwareAccelerated: True"))
            output.WriteLine("This machine has no Vector512 acceleration: both runs took the Vector256 path.");
        string[] expected = accelerated.Split('\n').Skip(1).ToArray(), actual = fallback.Split('\n').Skip(1).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            if (expected[k].Contains(" batch ", StringComparison.Ordinal)) AssertBatchLineClose(expected[k], actual[k]);
            else Assert.True(expected[k] == actual[k], "Vector512 and Vector256 differ:\n  " + expected[k] + "\n  " + actual[k]);
        }
    }

    /// <summary>
    /// BackwardBatch's loss or gradients ("{network} batch …: " and float bits): with AVX-512 its chunks of 16 run in lanes,
    /// without it they take the per-sample path with the deferred g_W, so the sums are in another order. They must
    /// agree within <see cref="BatchPathsTolerance"/> of the line's largest value.
    /// </summary>
    private void AssertBatchLineClose(string expectedLine, string actualLine)
    {
        static float[] Values(string line) => line.Substring(line.IndexOf(": ", StringComparison.Ordinal) + 2).Trim().Split(' ')
            .Select(bits => BitConverter.Int32BitsToSingle(int.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray();
        float[] expected = Values(expectedLine), actual = Values(actualLine);
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
        for (int k = 0; k < expected.Length; k++) worst = Math.Max(worst, Math.Abs((double)expected[k] - actual[k]) / scale);
        string report = expectedLine.Substring(0, expectedLine.IndexOf(": ", StringComparison.Ordinal)) + $": the two paths differ by at most {worst:E2} of the largest value {scale:E3}";
        output.WriteLine(report);
        Assert.True(worst <= BatchPathsTolerance, report);
    }

    /// <summary>BackwardBatch's two paths' loss and gradients agree within 1e-5 of the largest value (float sums in other orders).</summary>
    private const double BatchPathsTolerance = 1e-5;

    private static string RunOutputs(bool disableAvx512)
    {
        var start = new ProcessStartInfo("dotnet", "\"" + JitCheckProgram() + "\" outputs")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (disableAvx512)
        {
            start.Environment["DOTNET_EnableAVX512"] = "0";
            start.Environment["DOTNET_EnableAVX512F"] = "0";
        }
        using Process process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "JitCheck did not finish in two minutes");
        Assert.True(process.ExitCode == 0, $"JitCheck exited with {process.ExitCode}: {stdout}{stderr}");
        return stdout.Replace("\r\n", "\n");
    }

    /// <summary>The JitCheck build beside this test's build: same configuration and target framework.</summary>
    private static string JitCheckProgram()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = here.Name, configuration = here.Parent!.Name;
        DirectoryInfo tests = here.Parent.Parent!.Parent!.Parent!;
        string program = Path.Combine(tests.FullName, "NetCompiler.JitCheck", "bin", configuration, framework, "NetCompiler.JitCheck.dll");
        Assert.True(File.Exists(program), $"JitCheck is not built at {program}; the test project builds it through a ProjectReference.");
        return program;
    }
}
