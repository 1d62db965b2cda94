using Microsoft.CodeAnalysis;

namespace NetCompiler.Generator.Analysis;

/// <summary>Which NetCompiler attribute an attribute is.</summary>
internal enum NetworkAttributeKind
{
    None,
    Network,
    Input,
    Dense,
    Loss,
}

/// <summary>
/// The four attribute types of the runtime library, resolved once per compilation and compared by symbol, so that a
/// user's own type called DenseAttribute is not mistaken for ours.
/// </summary>
internal sealed class NetworkAttributeTypes
{
    public const string NetworkAttributeName = "NetCompiler.NetworkAttribute";
    public const string InputAttributeName = "NetCompiler.InputAttribute";
    public const string DenseAttributeName = "NetCompiler.DenseAttribute";
    public const string LossAttributeName = "NetCompiler.LossAttribute";

    private readonly INamedTypeSymbol _network;
    private readonly INamedTypeSymbol? _input, _dense, _loss;

    private NetworkAttributeTypes(INamedTypeSymbol network, INamedTypeSymbol? input, INamedTypeSymbol? dense, INamedTypeSymbol? loss)
    {
        _network = network;
        _input = input;
        _dense = dense;
        _loss = loss;
    }

    /// <summary>Resolves the attribute types, or returns null when the compilation does not reference NetCompiler.</summary>
    public static NetworkAttributeTypes? Create(Compilation compilation)
    {
        INamedTypeSymbol? network = compilation.GetTypeByMetadataName(NetworkAttributeName);
        if (network is null) return null;
        return new NetworkAttributeTypes(
            network,
            compilation.GetTypeByMetadataName(InputAttributeName),
            compilation.GetTypeByMetadataName(DenseAttributeName),
            compilation.GetTypeByMetadataName(LossAttributeName));
    }

    public NetworkAttributeKind Classify(INamedTypeSymbol? attributeClass)
    {
        if (attributeClass is null) return NetworkAttributeKind.None;
        if (SymbolEqualityComparer.Default.Equals(attributeClass, _network)) return NetworkAttributeKind.Network;
        if (SymbolEqualityComparer.Default.Equals(attributeClass, _dense)) return NetworkAttributeKind.Dense;
        if (SymbolEqualityComparer.Default.Equals(attributeClass, _input)) return NetworkAttributeKind.Input;
        if (SymbolEqualityComparer.Default.Equals(attributeClass, _loss)) return NetworkAttributeKind.Loss;
        return NetworkAttributeKind.None;
    }

    /// <summary>The attribute's name as a user writes it: "Dense" for DenseAttribute.</summary>
    public static string ShortName(NetworkAttributeKind kind) => kind.ToString();
}
