// The exception OnnxModel.Load throws for a model it cannot import: every problem the importer found, in one message.
using System;
using System.Collections.Generic;
using System.IO;

namespace NetCompiler.Onnx;

/// <summary>
/// An ONNX model that cannot be imported: not a readable model, an opset or operator NetCompiler does not import, an
/// attribute value it does not map, a dynamic dimension other than the batch, or a structure it has no layer for.
/// <see cref="Problems"/> lists every problem found, not just the first. (An IOException, like SafeTensorsException.)
/// </summary>
public sealed class OnnxException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> and its <paramref name="problems"/>.</summary>
    public OnnxException(string path, IReadOnlyList<string> problems)
        : base("Cannot import '" + path + "': " + Describe(problems))
    {
        FilePath = path;
        Problems = problems;
    }

    /// <summary>The model file.</summary>
    public string FilePath { get; }

    /// <summary>Every problem, one sentence each, without the file name: "node 3 ('/conv1/Conv', Conv) has group = 2 (NetCompiler imports group 1 only)".</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Describe(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 1) return problems[0] + ".";
        var lines = new string[problems.Count];
        for (int i = 0; i < lines.Length; i++) lines[i] = Environment.NewLine + "  " + (i + 1) + ". " + problems[i] + ".";
        return problems.Count + " problems:" + string.Concat(lines);
    }
}
