using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// The shared reader (SafeTensorsFormat, which the generator compiles in too): a file that fits gives θ, a file that
/// does not gives one structured mismatch per problem, a malformed one a SafeTensorsException; SafeTensors.Load
/// reports the same mismatches in one exception.
/// </summary>
public sealed class SafeTensorsMismatchTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A LeNet-5 float file (seed 1) split into its metadata and tensors.</summary>
    private (string Path, JsonObject Metadata, List<RawTensor> Tensors) LeNet()
    {
        string path = _directory.File("lenet.safetensors");
        SafeTensors.Save(path, Network<float>("lenet", seed: 1));
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        return (path, metadata, tensors);
    }

    private static List<SafeTensorsMismatch> Mismatches(string path, string kind = "lenet")
    {
        double[]? theta = ReadShared(File.ReadAllBytes(path), Topology(kind, Precision.Single), out List<SafeTensorsMismatch> mismatches);
        Assert.Null(theta);
        Assert.NotEmpty(mismatches);
        return mismatches;
    }

    [Theory]
    [InlineData("mlp", Precision.Single)]
    [InlineData("lenet", Precision.Single)]
    [InlineData("graph", Precision.Double)]
    public void A_file_that_fits_gives_the_parameters_and_no_mismatches(string kind, Precision precision)
    {
        string path = _directory.File(kind + ".safetensors");
        double[] expected;
        if (precision == Precision.Double)
        {
            InterpretedNetwork<double> network = Network<double>(kind, seed: 3);
            SafeTensors.Save(path, network);
            expected = network.Parameters.ToArray();
        }
        else
        {
            InterpretedNetwork<float> network = Network<float>(kind, seed: 3);
            SafeTensors.Save(path, network);
            expected = network.Parameters.ToArray().Select(v => (double)v).ToArray();
        }
        double[]? theta = ReadShared(File.ReadAllBytes(path), Topology(kind, precision), out List<SafeTensorsMismatch> mismatches);
        Assert.Empty(mismatches);
        Assert.Equal(expected, theta);
    }

    [Fact]
    public void A_missing_tensor_names_it_and_its_shape()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        WriteRaw(path, metadata, tensors.Where(t => t.Name != "s2.bias"));
        SafeTensorsMismatch m = Assert.Single(Mismatches(path));
        Assert.Equal(SafeTensorsMismatchKind.MissingTensor, m.Kind);
        Assert.Equal("s2.bias", m.TensorName);
        Assert.Equal([6], m.ExpectedShape!);
        Assert.Null(m.FoundShape);
        Assert.Null(m.DType);
        Assert.Equal("missing tensor 's2.bias' [6]", m.Message);
    }

    [Fact]
    public void An_unexpected_tensor_names_it_its_shape_and_dtype()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        var extra = new RawTensor("extra.weight", new JsonObject { ["dtype"] = "F16", ["shape"] = new JsonArray(2, 3) }, new byte[12]);
        WriteRaw(path, metadata, tensors.Append(extra));
        SafeTensorsMismatch m = Assert.Single(Mismatches(path));
        Assert.Equal(SafeTensorsMismatchKind.UnexpectedTensor, m.Kind);
        Assert.Equal("extra.weight", m.TensorName);
        Assert.Null(m.ExpectedShape);
        Assert.Equal([2L, 3L], m.FoundShape!);
        Assert.Equal("F16", m.DType);
        Assert.Equal("unexpected tensor 'extra.weight' [2, 3] (this network has no such tensor)", m.Message);
    }

    [Fact]
    public void A_wrong_shape_gives_both_shapes()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        tensors.Single(t => t.Name == "f6.weight").Entry["shape"] = new JsonArray(120, 84);
        WriteRaw(path, metadata, tensors);
        SafeTensorsMismatch m = Assert.Single(Mismatches(path));
        Assert.Equal(SafeTensorsMismatchKind.WrongShape, m.Kind);
        Assert.Equal("f6.weight", m.TensorName);
        Assert.Equal([84, 120], m.ExpectedShape!);
        Assert.Equal([120L, 84L], m.FoundShape!);
        Assert.Equal("F32", m.DType);
        Assert.Equal("tensor 'f6.weight' has shape [120, 84], expected [84, 120]", m.Message);
    }

    [Theory]
    [InlineData("BOOL", 1)]
    [InlineData("U8", 1)]
    [InlineData("I8", 1)]
    [InlineData("F8_E4M3", 1)]
    [InlineData("F8_E5M2", 1)]
    [InlineData("F8_E8M0", 1)]
    [InlineData("F8_E4M3FNUZ", 1)]
    [InlineData("F8_E5M2FNUZ", 1)]
    [InlineData("I16", 2)]
    [InlineData("U16", 2)]
    [InlineData("I32", 4)]
    [InlineData("U32", 4)]
    [InlineData("I64", 8)]
    [InlineData("U64", 8)]
    [InlineData("C64", 8)]
    public void A_dtype_of_the_specification_that_is_not_read_names_the_tensor_and_dtype(string dtype, int bytes)
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        RawTensor bias = tensors.Single(t => t.Name == "c1.bias");
        bias.Entry["dtype"] = dtype;
        bias.Data = new byte[6 * bytes];
        WriteRaw(path, metadata, tensors);
        SafeTensorsMismatch m = Assert.Single(Mismatches(path));
        Assert.Equal(SafeTensorsMismatchKind.UnsupportedDType, m.Kind);
        Assert.Equal("c1.bias", m.TensorName);
        Assert.Equal(dtype, m.DType);
        Assert.Equal([6], m.ExpectedShape!);
        Assert.Equal([6L], m.FoundShape!);
        Assert.Contains("tensor 'c1.bias' has dtype " + dtype, m.Message);
    }

    [Theory]
    [InlineData("F4", 4, 6, 5)]
    [InlineData("F6_E2M3", 6, 4, 6)]
    [InlineData("F6_E3M2", 6, 4, 5)]
    public void Sub_byte_dtypes_are_sized_in_bits(string dtype, int bits, int whole, int partial)
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        RawTensor bias = tensors.Single(t => t.Name == "s2.bias");
        bias.Entry["dtype"] = dtype;
        bias.Entry["shape"] = new JsonArray(whole); // 24 bits: 3 bytes
        bias.Data = new byte[3];
        WriteRaw(path, metadata, tensors);
        Assert.Contains(Mismatches(path), m => m.Kind == SafeTensorsMismatchKind.UnsupportedDType && m.TensorName == "s2.bias" && m.DType == dtype);

        bias.Entry["shape"] = new JsonArray(partial); // 20, 36 or 30 bits: not whole bytes
        bias.Data = new byte[partial * bits / 8];
        WriteRaw(path, metadata, tensors);
        var e = Assert.Throws<SafeTensorsException>(() => ReadShared(File.ReadAllBytes(path), Topology("lenet", Precision.Single), out _));
        Assert.Equal("tensor 's2.bias': " + partial + " elements of dtype " + dtype + " (" + bits + " bits each) are not a whole number of bytes.", e.Problem);
    }

    [Fact]
    public void A_non_zero_left_out_kernel_names_the_first_and_counts_the_others()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        RawTensor c3 = tensors.Single(t => t.Name == "c3.weight");
        // C3's first row "XXX..." leaves out channels 3, 4, 5 of filter 0; the second ".XXX.." channels 0, 4, 5 of filter 1.
        BitConverter.TryWriteBytes(c3.Data.AsSpan(4 * (3 * 25 + 7)), -1.5f);
        BitConverter.TryWriteBytes(c3.Data.AsSpan(4 * (6 * 25 + 0)), float.NaN);
        BitConverter.TryWriteBytes(c3.Data.AsSpan(4 * (6 * 25 + 4 * 25 + 24)), 1e-45f);
        BitConverter.TryWriteBytes(c3.Data.AsSpan(4 * (6 * 25 + 5 * 25)), -0f); // zero: not counted
        WriteRaw(path, metadata, tensors);
        SafeTensorsMismatch m = Assert.Single(Mismatches(path));
        Assert.Equal(SafeTensorsMismatchKind.NonZeroAbsentKernel, m.Kind);
        Assert.Equal("c3.weight", m.TensorName);
        Assert.Equal([16, 6, 5, 5], m.ExpectedShape!);
        Assert.Equal(
            "tensor 'c3.weight': the kernel of filter 0, channel 3 is left out by the connection table of 'c3' but holds non-zero values "
            + "(for example -1.5); 2 more left-out kernels are not zero either", m.Message);
    }

    [Fact]
    public void Every_problem_is_reported_in_order_and_Load_lists_them_all()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        tensors.Single(t => t.Name == "f6.weight").Entry["shape"] = new JsonArray(120, 84);
        RawTensor bias = tensors.Single(t => t.Name == "c1.bias");
        bias.Entry["dtype"] = "U8";
        bias.Data = new byte[6];
        var extra = new RawTensor("extra", new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray() }, new byte[4]);
        WriteRaw(path, metadata, tensors.Where(t => t.Name != "output.bias").Append(extra));

        List<SafeTensorsMismatch> mismatches = Mismatches(path);
        Assert.Equal(
            [
                (SafeTensorsMismatchKind.UnsupportedDType, "c1.bias"), (SafeTensorsMismatchKind.WrongShape, "f6.weight"),
                (SafeTensorsMismatchKind.MissingTensor, "output.bias"), (SafeTensorsMismatchKind.UnexpectedTensor, "extra"),
            ],
            mismatches.Select(m => (m.Kind, m.TensorName)));

        InterpretedNetwork<float> network = Network<float>("lenet", seed: 9);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(path, network));
        Assert.Equal("the file does not match the network: " + string.Join("; ", mismatches.Select(m => m.Message)) + ".", e.Problem);
    }

    [Fact]
    public void Absent_kernels_are_checked_only_once_the_header_fits()
    {
        (string path, JsonObject metadata, List<RawTensor> tensors) = LeNet();
        BitConverter.TryWriteBytes(tensors.Single(t => t.Name == "c3.weight").Data.AsSpan(4 * 75), 2f);
        WriteRaw(path, metadata, tensors.Where(t => t.Name != "c1.bias"));
        Assert.Equal(SafeTensorsMismatchKind.MissingTensor, Assert.Single(Mismatches(path)).Kind);
    }

    [Fact]
    public void A_malformed_file_is_an_exception_not_a_mismatch()
    {
        (string path, _, _) = LeNet();
        byte[] file = File.ReadAllBytes(path);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensorsFormat.ReadSingle("x.safetensors", file[..^1], Topology("lenet", Precision.Single), out _));
        Assert.Equal("x.safetensors", e.FilePath);
        Assert.Contains("truncated", e.Problem);
    }

    [Fact]
    public void Colliding_tensor_names_are_an_argument_error_before_the_file_is_read()
    {
        var topology = new NetworkTopology(3, [new DenseLayer(4) { Name = "layer2" }, new DenseLayer(2)]);
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFormat.ReadDouble("x", [], topology, out _));
        Assert.Contains("'layer2.weight'", e.Message);
    }
}
