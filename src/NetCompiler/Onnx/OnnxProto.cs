// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) that the importer reads, as plain classes, and the
// code that reads them from the wire format with ProtoReader. Field numbers are onnx.proto's; fields not listed are
// skipped. Tensor data stays in the file's bytes until a tensor's values are asked for, and then its length is checked
// against its dims before anything is allocated.
// Keep it netstandard2.0-clean: no records, init accessors or generic math.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using NetCompiler.Serialization;

namespace NetCompiler.Onnx;

/// <summary>ModelProto: ir_version = 1, graph = 7, opset_import = 8, metadata_props = 14.</summary>
internal sealed class ModelProto
{
    public long IrVersion;
    public readonly List<OperatorSetIdProto> OpsetImports = new();
    public GraphProto? Graph;
    public readonly List<KeyValuePair<string, string>> Metadata = new();
}

/// <summary>OperatorSetIdProto: domain = 1, version = 2.</summary>
internal sealed class OperatorSetIdProto
{
    public string Domain = "";
    public long Version;
}

/// <summary>GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.</summary>
internal sealed class GraphProto
{
    public string Name = "";
    public readonly List<NodeProto> Nodes = new();
    public readonly List<TensorProto> Initializers = new();
    public readonly List<ValueInfoProto> Inputs = new();
    public readonly List<ValueInfoProto> Outputs = new();
}

/// <summary>NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7.</summary>
internal sealed class NodeProto
{
    public readonly List<string> Inputs = new();
    public readonly List<string> Outputs = new();
    public string Name = "";
    public string OpType = "";
    public string Domain = "";
    public readonly List<AttributeProto> Attributes = new();

    /// <summary>The last attribute called <paramref name="name"/>, or null.</summary>
    public AttributeProto? Attribute(string name)
    {
        for (int i = Attributes.Count - 1; i >= 0; i--)
            if (Attributes[i].Name == name) return Attributes[i];
        return null;
    }
}

/// <summary>AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, type = 20.</summary>
internal sealed class AttributeProto
{
    public const int FloatType = 1, IntType = 2, StringType = 3, TensorType = 4, FloatsType = 6, IntsType = 7;

    public string Name = "";
    public int Type;
    public float F;
    public long I;
    public string S = "";
    public TensorProto? T;
    public readonly List<float> Floats = new();
    public readonly List<long> Ints = new();
}

/// <summary>
/// TensorProto: dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9,
/// double_data = 10, data_location = 14.
/// </summary>
internal sealed class TensorProto
{
    public const int Float = 1, Int32 = 6, Int64 = 7, Float16 = 10, Double = 11, BFloat16 = 16;
    public const int ExternalLocation = 1;

    /// <summary>The most elements a tensor may declare (the dims are checked against the data before any allocation).</summary>
    public const long MaxElements = int.MaxValue / 8;

    public string Name = "";
    public readonly List<long> Dims = new();
    public int DataType;
    public int DataLocation;
    public readonly List<float> FloatData = new();
    public readonly List<int> Int32Data = new();
    public readonly List<long> Int64Data = new();
    public readonly List<double> DoubleData = new();
    public byte[]? File;      // the whole file, when raw_data is present
    public ByteRange RawData;
    public bool HasRawData;

    /// <summary>The product of the dims, or −1 (with <paramref name="error"/>) when a dim is negative or the product too large.</summary>
    public long ElementCount(out string error)
    {
        error = "";
        long count = 1;
        foreach (long d in Dims)
        {
            if (d < 0 || (d > 0 && count > MaxElements / d))
            {
                error = "its shape " + DimsText(Dims) + " is " + (d < 0 ? "negative" : "too large");
                return -1;
            }
            count *= d;
        }
        return count;
    }

