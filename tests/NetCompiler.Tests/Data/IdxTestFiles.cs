using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace NetCompiler.Tests.Data;

/// <summary>
/// Writes IDX files byte by byte for the data tests (independently of the reader under test) into a temporary
/// directory that disappears with the object.
/// </summary>
public sealed class IdxTestFiles : IDisposable
{
    public IdxTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "netcompiler-idx-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>The header: 00 00, type, rank, then each dimension as a big-endian int32.</summary>
    public static byte[] Header(byte typeCode, params int[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        header[2] = typeCode;
        header[3] = checked((byte)dimensions.Length);
        for (int d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), dimensions[d]);
        return header;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        int length = 0;
        foreach (var p in parts) length += p.Length;
        var result = new byte[length];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, at);
            at += p.Length;
        }
        return result;
    }

    /// <summary>A ubyte IDX file's bytes.</summary>
    public static byte[] UByte(int[] dimensions, byte[] data) => Concat(Header(0x08, dimensions), data);

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(content);
        return buffer.ToArray();
    }

    /// <summary>Writes <paramref name="content"/> (gzipped first if asked) to a new file and returns its path.</summary>
    public string Write(string name, byte[] content, bool gzip = false)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }
    }
}
