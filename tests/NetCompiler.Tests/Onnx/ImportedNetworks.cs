// PyTorch's ONNX fixtures compiled by the generator: each class names only its model ([Network(Onnx = …)]); the
// layers and weights come from the file at build time. PyTorchOnnxFixtureTests runs them against PyTorch's outputs.
using System;
using System.Collections.Generic;

namespace NetCompiler.Tests.Onnx;

[Network(Onnx = "Fixtures/onnx/mlp_bn_dropout.onnx")] public partial class ImportedMlpBnDropout { }
[Network(Onnx = "Fixtures/onnx/lenet_logits.onnx")] public partial class ImportedLeNetLogits { }
[Network(Onnx = "Fixtures/onnx/conv1d_stride_pad.onnx")] public partial class ImportedConv1D { }
[Network(Onnx = "Fixtures/onnx/residual_add_concat.onnx")] public partial class ImportedResidual { }
[Network(Onnx = "Fixtures/onnx/conv_bn_pool_bn.onnx")] public partial class ImportedConvBnPoolBn { }
[Network(Onnx = "Fixtures/onnx/softmax_opset11.onnx")] public partial class ImportedSoftmaxOpset11 { }

[Network(Onnx = "Fixtures/onnx/mlp_bn_dropout.onnx", Precision = Precision.Double)] public partial class ImportedMlpBnDropoutDouble { }
[Network(Onnx = "Fixtures/onnx/lenet_logits.onnx", Precision = Precision.Double)] public partial class ImportedLeNetLogitsDouble { }
[Network(Onnx = "Fixtures/onnx/conv1d_stride_pad.onnx", Precision = Precision.Double)] public partial class ImportedConv1DDouble { }
[Network(Onnx = "Fixtures/onnx/residual_add_concat.onnx", Precision = Precision.Double)] public partial class ImportedResidualDouble { }
[Network(Onnx = "Fixtures/onnx/conv_bn_pool_bn.onnx", Precision = Precision.Double)] public partial class ImportedConvBnPoolBnDouble { }
[Network(Onnx = "Fixtures/onnx/softmax_opset11.onnx", Precision = Precision.Double)] public partial class ImportedSoftmaxOpset11Double { }

/// <summary>The LeNet-like model ending in logits, made trainable: cross-entropy gives it a softmax output (nn.CrossEntropyLoss).</summary>
[Network(Onnx = "Fixtures/onnx/lenet_logits.onnx"), Loss(LossFunction.CrossEntropy)]
public partial class TunableLeNet { }

/// <summary>The generated imports by fixture name.</summary>
public static class ImportedNetworks
{
    public static readonly IReadOnlyDictionary<string, Func<IInferenceNetwork<float>>> Single = new Dictionary<string, Func<IInferenceNetwork<float>>>
    {
        ["mlp_bn_dropout"] = () => new ImportedMlpBnDropout(),
        ["lenet_logits"] = () => new ImportedLeNetLogits(),
        ["conv1d_stride_pad"] = () => new ImportedConv1D(),
        ["residual_add_concat"] = () => new ImportedResidual(),
        ["conv_bn_pool_bn"] = () => new ImportedConvBnPoolBn(),
        ["softmax_opset11"] = () => new ImportedSoftmaxOpset11(),
    };

    public static readonly IReadOnlyDictionary<string, Func<IInferenceNetwork<double>>> Double = new Dictionary<string, Func<IInferenceNetwork<double>>>
    {
        ["mlp_bn_dropout"] = () => new ImportedMlpBnDropoutDouble(),
        ["lenet_logits"] = () => new ImportedLeNetLogitsDouble(),
        ["conv1d_stride_pad"] = () => new ImportedConv1DDouble(),
        ["residual_add_concat"] = () => new ImportedResidualDouble(),
        ["conv_bn_pool_bn"] = () => new ImportedConvBnPoolBnDouble(),
        ["softmax_opset11"] = () => new ImportedSoftmaxOpset11Double(),
    };
}
