// Shared source: compiled into the runtime library and into the generator (see generator csproj),
// so the rules and the parameter layout below exist once, for generated and interpreted networks.
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetCompiler;

/// <summary>A fully connected layer as the user declares it: u = W·x + b, x = f(u).</summary>
public sealed class DenseLayer
{
    /// <summary>Creates a dense layer with <paramref name="units"/> outputs and transfer function <paramref name="activation"/>.</summary>
    public DenseLayer(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs n_l.</summary>
    public int Units { get; }

    /// <summary>The transfer function f.</summary>
    public Activation Activation { get; }

    /// <inheritdoc/>
    public override string ToString() => "Dense(" + Units.ToString(CultureInfo.InvariantCulture) + ", " + Activation + ")";
}

/// <summary>
/// One layer of a validated <see cref="NetworkTopology"/> with its shape and its place in the parameter buffer.
/// Layer l (1-based, as in the lecture) maps x^(l−1) (<see cref="Inputs"/> values) to x^l (<see cref="Outputs"/> values).
/// </summary>
public sealed class LayerShape
{
    internal LayerShape(int number, int inputs, int outputs, Activation activation, int weightOffset)
    {
        Number = number;
        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        WeightOffset = weightOffset;
    }

    /// <summary>The layer number l, from 1 (the first layer after the input) to L (the output layer).</summary>
    public int Number { get; }

    /// <summary>n_(l−1): the size of the layer's input x^(l−1).</summary>
    public int Inputs { get; }

    /// <summary>n_l: the size of the layer's output x^l.</summary>
    public int Outputs { get; }

    /// <summary>The transfer function f.</summary>
    public Activation Activation { get; }

    /// <summary>Offset of W^l in the parameter buffer: W_ij at WeightOffset + i·Inputs + j (row-major [outputs, inputs], as PyTorch's nn.Linear).</summary>
    public int WeightOffset { get; }

    /// <summary>Number of weights, Outputs·Inputs.</summary>
    public int WeightCount => Outputs * Inputs;

    /// <summary>Offset of b^l in the parameter buffer: b_i at BiasOffset + i. It follows W^l.</summary>
    public int BiasOffset => WeightOffset + WeightCount;

    /// <summary>Weights and biases of this layer.</summary>
    public int ParameterCount => WeightCount + Outputs;

    /// <summary>Multiply-adds in this layer's forward pass (Outputs·Inputs).</summary>
    public long MultiplyAdds => (long)Outputs * Inputs;

    /// <inheritdoc/>
    public override string ToString() =>
        "Dense(" + Outputs.ToString(CultureInfo.InvariantCulture) + ", " + Activation + ") [" +
        Outputs.ToString(CultureInfo.InvariantCulture) + "×" + Inputs.ToString(CultureInfo.InvariantCulture) + "]";
}

/// <summary>
/// The runtime description of a network: input size, layers in order, loss and precision, validated, with the
/// fixed parameter layout that generated and interpreted networks share.
/// </summary>
/// <remarks>
/// Parameter layout: layers in declaration order; for each, W^l row-major [outputs, inputs] (W_ij from input j to
/// output i), then b^l. The gradient buffer has the same layout.
/// </remarks>
public sealed class NetworkTopology
{
    /// <summary>The slope of <see cref="Activation.LeakyReLU"/> for negative inputs (PyTorch's default).</summary>
    public const double LeakyReLUSlope = 0.01;

    private readonly LayerShape[] _layers;

    /// <summary>
    /// Creates and validates a topology. <paramref name="loss"/> null makes an inference-only network.
    /// </summary>
    /// <exception cref="ArgumentException">The topology is invalid; the message names every problem and the numbers involved.</exception>
    public NetworkTopology(int inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss = null, Precision precision = Precision.Single)
    {
        if (layers is null) throw new ArgumentNullException(nameof(layers));
        List<string> errors = Validate(inputSize, layers, loss, precision);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid network topology: " + string.Join(" ", errors.ToArray()), nameof(layers));

        InputSize = inputSize;
        Loss = loss;
        Precision = precision;
        _layers = new LayerShape[layers.Count];
        int offset = 0, inputs = inputSize;
        for (int l = 0; l < layers.Count; l++)
        {
            _layers[l] = new LayerShape(l + 1, inputs, layers[l].Units, layers[l].Activation, offset);
            offset += _layers[l].ParameterCount;
            inputs = layers[l].Units;
        }
        ParameterCount = offset;
    }

