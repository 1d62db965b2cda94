using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using NetCompiler.Serialization;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// Test networks for the safetensors tests, a temporary directory, and a small reader/writer of raw safetensors files
/// written here from the specification (System.Text.Json.Nodes), independent of <see cref="SafeTensors"/>, to build
/// corrupt files.
/// </summary>
public static class SafeTensorsFiles
{
    /// <summary>"mlp": 4-7-3 dense chain, unnamed layers; "lenet": LeNet-5 (C3 table, trainable pools); "lenet-small":
    /// the same layers on 1×20×20 (3,650 parameters); "graph": Conv1D, MaxPool and a three-source dense.</summary>
    public static NetworkTopology Topology(string kind, Precision precision) => kind switch
    {
        "mlp" => TestNetworks.Parse("4-7-3 Tanh,Softmax CrossEntropy", precision),
        "lenet" => Graphs.LeNet5(LossFunction.CrossEntropy, precision),
        "lenet-small" => new NetworkTopology(new TensorShape(1, 20, 20), Graphs.LeNet5Layers(kernel5: 3, c5: 12, f6: 8), LossFunction.CrossEntropy, precision),
        "graph" => new NetworkTopology(new TensorShape(2, 8),
        [
            new ConvLayer(1, 3, 3, Activation.Tanh) { Name = "c" },
            new PoolLayer(LayerKind.MaxPool, 2),
            new DenseLayer(4, Activation.Tanh) { Name = "h" },
            new DenseLayer(5, Activation.ReLU) { Name = "g", From = [NetworkTopology.InputName] },
            new DenseLayer(3, Activation.Softmax) { Name = "out", From = ["h", "g", NetworkTopology.InputName] },
        ], LossFunction.CrossEntropy, precision),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The tensors of <paramref name="topology"/> in file order, as "c1.weight[6,1,5,5] c1.bias[6] …".</summary>
    public static string TensorList(NetworkTopology topology) =>
        string.Join(" ", SafeTensors.TensorNames(topology).Select(t => t.Name + "[" + string.Join(",", t.Shape) + "]"));

    /// <summary>A network of <paramref name="kind"/> with seeded random weights, biases and pooling coefficients.</summary>
    public static InterpretedNetwork<T> Network<T>(string kind, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var network = new InterpretedNetwork<T>(Topology(kind, typeof(T) == typeof(double) ? Precision.Double : Precision.Single));
        double[] theta = Graphs.RandomParameters(network.Topology, seed);
        for (int i = 0; i < theta.Length; i++) network.Parameters[i] = T.CreateTruncating(theta[i]);
        return network;
    }

    /// <summary>
    /// The values of every tensor as PyTorch holds them, read from the parameter buffer with <see cref="LayerShape"/>
    /// offsets (zeros for kernels a connection table leaves out), in file order.
    /// </summary>
    public static List<(string Name, int[] Shape, double[] Values)> Expected<T>(IInferenceNetwork<T> network)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        NetworkTopology topology = network.Topology;
        double P(int i) => double.CreateTruncating(network.Parameters[i]);
        double[] Block(int offset, int count) => Enumerable.Range(offset, count).Select(P).ToArray();
        var result = new List<(string, int[], double[])>();
        foreach ((string name, IReadOnlyList<int> shapeList) in SafeTensors.TensorNames(topology))
        {
            int[] shape = shapeList.ToArray();
            string layerName = name.Substring(0, name.IndexOf('.'));
            LayerShape layer = topology.Layers.Single(l => (l.Name ?? "layer" + l.Number) == layerName);
            string part = name.Substring(layerName.Length + 1);
            double[] values;
            if (part == "bias") values = Block(layer.BiasOffset, layer.BiasCount);
            else if (part == "coefficient") values = Block(layer.WeightOffset, layer.WeightCount);
            else if (layer.Kind == LayerKind.Dense)
            {
                int s = part == "weight" ? 0 : Enumerable.Range(0, layer.Sources.Count).Single(k =>
                    (layer.Sources[k] == 0 ? "input" : topology.Layers[layer.Sources[k] - 1].Name ?? "layer" + layer.Sources[k]) == part.Substring("weight.".Length));
                values = Block(layer.SourceWeightOffset(s), layer.Outputs * layer.SourceShapes[s].Size);
            }
            else
            {
                int volume = shape.Skip(2).Aggregate(1, (p, d) => p * d);
                values = new double[shape[0] * shape[1] * volume];
                for (int o = 0; o < shape[0]; o++)
                    for (int i = 0; i < shape[1]; i++)
                        if (layer.KernelOffset(o, i) >= 0)
                            for (int j = 0; j < volume; j++) values[(o * shape[1] + i) * volume + j] = P(layer.KernelOffset(o, i) + j);
            }
            Assert.Equal(shape.Aggregate(1, (p, d) => p * d), values.Length);
            result.Add((name, shape, values));
        }
        return result;
    }

