// Save's temporary files and the directory flush after its rename (issue 18: 240 kill -9 during Save left 118 stale
// temporaries, and an unflushed directory may lose the rename on a power cut).
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace NetCompiler.Serialization;

/// <summary>
/// The temporary file of an atomic save to a target: ".{name}.{12 hex digits}.tmp" beside it, a new random name per
/// save so that two saves to the same target never write the same file. A save first removes the temporaries of its
/// own target that no live save holds (a process killed mid-save leaves one), and after its rename flushes the
/// directory on Linux and macOS so that the rename survives a power cut.
/// </summary>
internal static class TemporaryFiles
{
    private const int IdLength = 12;
    private const string Suffix = ".tmp";

    /// <summary>A new temporary path for the file <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static string NewPath(string directory, string name) =>
        Path.Combine(directory, "." + name + "." + Guid.NewGuid().ToString("N").Substring(0, IdLength) + Suffix);

    /// <summary>Whether <paramref name="fileName"/> is a temporary of <see cref="NewPath"/> for <paramref name="name"/>:
    /// exactly ".{name}.", 12 lowercase hex digits and ".tmp", so a temporary of another target ("a.b" next to "a")
    /// never matches.</summary>
    public static bool IsTemporaryOf(string fileName, string name)
    {
        int prefix = 1 + name.Length + 1;
        if (fileName.Length != prefix + IdLength + Suffix.Length
            || fileName[0] != '.' || string.CompareOrdinal(fileName, 1, name, 0, name.Length) != 0 || fileName[prefix - 1] != '.'
            || !fileName.EndsWith(Suffix, StringComparison.Ordinal))
            return false;
        for (int i = prefix; i < prefix + IdLength; i++)
            if (!char.IsAsciiHexDigitLower(fileName[i])) return false;
        return true;
    }

    /// <summary>
    /// Deletes the temporaries of <paramref name="name"/> in <paramref name="directory"/> that no live save is writing.
    /// A save holds its temporary open with FileShare.None, which .NET turns into an exclusive advisory lock (flock on
    /// Unix, a sharing mode on Windows), so a temporary that can be opened with FileShare.None belongs to no live save:
    /// it is deleted; one that cannot is left alone. Best effort: a file that cannot be opened or deleted stays, and
    /// nothing here fails the save.
    /// </summary>
    public static void RemoveStale(string directory, string name)
    {
        string[] candidates;
        try
        {
            candidates = Directory.GetFiles(directory, "*" + Suffix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (string candidate in candidates)
        {
            if (!IsTemporaryOf(Path.GetFileName(candidate), name)) continue;
            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.Read, FileShare.None)) // fails while a live save holds it
                    File.Delete(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// Makes a rename in <paramref name="directory"/> durable: on Linux and macOS opens the directory with libc's
    /// open(O_RDONLY), fsyncs and closes it (.NET has no managed call for a directory's fsync; the P/Invokes are
    /// blittable, so they work under NativeAOT and trimming). Elsewhere (Windows: MoveFileEx writes the rename through
    /// NTFS's journal) nothing is done. Never throws: false when the flush did not happen (another OS, no libc, or a
    /// file system that refuses to open or fsync a directory).
    /// </summary>
    public static bool FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try
        {
            byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
            int fd = Libc.open(path, Libc.O_RDONLY);
            if (fd < 0) return false;
            bool synced = Libc.fsync(fd) == 0;
            _ = Libc.close(fd);
            return synced;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static class Libc
    {
        /// <summary>The same on Linux and macOS (O_DIRECTORY and O_CLOEXEC are not, so they are not used).</summary>
        public const int O_RDONLY = 0;

        [DllImport("libc", EntryPoint = "open")]
        public static extern int open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync")]
        public static extern int fsync(int fd);

        [DllImport("libc", EntryPoint = "close")]
        public static extern int close(int fd);
    }
}
