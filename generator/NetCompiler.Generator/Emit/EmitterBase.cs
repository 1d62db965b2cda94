// The state every emitter shares (the network, its plan, the element type and widths) and the lecture's notation
// (superscripts, formulas) for generated comments. Derived emitters write code; this class only names things.

namespace NetCompiler.Generator.Emit;

internal abstract partial class EmitterBase
{
    protected EmitterBase(EmitContext context) => C = context;

    /// <summary>The network, its plan, the widths and the other emitters.</summary>
    protected EmitContext C { get; }
    protected NetworkModel Model => C.Model;
    protected GeneratorOptions Options => C.Options;
    protected NetworkTopology Topology => C.Topology;
    protected NetworkPlan Plan => C.Plan;
    /// <summary>The element type: float or double, its lanes per Vector256 and its literals.</summary>
    protected ElementType Element => C.Element;
    protected IReadOnlyList<LayerShape> Layers => C.Topology.Layers;
    protected Width Narrow256 => C.Narrow256;
    protected Width Wide512 => C.Wide512;

    /// <summary>The plan of <paramref name="layer"/>: its kernels and buffers.</summary>
    protected LayerPlan PlanOf(LayerShape layer) => Plan[layer.Number];

    protected int L => Layers.Count;
    /// <summary>The output layer: the last declared one in a chain, topology.OutputLayer in a graph.</summary>
    protected LayerShape Output => Layers[Topology.OutputLayer - 1];
    protected bool SoftmaxOutput => Output.Activation == Activation.Softmax;
    protected bool Trainable => Model.Loss.HasValue;
    protected string T => Element.Name;
    protected int V => Element.Lanes;

    /// <summary>
    /// A Span over the whole buffer: <paramref name="count"/> elements from AlignedStart for an aligned buffer, else the
    /// array itself (so <paramref name="count"/> must be its length). For a prefix, use <see cref="ReadOnlyStart"/>.
    /// </summary>
    protected string WholeSpan(string array, string count) => C.BuffersAligned
        ? "Interop::MemoryMarshal.CreateSpan(ref AlignedStart(" + array + "), " + count + ")"
        : array;

    /// <summary>A ReadOnlySpan over the first <paramref name="count"/> elements of <paramref name="array"/> (from AlignedStart for an aligned buffer).</summary>
    protected string ReadOnlyStart(string array, string count) => C.BuffersAligned
        ? "Interop::MemoryMarshal.CreateReadOnlySpan(ref AlignedStart(" + array + "), " + count + ")"
        : "new global::System.ReadOnlySpan<" + T + ">(" + array + ", 0, " + count + ")";

    /// <summary>The first element of <paramref name="array"/> as a ref expression (AlignedStart for an aligned buffer).</summary>
    protected string StartOf(string array) => C.BuffersAligned
        ? "AlignedStart(" + array + ")"
        : "Interop::MemoryMarshal.GetArrayDataReference(" + array + ")";

    /// <summary>The generator's assembly version, stamped into [GeneratedCode].</summary>
    internal static string GeneratorVersion { get; } =
        typeof(NetworkEmitter).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>
    /// Vector256&lt;T&gt; as generated code names it: through the namespace alias Simd:: (NetworkEmitter.WriteAliases),
    /// which only aliases can match; every other name is global::-qualified or aliased the same way.
    /// </summary>
    protected string VectorType => "Simd::Vector256<" + Element.Name + ">";


    protected static int Log2(int powerOfTwo)
    {
        int log = 0;
        while ((1 << log) < powerOfTwo) log++;
        return log;
    }

    protected static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Layers that compute u and then x = f(u); MaxPool and Concat write x directly (û = x̂).</summary>
    protected static bool HasU(LayerShape layer) => layer.Kind is not (LayerKind.MaxPool or LayerKind.Concat);

    protected static string ShortName(LayerShape layer) => (layer.Name is null ? "" : OneLine(layer.Name) + ": ") + layer.Spec + " " + layer.Shape;

    /// <summary>" 'h'" after "layer 3" in comments, or "" for an unnamed layer.</summary>
    protected static string QuotedName(LayerShape layer) => layer.Name is null ? "" : " '" + OneLine(layer.Name) + "'";

