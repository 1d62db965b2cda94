using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using NetCompiler.Onnx;
using NetCompiler.Tests.Generated;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// The networks the export tests write: MLP chains of every activation, LeNet-5 as the samples declare it (C3's
/// connection table, trainable pools), Conv1D with stride and padding and a 1-D MaxPool, 2-D MaxPool, connection
/// tables, joins (Add, Concat of channels and features, multi-source dense), each with a generated float network where
/// the tests declare one (the reference ONNX Runtime is compared with), else the interpreter.
/// </summary>
public static class OnnxCases
{
    private static readonly Dictionary<string, Func<IInferenceNetwork<float>>> Generated = new()
    {
        ["mlp relu-relu-softmax"] = () => GeneratedNetworks.Single["12-16-8-4 ReLU,ReLU,Softmax CrossEntropy"](),
        ["mlp leakyrelu-tanh-identity"] = () => GeneratedNetworks.Single["9-17-33-7 LeakyReLU,Tanh,Identity SquaredError"](),
        ["mlp relu-tanh-sigmoid"] = () => GeneratedNetworks.Single["9-33-17-1 ReLU,Tanh,Sigmoid SquaredError"](),
        ["lenet5 (sample)"] = () => new NetCompiler.Samples.LeNet5(),
        ["conv1d stride padding maxpool"] = () => GraphNetworks.All["Conv1D"].Single(),
        ["conv2d odd leakyrelu"] = () => GraphNetworks.All["Conv2DOdd"].Single(),
        ["maxpool stride 1, conv output"] = () => GraphNetworks.All["WideConv"].Single(),
        ["connection tables, pools"] = () => GraphNetworks.All["Table"].Single(),
        ["add concat multi-source dense"] = () => GraphNetworks.All["Join"].Single(),
        ["two-source dense"] = () => GraphNetworks.All["TwoSource"].Single(),
        ["issue example"] = () => GraphNetworks.All["IssueExample"].Single(),
    };

    public static IEnumerable<string> Names => Generated.Keys.Append(ThreeWay);

    /// <summary>Interpreted only: a three-source Add with an activation and a three-source dense layer reading the input.</summary>
    public const string ThreeWay = "three-way add and dense";

    public static TheoryData<string> Data => new(Names);

    /// <summary>The generated float network of <paramref name="name"/>, or null.</summary>
    public static IInferenceNetwork<float>? GeneratedNetwork(string name) => Generated.TryGetValue(name, out var create) ? create() : null;

    public static NetworkTopology Topology(string name, Precision precision)
    {
        NetworkTopology topology = Generated.TryGetValue(name, out var create) ? create().Topology : new NetworkTopology(new TensorShape(12),
        [
            new DenseLayer(8, Activation.Tanh) { Name = "h" },
            new DenseLayer(8) { Name = "g", From = [NetworkTopology.InputName] },
            new DenseLayer(8, Activation.ReLU) { Name = "k", From = [NetworkTopology.InputName] },
            new JoinLayer(LayerKind.Add, ["h", "g", "k"], Activation.Sigmoid) { Name = "sum" },
            new DenseLayer(3, Activation.Softmax) { Name = "out", From = ["sum", "h", NetworkTopology.InputName] },
        ], LossFunction.CrossEntropy);
        return WithPrecision(topology, precision);
    }

    public static NetworkTopology WithPrecision(NetworkTopology topology, Precision precision) =>
        new(topology.InputShape, topology.Layers.Select(l => l.Spec).ToList(), topology.Loss, precision,
            topology.OutputLayer == topology.Layers.Count ? null : topology.Layers[topology.OutputLayer - 1].Name);

    /// <summary>Seeded weights with random biases and pooling coefficients (Graphs.RandomParameters).</summary>
    public static NetworkWeights<T> Weights<T>(NetworkTopology topology, int seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(topology, TestNetworks.Convert<T>(Graphs.RandomParameters(topology, seed)));

    /// <summary>The precision of <typeparamref name="T"/>.</summary>
    public static Precision PrecisionOf<T>() => typeof(T) == typeof(double) ? Precision.Double : Precision.Single;

    /// <summary>A name as the importer gives it to a layer declared without one: "layer3", as in the safetensors file.</summary>
    public static string ExpectedName(NetworkTopology topology, int layer) => topology.Layers[layer - 1].Name ?? "layer" + layer;

    /// <summary>Imports <paramref name="bytes"/> through a file, as a user does.</summary>
    public static NetworkWeights<T> Load<T>(byte[] bytes, LossFunction? loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string path = Path.Combine(Path.GetTempPath(), "netcompiler-onnx-" + Guid.NewGuid().ToString("N") + ".onnx");
        try
        {
            File.WriteAllBytes(path, bytes);
            return OnnxModel.Load<T>(path, loss);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
