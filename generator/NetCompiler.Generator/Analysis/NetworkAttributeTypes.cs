using Microsoft.CodeAnalysis;

namespace NetCompiler.Generator.Analysis;

/// <summary>Which NetCompiler attribute an attribute is.</summary>
internal enum NetworkAttributeKind
{
    None,
    Network,
    Input,
    Loss,
    Dense,
    Conv1D,
    Conv2D,
    AvgPool,
    MaxPool,
    Add,
    Concat,
}

/// <summary>
/// The attribute types of the runtime library, resolved once per compilation and compared by symbol, so that a
/// user's own type called DenseAttribute is not mistaken for ours.
/// </summary>
internal sealed class NetworkAttributeTypes
{
    public const string NetworkAttributeName = "NetCompiler.NetworkAttribute";
    public const string InputAttributeName = "NetCompiler.InputAttribute";
    public const string DenseAttributeName = "NetCompiler.DenseAttribute";
    public const string LossAttributeName = "NetCompiler.LossAttribute";

    private static readonly (NetworkAttributeKind Kind, string Name)[] Others =
    {
        (NetworkAttributeKind.Input, InputAttributeName),
        (NetworkAttributeKind.Loss, LossAttributeName),
        (NetworkAttributeKind.Dense, DenseAttributeName),
        (NetworkAttributeKind.Conv1D, "NetCompiler.Conv1DAttribute"),
        (NetworkAttributeKind.Conv2D, "NetCompiler.Conv2DAttribute"),
        (NetworkAttributeKind.AvgPool, "NetCompiler.AvgPoolAttribute"),
        (NetworkAttributeKind.MaxPool, "NetCompiler.MaxPoolAttribute"),
        (NetworkAttributeKind.Add, "NetCompiler.AddAttribute"),
        (NetworkAttributeKind.Concat, "NetCompiler.ConcatAttribute"),
    };

    private readonly INamedTypeSymbol _network;
    private readonly INamedTypeSymbol?[] _others;

    private NetworkAttributeTypes(INamedTypeSymbol network, INamedTypeSymbol?[] others)
    {
        _network = network;
        _others = others;
    }

    /// <summary>Resolves the attribute types, or returns null when the compilation does not reference NetCompiler.</summary>
    public static NetworkAttributeTypes? Create(Compilation compilation)
    {
        INamedTypeSymbol? network = compilation.GetTypeByMetadataName(NetworkAttributeName);
        if (network is null) return null;
        var others = new INamedTypeSymbol?[Others.Length];
        for (int i = 0; i < others.Length; i++) others[i] = compilation.GetTypeByMetadataName(Others[i].Name);
        return new NetworkAttributeTypes(network, others);
    }

    public NetworkAttributeKind Classify(INamedTypeSymbol? attributeClass)
    {
        if (attributeClass is null) return NetworkAttributeKind.None;
        if (SymbolEqualityComparer.Default.Equals(attributeClass, _network)) return NetworkAttributeKind.Network;
        for (int i = 0; i < _others.Length; i++)
            if (SymbolEqualityComparer.Default.Equals(attributeClass, _others[i])) return Others[i].Kind;
        return NetworkAttributeKind.None;
    }

    /// <summary>True for the attributes that declare a layer.</summary>
    public static bool IsLayer(NetworkAttributeKind kind) => kind >= NetworkAttributeKind.Dense;

    /// <summary>The attribute's name as a user writes it: "Dense" for DenseAttribute.</summary>
    public static string ShortName(NetworkAttributeKind kind) => kind.ToString();
}
