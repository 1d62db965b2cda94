using System;
using System.Buffers.Binary;
using System.IO;
using NetCompiler.Data;
using Xunit;

namespace NetCompiler.Tests.Data;

/// <summary>
/// <see cref="IdxFile.Read"/> on small files written byte by byte here: every type code read back exactly, raw and
/// gzipped, and every kind of malformed file rejected with an <see cref="InvalidDataException"/> whose whole message
/// is checked (it names the file and the problem).
/// </summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly IdxTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string Suffix(bool gzip) => gzip ? " (after gunzip)" : "";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnsignedBytesRoundTrip(bool gzip)
    {
        byte[] data = { 0, 1, 2, 127, 128, 255 };
        string path = _files.Write("u8.idx", IdxTestFiles.UByte(new[] { 2, 3 }, data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(path, idx.Path);
        Assert.Equal(IdxFile.UnsignedByte, idx.TypeCode);
        Assert.Equal(new[] { 2, 3 }, idx.Dimensions);
        Assert.Equal(data, idx.Data);
        Assert.Equal(6, idx.ElementCount);
        Assert.Equal(new double[] { 0, 1, 2, 127, 128, 255 }, idx.ToDouble());
        Assert.Equal("2 × 3", idx.Shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SignedBytesRoundTrip(bool gzip)
    {
        byte[] data = { 0x80, 0xFF, 0x00, 0x7F };
        string path = _files.Write("s8.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x09, 4), data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(IdxFile.SignedByte, idx.TypeCode);
        Assert.Equal(new[] { 4 }, idx.Dimensions);
        Assert.Equal(new sbyte[] { -128, -1, 0, 127 }, idx.ToSByte());
        Assert.Equal(new double[] { -128, -1, 0, 127 }, idx.ToDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int16RoundTrip(bool gzip)
    {
        short[] values = { short.MinValue, -1, 1, short.MaxValue, 0x1234, -300 };
        var data = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt16BigEndian(data.AsSpan(2 * i), values[i]);
        string path = _files.Write("i16.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0B, 3, 1, 2), data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(IdxFile.Int16, idx.TypeCode);
        Assert.Equal(new[] { 3, 1, 2 }, idx.Dimensions);
        Assert.Equal(data, idx.Data); // stored as in the file, big-endian
        Assert.Equal(values, idx.ToInt16());
        Assert.Equal(Array.ConvertAll(values, v => (double)v), idx.ToDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int32RoundTrip(bool gzip)
    {
        int[] values = { int.MinValue, -2, 0, 0x01020304, int.MaxValue };
        var data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4 * i), values[i]);
        string path = _files.Write("i32.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0C, 5), data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(IdxFile.Int32, idx.TypeCode);
        Assert.Equal(new[] { 5 }, idx.Dimensions);
        Assert.Equal(values, idx.ToInt32());
        Assert.Equal(Array.ConvertAll(values, v => (double)v), idx.ToDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float32RoundTrip(bool gzip)
    {
        float[] values = { 3.25f, -1e-30f, float.PositiveInfinity, -0f, float.Epsilon, 16777217f };
        var data = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4 * i), values[i]);
        string path = _files.Write("f32.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0D, 2, 3), data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(IdxFile.Float32, idx.TypeCode);
        Assert.Equal(new[] { 2, 3 }, idx.Dimensions);
        float[] read = idx.ToSingle();
        Assert.Equal(values.Length, read.Length);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(values[i]), BitConverter.SingleToInt32Bits(read[i])); // bit for bit (−0 too)
        Assert.Equal(Array.ConvertAll(values, v => (double)v), idx.ToDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float64RoundTrip(bool gzip)
    {
        double[] values = { Math.PI, -2.5e300, double.NegativeInfinity, 5e-324 };
        var data = new byte[8 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleBigEndian(data.AsSpan(8 * i), values[i]);
        string path = _files.Write("f64.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0E, 1, 2, 1, 2), data), gzip);

        var idx = IdxFile.Read(path);

        Assert.Equal(IdxFile.Float64, idx.TypeCode);
        Assert.Equal(new[] { 1, 2, 1, 2 }, idx.Dimensions);
        Assert.Equal(values, idx.ToDouble());
    }

    [Fact]
    public void TypedAccessorOfTheWrongTypeThrows()
    {
        string path = _files.Write("u8.idx", IdxTestFiles.UByte(new[] { 1 }, new byte[] { 7 }));
        var idx = IdxFile.Read(path);
        var e = Assert.Throws<InvalidOperationException>(() => idx.ToSingle());
        Assert.Equal($"{path} holds ubyte elements, not float32.", e.Message);
    }

    [Fact]
    public void MissingFileThrowsFileNotFoundWithThePath()
    {
        string path = Path.Combine(_files.Directory, "nope", "missing.idx");
        var e = Assert.Throws<FileNotFoundException>(() => IdxFile.Read(path));
        Assert.Equal(path, e.FileName);
        Assert.Equal($"IDX file not found: {path}", e.Message);
    }

    private static void AssertInvalid(string path, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Equal($"{path}: {problem}.", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShortMagicIsATruncatedHeader(bool gzip)
    {
        AssertInvalid(_files.Write("short.idx", new byte[] { 0, 0, 8 }, gzip),
            $"truncated header: the file{Suffix(gzip)} has 3 bytes, an IDX header needs at least 4");
    }

    [Fact]
    public void EmptyFileIsATruncatedHeader()
    {
        AssertInvalid(_files.Write("empty.idx", Array.Empty<byte>()), "truncated header: the file has 0 bytes, an IDX header needs at least 4");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MissingDimensionsAreATruncatedHeader(bool gzip)
    {
        byte[] header = IdxTestFiles.Header(0x08, 2, 3, 4);
        string path = _files.Write("dims.idx", header.AsSpan(0, 12).ToArray(), gzip); // the third dimension is missing
        AssertInvalid(path, $"truncated header: 3 dimensions need 16 header bytes, the file{Suffix(gzip)} has 12");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShortDataSaysExpectedAndActualBytes(bool gzip)
    {
        string path = _files.Write("short-data.idx", IdxTestFiles.UByte(new[] { 2, 3 }, new byte[5]), gzip);
        AssertInvalid(path, $"data shorter than the dimensions say: 2 × 3 ubyte need 6 bytes after the header, the file has 5{Suffix(gzip)}");

        var data = new byte[4 * 3 - 1];
        path = _files.Write("short-float.idx", IdxTestFiles.Concat(IdxTestFiles.Header(0x0D, 3), data), gzip);
        AssertInvalid(path, $"data shorter than the dimensions say: 3 float32 need 12 bytes after the header, the file has 11{Suffix(gzip)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingBytesAreRejected(bool gzip)
    {
        string path = _files.Write("trailing.idx", IdxTestFiles.UByte(new[] { 2, 3 }, new byte[7]), gzip);
        AssertInvalid(path, $"trailing bytes after the data: 2 × 3 ubyte take 6 bytes after the header, the file has 7{Suffix(gzip)}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BadMagicIsRejected(bool gzip)
    {
        string path = _files.Write("magic.idx", new byte[] { 0x01, 0x02, 0x08, 0x01, 0, 0, 0, 1, 42 }, gzip);
        AssertInvalid(path, $"bad magic: the file{Suffix(gzip)} starts with 0x01 0x02, an IDX file with 0x00 0x00");
    }

    [Fact]
    public void TextFileIsBadMagic()
    {
        string path = _files.Write("notes.txt", System.Text.Encoding.ASCII.GetBytes("hello, world"));
        AssertInvalid(path, "bad magic: the file starts with 0x68 0x65, an IDX file with 0x00 0x00");
    }

    [Fact]
    public void GzippedTwiceIsBadMagicWithAHint()
    {
        byte[] twice = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 1 }, new byte[] { 1 }));
        string path = _files.Write("twice.idx.gz", twice, gzip: true);
        AssertInvalid(path, "bad magic: the file (after gunzip) starts with 0x1F 0x8B, an IDX file with 0x00 0x00 (the decompressed data is gzipped again)");
    }

    [Theory]
    [InlineData(false, 0x0A)]
    [InlineData(true, 0x0A)]
    [InlineData(false, 0x00)]
    [InlineData(false, 0x0F)]
    [InlineData(false, 0xFF)]
    public void UnknownTypeCodeIsRejected(bool gzip, byte typeCode)
    {
        string path = _files.Write("type.idx", IdxTestFiles.Concat(IdxTestFiles.Header(typeCode, 1), new byte[] { 0 }), gzip);
        AssertInvalid(path, $"unknown type code 0x{typeCode:X2} (IDX knows 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64)");
    }

    [Fact]
    public void ZeroDimensionsAreRejected()
    {
        AssertInvalid(_files.Write("rank0.idx", new byte[] { 0, 0, 8, 0, 5 }), "the header declares 0 dimensions");
    }

    [Theory]
    [InlineData(false, -3)]
    [InlineData(true, -3)]
    [InlineData(false, 0)]
    [InlineData(false, int.MinValue)]
    public void NonPositiveDimensionIsRejected(bool gzip, int bad)
    {
        string path = _files.Write("negative.idx", IdxTestFiles.UByte(new[] { 2, bad }, new byte[6]), gzip);
        AssertInvalid(path, $"dimension 1 is {bad}; every dimension must be positive");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OverflowingDimensionsAreRejectedBeforeAllocating(bool gzip)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();

        string path = _files.Write("huge.idx", IdxTestFiles.Header(0x08, 65536, 65536), gzip);
        AssertInvalid(path, $"the dimensions 65536 × 65536 of ubyte would take more than {Array.MaxLength} bytes, more than this reader accepts");

        // The product of these overflows even a long; the check must stop at the first step past the limit.
        path = _files.Write("huger.idx", IdxTestFiles.Header(0x0E, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue), gzip);
        AssertInvalid(path, $"the dimensions {int.MaxValue} × {int.MaxValue} × {int.MaxValue} × {int.MaxValue} of float64 would take more than {Array.MaxLength} bytes, more than this reader accepts");

        path = _files.Write("doubles.idx", IdxTestFiles.Header(0x0E, 300_000_000), gzip); // 2.4 GB of float64
        AssertInvalid(path, $"the dimensions 300000000 of float64 would take more than {Array.MaxLength} bytes, more than this reader accepts");

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a rejected header must not allocate its data");
    }

    [Fact]
    public void LyingHeaderOnAShortRawFileDoesNotAllocateWhatItClaims()
    {
        // Claims 2 GB minus a little of data, holds 10 bytes.
        string path = _files.Write("liar.idx", IdxTestFiles.UByte(new[] { 2_000_000_000 }, new byte[10]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(path, "data shorter than the dimensions say: 2000000000 ubyte need 2000000000 bytes after the header, the file has 10");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader sized a buffer from the header's claim");
    }

    /// <summary>
    /// Issue 18: a gzip file's header may claim at most MaxGzipRatio (1032, deflate's largest expansion) times the
    /// file's size; more is rejected, naming the claim and the file, before anything of that size is allocated.
    /// </summary>
    [Theory]
    [InlineData(2_000_000_000)]
    [InlineData(100_000)]
    public void GzipHeaderClaimingMoreThanDeflateCanExpandIsRejectedWithoutAllocating(int claimed)
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { claimed }, new byte[10]));
        string path = _files.Write("liar.idx.gz", gz);
        long before = GC.GetAllocatedBytesForCurrentThread();
        AssertInvalid(path, $"the header claims {claimed} ubyte, {claimed + 8L} bytes after gunzip, more than a {gz.Length}-byte gzip file " +
                            $"can hold (1032 × its size, {1032L * gz.Length} bytes)");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader sized a buffer from the header's claim");
    }

    /// <summary>A claim within the ratio but longer than the data is still "data shorter", after gunzip.</summary>
    [Fact]
    public void GzipHeaderWithinTheRatioOnShortDataIsDataShorter()
    {
        string path = _files.Write("short.idx.gz", IdxTestFiles.UByte(new[] { 20_000 }, new byte[10]), gzip: true);
        AssertInvalid(path, "data shorter than the dimensions say: 20000 ubyte need 20000 bytes after the header, the file has 10 (after gunzip)");
    }

    /// <summary>
    /// Issue 18: gzip decoding allocates the decoded size once, from the header (it peaked at 2.1× with a doubling
    /// buffer): 21 MB of data compress to about 20 KB and allocate at most 1.3 × 21 MB + 1 MB while read.
    /// </summary>
    [Fact]
    public void GzipDecodingAllocatesTheDecodedSizeOnce()
    {
        const int images = 3000, side = 7000 / 3 * 3; // 21 MB, not a power of two times the first buffer
        var content = new byte[images * side];
        for (int i = 0; i < content.Length; i += 997) content[i] = (byte)i;
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { images, side }, content));
        string path = _files.Write("big.idx.gz", gz);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var idx = IdxFile.Read(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(content, idx.Data);
        Assert.True(allocated <= 1.3 * content.Length + (1 << 20),
            $"reading {content.Length} bytes from a {gz.Length}-byte gzip file allocated {allocated} bytes ({(double)allocated / content.Length:F2}×)");
    }

    [Fact]
    public void ADirectoryIsSaidToBeADirectory()
    {
        var e = Assert.Throws<IOException>(() => IdxFile.Read(_files.Directory));
        Assert.Equal($"{_files.Directory} is a directory, not an IDX file.", e.Message);
    }

    [Fact]
    public void CorruptDeflateDataIsACorruptGzipStream()
    {
        var content = new byte[4000];
        new Random(5).NextBytes(content);
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 4000 }, content));
        // Random bytes do not compress: the deflate data is stored blocks. Break the first block's header (byte 10,
        // after the 10-byte gzip header) to a reserved block type (BTYPE = 11).
        gz[10] |= 0b110;
        string path = _files.Write("corrupt.idx.gz", gz);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith($"{path}: the gzip stream is corrupt (", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void WrongGzipChecksumIsACorruptGzipStream()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 2, 2 }, new byte[] { 1, 2, 3, 4 }));
        gz[^8] ^= 0xFF; // the CRC-32 of the trailer
        string path = _files.Write("crc.idx.gz", gz);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith($"{path}: the gzip stream is corrupt (", e.Message);
    }

    [Fact]
    public void CutGzipStreamIsRejected()
    {
        var content = new byte[1000];
        new Random(6).NextBytes(content);
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 1000 }, content));
        string path = _files.Write("cut.idx.gz", gz.AsSpan(0, gz.Length / 2).ToArray());

        // Either the gzip layer notices the missing end or the IDX layer the missing bytes; both name the file.
        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.True(e.Message.Contains("the gzip stream is corrupt") || e.Message.Contains("data shorter than the dimensions say"), e.Message);
    }

    [Fact]
    public void GzipMagicAloneIsACorruptGzipStream()
    {
        AssertInvalid(_files.Write("magic-only.gz", new byte[] { 0x1F, 0x8B }),
            "the gzip stream is corrupt (the file has 2 bytes, the smallest gzip file 20)");
    }

    [Fact]
    public void MissingGzipTrailerIsACorruptGzipStream()
    {
        // The deflate data is complete, so GZipStream itself returns all of it; only the trailer is gone.
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 4 }, new byte[] { 1, 2, 3, 4 }));
        byte[] cut = gz.AsSpan(0, gz.Length - 4).ToArray();
        uint last4 = BinaryPrimitives.ReadUInt32LittleEndian(cut.AsSpan(cut.Length - 4));
        string path = _files.Write("no-trailer.idx.gz", cut);
        AssertInvalid(path, $"the gzip stream is corrupt (its last 4 bytes should be the trailer's length field, 12, but are {last4}: " +
                            "the file is cut short or has bytes after the gzip data)");
    }

    [Fact]
    public void BytesAfterTheGzipDataAreACorruptGzipStream()
    {
        byte[] gz = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 4 }, new byte[] { 1, 2, 3, 4 }));
        string path = _files.Write("junk.idx.gz", IdxTestFiles.Concat(gz, new byte[] { 0, 1, 0, 0 }));
        AssertInvalid(path, "the gzip stream is corrupt (its last 4 bytes should be the trailer's length field, 12, but are 256: " +
                            "the file is cut short or has bytes after the gzip data)");
    }

    [Fact]
    public void TwoGzipMembersHoldingTwoArraysAreTrailingBytes()
    {
        byte[] one = IdxTestFiles.Gzip(IdxTestFiles.UByte(new[] { 4 }, new byte[] { 1, 2, 3, 4 }));
        string path = _files.Write("two.idx.gz", IdxTestFiles.Concat(one, one));
        AssertInvalid(path, "trailing bytes after the data: 4 ubyte take 4 bytes after the header, the file has 16 (after gunzip)");
    }

    [Fact]
    public void WholeGzipStreamReadsAndTheRawCopyReadsTheSame()
    {
        var content = new byte[3 * 5 * 7];
        new Random(7).NextBytes(content);
        byte[] idx = IdxTestFiles.UByte(new[] { 3, 5, 7 }, content);
        var raw = IdxFile.Read(_files.Write("a.idx", idx));
        var gz = IdxFile.Read(_files.Write("a.idx.gz", idx, gzip: true));
        Assert.Equal(raw.Dimensions, gz.Dimensions);
        Assert.Equal(content, raw.Data);
        Assert.Equal(content, gz.Data);
    }
}
