using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetCompiler;

/// <summary>
/// Runs any <see cref="NetworkTopology"/> without code generation: the reference semantics that generated networks
/// reproduce, and a fair baseline for them (inner products and elementwise functions use
/// <see cref="TensorPrimitives"/>; convolution and pooling are plain loops straight from the formulas). Notation
/// follows the lecture: u = Σ_β W^β·x^β + b, x = f(u); reward R = −L; sensitivities x̂ = ∂R/∂x and û = ∂R/∂u.
/// </summary>
/// <remarks>
/// <para>
/// Layers run in <see cref="NetworkTopology.ExecutionOrder"/>, the backward pass in reverse. A layer read by several
/// others (fan-out) gets the sum of what each sends back: every x̂ is cleared, then each layer adds its share to the
/// x̂ of its sources. Convolutions share their weights over positions, so a weight's gradient is summed over every
/// position it was used at, and the input sensitivity is the correlation of û with the flipped filter (written here
/// as the equivalent scatter: each û[o, y, x] sends w[o, i, ky, kx]·û[o, y, x] to the input it was multiplied with).
/// </para>
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
    private readonly LayerShape[] _layers; // _layers[l − 1] is layer l; arrays so that loops do not allocate enumerators
    private readonly int[] _order;         // execution order (layer numbers)
    private readonly int[][] _sources;     // _sources[l]: the layers that layer l reads (0 = input), in From order
    private readonly int _output;          // the output layer's number
    private readonly NetworkWeights<T> _weights; // θ: all parameters, in the topology's layout, perhaps shared
    private readonly T[] _gradient;        // g = ∂L/∂θ, same layout, accumulated by Backward
    private readonly T[][] _x;             // x^l for l = 0..L (x^0 is a copy of the input)
    private readonly T[][] _u;             // u^l for l = 1..L (index 0 unused); the same array as x^l for MaxPool and Concat
    private readonly T[][] _xHat;          // x̂^l = ∂R/∂x^l for l = 1..L (index 0 unused: x̂^0 is not needed)
    private readonly T[][] _uHat;          // û^l = ∂R/∂u^l for l = 1..L; the same array as x̂^l for MaxPool and Concat
    private readonly T[][] _mean;          // trainable AvgPool: the window means (u = c·mean + b needs them for ∂L/∂c)
    private readonly int[][] _argmax;      // MaxPool: index into x^source of each window's first maximal element
    private readonly T _leakySlope;
    private T _softmaxMax;                 // max_k u_k and log Σ_k e^(u_k − max) of the output layer's last softmax,
    private T _softmaxLogSum;              // so that log x_i = u_i − max − logSum stays finite for cross-entropy
    private bool _forwardDone;

    /// <summary>Creates a network for <paramref name="topology"/> with weights of its own, from <see cref="InitializeParameters"/>(0).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="topology"/> is null.</exception>
    public InterpretedNetwork(NetworkTopology topology) : this(topology, new NetworkWeights<T>(topology))
    {
    }

    /// <summary>Creates a network for <paramref name="topology"/> on shared <paramref name="weights"/> (a workspace: its own activations, sensitivities and gradients).</summary>
    /// <exception cref="ArgumentException">The weights are for another network's layers, or read-only and <paramref name="topology"/> is trainable.</exception>
    public InterpretedNetwork(NetworkTopology topology, NetworkWeights<T> weights)
    {
        ArgumentNullException.ThrowIfNull(topology);
        _weights = NetworkWeights<T>.EnsureFits(weights, topology);
        Topology = topology;
        int layerCount = topology.Layers.Count;
        _layers = new LayerShape[layerCount];
        for (int l = 0; l < layerCount; l++) _layers[l] = topology.Layers[l];
        _order = new int[topology.ExecutionOrder.Count];
        for (int k = 0; k < _order.Length; k++) _order[k] = topology.ExecutionOrder[k];
        _output = topology.OutputLayer;

        _gradient = new T[topology.ParameterCount];
        _sources = new int[layerCount + 1][];
        _x = new T[layerCount + 1][];
        _u = new T[layerCount + 1][];
        _xHat = new T[layerCount + 1][];
        _uHat = new T[layerCount + 1][];
        _mean = new T[layerCount + 1][];
        _argmax = new int[layerCount + 1][];
        _sources[0] = Array.Empty<int>();
        _x[0] = new T[topology.InputSize];
        _u[0] = _xHat[0] = _uHat[0] = _mean[0] = Array.Empty<T>();
        _argmax[0] = Array.Empty<int>();
        for (int l = 1; l <= layerCount; l++)
        {
            LayerShape layer = _layers[l - 1];
            _sources[l] = new int[layer.Sources.Count];
            for (int s = 0; s < _sources[l].Length; s++) _sources[l][s] = layer.Sources[s];
            int n = layer.Outputs;
            _x[l] = new T[n];
            _xHat[l] = new T[n];
            bool hasU = layer.Kind is not (LayerKind.MaxPool or LayerKind.Concat); // these compute x directly: û = x̂
            _u[l] = hasU ? new T[n] : _x[l];
            _uHat[l] = hasU ? new T[n] : _xHat[l];
            _mean[l] = layer.Kind == LayerKind.AvgPool && layer.Trainable ? new T[n] : Array.Empty<T>();
            _argmax[l] = layer.Kind == LayerKind.MaxPool ? new int[n] : Array.Empty<int>();
        }
        _leakySlope = T.CreateTruncating(NetworkTopology.LeakyReLUSlope);
    }

    /// <summary>Creates a network for <paramref name="weights"/>' own topology on them.</summary>
    public InterpretedNetwork(NetworkWeights<T> weights) : this((weights ?? throw new ArgumentNullException(nameof(weights))).Topology, weights)
    {
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
    public int ParameterCount => _weights.ParameterCount;

    /// <inheritdoc/>
    public NetworkWeights<T> Weights => _weights;

    /// <summary>A new interpreted network of the same topology on the same weights.</summary>
    public InterpretedNetwork<T> CreateWorkspace() => new(Topology, _weights);

    IInferenceNetwork<T> IInferenceNetwork<T>.CreateWorkspace() => CreateWorkspace();

    INetwork<T> INetwork<T>.CreateWorkspace() => CreateWorkspace();

    /// <inheritdoc/>
    public Span<T> Parameters => _weights.AsSpan();

    // θ for the passes (Update writes it: a trainable network is never built on read-only weights).
    private Span<T> Theta => MemoryMarshal.CreateSpan(ref _weights.GetPinnableReference(), _weights.ParameterCount);

    /// <inheritdoc/>
    public Span<T> Gradients => _gradient;

    /// <inheritdoc/>
    public void InitializeParameters(int seed) => ParameterInitializer.Initialize<T>(Topology, Parameters, seed);

    /// <inheritdoc/>
    /// <remarks><paramref name="input"/> and <paramref name="output"/> may overlap: the input is copied first.</remarks>
    public void Forward(ReadOnlySpan<T> input, Span<T> output)
    {
        CheckLength(input.Length, InputSize, "input", nameof(input));
        CheckLength(output.Length, OutputSize, "output", nameof(output));
        ForwardCore(input);
        _x[_output].CopyTo(output);
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
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is NaN or infinite (nothing is changed).</exception>
    public void Update(T learningRate)
    {
        CheckLearningRate(learningRate);
        // θ ← θ − η·g, then g ← 0 for the next minibatch.
        TensorPrimitives.MultiplyAdd<T>(_gradient, -learningRate, Theta, Theta);
        Array.Clear(_gradient);
    }

    /// <inheritdoc/>
    /// <remarks>The interpreter runs the per-sample path for each row; activities afterwards are the last sample's.</remarks>
    public void ForwardBatch(ReadOnlySpan<T> inputs, Span<T> outputs, int batch)
    {
        CheckBatch(batch, inputs.Length, InputSize, nameof(inputs));
        CheckBatch(batch, outputs.Length, OutputSize, nameof(outputs));
        for (int b = 0; b < batch; b++) Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));
    }

    /// <inheritdoc/>
    /// <remarks>The interpreter runs the per-sample path for each row; activities and sensitivities afterwards are the last sample's.</remarks>
    public T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch) => BackwardBatch(inputs, targets, batch, default);

    /// <inheritdoc/>
    public T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, Span<T> outputs)
    {
        LossFunction loss = RequireLoss();
        CheckBatch(batch, inputs.Length, InputSize, nameof(inputs));
        CheckBatch(batch, targets.Length, OutputSize, nameof(targets));
        if (!outputs.IsEmpty) CheckBatch(batch, outputs.Length, OutputSize, nameof(outputs));
        T sum = T.Zero;
        for (int b = 0; b < batch; b++)
        {
            ForwardCore(inputs.Slice(b * InputSize, InputSize));
            if (!outputs.IsEmpty) _x[_output].CopyTo(outputs.Slice(b * OutputSize, OutputSize));
            sum += BackwardCore(loss, targets.Slice(b * OutputSize, OutputSize));
        }
        return sum;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is NaN or infinite (nothing is changed).</exception>
    public T TrainStepBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, T learningRate)
    {
        CheckLearningRate(learningRate);
        T loss = BackwardBatch(inputs, targets, batch);
        Update(learningRate);
        return loss;
    }

    /// <summary>A NaN or infinite learning rate would turn every parameter into NaN: rejected before anything changes.</summary>
    private static void CheckLearningRate(T learningRate)
    {
        if (!T.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate,
                "The learning rate must be finite, got " + learningRate.ToString(null, CultureInfo.InvariantCulture) + ".");
    }

    private static void CheckBatch(int batch, int length, int size, string name)
    {
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch size cannot be negative.");
        if ((long)batch * size != length)
            throw new ArgumentException($"Expected {name} of length batch × {size} = {(long)batch * size}, got {length}.", name);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is NaN or infinite (nothing is changed).</exception>
    public T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate)
    {
        // Validate everything first so that a bad argument leaves the network untouched.
        LossFunction loss = RequireLoss();
        CheckLearningRate(learningRate);
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
        foreach (int l in _order)
        {
            LayerShape layer = _layers[l - 1];
            switch (layer.Kind)
            {
                case LayerKind.Dense: DenseForward(layer); break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D: ConvForward(layer); break;
                case LayerKind.AvgPool: AvgPoolForward(layer); break;
                case LayerKind.MaxPool: MaxPoolForward(layer); break;
                case LayerKind.Add: AddForward(layer); break;
                case LayerKind.Concat: ConcatForward(layer); break;
                default: throw new InvalidOperationException($"Layer kind {layer.Kind} is not supported.");
            }
            // x = f(u); MaxPool and Concat write x directly (their u is x, and they take no activation).
            if (_u[l] != _x[l]) Activate(layer.Activation, _u[l], _x[l]);
        }
        _forwardDone = true;
    }

    private T BackwardCore(LossFunction loss, ReadOnlySpan<T> d)
    {
        // x̂ is accumulated: a layer adds its share to the x̂ of each source, so a layer read by several (fan-out)
        // receives the sum. Start from zero everywhere.
        for (int l = 1; l < _xHat.Length; l++) Array.Clear(_xHat[l]);
        T lossValue = OutputSensitivity(loss, d, _layers[_output - 1].Activation);

        for (int k = _order.Length - 1; k >= 0; k--)
        {
            int l = _order[k];
            LayerShape layer = _layers[l - 1];
            // Every consumer of layer l ran before it in this reverse order, so x̂^l is complete: û^l = f'(u^l)·x̂^l.
            // (The output layer's û came from the loss; hidden layers are never Softmax.)
            if (l != _output && _uHat[l] != _xHat[l])
                MultiplyByDerivative(layer.Activation, _x[l], _xHat[l], _uHat[l]);
            switch (layer.Kind)
            {
                case LayerKind.Dense: DenseBackward(layer); break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D: ConvBackward(layer); break;
                case LayerKind.AvgPool: AvgPoolBackward(layer); break;
                case LayerKind.MaxPool: MaxPoolBackward(layer); break;
                case LayerKind.Add: AddBackward(layer); break;
                case LayerKind.Concat: ConcatBackward(layer); break;
            }
        }
        return lossValue;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Dense: u = Σ_β W^β·x^β + b, one matrix W^β [units, size(x^β)] per source (a source with channels is read
    // flattened, which row-major storage makes free).

    private void DenseForward(LayerShape layer)
    {
        int l = layer.Number;
        int[] sources = _sources[l];
        Span<T> u = _u[l];
        Theta.Slice(layer.BiasOffset, layer.BiasCount).CopyTo(u);
        for (int s = 0; s < sources.Length; s++)
        {
            ReadOnlySpan<T> x = _x[sources[s]];
            ReadOnlySpan<T> W = Theta.Slice(layer.SourceWeightOffset(s), u.Length * x.Length);
            for (int i = 0; i < u.Length; i++)
                u[i] = TensorPrimitives.Dot(W.Slice(i * x.Length, x.Length), x) + u[i];
        }
    }

    private void DenseBackward(LayerShape layer)
    {
        int l = layer.Number;
        int[] sources = _sources[l];
        ReadOnlySpan<T> uHat = _uHat[l];

        // ∂L/∂b = −∂R/∂b = −û: g_b += −û.
        Span<T> gb = _gradient.AsSpan(layer.BiasOffset, layer.BiasCount);
        TensorPrimitives.Subtract(gb, uHat, gb);

        for (int s = 0; s < sources.Length; s++)
        {
            ReadOnlySpan<T> x = _x[sources[s]];
            int n = x.Length, offset = layer.SourceWeightOffset(s);

            // ∂L/∂W^β = −û·(x^β)ᵀ (sensitivity lemma): g_W += −û·xᵀ, one row at a time.
            Span<T> gW = _gradient.AsSpan(offset, uHat.Length * n);
            for (int i = 0; i < uHat.Length; i++)
            {
                Span<T> gRow = gW.Slice(i * n, n);
                TensorPrimitives.MultiplyAdd(x, -uHat[i], gRow, gRow);
            }

            if (sources[s] == 0) continue; // x̂^0 is not needed

            // x̂^β += (W^β)ᵀ·û, as Σ_i û_i·(row i of W^β) so that W is read row-major.
            ReadOnlySpan<T> W = Theta.Slice(offset, uHat.Length * n);
            Span<T> xHat = _xHat[sources[s]];
            for (int i = 0; i < uHat.Length; i++)
                TensorPrimitives.MultiplyAdd(W.Slice(i * n, n), uHat[i], xHat, xHat);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Convolution: u[o, y, x] = b[o] + Σ_i Σ_ky,kx w[o, i, ky, kx]·x[i, y·s + ky − p, x·s + kx − p], zero outside the
    // input. Conv1D is the same with one row: height 1, kernel height 1, no vertical stride or padding. The sizes of
    // convolutions and pooling are the layer's WindowGeometry.

    private void ConvForward(LayerShape layer)
    {
        int l = layer.Number;
        WindowGeometry g = layer.Window;
        ReadOnlySpan<T> input = _x[_sources[l][0]];
        Span<T> u = _u[l];
        int filters = g.OutChannels, outPlane = g.OutPlane, inPlane = g.InPlane;
        for (int o = 0; o < filters; o++)
        {
            Span<T> uo = u.Slice(o * outPlane, outPlane);
            uo.Fill(Theta[layer.BiasOffset + o]);
            for (int i = 0; i < g.Channels; i++)
            {
                int kernel = layer.KernelOffset(o, i);
                if (kernel < 0) continue; // not in the connection table
                ReadOnlySpan<T> w = Theta.Slice(kernel, g.KernelVolume);
                ReadOnlySpan<T> xi = input.Slice(i * inPlane, inPlane);
                for (int y = 0; y < g.OutHeight; y++)
                    for (int x = 0; x < g.OutWidth; x++)
                    {
                        T sum = T.Zero;
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            int iy = y * g.Stride + ky - g.PadHeight;
                            if ((uint)iy >= (uint)g.Height) continue; // zero padding
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int ix = x * g.Stride + kx - g.PadWidth;
                                if ((uint)ix < (uint)g.Width) sum += w[ky * g.KernelWidth + kx] * xi[iy * g.Width + ix];
                            }
                        }
                        uo[y * g.OutWidth + x] += sum;
                    }
            }
        }
    }

    private void ConvBackward(LayerShape layer)
    {
        int l = layer.Number;
        int source = _sources[l][0];
        WindowGeometry g = layer.Window;
        ReadOnlySpan<T> input = _x[source];
        ReadOnlySpan<T> uHat = _uHat[l];
        Span<T> xHat = source == 0 ? Span<T>.Empty : _xHat[source]; // x̂^0 is not needed
        int filters = g.OutChannels, outPlane = g.OutPlane, inPlane = g.InPlane;
        for (int o = 0; o < filters; o++)
        {
            ReadOnlySpan<T> uo = uHat.Slice(o * outPlane, outPlane);
            // The bias is shared by every position of the map: g_b[o] += −Σ_y,x û[o, y, x].
            _gradient[layer.BiasOffset + o] -= TensorPrimitives.Sum(uo);
            for (int i = 0; i < g.Channels; i++)
            {
                int kernel = layer.KernelOffset(o, i);
                if (kernel < 0) continue;
                ReadOnlySpan<T> w = Theta.Slice(kernel, g.KernelVolume);
                Span<T> gw = _gradient.AsSpan(kernel, g.KernelVolume);
                ReadOnlySpan<T> xi = input.Slice(i * inPlane, inPlane);
                Span<T> xHati = xHat.IsEmpty ? Span<T>.Empty : xHat.Slice(i * inPlane, inPlane);
                for (int y = 0; y < g.OutHeight; y++)
                    for (int x = 0; x < g.OutWidth; x++)
                    {
                        T u = uo[y * g.OutWidth + x];
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            int iy = y * g.Stride + ky - g.PadHeight;
                            if ((uint)iy >= (uint)g.Height) continue;
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int ix = x * g.Stride + kx - g.PadWidth;
                                if ((uint)ix >= (uint)g.Width) continue;
                                int at = iy * g.Width + ix;
                                // Shared weight: g_w[o, i, ky, kx] += −Σ_y,x û[o, y, x]·x[i, iy, ix].
                                gw[ky * g.KernelWidth + kx] -= u * xi[at];
                                // x̂[i, iy, ix] += w[o, i, ky, kx]·û[o, y, x] (correlation with the flipped filter).
                                if (!xHati.IsEmpty) xHati[at] += w[ky * g.KernelWidth + kx] * u;
                            }
                        }
                    }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Pooling. AvgPool: u = mean of the window (plain) or c·mean + b per channel (trainable, LeNet), x = f(u).
    // MaxPool: x = max of the window; backward sends x̂ to the first maximal element in row-major window order.

    private void AvgPoolForward(LayerShape layer)
    {
        int l = layer.Number;
        WindowGeometry g = layer.Window;
        ReadOnlySpan<T> input = _x[_sources[l][0]];
        Span<T> u = _u[l];
        T inverseVolume = T.One / T.CreateTruncating(g.KernelVolume);
        int outPlane = g.OutPlane, inPlane = g.InPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            ReadOnlySpan<T> xc = input.Slice(c * inPlane, inPlane);
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++)
                {
                    T sum = T.Zero;
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                        for (int kx = 0; kx < g.KernelWidth; kx++)
                            sum += xc[(y * g.Stride + ky) * g.Width + x * g.Stride + kx];
                    u[c * outPlane + y * g.OutWidth + x] = sum * inverseVolume;
                }
        }
        if (!layer.Trainable) return;
        u.CopyTo(_mean[l]);
        for (int c = 0; c < g.Channels; c++)
        {
            Span<T> uc = u.Slice(c * outPlane, outPlane);
            TensorPrimitives.Multiply(uc, Theta[layer.WeightOffset + c], uc);
            TensorPrimitives.Add(uc, Theta[layer.BiasOffset + c], uc);
        }
    }

    private void AvgPoolBackward(LayerShape layer)
    {
        int l = layer.Number;
        int source = _sources[l][0];
        WindowGeometry g = layer.Window;
        ReadOnlySpan<T> uHat = _uHat[l];
        int outPlane = g.OutPlane, inPlane = g.InPlane;
        T inverseVolume = T.One / T.CreateTruncating(g.KernelVolume);
        for (int c = 0; c < g.Channels; c++)
        {
            ReadOnlySpan<T> uc = uHat.Slice(c * outPlane, outPlane);
            T coefficient = T.One;
            if (layer.Trainable)
            {
                // u = c·mean + b: g_c += −Σ û·mean, g_b += −Σ û over the channel's map.
                coefficient = Theta[layer.WeightOffset + c];
                _gradient[layer.WeightOffset + c] -= TensorPrimitives.Dot(uc, _mean[l].AsSpan(c * outPlane, outPlane));
                _gradient[layer.BiasOffset + c] -= TensorPrimitives.Sum(uc);
            }
            if (source == 0) continue;
            // ∂u/∂x = c/|window| for every element of the window (windows may overlap when stride < size).
            Span<T> xHat = _xHat[source].AsSpan(c * inPlane, inPlane);
            T scale = coefficient * inverseVolume;
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++)
                {
                    T share = scale * uc[y * g.OutWidth + x];
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                        for (int kx = 0; kx < g.KernelWidth; kx++)
                            xHat[(y * g.Stride + ky) * g.Width + x * g.Stride + kx] += share;
                }
        }
    }

    private void MaxPoolForward(LayerShape layer)
    {
        int l = layer.Number;
        WindowGeometry g = layer.Window;
        ReadOnlySpan<T> input = _x[_sources[l][0]];
        Span<T> output = _x[l];
        int[] argmax = _argmax[l];
        int outPlane = g.OutPlane, inPlane = g.InPlane;
        for (int c = 0; c < g.Channels; c++)
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++)
                {
                    // The first maximal element in row-major window order wins ties (strict >), as in PyTorch;
                    // a NaN wins too, so that it propagates.
                    int best = c * inPlane + y * g.Stride * g.Width + x * g.Stride;
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                        for (int kx = 0; kx < g.KernelWidth; kx++)
                        {
                            int at = c * inPlane + (y * g.Stride + ky) * g.Width + x * g.Stride + kx;
                            if (input[at] > input[best] || T.IsNaN(input[at])) best = at;
                        }
                    int o = c * outPlane + y * g.OutWidth + x;
                    argmax[o] = best;
                    output[o] = input[best];
                }
    }

    private void MaxPoolBackward(LayerShape layer)
    {
        int l = layer.Number;
        int source = _sources[l][0];
        if (source == 0) return; // no parameters, and x̂^0 is not needed
        ReadOnlySpan<T> xHat = _xHat[l]; // = û: MaxPool has no u of its own
        Span<T> xHatSource = _xHat[source];
        int[] argmax = _argmax[l];
        for (int o = 0; o < xHat.Length; o++)
            xHatSource[argmax[o]] += xHat[o]; // += : overlapping windows can pick the same element
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Joins. Add: u = Σ_β x^β, x = f(u). Concat: x = [x^β1, x^β2, …], a plain concatenation of the buffers both for
    // features and for channels (row-major [C, H, W] puts each source's channels in one block).

    private void AddForward(LayerShape layer)
    {
        int l = layer.Number;
        int[] sources = _sources[l];
        Span<T> u = _u[l];
        _x[sources[0]].CopyTo(u);
        for (int s = 1; s < sources.Length; s++)
            TensorPrimitives.Add(u, _x[sources[s]], u);
    }

    private void AddBackward(LayerShape layer)
    {
        // ∂u/∂x^β = 1: every source gets û.
        int l = layer.Number;
        foreach (int source in _sources[l])
            if (source != 0) TensorPrimitives.Add<T>(_xHat[source], _uHat[l], _xHat[source]);
    }

    private void ConcatForward(LayerShape layer)
    {
        int l = layer.Number;
        Span<T> x = _x[l];
        int offset = 0;
        foreach (int source in _sources[l])
        {
            _x[source].CopyTo(x.Slice(offset));
            offset += _x[source].Length;
        }
    }

    private void ConcatBackward(LayerShape layer)
    {
        int l = layer.Number;
        ReadOnlySpan<T> xHat = _xHat[l];
        int offset = 0;
        foreach (int source in _sources[l])
        {
            int n = _x[source].Length;
            if (source != 0) TensorPrimitives.Add(_xHat[source], xHat.Slice(offset, n), _xHat[source]);
            offset += n;
        }
    }

    /// <summary>Computes L and û of the output layer from the target d and the output x of the last forward pass.</summary>
    private T OutputSensitivity(LossFunction loss, ReadOnlySpan<T> d, Activation outputActivation)
    {
        int L = _output;
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
