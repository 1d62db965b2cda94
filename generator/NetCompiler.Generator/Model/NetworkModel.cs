using Microsoft.CodeAnalysis.Text;

namespace NetCompiler.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network class, as plain values: no symbols, syntax nodes or locations,
/// so the model compares by value, caches across edits and roots no compilation.
/// </summary>
/// <param name="Namespace">The class's namespace, or null for the global namespace.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first, for example "partial class Outer".</param>
/// <param name="HintName">A unique, stable file name for the generated source.</param>
/// <param name="Precision">The element type of the generated code.</param>
/// <param name="InputSize">n_0.</param>
/// <param name="Layers">The dense layers in declaration order.</param>
/// <param name="Loss">The loss, or null for an inference-only network.</param>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    EquatableArray<string> ContainingTypes,
    string HintName,
    Precision Precision,
    int InputSize,
    EquatableArray<LayerModel> Layers,
    LossFunction? Loss);

/// <summary>One [Dense] attribute: n_l outputs and the transfer function f.</summary>
internal sealed record LayerModel(int Units, Activation Activation);

/// <summary>A diagnostic carried as data through the pipeline (a <see cref="Microsoft.CodeAnalysis.Location"/> would root the compilation).</summary>
internal sealed record DiagnosticInfo(string Id, string Message, string? FilePath, TextSpan Span, LinePositionSpan LineSpan);

/// <summary>The parser's result for one [Network] class: a model to emit, or none, and the diagnostics to report.</summary>
internal sealed record ParseResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
