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

    /// <summary>
    /// The layer attributes ([Dense], [Conv2D], [Add], …) in the order the compiler gives them (source order within
    /// one declaration); <see cref="Layers"/> holds what each declares at the same index.
    /// </summary>
    public List<AttributeData> LayerAttributes { get; } = new();

    /// <summary>The kind of each of <see cref="LayerAttributes"/>.</summary>
    public List<NetworkAttributeKind> LayerKinds { get; } = new();

    public AttributeData? Loss { get; private set; }

    /// <summary>
    /// True when an attribute has a compile error (wrong arguments, or an extra [Network], [Input] or [Loss], which is
    /// CS0579): the compiler reports it, so the analyzer adds nothing and the generator emits nothing.
    /// </summary>
    public bool Malformed { get; private set; }

    public Precision Precision { get; private set; } = Precision.Single;

    /// <summary>The input shape, or null without [Input].</summary>
    public TensorShape? InputShape { get; private set; }

    /// <summary>The layers as the runtime describes them, in declaration order.</summary>
    public List<LayerSpec> Layers { get; } = new();

    /// <summary>The name given by [Network(Output = …)], or null.</summary>
    public string? Output { get; private set; }

    /// <summary>The weights file given by [Network(Weights = …)], or null.</summary>
    public string? Weights { get; private set; }

    /// <summary>Where the Weights argument's value is written, for the diagnostics about the file; null without one.</summary>
    public Location? WeightsLocation { get; private set; }

    /// <summary>The ONNX model given by [Network(Onnx = …)], or null.</summary>
    public string? Onnx { get; private set; }

    /// <summary>Where the Onnx argument's value is written, for the diagnostics about the model; null without one.</summary>
    public Location? OnnxLocation { get; private set; }

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
                case NetworkAttributeKind.Input when args.Length == 1 && args[0].Kind == TypedConstantKind.Array:
                    if (declaration.Input is not null) declaration.Malformed = true;
                    declaration.Input ??= attribute;
                    // [Input(null)] passes no array at all: no dimensions, which the topology's rank rule reports.
                    declaration.InputShape ??= new TensorShape(args[0].IsNull ? new int[0] : args[0].Values.Select(v => v.Value is int d ? d : 0).ToArray());
                    break;
                case var layerKind when NetworkAttributeTypes.IsLayer(layerKind):
                    LayerSpec? layer = ReadLayer(layerKind, attribute, cancellationToken);
                    if (layer is null)
                    {
                        declaration.Malformed = true;
                        break;
                    }
                    declaration.LayerAttributes.Add(attribute);
                    declaration.LayerKinds.Add(layerKind);
                    declaration.Layers.Add(layer);
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
            else if (named.Key == "Output" && named.Value.Kind == TypedConstantKind.Primitive && (named.Value.Value is string || named.Value.IsNull))
                Output = named.Value.Value as string;
            else if (named.Key == "Weights" && named.Value.Kind == TypedConstantKind.Primitive && (named.Value.Value is string || named.Value.IsNull))
            {
                Weights = named.Value.Value as string;
                WeightsLocation = ArgumentLocation("Weights", cancellationToken);
            }
            else if (named.Key == "Onnx" && named.Value.Kind == TypedConstantKind.Primitive && (named.Value.Value is string || named.Value.IsNull))
            {
                Onnx = named.Value.Value as string;
                OnnxLocation = ArgumentLocation("Onnx", cancellationToken);
            }
            else
                Malformed = true;
        }
    }

    /// <summary>Where the value of the [Network] argument <paramref name="name"/> is written, or null.</summary>
    public Location? ArgumentLocation(string name, CancellationToken cancellationToken) =>
        (Network.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments
            .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.Expression.GetLocation();

    /// <summary>
    /// What one layer attribute declares, or null when its arguments do not have the expected form (a compile error the
    /// compiler reports). Named arguments with compile errors are missing from NamedArguments: counted against the syntax.
    /// </summary>
    private static LayerSpec? ReadLayer(NetworkAttributeKind kind, AttributeData attribute, CancellationToken cancellationToken)
    {
        ImmutableArray<TypedConstant> args = attribute.ConstructorArguments;
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } arguments }
            && arguments.Arguments.Count(a => a.NameEquals is not null) != attribute.NamedArguments.Length)
            return null;

        static int? Int(TypedConstant c) => c.Value is int i ? i : null;
        static Activation? Act(TypedConstant c) => c.Kind == TypedConstantKind.Enum && c.Value is int a ? (Activation)a : null;

        LayerSpec? spec;
        switch (kind)
        {
            case NetworkAttributeKind.Dense when args.Length == 2 && Int(args[0]) is int units && Act(args[1]) is Activation activation:
                spec = new DenseLayer(units, activation);
                break;
            case NetworkAttributeKind.Conv1D or NetworkAttributeKind.Conv2D
                when args.Length == 3 && Int(args[0]) is int filters && Int(args[1]) is int kernel && Act(args[2]) is Activation activation:
                spec = new ConvLayer(kind == NetworkAttributeKind.Conv1D ? 1 : 2, filters, kernel, activation);
                break;
            case NetworkAttributeKind.AvgPool or NetworkAttributeKind.MaxPool when args.Length == 1 && Int(args[0]) is int size:
            {
                Activation activation = Activation.Identity;
                bool trainable = false;
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (named.Key == "Activation" && Act(named.Value) is Activation a) activation = a;
                    else if (named.Key == "Trainable" && named.Value.Value is bool t) trainable = t;
                }
                spec = new PoolLayer(kind == NetworkAttributeKind.AvgPool ? LayerKind.AvgPool : LayerKind.MaxPool, size, activation, trainable);
                break;
            }
            case NetworkAttributeKind.Add or NetworkAttributeKind.Concat when args.Length == 0:
            {
                Activation activation = Activation.Identity;
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                    if (named.Key == "Activation" && Act(named.Value) is Activation a) activation = a;
                spec = new JoinLayer(kind == NetworkAttributeKind.Add ? LayerKind.Add : LayerKind.Concat, null!, activation);
                break;
            }
            default:
                return null;
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            TypedConstant value = named.Value;
            switch (named.Key)
            {
                case "Name":
                    spec.Name = value.Value as string;
                    break;
                case "From":
                    spec.From = Strings(value);
                    break;
                case "Stride" when value.Value is int stride:
                    if (spec is ConvLayer convStride) convStride.Stride = stride;
                    else if (spec is PoolLayer pool) pool.Stride = stride;
                    break;
                case "Padding" when value.Value is int padding && spec is ConvLayer convPadding:
                    convPadding.Padding = padding;
                    break;
                case "Connections" when spec is ConvLayer convTable:
                    convTable.Connections = Strings(value);
                    break;
                case "Activation" or "Trainable":
                    break; // read above
                default:
                    return null;
            }
        }
        return spec;
    }

    /// <summary>A string[] argument; null entries stay null (the topology reports them), a null array is null.</summary>
    private static string[]? Strings(TypedConstant value) =>
        value.IsNull || value.Kind != TypedConstantKind.Array ? null : value.Values.Select(v => (v.Value as string)!).ToArray();
}
