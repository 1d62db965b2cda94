using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Text.Json;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// SafeTensors: tensor names and shapes, exact round trips (bit-identical parameters and outputs), the file's bytes
/// against the specification, and atomic saving.
/// </summary>
public class SafeTensorsTests
{
    [Fact]
    public void Tensor_names_of_an_mlp_use_layer_numbers_and_PyTorch_shapes() =>
        Assert.Equal("layer1.weight[7,4] layer1.bias[7] layer2.weight[3,7] layer2.bias[3]", TensorList(Topology("mlp", Precision.Single)));

    [Fact]
    public void Tensor_names_of_LeNet5_give_full_conv_kernels_and_pool_coefficients() =>
        Assert.Equal(
            "c1.weight[6,1,5,5] c1.bias[6] s2.coefficient[6] s2.bias[6] c3.weight[16,6,5,5] c3.bias[16] s4.coefficient[16] s4.bias[16] "
            + "c5.weight[120,16,5,5] c5.bias[120] f6.weight[84,120] f6.bias[84] output.weight[10,84] output.bias[10]",
            TensorList(Topology("lenet", Precision.Single)));

    [Fact]
    public void Tensor_names_of_a_graph_give_one_weight_per_source_and_skip_layers_without_parameters() =>
        Assert.Equal(
            "c.weight[3,2,3] c.bias[3] h.weight[4,9] h.bias[4] g.weight[5,16] g.bias[5] "
            + "out.weight.h[3,4] out.weight.g[3,5] out.weight.input[3,16] out.bias[3]",
            TensorList(Topology("graph", Precision.Double)));

