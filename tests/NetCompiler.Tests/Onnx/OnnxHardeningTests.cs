using System;
using System.Diagnostics;
using System.Linq;
using NetCompiler.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// Hostile models the review found (issue 16): sizes whose products overflow, layers of no units, and many nodes of one
/// name. Each ends in a problem or an import, quickly, never in the importer's safety net.
/// </summary>
public class OnnxHardeningTests(ITestOutputHelper output)
{
    [Fact]
    public void An_input_whose_size_overflows_is_a_problem_not_a_wrapped_size()
    {
        // 2^21 · 2^21 · 2^22 = 2^64 values: a product in long wraps to 0.
        OnnxWriter writer = HandBuilt.Graph("N", "2097152", "2097152", "4194304");
        writer.Node("Flatten", "/flatten", ["x"], ["f"], OnnxWriter.Int("axis", 1));
        writer.Weight("fc.weight", [3, 4], seed: 1);
        writer.Node("Gemm", "/fc/Gemm", ["f", "fc.weight"], ["y"], OnnxWriter.Int("transB", 1));
        OnnxImport import = writer.Import("y");
        output.WriteLine(string.Join("\n", import.Problems));
        Assert.Null(import.Theta);
        Assert.Contains(import.Problems, p => p.Kind == OnnxProblemKind.Unrepresentable && p.Message.Contains("values per sample", StringComparison.Ordinal));
        Assert.DoesNotContain(import.Problems, p => p.Message.Contains("please report it", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Gemm")]
    [InlineData("Conv")]
    public void A_layer_of_no_units_is_a_problem(string op)
    {
        OnnxWriter writer = op == "Gemm" ? HandBuilt.Graph("N", "4") : HandBuilt.Graph("N", "2", "6", "6");
        if (op == "Gemm")
        {
            writer.Weight("fc.weight", [0, 4], seed: 1);
            writer.Node("Gemm", "/fc/Gemm", ["x", "fc.weight"], ["y"], OnnxWriter.Int("transB", 1));
        }
        else
        {
            writer.Weight("conv.weight", [0, 2, 3, 3], seed: 1);
            writer.Node("Conv", "/conv/Conv", ["x", "conv.weight"], ["y"], OnnxWriter.Ints("kernel_shape", 3, 3));
        }
        OnnxImport import = writer.Import("y");
        output.WriteLine(string.Join("\n", import.Problems));
        Assert.Contains(import.Problems, p => p.Kind == OnnxProblemKind.Unrepresentable);
        Assert.DoesNotContain(import.Problems, p => p.Message.Contains("please report it", StringComparison.Ordinal));
    }

    [Fact]
    public void Many_nodes_of_one_name_are_named_in_linear_time()
    {
        // 16,000 MaxPool(1) nodes all named "a": naming once took 5 s here (each layer retried a, a_2, a_3, … from the start).
        OnnxWriter writer = HandBuilt.Graph("N", "1", "2", "2");
        const int count = 16_000;
        for (int i = 0; i < count; i++)
            writer.Node("MaxPool", "a", [i == 0 ? "x" : "p" + (i - 1)], ["p" + i], OnnxWriter.Ints("kernel_shape", 1, 1));
        byte[] model = writer.Model("p" + (count - 1));
        var clock = Stopwatch.StartNew();
        OnnxImport import = HandBuilt.Import(model);
        output.WriteLine($"{count:N0} layers named in {clock.Elapsed.TotalSeconds:F3} s");
        Assert.Empty(import.Problems);
        Assert.Equal(count, import.Layers.Select(l => l.Name).Distinct().Count());
        Assert.Equal("a_16000", import.Layers[^1].Name);
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"{clock.Elapsed.TotalSeconds:F3} s");
    }
}
