// Shared source: compiled into the runtime library and into the generator (see generator csproj),
// so the rules and the parameter layout below exist once, for generated and interpreted networks.
// Keep it netstandard2.0-clean: no spans, records or init accessors.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetCompiler;

/// <summary>
/// The runtime description of a network: input shape, layers (a chain, or a directed acyclic graph through layer
/// names and <see cref="LayerSpec.From"/>), loss and precision, validated, with the fixed parameter layout and the
/// one execution order that generated and interpreted networks share.
/// </summary>
/// <remarks>
/// Parameter layout: layers in declaration order, each as <see cref="LayerShape"/> describes. The gradient buffer has
/// the same layout. Layers run in <see cref="ExecutionOrder"/>: a topological order that keeps declaration order
/// wherever the graph allows it.
/// </remarks>
public sealed class NetworkTopology
{
    /// <summary>The slope of <see cref="Activation.LeakyReLU"/> for negative inputs (PyTorch's default).</summary>
    public const double LeakyReLUSlope = 0.01;

    /// <summary>The name by which <see cref="LayerSpec.From"/> refers to the network's input.</summary>
    public const string InputName = "input";

    private readonly LayerShape[] _layers;
    private readonly int[] _order;
    private readonly int[][] _consumers;

    /// <summary>Creates and validates a multilayer perceptron: dense layers in a chain. <paramref name="loss"/> null makes an inference-only network.</summary>
    /// <exception cref="ArgumentException">The topology is invalid; the message names every problem and the numbers involved.</exception>
    public NetworkTopology(int inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss = null, Precision precision = Precision.Single)
        : this(new TensorShape(inputSize), Upcast(layers), loss, precision)
    {
    }

    /// <summary>
    /// Creates and validates a network of any supported layers. <paramref name="output"/> names the output layer (the
    /// last declared layer when null); <paramref name="loss"/> null makes an inference-only network.
    /// </summary>
    /// <exception cref="ArgumentException">The topology is invalid; the message names every problem and the numbers involved.</exception>
    public NetworkTopology(TensorShape input, IReadOnlyList<LayerSpec> layers, LossFunction? loss = null, Precision precision = Precision.Single, string? output = null)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        if (layers is null) throw new ArgumentNullException(nameof(layers));
        List<string> errors = Validate(input, layers, loss, precision, output);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid network topology: " + string.Join(" ", errors.ToArray()), nameof(layers));

