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

/// <summary>
/// A small modern CNN (94,354 parameters): two 3×3 ReLU convolutions of 32 and 64 maps, each padded to keep its size
/// and followed by 2×2 max pooling, a hidden layer of 24 ReLU units on the 64@7×7 maps, and 10 softmax outputs with
/// cross-entropy.
/// </summary>
[Network]
[Input(1, 28, 28)]
[Conv2D(32, 3, Activation.ReLU, Padding = 1, Name = "conv1")]
[MaxPool(2, Name = "pool1")]
[Conv2D(64, 3, Activation.ReLU, Padding = 1, Name = "conv2")]
[MaxPool(2, Name = "pool2")]
[Dense(24, Activation.ReLU, Name = "hidden")]
[Dense(10, Activation.Softmax, Name = "output")]
[Loss(LossFunction.CrossEntropy)]
public partial class Cnn { }
