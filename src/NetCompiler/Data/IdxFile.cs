using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace NetCompiler.Data;

/// <summary>
/// An array read from an IDX file, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two
/// zero bytes, a type code (<see cref="UnsignedByte"/>, <see cref="SignedByte"/>, <see cref="Int16"/>,
/// <see cref="Int32"/>, <see cref="Float32"/>, <see cref="Float64"/>), the number of dimensions, each dimension as a
/// big-endian int32, then the elements in row-major order, big-endian. A file that starts with the gzip magic bytes
/// 1F 8B is decompressed first; any other file is read as it is.
/// </summary>
/// <remarks>
/// <see cref="Read"/> checks everything and throws <see cref="InvalidDataException"/> with a message that names the
/// file and what is wrong with it. The header is checked before any buffer is sized from it: the data may take at
/// most <see cref="MaxDataBytes"/> bytes, and a raw file must hold exactly the bytes its header promises. A gzipped
/// file's header is read from the decompressed stream first; what it claims may be at most <see cref="MaxGzipRatio"/>
/// times the compressed file's size (deflate cannot expand more), and then the data is decompressed into one buffer of
/// exactly the claimed size, so the peak memory is the decoded size once (no growing buffer that doubles). For a
/// gzipped file the CRC-32 (checked by <see cref="GZipStream"/>) and the trailer's length field must match, so a cut
/// file or bytes after the gzip data are reported too.
/// </remarks>
public sealed class IdxFile
{
    /// <summary>Type code 0x08: unsigned byte.</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Type code 0x09: signed byte.</summary>
    public const byte SignedByte = 0x09;

    /// <summary>Type code 0x0B: big-endian int16.</summary>
    public const byte Int16 = 0x0B;

    /// <summary>Type code 0x0C: big-endian int32.</summary>
    public const byte Int32 = 0x0C;

    /// <summary>Type code 0x0D: big-endian IEEE float32.</summary>
    public const byte Float32 = 0x0D;

    /// <summary>Type code 0x0E: big-endian IEEE float64.</summary>
    public const byte Float64 = 0x0E;

    /// <summary>The most data bytes a file may declare (the largest byte array .NET allows, just under 2 GiB).</summary>
    public static readonly long MaxDataBytes = Array.MaxLength;

    /// <summary>
    /// The most decompressed bytes (header and data) a gzipped file may claim per byte of the compressed file: deflate
    /// expands at most about 1032:1 (a 258-byte match coded in 2 bits), so a header that claims more than 1032 times
    /// the file's size cannot be honest and is rejected before its data is allocated.
    /// </summary>
    public const int MaxGzipRatio = 1032;

    private IdxFile(string path, byte typeCode, int[] dimensions, byte[] data)
    {
        Path = path;
        TypeCode = typeCode;
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The file this array was read from.</summary>
    public string Path { get; }

    /// <summary>The element type code (see the constants of this class).</summary>
    public byte TypeCode { get; }

    /// <summary>The dimensions, outermost first (for MNIST images: count, rows, columns). Each is positive.</summary>
    public int[] Dimensions { get; }

    /// <summary>
    /// The elements' bytes as stored in the file: row-major, multi-byte elements big-endian. For
    /// <see cref="UnsignedByte"/> these are the values; for other types use <see cref="ToSByte"/>,
    /// <see cref="ToInt16"/>, <see cref="ToInt32"/>, <see cref="ToSingle"/> or <see cref="ToDouble"/>.
    /// </summary>
    public byte[] Data { get; }

    /// <summary>The number of elements (the product of <see cref="Dimensions"/>).</summary>
    public int ElementCount => Data.Length / ElementSize(TypeCode);

    /// <summary>A readable name for this file's element type, e.g. "ubyte".</summary>
    public string TypeName => TypeNameOf(TypeCode);

    /// <summary>The dimensions written as "60000 × 28 × 28".</summary>
    public string Shape => string.Join(" × ", Dimensions);

    /// <summary>The size in bytes of one element of type <paramref name="typeCode"/>.</summary>
    /// <exception cref="ArgumentException">The type code is not one of IDX's.</exception>
    public static int ElementSize(byte typeCode) => TryElementSize(typeCode)
        ?? throw new ArgumentException($"0x{typeCode:X2} is not an IDX type code (0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E).", nameof(typeCode));

    /// <summary>The name of type <paramref name="typeCode"/>: ubyte, sbyte, int16, int32, float32 or float64.</summary>
    public static string TypeNameOf(byte typeCode) => typeCode switch
    {
        UnsignedByte => "ubyte",
        SignedByte => "sbyte",
        Int16 => "int16",
        Int32 => "int32",
        Float32 => "float32",
        Float64 => "float64",
        _ => $"unknown type 0x{typeCode:X2}",
    };

    private static int? TryElementSize(byte typeCode) => typeCode switch
    {
        UnsignedByte or SignedByte => 1,
        Int16 => 2,
        Int32 or Float32 => 4,
        Float64 => 8,
        _ => null,
    };

    /// <summary>Reads and checks the IDX file at <paramref name="path"/>, gzipped or raw.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory (the message says so).</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file (the message names the file and the problem).</exception>
    public static IdxFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileChecks.ThrowIfDirectory(path, "an IDX file");
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file not found: {path}", path);

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> start = stackalloc byte[2];
        int got = ReadFully(file, start);
        file.Position = 0;
        if (got == 2 && start[0] == 0x1F && start[1] == 0x8B)
        {
            if (file.Length < MinGzipLength)
                throw Error(path, $"the gzip stream is corrupt (the file has {file.Length} bytes, the smallest gzip file {MinGzipLength})");
            IdxFile idx;
            try
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
                idx = ReadIdx(gzip, path, gzipped: true, knownLength: null, compressedLength: file.Length);
            }
            catch (InvalidDataException e) when (e.Data[OwnErrorKey] is null)
            {
                // GZipStream's own complaint: a bad header, corrupt deflate data, a wrong CRC-32 or length.
                throw Error(path, $"the gzip stream is corrupt ({e.Message})", e);
            }
            CheckGzipTrailer(file, path, 4L + 4 * idx.Dimensions.Length + idx.Data.Length);
            return idx;
        }

