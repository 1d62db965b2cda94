using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetCompiler.Generator.Analysis;
using NetCompiler.Generator.Model;

namespace NetCompiler.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>
    /// Reads one [Network] class into a <see cref="NetworkModel"/>, or into no model when any rule of
    /// <see cref="NetworkRules"/> finds an error: <see cref="NetworkAnalyzer"/> reports those rules to the user, and
    /// generating code for a broken network would only add a cascade of errors in code the user did not write.
    /// Never throws: an unexpected exception becomes a <see cref="GeneratorFailure"/>, reported as NC0900.
    /// </summary>
    private static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            NetworkModel? model = ParseCore(context, cancellationToken, out LocationInfo? weightsLocation);
            return new ParseResult(model, null, weightsLocation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new ParseResult(null, GeneratorFailure.From(context.TargetSymbol.Name, e));
        }
    }

    private static NetworkModel? ParseCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken, out LocationInfo? weightsLocation)
    {
        weightsLocation = null;
        if (context.TargetSymbol is not INamedTypeSymbol type) return null;
        Compilation compilation = context.SemanticModel.Compilation;
        NetworkAttributeTypes? types = NetworkAttributeTypes.Create(compilation);
        if (types is null) return null;
        NetworkDeclaration? network = NetworkDeclaration.Read(type, types, cancellationToken);
        if (network is null || network.Malformed) return null;

        bool hasError = false;
        NetworkRules.Analyze(network, compilation, diagnostic => hasError |= diagnostic.Severity == DiagnosticSeverity.Error, cancellationToken);
        if (hasError) return null;
        weightsLocation = LocationInfo.From(network.WeightsLocation ?? network.OnnxLocation);

        var containing = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containing.Insert(0, "partial " + Keyword(outer) + " " + Identifier(outer.Name));

        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null
            : type.ContainingNamespace.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        string hintName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "").Replace("@", "") + ".g.cs";
        return new NetworkModel(
            ns,
            Identifier(type.Name),
            containing.ToEquatableArray(),
            hintName,
            network.Precision,
            (network.InputShape?.ToArray() ?? new int[0]).ToEquatableArray(), // an ONNX network's comes from the model
            network.Layers.ConvertAll(LayerModel.Of).ToEquatableArray(),
            network.LossFunction,
            network.Output,
            network.Weights,
            network.Onnx);
    }

    /// <summary>The keyword(s) that declare <paramref name="type"/>, for the generated partial declaration around the network.</summary>
    private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
    {
        TypeKind.Interface => "interface",
        TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
        _ => type.IsRecord ? "record" : "class",
    };

    /// <summary>A name as C# source: keywords get an @ ("@event").</summary>
    private static string Identifier(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