    [Fact]
    public void Colliding_tensor_names_are_an_error()
    {
        var topology = new NetworkTopology(3, [new DenseLayer(4) { Name = "layer2" }, new DenseLayer(2)]);
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.TensorNames(topology));
        Assert.Contains("'layer2.weight'", e.Message);
    }

    public static TheoryData<string> Kinds => new() { "mlp", "lenet", "graph" };

    [Theory, MemberData(nameof(Kinds))]
    public void Round_trip_float(string kind) => RoundTrip<float>(kind);

    [Theory, MemberData(nameof(Kinds))]
    public void Round_trip_double(string kind) => RoundTrip<double>(kind);

    private static void RoundTrip<T>(string kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var directory = new TempDirectory();
        string path = directory.File(kind + ".safetensors");
        InterpretedNetwork<T> saved = Network<T>(kind, seed: 1);
        SafeTensors.Save(path, saved, new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "naïve → ok" });

        var loaded = new InterpretedNetwork<T>(saved.Topology);
        loaded.InitializeParameters(2);
        Assert.NotEqual(saved.Parameters.ToArray(), loaded.Parameters.ToArray());
        SafeTensors.Load(path, loaded);
        Assert.Equal(saved.Parameters.ToArray(), loaded.Parameters.ToArray()); // exact: the values are stored bit for bit

        T[] input = Enumerable.Range(0, saved.InputSize).Select(i => T.CreateTruncating(Math.Sin(i + 0.5))).ToArray();
        var a = new T[saved.OutputSize];
        var b = new T[saved.OutputSize];
        saved.Forward(input, a);
        loaded.Forward(input, b);
        Assert.Equal(a, b);

        IReadOnlyDictionary<string, string> metadata = SafeTensors.ReadMetadata(path);
        Assert.Equal("netcompiler", metadata["format"]);
        Assert.Equal(saved.Topology.ToString(), metadata["topology"]);
        Assert.Equal("3", metadata["epoch"]);
        Assert.Equal("naïve → ok", metadata["note"]);
        Assert.Equal([Path.GetFileName(path)], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName));
    }

    [Theory, MemberData(nameof(Kinds))]
    public void Load_as_weights_gives_the_saved_parameters_in_either_precision(string kind)
    {
        using var directory = new TempDirectory();
        string path = directory.File(kind + ".safetensors");
        InterpretedNetwork<float> saved = Network<float>(kind, seed: 1);
        SafeTensors.Save(path, saved);

        NetworkWeights<float> weights = SafeTensors.Load<float>(path, saved.Topology);
        Assert.Same(saved.Topology, weights.Topology);
        Assert.False(weights.IsReadOnly);
        Assert.Equal(saved.Parameters.ToArray(), weights.AsReadOnlySpan().ToArray());
        float[] input = Enumerable.Range(0, saved.InputSize).Select(i => MathF.Sin(i + 0.5f)).ToArray();
        var expected = new float[saved.OutputSize];
        var actual = new float[saved.OutputSize];
        saved.Forward(input, expected);
        new InterpretedNetwork<float>(weights).Forward(input, actual);
        Assert.Equal(expected, actual);

        NetworkWeights<double> wide = SafeTensors.Load<double>(path, Topology(kind, Precision.Double));
        Assert.Equal(saved.Parameters.ToArray().Select(v => (double)v), wide.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void Load_as_weights_makes_the_checks_of_Load_into_a_network()
    {
        using var directory = new TempDirectory();
        string path = directory.File("graph.safetensors");
        SafeTensors.Save(path, Network<float>("graph", seed: 1));
        NetworkTopology lenet = Topology("lenet", Precision.Single);
        var intoWeights = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load<float>(path, lenet));
        var intoNetwork = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(path, new InterpretedNetwork<float>(lenet)));
        Assert.StartsWith("the file does not match the network: missing tensor 'c1.weight' [6, 1, 5, 5]", intoWeights.Problem);
        Assert.Equal(intoNetwork.Problem, intoWeights.Problem);

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^1]);
        Assert.Contains("truncated", Assert.Throws<SafeTensorsException>(() => SafeTensors.Load<double>(path, lenet)).Problem);
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load<float>(directory.File("absent.safetensors"), lenet));
        Assert.Throws<ArgumentNullException>(() => SafeTensors.Load<float>(path, (NetworkTopology)null!));
        // A directory is said to be one (FileStream's own message was "Access to the path … is denied").
        foreach (Func<object> read in new Func<object>[] { () => SafeTensors.Load<float>(directory.Path, lenet), () => SafeTensors.ReadMetadata(directory.Path) })
        {
            IOException error = Assert.Throws<IOException>(read);
            Assert.Equal(directory.Path + " is a directory, not a safetensors file.", error.Message);
        }
    }

    [Fact]
    public void Header_bytes_follow_the_specification()
    {
        using var directory = new TempDirectory();
        string path = directory.File("lenet.safetensors");
        InterpretedNetwork<float> network = Network<float>("lenet", seed: 3);
        SafeTensors.Save(path, network, new Dictionary<string, string> { ["epoch"] = "7" });
        byte[] file = File.ReadAllBytes(path);

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.True(n <= (ulong)file.Length - 8);
        Assert.Equal(0UL, (8 + n) % 8); // the data starts 8-byte aligned
        string text = Encoding.UTF8.GetString(file, 8, (int)n);
        Assert.StartsWith("{", text);
        string json = text.TrimEnd(' ');
        Assert.EndsWith("}", json);
        Assert.True(text.Length - json.Length < 8, "padding is shorter than 8 bytes");

        using JsonDocument document = JsonDocument.Parse(json);
        var properties = document.RootElement.EnumerateObject().ToList();
        Assert.Equal("__metadata__", properties[0].Name);
        var metadata = properties[0].Value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(new Dictionary<string, string?> { ["format"] = "netcompiler", ["topology"] = network.Topology.ToString(), ["epoch"] = "7" }, metadata);

        List<(string Name, int[] Shape, double[] Values)> expected = Expected<float>(network);
        Assert.Equal(expected.Select(t => t.Name), properties.Skip(1).Select(p => p.Name));
        long position = 0;
        long dataStart = 8 + (long)n;
        foreach (((string name, int[] shape, double[] values), JsonProperty property) in expected.Zip(properties.Skip(1)))
        {
            Assert.Equal(["data_offsets", "dtype", "shape"], property.Value.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal("F32", property.Value.GetProperty("dtype").GetString());
            Assert.Equal(shape, property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            long[] offsets = property.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            Assert.Equal([position, position + 4L * values.Length], offsets);
            for (int i = 0; i < values.Length; i++)
                Assert.Equal((float)values[i], BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan((int)(dataStart + offsets[0] + 4 * i), 4)));
            position = offsets[1];
        }
        Assert.Equal(file.Length - dataStart, position); // the tensors cover the whole buffer
        Assert.Equal(4L * (network.ParameterCount + 6 * 16 * 25 - 60 * 25), position); // C3: 60 of 96 kernels connected, the rest stored as zeros
    }

    [Fact]
    public void Double_networks_are_written_as_F64()
    {
        using var directory = new TempDirectory();
        string path = directory.File("mlp.safetensors");
        SafeTensors.Save(path, Network<double>("mlp", seed: 4));
        (_, List<RawTensor> tensors) = ReadRaw(path);
        Assert.All(tensors, t => Assert.Equal("F64", (string?)t.Entry["dtype"]));
    }

    [Fact]
    public void Reserved_metadata_keys_are_rejected_before_anything_is_written()
    {
        using var directory = new TempDirectory();
        string path = directory.File("mlp.safetensors");
        var e = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Save(path, Network<float>("mlp", 1), new Dictionary<string, string> { ["format"] = "pt" }));
        Assert.Contains("'format'", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public void Saving_over_an_existing_file_replaces_it_and_leaves_no_temporary_file()
    {
        using var directory = new TempDirectory();
        string path = directory.File("net.safetensors");
        SafeTensors.Save(path, Network<float>("graph", seed: 1));
        InterpretedNetwork<float> second = Network<float>("graph", seed: 2);
        SafeTensors.Save(path, second);
        var loaded = new InterpretedNetwork<float>(second.Topology);
        SafeTensors.Load(path, loaded);
        Assert.Equal(second.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(["net.safetensors"], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failure_while_writing_leaves_the_existing_file_intact_and_no_temporary_file()
    {
        using var directory = new TempDirectory();
        string path = directory.File("net.safetensors");
        SafeTensors.Save(path, Network<float>("lenet", seed: 1));
        byte[] before = File.ReadAllBytes(path);

        // Save opens the temporary file and writes the header before it reads the parameters, so this fails mid-file.
        var failing = new FailingNetwork<float>(Network<float>("lenet", seed: 2));
        Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, failing));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["net.safetensors"], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName));
    }

    /// <summary>
    /// Issue 18: a process killed mid-save leaves ".{name}.{id}.tmp"; the next save to the same target removes every
    /// such leftover of that target, and no file of another target or of another shape of name.
    /// </summary>
    [Fact]
    public void The_next_save_removes_stale_temporaries_of_its_target_and_nothing_else()
    {
        using var directory = new TempDirectory();
        string path = directory.File("net.safetensors");
        string[] stale = [".net.safetensors.0123456789ab.tmp", ".net.safetensors.fedcba987654.tmp"];
        string[] unrelated =
        [
            ".other.safetensors.0123456789ab.tmp", // another target
            ".net.safetensors.x.0123456789ab.tmp", // the temporary of "net.safetensors.x"
            ".net.safetensors.bak.tmp", "net.safetensors.0123456789ab.tmp", ".net.safetensors.0123456789ab.tmp.keep",
            ".net.safetensors.0123456789abc.tmp", ".net.safetensors.0123456789AB.tmp",
        ];
        foreach (string name in stale.Concat(unrelated)) File.WriteAllBytes(directory.File(name), new byte[1000]);

        SafeTensors.Save(path, Network<float>("mlp", seed: 1));

        Assert.Equal(unrelated.Append("net.safetensors").Order(StringComparer.Ordinal),
            Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>A temporary that a save in progress holds (open, locked) is not stale: a concurrent save leaves it alone.</summary>
    [Fact]
    public void A_temporary_that_a_live_save_holds_is_not_removed()
    {
        using var directory = new TempDirectory();
        string path = directory.File("net.safetensors");
        string live = directory.File(".net.safetensors.0123456789ab.tmp");
        using (new FileStream(live, FileMode.CreateNew, FileAccess.Write, FileShare.None)) // as Save holds its own
        {
            SafeTensors.Save(path, Network<float>("mlp", seed: 1));
            Assert.True(File.Exists(live));
        }
        Assert.True(File.Exists(path));
    }

    /// <summary>After the rename the directory is fsynced (libc open/fsync/close) on Linux, so a power cut keeps it.</summary>
    [Fact]
    public void The_directory_flush_after_the_rename_works_on_Linux()
    {
        using var directory = new TempDirectory();
        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), TemporaryFiles.FlushDirectory(directory.Path));
        Assert.False(TemporaryFiles.FlushDirectory(directory.File("missing")));
    }

    [Fact]
    public void Saving_to_a_directory_fails_and_leaves_it_and_its_parent_unchanged()
    {
        using var directory = new TempDirectory();
        string path = directory.File("weights");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "keep");

        var e = Assert.Throws<IOException>(() => SafeTensors.Save(path, Network<float>("mlp", 1)));
        Assert.Contains(path, e.Message);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(path, "keep.txt")));
        Assert.Equal(["weights"], Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(path).Select(Path.GetFileName));
    }

    [Fact]
    public void Saving_into_a_missing_directory_fails_without_creating_anything()
    {
        using var directory = new TempDirectory();
        string path = Path.Combine(directory.Path, "missing", "net.safetensors");
        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(path, Network<float>("mlp", 1)));
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    /// <summary>A network whose parameter buffer cannot be read.</summary>
    private sealed class FailingNetwork<T>(IInferenceNetwork<T> inner) : IInferenceNetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public NetworkTopology Topology => inner.Topology;
        public int InputSize => inner.InputSize;
        public int OutputSize => inner.OutputSize;
        public int LayerCount => inner.LayerCount;
        public int ParameterCount => inner.ParameterCount;
        public Span<T> Parameters => throw new InvalidOperationException("parameters unavailable");
        public NetworkWeights<T> Weights => inner.Weights;
        public IInferenceNetwork<T> CreateWorkspace() => new FailingNetwork<T>(inner.CreateWorkspace());
        public void InitializeParameters(int seed) => inner.InitializeParameters(seed);
        public void Forward(ReadOnlySpan<T> input, Span<T> output) => inner.Forward(input, output);
        public ReadOnlySpan<T> Activities(int layer) => inner.Activities(layer);
        public void ForwardBatch(ReadOnlySpan<T> inputs, Span<T> outputs, int batch) => inner.ForwardBatch(inputs, outputs, batch);
    }
}
