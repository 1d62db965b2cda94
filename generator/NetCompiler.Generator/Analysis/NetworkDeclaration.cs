using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetCompiler.Generator.Analysis;

/// <summary>
/// What the attributes of one [Network] class declare, read the same way for the analyzer and for the generator:
/// the attributes themselves (for locations) and the values they carry. Lives only while one symbol is analysed or
/// parsed; the generator turns it into a value model before it leaves the transform.
/// </summary>
internal sealed class NetworkDeclaration
{
    private NetworkDeclaration(INamedTypeSymbol type, AttributeData network)
    {
        Type = type;
        Network = network;
    }

    public INamedTypeSymbol Type { get; }

    /// <summary>The [Network] attribute.</summary>
    public AttributeData Network { get; }

    /// <summary>The declaration that carries [Network], or null when it is not C# class or record syntax.</summary>
    public TypeDeclarationSyntax? Syntax { get; private set; }

    public AttributeData? Input { get; private set; }

    /// <summary>The [Dense] attributes in the order the compiler gives them (source order within one declaration).</summary>
    public List<AttributeData> Dense { get; } = new();

    public AttributeData? Loss { get; private set; }

    /// <summary>
    /// True when an attribute has a compile error (wrong arguments, or an extra [Network], [Input] or [Loss], which is
    /// CS0579): the compiler reports it, so the analyzer adds nothing and the generator emits nothing.
    /// </summary>
    public bool Malformed { get; private set; }

    public Precision Precision { get; private set; } = Precision.Single;

    /// <summary>n_0, or null without [Input].</summary>
    public int? InputSize { get; private set; }

    public List<DenseLayer> Layers { get; } = new();

    public LossFunction? LossFunction { get; private set; }

    /// <summary>Reads the [Network] class <paramref name="type"/>, or returns null when it has no [Network] attribute.</summary>
    public static NetworkDeclaration? Read(INamedTypeSymbol type, NetworkAttributeTypes types, CancellationToken cancellationToken)
    {
        NetworkDeclaration? declaration = null;
        int networks = 0;
        ImmutableArray<AttributeData> attributes = type.GetAttributes();
        foreach (AttributeData attribute in attributes)
        {
            if (types.Classify(attribute.AttributeClass) != NetworkAttributeKind.Network) continue;
            networks++;
            declaration ??= new NetworkDeclaration(type, attribute);
        }
        if (declaration is null) return null;
        if (networks > 1) declaration.Malformed = true;

        declaration.Syntax = (declaration.Network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)
            ?.Parent?.Parent as TypeDeclarationSyntax;
        declaration.ReadNetwork(cancellationToken);
        foreach (AttributeData attribute in attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            NetworkAttributeKind kind = types.Classify(attribute.AttributeClass);
            if (kind is NetworkAttributeKind.None or NetworkAttributeKind.Network) continue;
            ImmutableArray<TypedConstant> args = attribute.ConstructorArguments;
            if (attribute.AttributeConstructor is null)
            {
                declaration.Malformed = true;
                continue;
            }
            switch (kind)
            {
                case NetworkAttributeKind.Input when args.Length == 1 && args[0].Kind == TypedConstantKind.Array
                        && args[0].Values.Length == 1 && args[0].Values[0].Value is int size:
                    if (declaration.Input is not null) declaration.Malformed = true;
                    declaration.Input ??= attribute;
                    declaration.InputSize ??= size;
                    break;
                case NetworkAttributeKind.Dense when args.Length == 2 && args[0].Value is int units && args[1].Kind == TypedConstantKind.Enum && args[1].Value is int activation:
                    declaration.Dense.Add(attribute);
                    declaration.Layers.Add(new DenseLayer(units, (Activation)activation));
                    break;
                case NetworkAttributeKind.Loss when args.Length == 1 && args[0].Kind == TypedConstantKind.Enum && args[0].Value is int function:
                    if (declaration.Loss is not null) declaration.Malformed = true;
                    declaration.Loss ??= attribute;
                    declaration.LossFunction ??= (LossFunction)function;
                    break;
                default:
                    declaration.Malformed = true;
                    break;
            }
        }
        return declaration;
    }

    private void ReadNetwork(CancellationToken cancellationToken)
    {
        if (Network.AttributeConstructor is null)
        {
            Malformed = true;
            return;
        }
        // A named argument with a compile error (Precision = 1) is left out of NamedArguments rather than marked.
        if (Network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } arguments }
            && arguments.Arguments.Count(a => a.NameEquals is not null) != Network.NamedArguments.Length)
            Malformed = true;
        foreach (KeyValuePair<string, TypedConstant> named in Network.NamedArguments)
        {
            if (named.Key == "Precision" && named.Value.Kind == TypedConstantKind.Enum && named.Value.Value is int precision)
                Precision = (Precision)precision;
            else
                Malformed = true;
        }
    }
}