    /// <summary>The values of a FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT32 or INT64 tensor as doubles (exactly, but for int64 beyond 2⁵³), or null with <paramref name="error"/>.</summary>
    public double[]? Values(out string error)
    {
        long count = ElementCount(out error);
        if (count < 0) return null;
        if (DataLocation == ExternalLocation)
        {
            error = "its data is stored in an external file, which is not supported (save the model with its weights inside it)";
            return null;
        }
        int size = ElementSize(DataType);
        if (size == 0)
        {
            error = "its data type " + DataTypeName(DataType) + " is not supported (FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT32 and INT64 are)";
            return null;
        }
        int stored = HasRawData ? RawData.Length / size
            : DataType == Float ? FloatData.Count
            : DataType == Double ? DoubleData.Count
            : DataType == Int64 ? Int64Data.Count
            : Int32Data.Count; // INT32, FLOAT16 and BFLOAT16 are stored in int32_data
        if ((HasRawData && RawData.Length != count * size) || stored != count)
        {
            error = "its shape " + DimsText(Dims) + " needs " + count + " values but it holds "
                + (HasRawData ? RawData.Length + " bytes of " + DataTypeName(DataType) : stored + " values");
            return null;
        }
        var values = new double[count];
        if (HasRawData)
        {
            var raw = new ReadOnlySpan<byte>(File!, RawData.Start, RawData.Length);
            for (int i = 0; i < values.Length; i++) values[i] = RawElement(raw.Slice(i * size, size));
        }
        else
            for (int i = 0; i < values.Length; i++)
                values[i] = DataType switch
                {
                    Float => FloatData[i],
                    Double => DoubleData[i],
                    Int64 => Int64Data[i],
                    Float16 => SafeTensorsFormat.HalfToSingle(unchecked((ushort)Int32Data[i])),
                    BFloat16 => SafeTensorsFormat.BFloat16ToSingle(unchecked((ushort)Int32Data[i])),
                    _ => Int32Data[i],
                };
        return values;
    }

    /// <summary>The values of an INT64 or INT32 tensor (shapes, pads, axes), or null with <paramref name="error"/>.</summary>
    public long[]? Integers(out string error)
    {
        if (DataType != Int64 && DataType != Int32)
        {
            error = "it is " + DataTypeName(DataType) + ", not INT64";
            return null;
        }
        long count = ElementCount(out error);
        if (count < 0) return null;
        if (!HasRawData && DataType == Int64)
        {
            if (Int64Data.Count != count)
            {
                error = "its shape " + DimsText(Dims) + " needs " + count + " values but it holds " + Int64Data.Count;
                return null;
            }
            return Int64Data.ToArray(); // exact beyond 2⁵³, unlike Values
        }
        double[]? values = Values(out error);
        if (values is null) return null;
        var result = new long[values.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (long)values[i];
        return result;
    }

    private double RawElement(ReadOnlySpan<byte> bytes) => DataType switch
    {
        Float => SafeTensorsFormat.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(bytes)),
        Double => BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(bytes)),
        Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        Float16 => SafeTensorsFormat.HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes)),
        _ => SafeTensorsFormat.BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes)),
    };

    private static int ElementSize(int dataType) => dataType switch
    {
        Float or Int32 => 4,
        Double or Int64 => 8,
        Float16 or BFloat16 => 2,
        _ => 0,
    };

    /// <summary>"FLOAT", "INT64", … or "data type 9".</summary>
    public static string DataTypeName(int dataType) => dataType switch
    {
        Float => "FLOAT",
        Int32 => "INT32",
        Int64 => "INT64",
        Float16 => "FLOAT16",
        Double => "DOUBLE",
        BFloat16 => "BFLOAT16",
        _ => "data type " + dataType.ToString(CultureInfo.InvariantCulture),
    };

    public static string DimsText(IReadOnlyList<long> dims)
    {
        var parts = new string[dims.Count];
        for (int i = 0; i < parts.Length; i++) parts[i] = dims[i].ToString(CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }
}

/// <summary>ValueInfoProto (name = 1, type = 2) with its TypeProto.tensor_type (1): elem_type = 1, shape = 2.</summary>
internal sealed class ValueInfoProto
{
    public string Name = "";
    public int ElemType;
    public bool HasShape;
    public readonly List<DimensionProto> Dims = new();
}

