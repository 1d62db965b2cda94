// Shared source: compiled into the runtime library and into the generator (see generator csproj), so that an ONNX file
// compiled in at build time is read by the same code as OnnxModel.Load at run time.
// A minimal reader of the protobuf wire format, enough for the ~10 messages of onnx.proto NetCompiler reads. Why not
// Google.Protobuf: inside the compiler it would be a dependency loaded next to other analyzers that may ship another
// version of it (an analyzer load conflict), and it would add to the package, for a format this small (the sizes are in
// bench/RESULTS.md, "Imported from PyTorch": Google.Protobuf's assembly is 8× all of the import). Every length is
// checked against the bytes that remain before anything is allocated or read, and nesting is limited, so any input
// ends in a result or an OnnxFormatException, quickly.
// Keep it netstandard2.0-clean: no records, init accessors or generic math.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using NetCompiler.Serialization;

namespace NetCompiler.Onnx;

/// <summary>Malformed protobuf bytes: the message says what was wrong and at which byte offset.</summary>
internal sealed class OnnxFormatException : Exception
{
    public OnnxFormatException(string message, int offset)
        : base(message + " (at byte " + offset.ToString(CultureInfo.InvariantCulture) + ")") => Offset = offset;

    /// <summary>The byte offset in the file where reading failed.</summary>
    public int Offset { get; }
}

/// <summary>The wire types of protobuf (groups, 3 and 4, are not read).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Reads one protobuf message: <c>bytes[start, end)</c>. <see cref="Next"/> reads a field's tag; then exactly one of the
/// Read methods, or <see cref="Skip"/>, reads its value.
/// </summary>
internal sealed class ProtoReader
{
    /// <summary>The deepest nesting of messages read (ONNX's deepest path NetCompiler reads is 6).</summary>
    public const int MaxDepth = 32;

    private readonly byte[] _bytes;
    private readonly int _end;
    private readonly int _depth;
    private int _position;

    public ProtoReader(byte[] bytes) : this(bytes, 0, bytes.Length, 0)
    {
    }

    private ProtoReader(byte[] bytes, int start, int end, int depth)
    {
        _bytes = bytes;
        _position = start;
        _end = end;
        _depth = depth;
    }

    /// <summary>The offset of the next byte to read, in the whole file.</summary>
    public int Position => _position;

    /// <summary>The field number and wire type of the next field, or false at the end of the message.</summary>
    public bool Next(out int field, out WireType wireType)
    {
        field = 0;
        wireType = WireType.Varint;
        if (_position >= _end) return false;
        int at = _position;
        ulong tag = ReadVarint();
        if (tag >> 3 == 0 || tag >> 3 > 536870911) throw new OnnxFormatException("field number " + (tag >> 3) + " is not valid", at);
        field = (int)(tag >> 3);
        wireType = (WireType)(tag & 7);
        if (wireType > WireType.Fixed32)
            throw new OnnxFormatException("wire type " + (int)wireType + " does not exist (field " + field + ")", at);
        if (wireType == WireType.StartGroup || wireType == WireType.EndGroup)
            throw new OnnxFormatException("field " + field + " is a group (wire type " + (int)wireType + "), which ONNX never uses", at);
        return true;
    }

    /// <summary>A varint of at most 10 bytes.</summary>
    public ulong ReadVarint()
    {
        int at = _position;
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _end) throw new OnnxFormatException("the data ends inside a varint", at);
            byte b = _bytes[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new OnnxFormatException("a varint is longer than 10 bytes", at);
    }

    public long ReadInt64() => (long)ReadVarint();

    /// <summary>An int32 field, as protobuf does: the low 32 bits of the varint.</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    public float ReadFloat() => SafeTensorsFormat.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(Take(4)));

    public double ReadDouble() => BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(Take(8)));

    /// <summary>A length-delimited field's bytes, as (offset in the file, length).</summary>
    public ByteRange ReadBytes()
    {
        int at = _position;
        ulong length = ReadVarint();
        if (length > (ulong)(_end - _position))
            throw new OnnxFormatException("a length of " + length + " bytes runs past the end of its message (" + (_end - _position) + " bytes left)", at);
        var range = new ByteRange(_position, (int)length);
        _position += (int)length;
        return range;
    }

    /// <summary>A string field (UTF-8; invalid sequences become U+FFFD, as a name only needs to be shown).</summary>
    public string ReadString()
    {
        ByteRange range = ReadBytes();
        return Encoding.UTF8.GetString(_bytes, range.Start, range.Length);
    }

    /// <summary>An embedded message, as a reader of its own.</summary>
    public ProtoReader ReadMessage()
    {
        int at = _position;
        if (_depth + 1 > MaxDepth) throw new OnnxFormatException("messages are nested more than " + MaxDepth + " deep", at);
        ByteRange range = ReadBytes();
        return new ProtoReader(_bytes, range.Start, range.Start + range.Length, _depth + 1);
    }

    /// <summary>Skips the value of a field of <paramref name="wireType"/> (an unknown field).</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.Fixed32: Take(4); break;
            default: ReadBytes(); break;
        }
    }

    /// <summary>A repeated int64 field: one varint, or a packed run of them.</summary>
    public void ReadInt64s(WireType wireType, List<long> values) => ReadRepeated(wireType, WireType.Varint, values, r => r.ReadInt64());

    /// <summary>A repeated int32 field: one varint, or a packed run of them.</summary>
    public void ReadInt32s(WireType wireType, List<int> values) => ReadRepeated(wireType, WireType.Varint, values, r => r.ReadInt32());

    /// <summary>A repeated float field: one fixed32, or a packed run of them.</summary>
    public void ReadFloats(WireType wireType, List<float> values) => ReadRepeated(wireType, WireType.Fixed32, values, r => r.ReadFloat());

    /// <summary>A repeated double field: one fixed64, or a packed run of them.</summary>
    public void ReadDoubles(WireType wireType, List<double> values) => ReadRepeated(wireType, WireType.Fixed64, values, r => r.ReadDouble());

    /// <summary>A repeated field of scalars: one value of wire type <paramref name="single"/>, or a packed run of them (a length-delimited field).</summary>
    private void ReadRepeated<T>(WireType wireType, WireType single, List<T> values, Func<ProtoReader, T> read)
    {
        if (wireType == single)
        {
            values.Add(read(this));
            return;
        }
        Expect(wireType, WireType.LengthDelimited, "a value of wire type " + (int)single + " or a packed run of them");
        ByteRange range = ReadBytes();
        var packed = new ProtoReader(_bytes, range.Start, range.Start + range.Length, _depth);
        while (packed._position < packed._end) values.Add(read(packed));
    }

    /// <summary>Checks that a known field has the wire type its declaration gives it.</summary>
    private void Expect(WireType actual, WireType expected, string what)
    {
        if (actual != expected)
            throw new OnnxFormatException("expected " + what + " (wire type " + (int)expected + "), found wire type " + (int)actual, _position);
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_end - _position < count)
            throw new OnnxFormatException("the data ends inside a " + count + "-byte value", _position);
        var span = new ReadOnlySpan<byte>(_bytes, _position, count);
        _position += count;
        return span;
    }
}

/// <summary>A range of a file's bytes: where a length-delimited value (raw tensor data) is, without copying it.</summary>
internal readonly struct ByteRange
{
    public ByteRange(int start, int length)
    {
        Start = start;
        Length = length;
    }

    public int Start { get; }

    public int Length { get; }
}
