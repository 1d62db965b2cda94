using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetCompiler;

/// <summary>
/// Runs any <see cref="NetworkTopology"/> without code generation: the reference semantics that generated networks
/// reproduce, and a fair baseline for them (inner products and elementwise functions use
/// <see cref="TensorPrimitives"/>). Notation follows the lecture: u^l = W^l·x^(l−1) + b^l, x^l = f(u^l); reward
/// R = −L; sensitivities x̂ = ∂R/∂x and û = ∂R/∂u.
/// </summary>
/// <remarks>
/// <para>
/// All buffers are allocated by the constructor; <see cref="Forward"/>, <see cref="Backward"/>, <see cref="Update"/>
/// and <see cref="TrainStep"/> do not allocate. An instance is not thread-safe.
/// </para>
/// <para>
/// <typeparamref name="T"/> need not match <see cref="NetworkTopology.Precision"/>: interpreting a
/// <see cref="Precision.Single"/> topology in double is how its gradients are checked. Precision only says what a
/// generated network of the same topology computes in.
/// </para>
/// </remarks>
/// <typeparam name="T">The floating-point type to compute in, normally float or double.</typeparam>
public sealed class InterpretedNetwork<T> : INetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LayerShape[] _layers; // _layers[l − 1] is layer l; an array so that loops do not allocate enumerators
    private readonly T[] _theta;           // θ: all W^l and b^l, in the topology's layout
    private readonly T[] _gradient;        // g = ∂L/∂θ, same layout, accumulated by Backward
    private readonly T[][] _x;             // x^l for l = 0..L (x^0 is a copy of the input)
    private readonly T[][] _u;             // u^l for l = 1..L (index 0 unused)
    private readonly T[][] _xHat;          // x̂^l = ∂R/∂x^l for l = 1..L (index 0 unused: x̂^0 is not needed)
    private readonly T[][] _uHat;          // û^l = ∂R/∂u^l for l = 1..L (index 0 unused)
    private readonly T _leakySlope;
    private T _softmaxMax;                 // max_k u_k^L and log Σ_k e^(u_k^L − max) of the last softmax forward pass,
    private T _softmaxLogSum;              // so that log x_i^L = u_i^L − max − logSum stays finite for cross-entropy
    private bool _forwardDone;

    /// <summary>Creates a network for <paramref name="topology"/> with parameters from <see cref="InitializeParameters"/>(0).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="topology"/> is null.</exception>
    public InterpretedNetwork(NetworkTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        Topology = topology;
        int layerCount = topology.Layers.Count;
        _layers = new LayerShape[layerCount];
        for (int l = 0; l < layerCount; l++) _layers[l] = topology.Layers[l];

        _theta = new T[topology.ParameterCount];
        _gradient = new T[topology.ParameterCount];
        _x = new T[layerCount + 1][];
        _u = new T[layerCount + 1][];
        _xHat = new T[layerCount + 1][];
        _uHat = new T[layerCount + 1][];
        _x[0] = new T[topology.InputSize];
        _u[0] = _xHat[0] = _uHat[0] = Array.Empty<T>();
        for (int l = 1; l <= layerCount; l++)
        {
            int n = _layers[l - 1].Outputs;
            _x[l] = new T[n];
            _u[l] = new T[n];
            _xHat[l] = new T[n];
            _uHat[l] = new T[n];
        }
        _leakySlope = T.CreateTruncating(NetworkTopology.LeakyReLUSlope);
        InitializeParameters(0);
    }

    /// <inheritdoc/>
    public NetworkTopology Topology { get; }

    /// <inheritdoc/>
    public int InputSize => Topology.InputSize;

    /// <inheritdoc/>
    public int OutputSize => Topology.OutputSize;

    /// <inheritdoc/>
    public int LayerCount => _layers.Length;

    /// <inheritdoc/>
    public int ParameterCount => _theta.Length;

    /// <inheritdoc/>
    public Span<T> Parameters => _theta;

    /// <inheritdoc/>
    public Span<T> Gradients => _gradient;

    /// <inheritdoc/>
    public void InitializeParameters(int seed) => ParameterInitializer.Initialize<T>(Topology, _theta, seed);

    /// <inheritdoc/>
    /// <remarks><paramref name="input"/> and <paramref name="output"/> may overlap: the input is copied first.</remarks>
    public void Forward(ReadOnlySpan<T> input, Span<T> output)
    {
        CheckLength(input.Length, InputSize, "input", nameof(input));
        CheckLength(output.Length, OutputSize, "output", nameof(output));
        ForwardCore(input);
        _x[_layers.Length].CopyTo(output);
    }

    /// <inheritdoc/>
    public T Backward(ReadOnlySpan<T> target)
    {
        LossFunction loss = RequireLoss();
        if (!_forwardDone)
            throw new InvalidOperationException("Backward needs the activities of a forward pass; call Forward (or TrainStep) first.");
        CheckLength(target.Length, OutputSize, "target", nameof(target));
        return BackwardCore(loss, target);
    }

    /// <inheritdoc/>
    public void Update(T learningRate)
    {
        // θ ← θ − η·g, then g ← 0 for the next minibatch.
        TensorPrimitives.MultiplyAdd<T>(_gradient, -learningRate, _theta, _theta);
        Array.Clear(_gradient);
    }

    /// <inheritdoc/>
    public T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate)
    {
        // Validate everything first so that a bad argument leaves the network untouched.
        LossFunction loss = RequireLoss();
        CheckLength(input.Length, InputSize, "input", nameof(input));
        CheckLength(target.Length, OutputSize, "target", nameof(target));
        ForwardCore(input);
        T l = BackwardCore(loss, target);
        Update(learningRate);
        return l;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not in 0..L.</exception>
    public ReadOnlySpan<T> Activities(int layer)
    {
        if ((uint)layer > (uint)_layers.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Activities exist for layers 0..{_layers.Length} (0 is the input), got {layer}.");
        return _x[layer];
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not in 1..L.</exception>
    public ReadOnlySpan<T> Sensitivities(int layer)
    {
        if (layer < 1 || layer > _layers.Length)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Sensitivities exist for layers 1..{_layers.Length}, got {layer}.");
        return _uHat[layer];
    }

    /// <inheritdoc/>
    public override string ToString() => "InterpretedNetwork<" + typeof(T).Name + ">: " + Topology;

    // ---------------------------------------------------------------------------------------------------------------
    // Forward and backward pass

    private void ForwardCore(ReadOnlySpan<T> input)
    {
        input.CopyTo(_x[0]); // own copy: input may alias the caller's output, and Backward needs x^0
        for (int l = 1; l <= _layers.Length; l++)
        {
            LayerShape layer = _layers[l - 1];
            ReadOnlySpan<T> x = _x[l - 1];
            ReadOnlySpan<T> W = _theta.AsSpan(layer.WeightOffset, layer.WeightCount);
            ReadOnlySpan<T> b = _theta.AsSpan(layer.BiasOffset, layer.Outputs);
            Span<T> u = _u[l];

            // u = W·x + b: one inner product per row of W.
            int inputs = layer.Inputs;
            for (int i = 0; i < u.Length; i++)
                u[i] = TensorPrimitives.Dot(W.Slice(i * inputs, inputs), x) + b[i];

            Activate(layer.Activation, u, _x[l]);
        }
        _forwardDone = true;
    }

    private T BackwardCore(LossFunction loss, ReadOnlySpan<T> d)
    {
        int L = _layers.Length;
        T lossValue = OutputSensitivity(loss, d, _layers[L - 1].Activation);

        for (int l = L; l >= 1; l--)
        {
            LayerShape layer = _layers[l - 1];
            ReadOnlySpan<T> uHat = _uHat[l];
            ReadOnlySpan<T> xPrev = _x[l - 1];
            int inputs = layer.Inputs;

            // ∂L/∂b = −∂R/∂b = −û: g_b += −û.
            Span<T> gb = _gradient.AsSpan(layer.BiasOffset, layer.Outputs);
            TensorPrimitives.Subtract(gb, uHat, gb);

            // ∂L/∂W = −û·(x^(l−1))ᵀ (sensitivity lemma): g_W += −û·xᵀ, one row at a time.
            Span<T> gW = _gradient.AsSpan(layer.WeightOffset, layer.WeightCount);
            for (int i = 0; i < uHat.Length; i++)
            {
                Span<T> gRow = gW.Slice(i * inputs, inputs);
                TensorPrimitives.MultiplyAdd(xPrev, -uHat[i], gRow, gRow);
            }

            if (l == 1) break; // x̂^0 is not needed

            // x̂^(l−1) = (W^l)ᵀ·û^l, as Σ_i û_i·(row i of W) so that W is read row-major.
            ReadOnlySpan<T> W = _theta.AsSpan(layer.WeightOffset, layer.WeightCount);
            Span<T> xHatPrev = _xHat[l - 1];
            xHatPrev.Clear();
            for (int i = 0; i < uHat.Length; i++)
                TensorPrimitives.MultiplyAdd(W.Slice(i * inputs, inputs), uHat[i], xHatPrev, xHatPrev);

            // û^(l−1) = f'(u^(l−1))·x̂^(l−1). Hidden layers are never Softmax (the topology forbids it).
            MultiplyByDerivative(_layers[l - 2].Activation, _x[l - 1], xHatPrev, _uHat[l - 1]);
        }
        return lossValue;
    }

    /// <summary>Computes L and û^L from the target d and the output x^L of the last forward pass.</summary>
    private T OutputSensitivity(LossFunction loss, ReadOnlySpan<T> d, Activation outputActivation)
    {
        int L = _layers.Length;
        ReadOnlySpan<T> x = _x[L];
        Span<T> xHat = _xHat[L];
        Span<T> uHat = _uHat[L];

        if (loss == LossFunction.CrossEntropy)
        {
            // L = −Σ d_i·log x_i with log x_i = u_i − max − log Σ_k e^(u_k − max) (x is a softmax, the topology
            // guarantees it). Terms with d_i = 0 are skipped: they are 0 even where x_i underflowed to 0.
            ReadOnlySpan<T> u = _u[L];
            T crossEntropy = T.Zero, targetSum = T.Zero;
            for (int i = 0; i < d.Length; i++)
            {
                targetSum += d[i];
                if (d[i] != T.Zero)
                    crossEntropy -= d[i] * (u[i] - _softmaxMax - _softmaxLogSum);
            }

            // û = −∂L/∂u = d − (Σ_k d_k)·x, which is the familiar d − x for a target distribution (Σ d = 1).
            // Going through x̂ = d/x would divide by underflowed probabilities, so the softmax and the log cancel here.
            TensorPrimitives.MultiplyAdd(x, -targetSum, d, uHat);
            xHat.Clear(); // not used for this loss
            return crossEntropy;
        }

        // Squared error: L = ½·Σ (d_i − x_i)², x̂ = ∂R/∂x = d − x.
        TensorPrimitives.Subtract(d, x, xHat);
        T squaredError = T.CreateTruncating(0.5) * TensorPrimitives.SumOfSquares<T>(xHat);

        if (outputActivation == Activation.Softmax)
        {
            // The softmax couples its outputs: ∂x_i/∂u_j = x_i·(δ_ij − x_j), so û_j = x_j·(x̂_j − Σ_k x_k·x̂_k).
            T xDotXHat = TensorPrimitives.Dot(x, xHat);
            TensorPrimitives.Subtract(xHat, xDotXHat, uHat);
            TensorPrimitives.Multiply(x, uHat, uHat);
        }
        else
        {
            MultiplyByDerivative(outputActivation, x, xHat, uHat);
        }
        return squaredError;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transfer functions: f and f' side by side

    /// <summary>x = f(u).</summary>
    private void Activate(Activation activation, ReadOnlySpan<T> u, Span<T> x)
    {
        switch (activation)
        {
            case Activation.Identity:
                u.CopyTo(x);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(u, x); // 1 / (1 + e^(−u))
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(u, x);
                break;
            case Activation.ReLU:
                TensorPrimitives.Max(u, T.Zero, x);
                break;
            case Activation.LeakyReLU:
                // For a slope in (0, 1), max(u, slope·u) is u when u > 0 and slope·u otherwise.
                TensorPrimitives.Multiply(u, _leakySlope, x);
                TensorPrimitives.Max(u, x, x);
                break;
            case Activation.Softmax:
                // x_i = e^(u_i − max) / Σ_k e^(u_k − max): subtracting the max keeps every exponent ≤ 0.
                _softmaxMax = TensorPrimitives.Max(u);
                TensorPrimitives.Subtract(u, _softmaxMax, x);
                TensorPrimitives.Exp(x, x);
                T sum = TensorPrimitives.Sum<T>(x);
                TensorPrimitives.Divide(x, sum, x);
                _softmaxLogSum = T.Log(sum);
                break;
            default:
                throw new InvalidOperationException($"Activation value {(int)activation} is not defined.");
        }
    }

    /// <summary>û = f'(u)·x̂ for an elementwise f, with f' written in terms of x = f(u).</summary>
    private void MultiplyByDerivative(Activation activation, ReadOnlySpan<T> x, ReadOnlySpan<T> xHat, Span<T> uHat)
    {
        switch (activation)
        {
            case Activation.Identity: // f' = 1
                xHat.CopyTo(uHat);
                break;
            case Activation.Sigmoid: // f' = x·(1 − x)
                for (int i = 0; i < uHat.Length; i++)
                    uHat[i] = x[i] * (T.One - x[i]) * xHat[i];
                break;
            case Activation.Tanh: // f' = 1 − x²
                for (int i = 0; i < uHat.Length; i++)
                    uHat[i] = (T.One - x[i] * x[i]) * xHat[i];
                break;
            case Activation.ReLU: // f' = 1 if x > 0 (⇔ u > 0), else 0
                for (int i = 0; i < uHat.Length; i++)
                    uHat[i] = x[i] > T.Zero ? xHat[i] : T.Zero;
                break;
            case Activation.LeakyReLU: // f' = 1 if x > 0 (⇔ u > 0), else the slope
                for (int i = 0; i < uHat.Length; i++)
                    uHat[i] = x[i] > T.Zero ? xHat[i] : _leakySlope * xHat[i];
                break;
            default:
                throw new InvalidOperationException($"Activation {activation} has no elementwise derivative.");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Checks

    private LossFunction RequireLoss()
    {
        if (Topology.Loss is LossFunction loss) return loss;
        throw new InvalidOperationException($"The network {Topology} is inference-only: it has no loss, so it cannot run Backward or TrainStep.");
    }

    private static void CheckLength(int actual, int expected, string what, string parameterName)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {what} of length {expected}, got {actual}.", parameterName);
    }
}
