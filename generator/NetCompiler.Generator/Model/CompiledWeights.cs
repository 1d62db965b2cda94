// [Network(Weights = "…")]: the weights file found among the project's AdditionalFiles, read and checked at build time
// with the runtime's own safetensors rules (SafeTensorsFormat, shared source), and θ as the string literal the emitter
// writes. A problem becomes a diagnostic on the Weights argument and the network is not emitted.
using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using NetCompiler.Generator.Diagnostics;
using NetCompiler.Serialization;

namespace NetCompiler.Generator.Model;

/// <summary>A network to emit, with its compiled-in weights (null when it has none).</summary>
internal sealed record NetworkInput(NetworkModel Model, CompiledWeights? Weights);

/// <summary>One problem with a weights file: the diagnostic's id and its message arguments.</summary>
internal sealed record WeightsProblem(string Id, EquatableArray<string> Arguments);

/// <summary>
/// θ of one network, read at build time from <paramref name="Path"/>: <paramref name="Literal"/> is the body of a C#
/// string literal holding θ's IEEE-754 bits (two UTF-16 code units per float, four per double, low half first), or
/// null when <paramref name="Problems"/> is not empty.
/// </summary>
internal sealed record CompiledWeights(string Path, string? Literal, string DTypes, EquatableArray<WeightsProblem> Problems)
{
    /// <summary>
    /// The most θ one network compiles in: 8 MB, half of the assembly's user-string heap (16 MB in all, ECMA-335
    /// II.24.2.4), which holds the literal. Larger weights are loaded at run time with SafeTensors.Load.
    /// </summary>
    public const long MaxBytes = 8L << 20;

    /// <summary>Files larger than this are not read into the compiler: no network's weights come near it.</summary>
    private const long MaxFileBytes = 512L << 20;

