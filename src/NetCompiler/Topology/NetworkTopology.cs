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
    /// Checks a topology and returns one message per error (empty when it is valid): the messages of the
    /// <see cref="TopologySeverity.Error"/> problems of <see cref="Check"/>, which the constructor throws.
    /// </summary>
    public static List<string> Validate(int inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss, Precision precision)
    {
        var errors = new List<string>();
        foreach (TopologyProblem problem in Check(inputSize, layers, loss, precision))
            if (problem.Severity == TopologySeverity.Error)
                errors.Add(problem.Message);
        return errors;
    }

    /// <summary>
    /// Checks a topology against every rule and returns its problems in declaration order (empty when it is valid and
    /// unremarkable). This is the one place the rules live: the runtime constructor throws the errors' messages
    /// (<see cref="Validate"/>), and at build time the analyzer reports each problem on the attribute argument that
    /// <see cref="TopologyProblem.Argument"/> and <see cref="TopologyProblem.Layer"/> name, while the generator emits
    /// nothing for a network with an error.
    /// </summary>
    /// <param name="inputSize">n_0, or null when no input was declared (possible only at build time).</param>
    /// <param name="layers">The layers in order.</param>
    /// <param name="loss">The loss, or null for an inference-only network.</param>
    /// <param name="precision">The floating-point type.</param>
    public static List<TopologyProblem> Check(int? inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss, Precision precision)
    {
        if (layers is null) throw new ArgumentNullException(nameof(layers));
        var problems = new List<TopologyProblem>();
        if (inputSize is null)
            problems.Add(Error(TopologyProblemKind.MissingInput, TopologyArgument.InputSize, 0, 0,
                "The network has no input; declare its size with [Input(size)]."));
        else if (inputSize.Value <= 0)
            problems.Add(Error(TopologyProblemKind.InputSizeNotPositive, TopologyArgument.InputSize, 0, inputSize.Value,
                "The input size must be positive, but it is {0}.", inputSize.Value));
        if (!IsDefined(precision))
            problems.Add(Error(TopologyProblemKind.UndefinedPrecision, TopologyArgument.Precision, 0, (int)precision,
                "Precision value {0} is not defined; use Precision.Single or Precision.Double.", (int)precision));
        if (loss.HasValue && !IsDefined(loss.Value))
            problems.Add(Error(TopologyProblemKind.UndefinedLoss, TopologyArgument.Loss, 0, (int)loss.Value,
                "Loss function value {0} is not defined; use LossFunction.SquaredError or LossFunction.CrossEntropy.", (int)loss.Value));
        if (layers.Count == 0)
        {
            problems.Add(Error(TopologyProblemKind.NoLayers, TopologyArgument.None, 0, 0,
                "The network has no layers; declare at least one [Dense] layer."));
            return problems;
        }

        // Counted in long so that an oversized network is reported rather than overflowing; only when every size
        // involved is known and positive (a bad size is reported on its own).
        long parameters = 0;
        long inputs = inputSize ?? 0;
        bool countable = inputSize > 0;
        for (int l = 0; l < layers.Count; l++)
        {
            int number = l + 1;
            DenseLayer layer = layers[l];
            if (layer is null)
            {
                problems.Add(Error(TopologyProblemKind.NullLayer, TopologyArgument.None, number, 0, "Layer {0} is null.", number));
                countable = false;
                continue;
            }
            if (layer.Units <= 0)
            {
                problems.Add(Error(TopologyProblemKind.UnitsNotPositive, TopologyArgument.Units, number, layer.Units,
                    "Dense layer {0} has {1} units; it needs at least 1.", number, layer.Units));
                countable = false;
            }
            if (!IsDefined(layer.Activation))
                problems.Add(Error(TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, number, (int)layer.Activation,
                    "Dense layer {0} has activation value {1}, which is not defined.", number, (int)layer.Activation));
            else if (layer.Activation == Activation.Softmax && l != layers.Count - 1)
                problems.Add(Error(TopologyProblemKind.SoftmaxNotOnOutput, TopologyArgument.Activation, number, 0,
                    "Dense layer {0} uses Softmax, which is only supported on the output layer (layer {1}).", number, layers.Count));
            if (countable)
                parameters += (inputs + 1) * layer.Units;
            inputs = layer.Units;
        }

        DenseLayer? output = layers[layers.Count - 1];
        if (output is not null && loss == LossFunction.CrossEntropy && output.Activation != Activation.Softmax)
            problems.Add(Error(TopologyProblemKind.CrossEntropyWithoutSoftmax, TopologyArgument.Loss, layers.Count, 0,
                "CrossEntropy needs a Softmax output layer, but the output layer (layer {0}) uses {1}.", layers.Count, output.Activation));
        if (output is not null && loss == LossFunction.SquaredError && output.Activation == Activation.Softmax)
            problems.Add(new TopologyProblem(TopologyProblemKind.SoftmaxWithSquaredError, TopologySeverity.Warning, TopologyArgument.Loss, layers.Count, 0,
                Format("The output layer (layer {0}) uses Softmax with SquaredError; Softmax pairs with CrossEntropy, and squared error through a softmax learns slowly.", layers.Count)));
        if (countable && parameters > MaxParameterCount)
            problems.Add(Error(TopologyProblemKind.TooManyParameters, TopologyArgument.None, 0, parameters,
                "The network has {0} parameters; one buffer holds at most {1}.", parameters, MaxParameterCount));
        else if (countable && parameters > LargeParameterCount)
            problems.Add(new TopologyProblem(TopologyProblemKind.LargeNetwork, TopologySeverity.Warning, TopologyArgument.None, 0, parameters,
                Format("The network has {0} parameters, more than {1}; each instance holds {2} bytes of parameters and as many of gradients.",
                    parameters, LargeParameterCount, parameters * ElementSize(precision))));
        return problems;
    }

    /// <summary>The most parameters a network may have (the largest .NET array of float).</summary>
    public const int MaxParameterCount = 0x7FFFFFC7;

    /// <summary>
    /// Above this many parameters <see cref="Check"/> warns (<see cref="TopologyProblemKind.LargeNetwork"/>): each
    /// instance of a generated class holds its parameters and its gradients (40 MB each in float at this size), all
    /// allocated and initialised by the constructor, on the large object heap.
    /// </summary>
    public const int LargeParameterCount = 10000000;

    /// <summary>The size in bytes of one parameter: 4 for float, 8 for double.</summary>
    public static int ElementSize(Precision precision) => precision == Precision.Double ? 8 : 4;

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

    private static TopologyProblem Error(TopologyProblemKind kind, TopologyArgument argument, int layer, long value, string format, params object[] args) =>
        new(kind, TopologySeverity.Error, argument, layer, value, Format(format, args));

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
