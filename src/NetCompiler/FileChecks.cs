// The readers' check that a path names a file (issue 18): FileStream on a directory says "Access to the path is
// denied" on Unix, which sends a user looking at permissions; IdxFile and SafeTensors say what the path is instead.
using System.IO;

namespace NetCompiler;

internal static class FileChecks
{
    /// <summary>Throws an IOException "{path} is a directory, not {what}." when <paramref name="path"/> is a directory.</summary>
    public static void ThrowIfDirectory(string path, string what)
    {
        if (Directory.Exists(path)) throw new IOException(path + " is a directory, not " + what + ".");
    }
}