    /// <summary>
    /// The AdditionalFiles item that <paramref name="path"/> (relative to <paramref name="projectDirectory"/>) names,
    /// or null. Without a project directory (a host that does not pass build_property.ProjectDir) a path matches the
    /// one additional file whose path ends with it.
    /// </summary>
    public static AdditionalText? Find(string path, string? projectDirectory, ImmutableArray<AdditionalText> files)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        string wanted = Normalize(path);
        if (!string.IsNullOrEmpty(projectDirectory) && !System.IO.Path.IsPathRooted(path))
            wanted = Normalize(System.IO.Path.Combine(projectDirectory, path));
        AdditionalText? match = null;
        foreach (AdditionalText file in files)
        {
            string candidate = Normalize(file.Path);
            bool same = string.IsNullOrEmpty(projectDirectory)
                ? candidate.EndsWith("/" + wanted.TrimStart('/'), StringComparison.Ordinal) || candidate == wanted
                : candidate == wanted;
            if (!same) continue;
            if (match is not null && string.IsNullOrEmpty(projectDirectory)) return null; // ambiguous without a directory
            match = file;
        }
        return match;
    }

    /// <summary>Reads and checks <paramref name="file"/> for <paramref name="model"/>'s network; never throws but for cancellation.</summary>
    public static CompiledWeights Read(NetworkModel model, AdditionalText? file, CancellationToken cancellationToken)
    {
        string path = model.Weights!;
        var problems = new List<WeightsProblem>();
        if (file is null)
        {
            problems.Add(Problem(DiagnosticDescriptors.WeightsNotAdditionalFileId, path, path.Replace('\\', '/')));
            return new CompiledWeights(path, null, "", problems.ToEquatableArray());
        }
        byte[]? bytes = ReadFile(file, out string? error);
        if (bytes is null) return Fail(path, error!);
        cancellationToken.ThrowIfCancellationRequested();

        NetworkTopology topology = model.ToTopology();
        int size = model.Precision == Precision.Double ? 8 : 4;
        if ((long)topology.ParameterCount * size > MaxBytes)
        {
            problems.Add(Problem(DiagnosticDescriptors.WeightsTooLargeId, path,
                ((long)topology.ParameterCount * size).ToString("N0", CultureInfo.InvariantCulture), MaxBytes.ToString("N0", CultureInfo.InvariantCulture)));
            return new CompiledWeights(path, null, "", problems.ToEquatableArray());
        }
        try
        {
            List<SafeTensorsMismatch> mismatches;
            string literal;
            if (model.Precision == Precision.Double)
            {
                double[]? theta = SafeTensorsFormat.ReadDouble(path, bytes, topology, out mismatches);
                literal = theta is null ? "" : Escaped(theta);
            }
            else
            {
                float[]? theta = SafeTensorsFormat.ReadSingle(path, bytes, topology, out mismatches);
                literal = theta is null ? "" : Escaped(theta);
            }
            foreach (SafeTensorsMismatch mismatch in mismatches)
                problems.Add(Problem(IdOf(mismatch.Kind), path, mismatch.Message));
            return problems.Count > 0
                ? new CompiledWeights(path, null, "", problems.ToEquatableArray())
                : new CompiledWeights(path, literal, DTypesOf(bytes, path), default);
        }
        catch (SafeTensorsException e)
        {
            return Fail(path, e.Problem);
        }
        catch (ArgumentException e) // two tensors of the topology would share a name (the analyzer's NC0029 reports the layers)
        {
            return Fail(path, e.Message);
        }

        static CompiledWeights Fail(string path, string reason) =>
            new(path, null, "", new[] { Problem(DiagnosticDescriptors.WeightsUnreadableId, path, reason) }.ToEquatableArray());
    }

    /// <summary>
    /// The bytes of a binary AdditionalFiles item, or null and why not. An AdditionalText gives text, and a weights file
    /// or ONNX model is binary: the item names the file and its bytes are read from its path (the item still makes the
    /// build re-run the generator when the file changes).
    /// </summary>
    public static byte[]? ReadFile(AdditionalText file, out string? error)
    {
        error = null;
        try
        {
#pragma warning disable RS1035 // File IO: the only way to read a binary additional file
            var info = new FileInfo(file.Path);
            if (info.Length > MaxFileBytes)
            {
                error = "it is " + info.Length.ToString("N0", CultureInfo.InvariantCulture) + " bytes, larger than any network's weights NetCompiler compiles in";
                return null;
            }
            return File.ReadAllBytes(file.Path);
#pragma warning restore RS1035
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or System.Security.SecurityException)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>The dtypes the file's tensors are stored in, for the generated header ("F32", "F64 and F16").</summary>
    private static string DTypesOf(byte[] file, string path)
    {
        var dtypes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (SafeTensorsFormat.TensorEntry entry in SafeTensorsFormat.ReadHeader(path, file).Tensors) dtypes.Add(entry.DType);
        return string.Join(", ", dtypes);
    }

    private static string IdOf(SafeTensorsMismatchKind kind) => kind switch
    {
        SafeTensorsMismatchKind.MissingTensor => DiagnosticDescriptors.WeightsMissingTensorId,
        SafeTensorsMismatchKind.UnexpectedTensor => DiagnosticDescriptors.WeightsUnexpectedTensorId,
        SafeTensorsMismatchKind.WrongShape => DiagnosticDescriptors.WeightsWrongShapeId,
        SafeTensorsMismatchKind.UnsupportedDType => DiagnosticDescriptors.WeightsUnsupportedDTypeId,
        _ => DiagnosticDescriptors.WeightsNonZeroAbsentKernelId,
    };

    private static WeightsProblem Problem(string id, params string[] arguments) => new(id, arguments.ToEquatableArray());

    private static string Normalize(string path)
    {
        string full = path.Replace('\\', '/');
        try
        {
            if (System.IO.Path.IsPathRooted(path)) full = System.IO.Path.GetFullPath(path).Replace('\\', '/');
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
        }
        return full;
    }

    // θ's bits as \uXXXX escapes: the C# compiler stores one string literal as one token, however long (a 235,146-value
    // array initializer added 23 s to a build, this literal nothing measurable: bench/RESULTS.md, "Compiled-in weights").
    public static string Escaped(float[] values)
    {
        var text = new StringBuilder(values.Length * 12);
        foreach (float value in values)
        {
            uint bits = (uint)BitConverter.ToInt32(BitConverter.GetBytes(value), 0);
            Escape(text, bits & 0xFFFF);
            Escape(text, bits >> 16);
        }
        return text.ToString();
    }

    public static string Escaped(double[] values)
    {
        var text = new StringBuilder(values.Length * 24);
        foreach (double value in values)
        {
            ulong bits = (ulong)BitConverter.DoubleToInt64Bits(value);
            for (int shift = 0; shift < 64; shift += 16) Escape(text, (uint)(bits >> shift) & 0xFFFF);
        }
        return text.ToString();
    }

    private static void Escape(StringBuilder text, uint unit) =>
        text.Append("\\u").Append(unit.ToString("X4", CultureInfo.InvariantCulture));
}
