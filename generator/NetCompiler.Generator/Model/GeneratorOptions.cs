namespace NetCompiler.Generator.Model;

/// <summary>
/// The project's options for the generated code, read from MSBuild properties that the package's
/// buildTransitive/NetCompiler.targets makes visible to the compiler (build_property.*).
/// </summary>
/// <param name="AggressiveOptimization">
/// NetCompilerAggressiveOptimization (default true): the methods that compute carry
/// MethodImplOptions.AggressiveOptimization, so the JIT compiles them fully optimised on their first call instead of
/// running Tier-0 code until tiering replaces it. The targets file rejects any value but true and false.
/// </param>
internal sealed record GeneratorOptions(bool AggressiveOptimization)
{
    /// <summary>The MSBuild property behind <see cref="AggressiveOptimization"/>, as the compiler sees it.</summary>
    public const string AggressiveOptimizationKey = "build_property.NetCompilerAggressiveOptimization";

    /// <summary>The options of a project that sets none.</summary>
    public static GeneratorOptions Default { get; } = new(AggressiveOptimization: true);

    /// <summary>Reads the options from the compiler's view of the project's properties.</summary>
    public static GeneratorOptions From(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options) =>
        options.TryGetValue(AggressiveOptimizationKey, out string? value) && string.Equals(value.Trim(), "false", System.StringComparison.OrdinalIgnoreCase)
            ? new GeneratorOptions(AggressiveOptimization: false)
            : Default;
}
