// The public face of ONNX in the runtime: import a model as weights of the network it describes (OnnxImporter, the
// same code the generator runs for [Network(Onnx = "…")]), and export any network (OnnxWriter).
using System;
using System.IO;
using System.Numerics;

namespace NetCompiler.Onnx;

/// <summary>
/// Reads and writes networks as ONNX models: the bridge to PyTorch (<c>torch.onnx.export</c>) and ONNX Runtime.
/// </summary>
/// <remarks>
/// <para>Import (<see cref="Load{T}"/>) maps opsets 9–18 of the default domain: Gemm, MatMul (+ Add), Conv (1-D and
/// 2-D: square kernel, equal strides and padding, group 1, dilation 1), AveragePool and MaxPool (no padding, floor
/// rounding), Pad folded into the next Conv (or dropped when zero), Relu, LeakyRelu (slope 0.01), Tanh, Sigmoid,
/// Softmax (output layer), Add, Concat (axis 1), flattening Flatten/Reshape/Squeeze/Unsqueeze, Identity and Dropout
/// (removed), BatchNormalization (folded into the Gemm or Conv before it, or a per-channel affine layer), Constant
/// and initializers. Layers are named after their weights ("fc1" for "fc1.weight", as PyTorch's state_dict names them),
/// else after their node. Anything else is an <see cref="OnnxException"/> listing every problem.</para>
/// <para>Export (<see cref="Save{T}(NetworkWeights{T}, string)"/>) writes any network (IR version 8, opset 13) with
/// input <see cref="InputName"/> [N, …] (symbolic batch N) and output <see cref="OutputName"/> [N, output size], in
/// float or double as the network. Export then import gives the same layers, names and output, and bit-identical
/// weights, with three exceptions that compute the same function: layers declared without a name come back named
/// "layer{l}" (their safetensors names), a graph declared out of execution order comes back in execution order, and an
/// Add join whose only reader is another Add comes back as one join of all their sources.</para>
/// </remarks>
public static class OnnxModel
{
    /// <summary>The name of an exported model's input.</summary>
    public const string InputName = "input";

    /// <summary>The name of an exported model's output.</summary>
    public const string OutputName = "output";

    /// <summary>
    /// Imports the model at <paramref name="path"/> as weights whose <see cref="NetworkWeights{T}.Topology"/> is the
    /// network it describes: build <c>new InterpretedNetwork&lt;T&gt;(weights)</c> on them, or a generated class of the
    /// same layers. With <paramref name="loss"/> the network is trainable; <see cref="LossFunction.CrossEntropy"/> on a
    /// model that ends in logits (PyTorch's usual classifier) gives the output layer a Softmax, so Forward returns
    /// probabilities and training minimises <c>nn.CrossEntropyLoss</c> of the logits.
    /// </summary>
    /// <typeparam name="T">float or double: the network's precision (weights are converted to it).</typeparam>
    /// <exception cref="OnnxException">The model cannot be imported; the exception lists every problem.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    public static NetworkWeights<T> Load<T>(string path, LossFunction? loss = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Precision precision = PrecisionOf<T>();
        OnnxImport import = OnnxImporter.Import(path, File.ReadAllBytes(path), loss, precision);
        if (import.Theta is null || import.InputShape is null)
            throw new OnnxException(path, import.Problems.ConvertAll(p => p.Message));
        var topology = new NetworkTopology(import.InputShape, import.Layers, loss, precision, import.Output);
        var theta = new T[import.Theta.Length];
        for (int i = 0; i < theta.Length; i++) theta[i] = T.CreateTruncating(import.Theta[i]);
        return new NetworkWeights<T>(topology, theta);
    }

    /// <summary>Writes <paramref name="weights"/> and their topology to <paramref name="path"/> as an ONNX model (see <see cref="ToBytes{T}"/>).</summary>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be written.</exception>
    public static void Save<T>(NetworkWeights<T> weights, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, ToBytes(weights));
    }

    /// <summary>Writes <paramref name="network"/>'s topology and <see cref="IInferenceNetwork{T}.Weights"/> to <paramref name="path"/> as an ONNX model.</summary>
    /// <exception cref="IOException">Writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be written.</exception>
    public static void Save<T>(IInferenceNetwork<T> network, string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        Save(network.Weights, path);
    }

    /// <summary>
    /// The ONNX model of <paramref name="weights"/>' network: a serialized ModelProto that ONNX Runtime runs (within
    /// float rounding of Forward; ONNX Runtime's CPU kernels run double Gemm and activations but not double Conv or
    /// pooling) and <see cref="Load{T}"/> reads back exactly. The layers' operators are PyTorch's
    /// (Gemm, Conv, AveragePool, MaxPool, Add, Concat, Relu, LeakyRelu, Tanh, Sigmoid, Softmax); initializers are named
    /// as in the network's safetensors file; a connection table is a full convolution whose absent kernels are zeros,
    /// with the table in the model's metadata.
    /// </summary>
    public static byte[] ToBytes<T>(NetworkWeights<T> weights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        _ = PrecisionOf<T>();
        return OnnxWriter.Export(weights);
    }

    private static Precision PrecisionOf<T>() =>
        typeof(T) == typeof(float) ? Precision.Single
        : typeof(T) == typeof(double) ? Precision.Double
        : throw new NotSupportedException("ONNX models are read and written for float and double networks, not " + typeof(T).Name + ".");
}
