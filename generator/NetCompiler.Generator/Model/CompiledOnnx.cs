// [Network(Onnx = "…")]: the model found among the project's AdditionalFiles, imported at build time by the runtime's
// own importer (OnnxImporter, shared source, as OnnxModel.Load runs it) into the layers the attributes would declare
// and θ, then checked by the same topology rules as declared layers. What comes out is an ordinary model with
// compiled-in weights, so planning and emitting are unchanged. A problem becomes a diagnostic on the Onnx argument.
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using NetCompiler.Generator.Diagnostics;
using NetCompiler.Onnx;

namespace NetCompiler.Generator.Model;

internal static class CompiledOnnx
{
    /// <summary>The most problems reported one by one; the rest are counted in one more diagnostic.</summary>
    public const int MaxDiagnostics = 100;

    /// <summary>
    /// Imports <paramref name="file"/> for <paramref name="model"/> (whose Onnx names it): the model with the imported
    /// input, layers and output, and θ as compiled-in weights; or the problems. Never throws but for cancellation.
    /// </summary>
    public static NetworkInput Read(NetworkModel model, AdditionalText? file, CancellationToken cancellationToken)
    {
        string path = model.Onnx!;
        if (file is null)
            return Failed(model, path, Problem(DiagnosticDescriptors.OnnxNotAdditionalFileId, path, path.Replace('\\', '/')));
        byte[]? bytes = CompiledWeights.ReadFile(file, out string? error);
        if (bytes is null) return Failed(model, path, Problem(DiagnosticDescriptors.OnnxInvalidId, path, error!));
        cancellationToken.ThrowIfCancellationRequested();

        OnnxImport import = OnnxImporter.Import(path, bytes, model.Loss, model.Precision, cancellationToken);
        var problems = new List<WeightsProblem>();
        foreach (OnnxProblem problem in import.Problems)
        {
            if (problems.Count == MaxDiagnostics)
            {
                // A model of thousands of unsupported nodes is one mistake, not thousands of errors to scroll past.
                problems.Add(Problem(IdOf(problem.Kind), path, "and " + (import.Problems.Count - MaxDiagnostics).ToString("N0", CultureInfo.InvariantCulture)
                    + " more problems like those above (OnnxModel.Load lists them all)"));
                break;
            }
            problems.Add(Problem(IdOf(problem.Kind), path, problem.Message));
        }
        // The importer has checked the layers with NetworkTopology's rules for this loss and precision (a layer that breaks
        // one, a kernel larger than its input say, is an Unrepresentable problem with the rule's own message).
        if (problems.Count > 0 || import.InputShape is null || import.Theta is null) return Failed(model, path, problems.ToArray());

        NetworkModel imported = model with
        {
            InputShape = import.InputShape.ToArray().ToEquatableArray(),
            Layers = import.Layers.ConvertAll(LayerModel.Of).ToEquatableArray(),
            Output = import.Output,
            Imported = Declaration(model, import.Declaration).ToEquatableArray(),
        };
        long bytesOfTheta = (long)import.Theta.Length * (model.Precision == Precision.Double ? 8 : 4);
        if (bytesOfTheta > CompiledWeights.MaxBytes)
            return Failed(model, path, Problem(DiagnosticDescriptors.OnnxTooLargeId, path,
                bytesOfTheta.ToString("N0", CultureInfo.InvariantCulture), CompiledWeights.MaxBytes.ToString("N0", CultureInfo.InvariantCulture)));
        string literal = model.Precision == Precision.Double ? CompiledWeights.Escaped(import.Theta) : CompiledWeights.Escaped(ToSingle(import.Theta));
        return new NetworkInput(imported, new CompiledWeights(path, literal, "ONNX initializers", default));
    }

    /// <summary>The class as a user would declare it with attributes: the importer's lines ([Network], [Input], the layers, [Loss]) and the class.</summary>
    private static List<string> Declaration(NetworkModel model, string imported)
    {
        var lines = new List<string>();
        foreach (string line in imported.Split('\n'))
            if (line.Trim().Length > 0) lines.Add(line.TrimEnd('\r'));
        lines.Add("partial class " + model.ClassName + " { }");
        return lines;
    }

    private static float[] ToSingle(double[] values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)values[i];
        return result;
    }

    private static string IdOf(OnnxProblemKind kind) => kind switch
    {
        OnnxProblemKind.NotAModel => DiagnosticDescriptors.OnnxInvalidId,
        OnnxProblemKind.UnsupportedOpset => DiagnosticDescriptors.OnnxUnsupportedOpsetId,
        OnnxProblemKind.UnsupportedOperator => DiagnosticDescriptors.OnnxUnsupportedOperatorId,
        OnnxProblemKind.UnsupportedAttribute => DiagnosticDescriptors.OnnxUnsupportedAttributeId,
        OnnxProblemKind.DynamicDimension => DiagnosticDescriptors.OnnxDynamicDimensionId,
        _ => DiagnosticDescriptors.OnnxUnrepresentableId,
    };

    private static NetworkInput Failed(NetworkModel model, string path, params WeightsProblem[] problems) =>
        new(model, new CompiledWeights(path, null, "", problems.ToEquatableArray()));

    private static WeightsProblem Problem(string id, params string[] arguments) => new(id, arguments.ToEquatableArray());
}
