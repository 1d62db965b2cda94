extern alias generator;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NetCompiler.Serialization;
using Xunit;
using G = generator::NetCompiler;
using GS = generator::NetCompiler.Serialization;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The safetensors reader compiled into the netstandard2.0 generator (linked shared source, as the topology is) reads
/// a file written by the runtime's SafeTensors.Save exactly as the runtime reads it: the same θ, the same mismatches,
/// and its own SafeTensorsException for a corrupt file.
/// </summary>
public sealed class SharedSafeTensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("generator-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] Table = ["X.", ".X", "XX"];

    /// <summary>A convolution with a connection table, a trainable pool and a dense layer, in either assembly's types.</summary>
    private static NetworkTopology RuntimeTopology() => new(new TensorShape(2, 6, 6),
    [
        new ConvLayer(2, 3, 3, Activation.Tanh) { Connections = Table, Name = "c" },
        new PoolLayer(LayerKind.AvgPool, 2, Activation.Tanh, trainable: true),
        new DenseLayer(2, Activation.Identity) { Name = "out" },
    ]);

    private static G.NetworkTopology GeneratorTopology() => new(new G.TensorShape(2, 6, 6), new List<G.LayerSpec>
    {
        new G.ConvLayer(2, 3, 3, G.Activation.Tanh) { Connections = Table, Name = "c" },
        new G.PoolLayer(G.LayerKind.AvgPool, 2, G.Activation.Tanh, trainable: true),
        new G.DenseLayer(2, G.Activation.Identity) { Name = "out" },
    });

    [Fact]
    public void The_generator_reads_what_the_runtime_saved()
    {
        var network = new InterpretedNetwork<float>(RuntimeTopology());
        network.InitializeParameters(7);
        string path = Path.Combine(_directory, "net.safetensors");
        SafeTensors.Save(path, network);
        byte[] file = File.ReadAllBytes(path);

        float[]? theta = GS.SafeTensorsFormat.ReadSingle(path, file, GeneratorTopology(), out List<GS.SafeTensorsMismatch> mismatches);
        Assert.Empty(mismatches);
        Assert.Equal(network.Parameters.ToArray(), theta);
        double[]? wide = GS.SafeTensorsFormat.ReadDouble(path, file, GeneratorTopology(), out _);
        Assert.Equal(network.Parameters.ToArray().Select(v => (double)v), wide!);
    }

    [Fact]
    public void The_generator_gets_the_runtime_s_mismatches_and_exceptions()
    {
        var network = new InterpretedNetwork<double>(new NetworkTopology(3, [new DenseLayer(2)], precision: Precision.Double));
        string path = Path.Combine(_directory, "other.safetensors");
        SafeTensors.Save(path, network);
        byte[] file = File.ReadAllBytes(path);

        Assert.Null(GS.SafeTensorsFormat.ReadSingle(path, file, GeneratorTopology(), out List<GS.SafeTensorsMismatch> mismatches));
        Assert.Equal(
            [
                (GS.SafeTensorsMismatchKind.MissingTensor, "c.weight"), (GS.SafeTensorsMismatchKind.MissingTensor, "c.bias"),
                (GS.SafeTensorsMismatchKind.MissingTensor, "layer2.coefficient"), (GS.SafeTensorsMismatchKind.MissingTensor, "layer2.bias"),
                (GS.SafeTensorsMismatchKind.MissingTensor, "out.weight"), (GS.SafeTensorsMismatchKind.MissingTensor, "out.bias"),
                (GS.SafeTensorsMismatchKind.UnexpectedTensor, "layer1.weight"), (GS.SafeTensorsMismatchKind.UnexpectedTensor, "layer1.bias"),
            ],
            mismatches.Select(m => (m.Kind, m.TensorName)));
        var runtime = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(path, new InterpretedNetwork<float>(RuntimeTopology())));
        Assert.Equal("the file does not match the network: " + string.Join("; ", mismatches.Select(m => m.Message)) + ".", runtime.Problem);

        var e = Assert.Throws<GS.SafeTensorsException>(() => GS.SafeTensorsFormat.ReadDouble(path, file[..^1], GeneratorTopology(), out _));
        Assert.Contains("truncated", e.Problem);
        Assert.Equal(typeof(G.NetworkTopology).Assembly, e.GetType().Assembly);
    }
}
