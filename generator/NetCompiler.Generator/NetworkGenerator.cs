using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetCompiler.Generator.Analysis;
using NetCompiler.Generator.Diagnostics;
using NetCompiler.Generator.Model;

namespace NetCompiler.Generator;

/// <summary>
/// Compiles every class marked [Network] into Vector256 forward, backward and update code specialised to its shapes.
/// This file holds only the pipeline: parse (NetworkGenerator.Parser.cs) → model (Model/) → rules (Analysis/, reported
/// by <see cref="NetworkAnalyzer"/>: for a network with an error this emits nothing) → plan (Plan/) → emit (Emit/).
/// docs/architecture.md shows the stages and their files.
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
        /// <summary>The project's options (MSBuild properties) for the generated code.</summary>
        public const string Options = nameof(Options);
        /// <summary>Each model with the AdditionalFiles item its [Network(Weights = …)] or [Network(Onnx = …)] names (paths only: nothing is read).</summary>
        public const string WeightsFile = nameof(WeightsFile);
        /// <summary>Each model with its weights read and checked, or its ONNX model imported (re-run only when the model or that file changed).</summary>
        public const string Weights = nameof(Weights);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // ForAttributeWithMetadataName looks only at syntax nodes that carry an attribute and, through the
        // compiler's index of attribute names, skips files without one: an edit elsewhere costs nothing here.
        // The transform turns symbols into a ParseResult of plain values, so later steps compare by value and an
        // edit that leaves the network's attributes unchanged stops here as Cached/Unchanged. (So a rule that
        // depends on another file, such as a colliding member in another partial declaration, is seen by the
        // generator when the network's own file changes or on the next full build; the analyzer sees it at once.)
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkAttributeTypes.NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (context, cancellationToken) => Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        // A failure of the generator itself is the only diagnostic reported here (NC0900): a bug in NetCompiler,
        // said plainly rather than left as missing code.
        context.RegisterSourceOutput(
            results.Where(static r => r.Failure is not null).Select(static (r, _) => r.Failure!),
            static (context, failure) => context.ReportDiagnostic(
                Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, failure.Network, failure.Error)));

        IncrementalValuesProvider<NetworkModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(TrackingNames.Models);

        // The options are one small value record compared by value: editing a source file leaves it unchanged, so
        // combining it with each model re-emits nothing; changing the property re-emits every network.
        IncrementalValueProvider<GeneratorOptions> options = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => GeneratorOptions.From(provider.GlobalOptions))
            .WithTrackingName(TrackingNames.Options);

        // [Network(Weights = …)] or [Network(Onnx = …)]: find the file among the AdditionalFiles items (by path, reading
        // nothing), then read and check it (an ONNX model is imported: CompiledOnnx gives the model its layers). An AdditionalText compares by reference and the host makes a new one only for a changed file,
        // so an edit elsewhere, or to another network's file, leaves this step Cached and the file unread.
        IncrementalValueProvider<(ImmutableArray<AdditionalText> Files, string? ProjectDirectory)> additionalFiles = context.AdditionalTextsProvider
            .Collect()
            .Combine(context.AnalyzerConfigOptionsProvider.Select(static (provider, _) =>
                provider.GlobalOptions.TryGetValue("build_property.ProjectDir", out string? directory) ? directory : null));
        IncrementalValuesProvider<NetworkInput> inputs = models
            .Combine(additionalFiles)
            .Select(static (input, _) => (Model: input.Left,
                File: (input.Left.Weights ?? input.Left.Onnx) is { } path ? CompiledWeights.Find(path, input.Right.ProjectDirectory, input.Right.Files) : null))
            .WithTrackingName(TrackingNames.WeightsFile)
            .Select(static (source, cancellationToken) =>
                source.Model.Onnx is not null ? CompiledOnnx.Read(source.Model, source.File, cancellationToken)
                : new NetworkInput(source.Model, source.Model.Weights is null ? null : CompiledWeights.Read(source.Model, source.File, cancellationToken)))
            .WithTrackingName(TrackingNames.Weights);

        // A weights file that does not fit: one diagnostic per problem on the Weights argument, and no code.
        IncrementalValueProvider<ImmutableArray<(string HintName, LocationInfo? Location)>> weightsLocations = results
            .Where(static r => r.Model?.Weights is not null || r.Model?.Onnx is not null)
            .Select(static (r, _) => (r.Model!.HintName, r.WeightsLocation))
            .Collect();
        context.RegisterSourceOutput(
            inputs.Where(static i => i.Weights is { Problems.Count: > 0 }).Combine(weightsLocations),
            static (context, input) =>
            {
                LocationInfo? where = null;
                foreach ((string hintName, LocationInfo? location) in input.Right)
                    if (hintName == input.Left.Model.HintName) where = location;
                foreach (WeightsProblem problem in input.Left.Weights!.Problems)
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.WeightsDescriptor(problem.Id),
                        where?.ToLocation() ?? Location.None, problem.Arguments.ToArray<object>()));
            });

        // Plan, then emit: a pure function of the model, its weights and the options, run only when one of them
        // changed. The planner (Plan/Planner.cs) picks every layer's kernels; the emitters (Emit/) write what the plan names.
        context.RegisterSourceOutput(inputs.Where(static i => i.Weights is not { Problems.Count: > 0 }).Combine(options), static (context, input) =>
        {
            ((NetworkModel model, CompiledWeights? weights), GeneratorOptions options) = input;
            try
            {
                NetworkTopology topology = model.ToTopology();
                Plan.NetworkPlan plan = Plan.Planner.Plan(topology);
                context.AddSource(model.HintName, Emit.NetworkEmitter.Emit(model, topology, plan, options, weights));
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
            {
                GeneratorFailure failure = GeneratorFailure.From(model.ClassName, e);
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, Location.None, failure.Network, failure.Error));
            }
        });
    }
}
