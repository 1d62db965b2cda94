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

/// <summary>
/// An unexpected exception in the generator, carried as data (the exception itself would hold symbols) and reported
/// as NC0900 instead of escaping: an escaped exception is only warning CS8785 and silently missing code.
/// </summary>
/// <param name="Network">The name of the network class.</param>
/// <param name="Error">The exception's type, message and innermost frame.</param>
internal sealed record GeneratorFailure(string Network, string Error)
{
    public static GeneratorFailure From(string network, System.Exception exception)
    {
        string? frame = exception.StackTrace?.Split('\n')[0].Trim();
        return new GeneratorFailure(network, exception.GetType().FullName + ": " + exception.Message + (frame is null ? "" : " (" + frame + ")"));
    }
}

/// <summary>
/// The parser's result for one [Network] class: the model to emit, or none when the class has an error (which the
/// analyzer reports) or the parser failed (<paramref name="Failure"/>).
/// </summary>
internal sealed record ParseResult(NetworkModel? Model, GeneratorFailure? Failure);
