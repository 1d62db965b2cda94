// The state every emitter shares (the network, its plan, the element type and widths) and the lecture's notation
// (superscripts, formulas) for generated comments. Derived emitters write code; this class only names things.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NetCompiler.Generator.Model;
using NetCompiler.Generator.Plan;
using static NetCompiler.Generator.Plan.Tuning;

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
    protected string WholeSpan(string array, string count) => C.IsAligned(array)
        ? "global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref AlignedStart(" + array + "), " + count + ")"
        : array;

    /// <summary>A ReadOnlySpan over the first <paramref name="count"/> elements of <paramref name="array"/> (from AlignedStart for an aligned buffer).</summary>
    protected string ReadOnlyStart(string array, string count) => C.IsAligned(array)
        ? "global::System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref AlignedStart(" + array + "), " + count + ")"
        : "new global::System.ReadOnlySpan<" + T + ">(" + array + ", 0, " + count + ")";

    /// <summary>The first element of <paramref name="array"/> as a ref expression (AlignedStart for an aligned buffer).</summary>
    protected string StartOf(string array) => C.IsAligned(array)
        ? "AlignedStart(" + array + ")"
        : "global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(" + array + ")";

    /// <summary>The generator's assembly version, stamped into [GeneratedCode].</summary>
    internal static string GeneratorVersion { get; } =
        typeof(NetworkEmitter).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>
    /// Vector256&lt;T&gt; as generated code names it. Every name in generated code is global::-qualified rather than
    /// aliased: a file's using alias loses to a type of the same name in the user's namespace (a class of theirs
    /// called VectorMath or Vector256) and to members of their class, and would break the generated code.
    /// </summary>
    protected string VectorType => "global::System.Runtime.Intrinsics.Vector256<" + Element.Name + ">";


    protected static int Log2(int powerOfTwo)
    {
        int log = 0;
        while ((1 << log) < powerOfTwo) log++;
        return log;
    }

    protected static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Layers that compute u and then x = f(u); MaxPool and Concat write x directly (û = x̂).</summary>
    protected static bool HasU(LayerShape layer) => layer.Kind is not (LayerKind.MaxPool or LayerKind.Concat);

    protected static string ShortName(LayerShape layer) => (layer.Name is null ? "" : layer.Name + ": ") + layer.Spec + " " + layer.Shape;

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
    protected static string Sub(int number)
    {
        const string digits = "₀₁₂₃₄₅₆₇₈₉";
        string text = number.ToString(CultureInfo.InvariantCulture);
        var chars = new char[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = digits[text[i] - '0'];
        return new string(chars);
    }
    /// <summary>
    /// Opens a method that computes (a pass, a layer, a kernel). With the AggressiveOptimization option (the default)
    /// the JIT compiles it fully optimised on its first call: in Tier-0 code an app that calls Forward once per event
    /// ran its calls 2–100 9–17× slower than later ones (bench/RESULTS.md, "NativeAOT and first calls").
    /// </summary>
    protected SourceWriter.Block OpenMethod(SourceWriter w, string signature)
    {
        if (Options.AggressiveOptimization)
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        return w.Open(signature);
    }

    /// <summary>Superscript digits for the lecture's layer indices: 12 → "¹²".</summary>
    internal static string Sup(int number)
    {
        const string digits = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        string text = number.ToString(CultureInfo.InvariantCulture);
        var chars = new char[text.Length];
        for (int i = 0; i < text.Length; i++) chars[i] = digits[text[i] - '0'];
        return new string(chars);
    }

    protected static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
    /// <summary>f(u) as the comments write it: "σ(u¹)", "max(0, u¹)"; the identity is <paramref name="u"/> itself.</summary>
    protected static string FunctionText(Activation activation, string u) => ActivationCode.Of(activation).Text(u);
}
