using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace NetCompiler.Serialization;

/// <summary>One tensor of a network's safetensors file: its name and PyTorch shape.</summary>
/// <param name="Name">For example "c1.weight", "layer3.bias" or "out.weight.input".</param>
/// <param name="Shape">For example [6, 1, 5, 5].</param>
public readonly record struct SafeTensorInfo(string Name, IReadOnlyList<int> Shape);

/// <summary>
/// Saves and loads a network's parameters in the Hugging Face safetensors format, with PyTorch's tensor shapes so that
/// <c>safetensors.torch.load_file</c> gives tensors that <c>load_state_dict</c> of the matching PyTorch modules accepts.
/// </summary>
/// <remarks>
/// <para>File layout (the safetensors specification): an 8-byte little-endian unsigned length N, N bytes of UTF-8 JSON
/// (padded with spaces so that the data starts at a multiple of 8), then the data buffer. The JSON maps each tensor
/// name to <c>{"dtype": "F32" | "F64", "shape": [...], "data_offsets": [begin, end]}</c> (offsets relative to the
/// buffer, little-endian row-major values, tensors contiguous and covering the buffer) and <c>"__metadata__"</c> to
/// string pairs.</para>
/// <para>Tensors, in the order of <see cref="TensorNames"/>: per layer with parameters, in declaration order, named by
/// the layer's Name or else "layer{l}" (l the 1-based declaration number):</para>
/// <list type="bullet">
/// <item>Dense: "{name}.weight" [units, inputs]; with several sources one "{name}.weight.{source}" [units, size of the
/// source] per source (source = the source layer's name, "layer{k}", or "input"); then "{name}.bias" [units].</item>
/// <item>Conv1D / Conv2D: "{name}.weight" [filters, channels, k] / [filters, channels, k, k], then "{name}.bias"
/// [filters]. With a connection table the full tensor is stored with zeros for the kernels the table leaves out (so
/// that nn.Conv2d can load it); <see cref="Load{T}"/> rejects a file whose left-out kernels are not zero.</item>
/// <item>Trainable AvgPool: "{name}.coefficient" [channels], "{name}.bias" [channels].</item>
/// </list>
/// <para>dtype F32 for float networks and F64 for double. The metadata always holds "format" = "netcompiler" and
/// "topology" = the topology's ToString().</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>The value of the "format" metadata entry written by <see cref="Save{T}"/>.</summary>
    public const string FormatName = "netcompiler";

    /// <summary>The metadata key of the format.</summary>
    public const string FormatKey = "format";

    /// <summary>The metadata key of the topology description.</summary>
    public const string TopologyKey = "topology";

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int ChunkElements = 1 << 16;

    // Element sizes of the dtypes of the specification, to check the data offsets of any tensor.
    private static readonly Dictionary<string, int> DTypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    /// <summary>The tensors a network of <paramref name="topology"/> is stored as, with their shapes, in file order.</summary>
    /// <exception cref="ArgumentException">Two tensors would get the same name (for example a layer named "layer2" next to an unnamed layer 2).</exception>
    public static IReadOnlyList<SafeTensorInfo> TensorNames(NetworkTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return Plan(topology).Select(p => new SafeTensorInfo(p.Name, p.Shape.ToArray())).ToArray();
    }

    /// <summary>
    /// Writes the parameters of <paramref name="network"/> to <paramref name="path"/> atomically: to a temporary file
    /// in the same directory, flushed to disk, then moved over <paramref name="path"/>. On failure the temporary file is
    /// deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="network">The network whose parameters are saved.</param>
    /// <param name="metadata">Extra string pairs for "__metadata__"; the keys "format" and "topology" are reserved.</param>
    /// <exception cref="ArgumentException">A reserved metadata key, tensor names that collide, or a parameter buffer of the wrong length.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory, or writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written.</exception>
    public static void Save<T>(string path, IInferenceNetwork<T> network, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(network);
        (string dtype, int elementSize) = DType<T>();
        NetworkTopology topology = network.Topology;
        List<TensorPlan> plan = Plan(topology);
        byte[] header = BuildHeader(plan, dtype, elementSize, topology, metadata);

        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new IOException("Cannot save weights to '" + path + "': it is a directory.");
        string directory = Path.GetDirectoryName(full) ?? throw new IOException("Cannot save weights to '" + path + "': it has no directory.");
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new ArgumentException("'" + path + "' names no file.", nameof(path));
        string temp = Path.Combine(directory, "." + name + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                ReadOnlySpan<T> theta = network.Parameters;
                if (theta.Length != topology.ParameterCount)
                    throw new ArgumentException(
                        "The network has " + theta.Length + " parameters, its topology " + topology.ParameterCount + ".", nameof(network));
                var zeros = new T[ChunkElements];
                byte[] chunk = new byte[ChunkElements * elementSize];
                foreach (TensorPlan tensor in plan)
                {
                    if (!tensor.Kernels)
                    {
                        WriteElements(stream, theta.Slice(tensor.Offset, tensor.Count), elementSize, chunk);
                        continue;
                    }
                    LayerShape layer = tensor.Layer;
                    int filters = tensor.Shape[0], channels = tensor.Shape[1], volume = tensor.KernelVolume;
                    for (int o = 0; o < filters; o++)
                        for (int i = 0; i < channels; i++)
                        {
                            int offset = layer.KernelOffset(o, i);
                            if (offset >= 0) WriteElements(stream, theta.Slice(offset, volume), elementSize, chunk);
                            else
                                for (int left = volume; left > 0; left -= ChunkElements)
                                    WriteElements<T>(stream, zeros.AsSpan(0, Math.Min(left, ChunkElements)), elementSize, chunk);
                        }
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the parameters of <paramref name="network"/>. The whole file is validated and
    /// read into a scratch buffer first; the network's parameters change only when every check passed.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is malformed, truncated, or does not hold exactly this network's
    /// tensors with their shapes and dtype (or a left-out convolution kernel is not zero); the message says which.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    public static void Load<T>(string path, IInferenceNetwork<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(network);
        (string dtype, int elementSize) = DType<T>();
        NetworkTopology topology = network.Topology;
        List<TensorPlan> plan = Plan(topology);
        if (network.Parameters.Length != topology.ParameterCount)
            throw new ArgumentException(
                "The network has " + network.Parameters.Length + " parameters, its topology " + topology.ParameterCount + ".", nameof(network));

        var theta = new T[topology.ParameterCount];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            Header header = ReadHeader(path, stream);
            Match(path, header, plan, dtype);
            long dataStart = 8 + header.Length;
            var kernel = new T[0];
            try
            {
                foreach (TensorPlan tensor in plan)
                {
                    stream.Position = dataStart + header.Tensors[tensor.Name].Begin;
                    if (!tensor.Kernels)
                    {
                        ReadElements(stream, theta.AsSpan(tensor.Offset, tensor.Count), elementSize);
                        continue;
                    }
                    LayerShape layer = tensor.Layer;
                    int filters = tensor.Shape[0], channels = tensor.Shape[1], volume = tensor.KernelVolume;
                    if (kernel.Length != volume) kernel = new T[volume];
                    for (int o = 0; o < filters; o++)
                        for (int i = 0; i < channels; i++)
                        {
                            int offset = layer.KernelOffset(o, i);
                            if (offset >= 0)
                            {
                                ReadElements(stream, theta.AsSpan(offset, volume), elementSize);
                                continue;
                            }
                            ReadElements<T>(stream, kernel, elementSize);
                            foreach (T value in kernel)
                                if (value != T.Zero)
                                    throw new SafeTensorsException(path,
                                        "tensor '" + tensor.Name + "': the kernel of filter " + o + ", channel " + i
                                        + " is left out by the connection table of " + layer.DisplayName + " but holds non-zero values (for example "
                                        + value.ToString(null, CultureInfo.InvariantCulture) + ").");
                        }
                }
            }
            catch (EndOfStreamException e)
            {
                throw new SafeTensorsException(path, "the file is truncated: it ended while reading the tensor data.", e);
            }
        }
        theta.CopyTo(network.Parameters);
    }

    /// <summary>The "__metadata__" pairs of <paramref name="path"/> (empty when there are none), after checking the header.</summary>
    /// <exception cref="SafeTensorsException">The header is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(path, stream).Metadata;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The tensors of a topology.

    private sealed class TensorPlan
    {
        public string Name = "";
        public int[] Shape = [];
        public LayerShape Layer = null!;
        public bool Kernels;     // a convolution's weights with a connection table: full tensor, zeros for absent kernels
        public int Offset;       // otherwise: the tensor is theta[Offset .. Offset + Count) in row-major order
        public int Count;
        public int KernelVolume; // Kernels: k or k·k
    }

    private static List<TensorPlan> Plan(NetworkTopology topology)
    {
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
                    int[] shape = layer.Kind == LayerKind.Conv2D ? [filters, channels, k, k] : [filters, channels, k];
                    bool table = ((ConvLayer)layer.Spec).Connections is not null;
                    if (table)
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

    private static (string DType, int Size) DType<T>()
    {
        if (typeof(T) == typeof(float)) return ("F32", 4);
        if (typeof(T) == typeof(double)) return ("F64", 8);
        throw new NotSupportedException("Safetensors weights are float (F32) or double (F64), not " + typeof(T).Name + ".");
    }

    private static string ShapeText(IReadOnlyList<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    // ---------------------------------------------------------------------------------------------------------------
    // Writing.

    private static byte[] BuildHeader(List<TensorPlan> plan, string dtype, int elementSize, NetworkTopology topology,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }; // a file, not HTML: "→" stays UTF-8
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            writer.WriteStartObject(MetadataKey);
            writer.WriteString(FormatKey, FormatName);
            writer.WriteString(TopologyKey, topology.ToString());
            if (metadata is not null)
                foreach (KeyValuePair<string, string> pair in metadata)
                {
                    if (pair.Key == FormatKey || pair.Key == TopologyKey)
                        throw new ArgumentException("The metadata key '" + pair.Key + "' is reserved: Save writes it.", nameof(metadata));
                    if (pair.Key is null || pair.Value is null)
                        throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));
                    writer.WriteString(pair.Key, pair.Value);
                }
            writer.WriteEndObject();
            long begin = 0;
            foreach (TensorPlan tensor in plan)
            {
                long end = begin + tensor.Shape.Aggregate(1L, (p, d) => p * d) * elementSize;
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", dtype);
                writer.WriteStartArray("shape");
                foreach (int d in tensor.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(begin);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                begin = end;
            }
            writer.WriteEndObject();
        }
        int length = buffer.WrittenCount;
        int padded = (length + 7) / 8 * 8; // 8 + N is then a multiple of 8: the data is aligned for any dtype
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void WriteElements<T>(Stream stream, ReadOnlySpan<T> values, int elementSize, byte[] chunk) where T : unmanaged
    {
        while (values.Length > 0)
        {
            int n = Math.Min(values.Length, chunk.Length / elementSize);
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values.Slice(0, n));
            if (BitConverter.IsLittleEndian) stream.Write(bytes);
            else
            {
                bytes.CopyTo(chunk);
                ReverseEndianness(chunk.AsSpan(0, bytes.Length), elementSize);
                stream.Write(chunk, 0, bytes.Length);
            }
            values = values.Slice(n);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reading and validation.

    private sealed class TensorEntry
    {
        public string DType = "";
        public long[] Shape = [];
        public long Begin, End;
    }

    private sealed class Header
    {
        public long Length;
        public long BufferLength;
        public Dictionary<string, TensorEntry> Tensors = new(StringComparer.Ordinal);
        public Dictionary<string, string> Metadata = new(StringComparer.Ordinal);
    }

    /// <summary>Reads and checks the header and the data offsets against the file: everything that does not depend on the network.</summary>
    private static Header ReadHeader(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new SafeTensorsException(path, "the file is truncated: " + fileLength + " bytes, shorter than the 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > (ulong)(fileLength - 8))
            throw new SafeTensorsException(path,
                "the header length " + n + " exceeds the " + (fileLength - 8) + " bytes that follow it (truncated or not a safetensors file).");
        if (n > MaxHeaderLength)
            throw new SafeTensorsException(path, "the header length " + n + " exceeds the limit of " + MaxHeaderLength + " bytes.");
        if (n < 2)
            throw new SafeTensorsException(path, "the header length " + n + " is too short for a JSON object.");
        byte[] json = new byte[n];
        stream.ReadExactly(json);
        var header = new Header { Length = (long)n, BufferLength = fileLength - 8 - (long)n };
        if (!Utf8.IsValid(json)) throw new SafeTensorsException(path, "the header is not valid UTF-8.");
        if (json[0] != (byte)'{') throw new SafeTensorsException(path, "the header does not start with '{'.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new SafeTensorsException(path, "the header is not valid JSON: " + e.Message, e);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SafeTensorsException(path, "the header is not a JSON object.");
            bool sawMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                string key = property.Name;
                if (key == MetadataKey)
                {
                    if (sawMetadata) throw new SafeTensorsException(path, "the header has \"" + MetadataKey + "\" twice.");
                    sawMetadata = true;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SafeTensorsException(path, "\"" + MetadataKey + "\" is not an object of strings.");
                    foreach (JsonProperty pair in property.Value.EnumerateObject())
                    {
                        if (pair.Value.ValueKind != JsonValueKind.String)
                            throw new SafeTensorsException(path, "the metadata value of '" + pair.Name + "' is not a string.");
                        if (!header.Metadata.TryAdd(pair.Name, pair.Value.GetString()!))
                            throw new SafeTensorsException(path, "the metadata key '" + pair.Name + "' appears twice.");
                    }
                    continue;
                }
                if (header.Tensors.ContainsKey(key)) throw new SafeTensorsException(path, "the tensor '" + key + "' appears twice in the header.");
                header.Tensors.Add(key, Entry(path, key, property.Value));
            }
        }
        CheckOffsets(path, header);
        return header;
    }

    private static TensorEntry Entry(string path, string name, JsonElement value)
    {
        string Where() => "tensor '" + name + "': ";
        if (value.ValueKind != JsonValueKind.Object) throw new SafeTensorsException(path, Where() + "its entry is not an object.");
        var entry = new TensorEntry();
        bool dtype = false, shape = false, offsets = false;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when !dtype:
                    dtype = true;
                    if (field.Value.ValueKind != JsonValueKind.String) throw new SafeTensorsException(path, Where() + "\"dtype\" is not a string.");
                    entry.DType = field.Value.GetString()!;
                    if (!DTypeSizes.ContainsKey(entry.DType)) throw new SafeTensorsException(path, Where() + "unknown dtype '" + entry.DType + "'.");
                    break;
                case "shape" when !shape:
                    shape = true;
                    entry.Shape = Integers(path, Where() + "\"shape\"", field.Value, -1);
                    break;
                case "data_offsets" when !offsets:
                    offsets = true;
                    long[] pair = Integers(path, Where() + "\"data_offsets\"", field.Value, 2);
                    entry.Begin = pair[0];
                    entry.End = pair[1];
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new SafeTensorsException(path, Where() + "\"" + field.Name + "\" appears twice.");
                default:
                    throw new SafeTensorsException(path, Where() + "unknown field '" + field.Name + "'.");
            }
        }
        if (!dtype || !shape || !offsets)
            throw new SafeTensorsException(path, Where() + "missing \"" + (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "\".");
        return entry;
    }

    private static long[] Integers(string path, string what, JsonElement value, int count)
    {
        if (value.ValueKind != JsonValueKind.Array) throw new SafeTensorsException(path, what + " is not an array.");
        var result = new List<long>();
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0)
                throw new SafeTensorsException(path, what + " holds " + item.GetRawText() + ", not a non-negative integer.");
            result.Add(number);
        }
        if (count >= 0 && result.Count != count)
            throw new SafeTensorsException(path, what + " has " + result.Count + " values, not " + count + ".");
        return result.ToArray();
    }

    private static void CheckOffsets(string path, Header header)
    {
        foreach ((string name, TensorEntry entry) in header.Tensors)
        {
            long bytes;
            try
            {
                bytes = checked(entry.Shape.Aggregate(1L, (p, d) => checked(p * d)) * DTypeSizes[entry.DType]);
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
        var sorted = header.Tensors.OrderBy(t => t.Value.Begin).ThenBy(t => t.Value.End).ToList();
        long position = 0;
        string? previous = null;
        foreach ((string name, TensorEntry entry) in sorted)
        {
            if (entry.Begin < position)
                throw new SafeTensorsException(path,
                    "the data of tensors '" + previous + "' and '" + name + "' overlap (offset " + entry.Begin + " < " + position + ").");
            if (entry.Begin > position)
                throw new SafeTensorsException(path,
                    "a gap of " + (entry.Begin - position) + " bytes before tensor '" + name + "' (at offset " + position + ") is not covered by any tensor.");
            position = entry.End;
            previous = name;
        }
        if (position > header.BufferLength)
            throw new SafeTensorsException(path,
                "the file is truncated: the tensors need " + position + " bytes of data, the file holds " + header.BufferLength + ".");
        if (position < header.BufferLength)
            throw new SafeTensorsException(path,
                (header.BufferLength - position) + " bytes at the end of the data (after offset " + position + ") are not covered by any tensor.");
    }

    /// <summary>Checks that the file holds exactly the tensors of <paramref name="plan"/>, with their shapes and dtype.</summary>
    private static void Match(string path, Header header, List<TensorPlan> plan, string dtype)
    {
        var problems = new List<string>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorPlan tensor in plan)
        {
            expected.Add(tensor.Name);
            long[] shape = tensor.Shape.Select(d => (long)d).ToArray();
            if (!header.Tensors.TryGetValue(tensor.Name, out TensorEntry? entry))
            {
                problems.Add("missing tensor '" + tensor.Name + "' " + ShapeText(shape));
                continue;
            }
            if (!entry.Shape.SequenceEqual(shape))
                problems.Add("tensor '" + tensor.Name + "' has shape " + ShapeText(entry.Shape) + ", expected " + ShapeText(shape));
            if (entry.DType != dtype)
                problems.Add("tensor '" + tensor.Name + "' has dtype " + entry.DType + ", expected " + dtype
                    + " (the network is " + (dtype == "F32" ? "float" : "double") + ")");
        }
        foreach (string name in header.Tensors.Keys)
            if (!expected.Contains(name))
                problems.Add("unexpected tensor '" + name + "' " + ShapeText(header.Tensors[name].Shape) + " (this network has no such tensor)");
        if (problems.Count > 0)
            throw new SafeTensorsException(path, "the file does not match the network: " + string.Join("; ", problems) + ".");
    }

    private static void ReadElements<T>(Stream stream, Span<T> values, int elementSize) where T : unmanaged
    {
        while (values.Length > 0)
        {
            int n = Math.Min(values.Length, ChunkElements);
            Span<byte> bytes = MemoryMarshal.AsBytes(values.Slice(0, n));
            stream.ReadExactly(bytes);
            if (!BitConverter.IsLittleEndian) ReverseEndianness(bytes, elementSize);
            values = values.Slice(n);
        }
    }

    private static void ReverseEndianness(Span<byte> bytes, int elementSize)
    {
        if (elementSize == 4)
        {
            Span<int> words = MemoryMarshal.Cast<byte, int>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        else
        {
            Span<long> words = MemoryMarshal.Cast<byte, long>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }
}
