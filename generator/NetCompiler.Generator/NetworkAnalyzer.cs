using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using NetCompiler.Generator.Analysis;
using NetCompiler.Generator.Diagnostics;

namespace NetCompiler.Generator;

/// <summary>
/// Reports every mistake in a [Network] class on the user's own attribute, argument or identifier, with the numbers
/// involved. The rules are in <see cref="NetworkRules"/>, which the generator also runs so that it emits nothing where
/// this reports an error; the topology rules are the runtime's own (<see cref="NetworkTopology.Check"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NotPartial,
        DiagnosticDescriptors.ContainingTypeNotPartial,
        DiagnosticDescriptors.Generic,
        DiagnosticDescriptors.NestedInGeneric,
        DiagnosticDescriptors.Static,
        DiagnosticDescriptors.UnsupportedTypeKind,
        DiagnosticDescriptors.MissingInput,
        DiagnosticDescriptors.InputSizeNotPositive,
        DiagnosticDescriptors.NoLayers,
        DiagnosticDescriptors.UnitsNotPositive,
        DiagnosticDescriptors.UndefinedEnumValue,
        DiagnosticDescriptors.SoftmaxNotOnOutput,
        DiagnosticDescriptors.CrossEntropyWithoutSoftmax,
        DiagnosticDescriptors.SoftmaxWithSquaredError,
        DiagnosticDescriptors.InferenceOnly,
        DiagnosticDescriptors.AttributesSplit,
        DiagnosticDescriptors.AttributeWithoutNetwork,
        DiagnosticDescriptors.InvalidTopology,
        DiagnosticDescriptors.MemberCollision,
        DiagnosticDescriptors.InheritedMemberCollision,
        DiagnosticDescriptors.ConstructorCollision,
        DiagnosticDescriptors.ConstructorWithoutWeights,
        DiagnosticDescriptors.OnnxWithDeclaredLayers,
        DiagnosticDescriptors.ClassNameCollision,
        DiagnosticDescriptors.TooManyParameters,
        DiagnosticDescriptors.LargeNetwork,
        DiagnosticDescriptors.LayerTooLarge,
        DiagnosticDescriptors.NetworkCost,
        DiagnosticDescriptors.UnknownSource,
        DiagnosticDescriptors.DuplicateName,
        DiagnosticDescriptors.ReservedName,
        DiagnosticDescriptors.DuplicateSource,
        DiagnosticDescriptors.Cycle,
        DiagnosticDescriptors.UnusedLayer,
        DiagnosticDescriptors.UnknownOutput,
        DiagnosticDescriptors.WrongSourceCount,
        DiagnosticDescriptors.InputShapeUnsupported,
        DiagnosticDescriptors.WrongSourceRank,
        DiagnosticDescriptors.AddShapeMismatch,
        DiagnosticDescriptors.ConcatShapeMismatch,
        DiagnosticDescriptors.KernelTooLarge,
        DiagnosticDescriptors.StrideDoesNotTile,
        DiagnosticDescriptors.ImplicitFlatten,
        DiagnosticDescriptors.KernelNotPositive,
        DiagnosticDescriptors.StrideNotPositive,
        DiagnosticDescriptors.PaddingNegative,
        DiagnosticDescriptors.PoolSizeNotPositive,
        DiagnosticDescriptors.ConnectionTableShape,
        DiagnosticDescriptors.ConnectionTableEntry,
        DiagnosticDescriptors.ConnectionTableEmptyFilter);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        // The generated half of a network is ours and correct by construction; only the user's code is analysed.
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            // Resolved once per compilation; a compilation that does not reference NetCompiler costs nothing more.
            NetworkAttributeTypes? types = NetworkAttributeTypes.Create(start.Compilation);
            if (types is null) return;
            start.RegisterSymbolAction(context => AnalyzeType(context, types), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, NetworkAttributeTypes types)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        ReportEnclosingTypeNotPartial(type, types, context);
        // The attributes are for classes only; on anything else they are already compiler error CS0592.
        if (type.TypeKind != TypeKind.Class) return;
        NetworkDeclaration? network = NetworkDeclaration.Read(type, types, context.CancellationToken);
        if (network is null)
        {
            NetworkRules.AnalyzeAttributesWithoutNetwork(type, types, context.ReportDiagnostic, context.CancellationToken);
            return;
        }
        // NC0002 lies in an enclosing type's declaration: it is reported while analysing that type (below).
        NetworkRules.Analyze(network, context.Compilation, diagnostic =>
        {
            if (diagnostic.Id != DiagnosticDescriptors.ContainingTypeNotPartialId) context.ReportDiagnostic(diagnostic);
        }, context.CancellationToken, declaration => ImportedTopology(declaration, context.Options, context.CancellationToken));
    }

    /// <summary>
    /// The topology of a [Network(Onnx = …)] class's model, for the member and constructor rules, or null when the
    /// model cannot be imported (the generator reports why: NC0090–NC0098). One import per model file and loss: the
    /// host gives a new AdditionalText only for a changed file.
    /// </summary>
    private static NetworkTopology? ImportedTopology(NetworkDeclaration network, AnalyzerOptions options, System.Threading.CancellationToken cancellationToken)
    {
        options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property.ProjectDir", out string? projectDirectory);
        AdditionalText? file = Model.CompiledWeights.Find(network.Onnx!, projectDirectory, options.AdditionalFiles);
        if (file is null) return null;
        var imports = Imports.GetValue(file, static _ => new System.Collections.Concurrent.ConcurrentDictionary<string, NetworkTopology?>());
        return imports.GetOrAdd(network.LossFunction + "/" + network.Precision, _ =>
        {
            byte[]? bytes = Model.CompiledWeights.ReadFile(file, out string? _);
            if (bytes is null) return null;
            // A model that imports has passed NetworkTopology's rules for this loss and precision.
            Onnx.OnnxImport import = Onnx.OnnxImporter.Import(file.Path, bytes, network.LossFunction, network.Precision, cancellationToken);
            return import.Theta is null || import.InputShape is null ? null
                : new NetworkTopology(import.InputShape, import.Layers, network.LossFunction, network.Precision, import.Output);
        });
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AdditionalText, System.Collections.Concurrent.ConcurrentDictionary<string, NetworkTopology?>> Imports = new();

    /// <summary>
    /// NC0002 on <paramref name="type"/> when it encloses a [Network] class but is not partial. Reported from the
    /// enclosing type's own analysis so that the diagnostic is local to the declaration it asks to change, which is
    /// what lets the "make partial" code fix (and the IDE's per-document analysis) act on it.
    /// </summary>
    private static void ReportEnclosingTypeNotPartial(INamedTypeSymbol type, NetworkAttributeTypes types, SymbolAnalysisContext context)
    {
        INamedTypeSymbol? network = FirstNestedNetwork(type, types);
        if (network is null) return;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ContainingTypeNotPartial, declaration.Identifier.GetLocation(), network.Name, type.Name));
                return;
            }
        }
    }

    private static INamedTypeSymbol? FirstNestedNetwork(INamedTypeSymbol type, NetworkAttributeTypes types)
    {
        foreach (INamedTypeSymbol nested in type.GetTypeMembers())
        {
            foreach (AttributeData attribute in nested.GetAttributes())
                if (types.Classify(attribute.AttributeClass) == NetworkAttributeKind.Network) return nested;
            if (FirstNestedNetwork(nested, types) is { } deeper) return deeper;
        }
        return null;
    }
}
