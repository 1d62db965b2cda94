using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// No generated method is compiled with MinOpts: runs tests/NetCompiler.JitCheck (784-128-10 in float and double, a
/// stack of layers built to exhaust the unrolling budget, narrow scalar layers, LeNet-5 and the example graph,
/// whose layers each have a ForwardLayer/BackwardLayer method that the summary must also show fully optimised) with the JIT's own summary
/// (DOTNET_JitStdOutFile + DOTNET_JitDisasmSummary=1) and reads how each method was compiled. Tiered compilation
/// is off, so every method is compiled once, fully optimised unless the JIT falls back to MinOpts.
/// </summary>
public class JitCheckTests(ITestOutputHelper output)
{
    private static readonly string[] Networks = { "Mlp784", "Mlp784Double", "UnrolledStack", "Narrow", "LeNet5", "IssueExample" };
    private static readonly string[] Methods = { "ForwardCore", "Forward", "Backward", "Update", "TrainStep", "ForwardBatch", "BackwardBatch", "TrainStepBatch" };
    /// <summary>The dense chains and their layer counts: each layer has its own ForwardBatchLayer{l} and BackwardBatchLayer{l}.</summary>
    private static readonly (string Network, int Layers)[] Chains = { ("Mlp784", 2), ("Mlp784Double", 2), ("UnrolledStack", 12), ("Narrow", 4) };
    /// <summary>The graph networks and their layer counts: each layer has its own ForwardLayer{l} and BackwardLayer{l}.</summary>
    private static readonly (string Network, int Layers)[] Graphs = { ("LeNet5", 7), ("IssueExample", 8) };

    [Fact]
    public void NoGeneratedMethodIsCompiledWithMinOpts()
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
        try
        {
            using (Process process = Process.Start(start)!)
            {
                string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
                Assert.True(process.WaitForExit(120_000), "JitCheck did not finish in two minutes");
                Assert.True(process.ExitCode == 0, $"JitCheck exited with {process.ExitCode}: {stdout}{stderr}");
            }

            var lines = File.ReadAllLines(summary).Where(l => l.Contains("JIT compiled NetCompiler.JitCheck.") && !l.Contains(".Program:")).ToList();
            foreach (string line in lines) output.WriteLine(line.Trim());
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
            List<string> notOptimised = lines.Where(l => !l.Contains("[FullOpts")).ToList();
            Assert.True(notOptimised.Count == 0, "Compiled without full optimisation:\n" + string.Join("\n", notOptimised));
        }
        finally
        {
            File.Delete(summary);
        }
    }

    /// <summary>
    /// The Vector256 fallback of the kernels that have a Vector512 version computes the same bits: JitCheck's "outputs"
    /// (forward, loss and gradients of LeNet-5, the example and the flat-kernel cases, float and double) run
    /// as is and with AVX-512 disabled (DOTNET_EnableAVX512=0, and DOTNET_EnableAVX512F=0 for runtimes before .NET 10),
    /// the two texts compared. The Vector512 path itself is checked against the interpreter by the other tests
    /// where the machine has AVX-512.
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
            Assert.True(expected[k] == actual[k], "Vector512 and Vector256 differ:\n  " + expected[k] + "\n  " + actual[k]);
    }

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