/// <summary>TensorShapeProto.Dimension: dim_value = 1, dim_param = 2 (a symbolic dimension); neither: unknown.</summary>
internal sealed class DimensionProto
{
    public bool HasValue;
    public long Value;
    public string? Param;
}

/// <summary>Reads the messages above.</summary>
internal static class OnnxProto
{
    /// <summary>Reads a ModelProto from a whole file.</summary>
    /// <exception cref="OnnxFormatException">The bytes are not a well-formed protobuf message.</exception>
    public static ModelProto ReadModel(byte[] bytes)
    {
        if (bytes is null) throw new ArgumentNullException(nameof(bytes));
        var model = new ModelProto();
        var reader = new ProtoReader(bytes);
        while (reader.Next(out int field, out WireType wire))
        {
            switch (field)
            {
                case 1 when wire == WireType.Varint: model.IrVersion = reader.ReadInt64(); break;
                case 7 when wire == WireType.LengthDelimited: model.Graph = ReadGraph(reader.ReadMessage(), bytes); break;
                case 8 when wire == WireType.LengthDelimited: model.OpsetImports.Add(ReadOpset(reader.ReadMessage())); break;
                case 14 when wire == WireType.LengthDelimited: model.Metadata.Add(ReadEntry(reader.ReadMessage())); break;
                default: reader.Skip(wire); break;
            }
        }
        return model;
    }

    private static OperatorSetIdProto ReadOpset(ProtoReader reader)
    {
        var opset = new OperatorSetIdProto();
        while (reader.Next(out int field, out WireType wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) opset.Domain = reader.ReadString();
            else if (field == 2 && wire == WireType.Varint) opset.Version = reader.ReadInt64();
            else reader.Skip(wire);
        }
        return opset;
    }

    private static KeyValuePair<string, string> ReadEntry(ProtoReader reader)
    {
        string key = "", value = "";
        while (reader.Next(out int field, out WireType wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) key = reader.ReadString();
            else if (field == 2 && wire == WireType.LengthDelimited) value = reader.ReadString();
            else reader.Skip(wire);
        }
        return new KeyValuePair<string, string>(key, value);
    }

    private static GraphProto ReadGraph(ProtoReader reader, byte[] bytes)
    {
        var graph = new GraphProto();
        while (reader.Next(out int field, out WireType wire))
        {
            if (wire != WireType.LengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }
            switch (field)
            {
                case 1: graph.Nodes.Add(ReadNode(reader.ReadMessage(), bytes)); break;
                case 2: graph.Name = reader.ReadString(); break;
                case 5: graph.Initializers.Add(ReadTensor(reader.ReadMessage(), bytes)); break;
                case 11: graph.Inputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                case 12: graph.Outputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                default: reader.Skip(wire); break;
            }
        }
        return graph;
    }

    private static NodeProto ReadNode(ProtoReader reader, byte[] bytes)
    {
        var node = new NodeProto();
        while (reader.Next(out int field, out WireType wire))
        {
            if (wire != WireType.LengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }
            switch (field)
            {
                case 1: node.Inputs.Add(reader.ReadString()); break;
                case 2: node.Outputs.Add(reader.ReadString()); break;
                case 3: node.Name = reader.ReadString(); break;
                case 4: node.OpType = reader.ReadString(); break;
                case 5: node.Attributes.Add(ReadAttribute(reader.ReadMessage(), bytes)); break;
                case 7: node.Domain = reader.ReadString(); break;
                default: reader.Skip(wire); break;
            }
        }
        return node;
    }