        Graph graph = Resolve(input, layers, output, null)!;
        InputShape = input;
        Loss = loss;
        Precision = precision;
        _layers = new LayerShape[layers.Count];
        int offset = 0;
        for (int l = 1; l <= layers.Count; l++)
        {
            _layers[l - 1] = new LayerShape(l, layers[l - 1], graph.Sources[l]!, graph.SourceShapes(l)!, graph.Shapes[l]!, offset);
            offset += _layers[l - 1].ParameterCount;
        }
        ParameterCount = offset;
        _order = graph.Order.ToArray();
        OutputLayer = graph.Output;
        _consumers = new int[layers.Count + 1][];
        var lists = new List<int>[layers.Count + 1];
        for (int l = 0; l <= layers.Count; l++) lists[l] = new List<int>();
        foreach (int l in _order)
            foreach (int source in graph.Sources[l]!)
                if (!lists[source].Contains(l)) lists[source].Add(l);
        for (int l = 0; l <= layers.Count; l++) _consumers[l] = lists[l].ToArray();
    }

    /// <summary>The shape of the input x^0.</summary>
    public TensorShape InputShape { get; }

    /// <summary>n_0: the size of the input x^0.</summary>
    public int InputSize => InputShape.Size;

    /// <summary>The number of the output layer (the last declared one unless named otherwise).</summary>
    public int OutputLayer { get; }

    /// <summary>The size of the output.</summary>
    public int OutputSize => _layers[OutputLayer - 1].Outputs;

    /// <summary>The layers 1..L in declaration order (index 0 holds layer 1).</summary>
    public IReadOnlyList<LayerShape> Layers => _layers;

    /// <summary>
    /// Layer numbers in the order a forward pass runs them (backward runs it in reverse): a topological order of the
    /// graph that prefers declaration order. For a chain it is 1..L.
    /// </summary>
    public IReadOnlyList<int> ExecutionOrder => _order;

    /// <summary>The layers that read layer <paramref name="layer"/> (0 for the input), in execution order.</summary>
    public IReadOnlyList<int> Consumers(int layer) => _consumers[layer];

    /// <summary>True when the network is a plain chain of dense layers (a multilayer perceptron) on a feature input.</summary>
    public bool IsDenseChain
    {
        get
        {
            if (InputShape.Rank != 1 || OutputLayer != _layers.Length) return false;
            foreach (LayerShape layer in _layers)
                if (layer.Kind != LayerKind.Dense || layer.Sources.Count != 1 || layer.Sources[0] != layer.Number - 1) return false;
            return true;
        }
    }

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

    /// <summary>The messages of the errors of <see cref="Check(int?, IReadOnlyList{DenseLayer}, LossFunction?, Precision)"/>.</summary>
    public static List<string> Validate(int inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss, Precision precision) =>
        Validate(new TensorShape(inputSize), Upcast(layers), loss, precision, null);

    /// <summary>
    /// Checks a topology and returns one message per error (empty when it is valid): the messages of the
    /// <see cref="TopologySeverity.Error"/> problems of <see cref="Check(TensorShape?, IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>, which the constructor throws.
    /// </summary>
    public static List<string> Validate(TensorShape input, IReadOnlyList<LayerSpec> layers, LossFunction? loss, Precision precision, string? output = null)
    {
        var errors = new List<string>();
        foreach (TopologyProblem problem in Check(input, layers, loss, precision, output))
            if (problem.Severity == TopologySeverity.Error)
                errors.Add(problem.Message);
        return errors;
    }

    /// <summary>Checks a multilayer perceptron; see <see cref="Check(TensorShape?, IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>.</summary>
    public static List<TopologyProblem> Check(int? inputSize, IReadOnlyList<DenseLayer> layers, LossFunction? loss, Precision precision) =>
        Check(inputSize is null ? null : new TensorShape(inputSize.Value), Upcast(layers), loss, precision, null);

    /// <summary>
    /// Checks a topology against every rule and returns its problems, grouped by rule (empty when it is valid and
    /// unremarkable). This is the one place the rules live: the runtime constructor throws the errors' messages
    /// (<see cref="Validate(TensorShape, IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>), and at build
    /// time the analyzer reports each problem on the attribute argument that <see cref="TopologyProblem.Argument"/>,
    /// <see cref="TopologyProblem.Layer"/> and <see cref="TopologyProblem.Item"/> name, while the generator emits
    /// nothing for a network with an error.
    /// </summary>
    /// <param name="input">The input shape, or null when no input was declared (possible only at build time).</param>
    /// <param name="layers">The layers in declaration order.</param>
    /// <param name="loss">The loss, or null for an inference-only network.</param>
    /// <param name="precision">The floating-point type.</param>
    /// <param name="output">The name of the output layer, or null for the last declared layer.</param>
    public static List<TopologyProblem> Check(TensorShape? input, IReadOnlyList<LayerSpec> layers, LossFunction? loss, Precision precision, string? output = null)
    {
        if (layers is null) throw new ArgumentNullException(nameof(layers));
        var problems = new List<TopologyProblem>();
        bool inputValid = false;
        if (input is null)
            problems.Add(Error(TopologyProblemKind.MissingInput, TopologyArgument.InputSize, 0, 0,
                "The network has no input; declare its shape with [Input(size)], [Input(channels, length)] or [Input(channels, height, width)]."));
        else if (input.Rank < 1 || input.Rank > 3)
            problems.Add(Error(TopologyProblemKind.InputRankUnsupported, TopologyArgument.InputSize, 0, input.Rank,
                "The input has {0} dimensions; declare [Input(size)], [Input(channels, length)] or [Input(channels, height, width)].", input.Rank));
        else
        {
            inputValid = true;
            for (int d = 0; d < input.Rank; d++)
                if (input[d] <= 0)
                {
                    problems.Add(ErrorAt(TopologyProblemKind.InputSizeNotPositive, TopologyArgument.InputSize, 0, input[d], d,
                        input.Rank == 1 ? "The input size must be positive, but it is {0}." : "Every input dimension must be positive, but the input shape is {1}.",
                        input[d], input));
                    inputValid = false;
                    break;
                }
            if (inputValid && input.LongSize > MaxTensorSize)
            {
                problems.Add(Error(TopologyProblemKind.InputSizeNotPositive, TopologyArgument.InputSize, 0, input.LongSize,
                    "The input {0} has {1} values; a tensor holds at most {2}.", input, input.LongSize, MaxTensorSize));
                inputValid = false;
            }
        }
        if (!IsDefined(precision))
            problems.Add(Error(TopologyProblemKind.UndefinedPrecision, TopologyArgument.Precision, 0, (int)precision,
                "Precision value {0} is not defined; use Precision.Single or Precision.Double.", (int)precision));
        if (loss.HasValue && !IsDefined(loss.Value))
            problems.Add(Error(TopologyProblemKind.UndefinedLoss, TopologyArgument.Loss, 0, (int)loss.Value,
                "Loss function value {0} is not defined; use LossFunction.SquaredError or LossFunction.CrossEntropy.", (int)loss.Value));
        if (layers.Count == 0)
        {
            problems.Add(Error(TopologyProblemKind.NoLayers, TopologyArgument.None, 0, 0,
                "The network has no layers; declare at least one layer, for example [Dense(units)]."));
            return problems;
        }

        Graph? graph = Resolve(inputValid ? input : null, layers, output, problems);
        if (graph is null) return problems;

        // Every x^l must fit the buffers that hold it (MaxTensorSize).
        foreach (int l in graph.Order)
            if (l >= 1 && layers[l - 1] is LayerSpec spec && graph.Shapes[l] is TensorShape shape && shape.LongSize > MaxTensorSize)
                problems.Add(Error(TopologyProblemKind.LayerTooLarge, TopologyArgument.Layer, l, shape.LongSize,
                    "{0} {1} outputs {2} ({3} values); a tensor holds at most {4}.", spec.Kind, Describe(layers, l), shape, shape.LongSize, MaxTensorSize));

        // Rules about the output layer.
        int outputLayer = graph.Output;
        LayerSpec? outputSpec = outputLayer >= 1 ? layers[outputLayer - 1] : null;
        for (int l = 1; l <= layers.Count; l++)
        {
            LayerSpec? layer = layers[l - 1];
            if (layer is not null && layer.Activation == Activation.Softmax && l != outputLayer)
                problems.Add(Error(TopologyProblemKind.SoftmaxNotOnOutput, TopologyArgument.Activation, l, 0,
                    "{0} {1} uses Softmax, which is only supported on the output layer ({2}).", layer.Kind, Describe(layers, l), Describe(layers, outputLayer)));
        }
        if (outputSpec is not null && loss == LossFunction.CrossEntropy && outputSpec.Activation != Activation.Softmax && IsDefined(outputSpec.Activation))
            problems.Add(Error(TopologyProblemKind.CrossEntropyWithoutSoftmax, TopologyArgument.Loss, outputLayer, 0,
                "CrossEntropy needs a Softmax output layer, but the output layer ({0}) uses {1}.", Describe(layers, outputLayer), outputSpec.Activation));
        if (outputSpec is not null && loss == LossFunction.SquaredError && outputSpec.Activation == Activation.Softmax)
            problems.Add(new TopologyProblem(TopologyProblemKind.SoftmaxWithSquaredError, TopologySeverity.Warning, TopologyArgument.Loss, outputLayer, 0,
                Format("The output layer ({0}) uses Softmax with SquaredError; Softmax pairs with CrossEntropy, and squared error through a softmax learns slowly.", Describe(layers, outputLayer))));

        if (graph.Countable && graph.ParameterCount > MaxParameterCount)
            problems.Add(Error(TopologyProblemKind.TooManyParameters, TopologyArgument.None, 0, graph.ParameterCount,
                "The network has {0} parameters; one buffer holds at most {1}.", graph.ParameterCount, MaxParameterCount));
        else if (graph.Countable && graph.ParameterCount > LargeParameterCount)
            problems.Add(new TopologyProblem(TopologyProblemKind.LargeNetwork, TopologySeverity.Warning, TopologyArgument.None, 0, graph.ParameterCount,
                Format("The network has {0} parameters, more than {1}; each instance holds {2} bytes of parameters and as many of gradients.",
                    graph.ParameterCount, LargeParameterCount, graph.ParameterCount * ElementSize(precision))));
        return InLayerOrder(problems);
    }

    /// <summary>
    /// Orders problems by layer, keeping the order of the rules within a layer: problems of the network as a whole
    /// found before any layer's come first, those found after (the parameter count) last.
    /// </summary>
    private static List<TopologyProblem> InLayerOrder(List<TopologyProblem> problems)
    {
        int firstLayer = problems.FindIndex(p => p.Layer != 0);
        var keyed = new List<KeyValuePair<long, TopologyProblem>>(problems.Count);
        for (int i = 0; i < problems.Count; i++)
        {
            TopologyProblem p = problems[i];
            long layerKey = p.Layer != 0 ? p.Layer : firstLayer < 0 || i < firstLayer ? 0 : int.MaxValue;
            keyed.Add(new KeyValuePair<long, TopologyProblem>(layerKey * problems.Count + i, p));
        }
        keyed.Sort((a, b) => a.Key.CompareTo(b.Key));
        return keyed.ConvertAll(k => k.Value);
    }

    /// <summary>
    /// The most values the input or any layer's output may have: 16,777,216 (64 MB of float per sample). A generated
    /// class holds a chunk of 64 samples of each in one array for its batched calls (ForwardBatch, BackwardBatch), and
    /// its convolution staging buffers are a few times a tensor, so at this size every buffer fits a .NET array.
    /// </summary>
    public const int MaxTensorSize = 16777216;

    /// <summary>The most parameters a network may have (the largest .NET array of float).</summary>
    public const int MaxParameterCount = 0x7FFFFFC7;

    /// <summary>
    /// Above this many parameters <see cref="Check(TensorShape?, IReadOnlyList{LayerSpec}, LossFunction?, Precision, string?)"/>
    /// warns (<see cref="TopologyProblemKind.LargeNetwork"/>): each instance of a generated class holds its parameters
    /// and its gradients (40 MB each in float at this size), all allocated and initialised by the constructor.
    /// </summary>
    public const int LargeParameterCount = 10000000;

    /// <summary>The size in bytes of one parameter: 4 for float, 8 for double.</summary>
    public static int ElementSize(Precision precision) => precision == Precision.Double ? 8 : 4;

    /// <summary>
    /// True when <paramref name="other"/> has the same input shape, layers (kind, sizes, f, stride, padding, connection
    /// table, sources) and output layer, whatever the layer names, loss and precision: the weights of one are the
    /// weights of the other (an inference-only class and a trainable one of the same layers share them).
    /// </summary>
    public bool HasSameLayers(NetworkTopology other)
    {
        if (other is null) throw new ArgumentNullException(nameof(other));
        if (ReferenceEquals(this, other)) return true;
        if (!InputShape.Equals(other.InputShape) || _layers.Length != other._layers.Length || OutputLayer != other.OutputLayer) return false;
        for (int l = 0; l < _layers.Length; l++)
        {
            LayerShape a = _layers[l], b = other._layers[l];
            if (a.Spec.ToString() != b.Spec.ToString() || a.Spec.Activation != b.Spec.Activation || a.Sources.Count != b.Sources.Count) return false;
            for (int s = 0; s < a.Sources.Count; s++)
                if (a.Sources[s] != b.Sources[s]) return false;
            string[]? tableA = (a.Spec as ConvLayer)?.Connections, tableB = (b.Spec as ConvLayer)?.Connections;
            if (tableA is not null && tableB is not null)
                for (int o = 0; o < tableA.Length; o++)
                    for (int i = 0; i < tableA[o].Length; i++)
                        if (IsConnected(tableA[o][i]) != IsConnected(tableB[o][i])) return false;
        }
        return true;
    }

    /// <summary>True for the connection-table character that marks a connection: 'X' (the only one; see <see cref="IsDisconnected"/>).</summary>
    public static bool IsConnected(char entry) => entry == 'X';

    /// <summary>
    /// True for the connection-table character that marks no connection: '.'. Any character other than 'X' and '.' is an
    /// error (TopologyProblemKind.ConnectionTableEntry, the generator's NC0075).
    /// </summary>
    public static bool IsDisconnected(char entry) => entry == '.';

    /// <summary>
    /// A one-line description, for example "784 → Dense(128, ReLU) → Dense(10, Softmax); CrossEntropy; 101,770 parameters"
    /// (with names "784 → hidden: Dense(128, ReLU) → …"), or for graphs "[1, 28, 28] → c1: Conv2D(…) [6, 28, 28] → …"
    /// in execution order with each layer's shape and sources. A named layer is "name: " and its layer in either form.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        bool chain = IsDenseChain;
        text.Append(chain ? InputSize.ToString(CultureInfo.InvariantCulture) : InputShape.ToString());
        foreach (int l in _order)
        {
            LayerShape layer = _layers[l - 1];
            text.Append(" → ");
            if (layer.Name is not null) text.Append(layer.Name).Append(": ");
            text.Append(layer.Spec);
            if (chain) continue;
            text.Append(' ').Append(layer.Shape);
            if (!(layer.Sources.Count == 1 && layer.Sources[0] == l - 1))
            {
                text.Append(" from ");
                for (int s = 0; s < layer.Sources.Count; s++)
                {
                    if (s > 0) text.Append(", ");
                    int source = layer.Sources[s];
                    text.Append(source == 0 ? InputName : _layers[source - 1].Name ?? "layer " + source.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        text.Append("; ").Append(Loss.HasValue ? Loss.Value.ToString() : "inference only");
        if (Precision == Precision.Double) text.Append("; double");
        text.Append("; ").Append(ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append(" parameters");
        return text.ToString();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Graph resolution: names → sources, cycles, execution order, shapes, parameter count.

    private sealed class Graph
    {
        public int[]?[] Sources = null!;        // [l] = source layer numbers of layer l (0 = input); null when unresolved
        public TensorShape?[] Shapes = null!;   // [l] = shape of x^l (0 = input); null when unknown
        public List<int> Order = new();         // execution order (may be partial when there is a cycle)
        public int Output;                      // output layer number, 0 when unknown
        public long ParameterCount;
        public bool Countable = true;           // every shape known, so ParameterCount is exact

        /// <summary>The shapes of the sources of layer <paramref name="l"/>, or null when one is unknown.</summary>
        public TensorShape[]? SourceShapes(int l)
        {
            int[] sources = Sources[l]!;
            var shapes = new TensorShape[sources.Length];
            for (int s = 0; s < sources.Length; s++)
            {
                TensorShape? shape = Shapes[sources[s]];
                if (shape is null) return null;
                shapes[s] = shape;
            }
            return shapes;
        }
    }

    /// <summary>
    /// Resolves the graph and infers shapes, adding problems to <paramref name="problems"/> (null when the caller has
    /// already validated). Returns null when the graph cannot be checked any further.
    /// </summary>
    private static Graph? Resolve(TensorShape? input, IReadOnlyList<LayerSpec> layers, string? output, List<TopologyProblem>? problems)
    {
        int count = layers.Count;
        var graph = new Graph { Sources = new int[]?[count + 1], Shapes = new TensorShape?[count + 1] };
        graph.Shapes[0] = input;
        graph.Sources[0] = new int[0];
        void Add(TopologyProblem problem) => problems?.Add(problem);

        // Names.
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int l = 1; l <= count; l++)
        {
            LayerSpec? layer = layers[l - 1];
            if (layer is null)
            {
                Add(Error(TopologyProblemKind.NullLayer, TopologyArgument.None, l, 0, "Layer {0} is null.", l));
                continue;
            }
            if (layer.Name is null) continue;
            if (layer.Name == InputName)
                Add(Error(TopologyProblemKind.ReservedName, TopologyArgument.Name, l, 0,
                    "Layer {0} is named \"{1}\", which names the network's input; choose another name.", l, InputName));
            else if (layer.Name.Length == 0)
                Add(Error(TopologyProblemKind.ReservedName, TopologyArgument.Name, l, 0, "Layer {0} has an empty name; leave Name out or give it one.", l));
            else if (names.TryGetValue(layer.Name, out int first))
                Add(Error(TopologyProblemKind.DuplicateName, TopologyArgument.Name, l, first,
                    "Layer {0} is named \"{1}\", like layer {2}; layer names must be unique.", l, layer.Name, first));
            else
                names.Add(layer.Name, l);
        }

        // Sources.
        for (int l = 1; l <= count; l++)
        {
            LayerSpec? layer = layers[l - 1];
            if (layer is null) continue;
            if (layer.From is null)
            {
                graph.Sources[l] = new[] { l - 1 };
                continue;
            }
            var sources = new List<int>();
            bool resolved = true;
            for (int i = 0; i < layer.From.Length; i++)
            {
                string? name = layer.From[i];
                int source;
                if (name == InputName) source = 0;
                else if (name is null || !names.TryGetValue(name, out source))
                {
                    Add(ErrorAt(TopologyProblemKind.UnknownSource, TopologyArgument.From, l, 0, i,
                        name is null ? "{0} {1} lists a null source in From." : "{0} {1} reads \"{2}\", which names no layer; the names are {3}.",
                        layer.Kind, Describe(layers, l), name ?? "", KnownNames(names)));
                    resolved = false;
                    continue;
                }
                if (source == l)
                {
                    Add(ErrorAt(TopologyProblemKind.Cycle, TopologyArgument.From, l, 0, i, "{0} {1} reads itself.", layer.Kind, Describe(layers, l)));
                    resolved = false;
                    continue;
                }
                if (sources.Contains(source))
                {
                    Add(ErrorAt(TopologyProblemKind.DuplicateSource, TopologyArgument.From, l, 0, i,
                        "{0} {1} reads \"{2}\" twice.", layer.Kind, Describe(layers, l), name));
                    resolved = false;
                    continue;
                }
                sources.Add(source);
            }
            if (resolved) graph.Sources[l] = sources.ToArray();
        }

        // Output.
        graph.Output = count;
        if (output is not null)
        {
            if (names.TryGetValue(output, out int o)) graph.Output = o;
            else
            {
                Add(Error(TopologyProblemKind.UnknownOutput, TopologyArgument.Output, 0, 0,
                    "The network's Output is \"{0}\", which names no layer; the names are {1}.", output, KnownNames(names)));
                graph.Output = 0;
            }
        }

        // Execution order: Kahn's algorithm, always taking the lowest-numbered ready layer, so that a chain runs in
        // declaration order. Layers left over are on a cycle (or read one).
        var remaining = new int[count + 1];
        for (int l = 1; l <= count; l++)
            remaining[l] = graph.Sources[l]?.Length ?? -1;
        var done = new bool[count + 1];
        done[0] = true;
        bool progress = true;
        while (progress)
        {
            progress = false;
            for (int l = 1; l <= count; l++)
            {
                if (done[l] || graph.Sources[l] is null) continue;
                bool ready = true;
                foreach (int s in graph.Sources[l]!)
                    if (!done[s]) { ready = false; break; }
                if (!ready) continue;
                done[l] = true;
                graph.Order.Add(l);
                progress = true;
                break;
            }
        }
        bool complete = graph.Order.Count == count;
        if (!complete)
        {
            // Report each cycle once, on its lowest-numbered layer, naming the layers around it.
            var reported = new bool[count + 1];
            for (int l = 1; l <= count; l++)
            {
                if (done[l] || reported[l] || graph.Sources[l] is null) continue;
                List<int>? cycle = FindCycle(graph, l, done);
                if (cycle is null || cycle.Exists(c => reported[c])) continue; // a layer that reads a cycle already reported
                int lowest = cycle[0];
                foreach (int c in cycle) { reported[c] = true; if (c < lowest) lowest = c; }
                var path = new StringBuilder();
                int start = cycle.IndexOf(lowest);
                for (int i = 0; i <= cycle.Count; i++)
                {
                    if (i > 0) path.Append(" ← ");
                    path.Append(Describe(layers, cycle[(start + i) % cycle.Count]));
                }
                // The From entry of the lowest layer that names the next layer around the cycle.
                int entry = Array.IndexOf(graph.Sources[lowest]!, cycle[(start + 1) % cycle.Count]);
                Add(ErrorAt(TopologyProblemKind.Cycle, TopologyArgument.From, lowest, 0, entry,
                    "Layers read each other in a cycle: {0}; a network must be a directed acyclic graph.", path));
            }
            // Still check the arguments of every layer whose From resolved (shapes where its sources are known), so
            // that one broken From or a cycle does not hide the other mistakes.
            foreach (int l in graph.Order)
                graph.Shapes[l] = InferShape(layers, l, graph, problems);
            for (int l = 1; l <= count; l++)
                if (!done[l] && graph.Sources[l] is not null && layers[l - 1] is not null)
                    InferShape(layers, l, graph, problems);
            return problems is null ? null : graph.Output == 0 ? null : CheckUnused(layers, graph, problems, complete: false);
        }

        // Shapes, in execution order.
        foreach (int l in graph.Order)
            graph.Shapes[l] = InferShape(layers, l, graph, problems);

        // Parameters.
        foreach (int l in graph.Order)
        {
            long p = CountParameters(layers[l - 1], graph, l);
            if (p < 0) graph.Countable = false;
            else graph.ParameterCount += p;
        }

        if (graph.Output == 0) return problems is null ? graph : null;
        return problems is null ? graph : CheckUnused(layers, graph, problems, complete: true);
    }

    /// <summary>Reports layers that the output does not depend on.</summary>
    private static Graph? CheckUnused(IReadOnlyList<LayerSpec> layers, Graph graph, List<TopologyProblem> problems, bool complete)
    {
        var used = new bool[layers.Count + 1];
        var stack = new Stack<int>();
        stack.Push(graph.Output);
        used[graph.Output] = true;
        bool unknown = false;
        while (stack.Count > 0)
        {
            int l = stack.Pop();
            int[]? sources = graph.Sources[l];
            if (sources is null) { unknown = true; continue; }
            foreach (int s in sources)
                if (!used[s]) { used[s] = true; stack.Push(s); }
        }
        if (unknown && !complete) return null; // an unresolved From may be what was meant to use the layer
        for (int l = 1; l <= layers.Count; l++)
            if (!used[l] && layers[l - 1] is not null && !unknown)
                problems.Add(Error(TopologyProblemKind.UnusedLayer, TopologyArgument.Layer, l, 0,
                    "{0} {1} is not used: no layer reads it and it is not the output ({2}).",
                    layers[l - 1].Kind, Describe(layers, l), Describe(layers, graph.Output)));
        return complete ? graph : null;
    }

    /// <summary>A cycle through the sources of <paramref name="start"/> among layers not done, or null.</summary>
    private static List<int>? FindCycle(Graph graph, int start, bool[] done)
    {
        // Follow not-done sources; within at most L steps a layer repeats.
        var path = new List<int>();
        var position = new Dictionary<int, int>();
        int l = start;
        while (!position.ContainsKey(l))
        {
            position[l] = path.Count;
            path.Add(l);
            int next = -1;
            int[]? sources = graph.Sources[l];
            if (sources is null) return null;
            foreach (int s in sources)
                if (!done[s]) { next = s; break; }
            if (next < 0 || graph.Sources[next] is null) return null;
            l = next;
        }
        return path.GetRange(position[l], path.Count - position[l]);
    }

    /// <summary>Infers the shape of x^l from its sources, reporting shape problems; null when unknown.</summary>
    private static TensorShape? InferShape(IReadOnlyList<LayerSpec> layers, int l, Graph graph, List<TopologyProblem>? problems)
    {
        LayerSpec layer = layers[l - 1];
        int[] sources = graph.Sources[l]!;
        var shapes = new TensorShape[sources.Length];
        bool known = true;
        for (int s = 0; s < sources.Length; s++)
        {
            TensorShape? shape = graph.Shapes[sources[s]];
            if (shape is null) known = false;
            else shapes[s] = shape;
        }
        void Add(TopologyProblemKind kind, TopologyArgument argument, long value, string format, params object[] args) =>
            problems?.Add(Error(kind, argument, l, value, format, args));
        void AddAt(TopologyProblemKind kind, int item, long value, string format, params object[] args) =>
            problems?.Add(ErrorAt(kind, TopologyArgument.From, l, value, item, format, args));
        string what = layer.Kind + " " + Describe(layers, l);

        switch (layer)
        {
            case DenseLayer dense:
            {
                if (dense.Units <= 0)
                    Add(TopologyProblemKind.UnitsNotPositive, TopologyArgument.Units, dense.Units,
                        "Dense layer {0} has {1} units; it needs at least 1.", NumberOrName(layers, l), dense.Units);
                if (!IsDefined(dense.Activation))
                    Add(TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, (int)dense.Activation,
                        "{0} has activation value {1}, which is not defined.", what, (int)dense.Activation);
                if (dense.Units <= 0) return null;
                if (sources.Length == 0)
                {
                    Add(TopologyProblemKind.WrongSourceCount, TopologyArgument.From, 0, "{0} reads no source; list at least one in From.", what);
                    return null;
                }
                if (known && problems is not null)
                    for (int s = 0; s < sources.Length; s++)
                        if (shapes[s].Rank > 1 && shapes[s].Spatial > 1) // [channels, 1, 1] is already a vector
                            problems.Add(new TopologyProblem(TopologyProblemKind.ImplicitFlatten, TopologySeverity.Info, TopologyArgument.Layer, l, shapes[s].Size,
                                Format("{0} reads {1} of shape {2} and flattens it to {3} features in PyTorch's order (channel, then row, then column).",
                                    what, SourceName(layers, sources[s]), shapes[s], shapes[s].Size)));
                return new TensorShape(dense.Units);
            }

            case ConvLayer conv:
            {
                int rank = conv.Kind == LayerKind.Conv2D ? 3 : 2;
                bool ok = true;
                if (!IsDefined(conv.Activation))
                    Add(TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, (int)conv.Activation,
                        "{0} has activation value {1}, which is not defined.", what, (int)conv.Activation);
                if (conv.Filters <= 0) { ok = false; Add(TopologyProblemKind.UnitsNotPositive, TopologyArgument.Filters, conv.Filters, "{0} has {1} filters; it needs at least 1.", what, conv.Filters); }
                if (conv.KernelSize <= 0) { ok = false; Add(TopologyProblemKind.KernelNotPositive, TopologyArgument.KernelSize, conv.KernelSize, "{0} has kernel size {1}; it must be positive.", what, conv.KernelSize); }
                if (conv.Stride <= 0) { ok = false; Add(TopologyProblemKind.StrideNotPositive, TopologyArgument.Stride, conv.Stride, "{0} has stride {1}; it must be positive.", what, conv.Stride); }
                if (conv.Padding < 0) { ok = false; Add(TopologyProblemKind.PaddingNegative, TopologyArgument.Padding, conv.Padding, "{0} has padding {1}; it must be 0 or more.", what, conv.Padding); }
                if (sources.Length != 1)
                {
                    Add(TopologyProblemKind.WrongSourceCount, TopologyArgument.From, sources.Length,
                        "{0} reads {1} sources; a convolution reads exactly one (join channels with [Concat] first).", what, sources.Length);
                    return null;
                }
                if (!known) return null;
                TensorShape x = shapes[0];
                if (x.Rank != rank)
                {
                    Add(TopologyProblemKind.WrongSourceRank, TopologyArgument.Layer, x.Rank,
                        "{0} needs a source of shape {1}, but {2} has shape {3}.", what,
                        rank == 3 ? "[channels, height, width]" : "[channels, length]", SourceName(layers, sources[0]), x);
                    return null;
                }
                if (conv.Connections is not null && !CheckConnections(conv, x.Channels, what, l, problems)) ok = false;
                if (!ok) return null;
                // A square input gets one message for both dimensions (the windows are square).
                bool square = rank == 3 && x.Height == x.Width;
                int outH = rank == 3 ? OutputExtent(x.Height, conv.KernelSize, conv.Stride, conv.Padding, square ? "height and width" : "height", what, l, TopologyArgument.KernelSize, problems) : 1;
                int outW = square ? outH : OutputExtent(x.Width, conv.KernelSize, conv.Stride, conv.Padding, rank == 3 ? "width" : "length", what, l, TopologyArgument.KernelSize, problems);
                if (outH <= 0 || outW <= 0) return null;
                return rank == 3 ? new TensorShape(conv.Filters, outH, outW) : new TensorShape(conv.Filters, outW);
            }

            case PoolLayer pool:
            {
                bool ok = true;
                if (!IsDefined(pool.Activation))
                    Add(TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, (int)pool.Activation,
                        "{0} has activation value {1}, which is not defined.", what, (int)pool.Activation);
                else if (pool.Kind == LayerKind.MaxPool && pool.Activation != Activation.Identity)
                    Add(TopologyProblemKind.ActivationNotAllowed, TopologyArgument.Activation, (int)pool.Activation, "{0} takes no activation.", what);
                if (pool.Kind == LayerKind.MaxPool && pool.Trainable)
                    Add(TopologyProblemKind.ActivationNotAllowed, TopologyArgument.Layer, 0, "{0} cannot be trainable; only AvgPool has LeNet's trainable subsampling.", what);
                if (pool.Size <= 0) { ok = false; Add(TopologyProblemKind.PoolSizeNotPositive, TopologyArgument.Size, pool.Size, "{0} has window size {1}; it must be positive.", what, pool.Size); }
                if (pool.Stride < 0) { ok = false; Add(TopologyProblemKind.StrideNotPositive, TopologyArgument.Stride, pool.Stride, "{0} has stride {1}; it must be positive (or 0 for the window size).", what, pool.Stride); }
                if (sources.Length != 1)
                {
                    Add(TopologyProblemKind.WrongSourceCount, TopologyArgument.From, sources.Length, "{0} reads {1} sources; pooling reads exactly one.", what, sources.Length);
                    return null;
                }
                if (!known) return null;
                TensorShape x = shapes[0];
                if (x.Rank < 2)
                {
                    Add(TopologyProblemKind.WrongSourceRank, TopologyArgument.Layer, x.Rank,
                        "{0} needs a source of shape [channels, length] or [channels, height, width], but {1} has shape {2}.", what, SourceName(layers, sources[0]), x);
                    return null;
                }
                if (!ok) return null;
                int stride = pool.Stride == 0 ? pool.Size : pool.Stride;
                bool square = x.Rank == 3 && x.Height == x.Width;
                int outH = x.Rank == 3 ? OutputExtent(x.Height, pool.Size, stride, 0, square ? "height and width" : "height", what, l, TopologyArgument.Size, problems) : 1;
                int outW = square ? outH : OutputExtent(x.Width, pool.Size, stride, 0, x.Rank == 3 ? "width" : "length", what, l, TopologyArgument.Size, problems);
                if (outH <= 0 || outW <= 0) return null;
                return x.Rank == 3 ? new TensorShape(x.Channels, outH, outW) : new TensorShape(x.Channels, outW);
            }

            case JoinLayer join:
            {
                if (!IsDefined(join.Activation))
                    Add(TopologyProblemKind.UndefinedActivation, TopologyArgument.Activation, (int)join.Activation,
                        "{0} has activation value {1}, which is not defined.", what, (int)join.Activation);
                else if (join.Kind == LayerKind.Concat && join.Activation != Activation.Identity)
                    Add(TopologyProblemKind.ActivationNotAllowed, TopologyArgument.Activation, (int)join.Activation, "{0} takes no activation.", what);
                if (sources.Length < 2)
                {
                    Add(TopologyProblemKind.WrongSourceCount, TopologyArgument.From, sources.Length,
                        "{0} reads {1} source(s); {2} joins at least two, listed in From.", what, sources.Length, join.Kind);
                    return null;
                }
                if (!known) return null;
                if (join.Kind == LayerKind.Add)
                {
                    for (int s = 1; s < shapes.Length; s++)
                        if (!shapes[s].Equals(shapes[0]))
                        {
                            AddAt(TopologyProblemKind.AddShapeMismatch, s, s,
                                "{0} adds sources of different shapes: {1} is {2} but {3} is {4}.", what,
                                SourceName(layers, sources[0]), shapes[0], SourceName(layers, sources[s]), shapes[s]);
                            return null;
                        }
                    return shapes[0];
                }
                // Concat: 1-D sources join features; others join channels and must agree on the rest.
                int channels = 0;
                for (int s = 0; s < shapes.Length; s++)
                {
                    bool compatible = shapes[s].Rank == shapes[0].Rank
                        && (shapes[0].Rank == 1 || (shapes[s].Height == shapes[0].Height && shapes[s].Width == shapes[0].Width));
                    if (!compatible)
                    {
                        AddAt(TopologyProblemKind.ConcatShapeMismatch, s, s,
                            "{0} cannot join {1} of shape {2} with {3} of shape {4}: sources must have the same rank and, with channels, the same {5}.", what,
                            SourceName(layers, sources[0]), shapes[0], SourceName(layers, sources[s]), shapes[s], shapes[0].Rank == 3 ? "height and width" : "length");
                        return null;
                    }
                    channels += shapes[0].Rank == 1 ? shapes[s].Width : shapes[s].Channels;
                }
                return shapes[0].Rank switch
                {
                    1 => new TensorShape(channels),
                    2 => new TensorShape(channels, shapes[0].Width),
                    _ => new TensorShape(channels, shapes[0].Height, shapes[0].Width),
                };
            }
        }
        return null;
    }

    /// <summary>(extent + 2·padding − window)/stride + 1, reporting a window that does not fit or a stride that does not tile.</summary>
    private static int OutputExtent(int extent, int window, int stride, int padding, string dimension, string what, int l, TopologyArgument windowArgument, List<TopologyProblem>? problems)
    {
        int padded = extent + 2 * padding;
        if (window > padded)
        {
            problems?.Add(Error(TopologyProblemKind.KernelTooLarge, windowArgument, l, window,
                padding > 0 ? "{0} has a window of {1} but its input {2} {5} only {3} (padded to {4})." : "{0} has a window of {1} but its input {2} {5} only {3}.",
                what, window, dimension, extent, padded, dimension.IndexOf(" and ", StringComparison.Ordinal) >= 0 ? "are" : "is"));
            return 0;
        }
        if ((padded - window) % stride != 0)
        {
            problems?.Add(Error(TopologyProblemKind.StrideDoesNotTile, TopologyArgument.Stride, l, stride,
                "{0}: windows of {1} with stride {2} do not tile the input {3} of {4}{5}: the last {6} value(s) would be dropped; adjust the stride, window or padding.",
                what, window, stride, dimension, extent, padding > 0 ? Format(" (padded to {0})", padded) : "", (padded - window) % stride));
            return 0;
        }
        return (padded - window) / stride + 1;
    }

    private static bool CheckConnections(ConvLayer conv, int channels, string what, int l, List<TopologyProblem>? problems)
    {
        string[] table = conv.Connections!;
        if (conv.Filters > 0 && table.Length != conv.Filters)
        {
            problems?.Add(Error(TopologyProblemKind.ConnectionTableShape, TopologyArgument.Connections, l, table.Length,
                "{0} has {1} filters but its connection table has {2} rows; write one row per filter.", what, conv.Filters, table.Length));
            return false;
        }
        bool ok = true;
        for (int o = 0; o < table.Length; o++)
        {
            string? row = table[o];
            if (row is null || row.Length != channels)
            {
                problems?.Add(ErrorAt(TopologyProblemKind.ConnectionTableShape, TopologyArgument.Connections, l, row?.Length ?? 0, o,
                    "{0} reads {1} channels but row {2} of its connection table has {3} entries; write one 'X' or '.' per input channel.",
                    what, channels, o, row?.Length ?? 0));
                ok = false;
                continue;
            }
            int connected = 0;
            for (int i = 0; i < row.Length; i++)
            {
                if (IsConnected(row[i])) connected++;
                else if (!IsDisconnected(row[i]))
                {
                    problems?.Add(ErrorAt(TopologyProblemKind.ConnectionTableEntry, TopologyArgument.Connections, l, row[i], o,
                        "{0}: row {1} of the connection table has '{2}' at position {3}; use 'X' for a connection and '.' for none.", what, o, row[i], i));
                    ok = false;
                    connected = -1;
                    break;
                }
            }
            if (connected == 0)
            {
                problems?.Add(ErrorAt(TopologyProblemKind.ConnectionTableEmptyFilter, TopologyArgument.Connections, l, o, o,
                    "{0}: filter {1} reads no input channel in the connection table, so it would be a constant.", what, o));
                ok = false;
            }
        }
        return ok;
    }

    /// <summary>Parameters of layer <paramref name="l"/>, or −1 when a shape is unknown.</summary>
    private static long CountParameters(LayerSpec layer, Graph graph, int l)
    {
        TensorShape? shape = graph.Shapes[l];
        TensorShape[]? sourceShapes = graph.SourceShapes(l);
        if (shape is null || sourceShapes is null) return -1;
        LayerShape.CountParameters(layer, sourceShapes, shape, out long weights, out long biases);
        return weights + biases;
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static IReadOnlyList<LayerSpec> Upcast(IReadOnlyList<DenseLayer> layers)
    {
        if (layers is null) throw new ArgumentNullException(nameof(layers));
        var list = new LayerSpec[layers.Count];
        for (int i = 0; i < list.Length; i++) list[i] = layers[i];
        return list;
    }

    /// <summary>"layer 3" or "layer 3 ('h')".</summary>
    private static string Describe(IReadOnlyList<LayerSpec> layers, int l)
    {
        string? name = l >= 1 && l <= layers.Count ? layers[l - 1]?.Name : null;
        return "layer " + l.ToString(CultureInfo.InvariantCulture) + (name is null ? "" : " ('" + name + "')");
    }

    /// <summary>"3" or "3 ('h')", for messages that say "Dense layer …".</summary>
    private static string NumberOrName(IReadOnlyList<LayerSpec> layers, int l)
    {
        string? name = layers[l - 1]?.Name;
        return l.ToString(CultureInfo.InvariantCulture) + (name is null ? "" : " ('" + name + "')");
    }

    private static string SourceName(IReadOnlyList<LayerSpec> layers, int source) => source == 0 ? "the input" : Describe(layers, source);

    private static string KnownNames(Dictionary<string, int> names)
    {
        var list = new List<string> { "\"" + InputName + "\"" };
        foreach (string name in names.Keys) list.Add("\"" + name + "\"");
        return string.Join(", ", list.ToArray());
    }

    private static bool IsDefined(Activation value) => value >= Activation.Identity && value <= Activation.Softmax;
    private static bool IsDefined(LossFunction value) => value >= LossFunction.SquaredError && value <= LossFunction.CrossEntropy;
    private static bool IsDefined(Precision value) => value >= Precision.Single && value <= Precision.Double;

    private static TopologyProblem Error(TopologyProblemKind kind, TopologyArgument argument, int layer, long value, string format, params object[] args) =>
        new(kind, TopologySeverity.Error, argument, layer, value, Format(format, args));

    private static TopologyProblem ErrorAt(TopologyProblemKind kind, TopologyArgument argument, int layer, long value, int item, string format, params object[] args) =>
        new(kind, TopologySeverity.Error, argument, layer, value, Format(format, args), item);

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
