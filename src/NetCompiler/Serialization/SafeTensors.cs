using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using static NetCompiler.Serialization.SafeTensorsFormat;

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
/// that nn.Conv2d can load it); Load rejects a file whose left-out kernels are not zero.</item>
/// <item>Trainable AvgPool: "{name}.coefficient" [channels], "{name}.bias" [channels].</item>
/// </list>
/// <para><see cref="Save{T}"/> writes F32 for float networks and F64 for double, with the metadata "format" =
/// "netcompiler" and "topology" = the topology's ToString(). Load, into a network or as <see cref="NetworkWeights{T}"/>,
/// reads F32, F64, F16 and BF16 tensors, mixed in one file if need be, for float and double networks alike; the other
/// dtypes of the specification (integers, BOOL, 8-bit and smaller floats, C64) are rejected by name. The reading is
/// the same code that checks a weights file compiled into a generated network at build time.</para>
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
    public const long MaxHeaderLength = SafeTensorsFormat.MaxHeaderLength;

    private const int ChunkElements = 1 << 16;

    /// <summary>The tensors a network of <paramref name="topology"/> is stored as, with their shapes, in file order.</summary>
    /// <exception cref="ArgumentException">Two tensors would get the same name (for example a layer named "layer2" next to an unnamed layer 2).</exception>
    public static IReadOnlyList<SafeTensorInfo> TensorNames(NetworkTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return Plan(topology).Select(p => new SafeTensorInfo(p.Name, p.Shape.ToArray())).ToArray();
    }

    /// <summary>
    /// Writes the parameters of <paramref name="network"/> to <paramref name="path"/> atomically: to a temporary file
    /// ".{name}.{12 hex digits}.tmp" in the same directory, flushed to disk, then renamed over <paramref name="path"/>,
    /// and then the directory is flushed (on Linux and macOS) so that the rename survives a power cut. On failure the
    /// temporary file is deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <remarks>
    /// A process killed mid-save leaves its temporary file; the next save to the same path deletes every temporary of
    /// that path that no running save holds open (temporaries of other files are not touched). Two saves to the same
    /// path at the same time each write their own temporary file, which the other leaves alone (it is locked while
    /// written), and the later rename wins: the file is always one complete save. (Under
    /// DOTNET_SYSTEM_IO_DISABLEFILELOCKING the lock is gone, and a concurrent save may delete the other's temporary:
    /// that save then fails with an IOException, and the file is still one complete save.)
    /// </remarks>
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
        TemporaryFiles.RemoveStale(directory, name);
        string temp = TemporaryFiles.NewPath(directory, name);
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
                // On Unix the rename happens while the temporary is still open, so it stays locked against another
                // save's RemoveStale until it is the target; Windows cannot rename a file open without sharing.
                if (!OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
            }
            if (OperatingSystem.IsWindows()) File.Move(temp, full, overwrite: true);
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
        TemporaryFiles.FlushDirectory(directory);
    }

    /// <summary>
    /// Reads <paramref name="path"/> into the parameters of <paramref name="network"/>. The whole file is read and
    /// checked first; the network's parameters change only when every check passed. Tensors may be F32, F64, F16 or
    /// BF16, each its own, for float and double networks alike: F16, BF16 and F32 values are exact in either, F64
    /// values are rounded to the nearest float (ties to even) for a float network, so beyond float's range they become
    /// infinite.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is malformed or truncated, or does not hold exactly this
    /// network's tensors with their shapes in a dtype NetCompiler reads (or a left-out convolution kernel is not zero);
    /// the message says which, listing every mismatch.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static void Load<T>(string path, IInferenceNetwork<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(network);
        _ = DType<T>(); // float or double
        NetworkTopology topology = network.Topology;
        if (network.Parameters.Length != topology.ParameterCount)
            throw new ArgumentException(
                "The network has " + network.Parameters.Length + " parameters, its topology " + topology.ParameterCount + ".", nameof(network));
        Read<T>(path, topology).CopyTo(network.Parameters);
    }

    /// <summary>
    /// Reads <paramref name="path"/> as new weights for <paramref name="topology"/>, with the checks and conversions of
    /// <see cref="Load{T}(string, IInferenceNetwork{T})"/>: weights that any number of networks of that topology can
    /// be built on.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is malformed or truncated, or does not hold exactly this
    /// topology's tensors (the message lists every mismatch).</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static NetworkWeights<T> Load<T>(string path, NetworkTopology topology) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(topology);
        _ = DType<T>(); // float or double
        return new NetworkWeights<T>(topology, Read<T>(path, topology));
    }

    /// <summary>The "__metadata__" pairs of <paramref name="path"/> (empty when there are none), after checking the header.</summary>
    /// <exception cref="SafeTensorsException">The header is malformed.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream stream = OpenForReading(path);
        long fileLength = stream.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength >= 8) stream.ReadExactly(prefix);
        int n = SafeTensorsFormat.HeaderLength(path, prefix, fileLength);
        byte[] json = new byte[n];
        stream.ReadExactly(json);
        return SafeTensorsFormat.ParseHeader(path, json, 0, n, fileLength - 8 - n).Metadata;
    }

    /// <summary>
    /// <paramref name="path"/> opened to read; a directory is an IOException that says so (FileStream would say
    /// "Access to the path is denied"), a missing file the FileStream's FileNotFoundException.
    /// </summary>
    private static FileStream OpenForReading(string path)
    {
        FileChecks.ThrowIfDirectory(path, "a safetensors file");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    /// <summary>The parameters stored in <paramref name="path"/> for a network of <paramref name="topology"/>, through the
    /// reader the generator shares.</summary>
    private static T[] Read<T>(string path, NetworkTopology topology)
    {
        byte[] file;
        using (FileStream stream = OpenForReading(path))
        {
            if (stream.Length > Array.MaxLength)
                throw new SafeTensorsException(path, "the file is " + stream.Length + " bytes, more than one array holds (" + Array.MaxLength + ").");
            file = new byte[stream.Length];
            try
            {
                stream.ReadExactly(file);
            }
            catch (EndOfStreamException e)
            {
                throw new SafeTensorsException(path, "the file is truncated: it ended while it was read.", e);
            }
        }
        List<SafeTensorsMismatch> mismatches;
        T[]? theta = typeof(T) == typeof(float) ? (T[]?)(object?)SafeTensorsFormat.ReadSingle(path, file, topology, out mismatches)
            : (T[]?)(object?)SafeTensorsFormat.ReadDouble(path, file, topology, out mismatches);
        return theta ?? throw new SafeTensorsException(path, SafeTensorsFormat.MismatchProblem(mismatches));
    }

    private static (string DType, int Size) DType<T>()
    {
        if (typeof(T) == typeof(float)) return ("F32", 4);
        if (typeof(T) == typeof(double)) return ("F64", 8);
        throw new NotSupportedException("Safetensors weights are saved and loaded for float and double networks, not " + typeof(T).Name + ".");
    }

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