    /// <summary>A fresh empty directory under the system's temporary folder, deleted by <see cref="IDisposable.Dispose"/>.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory() => Path = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>One tensor of a raw file: its header entry (dtype, shape, data_offsets) and its bytes.</summary>
    public sealed class RawTensor(string name, JsonObject entry, byte[] data)
    {
        public string Name { get; set; } = name;
        public JsonObject Entry { get; } = entry;
        public byte[] Data { get; set; } = data;
    }

    /// <summary>Splits a well-formed file into its metadata and tensors in offset order.</summary>
    public static (JsonObject Metadata, List<RawTensor> Tensors) ReadRaw(string path)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        int n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        JsonObject header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, n))!.AsObject();
        var metadata = header["__metadata__"]?.AsObject() ?? new JsonObject();
        var tensors = new List<RawTensor>();
        foreach ((string name, JsonNode? node) in header)
        {
            if (name == "__metadata__") continue;
            JsonObject entry = node!.AsObject();
            long begin = (long)entry["data_offsets"]![0]!, end = (long)entry["data_offsets"]![1]!;
            tensors.Add(new RawTensor(name, entry, bytes.AsSpan(8 + n + (int)begin, (int)(end - begin)).ToArray()));
        }
        tensors.Sort((a, b) => ((long)a.Entry["data_offsets"]![0]!).CompareTo((long)b.Entry["data_offsets"]![0]!));
        return (metadata, tensors);
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> with contiguous data_offsets in list order (unless <paramref name="keepOffsets"/>),
    /// entries detached from any previous header.
    /// </summary>
    public static void WriteRaw(string path, JsonObject metadata, IEnumerable<RawTensor> tensors, bool keepOffsets = false)
    {
        var header = new JsonObject { ["__metadata__"] = metadata.DeepClone() };
        var data = new MemoryStream();
        foreach (RawTensor tensor in tensors)
        {
            var entry = tensor.Entry.DeepClone().AsObject();
            if (!keepOffsets) entry["data_offsets"] = new JsonArray(data.Length, data.Length + tensor.Data.Length);
            header[tensor.Name] = entry;
            data.Write(tensor.Data);
        }
        WriteRawHeader(path, header.ToJsonString(), data.ToArray());
    }

    /// <summary>Writes a header text (padded with spaces to a multiple of 8 bytes) and a data buffer.</summary>
    public static void WriteRawHeader(string path, string json, byte[] data) => System.IO.File.WriteAllBytes(path, RawFile(json, data));

    /// <summary>The bytes of a file of a header text (padded with spaces to a multiple of 8 bytes) and a data buffer.</summary>
    public static byte[] RawFile(string json, byte[] data) => RawFile(Encoding.UTF8.GetBytes(json), data);

    /// <inheritdoc cref="RawFile(string, byte[])"/>
    public static byte[] RawFile(byte[] text, byte[] data)
    {
        int padded = (text.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        text.CopyTo(file, 8);
        file.AsSpan(8 + text.Length, padded - text.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    /// <summary>
    /// Reads <paramref name="file"/> for a network of <paramref name="topology"/> with the shared reader the generator
    /// uses, in the topology's precision, as doubles: θ, or null with the mismatches.
    /// </summary>
    internal static double[]? ReadShared(byte[] file, NetworkTopology topology, out List<SafeTensorsMismatch> mismatches, string path = "test.safetensors") =>
        topology.Precision == Precision.Double
            ? SafeTensorsFormat.ReadDouble(path, file, topology, out mismatches)
            : SafeTensorsFormat.ReadSingle(path, file, topology, out mismatches) is float[] theta ? Array.ConvertAll(theta, v => (double)v) : null;
}
