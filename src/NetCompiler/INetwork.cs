using System;
using System.Numerics;

namespace NetCompiler;

/// <summary>
/// A network that runs forward passes: implemented by every generated class and by InterpretedNetwork{T}.
/// </summary>
/// <remarks>
/// Threading: an instance is a workspace over its <see cref="Weights"/>: it owns the buffers its passes write
/// (activations, and for a trainable network sensitivities and gradients), so it serves one thread at a time. Any
/// number of instances may run Forward concurrently over the same weights: give each thread its own instance
/// (<see cref="CreateWorkspace"/>, or the class's constructor that takes NetworkWeights). Update, TrainStep or any
/// write to weights that other threads are reading is the caller's to order.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public interface IInferenceNetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The runtime description of this network.</summary>
    NetworkTopology Topology { get; }

    /// <summary>n_0: the length <see cref="Forward"/> expects for its input.</summary>
    int InputSize { get; }

    /// <summary>n_L: the length of the output.</summary>
    int OutputSize { get; }

    /// <summary>The number of layers L.</summary>
    int LayerCount { get; }

    /// <summary>The length of <see cref="Parameters"/> and of INetwork{T}.Gradients.</summary>
    int ParameterCount { get; }

    /// <summary>The weights θ this instance runs on, shared with every instance built on them.</summary>
    NetworkWeights<T> Weights { get; }

    /// <summary>A new instance of the same network on the same <see cref="Weights"/>, with its own activations (and sensitivities and gradients): one for another thread.</summary>
    IInferenceNetwork<T> CreateWorkspace();

    /// <summary>
    /// All weights and biases in one buffer: layers in declaration order; for each, its weights (for a dense layer W
    /// row-major [outputs, inputs]), then b, as <see cref="LayerShape"/> describes: <see cref="Weights"/> as a span.
    /// Writes go straight to the weights, so every instance sharing them sees them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The weights are read-only (compiled-in weights of an inference-only network).</exception>
    Span<T> Parameters { get; }

    /// <summary>Deterministic Glorot (He for ReLU and LeakyReLU layers) uniform weights, zero biases and trainable-pooling coefficients of 1; see <see cref="ParameterInitializer"/>.</summary>
    void InitializeParameters(int seed);

    /// <summary>The forward pass: u^l = Σ_β W^β·x^β + b^l (or the layer's convolution, pooling or join), x^l = f(u^l) for every layer in execution order; copies the output layer's x to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    void Forward(ReadOnlySpan<T> input, Span<T> output);

    /// <summary>The activities x^l of layer <paramref name="layer"/> after the last forward pass (0 gives the input x^0, L the output).</summary>
    ReadOnlySpan<T> Activities(int layer);

    /// <summary>
    /// Forward over <paramref name="batch"/> samples: <paramref name="inputs"/> is [batch, InputSize] row-major and
    /// <paramref name="outputs"/> receives [batch, OutputSize], each row as Forward gives it (within float rounding: a
    /// generated chain runs blocked kernels, and a float graph on AVX-512 runs 16 samples at once in the lanes of each
    /// vector, both summing in another order). Allocates nothing after the first call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is not batch × its size long.</exception>
    void ForwardBatch(ReadOnlySpan<T> inputs, Span<T> outputs, int batch);
}

/// <summary>
/// A trainable network: the four phases of backpropagation learning (forward pass, loss, backward pass, update).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface INetwork<T> : IInferenceNetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A new instance of the same network on the same weights, with its own sensitivities and gradients: a data-parallel training worker, or one for another thread.</summary>
    new INetwork<T> CreateWorkspace();

    /// <summary>∂L/∂θ accumulated by <see cref="Backward"/>, in the layout of <see cref="IInferenceNetwork{T}.Parameters"/>.</summary>
    Span<T> Gradients { get; }

    /// <summary>
    /// After a forward pass: computes the loss L and adds ∂L/∂θ to Gradients, so a minibatch is
    /// B Forward/Backward pairs and one <see cref="Update"/>. Returns L.
    /// </summary>
    /// <param name="target">
    /// The desired output d, <see cref="IInferenceNetwork{T}.OutputSize"/> values: for cross-entropy a distribution over
    /// the classes, usually one-hot (1 at the class, 0 elsewhere), not a class index as PyTorch's nn.CrossEntropyLoss takes.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="target"/> does not have <see cref="IInferenceNetwork{T}.OutputSize"/> values.</exception>
    /// <exception cref="InvalidOperationException">No forward pass has run yet.</exception>
    T Backward(ReadOnlySpan<T> target);

    /// <summary>The SGD step θ ← θ − η·g, then g ← 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is NaN or infinite; nothing is changed. (A zero or negative rate is accepted.)</exception>
    void Update(T learningRate);

    /// <summary>
    /// Forward and Backward over <paramref name="batch"/> samples ([batch, InputSize] inputs, [batch, OutputSize]
    /// targets): adds the summed ∂L/∂θ to Gradients as batch Forward/Backward pairs would, and returns the summed loss.
    /// For a mean step, follow with Update(learningRate / batch). Batched kernels may add the same terms in another
    /// order (a chain's blocked tiles; a float graph's layers over 16 samples in the lanes of each vector), so float gradients can
    /// differ from the per-sample loop's in the last bits, and depend on how the samples are split into calls.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is not batch × its size long.</exception>
    T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch);

    /// <summary>
    /// <see cref="BackwardBatch(ReadOnlySpan{T}, ReadOnlySpan{T}, int)"/>, also writing the forward pass's outputs
    /// ([batch, OutputSize], as ForwardBatch gives them) to <paramref name="outputs"/> unless it is empty: what a trainer
    /// needs to count correct predictions without a second forward pass.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
    /// <exception cref="ArgumentException">A span is not batch × its size long.</exception>
    T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, Span<T> outputs);

    /// <summary>BackwardBatch, then Update(learningRate): one SGD step with the summed gradient; returns the summed loss before the update.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative, or <paramref name="learningRate"/> is NaN or infinite (then nothing is changed; a zero or negative rate is accepted).</exception>
    /// <exception cref="ArgumentException">A span is not batch × its size long.</exception>
    T TrainStepBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, T learningRate);

    /// <summary>Forward, Backward and Update in one call; returns the loss of this sample before the update.</summary>
    /// <param name="input">The sample x⁰.</param>
    /// <param name="target">The desired output d: for cross-entropy usually one-hot (see <see cref="Backward"/>).</param>
    /// <param name="learningRate">η of the SGD step.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is NaN or infinite; nothing is changed. (A zero or negative rate is accepted.)</exception>
    T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate);

    /// <summary>
    /// The sensitivities û^l = ∂R/∂u^l = −∂L/∂u^l of layer <paramref name="layer"/> (1..L) after the last backward pass,
    /// in the lecture's sign convention (R = −L is the reward), so that ∂L/∂W^l = −û^l·(x^(l−1))ᵀ.
    /// </summary>
    ReadOnlySpan<T> Sensitivities(int layer);
}

