using System.Linq;
using Microsoft.CodeAnalysis;
using NetCompiler.Generator.Model;

namespace NetCompiler.Generator;

/// <summary>
/// Compiles every class marked [Network] into Vector256 forward, backward and update code specialised to its shapes.
/// This file holds only the pipeline; parsing is in NetworkGenerator.Parser.cs, emission under Emit/.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps, for the incremental caching tests.</summary>
    public static class TrackingNames
    {
        /// <summary>The parse of each [Network] class into a value model.</summary>
        public const string Parse = nameof(Parse);
        /// <summary>The models that are free of errors and get emitted.</summary>
        public const string Models = nameof(Models);
    }

    private const string NetworkAttributeName = "NetCompiler.NetworkAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // ForAttributeWithMetadataName looks only at syntax nodes that carry an attribute and, through the
        // compiler's index of attribute names, skips files without one: an edit elsewhere costs nothing here.
        // The transform turns symbols into a ParseResult of plain values, so later steps compare by value and an
        // edit that leaves the network's attributes unchanged stops here as Cached/Unchanged.
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (context, cancellationToken) => Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        // Diagnostics and models go to separate outputs, so a diagnostic-only change does not re-emit source.
        context.RegisterSourceOutput(
            results.Where(static r => r.Diagnostics.Count > 0).Select(static (r, _) => r.Diagnostics),
            static (context, diagnostics) =>
            {
                foreach (DiagnosticInfo info in diagnostics)
                    context.ReportDiagnostic(Diagnostics.Create(info));
            });

        IncrementalValuesProvider<NetworkModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(TrackingNames.Models);

        // The emitter is a pure function of the model; it runs only when a model changed.
        context.RegisterSourceOutput(models, static (context, model) =>
            context.AddSource(model.HintName, Emit.NetworkEmitter.Emit(model)));
    }
}
