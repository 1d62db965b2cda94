using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using NetCompiler.Onnx;
using Xunit;
using Xunit.Abstractions;
using static NetCompiler.Tests.Onnx.HandBuilt;
using static NetCompiler.Tests.Support.Bytes;

namespace NetCompiler.Tests.Onnx;

/// <summary>
/// Seeded damage to valid models (exported networks and a hand-written PyTorch-style one): OnnxImporter.Import never
/// throws, never takes a second, never hides an exception behind its safety net, and whatever it accepts is a valid
/// topology with θ of its size. This is what the generator relies on to never fail a build with a crash.
/// </summary>
public sealed class OnnxFuzzTests(ITestOutputHelper output)
{
    private const int Mutations = 10_000;

    [Fact]
    public void Mutated_models_give_a_network_or_problems_never_an_exception_or_a_hang()
    {
        List<(string Name, byte[] Model)> models = Models();
        var counts = new Dictionary<string, int>();
        double slowest = 0;
        string slowestWhat = "";
        var stopwatch = new Stopwatch();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < Mutations; i++)
        {
            var random = new Random(i);
            (string name, byte[] original) = models[i % models.Count];
            (byte[] model, string mutation) = Mutate(original, random);
            if (random.Next(3) == 0)
            {
                (model, string second) = Mutate(model, random);
                mutation += ", then " + second;
            }
            string what = $"mutation {i} of {name} ({mutation})";
            stopwatch.Restart();
            OnnxImport import = OnnxImporter.Import("fuzz.onnx", model, random.Next(2) == 0 ? LossFunction.CrossEntropy : null);
            double seconds = stopwatch.Elapsed.TotalSeconds;
            if (seconds > slowest)
            {
                slowest = seconds;
                slowestWhat = what;
            }
            Assert.DoesNotContain(import.Problems, p => p.Message.Contains("the importer failed", StringComparison.Ordinal));
            string outcome;
            if (import.Theta is not null)
            {
                Assert.Empty(import.Problems);
                var topology = new NetworkTopology(import.InputShape!, import.Layers, null, Precision.Single, import.Output);
                Assert.Equal(topology.ParameterCount, import.Theta.Length);
                outcome = "imported";
            }
            else
            {
                Assert.NotEmpty(import.Problems);
                outcome = import.Problems[0].Kind.ToString();
            }
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
        }
        output.WriteLine($"{Mutations} mutations in {total.Elapsed.TotalSeconds:F2} s: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => c.Key + " " + c.Value)));
        output.WriteLine($"slowest import: {slowest * 1000:F2} ms ({slowestWhat})");
        Assert.True(slowest < 1, $"the slowest import took {slowest:F2} s: {slowestWhat}");
    }

    /// <summary>The valid models mutated: exported networks (chain, LeNet-style table and trainable pools, joins, Conv1D) and a PyTorch-style CNN.</summary>
    private static List<(string, byte[])> Models()
    {
        var models = new List<(string, byte[])>();
        foreach (string name in new[] { "mlp relu-relu-softmax", "conv1d stride padding maxpool", OnnxCases.ThreeWay, "add concat multi-source dense" })
            models.Add((name, OnnxModel.ToBytes(OnnxCases.Weights<float>(OnnxCases.Topology(name, Precision.Single), seed: 1))));
        var lenet = new NetworkTopology(new TensorShape(1, 20, 20), Support.Graphs.LeNet5Layers(kernel5: 3, c5: 12, f6: 8), LossFunction.CrossEntropy, Precision.Double);
        models.Add(("lenet-small double", OnnxModel.ToBytes(OnnxCases.Weights<double>(lenet, seed: 1))));
        models.Add(("pytorch-style cnn", PyTorchStyle()));
        return models;
    }

