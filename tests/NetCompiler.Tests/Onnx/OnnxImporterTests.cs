using System;
using System.Linq;
using NetCompiler.Onnx;
using NetCompiler.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static NetCompiler.Tests.Onnx.HandBuilt;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// What the importer makes of each operator pattern, on models written by hand as PyTorch exports them: the layers,
/// θ in NetCompiler's layout, and Forward against a reference computed here in double from the operators' definitions.
/// </summary>
public sealed class OnnxImporterTests(ITestOutputHelper output)
{
    /// <summary>Double Forward against a double reference of the same float-rounded weights: only summation order differs.</summary>
    private const double Tolerance = 1e-12;

    [Fact]
    public void Gemm_with_alpha_beta_and_an_untransposed_weight_is_a_dense_layer()
    {
        OnnxWriter g = Graph("N", "4");
        double[] b = g.Weight("fc.weight", [4, 3], seed: 1), c = g.Weight("fc.bias", [3], seed: 2);
        g.Node("Gemm", "/fc/Gemm", ["x", "fc.weight", "fc.bias"], ["y"], OnnxWriter.Float("alpha", 0.5f), OnnxWriter.Float("beta", 2f));
        OnnxImport import = g.Import("y");

        Assert.Empty(import.Problems);
        Assert.Equal(["fc: Dense(3, Identity)"], Layers(import));
        // W[o, i] = alpha·B[i, o], then b = beta·C.
        double[] expected = Enumerable.Range(0, 12).Select(j => 0.5 * b[(j % 4) * 3 + j / 4]).Concat(c.Select(v => 2 * v)).ToArray();
        Assert.Equal(expected, import.Theta);
        double[] x = Values(3, 4), y = new double[3];
        Network(import).Forward(x, y);
        double[] reference = Enumerable.Range(0, 3).Select(o => 2 * c[o] + 0.5 * Enumerable.Range(0, 4).Sum(i => x[i] * b[i * 3 + o])).ToArray();
        NumericAssert.Close<double>(reference, y, Tolerance, "Gemm(alpha 0.5, beta 2, transB 0)");
    }

    [Fact]
    public void MatMul_then_Add_then_Relu_is_one_dense_layer_with_its_bias_and_activation()
    {
        OnnxWriter g = Graph("N", "4");
        double[] w = g.Weight("fc.weight", [4, 3], seed: 1), b = g.Weight("fc.bias", [1, 3], seed: 2);
        g.Node("MatMul", "/fc/MatMul", ["x", "fc.weight"], ["t"]);
        g.Node("Add", "/fc/Add", ["t", "fc.bias"], ["u"]);
        g.Node("Relu", "/relu/Relu", ["u"], ["y"]);
        OnnxImport import = g.Import("y");

        Assert.Empty(import.Problems);
        Assert.Equal(["fc: Dense(3, ReLU)"], Layers(import));
        Assert.Equal(Enumerable.Range(0, 12).Select(j => w[(j % 4) * 3 + j / 4]).Concat(b), import.Theta);
        Assert.Equal("[Network]\n[Input(4)]\n[Dense(3, Activation.ReLU, Name = \"fc\")]\n", import.Declaration);
    }