        return ReadIdx(file, path, gzipped: false, knownLength: file.Length, compressedLength: file.Length);
    }

    private const string OwnErrorKey = "NetCompiler.IdxFile";

    /// <summary>A 10-byte header, an empty deflate block (2 bytes) and the 8-byte trailer.</summary>
    private const int MinGzipLength = 20;

    /// <summary>
    /// GZipStream stops at the end of the deflate data: it neither notices a missing trailer (a cut file whose deflate
    /// data happened to be complete) nor bytes after it. The file's last 4 bytes must be the trailer's ISIZE, the
    /// decompressed length modulo 2^32. (A file of several concatenated gzip members, as bgzip writes, fails this
    /// check unless its last member's size happens to match; IDX files are single members.)
    /// </summary>
    private static void CheckGzipTrailer(FileStream file, string path, long decompressed)
    {
        Span<byte> isize = stackalloc byte[4];
        file.Seek(-4, SeekOrigin.End);
        if (ReadFully(file, isize) != 4)
            throw Error(path, "the gzip stream is corrupt (cannot read its trailer)");
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(isize);
        if (declared != (uint)decompressed)
            throw Error(path, $"the gzip stream is corrupt (its last 4 bytes should be the trailer's length field, " +
                              $"{(uint)decompressed}, but are {declared}: the file is cut short or has bytes after the gzip data)");
    }

    private static IdxFile ReadIdx(Stream stream, string path, bool gzipped, long? knownLength, long compressedLength)
    {
        string where = gzipped ? " (after gunzip)" : "";

        // Magic: 00 00 type ndims.
        Span<byte> head = stackalloc byte[4];
        int got = ReadFully(stream, head);
        if (got < 4)
            throw Error(path, $"truncated header: the file{where} has {got} bytes, an IDX header needs at least 4");
        if (head[0] != 0 || head[1] != 0)
        {
            string hint = head[0] == 0x1F && head[1] == 0x8B ? " (the decompressed data is gzipped again)" : "";
            throw Error(path, $"bad magic: the file{where} starts with 0x{head[0]:X2} 0x{head[1]:X2}, an IDX file with 0x00 0x00{hint}");
        }
        byte typeCode = head[2];
        int elementSize = TryElementSize(typeCode)
            ?? throw Error(path, $"unknown type code 0x{typeCode:X2} (IDX knows 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
        int rank = head[3];
        if (rank == 0)
            throw Error(path, "the header declares 0 dimensions");

        // Dimensions: rank big-endian int32s.
        var dimBytes = new byte[4 * rank];
        got = ReadFully(stream, dimBytes);
        if (got < dimBytes.Length)
            throw Error(path, $"truncated header: {rank} dimensions need {4 + dimBytes.Length} header bytes, the file{where} has {4 + got}");
        var dimensions = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            int n = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * d));
            if (n <= 0)
                throw Error(path, $"dimension {d} is {n}; every dimension must be positive");
            dimensions[d] = n;
            // Before this step count × elementSize ≤ MaxDataBytes < 2^31 and n < 2^31, so nothing overflows a long.
            count *= n;
            if (count * elementSize > MaxDataBytes)
                throw Error(path, $"the dimensions {string.Join(" × ", DeclaredDimensions(dimBytes))} of {TypeNameOf(typeCode)} " +
                                  $"would take more than {MaxDataBytes} bytes, more than this reader accepts");
        }
        long expected = count * elementSize;
        long headerLength = 4 + dimBytes.Length;

        byte[] data;
        if (knownLength is long length)
        {
            long actual = length - headerLength;
            if (actual < expected)
                throw Error(path, $"data shorter than the dimensions say: {string.Join(" × ", dimensions)} {TypeNameOf(typeCode)} " +
                                  $"need {expected} bytes after the header, the file has {actual}");
            if (actual > expected)
                throw Error(path, $"trailing bytes after the data: {string.Join(" × ", dimensions)} {TypeNameOf(typeCode)} " +
                                  $"take {expected} bytes after the header, the file has {actual}");
            data = new byte[expected];
            got = ReadFully(stream, data);
            if (got != expected) // the file changed under us
                throw Error(path, $"data shorter than the dimensions say: expected {expected} bytes after the header, read {got}");
        }
        else
        {
            // Deflate cannot expand beyond MaxGzipRatio:1, so a larger claim is a corrupt header (or a cut file): reject
            // it before allocating what it claims.
            long claimed = headerLength + expected, possible = MaxGzipRatio * compressedLength;
            if (claimed > possible)
                throw Error(path, $"the header claims {string.Join(" × ", dimensions)} {TypeNameOf(typeCode)}, {claimed} bytes after gunzip, " +
                                  $"more than a {compressedLength}-byte gzip file can hold ({MaxGzipRatio} × its size, {possible} bytes)");
            data = ReadExpected(stream, path, dimensions, typeCode, expected);
        }

        return new IdxFile(path, typeCode, dimensions, data);
    }

    private static int[] DeclaredDimensions(byte[] dimBytes)
    {
        var result = new int[dimBytes.Length / 4];
        for (int d = 0; d < result.Length; d++) result[d] = BinaryPrimitives.ReadInt32BigEndian(dimBytes.AsSpan(4 * d));
        return result;
    }

    /// <summary>
    /// Reads <paramref name="expected"/> bytes from a stream of unknown length (the decompressed data) into one buffer
    /// of that size, the only copy of the data, then checks that nothing follows.
    /// </summary>
    private static byte[] ReadExpected(Stream stream, string path, int[] dimensions, byte typeCode, long expected)
    {
        var buffer = new byte[expected];
        int filled = ReadFully(stream, buffer);
        if (filled < expected)
            throw Error(path, $"data shorter than the dimensions say: {string.Join(" × ", dimensions)} {TypeNameOf(typeCode)} " +
                              $"need {expected} bytes after the header, the file has {filled} (after gunzip)");

        // Nothing may follow; count what does (up to a limit, without keeping it).
        var scratch = new byte[1 << 16];
        long trailing = 0;
        const long countLimit = 1L << 26;
        int m;
        while (trailing < countLimit && (m = stream.Read(scratch, 0, scratch.Length)) > 0) trailing += m;
        if (trailing > 0)
        {
            string actual = trailing >= countLimit ? $"at least {expected + trailing}" : (expected + trailing).ToString();
            throw Error(path, $"trailing bytes after the data: {string.Join(" × ", dimensions)} {TypeNameOf(typeCode)} " +
                              $"take {expected} bytes after the header, the file has {actual} (after gunzip)");
        }
        return buffer;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static InvalidDataException Error(string path, string problem, Exception? inner = null)
    {
        var e = new InvalidDataException($"{path}: {problem}.", inner);
        e.Data[OwnErrorKey] = true;
        return e;
    }

    /// <summary>The elements as signed bytes (a file of type <see cref="SignedByte"/>).</summary>
    public sbyte[] ToSByte()
    {
        Expect(SignedByte);
        var result = new sbyte[Data.Length];
        Buffer.BlockCopy(Data, 0, result, 0, Data.Length);
        return result;
    }

    /// <summary>The elements as int16 (a file of type <see cref="Int16"/>).</summary>
    public short[] ToInt16()
    {
        Expect(Int16);
        var result = new short[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt16BigEndian(Data.AsSpan(2 * i));
        return result;
    }

    /// <summary>The elements as int32 (a file of type <see cref="Int32"/>).</summary>
    public int[] ToInt32()
    {
        Expect(Int32);
        var result = new int[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32BigEndian(Data.AsSpan(4 * i));
        return result;
    }

    /// <summary>The elements as float32 (a file of type <see cref="Float32"/>).</summary>
    public float[] ToSingle()
    {
        Expect(Float32);
        var result = new float[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleBigEndian(Data.AsSpan(4 * i));
        return result;
    }

    /// <summary>The elements of any type converted to double (exact for every IDX type).</summary>
    public double[] ToDouble()
    {
        var result = new double[ElementCount];
        var data = Data.AsSpan();
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = TypeCode switch
            {
                UnsignedByte => data[i],
                SignedByte => (sbyte)data[i],
                Int16 => BinaryPrimitives.ReadInt16BigEndian(data[(2 * i)..]),
                Int32 => BinaryPrimitives.ReadInt32BigEndian(data[(4 * i)..]),
                Float32 => BinaryPrimitives.ReadSingleBigEndian(data[(4 * i)..]),
                _ => BinaryPrimitives.ReadDoubleBigEndian(data[(8 * i)..]),
            };
        }
        return result;
    }

    private void Expect(byte typeCode)
    {
        if (TypeCode != typeCode)
            throw new InvalidOperationException($"{Path} holds {TypeName} elements, not {TypeNameOf(typeCode)}.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {TypeName} [{Shape}]";
}