    /// <summary>Constant → Pad → Conv, BatchNormalization, Relu, MaxPool, Constant → Reshape, Dropout, Gemm, as torch.onnx.export writes them.</summary>
    private static byte[] PyTorchStyle()
    {
        OnnxWriter g = Graph("batch", "1", "8", "8");
        g.Weight("onnx::Conv_20", [4, 1, 3, 3], seed: 1);
        g.Weight("onnx::Conv_21", [4], seed: 2);
        g.Weight("bn.weight", [4], seed: 3);
        g.Weight("bn.bias", [4], seed: 4);
        g.Weight("bn.running_mean", [4], seed: 5);
        g.Weight("bn.running_var", [4], seed: 6, low: 0.5, high: 1.5);
        g.Weight("fc.weight", [3, 64], seed: 7);
        g.Weight("fc.bias", [3], seed: 8);
        g.Int64Constant("/Constant", "/Constant_output_0", 0, 0, 1, 1, 0, 0, 1, 1);
        g.Node("Pad", "/Pad", ["x", "/Constant_output_0"], ["/Pad_output_0"], OnnxWriter.Text("mode", "constant"));
        g.Node("Conv", "/conv1/Conv", ["/Pad_output_0", "onnx::Conv_20", "onnx::Conv_21"], ["/conv1/Conv_output_0"], OnnxWriter.Ints("kernel_shape", 3, 3));
        g.Node("BatchNormalization", "/bn/BatchNormalization", ["/conv1/Conv_output_0", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["/bn/out"]);
        g.Node("Relu", "/relu/Relu", ["/bn/out"], ["/relu/Relu_output_0"]);
        g.Node("MaxPool", "/pool/MaxPool", ["/relu/Relu_output_0"], ["/pool/MaxPool_output_0"], OnnxWriter.Ints("kernel_shape", 2, 2), OnnxWriter.Ints("strides", 2, 2));
        g.Int64Constant("/Constant_1", "/Constant_1_output_0", 1, -1);
        g.Node("Reshape", "/Reshape", ["/pool/MaxPool_output_0", "/Constant_1_output_0"], ["/Reshape_output_0"]);
        g.Node("Dropout", "/drop/Dropout", ["/Reshape_output_0"], ["/drop/Dropout_output_0"]);
        g.Node("Gemm", "/fc/Gemm", ["/drop/Dropout_output_0", "fc.weight", "fc.bias"], ["logits"], OnnxWriter.Int("transB", 1));
        byte[] model = g.Model("logits");
        OnnxImport import = Import(model);
        Assert.True(import.Theta is not null, string.Join("; ", import.Problems));
        return model;
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Mutations.

    /// <summary>
    /// One mutation: raw damage (bit flips, truncation, inserted bytes, a wrong length, a changed tag), or a structural
    /// edit that keeps every enclosing length right (a field duplicated or deleted, a number changed), so that the
    /// importer, not only the reader, sees odd models: duplicate nodes, missing inputs, wrong dims, other attributes.
    /// </summary>
    private static (byte[] Model, string What) Mutate(byte[] model, Random random)
    {
        if (model.Length == 0) return ([(byte)random.Next(256)], "one random byte");
        List<Field> fields = Fields(model, 0, model.Length, 0);
        List<Field> delimited = fields.FindAll(f => f.Delimited);
        switch (delimited.Count == 0 ? random.Next(3) : random.Next(8))
        {
            case 0:
            {
                byte[] result = (byte[])model.Clone();
                int flips = 1 + random.Next(8);
                for (int k = 0; k < flips; k++) result[random.Next(result.Length)] ^= (byte)(1 << random.Next(8));
                return (result, flips + " bit flips");
            }
            case 1:
            {
                int length = random.Next(model.Length);
                return (model.AsSpan(0, length).ToArray(), "truncated to " + length);
            }
            case 2:
            {
                int at = random.Next(model.Length + 1);
                byte[] insert = new byte[1 + random.Next(16)];
                random.NextBytes(insert);
                return (Replace(model, at, 0, insert), insert.Length + " random bytes inserted at " + at);
            }
            case 3:
            {
                // A length prefix replaced by a nearby, a huge or a random value, of whatever length it encodes to.
                Field field = delimited[random.Next(delimited.Count)];
                ulong value = (ulong)(field.End - field.Value);
                value = random.Next(3) switch
                {
                    0 => value + (ulong)random.Next(-3, 4),
                    1 => random.Next(2) == 0 ? 0xFFFFFFFFUL : ulong.MaxValue,
                    _ => (ulong)random.Next(1 << 20),
                };
                return (Replace(model, field.Length, field.Value - field.Length, Varint(value)), "length of the field at " + field.Tag + " set to " + value);
            }
            case 4:
            {
                Field field = fields[random.Next(fields.Count)];
                byte[] bytes = model.AsSpan(field.Tag, field.End - field.Tag).ToArray();
                return (Edit(model, 0, model.Length, field, [.. bytes, .. bytes]), "field at " + field.Tag + " duplicated");
            }
            case 5:
            {
                Field field = fields[random.Next(fields.Count)];
                return (Edit(model, 0, model.Length, field, []), "field at " + field.Tag + " deleted");
            }
            case 6:
            {
                List<Field> numbers = fields.FindAll(f => !f.Delimited);
                if (numbers.Count == 0) goto case 5;
                Field field = numbers[random.Next(numbers.Count)];
                ulong value = random.Next(4) switch
                {
                    0 => 0,
                    1 => (ulong)random.Next(1, 30),
                    2 => ulong.MaxValue - (ulong)random.Next(3), // −1, −2, −3 as int64
                    _ => (ulong)random.Next(),
                };
                byte[] replacement = [.. model.AsSpan(field.Tag, field.Value - field.Tag), .. Varint(value)];
                return (Edit(model, 0, model.Length, field, replacement), "number at " + field.Tag + " set to " + (long)value);
            }
            default:
            {
                Field field = fields[random.Next(fields.Count)];
                byte[] result = (byte[])model.Clone();
                result[field.Tag] = (byte)((result[field.Tag] & 0x80) | random.Next(0x80));
                return (result, "tag at " + field.Tag + " changed");
            }
        }
    }

    /// <summary>A field: where its tag, its length varint (delimited), its value and its end are.</summary>
    private readonly record struct Field(int Tag, int Length, int Value, int End, bool Delimited);

    /// <summary>
    /// The varint and length-delimited fields of bytes[start, end), and those inside every delimited field whose data
    /// parses as a message, found with a scanner written here from the wire format (independent of ProtoReader).
    /// </summary>
    private static List<Field> Fields(byte[] bytes, int start, int end, int depth)
    {
        var fields = new List<Field>();
        if (depth > 8) return fields;
        int position = start;
        while (position < end)
        {
            int tag = position;
            if (!TryVarint(bytes, ref position, end, out ulong key)) return fields;
            switch (key & 7)
            {
                case 0:
                    int value = position;
                    if (!TryVarint(bytes, ref position, end, out _)) return fields;
                    fields.Add(new Field(tag, value, value, position, Delimited: false));
                    break;
                case 1: position += 8; break;
                case 5: position += 4; break;
                case 2:
                {
                    int lengthAt = position;
                    if (!TryVarint(bytes, ref position, end, out ulong length) || length > (ulong)(end - position)) return fields;
                    var field = new Field(tag, lengthAt, position, position + (int)length, Delimited: true);
                    fields.Add(field);
                    List<Field> inner = Fields(bytes, field.Value, field.End, depth + 1);
                    if (inner.Count > 0 && inner[^1].End == field.End) fields.AddRange(inner);
                    position = field.End;
                    break;
                }
                default:
                    return fields;
            }
            if (position > end) return fields;
        }
        return fields;
    }

    /// <summary>bytes[start, end) with <paramref name="target"/> replaced by <paramref name="replacement"/>, every enclosing length rewritten.</summary>
    private static byte[] Edit(byte[] bytes, int start, int end, Field target, byte[] replacement)
    {
        var result = new List<byte>();
        int position = start;
        while (position < end)
        {
            int tag = position;
            ulong length = 0;
            int lengthAt = 0;
            bool valid = TryVarint(bytes, ref position, end, out ulong key) && (key & 7) is 0 or 1 or 2 or 5;
            if (valid && (key & 7) == 2)
            {
                lengthAt = position;
                valid = TryVarint(bytes, ref position, end, out length) && length <= (ulong)(end - position);
            }
            if (!valid)
            {
                result.AddRange(bytes.AsSpan(tag, end - tag).ToArray()); // past what parses: kept as it is
                break;
            }
            int fieldEnd;
            if ((key & 7) == 2)
            {
                fieldEnd = position + (int)length;
                if (tag != target.Tag && position <= target.Tag && target.End <= fieldEnd)
                {
                    byte[] inner = Edit(bytes, position, fieldEnd, target, replacement);
                    result.AddRange(bytes.AsSpan(tag, lengthAt - tag).ToArray());
                    result.AddRange(Varint((ulong)inner.Length));
                    result.AddRange(inner);
                    position = fieldEnd;
                    continue;
                }
            }
            else if ((key & 7) == 0)
            {
                TryVarint(bytes, ref position, end, out _);
                fieldEnd = position;
            }
            else fieldEnd = position + ((key & 7) == 1 ? 8 : 4);
            fieldEnd = Math.Min(fieldEnd, end);
            if (tag == target.Tag) result.AddRange(replacement);
            else result.AddRange(bytes.AsSpan(tag, fieldEnd - tag).ToArray());
            position = fieldEnd;
        }
        return result.ToArray();
    }


    private static bool TryVarint(byte[] bytes, ref int position, int end, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && position < end; shift += 7)
        {
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return bytes.ToArray();
    }
}
