using System;
using System.IO;
using System.Linq;
using System.Text;
using NetCompiler.Onnx;
using Xunit;
using static NetCompiler.Tests.Onnx.HandBuilt;

namespace NetCompiler.Tests.Onnx;

/// <summary>Every kind of problem the importer reports, with its exact message, and every problem of a model listed, not just the first.</summary>
public sealed class OnnxProblemTests
{
    /// <summary>x [N, 4] → Gemm "/fc/Gemm" (fc.weight [3, 4], fc.bias) → "u".</summary>
    private static OnnxWriter Dense()
    {
        OnnxWriter g = Graph("N", "4");
        g.Weight("fc.weight", [3, 4], seed: 1);
        g.Weight("fc.bias", [3], seed: 2);
        g.Node("Gemm", "/fc/Gemm", ["x", "fc.weight", "fc.bias"], ["u"], OnnxWriter.Int("transB", 1));
        return g;
    }

    private static void AssertProblems(OnnxImport import, params (OnnxProblemKind Kind, string Message)[] expected)
    {
        Assert.Null(import.Theta);
        Assert.Equal(expected.Select(e => e.Kind + ": " + e.Message), import.Problems.Select(p => p.Kind + ": " + p.Message));
    }

    [Fact]
    public void Unsupported_operators_are_all_listed_with_their_index_name_and_op_type()
    {
        OnnxWriter g = Dense();
        g.Node("Erf", "/Erf", ["x"], ["e"]);
        g.Node("LogSoftmax", "/LogSoftmax", ["u"], ["y"], OnnxWriter.Int("axis", 1));
        g.Add(OnnxWriter.NodeProto("FusedGemm", "/fused", ["x"], ["z"], "com.microsoft"));
        OnnxImport import = g.Import("y");
        AssertProblems(import,
            (OnnxProblemKind.UnsupportedOperator, "node 1 ('/Erf', Erf) is an operator NetCompiler does not import (PyTorch writes nn.GELU as Div, Erf, Add and Mul; use ReLU, LeakyReLU, Tanh or Sigmoid)"),
            (OnnxProblemKind.UnsupportedOperator, "node 2 ('/LogSoftmax', LogSoftmax) is an operator NetCompiler does not import"),
            (OnnxProblemKind.UnsupportedOperator, "node 3 ('/fused', FusedGemm) is an operator of the domain 'com.microsoft'; NetCompiler imports operators of the default ONNX domain only"));
        Assert.Equal([1, 2, 3], import.Problems.Select(p => p.NodeIndex));
        Assert.Equal(["/Erf", "/LogSoftmax", "/fused"], import.Problems.Select(p => p.NodeName));
        Assert.Equal(["Erf", "LogSoftmax", "FusedGemm"], import.Problems.Select(p => p.OpType));
    }

    [Theory]
    [InlineData("group", "has group = 2 (NetCompiler imports group 1 only)")]
    [InlineData("dilations", "has dilations = [2, 2] (NetCompiler imports dilation 1 only)")]
    [InlineData("auto_pad", "has auto_pad = SAME_UPPER (NetCompiler imports NOTSET and VALID only)")]
    [InlineData("ceil_mode", "has ceil_mode = 1 (NetCompiler's pooling rounds down)")]
    public void Unsupported_attribute_values_name_the_attribute_and_its_value(string attribute, string message)
    {
        OnnxWriter g = Graph("N", "2", "8", "8");
        g.Weight("conv.weight", [2, attribute == "group" ? 1 : 2, 3, 3], seed: 1);
        if (attribute == "ceil_mode")
            g.Node("MaxPool", "/pool/MaxPool", ["x"], ["y"], OnnxWriter.Ints("kernel_shape", 3, 3), OnnxWriter.Ints("strides", 2, 2), OnnxWriter.Int("ceil_mode", 1));
        else
            g.Node("Conv", "/conv/Conv", ["x", "conv.weight"], ["y"], attribute switch
            {
                "group" => OnnxWriter.Int("group", 2),
                "dilations" => OnnxWriter.Ints("dilations", 2, 2),
                _ => OnnxWriter.Text("auto_pad", "SAME_UPPER"),
            });
        string node = attribute == "ceil_mode" ? "node 0 ('/pool/MaxPool', MaxPool) " : "node 0 ('/conv/Conv', Conv) ";
        AssertProblems(g.Import("y"), (OnnxProblemKind.UnsupportedAttribute, node + message));
    }

    [Fact]
    public void LeakyRelu_with_another_slope_is_an_unsupported_attribute()
    {
        OnnxWriter g = Dense();
        g.Node("LeakyRelu", "/act/LeakyRelu", ["u"], ["y"], OnnxWriter.Float("alpha", 0.2f));
        AssertProblems(g.Import("y"),
            (OnnxProblemKind.UnsupportedAttribute, "node 1 ('/act/LeakyRelu', LeakyRelu) has alpha = 0.2 (NetCompiler's LeakyReLU has slope 0.01, PyTorch's default)"));
    }

    [Fact]
    public void A_symbolic_dimension_other_than_the_batch_is_a_dynamic_dimension()
    {
        OnnxWriter g = Graph("N", "1", "H", "?");
        g.Node("Relu", "/relu/Relu", ["x"], ["y"]);
        AssertProblems(g.Import("y"),
            (OnnxProblemKind.DynamicDimension, "the input 'x' has a symbolic dimension 'H' at position 2; only the batch dimension (position 0) may be dynamic"),
            (OnnxProblemKind.DynamicDimension, "the input 'x' has an unknown dimension at position 3; only the batch dimension (position 0) may be dynamic"));
    }