    /// <summary>
    /// <paramref name="text"/> for a // comment: a layer's name may hold any character, and a line break in it would
    /// end the comment and leave the rest as code. Control characters and the line and paragraph separators are
    /// written as C# escapes ("\n", "\u2028"); every other character is kept.
    /// </summary>
    protected static string OneLine(string text)
    {
        var line = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (!char.IsControl(c) && c != '\u2028' && c != '\u2029') line.Append(c);
            else if (c == '\n') line.Append("\\n");
            else if (c == '\r') line.Append("\\r");
            else line.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return line.ToString();
    }

    /// <summary>The buffer a layer's kernel writes u (or x) into: x itself, computed in place, except under a softmax.</summary>
    protected string Target(LayerShape layer) => layer.Activation == Activation.Softmax ? "u" + layer.Number : "x" + layer.Number;

    protected void DeclareTarget(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number;
        w.Line(Ref("x" + l, "_x" + l));
        if (layer.Activation == Activation.Softmax) w.Line(Ref("u" + l, "_u" + l));
    }

    /// <summary>W⁵ from x³ in a dense layer with several sources: "W5From3"; with one source, "W5".</summary>
    protected static string WeightName(LayerShape layer, int source) =>
        layer.Sources.Count == 1 ? "W" + layer.Number : "W" + layer.Number + "From" + layer.Sources[source];

    /// <summary>W⁵ in comments, or W⁵₃ (the matrix from x³) in a dense layer with several sources.</summary>
    protected static string MathWeight(LayerShape layer, int source) =>
        "W" + Sup(layer.Number) + (layer.Sources.Count == 1 ? "" : Sub(layer.Sources[source]));

    /// <summary>Subscript digits: 3 → "₃".</summary>
    protected static string Sub(int number) => Digits(number, "₀₁₂₃₄₅₆₇₈₉");

    /// <summary>The end of the header's description of the network: its loss, its cost and element type, then its plan.</summary>
    protected void WriteLossAndCost(SourceWriter w)
    {
        string x = "x" + Sup(Output.Number);
        if (Model.Loss == LossFunction.SquaredError)
            w.Line("//   loss: L = ½·Σ(d − " + x + ")², the lecture's reward R = −L");
        else if (Model.Loss == LossFunction.CrossEntropy)
            w.Line("//   loss: L = −Σ d·log " + x + " (cross-entropy over the softmax output), reward R = −L");
        else
            w.Line("//   no loss: inference only");
        w.Line("//   " + Num(Topology.ParameterCount) + " parameters, " + Num(Topology.MultiplyAdds) + " multiply-adds per forward pass, Vector256<" + T + "> (" + V + " lanes)");
        C.Network.WritePlan(w);
    }

    /// <summary>InputSize, OutputSize, LayerCount and ParameterCount, documented by the given summaries.</summary>
    protected void WriteSizeConstants(SourceWriter w, string inputs, string outputs, string parameters)
    {
        w.Line("/// <summary>" + inputs + "</summary>");
        w.Line("public const int InputSize = " + Topology.InputSize + ";");
        w.Line("/// <summary>" + outputs + "</summary>");
        w.Line("public const int OutputSize = " + Topology.OutputSize + ";");
        w.Line("/// <summary>The number of layers L.</summary>");
        w.Line("public const int LayerCount = " + L + ";");
        w.Line("/// <summary>" + parameters + "</summary>");
        w.Line("public const int ParameterCount = " + Topology.ParameterCount + ";");
        w.Line();
    }

    /// <summary>
    /// The static Topology property: the network as declared, rebuilt at run time, every layer with its Name and From
    /// (SafeTensors names a layer's tensors by its Name). A chain is written with the multilayer perceptron's
    /// constructor (input size, dense layers), any other network with the graph's (input shape, layers, output).
    /// </summary>
    protected void WriteTopologyProperty(SourceWriter w)
    {
        bool chain = Plan.IsChain;
        w.Line("/// <summary>The runtime description of this network, for InterpretedNetwork and tools.</summary>");
        w.Line("public static Nc::NetworkTopology Topology { get; } = new Nc::NetworkTopology(");
        w.Line(chain ? "    " + Topology.InputSize + "," : "    new Nc::TensorShape(" + string.Join(", ", Topology.InputShape.ToArray()) + "),");
        w.Line(chain ? "    new Nc::DenseLayer[]" : "    new Nc::LayerSpec[]");
        w.Line("    {");
        foreach (LayerShape layer in Layers)
            w.Line("        " + SpecExpression(layer.Spec) + ",");
        w.Line("    },");
        w.Line("    " + (Model.Loss.HasValue ? "Nc::LossFunction." + Model.Loss.Value : "null") + ",");
        // A chain's output is its last layer, which is all [Network(Output = ...)] can name in a chain.
        w.Line("    Nc::Precision." + Model.Precision + (chain ? ");" : ","));
        if (!chain) w.Line("    " + (Model.Output is null ? "null" : Literal(Model.Output)) + ");");
    }

