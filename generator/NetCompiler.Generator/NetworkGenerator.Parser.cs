using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetCompiler.Generator.Model;

namespace NetCompiler.Generator;

public sealed partial class NetworkGenerator
{
    private const string InputAttributeName = "NetCompiler.InputAttribute";
    private const string DenseAttributeName = "NetCompiler.DenseAttribute";
    private const string LossAttributeName = "NetCompiler.LossAttribute";

    /// <summary>
    /// Reads the attributes of one [Network] class into a <see cref="NetworkModel"/>, validated with the same rules
    /// as <see cref="NetworkTopology"/> at run time. Never throws on user input: every problem becomes a diagnostic.
    /// </summary>
    private static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        AttributeData networkAttribute = context.Attributes[0];
        Location? networkLocation = networkAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
                                    ?? syntax.Identifier.GetLocation();
        var diagnostics = new List<DiagnosticInfo>();

        // The generated half must be able to join the user's half.
        string? shapeProblem = CheckTypeShape(type, syntax);
        if (shapeProblem is not null)
            return Failed(Diagnostics.Info(Diagnostics.UnsupportedTypeId, shapeProblem, networkLocation));

        var precision = Precision.Single;
        foreach (KeyValuePair<string, TypedConstant> named in networkAttribute.NamedArguments)
            if (named.Key == "Precision" && named.Value.Value is int p)
                precision = (Precision)p;

        int? inputSize = null;
        var layers = new List<DenseLayer>();
        LossFunction? loss = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = attribute.AttributeClass?.ToDisplayString();
            ImmutableArray<TypedConstant> args = attribute.ConstructorArguments;
            Location? location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();
            switch (name)
            {
                case InputAttributeName when args.Length == 1 && args[0].Value is int size:
                    if (inputSize is not null)
                        diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidTopologyId, "A network has exactly one [Input]; remove the extra one.", location));
                    inputSize = size;
                    break;
                case DenseAttributeName when args.Length == 2 && args[0].Value is int units && args[1].Value is int activation:
                    layers.Add(new DenseLayer(units, (Activation)activation));
                    break;
                case LossAttributeName when args.Length == 1 && args[0].Value is int function:
                    loss = (LossFunction)function;
                    break;
            }
        }

        if (inputSize is null)
            diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidTopologyId, $"Network '{type.Name}' has no [Input(size)] attribute.", networkLocation));
        else
            foreach (string error in NetworkTopology.Validate(inputSize.Value, layers, loss, precision))
                diagnostics.Add(Diagnostics.Info(Diagnostics.InvalidTopologyId, $"Network '{type.Name}': {error}", networkLocation));

        if (diagnostics.Count > 0)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var containing = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containing.Insert(0, "partial " + (outer.IsRecord ? "record " : "") + (outer.TypeKind == TypeKind.Struct ? "struct " : outer.IsRecord ? "" : "class ") + outer.Name);

        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        string hintName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "").Replace('<', '[').Replace('>', ']') + ".g.cs";
        var model = new NetworkModel(
            ns,
            type.Name,
            containing.ToEquatableArray(),
            hintName,
            precision,
            inputSize!.Value,
            layers.ConvertAll(l => new LayerModel(l.Units, l.Activation)).ToEquatableArray(),
            loss);
        return new ParseResult(model, default);

        static ParseResult Failed(DiagnosticInfo info) => new(null, ImmutableArray.Create(info).ToEquatableArray());
    }

    private static string? CheckTypeShape(INamedTypeSymbol type, ClassDeclarationSyntax syntax)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            return $"Class '{type.Name}' must be declared partial so that NetCompiler can generate the rest of it.";
        if (type.IsGenericType)
            return $"Class '{type.Name}' is generic; a network class cannot have type parameters.";
        if (type.IsStatic)
            return $"Class '{type.Name}' is static; a network class holds parameters and cannot be static.";
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
                return $"Class '{type.Name}' is nested in generic type '{outer.Name}'; declare it outside.";
            foreach (SyntaxReference reference in outer.DeclaringSyntaxReferences)
                if (reference.GetSyntax() is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                    return $"Class '{type.Name}' is nested in '{outer.Name}', which must be declared partial too.";
        }
        return null;
    }
}
