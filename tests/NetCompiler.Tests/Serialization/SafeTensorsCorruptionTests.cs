using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// Bad files: every one is rejected with a <see cref="SafeTensorsException"/> whose message names the file and the
/// problem, and the network's parameters stay exactly as they were.
/// </summary>
public sealed class SafeTensorsCorruptionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A valid LeNet-5 float file (seed 1).</summary>
    private string SavedLeNet(string name = "lenet.safetensors")
    {
        string path = _directory.File(name);
        SafeTensors.Save(path, Network<float>("lenet", seed: 1));
        return path;
    }

    /// <summary>Loads <paramref name="path"/> into a LeNet-5 network (seed 9) and checks the message and that the parameters did not change.</summary>
    private static SafeTensorsException AssertRejected<T>(string path, string kind, params string[] phrases)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        InterpretedNetwork<T> network = Network<T>(kind, seed: 9);
        T[] before = network.Parameters.ToArray();
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(path, network));
        Assert.Contains("'" + path + "'", e.Message);
        Assert.Equal(path, e.FilePath);
        foreach (string phrase in phrases) Assert.Contains(phrase, e.Message);
        Assert.Equal(before, network.Parameters.ToArray());
        return e;
    }

    private static SafeTensorsException AssertRejected(string path, params string[] phrases) => AssertRejected<float>(path, "lenet", phrases);

    [Fact]
    public void Bad_json_is_rejected()
    {
        string path = SavedLeNet();
        byte[] file = File.ReadAllBytes(path);
        int colon = Array.IndexOf(file, (byte)':', 8);
        file[colon] = (byte)'#';
        File.WriteAllBytes(path, file);
        AssertRejected(path, "not valid JSON");
    }

    /// <summary>
    /// A \u escape of a lone UTF-16 surrogate (issue 18: 50 adversarial mutants) in a metadata value, a metadata key or
    /// a tensor name: Load and ReadMetadata both fail with a SafeTensorsException that names the escape and its byte.
    /// </summary>
    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udfff")]
    [InlineData("\\udc00\\ud800")]
    [InlineData("a\\uDBFF\\u0041")]
    public void A_lone_surrogate_escape_anywhere_is_a_SafeTensorsException(string escape)
    {
        string path = _directory.File("mlp.safetensors");
        SafeTensors.Save(path, Network<float>("mlp", seed: 1), new Dictionary<string, string> { ["epoch"] = "3" });
        byte[] file = File.ReadAllBytes(path);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string json = Encoding.UTF8.GetString(file, 8, n).TrimEnd();
        byte[] data = file[(8 + n)..];
        foreach ((string where, string quoted) in new[] { ("value", "\"3\""), ("key", "\"epoch\""), ("tensor name", "\"layer1.bias\"") })
        {
            Assert.Contains(quoted, json);
            string damaged = _directory.File(where.Replace(' ', '-') + ".safetensors");
            File.WriteAllBytes(damaged, RawFile(json.Replace(quoted, quoted[..^1] + escape + "\""), data));
            var e = AssertRejected<float>(damaged, "mlp", "is a lone UTF-16 surrogate", "of the header");
            var metadata = Assert.Throws<SafeTensorsException>(() => SafeTensors.ReadMetadata(damaged));
            Assert.Equal(e.Problem, metadata.Problem);
        }
    }

    [Fact]
    public void A_header_that_is_not_an_object_is_rejected()
    {
        string path = _directory.File("array.safetensors");
        WriteRawHeader(path, "[1, 2]", []);
        AssertRejected(path, "does not start with '{'");
    }

    [Fact]
    public void A_header_length_larger_than_the_file_is_rejected()
    {
        string path = SavedLeNet();
        byte[] file = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);
        File.WriteAllBytes(path, file);
        AssertRejected(path, "header length " + file.Length, "exceeds");

        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        File.WriteAllBytes(path, file);
        AssertRejected(path, "header length " + ulong.MaxValue, "exceeds");
    }

    [Fact]
    public void Overlapping_offsets_are_rejected()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        RawTensor second = tensors[1]; // c1.bias [6], right after c1.weight
        second.Entry["data_offsets"] = new JsonArray((long)second.Entry["data_offsets"]![0]! - 4, (long)second.Entry["data_offsets"]![1]! - 4);
        WriteRaw(path, metadata, tensors, keepOffsets: true); // (this also leaves a 4-byte gap after c1.bias; the overlap comes first)
        AssertRejected(path, "'c1.weight' and 'c1.bias' overlap");
    }

    [Fact]
    public void A_gap_and_trailing_bytes_are_rejected()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        WriteRaw(path, metadata, tensors.Skip(1), keepOffsets: true); // c1.weight's bytes removed: everything shifts, offsets do not
        AssertRejected(path, "gap of 600 bytes before tensor 'c1.bias'");

        File.WriteAllBytes(path, File.ReadAllBytes(SavedLeNet("other.safetensors")).Concat(new byte[8]).ToArray());
        AssertRejected(path, "8 bytes at the end of the data", "not covered");
    }

    [Fact]
    public void Truncated_files_are_rejected()
    {
        string path = SavedLeNet();
        byte[] file = File.ReadAllBytes(path);
        File.WriteAllBytes(path, file[..^4]);
        AssertRejected(path, "truncated", (file.Length - 4 - 8 - (long)BinaryPrimitives.ReadUInt64LittleEndian(file)).ToString());

        File.WriteAllBytes(path, file[..5]);
        AssertRejected(path, "truncated", "5 bytes");

        File.WriteAllBytes(path, file[..100]); // inside the header
        AssertRejected(path, "exceeds the 92 bytes");

        File.WriteAllBytes(path, []);
        AssertRejected(path, "truncated");
    }

    [Fact]
    public void A_wrong_shape_is_rejected_with_expected_and_actual()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        tensors.Single(t => t.Name == "f6.weight").Entry["shape"] = new JsonArray(120, 84); // same size, transposed
        WriteRaw(path, metadata, tensors);
        AssertRejected(path, "tensor 'f6.weight' has shape [120, 84], expected [84, 120]");
    }

    [Fact]
    public void A_dtype_NetCompiler_does_not_read_is_rejected_naming_it()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        tensors.Single(t => t.Name == "s2.bias").Entry["dtype"] = "I32"; // as large as F32: the offsets stay right
        WriteRaw(path, metadata, tensors);
        AssertRejected(path, "tensor 's2.bias' has dtype I32", "F32, F64, F16 and BF16");
        AssertRejected<double>(path, "lenet", "tensor 's2.bias' has dtype I32");
    }

    [Fact]
    public void An_unknown_dtype_is_rejected()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        tensors[0].Entry["dtype"] = "F31";
        WriteRaw(path, metadata, tensors);
        AssertRejected(path, "tensor 'c1.weight': unknown dtype 'F31'");
    }

    [Fact]
    public void Missing_and_extra_tensors_are_rejected_by_name()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        WriteRaw(path, metadata, tensors.Where(t => t.Name != "s2.bias"));
        AssertRejected(path, "missing tensor 's2.bias' [6]");

        var extra = new RawTensor("extra.weight", new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(2) }, new byte[8]);
        WriteRaw(path, metadata, tensors.Append(extra));
        AssertRejected(path, "unexpected tensor 'extra.weight' [2]");

        RawTensor renamed = tensors.Single(t => t.Name == "c5.bias");
        renamed.Name = "c5.b";
        WriteRaw(path, metadata, tensors);
        AssertRejected(path, "missing tensor 'c5.bias' [120]", "unexpected tensor 'c5.b' [120]");
    }

    [Fact]
    public void A_file_of_another_network_is_rejected()
    {
        string path = _directory.File("graph.safetensors");
        SafeTensors.Save(path, Network<float>("graph", seed: 1));
        AssertRejected(path, "missing tensor 'c1.weight' [6, 1, 5, 5]", "unexpected tensor 'out.weight.input' [3, 16]");
    }

    [Fact]
    public void Duplicate_keys_and_bad_entries_are_rejected()
    {
        string path = _directory.File("raw.safetensors");
        WriteRawHeader(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        AssertRejected(path, "'a' appears twice");

        WriteRawHeader(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", new byte[4]);
        AssertRejected(path, "tensor 'a': unknown field 'extra'");

        WriteRawHeader(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertRejected(path, "\"shape\" holds -1");

        WriteRawHeader(path, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]);
        AssertRejected(path, "span 4 bytes", "need 8");

        WriteRawHeader(path, "{\"__metadata__\":{\"k\":1}}", []);
        AssertRejected(path, "metadata value of 'k' is not a string");
    }

    [Fact]
    public void A_non_zero_kernel_left_out_by_the_connection_table_is_rejected()
    {
        string path = SavedLeNet();
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        // C3's first row "XXX..." leaves out channels 3, 4, 5 of filter 0: kernel (0, 3) is elements 75..99.
        RawTensor c3 = tensors.Single(t => t.Name == "c3.weight");
        Assert.All(Enumerable.Range(75, 75), i => Assert.Equal(0f, BinaryPrimitives.ReadSingleLittleEndian(c3.Data.AsSpan(4 * i))));
        BinaryPrimitives.WriteSingleLittleEndian(c3.Data.AsSpan(4 * (75 + 7)), 0.25f);
        WriteRaw(path, metadata, tensors);
        AssertRejected(path, "tensor 'c3.weight'", "filter 0, channel 3", "connection table", "0.25");
    }

    [Fact]
    public void A_missing_file_throws_FileNotFoundException_naming_it()
    {
        string path = _directory.File("absent.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path, Network<float>("mlp", 1)));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Invalid_utf8_in_the_header_is_rejected()
    {
        string path = _directory.File("utf8.safetensors");
        byte[] json = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"k\":\"\u00e9\"}}");
        int i = Array.IndexOf(json, (byte)0xC3);
        json[i] = 0xFF;
        var file = new byte[8 + 32];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 32);
        file.AsSpan(8).Fill((byte)' ');
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        AssertRejected(path, "not valid UTF-8");
    }
}