    /// <summary>C# that builds <paramref name="spec"/> at run time.</summary>
    private static string SpecExpression(LayerSpec spec)
    {
        string activation = "Nc::Activation." + spec.Activation;
        string text;
        var init = new List<string>();
        switch (spec)
        {
            case DenseLayer dense:
                text = "new Nc::DenseLayer(" + dense.Units + ", " + activation + ")";
                break;
            case ConvLayer conv:
                text = "new Nc::ConvLayer(" + (conv.Kind == LayerKind.Conv1D ? 1 : 2) + ", " + conv.Filters + ", " + conv.KernelSize + ", " + activation + ")";
                if (conv.Stride != 1) init.Add("Stride = " + conv.Stride);
                if (conv.Padding != 0) init.Add("Padding = " + conv.Padding);
                if (conv.Connections is not null) init.Add("Connections = new string[] { " + string.Join(", ", conv.Connections.Select(Literal)) + " }");
                break;
            case PoolLayer pool:
                text = "new Nc::PoolLayer(Nc::LayerKind." + pool.Kind + ", " + pool.Size + ", " + activation + ", " + (pool.Trainable ? "true" : "false") + ")";
                if (pool.Stride != 0) init.Add("Stride = " + pool.Stride);
                break;
            default:
                text = "new Nc::JoinLayer(Nc::LayerKind." + spec.Kind + ", new string[] { " + string.Join(", ", spec.From!.Select(Literal)) + " }, " + activation + ")";
                break;
        }
        if (spec.Name is not null) init.Add("Name = " + Literal(spec.Name));
        if (spec.From is not null && spec is not JoinLayer) init.Add("From = new string[] { " + string.Join(", ", spec.From.Select(Literal)) + " }");
        return init.Count == 0 ? text : text + " { " + string.Join(", ", init) + " }";
    }

    private static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);

    /// <summary>
    /// Opens Backward, on either path: its documentation (the <paramref name="summary"/> lines), then its checks of
    /// the target's length and that a forward pass has run.
    /// </summary>
    protected SourceWriter.Block OpenBackward(SourceWriter w, params string[] summary)
    {
        w.Line("/// <summary>");
        foreach (string line in summary) w.Line("/// " + line);
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">target is not " + Topology.OutputSize + " long.</exception>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No forward pass has run.</exception>");
        SourceWriter.Block method = OpenMethod(w, "public " + T + " Backward(global::System.ReadOnlySpan<" + T + "> target)");
        w.Line("if (target.Length != OutputSize) ThrowLength(nameof(target), OutputSize, target.Length);");
        w.Line("if (!_hasForward) throw new global::System.InvalidOperationException(\"Backward needs a forward pass first: call Forward or TrainStep.\");");
        return method;
    }

    /// <summary>
    /// Opens a method that computes (a pass, a layer, a kernel). With the AggressiveOptimization option (the default)
    /// the JIT compiles it fully optimised on its first call: in Tier-0 code an app that calls Forward once per event
    /// ran its calls 2–100 9–17× slower than later ones (bench/RESULTS.md, "NativeAOT and first calls").
    /// </summary>
    protected SourceWriter.Block OpenMethod(SourceWriter w, string signature)
    {
        if (Options.AggressiveOptimization)
            w.Line("[Compiler::MethodImpl(Compiler::MethodImplOptions.AggressiveOptimization)]");
        return w.Open(signature);
    }

    /// <summary>Superscript digits for the lecture's layer indices: 12 → "¹²".</summary>
    internal static string Sup(int number) => Digits(number, "⁰¹²³⁴⁵⁶⁷⁸⁹");

    /// <summary><paramref name="number"/> written with <paramref name="digits"/> (0 to 9) instead of ASCII digits.</summary>
    private static string Digits(int number, string digits)
    {
        string text = number.ToString(CultureInfo.InvariantCulture);
        var chars = new char[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = digits[text[i] - '0'];
        return new string(chars);
    }

    protected static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
    /// <summary>f(u) as the comments write it: "σ(u¹)", "max(0, u¹)"; the identity is <paramref name="u"/> itself.</summary>
    protected static string FunctionText(Activation activation, string u) => ActivationCode.Of(activation).Text(u);
}
