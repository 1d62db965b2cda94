using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using NetCompiler.Data;
using NetCompiler.Serialization;
using NetCompiler.Tests.Data;
using Xunit;
using Xunit.Abstractions;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;
using static NetCompiler.Tests.Support.Bytes;

namespace NetCompiler.Tests.Fuzz;

/// <summary>
/// Seeded mutants of valid files through the public readers (issue 18): safetensors files through SafeTensors.Load
/// (into a network and as weights) and ReadMetadata, IDX files, raw and gzipped, through IdxFile.Read. Each mutant
/// either loads or fails with the documented exception (SafeTensorsException; InvalidDataException for IDX), and a
/// failed Load leaves the network's parameters bit for bit as they were. Any other exception or a hang fails the test
/// with the seed and the mutant's index, and the mutant's bytes are written to a file to reproduce it.
/// By default each kind runs for about 9 s and at least 2,000 mutants with seed 18; NETCOMPILER_FUZZ_SEED changes the
/// seed, NETCOMPILER_FUZZ_FILES=N runs exactly N mutants of each kind whatever the time. The outcome counts go to the
/// test output in both modes.
/// </summary>
public sealed class FileFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int DefaultSeed = 18, MinimumMutants = 2_000;
    private static readonly TimeSpan TimePerKind = TimeSpan.FromSeconds(9), Hang = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("NETCOMPILER_FUZZ_SEED"), out int seed) ? seed : DefaultSeed;

    /// <summary>N of NETCOMPILER_FUZZ_FILES (the long mode), or null.</summary>
    private static int? Count => int.TryParse(Environment.GetEnvironmentVariable("NETCOMPILER_FUZZ_FILES"), out int n) && n > 0 ? n : null;

    /// <summary>Mutant <paramref name="index"/>'s own generator: any mutant is reproduced from the seed and its index alone.</summary>
    private static Random MutantRandom(int seed, int index) => new(unchecked(seed * 1_000_003 + index));

    private static readonly byte[] Interesting = [0, 0xFF, 0x7F, 0x80, (byte)'"', (byte)'\\', (byte)'u', (byte)'0', (byte)'1', (byte)'9', (byte)'{', (byte)'}', (byte)',', (byte)':', (byte)'[', (byte)']', 0x1F, 0x8B, 0xC0, 0xED];

    // -----------------------------------------------------------------------------------------------------------------
    // Safetensors.

    private sealed record SafeTensorsOriginal(string Kind, Precision Precision, byte[] File);

    [Fact]
    public async Task Mutated_safetensors_files_load_or_throw_SafeTensorsException()
    {
        var originals = new List<SafeTensorsOriginal>();
        var metadata = new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "naïve → ok" };
        foreach (string kind in new[] { "mlp", "lenet-small" })
            foreach (Precision precision in new[] { Precision.Single, Precision.Double })
            {
                string path = _directory.File("original.safetensors");
                if (precision == Precision.Single) SafeTensors.Save(path, Network<float>(kind, seed: 1), metadata);
                else SafeTensors.Save(path, Network<double>(kind, seed: 1), metadata);
                originals.Add(new SafeTensorsOriginal(kind, precision, File.ReadAllBytes(path)));
            }
        await Run("safetensors", index =>
        {
            Random random = MutantRandom(Seed, index);
            SafeTensorsOriginal original = originals[random.Next(originals.Count)];
            (byte[] mutant, string what) = MutateSafeTensors(original.File, random);
            // Read with the other precision a quarter of the time (a conversion).
            bool single = (original.Precision == Precision.Single) != (random.Next(4) == 0);
            return (mutant, what, (string path) => single ? LoadSafeTensors<float>(path, original.Kind) : LoadSafeTensors<double>(path, original.Kind));
        }, typeof(SafeTensorsException));
    }

    /// <summary>Load into a network (unchanged bit for bit when it fails), as weights, and ReadMetadata; they agree.</summary>
    private static string LoadSafeTensors<T>(string path, string kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        InterpretedNetwork<T> network = Network<T>(kind, seed: 9);
        byte[] before = MemoryMarshal.AsBytes(network.Parameters).ToArray();
        bool loaded;
        try
        {
            SafeTensors.Load(path, network);
            loaded = true;
        }
        catch (SafeTensorsException)
        {
            Assert.True(before.AsSpan().SequenceEqual(MemoryMarshal.AsBytes(network.Parameters)), "a failed Load changed the network's parameters");
            loaded = false;
        }
        if (loaded)
        {
            NetworkWeights<T> weights = SafeTensors.Load<T>(path, network.Topology);
            Assert.True(MemoryMarshal.AsBytes(weights.AsReadOnlySpan()).SequenceEqual(MemoryMarshal.AsBytes(network.Parameters)), "Load into a network and as weights differ");
            _ = SafeTensors.ReadMetadata(path); // a file that loads has a readable header
            return "ok";
        }
        try
        {
            _ = SafeTensors.ReadMetadata(path);
            return "SafeTensorsException (the header alone reads)";
        }
        catch (SafeTensorsException)
        {
            return "SafeTensorsException (ReadMetadata too)";
        }
    }

    private static readonly string[] Escapes =
        ["\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00", "\\ud83d", "\\u0000", "\\u00e9", "\\uZZZZ", "\\u12", "\\", "\\\"", "\\x", "é", "\u0001"];

    private static readonly string[] Numbers =
        ["18446744073709551615", "18446744073709551616", "9223372036854775807", "9223372036854775808", "99999999999999999999999",
         "4294967296", "2147483647", "2147483648", "-1", "-0", "1e3", "0.5", "00", "0", "1"];

    /// <summary>One of the mutations the brief of issue 18 lists, and a description of it.</summary>
    private static (byte[] File, string What) MutateSafeTensors(byte[] file, Random random)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        int Anywhere() => random.Next(4) == 0 ? random.Next(file.Length) : 8 + random.Next(n); // mostly in the header
        switch (random.Next(9))
        {
            case 0:
            {
                byte[] result = (byte[])file.Clone();
                int flips = random.Next(1, 5);
                for (int i = 0; i < flips; i++) result[Anywhere()] ^= (byte)(1 << random.Next(8));
                return (result, flips + " bit flips");
            }
            case 1:
            {
                int at = Anywhere();
                byte value = Interesting[random.Next(Interesting.Length)];
                return (Replace(file, at, 1, [value]), $"byte {at} = 0x{value:X2}");
            }
            case 2:
            {
                int length = random.Next(3) == 0 ? random.Next(8 + n) : random.Next(file.Length);
                return (file[..length], "truncated to " + length);
            }
            case 3:
            {
                int at = Anywhere();
                byte[] inserted = Enumerable.Range(0, random.Next(1, 9)).Select(_ => Interesting[random.Next(Interesting.Length)]).ToArray();
                return (Replace(file, at, 0, inserted), $"{inserted.Length} bytes inserted at {at}");
            }
            case 4:
            {
                ulong[] lengths = [0, 1, 2, (ulong)n - 1, (ulong)n + 1, (ulong)n + 8, (ulong)file.Length, (ulong)file.Length - 8, 100_000_001, uint.MaxValue, ulong.MaxValue, 1UL << 63, (ulong)random.NextInt64()];
                ulong length = lengths[random.Next(lengths.Length)];
                byte[] result = (byte[])file.Clone();
                BinaryPrimitives.WriteUInt64LittleEndian(result, length);
                return (result, "header length " + length);
            }
            default:
                return MutateHeaderText(file, n, random);
        }
    }

    /// <summary>Edits of the header's text, written back with a header length that fits most of the time.</summary>
    private static (byte[] File, string What) MutateHeaderText(byte[] file, int n, Random random)
    {
        string text = Encoding.UTF8.GetString(file, 8, n).TrimEnd(' ');
        byte[] data = file[(8 + n)..];
        int[] commas = Enumerable.Range(0, text.Length).Where(i => text[i] == ',').ToArray();
        int[] quotes = Enumerable.Range(0, text.Length).Where(i => text[i] == '"').ToArray();
        string what;
        switch (random.Next(4))
        {
            case 0: // remove the members between two commas (a key, a field, a tensor)
            {
                int a = commas[random.Next(commas.Length)], b = commas[random.Next(commas.Length)];
                (a, b) = (Math.Min(a, b), Math.Max(a, b));
                text = text.Remove(a, b - a);
                what = $"text [{a}, {b}) removed";
                break;
            }
            case 1: // duplicate the members between two commas
            {
                int a = commas[random.Next(commas.Length)], b = commas[random.Next(commas.Length)];
                (a, b) = (Math.Min(a, b), Math.Max(a, b));
                text = text.Insert(b, text[a..b]);
                what = $"text [{a}, {b}) duplicated";
                break;
            }
            case 2: // an escape or odd character inside a string (a key, a value, a tensor name, a dtype)
            {
                int at = quotes[random.Next(quotes.Length)] + 1;
                string escape = Escapes[random.Next(Escapes.Length)];
                text = text.Insert(at, escape);
                what = $"'{escape}' inserted at {at}";
                break;
            }
            default: // a number of a shape or an offset replaced
            {
                int[] digits = Enumerable.Range(0, text.Length).Where(i => char.IsAsciiDigit(text[i]) && !char.IsAsciiDigit(text[i - 1])).ToArray();
                int at = digits[random.Next(digits.Length)], end = at;
                while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
                string number = Numbers[random.Next(Numbers.Length)];
                text = text[..at] + number + text[end..];
                what = $"number at {at} = {number}";
                break;
            }
        }
        byte[] result = RawFile(text, data);
        if (random.Next(5) == 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)n); // the old length: usually wrong now
            what += ", old header length";
        }
        return (result, what);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // IDX.

    [Fact]
    public async Task Mutated_idx_files_read_or_throw_InvalidDataException()
    {
        var random0 = new Random(1);
        byte[] Bytes(int count)
        {
            var bytes = new byte[count];
            random0.NextBytes(bytes);
            return bytes;
        }
        byte[][] originals =
        [
            IdxTestFiles.UByte([6, 5, 4], Bytes(120)),
            IdxTestFiles.UByte([40], Bytes(40)),
            IdxTestFiles.Concat(IdxTestFiles.Header(IdxFile.Int16, 3, 7), Bytes(42)),
            IdxTestFiles.Concat(IdxTestFiles.Header(IdxFile.Float32, 2, 2, 5), Bytes(80)),
            IdxTestFiles.Concat(IdxTestFiles.Header(IdxFile.Float64, 9), Bytes(72)),
            IdxTestFiles.UByte([64, 64], new byte[4096]), // compresses well
        ];
        await Run("IDX", index =>
        {
            Random random = MutantRandom(Seed, index);
            byte[] original = originals[random.Next(originals.Length)];
            (byte[] mutant, string what) = random.Next(3) switch
            {
                0 => MutateIdx(original, random),
                1 => Gzipped(MutateIdx(original, random)),
                _ => MutateGzip(IdxTestFiles.Gzip(original), random),
            };
            return (mutant, what, (string path) =>
            {
                IdxFile idx = IdxFile.Read(path);
                Assert.Equal(idx.Dimensions.Aggregate(1L, (p, d) => p * d) * IdxFile.ElementSize(idx.TypeCode), idx.Data.Length);
                return "ok";
            });
        }, typeof(InvalidDataException));
    }

    private static (byte[], string) Gzipped((byte[] File, string What) mutant) => (IdxTestFiles.Gzip(mutant.File), mutant.What + ", gzipped");

    private static (byte[] File, string What) MutateIdx(byte[] file, Random random)
    {
        byte[] result = (byte[])file.Clone();
        int rank = file[3];
        switch (random.Next(8))
        {
            case 0:
                result[random.Next(2)] = Interesting[random.Next(Interesting.Length)];
                return (result, "magic corrupted");
            case 1:
                result[2] = random.Next(2) == 0 ? (byte)random.Next(256) : new byte[] { 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0A, 0x0F }[random.Next(8)];
                return (result, $"type 0x{result[2]:X2}");
            case 2:
                result[3] = new byte[] { 0, 1, 2, 3, 4, 255, (byte)(rank - 1), (byte)(rank + 1) }[random.Next(8)];
                return (result, "rank " + result[3]);
            case 3:
            {
                int d = random.Next(rank);
                int[] values = [0, -1, 1, int.MaxValue, int.MinValue, 1 << 24, 65536, BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(4 + 4 * d)) + (random.Next(2) * 2 - 1), random.Next()];
                int value = values[random.Next(values.Length)];
                BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(4 + 4 * d), value);
                return (result, $"dimension {d} = {value}");
            }
            case 4:
            {
                int length = random.Next(file.Length);
                return (file[..length], "truncated to " + length);
            }
            case 5:
            {
                int at = random.Next(file.Length + 1);
                byte[] inserted = Enumerable.Range(0, random.Next(1, 9)).Select(_ => Interesting[random.Next(Interesting.Length)]).ToArray();
                return (Replace(file, at, 0, inserted), $"{inserted.Length} bytes inserted at {at}");
            }
            default:
            {
                int flips = random.Next(1, 4);
                for (int i = 0; i < flips; i++) result[random.Next(Math.Min(result.Length, 4 + 4 * rank + 4))] ^= (byte)(1 << random.Next(8));
                return (result, flips + " bit flips in the header");
            }
        }
    }

    /// <summary>Damage to the gzip bytes themselves: flips, overwrites, truncation, insertion, the trailer's CRC or length.</summary>
    private static (byte[] File, string What) MutateGzip(byte[] gz, Random random)
    {
        byte[] result = (byte[])gz.Clone();
        switch (random.Next(5))
        {
            case 0:
            {
                int flips = random.Next(1, 4);
                for (int i = 0; i < flips; i++) result[random.Next(result.Length)] ^= (byte)(1 << random.Next(8));
                return (result, flips + " bit flips in the gzip bytes");
            }
            case 1:
            {
                int at = random.Next(result.Length);
                result[at] = Interesting[random.Next(Interesting.Length)];
                return (result, $"gzip byte {at} = 0x{result[at]:X2}");
            }
            case 2:
            {
                int length = random.Next(gz.Length);
                return (gz[..length], "gzip truncated to " + length);
            }
            case 3:
            {
                int at = random.Next(gz.Length + 1);
                byte[] inserted = Enumerable.Range(0, random.Next(1, 9)).Select(_ => Interesting[random.Next(Interesting.Length)]).ToArray();
                return (Replace(gz, at, 0, inserted), $"{inserted.Length} bytes inserted in the gzip bytes at {at}");
            }
            default:
            {
                uint[] values = [0, 1, uint.MaxValue, 0x7FFFFFFF, (uint)random.Next()];
                uint value = values[random.Next(values.Length)];
                int at = random.Next(2) == 0 ? gz.Length - 8 : gz.Length - 4;
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(at), value);
                return (result, (at == gz.Length - 8 ? "CRC-32" : "ISIZE") + " = " + value);
            }
        }
    }

    // -----------------------------------------------------------------------------------------------------------------
    // The loop.

    /// <summary>
    /// Runs mutants 0, 1, 2, … of <paramref name="kind"/> (at least <see cref="MinimumMutants"/> and for
    /// <see cref="TimePerKind"/>, or exactly NETCOMPILER_FUZZ_FILES), each written to a file and read by its check,
    /// which returns an outcome name; <paramref name="documented"/> is the one exception a mutant may also end in.
    /// </summary>
    private async Task Run(string kind, Func<int, (byte[] File, string What, Func<string, string> Check)> mutant, Type documented)
    {
        int seed = Seed;
        int? count = Count;
        string path = _directory.File("mutant.bin");
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int current = -1;
        var stopwatch = Stopwatch.StartNew();
        Task run = Task.Run(() =>
        {
            for (int index = 0; count is int n ? index < n : index < MinimumMutants || stopwatch.Elapsed < TimePerKind; index++)
            {
                Volatile.Write(ref current, index);
                (byte[] file, string what, Func<string, string> check) = mutant(index);
                File.WriteAllBytes(path, file);
                string outcome;
                try
                {
                    outcome = check(path);
                }
                catch (Exception e) when (e.GetType() == documented)
                {
                    outcome = documented.Name;
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException(Failure(kind, seed, index, what, file) + ": " + e, e);
                }
                counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            }
        });
        if (await Task.WhenAny(run, Task.Delay(Hang)) != run)
        {
            int index = Volatile.Read(ref current);
            (byte[] file, string what, _) = mutant(index);
            Assert.Fail(Failure(kind, seed, index, what, file) + $": still running after {Hang.TotalSeconds} s (a hang)");
        }
        await run;
        int total = counts.Values.Sum();
        output.WriteLine($"{kind}: seed {seed}, {total} mutants in {stopwatch.Elapsed.TotalSeconds:F1} s: "
                         + string.Join(", ", counts.Select(c => c.Key + " " + c.Value)));
        // Both loading and rejecting are common, so the mutants reach past the first checks.
        Assert.True(counts.GetValueOrDefault(documented.Name) + counts.Where(c => c.Key.StartsWith("SafeTensorsException (", StringComparison.Ordinal)).Sum(c => c.Value) < total,
            "no mutant loaded: " + string.Join(", ", counts));
    }

    /// <summary>Names the mutant and writes its bytes to a file kept after the test, to reproduce it.</summary>
    private static string Failure(string kind, int seed, int index, string what, byte[] file)
    {
        string keep = Path.Combine(Path.GetTempPath(), $"netcompiler-fuzz-{kind}-seed{seed}-mutant{index}.bin");
        File.WriteAllBytes(keep, file);
        return $"{kind} mutant {index} of seed {seed} ({what}; NETCOMPILER_FUZZ_SEED={seed}, bytes in {keep})";
    }
}
