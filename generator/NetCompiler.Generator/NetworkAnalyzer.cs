using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
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
        DiagnosticDescriptors.MemberCollision,
        DiagnosticDescriptors.InheritedMemberCollision,
        DiagnosticDescriptors.ClassNameCollision,
        DiagnosticDescriptors.TooManyParameters,
        DiagnosticDescriptors.LargeNetwork,
        DiagnosticDescriptors.NetworkCost);

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
        // The attributes are for classes only; on anything else they are already compiler error CS0592.
        if (type.TypeKind != TypeKind.Class) return;
        NetworkDeclaration? network = NetworkDeclaration.Read(type, types, context.CancellationToken);
        if (network is null)
            NetworkRules.AnalyzeAttributesWithoutNetwork(type, types, context.ReportDiagnostic, context.CancellationToken);
        else
            NetworkRules.Analyze(network, context.Compilation, context.ReportDiagnostic, context.CancellationToken);
    }
}
