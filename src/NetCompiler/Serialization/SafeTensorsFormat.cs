// Shared source: compiled into the runtime library and into the generator (see generator csproj), so that weights
// compiled into an assembly at build time pass the same checks as SafeTensors.Load: the header, the data offsets, the
// tensors a topology is stored as, the match between the two, and the conversion of the data to float or double.
// Keep it netstandard2.0-clean: no System.Text.Json, generic math, records or init accessors.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;

namespace NetCompiler.Serialization;

/// <summary>The safetensors format as NetCompiler reads it. Malformed files are a <see cref="SafeTensorsException"/>;
/// files that are well formed but do not fit the network are a list of <see cref="SafeTensorsMismatch"/>.</summary>
internal static class SafeTensorsFormat
{
    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    // ---------------------------------------------------------------------------------------------------------------
    // The tensors of a topology.

    /// <summary>One tensor of a network's file and where its values are in the parameter buffer.</summary>
    public sealed class TensorPlan
    {
        public string Name = "";
        public int[] Shape = new int[0];
        public LayerShape Layer = null!;
        public bool Kernels;     // a convolution's weights with a connection table: full tensor, zeros for absent kernels
        public int Offset;       // otherwise: the tensor is theta[Offset .. Offset + Count) in row-major order
        public int Count;
        public int KernelVolume; // Kernels: k or k·k
    }

