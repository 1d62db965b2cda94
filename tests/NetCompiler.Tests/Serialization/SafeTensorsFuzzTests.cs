using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using NetCompiler.Serialization;
using Xunit;
using Xunit.Abstractions;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;
using static NetCompiler.Tests.Support.Bytes;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// Seeded random damage to valid files of a dense network and of a small LeNet-5 (a connection table): the shared reader
/// returns θ, returns mismatches, or throws SafeTensorsException, never any other exception, and never hangs.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Mutations = 6_000;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private enum Outcome { Parameters, Mismatches, Rejected }

    [Fact]
    public async Task Random_mutations_give_parameters_mismatches_or_SafeTensorsException()
    {
        var files = new List<(string Kind, Precision Precision, byte[] File)>();
        foreach (string kind in new[] { "mlp", "lenet-small" })
        {
            string path = _directory.File(kind + ".safetensors");
            SafeTensors.Save(path, Network<float>(kind, seed: 1));
            files.Add((kind, Precision.Single, File.ReadAllBytes(path)));
            SafeTensors.Save(path, Network<double>(kind, seed: 1));
            files.Add((kind, Precision.Double, File.ReadAllBytes(path)));
        }
        var topologies = files.ToDictionary(f => (f.Kind, f.Precision), f => Topology(f.Kind, f.Precision));

        var counts = new Dictionary<Outcome, int> { [Outcome.Parameters] = 0, [Outcome.Mismatches] = 0, [Outcome.Rejected] = 0 };
        var stopwatch = Stopwatch.StartNew();
        Task run = Task.Run(() =>
        {
            for (int i = 0; i < Mutations; i++)
            {
                var random = new Random(i);
                (string kind, Precision precision, byte[] original) = files[i % files.Count];
                // Read with the file's own precision most of the time, the other one (a conversion) otherwise.
                if (random.Next(4) == 0) precision = precision == Precision.Single ? Precision.Double : Precision.Single;
                (byte[] file, string what) = Mutate(original, random);
                NetworkTopology topology = topologies[(kind, precision)];
                try
                {
                    counts[Check(file, topology)]++;
                    if (i % 20 == 0) CheckLoad(file, topology, i);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException("mutation " + i + " (" + what + ") of the " + kind + " file: " + e.GetType().Name + " " + e.Message, e);
                }
            }
        });
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120))) == run, "the mutations did not finish within 120 s: a reader hangs");
        await run;
        output.WriteLine(Mutations + " mutations in " + stopwatch.ElapsedMilliseconds + " ms: "
                         + string.Join(", ", counts.Select(c => c.Key + " " + c.Value)));
        // Each outcome is common, so that the mutations reach past the header into the matching and the data.
        Assert.All(counts.Values, count => Assert.True(count >= Mutations / 50, string.Join(", ", counts)));
    }

    private static Outcome Check(byte[] file, NetworkTopology topology)
    {
        try
        {
            double[]? theta = ReadShared(file, topology, out List<SafeTensorsMismatch> mismatches);
            if (theta is not null)
            {
                Assert.Empty(mismatches);
                Assert.Equal(topology.ParameterCount, theta.Length);
                return Outcome.Parameters;
            }
            Assert.NotEmpty(mismatches);
            Assert.All(mismatches, m => Assert.False(string.IsNullOrEmpty(m.Message)));
            return Outcome.Mismatches;
        }
        catch (SafeTensorsException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Problem));
            return Outcome.Rejected;
        }
    }

    /// <summary>SafeTensors.Load over the same bytes: loads, or throws SafeTensorsException and leaves the parameters alone.</summary>
    private void CheckLoad(byte[] file, NetworkTopology topology, int i)
    {
        string path = _directory.File("mutated.safetensors");
        File.WriteAllBytes(path, file);
        if (topology.Precision == Precision.Double) CheckLoad(path, new InterpretedNetwork<double>(topology), i);
        else CheckLoad(path, new InterpretedNetwork<float>(topology), i);
    }

    private static void CheckLoad<T>(string path, InterpretedNetwork<T> network, int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        network.InitializeParameters(seed);
        T[] before = network.Parameters.ToArray();
        try
        {
            SafeTensors.Load(path, network);
        }
        catch (SafeTensorsException)
        {
            Assert.Equal(before, network.Parameters.ToArray());
        }
    }

    private static readonly string[] JsonPieces =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uD800", "0", "1", "9", "-", ".", "e", "F16", "BF16", "I8", "F64", "F4",
        "true", "null", " ", "\n", "/", "99999999999999999999", "__metadata__", "\"shape\":[1],", "é", "\u0000",
    ];

    /// <summary>One to three random edits of <paramref name="original"/>, and what they were.</summary>
    private static (byte[] File, string What) Mutate(byte[] original, Random random)
    {
        byte[] file = original;
        var what = new List<string>();
        int edits = random.Next(20) switch { < 12 => 1, < 17 => 2, _ => 3 };
        for (int e = 0; e < edits; e++)
        {
            int headerEnd = file.Length >= 8 ? (int)Math.Min((ulong)file.Length, 8 + BinaryPrimitives.ReadUInt64LittleEndian(file)) : file.Length;
            string header = headerEnd > 8 ? Encoding.Latin1.GetString(file, 8, headerEnd - 8) : "";
            // Half the byte edits land in the header, where the parsing is; the rest anywhere.
            int Anywhere(int extra = 0) =>
                random.Next(2) == 0 && headerEnd > 8 ? random.Next(8, headerEnd) : random.Next(file.Length + extra);
            int kind = random.Next(10);
            if (file.Length < 8 && kind != 2) kind = 2;
            switch (kind)
            {
                case 0:
                {
                    int at = Anywhere();
                    file = Replace(file, at, 1, [(byte)(file[at] ^ (1 << random.Next(8)))]);
                    what.Add("bit flip at " + at);
                    break;
                }
                case 1:
                {
                    int length = random.Next(file.Length);
                    file = file[..length];
                    what.Add("truncated to " + length);
                    break;
                }
                case 2:
                {
                    int at = Anywhere(extra: 1);
                    var bytes = new byte[random.Next(1, 9)];
                    random.NextBytes(bytes);
                    file = Replace(file, at, 0, bytes);
                    what.Add(bytes.Length + " bytes inserted at " + at);
                    break;
                }
                case 3:
                {
                    int at = Anywhere();
                    int count = Math.Min(random.Next(1, 9), file.Length - at);
                    file = Replace(file, at, count, []);
                    what.Add(count + " bytes deleted at " + at);
                    break;
                }
                case 4:
                {
                    ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
                    ulong[] choices = [n + 1, n - 1, n + 8, n - 8, 0, 1, 2, (ulong)file.Length, (ulong)file.Length - 8, ulong.MaxValue, 1UL << 40, (ulong)random.NextInt64()];
                    ulong edited = choices[random.Next(choices.Length)];
                    file = WithHeaderLength(file, edited);
                    what.Add("header length " + n + " → " + edited);
                    break;
                }
                case 5 when headerEnd > 8:
                {
                    // A JSON piece written over, inserted into or deleted from the header text, the header length
                    // kept or adjusted to the new text.
                    int at = random.Next(8, headerEnd);
                    byte[] piece = Encoding.UTF8.GetBytes(JsonPieces[random.Next(JsonPieces.Length)]);
                    int mode = random.Next(3);
                    int removed = mode == 0 ? Math.Min(piece.Length, headerEnd - at) : mode == 1 ? 0 : Math.Min(random.Next(1, 6), headerEnd - at);
                    file = Replace(file, at, removed, mode == 2 ? [] : piece);
                    int change = (mode == 2 ? 0 : piece.Length) - removed;
                    if (change != 0 && random.Next(2) == 0) file = WithHeaderLength(file, (ulong)(headerEnd - 8 + change));
                    what.Add("JSON " + (mode == 0 ? "overwritten" : mode == 1 ? "inserted" : "deleted") + " at " + at + ": " + Encoding.UTF8.GetString(piece));
                    break;
                }
                case 6 when headerEnd > 8:
                {
                    // A digit of the header changed: shapes and offsets that are well formed but wrong.
                    int[] digits = Enumerable.Range(0, header.Length).Where(k => char.IsAsciiDigit(header[k])).ToArray();
                    if (digits.Length == 0) goto default;
                    int at = 8 + digits[random.Next(digits.Length)];
                    file = Replace(file, at, 1, [(byte)('0' + random.Next(10))]);
                    what.Add("digit at " + at);
                    break;
                }
                case 7 when headerEnd > 8:
                {
                    // A tensor renamed (a letter of a key before ":{"): a missing and an unexpected tensor.
                    int[] keys = Enumerable.Range(0, header.Length).Where(k => header[k] == '"' && header.AsSpan(k).StartsWith("\":{\"")).ToArray();
                    if (keys.Length == 0) goto default;
                    int at = 8 + keys[random.Next(keys.Length)] - 1;
                    file = Replace(file, at, 1, [(byte)('a' + random.Next(26))]);
                    what.Add("tensor renamed at " + at);
                    break;
                }
                case 8 when headerEnd > 8:
                {
                    // A shape's first two dimensions swapped: the same size, the wrong shape.
                    MatchCollection shapes = Regex.Matches(header, "\"shape\":\\[(\\d+),(\\d+)");
                    if (shapes.Count == 0) goto default;
                    System.Text.RegularExpressions.Match shape = shapes[random.Next(shapes.Count)];
                    string swapped = shape.Groups[2].Value + "," + shape.Groups[1].Value;
                    int at = 8 + shape.Groups[1].Index;
                    file = Replace(file, at, swapped.Length, Encoding.ASCII.GetBytes(swapped));
                    what.Add("shape swapped at " + at);
                    break;
                }
                default:
                {
                    // A data byte changed: the header stays valid; the values, or an absent kernel, change.
                    if (file.Length <= headerEnd) goto case 2;
                    int at = random.Next(headerEnd, file.Length);
                    file = Replace(file, at, 1, [(byte)random.Next(256)]);
                    what.Add("data byte at " + at);
                    break;
                }
            }
        }
        return (file, string.Join("; ", what));
    }

    private static byte[] WithHeaderLength(byte[] file, ulong length)
    {
        byte[] result = file.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(result, length);
        return result;
    }
}