    [Fact]
    public void BatchNormalization_after_a_Conv_is_folded_into_it()
    {
        // x [2, 5, 5] → Conv(3 filters, 3×3, pads 1) → BatchNormalization(ε = 1e-3), PyTorch's eval-mode layout before folding.
        OnnxWriter g = Graph("N", "2", "5", "5");
        double[] w = g.Weight("conv.weight", [3, 2, 3, 3], seed: 1), b = g.Weight("conv.bias", [3], seed: 2);
        double[] gamma = g.Weight("bn.weight", [3], seed: 3), beta = g.Weight("bn.bias", [3], seed: 4);
        double[] mean = g.Weight("bn.running_mean", [3], seed: 5), variance = g.Weight("bn.running_var", [3], seed: 6, low: 0.2, high: 2);
        g.Node("Conv", "/conv/Conv", ["x", "conv.weight", "conv.bias"], ["u"], OnnxWriter.Ints("kernel_shape", 3, 3), OnnxWriter.Ints("pads", 1, 1, 1, 1));
        g.Node("BatchNormalization", "/bn/BatchNormalization", ["u", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["y"],
            OnnxWriter.Float("epsilon", 1e-3f));
        OnnxImport import = g.Import("y");

        Assert.Empty(import.Problems);
        Assert.Equal(["conv: Conv2D(3, 3, Identity, padding 1)"], Layers(import));
        double[] x = Values(7, 50), y = new double[75];
        Network(import).Forward(x, y);
        double[] u = Conv(x, channels: 2, size: 5, w, b, filters: 3, k: 3, pad: 1);
        double epsilon = 1e-3f;
        double[] reference = u.Select((v, j) => gamma[j / 25] * (v - mean[j / 25]) / Math.Sqrt(variance[j / 25] + epsilon) + beta[j / 25]).ToArray();
        NumericAssert.Close<double>(reference, y, Tolerance, "BN(conv(x)) folded into the convolution");
    }

    [Fact]
    public void BatchNormalization_after_a_Gemm_is_folded_into_it()
    {
        OnnxWriter g = Graph("N", "4");
        double[] w = g.Weight("fc.weight", [3, 4], seed: 1), b = g.Weight("fc.bias", [3], seed: 2);
        double[] gamma = g.Weight("bn.weight", [3], seed: 3), beta = g.Weight("bn.bias", [3], seed: 4);
        double[] mean = g.Weight("bn.running_mean", [3], seed: 5), variance = g.Weight("bn.running_var", [3], seed: 6, low: 0.2, high: 2);
        g.Node("Gemm", "/fc/Gemm", ["x", "fc.weight", "fc.bias"], ["u"], OnnxWriter.Int("transB", 1));
        g.Node("BatchNormalization", "/bn/BatchNormalization", ["u", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["v"]);
        g.Node("Relu", "/relu/Relu", ["v"], ["y"]);
        OnnxImport import = g.Import("y");

        Assert.Equal(["fc: Dense(3, ReLU)"], Layers(import));
        double[] x = Values(7, 4), y = new double[3];
        Network(import).Forward(x, y);
        double epsilon = 1e-5f; // BatchNormalization's default
        double[] reference = Enumerable.Range(0, 3).Select(o =>
        {
            double u = b[o] + Enumerable.Range(0, 4).Sum(i => w[o * 4 + i] * x[i]);
            return Math.Max(0, gamma[o] * (u - mean[o]) / Math.Sqrt(variance[o] + epsilon) + beta[o]);
        }).ToArray();
        NumericAssert.Close<double>(reference, y, Tolerance, "relu(BN(W·x + b)) folded into the dense layer");
    }

    [Fact]
    public void BatchNormalization_with_no_layer_to_fold_into_is_a_per_channel_affine_layer()
    {
        OnnxWriter g = Graph("N", "2", "4", "4");
        double[] gamma = g.Weight("bn.weight", [2], seed: 3), beta = g.Weight("bn.bias", [2], seed: 4);
        double[] mean = g.Weight("bn.running_mean", [2], seed: 5), variance = g.Weight("bn.running_var", [2], seed: 6, low: 0.2, high: 2);
        g.Node("MaxPool", "/pool/MaxPool", ["x"], ["p"], OnnxWriter.Ints("kernel_shape", 2, 2), OnnxWriter.Ints("strides", 2, 2));
        g.Node("BatchNormalization", "/bn/BatchNormalization", ["p", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["y"]);
        OnnxImport import = g.Import("y");

        Assert.Equal(["pool: MaxPool(2)", "bn: AvgPool(1, trainable)"], Layers(import));
        double[] x = Values(7, 32), y = new double[8];
        Network(import).Forward(x, y);
        double epsilon = 1e-5f;
        double[] reference = Enumerable.Range(0, 8).Select(j =>
        {
            int c = j / 4, row = j % 4 / 2, column = j % 2;
            double max = new[] { 0, 1, 4, 5 }.Max(d => x[c * 16 + row * 8 + column * 2 + d]);
            return gamma[c] * (max - mean[c]) / Math.Sqrt(variance[c] + epsilon) + beta[c];
        }).ToArray();
        NumericAssert.Close<double>(reference, y, Tolerance, "BN(maxpool(x)) as AvgPool(1, Trainable)");
    }

    [Fact]
    public void A_zero_Pad_before_AveragePool_is_dropped()
    {
        // PyTorch 1.13 writes nn.AvgPool2d(2) as Constant → Pad → AveragePool.
        OnnxWriter g = Graph("N", "1", "4", "4");
        g.Int64Constant("/pool/Constant", "/pool/Constant_output_0", 0, 0, 0, 0, 0, 0, 0, 0);
        g.Node("Pad", "/pool/Pad", ["x", "/pool/Constant_output_0"], ["/pool/Pad_output_0"], OnnxWriter.Text("mode", "constant"));
        g.Node("AveragePool", "/pool/AveragePool", ["/pool/Pad_output_0"], ["/pool/AveragePool_output_0"],
            OnnxWriter.Ints("kernel_shape", 2, 2), OnnxWriter.Ints("strides", 2, 2), OnnxWriter.Ints("pads", 0, 0, 0, 0), OnnxWriter.Int("ceil_mode", 0));
        OnnxImport import = g.Import("/pool/AveragePool_output_0");
        Assert.Empty(import.Problems);
        Assert.Equal(["pool: AvgPool(2)"], Layers(import));
    }

    [Fact]
    public void A_Pad_before_a_Conv_becomes_its_padding()
    {
        OnnxWriter g = Graph("N", "1", "5", "5");
        g.Weight("a.weight", [2, 1, 3, 3], seed: 1);
        g.Weight("b.weight", [2, 2, 3, 3], seed: 2);
        g.Initializer(OnnxWriter.Tensor("pads", [8], [0, 0, 1, 1, 0, 0, 1, 1], TensorProto.Int64));
        g.Node("Pad", "/a/Pad", ["x", "pads"], ["p"]);
        g.Node("Conv", "/a/Conv", ["p", "a.weight"], ["u"]);                                        // pads 0 + Pad 1
        g.Node("Pad", "/b/Pad", ["u", "pads"], ["q"]);
        g.Node("Conv", "/b/Conv", ["q", "b.weight"], ["y"], OnnxWriter.Ints("pads", 1, 1, 1, 1));  // pads 1 + Pad 1
        OnnxImport import = g.Import("y");
        Assert.Empty(import.Problems);
        Assert.Equal(["a: Conv2D(2, 3, Identity, padding 1)", "b: Conv2D(2, 3, Identity, padding 2)"], Layers(import));
    }

    [Fact]
    public void A_Relu_after_a_MaxPool_moves_onto_the_layer_before_it()
    {
        // f∘max = max∘f for monotone f: Conv → MaxPool → Relu is Conv(ReLU) → MaxPool.
        OnnxWriter g = Graph("N", "1", "6", "6");
        g.Weight("conv.weight", [2, 1, 3, 3], seed: 1);
        g.Weight("conv.bias", [2], seed: 2);
        g.Weight("fc.weight", [3, 8], seed: 3);
        g.Node("Conv", "/conv/Conv", ["x", "conv.weight", "conv.bias"], ["u"], OnnxWriter.Ints("kernel_shape", 3, 3));
        g.Node("MaxPool", "/pool/MaxPool", ["u"], ["p"], OnnxWriter.Ints("kernel_shape", 2, 2), OnnxWriter.Ints("strides", 2, 2));
        g.Node("Relu", "/relu/Relu", ["p"], ["r"]);
        g.Node("Flatten", "/Flatten", ["r"], ["f"]);
        g.Node("Gemm", "/fc/Gemm", ["f", "fc.weight"], ["y"], OnnxWriter.Int("transB", 1));
        OnnxImport import = g.Import("y");
        Assert.Empty(import.Problems);
        Assert.Equal(["conv: Conv2D(2, 3, ReLU)", "pool: MaxPool(2)", "fc: Dense(3, Identity)"], Layers(import));
    }

    [Fact]
    public void Dropout_Identity_Squeeze_and_flattening_Reshape_are_removed()
    {
        OnnxWriter g = Graph("N", "1", "3", "3");
        g.Weight("conv.weight", [2, 1, 3, 3], seed: 1);
        g.Weight("fc.weight", [3, 2], seed: 2);
        g.Initializer(OnnxWriter.Tensor("ratio", [], [0.5]));
        g.Initializer(OnnxWriter.Tensor("axes", [2], [2, 3], TensorProto.Int64));
        g.Node("Conv", "/conv/Conv", ["x", "conv.weight"], ["u"]);                          // [2, 1, 1], like a global pooling
        g.Node("Squeeze", "/Squeeze", ["u", "axes"], ["s"]);                                // [2]
        g.Node("Dropout", "/drop/Dropout", ["s", "ratio"], ["d", "mask"]);                  // its mask unused
        g.Node("Identity", "/Identity", ["d"], ["i"]);
        g.Node("Gemm", "/fc/Gemm", ["i", "fc.weight"], ["v"], OnnxWriter.Int("transB", 1));
        g.Int64Constant("/Constant", "shape", -1, 3);
        g.Node("Reshape", "/Reshape", ["v", "shape"], ["y"]);
        OnnxImport import = g.Import("y");
        Assert.Empty(import.Problems);
        Assert.Equal(["conv: Conv2D(2, 3, Identity)", "fc: Dense(3, Identity)"], Layers(import));
    }

    [Theory]
    [InlineData(11, 1L)]   // opset < 13: axis 1 of [N, C] is the last axis
    [InlineData(13, -1L)]
    [InlineData(13, null)] // opset 13's default axis is −1
    public void Softmax_over_the_last_axis_is_the_output_layers_Softmax(int opset, long? axis)
    {
        OnnxWriter g = Graph("N", "4");
        g.Weight("fc.weight", [3, 4], seed: 1);
        g.Node("Gemm", "/fc/Gemm", ["x", "fc.weight"], ["u"], OnnxWriter.Int("transB", 1));
        g.Node("Softmax", "/Softmax", ["u"], ["y"], axis is null ? new ProtoWriter[0] : new[] { OnnxWriter.Int("axis", axis.Value) });
        OnnxImport import = g.Import("y", opset);
        Assert.Empty(import.Problems);
        Assert.Equal(["fc: Dense(3, Softmax)"], Layers(import));
    }

    [Fact]
    public void Layers_are_named_after_their_weights_else_their_PyTorch_scopes_uniquely()
    {
        OnnxWriter g = Graph("N", "1", "6", "6");
        g.Weight("onnx::Conv_21", [2, 1, 3, 3], seed: 1); // PyTorch's name for a convolution with BatchNormalization folded in
        g.Weight("onnx::Conv_22", [2], seed: 2);
        g.Weight("onnx::Conv_23", [2, 2, 1, 1], seed: 3);
        g.Weight("head.0.weight", [3, 50], seed: 4);
        g.Node("Conv", "/features/features.0/Conv", ["x", "onnx::Conv_21", "onnx::Conv_22"], ["a"], OnnxWriter.Ints("pads", 1, 1, 1, 1));
        g.Node("Conv", "/features/features.0/Conv_1", ["a", "onnx::Conv_23"], ["b"]);
        g.Node("MaxPool", "/MaxPool", ["b"], ["c"], OnnxWriter.Ints("kernel_shape", 2, 2), OnnxWriter.Ints("strides", 1, 1));
        g.Node("Flatten", "/Flatten", ["c"], ["d"]);
        g.Node("Gemm", "/head/head.0/Gemm", ["d", "head.0.weight"], ["y"], OnnxWriter.Int("transB", 1));
        OnnxImport import = g.Import("y");
        Assert.Empty(import.Problems);
        Assert.Equal(["features.0: Conv2D(2, 3, Identity, padding 1)", "features.0_2: Conv2D(2, 1, Identity)", "maxpool2: MaxPool(2, stride 1)",
            "head.0: Dense(3, Identity)"], Layers(import));
        Assert.Equal("layer1.0.conv1", OnnxImporter.NodeScope("/layer1/layer1.0/conv1/Conv"));
        Assert.Equal("fc1", OnnxImporter.NodeScope("/fc1/Gemm"));
        Assert.Null(OnnxImporter.NodeScope("/Relu_1"));
        Assert.Equal("out", OnnxImporter.WeightPrefix("out.weight.input"));
        Assert.Null(OnnxImporter.WeightPrefix("onnx::Gemm_12"));
    }

    [Fact]
    public void The_declaration_is_the_attribute_form_of_the_imported_network()
    {
        var network = new NetCompiler.Samples.LeNet5();
        string path = System.IO.Path.GetTempFileName();
        try
        {
            OnnxModel.Save(network, path);
            OnnxImport import = OnnxImporter.Import(path, System.IO.File.ReadAllBytes(path), LossFunction.CrossEntropy);
            output.WriteLine(import.Declaration);
            Assert.Equal(
                """
                [Network]
                [Input(1, 28, 28)]
                [Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1")]
                [AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2")]
                [Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[] { "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX" })]
                [AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4")]
                [Conv2D(120, 5, Activation.Tanh, Name = "C5")]
                [Dense(84, Activation.Tanh, Name = "F6")]
                [Dense(10, Activation.Softmax, Name = "output")]
                [Loss(LossFunction.CrossEntropy)]

                """.Replace("\r\n", "\n"), import.Declaration);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void CrossEntropy_on_a_model_that_ends_in_logits_gives_a_softmax_output_that_trains()
    {
        // A PyTorch classifier: Linear → ReLU → Linear, logits out (trained with nn.CrossEntropyLoss).
        OnnxWriter g = Graph("N", "4");
        g.Weight("fc1.weight", [8, 4], seed: 1);
        g.Weight("fc1.bias", [8], seed: 2);
        g.Weight("fc2.weight", [3, 8], seed: 3);
        g.Weight("fc2.bias", [3], seed: 4);
        g.Node("Gemm", "/fc1/Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"], OnnxWriter.Int("transB", 1));
        g.Node("Relu", "/relu/Relu", ["h"], ["r"]);
        g.Node("Gemm", "/fc2/Gemm", ["r", "fc2.weight", "fc2.bias"], ["logits"], OnnxWriter.Int("transB", 1));
        byte[] model = g.Model("logits");

        Assert.Equal(["fc1: Dense(8, ReLU)", "fc2: Dense(3, Identity)"], Layers(Import(model)));
        OnnxImport import = Import(model, LossFunction.CrossEntropy);
        Assert.Equal(["fc1: Dense(8, ReLU)", "fc2: Dense(3, Softmax)"], Layers(import));
        Assert.Contains("[Dense(3, Activation.Softmax, Name = \"fc2\")] // Softmax for LossFunction.CrossEntropy", import.Declaration);

        string path = System.IO.Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllBytes(path, model);
            NetworkWeights<float> weights = OnnxModel.Load<float>(path, LossFunction.CrossEntropy);
            var network = new InterpretedNetwork<float>(weights);
            float[] x = [0.5f, -1f, 0.25f, 2f], target = [0, 1, 0], probabilities = new float[3];
            network.Forward(x, probabilities);
            Assert.Equal(1f, probabilities.Sum(), 5);
            float before = network.TrainStep(x, target, 0.1f);
            network.Forward(x, probabilities);
            float after = -MathF.Log(probabilities[1]);
            output.WriteLine($"cross-entropy before one TrainStep {before}, after {after}");
            Assert.True(after < before, $"loss {before} → {after}");
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    /// <summary>u[f, y, x] = b[f] + Σ_i Σ_ky Σ_kx w[f, i, ky, kx]·x[i, y + ky − pad, x + kx − pad] (zero outside), stride 1, square input.</summary>
    private static double[] Conv(double[] x, int channels, int size, double[] w, double[] b, int filters, int k, int pad)
    {
        int outSize = size + 2 * pad - k + 1;
        var u = new double[filters * outSize * outSize];
        for (int f = 0; f < filters; f++)
            for (int r = 0; r < outSize; r++)
                for (int c = 0; c < outSize; c++)
                {
                    double sum = b[f];
                    for (int i = 0; i < channels; i++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                            {
                                int row = r + ky - pad, column = c + kx - pad;
                                if (row >= 0 && row < size && column >= 0 && column < size)
                                    sum += w[((f * channels + i) * k + ky) * k + kx] * x[(i * size + row) * size + column];
                            }
                    u[(f * outSize + r) * outSize + c] = sum;
                }
        return u;
    }
}