    /// <summary>The tensors a network of <paramref name="topology"/> is stored as, in file order.</summary>
    /// <exception cref="ArgumentException">Two tensors would get the same name.</exception>
    public static List<TensorPlan> Plan(NetworkTopology topology)
    {
        if (topology is null) throw new ArgumentNullException(nameof(topology));
        var plan = new List<TensorPlan>();
        foreach (LayerShape layer in topology.Layers)
        {
            if (layer.ParameterCount == 0) continue;
            string name = LayerName(topology, layer.Number);
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    for (int s = 0; s < layer.Sources.Count; s++)
                    {
                        int size = layer.SourceShapes[s].Size;
                        string weight = layer.Sources.Count == 1 ? name + ".weight" : name + ".weight." + LayerName(topology, layer.Sources[s]);
                        plan.Add(Contiguous(weight, layer, layer.SourceWeightOffset(s), layer.Outputs, size));
                    }
                    break;
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                {
                    int filters = layer.Shape.Channels, channels = layer.SourceShapes[0].Channels, k = layer.KernelSize;
                    int[] shape = layer.Kind == LayerKind.Conv2D ? new[] { filters, channels, k, k } : new[] { filters, channels, k };
                    if (((ConvLayer)layer.Spec).Connections is not null)
                        plan.Add(new TensorPlan
                        {
                            Name = name + ".weight", Shape = shape, Layer = layer, Kernels = true,
                            KernelVolume = layer.Window.KernelVolume,
                        });
                    else
                        plan.Add(Contiguous(name + ".weight", layer, layer.WeightOffset, shape));
                    break;
                }
                default: // trainable AvgPool
                    plan.Add(Contiguous(name + ".coefficient", layer, layer.WeightOffset, layer.WeightCount));
                    break;
            }
            plan.Add(Contiguous(name + ".bias", layer, layer.BiasOffset, layer.BiasCount));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorPlan tensor in plan)
            if (!seen.Add(tensor.Name))
                throw new ArgumentException(
                    "Two tensors of this network would both be named '" + tensor.Name + "' in a safetensors file; rename a layer.", nameof(topology));
        return plan;
    }

    private static TensorPlan Contiguous(string name, LayerShape layer, int offset, params int[] shape)
    {
        int count = 1;
        foreach (int d in shape) count *= d;
        return new TensorPlan { Name = name, Shape = shape, Layer = layer, Offset = offset, Count = count };
    }

    private static string LayerName(NetworkTopology topology, int number) =>
        number == 0 ? NetworkTopology.InputName
        : topology.Layers[number - 1].Name ?? "layer" + number.ToString(CultureInfo.InvariantCulture);

    public static string ShapeText(IReadOnlyList<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    public static string ShapeText(IReadOnlyList<int> shape) => ShapeText(shape.Select(d => (long)d).ToArray());

    // ---------------------------------------------------------------------------------------------------------------
    // The header.

    /// <summary>One tensor of a file's header.</summary>
    public sealed class TensorEntry
    {
        public string Name = "";
        public string DType = "";
        public long[] Shape = new long[0];
        public long Begin, End; // data offsets, relative to the data buffer
    }

    /// <summary>A file's header, checked against the file's length.</summary>
    public sealed class Header
    {
        public long Length;       // N: the header's bytes, after the 8-byte length
        public long BufferLength; // the bytes after the header
        public readonly List<TensorEntry> Tensors = new(); // in header order
        public readonly Dictionary<string, TensorEntry> ByName = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Metadata = new(StringComparer.Ordinal);
    }

    /// <summary>Checks the header length in the first 8 bytes of a file of <paramref name="fileLength"/> bytes and returns it.</summary>
    public static int HeaderLength(string path, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new SafeTensorsException(path, "the file is truncated: " + fileLength + " bytes, shorter than the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > (ulong)(fileLength - 8))
            throw new SafeTensorsException(path,
                "the header length " + n + " exceeds the " + (fileLength - 8) + " bytes that follow it (truncated or not a safetensors file).");
        if (n > MaxHeaderLength)
            throw new SafeTensorsException(path, "the header length " + n + " exceeds the limit of " + MaxHeaderLength + " bytes.");
        if (n < 2)
            throw new SafeTensorsException(path, "the header length " + n + " is too short for a JSON object.");
        return (int)n;
    }

    /// <summary>Reads and checks the header of a whole file and its data offsets: everything that does not depend on the network.</summary>
    public static Header ReadHeader(string path, byte[] file)
    {
        int n = HeaderLength(path, file, file.Length);
        return ParseHeader(path, file, 8, n, file.Length - 8L - n);
    }

    /// <summary>
    /// Parses the header text <paramref name="bytes"/>[<paramref name="start"/>, +<paramref name="length"/>) and checks
    /// its data offsets against a data buffer of <paramref name="bufferLength"/> bytes.
    /// </summary>
    public static Header ParseHeader(string path, byte[] bytes, int start, int length, long bufferLength)
    {
        if (!IsValidUtf8(bytes, start, start + length)) throw new SafeTensorsException(path, "the header is not valid UTF-8.");
        if (bytes[start] != (byte)'{') throw new SafeTensorsException(path, "the header does not start with '{'.");
        JsonValue root = SafeTensorsJson.Parse(path, bytes, start, length);
        var header = new Header { Length = length, BufferLength = bufferLength };
        bool sawMetadata = false;
        foreach (KeyValuePair<string, JsonValue> property in root.Members!)
        {
            string key = property.Key;
            if (key == MetadataKey)
            {
                if (sawMetadata) throw new SafeTensorsException(path, "the header has \"" + MetadataKey + "\" twice.");
                sawMetadata = true;
                if (property.Value.Kind != JsonKind.Object)
                    throw new SafeTensorsException(path, "\"" + MetadataKey + "\" is not an object of strings.");
                foreach (KeyValuePair<string, JsonValue> pair in property.Value.Members!)
                {
                    if (pair.Value.Kind != JsonKind.String)
                        throw new SafeTensorsException(path, "the metadata value of '" + pair.Key + "' is not a string.");
                    if (header.Metadata.ContainsKey(pair.Key))
                        throw new SafeTensorsException(path, "the metadata key '" + pair.Key + "' appears twice.");
                    header.Metadata.Add(pair.Key, pair.Value.Text!);
                }
                continue;
            }
            if (header.ByName.ContainsKey(key)) throw new SafeTensorsException(path, "the tensor '" + key + "' appears twice in the header.");
            TensorEntry entry = Entry(path, bytes, key, property.Value);
            header.Tensors.Add(entry);
            header.ByName.Add(key, entry);
        }
        CheckOffsets(path, header);
        return header;
    }

    private static TensorEntry Entry(string path, byte[] bytes, string name, JsonValue value)
    {
        string where = "tensor '" + name + "': ";
        if (value.Kind != JsonKind.Object) throw new SafeTensorsException(path, where + "its entry is not an object.");
        var entry = new TensorEntry { Name = name };
        bool dtype = false, shape = false, offsets = false;
        foreach (KeyValuePair<string, JsonValue> field in value.Members!)
        {
            bool seen;
            switch (field.Key)
            {
                case "dtype":
                    seen = dtype;
                    dtype = true;
                    if (field.Value.Kind != JsonKind.String) throw new SafeTensorsException(path, where + "\"dtype\" is not a string.");
                    entry.DType = field.Value.Text!;
                    if (BitSize(entry.DType) == 0) throw new SafeTensorsException(path, where + "unknown dtype '" + entry.DType + "'.");
                    break;
                case "shape":
                    seen = shape;
                    shape = true;
                    entry.Shape = Integers(path, bytes, where + "\"shape\"", field.Value, -1);
                    break;
                case "data_offsets":
                    seen = offsets;
                    offsets = true;
                    long[] pair = Integers(path, bytes, where + "\"data_offsets\"", field.Value, 2);
                    entry.Begin = pair[0];
                    entry.End = pair[1];
                    break;
                default:
                    throw new SafeTensorsException(path, where + "unknown field '" + field.Key + "'.");
            }
            if (seen) throw new SafeTensorsException(path, where + "\"" + field.Key + "\" appears twice.");
        }
        if (!dtype || !shape || !offsets)
            throw new SafeTensorsException(path, where + "missing \"" + (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "\".");
        return entry;
    }

    private static long[] Integers(string path, byte[] bytes, string what, JsonValue value, int count)
    {
        if (value.Kind != JsonKind.Array) throw new SafeTensorsException(path, what + " is not an array.");
        var result = new long[value.Items!.Count];
        for (int i = 0; i < result.Length; i++)
            if (!SafeTensorsJson.TryGetNonNegativeInt64(bytes, value.Items[i], out result[i]))
                throw new SafeTensorsException(path, what + " holds " + SafeTensorsJson.RawText(bytes, value.Items[i]) + ", not a non-negative integer.");
        if (count >= 0 && result.Length != count)
            throw new SafeTensorsException(path, what + " has " + result.Length + " values, not " + count + ".");
        return result;
    }

    private static void CheckOffsets(string path, Header header)
    {
        foreach (TensorEntry entry in header.Tensors)
        {
            string name = entry.Name;
            int bits = BitSize(entry.DType);
            long bytes;
            try
            {
                long elements = 1;
                foreach (long d in entry.Shape) elements = checked(elements * d);
                long totalBits = checked(elements * bits);
                if (totalBits % 8 != 0)
                    throw new SafeTensorsException(path,
                        "tensor '" + name + "': " + elements + " elements of dtype " + entry.DType + " (" + bits + " bits each) are not a whole number of bytes.");
                bytes = totalBits / 8;
            }
            catch (OverflowException)
            {
                throw new SafeTensorsException(path, "tensor '" + name + "': the shape " + ShapeText(entry.Shape) + " is too large.");
            }
            if (entry.End < entry.Begin)
                throw new SafeTensorsException(path, "tensor '" + name + "': data_offsets [" + entry.Begin + ", " + entry.End + "] end before they begin.");
            if (entry.End - entry.Begin != bytes)
                throw new SafeTensorsException(path,
                    "tensor '" + name + "': data_offsets [" + entry.Begin + ", " + entry.End + "] span " + (entry.End - entry.Begin)
                    + " bytes, but dtype " + entry.DType + " and shape " + ShapeText(entry.Shape) + " need " + bytes + ".");
        }
        long position = 0;
        string? previous = null;
        foreach (TensorEntry entry in header.Tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (entry.Begin < position)
                throw new SafeTensorsException(path,
                    "the data of tensors '" + previous + "' and '" + entry.Name + "' overlap (offset " + entry.Begin + " < " + position + ").");
            if (entry.Begin > position)
                throw new SafeTensorsException(path,
                    "a gap of " + (entry.Begin - position) + " bytes before tensor '" + entry.Name + "' (at offset " + position + ") is not covered by any tensor.");
            position = entry.End;
            previous = entry.Name;
        }
        if (position > header.BufferLength)
            throw new SafeTensorsException(path,
                "the file is truncated: the tensors need " + position + " bytes of data, the file holds " + header.BufferLength + ".");
        if (position < header.BufferLength)
            throw new SafeTensorsException(path,
                (header.BufferLength - position) + " bytes at the end of the data (after offset " + position + ") are not covered by any tensor.");
    }

    /// <summary>Whether <paramref name="bytes"/>[<paramref name="start"/>, <paramref name="end"/>) is UTF-8 as RFC 3629
    /// defines it: shortest forms only, no surrogates, nothing above U+10FFFF.</summary>
    public static bool IsValidUtf8(byte[] bytes, int start, int end)
    {
        int i = start;
        while (i < end)
        {
            byte lead = bytes[i];
            if (lead < 0x80)
            {
                i++;
                continue;
            }
            int continuation = lead >= 0xC2 && lead <= 0xDF ? 1 : lead >= 0xE0 && lead <= 0xEF ? 2 : lead >= 0xF0 && lead <= 0xF4 ? 3 : 0;
            if (continuation == 0 || i + continuation >= end) return false;
            // The second byte's range is narrower after E0 (no overlong), ED (no surrogates), F0 (no overlong), F4 (≤ U+10FFFF).
            byte low = lead == 0xE0 ? (byte)0xA0 : lead == 0xF0 ? (byte)0x90 : (byte)0x80;
            byte high = lead == 0xED ? (byte)0x9F : lead == 0xF4 ? (byte)0x8F : (byte)0xBF;
            if (bytes[i + 1] < low || bytes[i + 1] > high) return false;
            for (int k = 2; k <= continuation; k++)
                if ((bytes[i + k] & 0xC0) != 0x80) return false;
            i += continuation + 1;
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Dtypes.

    /// <summary>The bits per element of a dtype of the specification (safetensors 0.8), or 0 for a name it does not define.</summary>
    public static int BitSize(string dtype)
    {
        switch (dtype)
        {
            case "F4": return 4;
            case "F6_E2M3": case "F6_E3M2": return 6;
            case "BOOL": case "U8": case "I8": case "F8_E5M2": case "F8_E4M3": case "F8_E8M0": case "F8_E4M3FNUZ": case "F8_E5M2FNUZ": return 8;
            case "I16": case "U16": case "F16": case "BF16": return 16;
            case "I32": case "U32": case "F32": return 32;
            case "I64": case "U64": case "F64": case "C64": return 64;
            default: return 0;
        }
    }

    /// <summary>Whether NetCompiler reads tensors of <paramref name="dtype"/> (into float and double networks alike).</summary>
    public static bool IsSupported(string dtype) => dtype == "F32" || dtype == "F64" || dtype == "F16" || dtype == "BF16";

    /// <summary>The dtypes NetCompiler reads, as a number to switch on per element.</summary>
    private enum FloatFormat { F64, F32, F16, BF16 }

    private static FloatFormat Format(string dtype) =>
        dtype == "F64" ? FloatFormat.F64 : dtype == "F32" ? FloatFormat.F32 : dtype == "F16" ? FloatFormat.F16
        : dtype == "BF16" ? FloatFormat.BF16 : throw new ArgumentException("dtype " + dtype + " is not read.", nameof(dtype));

    /// <summary>Element <paramref name="index"/> of little-endian <paramref name="data"/> of a supported dtype, exactly.</summary>
    private static double Element(ReadOnlySpan<byte> data, int index, FloatFormat format)
    {
        switch (format)
        {
            case FloatFormat.F64: return BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * index)));
            case FloatFormat.F32: return Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * index)));
            case FloatFormat.F16: return HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * index)));
            default: return BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * index)));
        }
    }

    /// <summary>An IEEE 754 binary16 value as a float, exactly (every half is a float): subnormals, ±0, ±∞ and NaN
    /// (quiet, with the half's payload in the top bits of the float's) included.</summary>
    public static float HalfToSingle(ushort bits)
    {
        int sign = (bits & 0x8000) << 16, exponent = (bits >> 10) & 0x1F, fraction = bits & 0x3FF;
        if (exponent == 0x1F) // ±∞, NaN
            return Int32BitsToSingle(sign | 0x7F800000 | (fraction != 0 ? 0x00400000 | (fraction << 13) : 0));
        if (exponent == 0) // ±0 and subnormals: fraction · 2⁻²⁴, exact in float (a normal float times a power of two)
        {
            float magnitude = fraction / 16777216f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Int32BitsToSingle(sign | ((exponent - 15 + 127) << 23) | (fraction << 13));
    }

    /// <summary>A bfloat16 value as a float: its 16 bits are the float's upper half.</summary>
    public static float BFloat16ToSingle(ushort bits) => Int32BitsToSingle(bits << 16);

    public static float Int32BitsToSingle(int bits)
    {
        FloatBits union = default;
        union.Int = bits;
        return union.Single;
    }

    [StructLayout(LayoutKind.Explicit)]
    private struct FloatBits
    {
        [FieldOffset(0)] public int Int;
        [FieldOffset(0)] public float Single;
    }

    /// <summary>Converts a tensor's data to float: F32 bit for bit, F64 rounded to nearest (even), F16 and BF16 exactly.</summary>
    private static void ToSingles(ReadOnlySpan<byte> data, string dtype, Span<float> values)
    {
        FloatFormat format = Format(dtype);
        if (format == FloatFormat.F32 && BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(data).CopyTo(values);
        else
            for (int i = 0; i < values.Length; i++) values[i] = (float)Element(data, i, format);
    }

    /// <summary>Converts a tensor's data to double, exactly.</summary>
    private static void ToDoubles(ReadOnlySpan<byte> data, string dtype, Span<double> values)
    {
        FloatFormat format = Format(dtype);
        if (format == FloatFormat.F64 && BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(data).CopyTo(values);
        else
            for (int i = 0; i < values.Length; i++) values[i] = Element(data, i, format);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Matching and reading.

    /// <summary>Every way the header's tensors differ from <paramref name="plan"/>: missing, unexpected, wrong shape, unsupported dtype.</summary>
    public static List<SafeTensorsMismatch> Match(Header header, List<TensorPlan> plan)
    {
        var mismatches = new List<SafeTensorsMismatch>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorPlan tensor in plan)
        {
            expected.Add(tensor.Name);
            if (!header.ByName.TryGetValue(tensor.Name, out TensorEntry? entry))
            {
                mismatches.Add(SafeTensorsMismatch.Missing(tensor.Name, tensor.Shape));
                continue;
            }
            if (!entry.Shape.SequenceEqual(tensor.Shape.Select(d => (long)d)))
                mismatches.Add(SafeTensorsMismatch.WrongShape(tensor.Name, tensor.Shape, entry.Shape, entry.DType));
            if (!IsSupported(entry.DType))
                mismatches.Add(SafeTensorsMismatch.UnsupportedDType(tensor.Name, tensor.Shape, entry.Shape, entry.DType));
        }
        foreach (TensorEntry entry in header.Tensors)
            if (!expected.Contains(entry.Name))
                mismatches.Add(SafeTensorsMismatch.Unexpected(entry.Name, entry.Shape, entry.DType));
        return mismatches;
    }

    /// <summary>
    /// The parameters of a float network of <paramref name="topology"/> stored in <paramref name="file"/> (the whole
    /// file; <paramref name="path"/> names it in messages), in NetCompiler's parameter layout; or null, with every
    /// <paramref name="mismatches"/>, when the file is well formed but does not fit the network.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is malformed or truncated.</exception>
    /// <exception cref="ArgumentException">Two tensors of <paramref name="topology"/> would get the same name.</exception>
    public static float[]? ReadSingle(string path, byte[] file, NetworkTopology topology, out List<SafeTensorsMismatch> mismatches) =>
        Read<float>(path, file, topology, ToSingles, out mismatches);

    /// <summary>As <see cref="ReadSingle"/>, for a double network.</summary>
    public static double[]? ReadDouble(string path, byte[] file, NetworkTopology topology, out List<SafeTensorsMismatch> mismatches) =>
        Read<double>(path, file, topology, ToDoubles, out mismatches);

    private delegate void Converter<T>(ReadOnlySpan<byte> data, string dtype, Span<T> values);

    private static T[]? Read<T>(string path, byte[] file, NetworkTopology topology, Converter<T> convert, out List<SafeTensorsMismatch> mismatches)
    {
        if (path is null) throw new ArgumentNullException(nameof(path));
        if (file is null) throw new ArgumentNullException(nameof(file));
        List<TensorPlan> plan = Plan(topology);
        Header header = ReadHeader(path, file);
        mismatches = Match(header, plan);
        if (mismatches.Count > 0) return null;

        var theta = new T[topology.ParameterCount];
        int dataStart = 8 + (int)header.Length;
        foreach (TensorPlan tensor in plan)
        {
            TensorEntry entry = header.ByName[tensor.Name];
            var data = new ReadOnlySpan<byte>(file, dataStart + (int)entry.Begin, (int)(entry.End - entry.Begin));
            if (!tensor.Kernels)
            {
                convert(data, entry.DType, theta.AsSpan(tensor.Offset, tensor.Count));
                continue;
            }
            LayerShape layer = tensor.Layer;
            int filters = tensor.Shape[0], channels = tensor.Shape[1], volume = tensor.KernelVolume;
            FloatFormat format = Format(entry.DType);
            int kernelBytes = volume * BitSize(entry.DType) / 8, nonZero = 0, firstFilter = 0, firstChannel = 0;
            double firstValue = 0;
            for (int o = 0; o < filters; o++)
                for (int i = 0; i < channels; i++)
                {
                    ReadOnlySpan<byte> kernel = data.Slice((o * channels + i) * kernelBytes, kernelBytes);
                    int offset = layer.KernelOffset(o, i);
                    if (offset >= 0)
                    {
                        convert(kernel, entry.DType, theta.AsSpan(offset, volume));
                        continue;
                    }
                    for (int j = 0; j < volume; j++)
                    {
                        double value = Element(kernel, j, format);
                        if (value == 0) continue;
                        if (nonZero++ == 0)
                        {
                            firstFilter = o;
                            firstChannel = i;
                            firstValue = value;
                        }
                        break;
                    }
                }
            if (nonZero > 0)
            {
                string shown = format == FloatFormat.F64
                    ? firstValue.ToString("R", CultureInfo.InvariantCulture)
                    : ((float)firstValue).ToString("R", CultureInfo.InvariantCulture);
                mismatches.Add(SafeTensorsMismatch.NonZeroAbsentKernel(tensor.Name, tensor.Shape, entry.Shape, entry.DType,
                    layer.DisplayName, firstFilter, firstChannel, shown, nonZero));
            }
        }
        return mismatches.Count > 0 ? null : theta;
    }

    /// <summary>The problem text of a file that does not fit the network: every mismatch, in order.</summary>
    public static string MismatchProblem(List<SafeTensorsMismatch> mismatches) =>
        "the file does not match the network: " + string.Join("; ", mismatches.Select(m => m.Message)) + ".";
}
