// The networks the engine tests compile, one class per topology and precision, named after the topology
// strings of Support/TestNetworks.cs ("3-5-2 Tanh,Sigmoid SquaredError" → Net_3_5_2_Tanh_Sigmoid_SquaredError).
// They cover every activation, both losses, softmax with either loss, widths around the 4- and 8-lane boundaries,
// layers small enough to be written out and large enough to be loops, and the PyTorch fixtures' topologies.
// Softmax with SquaredError is covered on purpose (its gradient is tested), so the analyzer's advice against it is off.
#pragma warning disable NC0017
using System;
using System.Collections.Generic;
using System.Linq;

namespace NetCompiler.Tests.Generated;

[Network, Input(3), Dense(5, Activation.Tanh), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_3_5_2_Tanh_Sigmoid_SquaredError { }

[Network(Precision = Precision.Double), Input(3), Dense(5, Activation.Tanh), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_3_5_2_Tanh_Sigmoid_SquaredError_Double { }

[Network, Input(12), Dense(16, Activation.ReLU), Dense(8, Activation.ReLU), Dense(4, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(12), Dense(16, Activation.ReLU), Dense(8, Activation.ReLU), Dense(4, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double { }

[Network, Input(6), Dense(9, Activation.LeakyReLU), Dense(3, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_6_9_3_LeakyReLU_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(6), Dense(9, Activation.LeakyReLU), Dense(3, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_6_9_3_LeakyReLU_Identity_SquaredError_Double { }

[Network, Input(4), Dense(7, Activation.Identity), Dense(3, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_4_7_3_Identity_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(4), Dense(7, Activation.Identity), Dense(3, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_4_7_3_Identity_Identity_SquaredError_Double { }

[Network, Input(1), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_1_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(1), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_1_Identity_SquaredError_Double { }

[Network, Input(1), Dense(17, Activation.Tanh), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_17_1_Tanh_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(1), Dense(17, Activation.Tanh), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_17_1_Tanh_Identity_SquaredError_Double { }

[Network, Input(33), Dense(9, Activation.Sigmoid), Dense(7, Activation.LeakyReLU), Dense(3, Activation.Softmax), Loss(LossFunction.SquaredError)]
public partial class Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError { }

[Network(Precision = Precision.Double), Input(33), Dense(9, Activation.Sigmoid), Dense(7, Activation.LeakyReLU), Dense(3, Activation.Softmax), Loss(LossFunction.SquaredError)]
public partial class Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError_Double { }

[Network, Input(9), Dense(33, Activation.ReLU), Dense(17, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_9_33_17_1_ReLU_Tanh_Sigmoid_SquaredError { }

[Network(Precision = Precision.Double), Input(9), Dense(33, Activation.ReLU), Dense(17, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_9_33_17_1_ReLU_Tanh_Sigmoid_SquaredError_Double { }

[Network, Input(7), Dense(3, Activation.Tanh), Dense(33, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_7_3_33_Tanh_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(7), Dense(3, Activation.Tanh), Dense(33, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_7_3_33_Tanh_Softmax_CrossEntropy_Double { }

[Network, Input(17), Dense(7, Activation.LeakyReLU), Dense(9, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_17_7_9_LeakyReLU_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(17), Dense(7, Activation.LeakyReLU), Dense(9, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_17_7_9_LeakyReLU_Softmax_CrossEntropy_Double { }

[Network, Input(5), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_5_3_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(5), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_5_3_Softmax_CrossEntropy_Double { }

[Network, Input(70), Dense(130, Activation.Tanh), Dense(9, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_70_130_9_Tanh_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(70), Dense(130, Activation.Tanh), Dense(9, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_70_130_9_Tanh_Softmax_CrossEntropy_Double { }

[Network, Input(40), Dense(100, Activation.Sigmoid), Dense(17, Activation.LeakyReLU), Loss(LossFunction.SquaredError)]
public partial class Net_40_100_17_Sigmoid_LeakyReLU_SquaredError { }

[Network(Precision = Precision.Double), Input(40), Dense(100, Activation.Sigmoid), Dense(17, Activation.LeakyReLU), Loss(LossFunction.SquaredError)]
public partial class Net_40_100_17_Sigmoid_LeakyReLU_SquaredError_Double { }

[Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_784_128_10_ReLU_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_784_128_10_ReLU_Softmax_CrossEntropy_Double { }

[Network, Input(2), Dense(4, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_2_4_1_Tanh_Sigmoid_SquaredError { }

[Network(Precision = Precision.Double), Input(2), Dense(4, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_2_4_1_Tanh_Sigmoid_SquaredError_Double { }

[Network, Input(9), Dense(17, Activation.LeakyReLU), Dense(33, Activation.Tanh), Dense(7, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(9), Dense(17, Activation.LeakyReLU), Dense(33, Activation.Tanh), Dense(7, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError_Double { }

[Network, Input(1), Dense(3, Activation.Sigmoid), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_3_1_Sigmoid_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(1), Dense(3, Activation.Sigmoid), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_3_1_Sigmoid_Identity_SquaredError_Double { }

[Network, Input(8), Dense(7, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.SquaredError)]
public partial class Net_8_7_3_Tanh_Softmax_SquaredError { }

[Network(Precision = Precision.Double), Input(8), Dense(7, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.SquaredError)]
public partial class Net_8_7_3_Tanh_Softmax_SquaredError_Double { }

[Network, Input(20), Dense(9, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_20_9_10_ReLU_Softmax_CrossEntropy { }

[Network(Precision = Precision.Double), Input(20), Dense(9, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class Net_20_9_10_ReLU_Softmax_CrossEntropy_Double { }

// Tiny networks whose layers fit in one vector (n = V, or n dividing V and m·n a multiple of V): the register path
// of the backward pass and TrainStep, the narrow forward kernels and the folded x̂ of a narrow hidden layer.
[Network, Input(2), Dense(8, Activation.Tanh), Dense(1, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Net_2_8_1_Tanh_Tanh_SquaredError { }

[Network(Precision = Precision.Double), Input(2), Dense(8, Activation.Tanh), Dense(1, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Net_2_8_1_Tanh_Tanh_SquaredError_Double { }

[Network, Input(8), Dense(8, Activation.Tanh), Dense(8, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Net_8_8_8_Tanh_Tanh_SquaredError { }

[Network(Precision = Precision.Double), Input(8), Dense(8, Activation.Tanh), Dense(8, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Net_8_8_8_Tanh_Tanh_SquaredError_Double { }

[Network, Input(4), Dense(8, Activation.ReLU), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_4_8_2_ReLU_Sigmoid_SquaredError { }

[Network(Precision = Precision.Double), Input(4), Dense(8, Activation.ReLU), Dense(2, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_4_8_2_ReLU_Sigmoid_SquaredError_Double { }

[Network, Input(1), Dense(8, Activation.LeakyReLU), Dense(4, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_8_4_LeakyReLU_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(1), Dense(8, Activation.LeakyReLU), Dense(4, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_1_8_4_LeakyReLU_Identity_SquaredError_Double { }

[Network, Input(2), Dense(4, Activation.Tanh), Dense(4, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_2_4_4_Tanh_Sigmoid_SquaredError { }

[Network(Precision = Precision.Double), Input(2), Dense(4, Activation.Tanh), Dense(4, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class Net_2_4_4_Tanh_Sigmoid_SquaredError_Double { }

[Network, Input(8), Dense(2, Activation.Sigmoid), Dense(8, Activation.Tanh), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError { }

[Network(Precision = Precision.Double), Input(8), Dense(2, Activation.Sigmoid), Dense(8, Activation.Tanh), Dense(1, Activation.Identity), Loss(LossFunction.SquaredError)]
public partial class Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError_Double { }

/// <summary>Factories of the generated networks above, by topology string.</summary>
public static class GeneratedNetworks
{
    public static readonly IReadOnlyDictionary<string, Func<INetwork<float>>> Single = new Dictionary<string, Func<INetwork<float>>>
    {
        ["3-5-2 Tanh,Sigmoid SquaredError"] = () => new Net_3_5_2_Tanh_Sigmoid_SquaredError(),
        ["12-16-8-4 ReLU,ReLU,Softmax CrossEntropy"] = () => new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy(),
        ["6-9-3 LeakyReLU,Identity SquaredError"] = () => new Net_6_9_3_LeakyReLU_Identity_SquaredError(),
        ["4-7-3 Identity,Identity SquaredError"] = () => new Net_4_7_3_Identity_Identity_SquaredError(),
        ["1-1 Identity SquaredError"] = () => new Net_1_1_Identity_SquaredError(),
        ["1-17-1 Tanh,Identity SquaredError"] = () => new Net_1_17_1_Tanh_Identity_SquaredError(),
        ["33-9-7-3 Sigmoid,LeakyReLU,Softmax SquaredError"] = () => new Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError(),
        ["9-33-17-1 ReLU,Tanh,Sigmoid SquaredError"] = () => new Net_9_33_17_1_ReLU_Tanh_Sigmoid_SquaredError(),
        ["7-3-33 Tanh,Softmax CrossEntropy"] = () => new Net_7_3_33_Tanh_Softmax_CrossEntropy(),
        ["17-7-9 LeakyReLU,Softmax CrossEntropy"] = () => new Net_17_7_9_LeakyReLU_Softmax_CrossEntropy(),
        ["5-3 Softmax CrossEntropy"] = () => new Net_5_3_Softmax_CrossEntropy(),
        ["70-130-9 Tanh,Softmax CrossEntropy"] = () => new Net_70_130_9_Tanh_Softmax_CrossEntropy(),
        ["40-100-17 Sigmoid,LeakyReLU SquaredError"] = () => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError(),
        ["784-128-10 ReLU,Softmax CrossEntropy"] = () => new Net_784_128_10_ReLU_Softmax_CrossEntropy(),
        ["2-4-1 Tanh,Sigmoid SquaredError"] = () => new Net_2_4_1_Tanh_Sigmoid_SquaredError(),
        ["9-17-33-7 LeakyReLU,Tanh,Identity SquaredError"] = () => new Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError(),
        ["1-3-1 Sigmoid,Identity SquaredError"] = () => new Net_1_3_1_Sigmoid_Identity_SquaredError(),
        ["8-7-3 Tanh,Softmax SquaredError"] = () => new Net_8_7_3_Tanh_Softmax_SquaredError(),
        ["20-9-10 ReLU,Softmax CrossEntropy"] = () => new Net_20_9_10_ReLU_Softmax_CrossEntropy(),
        ["2-8-1 Tanh,Tanh SquaredError"] = () => new Net_2_8_1_Tanh_Tanh_SquaredError(),
        ["8-8-8 Tanh,Tanh SquaredError"] = () => new Net_8_8_8_Tanh_Tanh_SquaredError(),
        ["4-8-2 ReLU,Sigmoid SquaredError"] = () => new Net_4_8_2_ReLU_Sigmoid_SquaredError(),
        ["1-8-4 LeakyReLU,Identity SquaredError"] = () => new Net_1_8_4_LeakyReLU_Identity_SquaredError(),
        ["2-4-4 Tanh,Sigmoid SquaredError"] = () => new Net_2_4_4_Tanh_Sigmoid_SquaredError(),
        ["8-2-8-1 Sigmoid,Tanh,Identity SquaredError"] = () => new Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError(),
    };

    public static readonly IReadOnlyDictionary<string, Func<INetwork<double>>> Double = new Dictionary<string, Func<INetwork<double>>>
    {
        ["3-5-2 Tanh,Sigmoid SquaredError"] = () => new Net_3_5_2_Tanh_Sigmoid_SquaredError_Double(),
        ["12-16-8-4 ReLU,ReLU,Softmax CrossEntropy"] = () => new Net_12_16_8_4_ReLU_ReLU_Softmax_CrossEntropy_Double(),
        ["6-9-3 LeakyReLU,Identity SquaredError"] = () => new Net_6_9_3_LeakyReLU_Identity_SquaredError_Double(),
        ["4-7-3 Identity,Identity SquaredError"] = () => new Net_4_7_3_Identity_Identity_SquaredError_Double(),
        ["1-1 Identity SquaredError"] = () => new Net_1_1_Identity_SquaredError_Double(),
        ["1-17-1 Tanh,Identity SquaredError"] = () => new Net_1_17_1_Tanh_Identity_SquaredError_Double(),
        ["33-9-7-3 Sigmoid,LeakyReLU,Softmax SquaredError"] = () => new Net_33_9_7_3_Sigmoid_LeakyReLU_Softmax_SquaredError_Double(),
        ["9-33-17-1 ReLU,Tanh,Sigmoid SquaredError"] = () => new Net_9_33_17_1_ReLU_Tanh_Sigmoid_SquaredError_Double(),
        ["7-3-33 Tanh,Softmax CrossEntropy"] = () => new Net_7_3_33_Tanh_Softmax_CrossEntropy_Double(),
        ["17-7-9 LeakyReLU,Softmax CrossEntropy"] = () => new Net_17_7_9_LeakyReLU_Softmax_CrossEntropy_Double(),
        ["5-3 Softmax CrossEntropy"] = () => new Net_5_3_Softmax_CrossEntropy_Double(),
        ["70-130-9 Tanh,Softmax CrossEntropy"] = () => new Net_70_130_9_Tanh_Softmax_CrossEntropy_Double(),
        ["40-100-17 Sigmoid,LeakyReLU SquaredError"] = () => new Net_40_100_17_Sigmoid_LeakyReLU_SquaredError_Double(),
        ["784-128-10 ReLU,Softmax CrossEntropy"] = () => new Net_784_128_10_ReLU_Softmax_CrossEntropy_Double(),
        ["2-4-1 Tanh,Sigmoid SquaredError"] = () => new Net_2_4_1_Tanh_Sigmoid_SquaredError_Double(),
        ["9-17-33-7 LeakyReLU,Tanh,Identity SquaredError"] = () => new Net_9_17_33_7_LeakyReLU_Tanh_Identity_SquaredError_Double(),
        ["1-3-1 Sigmoid,Identity SquaredError"] = () => new Net_1_3_1_Sigmoid_Identity_SquaredError_Double(),
        ["8-7-3 Tanh,Softmax SquaredError"] = () => new Net_8_7_3_Tanh_Softmax_SquaredError_Double(),
        ["20-9-10 ReLU,Softmax CrossEntropy"] = () => new Net_20_9_10_ReLU_Softmax_CrossEntropy_Double(),
        ["2-8-1 Tanh,Tanh SquaredError"] = () => new Net_2_8_1_Tanh_Tanh_SquaredError_Double(),
        ["8-8-8 Tanh,Tanh SquaredError"] = () => new Net_8_8_8_Tanh_Tanh_SquaredError_Double(),
        ["4-8-2 ReLU,Sigmoid SquaredError"] = () => new Net_4_8_2_ReLU_Sigmoid_SquaredError_Double(),
        ["1-8-4 LeakyReLU,Identity SquaredError"] = () => new Net_1_8_4_LeakyReLU_Identity_SquaredError_Double(),
        ["2-4-4 Tanh,Sigmoid SquaredError"] = () => new Net_2_4_4_Tanh_Sigmoid_SquaredError_Double(),
        ["8-2-8-1 Sigmoid,Tanh,Identity SquaredError"] = () => new Net_8_2_8_1_Sigmoid_Tanh_Identity_SquaredError_Double(),
    };

    /// <summary>The generated network compiled for <paramref name="topology"/>, as an engine for <see cref="Support.Engines"/>.</summary>
    public static INetwork<T> For<T>(NetworkTopology topology) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        string name = Describe(topology);
        object? network = typeof(T) == typeof(float) && Single.TryGetValue(name, out var single) ? single()
            : typeof(T) == typeof(double) && Double.TryGetValue(name, out var @double) ? @double()
            : null;
        return (INetwork<T>?)network ?? throw new ArgumentException($"No generated {typeof(T).Name} network for '{name}': declare one in Generated/Networks.cs.", nameof(topology));
    }

    /// <summary>"3-5-2 Tanh,Sigmoid SquaredError", the naming of Support/TestNetworks.cs.</summary>
    public static string Describe(NetworkTopology topology) =>
        topology.InputSize + "-" + string.Join("-", topology.Layers.Select(l => l.Outputs)) + " " +
        string.Join(",", topology.Layers.Select(l => l.Activation)) + " " + topology.Loss;
}

/// <summary>XOR, the classic problem a single-layer perceptron cannot learn.</summary>
[Network, Input(2), Dense(4, Activation.Tanh), Dense(1, Activation.Sigmoid), Loss(LossFunction.SquaredError)]
public partial class XorNetwork { }

/// <summary>Regression of sin on [−π, π].</summary>
[Network, Input(1), Dense(16, Activation.Tanh), Dense(1), Loss(LossFunction.SquaredError)]
public partial class SineNetwork { }

/// <summary>Inference only: no [Loss], so no Backward.</summary>
[Network, Input(10), Dense(6, Activation.ReLU), Dense(2)]
public partial class InferenceOnlyNetwork { }

/// <summary>
/// A chain with named layers and an unnamed one between them, read explicitly through From: still a chain (the chain
/// kernels), with the names in Topology and in the tensors' names (hidden1.weight, layer2.weight, output.weight).
/// </summary>
[Network, Input(6), Dense(20, Activation.ReLU, Name = "hidden1"), Dense(7, Activation.Tanh, From = new[] { "hidden1" }),
 Dense(3, Activation.Softmax, Name = "output"), Loss(LossFunction.CrossEntropy)]
public partial class NamedChainNetwork { }

/// <summary>A layer named "layer2" before the unnamed layer 2, whose tensors are named layer2.* too.</summary>
[Network, Input(3), Dense(4, Activation.Tanh, Name = "layer2"), Dense(2)]
public partial class CollidingNamesNetwork { }