    /// <summary>n_0: the size of the input x^0.</summary>
    public int InputSize { get; }

    /// <summary>n_L: the size of the output x^L.</summary>
    public int OutputSize => _layers[_layers.Length - 1].Outputs;

    /// <summary>The layers 1..L in order (index 0 holds layer 1).</summary>
    public IReadOnlyList<LayerShape> Layers => _layers;

    /// <summary>The loss, or null for an inference-only network.</summary>
    public LossFunction? Loss { get; }

    /// <summary>The floating-point type of the network.</summary>
    public Precision Precision { get; }

    /// <summary>Total number of weights and biases.</summary>
    public int ParameterCount { get; }

    /// <summary>Multiply-adds in one forward pass.</summary>
    public long MultiplyAdds
    {
        get
        {
            long total = 0;
            foreach (LayerShape layer in _layers) total += layer.MultiplyAdds;
            return total;
        }
    }

    /// <summary>
    /// Checks a topology and returns one message per problem (empty when it is valid). The generator reports the
    /// same messages at build time that the constructor throws at run time.
    /// </summary>
    public static List<string> Validate(int inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss, Precision precision)
    {
        var errors = new List<string>();
        if (inputSize <= 0)
            errors.Add(Format("The input size must be positive, but it is {0}.", inputSize));
        if (!IsDefined(precision))
            errors.Add(Format("Precision value {0} is not defined; use Precision.Single or Precision.Double.", (int)precision));
        if (loss.HasValue && !IsDefined(loss.Value))
            errors.Add(Format("Loss function value {0} is not defined; use LossFunction.SquaredError or LossFunction.CrossEntropy.", (int)loss.Value));
        if (layers.Count == 0)
        {
            errors.Add("The network has no layers; declare at least one [Dense] layer.");
            return errors;
        }

        long parameters = 0;
        long inputs = inputSize;
        for (int l = 0; l < layers.Count; l++)
        {
            DenseLayer layer = layers[l];
            if (layer is null)
            {
                errors.Add(Format("Layer {0} is null.", l + 1));
                continue;
            }
            if (layer.Units <= 0)
                errors.Add(Format("Dense layer {0} has {1} units; it needs at least 1.", l + 1, layer.Units));
            if (!IsDefined(layer.Activation))
                errors.Add(Format("Dense layer {0} has activation value {1}, which is not defined.", l + 1, (int)layer.Activation));
            else if (layer.Activation == Activation.Softmax && l != layers.Count - 1)
                errors.Add(Format("Dense layer {0} uses Softmax, which is only supported on the output layer (layer {1}).", l + 1, layers.Count));
            if (layer.Units > 0 && inputs > 0)
                parameters += (inputs + 1) * layer.Units;
            inputs = layer.Units;
        }

        DenseLayer? output = layers[layers.Count - 1];
        if (loss == LossFunction.CrossEntropy && output is not null && output.Activation != Activation.Softmax)
            errors.Add(Format("CrossEntropy needs a Softmax output layer, but the output layer (layer {0}) uses {1}.", layers.Count, output.Activation));
        if (parameters > MaxParameterCount)
            errors.Add(Format("The network has {0} parameters; one buffer holds at most {1}.", parameters, MaxParameterCount));
        return errors;
    }

    /// <summary>The most parameters a network may have (the largest .NET array of float).</summary>
    public const int MaxParameterCount = 0x7FFFFFC7;

    /// <summary>A one-line description, for example "784 → Dense(128, ReLU) → Dense(10, Softmax); CrossEntropy; 101,770 parameters".</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(InputSize.ToString(CultureInfo.InvariantCulture));
        foreach (LayerShape layer in _layers)
            text.Append(" → Dense(").Append(layer.Outputs.ToString(CultureInfo.InvariantCulture)).Append(", ").Append(layer.Activation).Append(')');
        text.Append("; ").Append(Loss.HasValue ? Loss.Value.ToString() : "inference only");
        if (Precision == Precision.Double) text.Append("; double");
        text.Append("; ").Append(ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append(" parameters");
        return text.ToString();
    }

    private static bool IsDefined(Activation value) => value >= Activation.Identity && value <= Activation.Softmax;
    private static bool IsDefined(LossFunction value) => value >= LossFunction.SquaredError && value <= LossFunction.CrossEntropy;
    private static bool IsDefined(Precision value) => value >= Precision.Single && value <= Precision.Double;

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