    [Theory]
    [InlineData(8, 9)]
    [InlineData(19, 18)]
    public void An_opset_outside_9_to_18_is_unsupported(int opset, int suggested)
    {
        AssertProblems(Dense().Import("u", opset),
            (OnnxProblemKind.UnsupportedOpset, $"the model uses opset {opset} of the default ONNX domain; NetCompiler imports opsets 9 to 18 (export with opset_version={suggested})"));
    }

    [Fact]
    public void A_truncated_file_is_not_a_model()
    {
        byte[] model = Dense().Model("u");
        OnnxImport import = Import(model.AsSpan(0, model.Length - 20).ToArray());
        Assert.Equal(OnnxProblemKind.NotAModel, Assert.Single(import.Problems).Kind);
        Assert.StartsWith("it is truncated: a length of ", import.Problems[0].Message);
    }

    [Fact]
    public void Bytes_that_are_not_protobuf_are_not_a_model()
    {
        AssertProblems(Import(Encoding.UTF8.GetBytes("{\"model\": \"not onnx\"}")),
            (OnnxProblemKind.NotAModel, "it is not a protobuf message: field 15 is a group (wire type 3), which ONNX never uses (at byte 0)"));
        AssertProblems(Import([]), (OnnxProblemKind.NotAModel, "the file is empty"));
    }

    [Fact]
    public void A_model_without_a_graph_is_not_a_model()
    {
        var model = new ProtoWriter();
        model.Varint(1, 8);
        AssertProblems(Import(model.ToArray()), (OnnxProblemKind.NotAModel, "it has no graph"));
    }

    [Fact]
    public void Weights_in_an_external_file_are_not_supported()
    {
        OnnxWriter g = Graph("N", "4");
        ProtoWriter weight = OnnxWriter.Tensor("fc.weight", [3, 4], new double[12]);
        weight.Varint(14, 1); // data_location = EXTERNAL
        g.Initializer(weight);
        g.Node("Gemm", "/fc/Gemm", ["x", "fc.weight"], ["u"], OnnxWriter.Int("transB", 1));
        AssertProblems(g.Import("u"), (OnnxProblemKind.NotAModel,
            "its initializer 'fc.weight' stores its data in an external file, which is not supported: save the model with its weights inside it"));
    }

    [Fact]
    public void Structures_without_a_layer_are_unrepresentable()
    {
        OnnxWriter twoOutputs = Dense();
        twoOutputs.Output("x", Float, null);
        AssertProblems(twoOutputs.Import("u"), (OnnxProblemKind.Unrepresentable, "the graph has 2 outputs; a NetCompiler network has one"));

        OnnxWriter onInput = Graph("N", "4");
        onInput.Node("Relu", "/relu/Relu", ["x"], ["y"]);
        AssertProblems(onInput.Import("y"),
            (OnnxProblemKind.Unrepresentable, "node 0 ('/relu/Relu', Relu) applies Relu to the network's input; NetCompiler has no layer there to take it"));

        OnnxWriter computedWeight = Dense();
        computedWeight.Node("MatMul", "/mm/MatMul", ["x", "u"], ["y"]);
        AssertProblems(computedWeight.Import("y"), (OnnxProblemKind.Unrepresentable,
            "node 1 ('/mm/MatMul', MatMul) reads its weight from 'u', which the graph computes; NetCompiler needs it as an initializer or a Constant"));

        OnnxWriter hiddenSoftmax = Dense();
        hiddenSoftmax.Weight("fc2.weight", [2, 3], seed: 3);
        hiddenSoftmax.Node("Softmax", "/Softmax", ["u"], ["s"]);
        hiddenSoftmax.Node("Gemm", "/fc2/Gemm", ["s", "fc2.weight"], ["y"], OnnxWriter.Int("transB", 1));
        AssertProblems(hiddenSoftmax.Import("y"), (OnnxProblemKind.Unrepresentable,
            "the imported network is not valid: Dense layer 1 ('fc') uses Softmax, which is only supported on the output layer (layer 2 ('fc2'))."));
    }

    [Fact]
    public void Load_throws_OnnxException_listing_every_problem()
    {
        OnnxWriter g = Dense();
        g.Node("Erf", "/Erf", ["u"], ["e"]);
        g.Node("Celu", "/Celu", ["e"], ["y"]);
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, g.Model("y"));
            var exception = Assert.Throws<OnnxException>(() => OnnxModel.Load<float>(path));
            Assert.Equal(2, exception.Problems.Count);
            Assert.Equal(
                $"Cannot import '{path}': 2 problems:{Environment.NewLine}  1. node 1 ('/Erf', Erf) is an operator NetCompiler does not import (PyTorch writes nn.GELU as Div, Erf, Add and Mul; use ReLU, LeakyReLU, Tanh or Sigmoid)."
                + $"{Environment.NewLine}  2. node 2 ('/Celu', Celu) is an operator NetCompiler does not import.", exception.Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<FileNotFoundException>(() => OnnxModel.Load<float>(Path.Combine(Path.GetTempPath(), "no-such-model.onnx")));
    }
}
