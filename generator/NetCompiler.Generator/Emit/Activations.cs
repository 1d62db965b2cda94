// The activation functions f as generated code writes them: one table, an entry per Activation, holding f's text for
// comments, f' as the comments state it, and the vector code of x = f(u) and of û = f'(u)·x̂ at either vector width
// and element type. Every kernel that applies f or f' takes its code from here (through the few members below that
// bind the network's element type), so a form is written once and a new activation is one entry.

namespace NetCompiler.Generator.Emit;

/// <summary>The code of one activation function f: its text for comments and its vector forms.</summary>
internal sealed class ActivationCode
{
    private const string VectorMath = "Nc::VectorMath";

    /// <summary>The table: one entry per <see cref="Activation"/>.</summary>
    private static readonly ActivationCode[] Table =
    {
        new(Activation.Identity, u => u, "f'(u) = 1",
            forward: (vec, t, u) => u,
            derivativeTimes: (vec, t, x, hat) => hat),
        new(Activation.Sigmoid, u => "σ(" + u + ")", "f'(u) = x·(1 − x)",
            forward: (vec, t, u) => vec.Wide ? null : VectorMath + ".Sigmoid(" + u + ")",
            derivativeTimes: (vec, t, x, hat) => hat + " * (" + x + " * (" + vec.Type + ".One - " + x + "))"),
        new(Activation.Tanh, u => "tanh(" + u + ")", "f'(u) = 1 − x²",
            forward: (vec, t, u) => vec.Wide && t.Name != "float" ? null : VectorMath + ".Tanh(" + u + ")",
            derivativeTimes: (vec, t, x, hat) => hat + " * (" + vec.Type + ".One - " + x + " * " + x + ")"),
        new(Activation.ReLU, u => "max(0, " + u + ")", "f'(u) = 1 where x > 0, else 0",
            forward: (vec, t, u) => vec.Class + ".Max(" + u + ", " + vec.Type + ".Zero)",
            derivativeTimes: (vec, t, x, hat) => hat + " & " + Positive(vec, x)),
        new(Activation.LeakyReLU, u => "leaky_relu(" + u + ")", "f'(u) = 1 where x > 0, else " + NetworkTopology.LeakyReLUSlope.ToString(CultureInfo.InvariantCulture),
            forward: (vec, t, u) => Leaky(vec, t, u, u),
            derivativeTimes: (vec, t, x, hat) => Leaky(vec, t, x, hat)),
        new(Activation.Softmax, u => "softmax(" + u + ")", derivativeText: null, forward: null, derivativeTimes: null),
    };

    private static readonly Dictionary<Activation, ActivationCode> ByActivation = Table.ToDictionary(entry => entry.Activation);

    private readonly Func<string, string> _text;
    private readonly Func<VectorWidth, ElementType, string, string?>? _forward;
    private readonly Func<VectorWidth, ElementType, string, string, string>? _derivativeTimes;

    private ActivationCode(Activation activation, Func<string, string> text, string? derivativeText,
        Func<VectorWidth, ElementType, string, string?>? forward, Func<VectorWidth, ElementType, string, string, string>? derivativeTimes)
    {
        Activation = activation;
        _text = text;
        DerivativeText = derivativeText;
        _forward = forward;
        _derivativeTimes = derivativeTimes;
    }

    /// <summary>The entry of <paramref name="activation"/> (the analyzer has rejected any value not in the enum).</summary>
    public static ActivationCode Of(Activation activation) => ByActivation[activation];

    public Activation Activation { get; }

    /// <summary>f(<paramref name="u"/>) in the lecture's notation, for comments: "σ(u)", "max(0, u)"; the identity: u.</summary>
    public string Text(string u) => _text(u);

    /// <summary>
    /// f' in terms of x = f(u), as the comments state it: "f'(u) = x·(1 − x)". Null for the softmax, whose
    /// Jacobian is no element-wise factor (its û comes from the loss).
    /// </summary>
    public string? DerivativeText { get; }

    /// <summary>
    /// x = f(u) for the vector expression <paramref name="u"/> of <paramref name="vec"/>'s width and element type
    /// <paramref name="t"/>; null where VectorMath has no form at that width (sigmoid in Vector512, tanh in double
    /// Vector512) and for the softmax, which is not element-wise. <paramref name="u"/> may be written more than
    /// once (leaky ReLU), so it should be a local.
    /// </summary>
    public string? Forward(VectorWidth vec, ElementType t, string u) => _forward?.Invoke(vec, t, u);

    /// <summary>
    /// û = f'(u)·x̂ from <paramref name="x"/> = f(u) and <paramref name="hat"/> = x̂, vector expressions of
    /// <paramref name="vec"/>'s width; null for the softmax. Either may be written more than once.
    /// </summary>
    public string? DerivativeTimes(VectorWidth vec, ElementType t, string x, string hat) => _derivativeTimes?.Invoke(vec, t, x, hat);

    /// <summary>The lanes where <paramref name="x"/> &gt; 0, as an all-ones mask.</summary>
    private static string Positive(VectorWidth vec, string x) => vec.Class + ".GreaterThan(" + x + ", " + vec.Type + ".Zero)";

    /// <summary><paramref name="value"/> where <paramref name="x"/> &gt; 0, else <paramref name="value"/> times the leaky ReLU's slope.</summary>
    private static string Leaky(VectorWidth vec, ElementType t, string x, string value) =>
        vec.Class + ".ConditionalSelect(" + Positive(vec, x) + ", " + value + ", " + value + " * " + t.Literal(NetworkTopology.LeakyReLUSlope) + ")";
}
