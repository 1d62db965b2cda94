// A minimal writer of the protobuf wire format for the ONNX exporter (OnnxWriter): tags, varints, fixed-width numbers,
// strings, bytes and embedded messages, into a growing buffer. The runtime has no Google.Protobuf dependency for the
// few messages of onnx.proto it writes; ProtoReader is the reading half.
using System;
using System.Buffers.Binary;
using System.Text;

namespace NetCompiler.Onnx;

/// <summary>Writes the fields of one protobuf message; an embedded message is another writer, copied in with its length.</summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer = new byte[64];
    private int _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _length);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Tag(int field, WireType wireType) => RawVarint(((ulong)field << 3) | (uint)wireType);

    /// <summary>An int64, int32 or enum field (negative values take 10 bytes, as protobuf writes them).</summary>
    public void Varint(int field, long value)
    {
        Tag(field, WireType.Varint);
        RawVarint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        BinaryPrimitives.WriteInt32LittleEndian(Grow(4), BitConverter.SingleToInt32Bits(value));
    }

    public void Double(int field, double value)
    {
        Tag(field, WireType.Fixed64);
        BinaryPrimitives.WriteInt64LittleEndian(Grow(8), BitConverter.DoubleToInt64Bits(value));
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        RawVarint((ulong)value.Length);
        RawBytes(value);
    }

    public void Message(int field, ProtoWriter message) => Bytes(field, message.WrittenSpan);

    public void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            Grow(1)[0] = (byte)(value | 0x80);
            value >>= 7;
        }
        Grow(1)[0] = (byte)value;
    }

    public void RawBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grow(bytes.Length));

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        var span = new Span<byte>(_buffer, _length, count);
        _length += count;
        return span;
    }
}
