using System;
using System.Collections.Generic;
using System.IO;

namespace NetCompiler.Samples.Fashion;

/// <summary>The --out folder could not be used, or a file could not be written to it; the message names the path.</summary>
public sealed class OutputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The --out folder of one run: checked before the data are loaded (created if missing, a probe file written and
/// deleted, no folder in the way of the files the run will write), and the run's files written all or none: each to a
/// temporary file beside its target, then moved into place; on a failure everything this run wrote is removed again,
/// and so are the folders it created.
/// </summary>
public sealed class OutputFolder
{
    private readonly string? _created; // the topmost folder this run created, or null

    private OutputFolder(string path, string? created)
    {
        Path = path;
        _created = created;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Checks that <paramref name="path"/> is (or can be created as) a writable folder in which none of <paramref name="files"/> is a folder.</summary>
    /// <exception cref="OutputException">It cannot be used; the message says why.</exception>
    public static OutputFolder Prepare(string path, IEnumerable<string> files)
    {
        if (File.Exists(path)) throw new OutputException($"--out: '{path}' is a file, not a folder.");
        string? created = null;
        for (string? p = path; p is not null && !Directory.Exists(p); p = System.IO.Path.GetDirectoryName(p))
        {
            if (File.Exists(p)) throw new OutputException($"--out: cannot create the folder '{path}': '{p}' is a file.");
            created = p;
        }
        var folder = new OutputFolder(path, created);
        try
        {
            Directory.CreateDirectory(path);
            string probe = System.IO.Path.Combine(path, ".write-probe-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(probe, [0]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            folder.Abandon();
            throw new OutputException($"--out: cannot write to the folder '{path}': {e.Message}", e);
        }
        foreach (string file in files) folder.CheckTarget(file);
        return folder;
    }

    /// <summary>Removes the folders <see cref="Prepare"/> created, if nothing was written to them.</summary>
    public void Abandon()
    {
        if (_created is null) return;
        for (string? p = Path; p is not null && Directory.Exists(p); p = System.IO.Path.GetDirectoryName(p))
        {
            if (Directory.EnumerateFileSystemEntries(p).GetEnumerator().MoveNext()) return;
            Directory.Delete(p);
            if (string.Equals(p, _created, StringComparison.Ordinal)) return;
        }
    }

    /// <summary>
    /// Writes every file (its writer gets the temporary path to write to) and moves them into place, or, if one fails,
    /// removes what this call wrote and throws an <see cref="OutputException"/> naming the file.
    /// </summary>
    public void WriteAll(IReadOnlyList<(string Path, Action<string> Write)> files)
    {
        var temporary = new List<string>();
        var placed = new List<string>();
        string current = "";
        try
        {
            foreach (var (target, _) in files) CheckTarget(target);
            foreach (var (target, write) in files)
            {
                current = target;
                string temp = System.IO.Path.Combine(Path, "." + System.IO.Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N")[..12] + ".partial");
                temporary.Add(temp);
                write(temp);
            }
            for (int i = 0; i < files.Count; i++)
            {
                current = files[i].Path;
                File.Move(temporary[i], files[i].Path, overwrite: true);
                placed.Add(files[i].Path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputException)
        {
            foreach (string file in temporary) TryDelete(file);
            foreach (string file in placed) TryDelete(file);
            Abandon();
            throw e as OutputException ?? new OutputException($"cannot write '{current}': {e.Message} Nothing was saved.", e);
        }
    }

    private void CheckTarget(string file)
    {
        if (Directory.Exists(file))
        {
            Abandon();
            throw new OutputException($"cannot write '{file}': a folder of that name is in the way. Nothing was saved.");
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error being reported is the one that matters.
        }
    }
}
