using NetCompiler;

namespace NetCompiler.Samples.Fashion;

/// <summary>A 784-256-128-10 multilayer perceptron: two ReLU hidden layers, softmax outputs and cross-entropy.</summary>
[Network]
[Input(784)]
[Dense(256, Activation.ReLU, Name = "hidden1")]
[Dense(128, Activation.ReLU, Name = "hidden2")]
[Dense(10, Activation.Softmax, Name = "output")]
[Loss(LossFunction.CrossEntropy)]
public partial class Mlp { }
