// Generated networks the trainer tests train (see Generated/Networks.cs for how networks are declared).
namespace NetCompiler.Tests.Training;

/// <summary>2 → 16 tanh → 3 softmax, cross-entropy: the blobs classifier (same topology as "2-16-3 Tanh,Softmax CrossEntropy").</summary>
[Network, Input(2), Dense(16, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class BlobsMlp { }

/// <summary>784 → 64 ReLU → 10 softmax, cross-entropy: a small Fashion-MNIST classifier.</summary>
[Network, Input(784), Dense(64, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
public partial class FashionMlp { }