    private static AttributeProto ReadAttribute(ProtoReader reader, byte[] bytes)
    {
        var attribute = new AttributeProto();
        while (reader.Next(out int field, out WireType wire))
        {
            switch (field)
            {
                case 1 when wire == WireType.LengthDelimited: attribute.Name = reader.ReadString(); break;
                case 2 when wire == WireType.Fixed32: attribute.F = reader.ReadFloat(); break;
                case 3 when wire == WireType.Varint: attribute.I = reader.ReadInt64(); break;
                case 4 when wire == WireType.LengthDelimited: attribute.S = reader.ReadString(); break;
                case 5 when wire == WireType.LengthDelimited: attribute.T = ReadTensor(reader.ReadMessage(), bytes); break;
                case 7: reader.ReadFloats(wire, attribute.Floats); break;
                case 8: reader.ReadInt64s(wire, attribute.Ints); break;
                case 20 when wire == WireType.Varint: attribute.Type = reader.ReadInt32(); break;
                default: reader.Skip(wire); break;
            }
        }
        return attribute;
    }

    private static TensorProto ReadTensor(ProtoReader reader, byte[] bytes)
    {
        var tensor = new TensorProto();
        while (reader.Next(out int field, out WireType wire))
        {
            switch (field)
            {
                case 1: reader.ReadInt64s(wire, tensor.Dims); break;
                case 2 when wire == WireType.Varint: tensor.DataType = reader.ReadInt32(); break;
                case 4: reader.ReadFloats(wire, tensor.FloatData); break;
                case 5: reader.ReadInt32s(wire, tensor.Int32Data); break;
                case 7: reader.ReadInt64s(wire, tensor.Int64Data); break;
                case 8 when wire == WireType.LengthDelimited: tensor.Name = reader.ReadString(); break;
                case 9 when wire == WireType.LengthDelimited:
                    tensor.RawData = reader.ReadBytes();
                    tensor.HasRawData = true;
                    tensor.File = bytes;
                    break;
                case 10: reader.ReadDoubles(wire, tensor.DoubleData); break;
                case 14 when wire == WireType.Varint: tensor.DataLocation = reader.ReadInt32(); break;
                default: reader.Skip(wire); break;
            }
        }
        return tensor;
    }

    private static ValueInfoProto ReadValueInfo(ProtoReader reader)
    {
        var info = new ValueInfoProto();
        while (reader.Next(out int field, out WireType wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) info.Name = reader.ReadString();
            else if (field == 2 && wire == WireType.LengthDelimited) ReadType(reader.ReadMessage(), info);
            else reader.Skip(wire);
        }
        return info;
    }

    /// <summary>TypeProto: tensor_type = 1 → TypeProto.Tensor: elem_type = 1, shape = 2 → TensorShapeProto: dim = 1.</summary>
    private static void ReadType(ProtoReader reader, ValueInfoProto info)
    {
        while (reader.Next(out int field, out WireType wire))
        {
            if (field != 1 || wire != WireType.LengthDelimited)
            {
                reader.Skip(wire);
                continue;
            }
            ProtoReader tensor = reader.ReadMessage();
            while (tensor.Next(out int tensorField, out WireType tensorWire))
            {
                if (tensorField == 1 && tensorWire == WireType.Varint) info.ElemType = tensor.ReadInt32();
                else if (tensorField == 2 && tensorWire == WireType.LengthDelimited)
                {
                    info.HasShape = true;
                    info.Dims.Clear();
                    ProtoReader shape = tensor.ReadMessage();
                    while (shape.Next(out int shapeField, out WireType shapeWire))
                    {
                        if (shapeField == 1 && shapeWire == WireType.LengthDelimited) info.Dims.Add(ReadDimension(shape.ReadMessage()));
                        else shape.Skip(shapeWire);
                    }
                }
                else tensor.Skip(tensorWire);
            }
        }
    }

    private static DimensionProto ReadDimension(ProtoReader reader)
    {
        var dimension = new DimensionProto();
        while (reader.Next(out int field, out WireType wire))
        {
            if (field == 1 && wire == WireType.Varint)
            {
                dimension.HasValue = true;
                dimension.Value = reader.ReadInt64();
                dimension.Param = null;
            }
            else if (field == 2 && wire == WireType.LengthDelimited)
            {
                dimension.Param = reader.ReadString();
                dimension.HasValue = false;
            }
            else reader.Skip(wire);
        }
        return dimension;
    }
}
