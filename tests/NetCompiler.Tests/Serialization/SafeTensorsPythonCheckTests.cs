using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// Files written by <see cref="SafeTensors.Save{T}"/> read by an independent reader, tools/safetensors_check.py
/// (python3 standard library: struct + json), which checks them strictly against the specification and prints each
/// tensor's name, dtype, shape, exact sums (math.fsum) of v_i and of (i + 1)·v_i (which catches permuted values) and
/// first values. The first values must equal the network's parameters exactly; the sums agree within n·2⁻⁵²·Σ|term|,
/// the bound of the C# side's n − 1 rounded double additions (fsum rounds once; the products round alike on both sides).
/// python3 is required: without it these tests fail, they are not skipped.
/// </summary>
public sealed class SafeTensorsPythonCheckTests : IDisposable
{
    private const int FirstValues = 8;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void LeNet5_float_file_reads_back_in_python() => Check(Network<float>("lenet", seed: 5), "F32");

    [Fact]
    public void Graph_double_file_reads_back_in_python() => Check(Network<double>("graph", seed: 6), "F64");

    [Fact]
    public void Mlp_float_file_reads_back_in_python() => Check(Network<float>("mlp", seed: 7), "F32");

    [Fact]
    public void The_python_checker_rejects_a_corrupt_file()
    {
        string path = _directory.File("bad.safetensors");
        SafeTensors.Save(path, Network<float>("mlp", seed: 1));
        byte[] file = File.ReadAllBytes(path);
        File.WriteAllBytes(path, file[..^4]);
        (int code, string stdout, string stderr) = RunChecker(path);
        Assert.Equal(1, code);
        Assert.Contains("truncated", stderr);
        Assert.DoesNotContain("ok\t", stdout);
    }

    private void Check<T>(InterpretedNetwork<T> network, string dtype) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string path = _directory.File("net.safetensors");
        SafeTensors.Save(path, network, new Dictionary<string, string> { ["run"] = "python check" });
        (int code, string stdout, string stderr) = RunChecker(path);
        Assert.True(code == 0, "safetensors_check.py rejected the file: " + stderr);

        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var metadata = lines.Where(l => l.StartsWith("metadata\t", StringComparison.Ordinal)).Select(l => l.Split('\t'))
            .ToDictionary(f => f[1], f => f[2]);
        Assert.Equal("netcompiler", metadata["format"]);
        Assert.Equal(network.Topology.ToString(), metadata["topology"]);
        Assert.Equal("python check", metadata["run"]);

        string[][] tensors = lines.Where(l => l.StartsWith("tensor\t", StringComparison.Ordinal)).Select(l => l.Split('\t')).ToArray();
        List<(string Name, int[] Shape, double[] Values)> expected = Expected(network);
        Assert.Equal(expected.Select(t => t.Name), tensors.Select(f => f[1]));
        foreach (((string name, int[] shape, double[] values), string[] fields) in expected.Zip(tensors))
        {
            Assert.Equal(dtype, fields[2]);
            Assert.Equal(string.Join(",", shape), fields[3]);
            double sum = values.Sum(), scale = values.Sum(Math.Abs);
            double printed = double.Parse(fields[4], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(printed - sum) <= values.Length * Math.Pow(2, -52) * scale, $"{name}: python sum {printed}, C# {sum}");
            double[] terms = values.Select((v, i) => (i + 1) * v).ToArray();
            double weighted = terms.Sum(), weightedScale = terms.Sum(Math.Abs);
            double printedWeighted = double.Parse(fields[5], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(printedWeighted - weighted) <= values.Length * Math.Pow(2, -52) * weightedScale,
                $"{name}: python weighted sum {printedWeighted}, C# {weighted}");
            double[] first = fields[6].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(values.Take(FirstValues), first); // exact: float → double is exact on both sides
        }
        long parameterBytes = expected.Sum(t => (long)t.Values.Length) * (dtype == "F32" ? 4 : 8);
        Assert.Equal($"ok\t{expected.Count}\t{parameterBytes}", lines[^1]);
    }

    private static (int Code, string Stdout, string Stderr) RunChecker(string path)
    {
        string script = Path.Combine(RepositoryRoot(), "tools", "safetensors_check.py");
        Assert.True(File.Exists(script), "missing " + script);
        string? python = FindOnPath("python3");
        if (python is null)
            Assert.Fail("python3 is not installed, and this test needs it to run tools/safetensors_check.py: install it "
                + "(for example `apt-get install -y python3`; .ci/run does this when python3 is missing).");
        var start = new ProcessStartInfo(python!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add("--values");
        start.ArgumentList.Add(FirstValues.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            Assert.Fail("safetensors_check.py did not finish within 60 s");
        }
        return (process.ExitCode, stdout, stderrTask.Result);
    }

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (directory.Length == 0) continue;
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "NetCompiler.sln"))) return directory.FullName;
        throw new InvalidOperationException("NetCompiler.sln not found above " + AppContext.BaseDirectory);
    }
}
