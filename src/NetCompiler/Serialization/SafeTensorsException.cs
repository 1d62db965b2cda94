using System;
using System.IO;

namespace NetCompiler.Serialization;

/// <summary>
/// A safetensors file that cannot be loaded into a network: malformed, truncated, or holding tensors of other names,
/// shapes or dtypes. The message names the file and every problem found; the network's parameters are unchanged.
/// (An IOException because InvalidDataException is sealed.)
/// </summary>
public sealed class SafeTensorsException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> and <paramref name="problem"/>.</summary>
    public SafeTensorsException(string path, string problem, Exception? inner = null)
        : base("Cannot load weights from '" + path + "': " + problem, inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file that failed to load.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
