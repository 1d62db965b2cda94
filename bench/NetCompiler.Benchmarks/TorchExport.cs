// The .NET half of the PyTorch comparison: each benchmark network's weights (safetensors, PyTorch names and shapes),
// and for one input its output, loss and gradients, which bench/torch_bench.py loads and must reproduce before it
// times anything, so that a wrong PyTorch network cannot look fast.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --export-weights DIR
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --torch [DIR] [-- script arguments, e.g. --quick]
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using NetCompiler.Serialization;

namespace NetCompiler.Benchmarks;

public static class TorchExport
{
    /// <summary>The networks of the comparison: file stem and the label the script and the tables use.</summary>
    public static readonly (string Stem, string Label)[] Networks =
    {
        ("tiny", Engines.Tiny), ("small", Engines.Small), ("mlp-s", Engines.MlpS), ("mlp-m", Engines.MlpM), ("lenet5", Engines.LeNet5),
    };

    public const string DefaultDirectory = "BenchmarkDotNet.Artifacts/torch";

    public static int Run(string[] args)
    {
        int separator = Array.IndexOf(args, "--");
        string[] own = separator < 0 ? args : args[..separator];
        string[] scriptArgs = separator < 0 ? Array.Empty<string>() : args[(separator + 1)..];
        bool torch = own[0] == "--torch";
        if (own.Length > 2 || (!torch && own.Length != 2))
        {
            Console.Error.WriteLine("usage: --export-weights DIR | --torch [DIR] [-- script arguments]");
            return 2;
        }
        string directory = own.Length == 2 ? own[1] : DefaultDirectory;
        Export(directory);
        return torch ? RunScript(directory, scriptArgs) : 0;
    }

    /// <summary>Writes, per network, STEM.safetensors (weights), STEM.grad.safetensors (∂L/∂θ for the reference input, same
    /// names and shapes) and STEM.json (input, target, output and loss); and networks.json listing them.</summary>
    public static void Export(string directory)
    {
        Directory.CreateDirectory(directory);
        var manifest = new List<object>();
        foreach (var (stem, label) in Networks)
        {
            // The very weights, input and target the .NET tables use (Engines builds them, and checks its engines on them).
            using var engines = new Engines(label);
            INetwork<float> network = engines.Generated;
            float[] input = engines.Input, target = engines.Target;
            var output = new float[network.OutputSize];
            SafeTensors.Save(Path.Combine(directory, stem + ".safetensors"), network,
                new Dictionary<string, string> { ["network"] = label });

            network.Gradients.Clear();
            network.Forward(input, output);
            float loss = network.Backward(target);
            // The gradients in the parameters' layout, written through a network of the same topology so that they get the
            // same names and shapes as the weights (a connection table's absent kernels as zeros).
            var holder = new InterpretedNetwork<float>(network.Topology);
            network.Gradients.CopyTo(holder.Parameters);
            SafeTensors.Save(Path.Combine(directory, stem + ".grad.safetensors"), holder,
                new Dictionary<string, string> { ["network"] = label, ["content"] = "gradients of the loss for " + stem + ".json's input" });

            var reference = new { network = label, topology = network.Topology.ToString(), input, target, output, loss };
            File.WriteAllText(Path.Combine(directory, stem + ".json"), JsonSerializer.Serialize(reference));
            manifest.Add(new { stem, network = label, parameters = network.ParameterCount });
        }
        File.WriteAllText(Path.Combine(directory, "networks.json"),
            JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Exported {Networks.Length} networks' weights, reference outputs and gradients to {Path.GetFullPath(directory)}");
    }

    private static int RunScript(string directory, string[] scriptArgs)
    {
        string? script = FindScript();
        if (script is null)
        {
            Console.Error.WriteLine("bench/torch_bench.py not found above the current directory or the program's directory.");
            return 1;
        }
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(directory);
        foreach (string a in scriptArgs) start.ArgumentList.Add(a);
        Console.WriteLine($"{python} {string.Join(' ', start.ArgumentList)}");
        try
        {
            using Process process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (Win32Exception e)
        {
            Console.Error.WriteLine($"Cannot run {python} ({e.Message}). The comparison needs Python 3 with PyTorch: apt-get install python3-torch");
            return 1;
        }
    }

    private static string? FindScript()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "bench", "torch_bench.py");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
