using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// F16, BF16, F32 and F64 tensors load into float and double networks: the conversions (written by hand, shared with
/// the netstandard2.0 generator) against .NET's System.Half, BitConverter and the definition of rounding to nearest
/// even, and whole files of mixed dtypes through SafeTensors.Load.
/// </summary>
public sealed class SafeTensorsDTypeTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Every_F16_value_converts_as_System_Half_does()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = SafeTensorsFormat.HalfToSingle((ushort)bits);
            if (float.IsNaN(expected))
            {
                // A NaN stays a NaN of the same sign and payload (System.Half quiets it the same way: the top fraction bit set).
                Assert.True(float.IsNaN(actual), bits.ToString("X4"));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
            }
            else Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                bits.ToString("X4") + ": " + expected + " expected, " + actual + " read");
        }
    }

    [Theory]
    [InlineData((ushort)0x0000, 0.0)]
    [InlineData((ushort)0x8000, -0.0)]
    [InlineData((ushort)0x0001, 5.9604644775390625e-8)]   // the smallest subnormal, 2^-24
    [InlineData((ushort)0x03FF, 6.0975551605224609e-5)]   // the largest subnormal, 1023 * 2^-24
    [InlineData((ushort)0x0400, 6.103515625e-5)]          // the smallest normal, 2^-14
    [InlineData((ushort)0x3C00, 1.0)]
    [InlineData((ushort)0xC000, -2.0)]
    [InlineData((ushort)0x7BFF, 65504.0)]                 // the largest finite half
    [InlineData((ushort)0x7C00, double.PositiveInfinity)]
    [InlineData((ushort)0xFC00, double.NegativeInfinity)]
    [InlineData((ushort)0x3555, 0.333251953125)]
    public void Known_F16_values(ushort bits, double value)
    {
        float actual = SafeTensorsFormat.HalfToSingle(bits);
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(actual)); // -0 is not +0
    }

    [Fact]
    public void BF16_is_the_upper_half_of_a_float()
    {
        float[] known = [0f, -0f, 1f, -2.5f, 3.140625f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -1e38f, float.Epsilon * 65536];
        foreach (float value in known)
        {
            ushort upper = (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16);
            float truncated = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) & 0xFFFF0000);
            Assert.Equal(BitConverter.SingleToInt32Bits(truncated), BitConverter.SingleToInt32Bits(SafeTensorsFormat.BFloat16ToSingle(upper)));
        }
        Assert.Equal(3.140625f, SafeTensorsFormat.BFloat16ToSingle(0x4049));
        Assert.Equal(-0f, SafeTensorsFormat.BFloat16ToSingle(0x8000));
        Assert.True(float.IsNegative(SafeTensorsFormat.BFloat16ToSingle(0x8000)));
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
            Assert.Equal(bits << 16, BitConverter.SingleToInt32Bits(SafeTensorsFormat.BFloat16ToSingle((ushort)bits)));
    }

    [Fact]
    public void F64_rounds_to_the_nearest_float_ties_to_even()
    {
        double overflow = float.MaxValue + Math.ScaleB(1.0, 103); // halfway between float.MaxValue and 2^128
        (double Value, float Expected)[] cases =
        [
            (1 + Math.ScaleB(1.0, -24), 1f),                               // halfway between 1 and 1 + 2^-23: to the even, 1
            (1 + Math.ScaleB(3.0, -24), 1 + MathF.ScaleB(1f, -22)),        // halfway between 1 + 2^-23 and 1 + 2^-22: to the even
            (Math.BitIncrement(1 + Math.ScaleB(1.0, -24)), 1 + MathF.ScaleB(1f, -23)), // just above halfway: up
            (Math.BitDecrement(1 + Math.ScaleB(1.0, -24)), 1f),            // just below halfway: down
            (-1 - Math.ScaleB(1.0, -24), -1f),
            (0.1, 0.1f),
            (Math.ScaleB(1.0, -149), float.Epsilon),                       // the smallest subnormal float
            (Math.ScaleB(1.0, -150), 0f),                                  // halfway between 0 and 2^-149: to the even, 0
            (-Math.ScaleB(1.0, -150), -0f),
            (Math.ScaleB(3.0, -150), MathF.ScaleB(1f, -148)),              // halfway between 2^-149 and 2^-148: to the even
            (Math.BitDecrement(overflow), float.MaxValue),
            (overflow, float.PositiveInfinity),                            // the tie goes to the even: 2^128, infinity
            (1e300, float.PositiveInfinity),
            (-1e300, float.NegativeInfinity),
            (double.NegativeInfinity, float.NegativeInfinity),
        ];
        foreach ((double value, float expected) in cases)
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(Single(F64(value))),
                value.ToString("R") + " should read as " + expected.ToString("R"));
    }

    [Fact]
    public void F64_to_float_is_the_nearest_float_on_random_values()
    {
        var random = new Random(17);
        var values = new double[100_000];
        for (int i = 0; i < values.Length; i++)
        {
            // Any double of float's normal range, with random low bits: random exponent, random fraction, random sign.
            values[i] = BitConverter.Int64BitsToDouble(((long)random.Next(0x381, 0x47F) << 52) | random.NextInt64(1L << 52));
            if (random.Next(2) == 0) values[i] = -values[i];
        }
        double[] read = ReadValues(F64(values), Precision.Single);
        for (int i = 0; i < values.Length; i++)
        {
            double value = values[i];
            float actual = (float)read[i];
            // No float is closer (the differences are exact: each pair is within a factor of 2, Sterbenz's lemma),
            // and on a tie the chosen float's last bit is 0.
            double error = Math.Abs(value - actual);
            double up = Math.Abs(value - MathF.BitIncrement(actual)), down = Math.Abs(value - MathF.BitDecrement(actual));
            Assert.True(error <= up && error <= down, value.ToString("R"));
            if (error == up || error == down) Assert.Equal(0, BitConverter.SingleToInt32Bits(actual) & 1);
        }
    }

    [Fact]
    public void NaN_and_signed_zero_survive_every_conversion()
    {
        Assert.True(float.IsNaN(Single(F64(double.NaN))));
        Assert.True(double.IsNaN(Double(F64(double.NaN))));
        Assert.True(float.IsNegative(Single(F64(-0.0))));
        Assert.True(double.IsNegative(Double(F32(-0f))));
        Assert.True(double.IsNaN(Double(F32(float.NaN))));
        Assert.True(double.IsNaN(Double(("F16", [0x01, 0x7E]))));
        Assert.True(double.IsNegative(Double(("BF16", [0x00, 0x80]))));
    }

    [Fact]
    public void F32_and_F64_keep_every_bit_in_their_own_precision_and_widen_exactly()
    {
        var random = new Random(23);
        int[] singleBits = Enumerable.Range(0, 100_000).Select(_ => random.Next(int.MinValue, int.MaxValue))
            .Where(bits => !float.IsNaN(BitConverter.Int32BitsToSingle(bits))).ToArray();
        float[] singles = singleBits.Select(BitConverter.Int32BitsToSingle).ToArray();
        Assert.Equal(singleBits, ReadValues(F32(singles), Precision.Single).Select(v => BitConverter.SingleToInt32Bits((float)v)));
        Assert.Equal(singles.Select(f => (double)f), ReadValues(F32(singles), Precision.Double));
        long[] doubleBits = Enumerable.Range(0, 100_000).Select(_ => random.NextInt64())
            .Where(bits => !double.IsNaN(BitConverter.Int64BitsToDouble(bits))).ToArray();
        Assert.Equal(doubleBits, ReadValues(F64(doubleBits.Select(BitConverter.Int64BitsToDouble).ToArray()), Precision.Double).Select(BitConverter.DoubleToInt64Bits));
    }

    private static float Single((string DType, byte[] Bytes) tensor) => (float)Assert.Single(ReadValues(tensor, Precision.Single));

    private static double Double((string DType, byte[] Bytes) tensor) => Assert.Single(ReadValues(tensor, Precision.Double));

    private static (string, byte[]) F64(params double[] values) =>
        ("F64", Bytes(values, 8, (span, v) => BinaryPrimitives.WriteDoubleLittleEndian(span, v)));

    private static (string, byte[]) F32(params float[] values) =>
        ("F32", Bytes(values, 4, (span, v) => BinaryPrimitives.WriteSingleLittleEndian(span, v)));

    /// <summary>
    /// The values of one tensor read through the shared reader in <paramref name="precision"/>: the weight
    /// "layer1.weight" [n, 1] of a network 1 → n, whose bias is n F32 zeros.
    /// </summary>
    private static double[] ReadValues((string DType, byte[] Bytes) tensor, Precision precision)
    {
        int n = tensor.Bytes.Length * 8 / SafeTensorsFormat.BitSize(tensor.DType), size = tensor.Bytes.Length;
        string json = "{\"layer1.weight\":{\"dtype\":\"" + tensor.DType + "\",\"shape\":[" + n + ",1],\"data_offsets\":[0," + size + "]},"
                      + "\"layer1.bias\":{\"dtype\":\"F32\",\"shape\":[" + n + "],\"data_offsets\":[" + size + "," + (size + 4 * n) + "]}}";
        var topology = new NetworkTopology(1, [new DenseLayer(n, Activation.Identity)], precision: precision);
        double[]? theta = ReadShared(RawFile(json, tensor.Bytes.Concat(new byte[4 * n]).ToArray()), topology, out List<SafeTensorsMismatch> mismatches);
        Assert.Empty(mismatches);
        Assert.Equal(new double[n], theta![n..]);
        return theta[..n];
    }

    /// <summary>
    /// A LeNet-5 file with its tensors in F16, BF16, F32 and F64 in turn (C3 too, with its zero kernels) loads through
    /// SafeTensors.Load into float and double networks with each value converted as System.Half and BitConverter do.
    /// </summary>
    [Fact]
    public void A_file_of_mixed_dtypes_loads_into_float_and_double_networks()
    {
        string path = _directory.File("mixed.safetensors");
        InterpretedNetwork<double> source = Network<double>("lenet", seed: 4);
        SafeTensors.Save(path, source);
        (JsonObject metadata, List<RawTensor> tensors) = ReadRaw(path);
        string[] dtypes = ["F16", "BF16", "F32", "F64"];
        var expectedFloat = new Dictionary<string, float[]>();
        var expectedDouble = new Dictionary<string, double[]>();
        for (int t = 0; t < tensors.Count; t++)
        {
            RawTensor tensor = tensors[t];
            double[] values = Enumerable.Range(0, tensor.Data.Length / 8).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(tensor.Data.AsSpan(8 * i))).ToArray();
            string dtype = dtypes[t % dtypes.Length];
            tensor.Entry["dtype"] = dtype;
            switch (dtype)
            {
                case "F16":
                    Half[] halves = values.Select(v => (Half)v).ToArray();
                    tensor.Data = Bytes(halves, 2, (span, h) => BinaryPrimitives.WriteHalfLittleEndian(span, h));
                    expectedFloat[tensor.Name] = halves.Select(h => (float)h).ToArray();
                    expectedDouble[tensor.Name] = halves.Select(h => (double)h).ToArray();
                    break;
                case "BF16":
                    float[] truncated = values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits((float)v) & 0xFFFF0000)).ToArray();
                    tensor.Data = Bytes(truncated, 2, (span, f) => BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16)));
                    expectedFloat[tensor.Name] = truncated;
                    expectedDouble[tensor.Name] = truncated.Select(f => (double)f).ToArray();
                    break;
                case "F32":
                    float[] singles = values.Select(v => (float)v).ToArray();
                    tensor.Data = Bytes(singles, 4, (span, f) => BinaryPrimitives.WriteSingleLittleEndian(span, f));
                    expectedFloat[tensor.Name] = singles;
                    expectedDouble[tensor.Name] = singles.Select(f => (double)f).ToArray();
                    break;
                default:
                    expectedFloat[tensor.Name] = values.Select(v => (float)v).ToArray();
                    expectedDouble[tensor.Name] = values;
                    break;
            }
        }
        WriteRaw(path, metadata, tensors);

        var floats = new InterpretedNetwork<float>(Topology("lenet", Precision.Single));
        SafeTensors.Load(path, floats);
        var doubles = new InterpretedNetwork<double>(Topology("lenet", Precision.Double));
        SafeTensors.Load(path, doubles);
        foreach ((string name, _, double[] loaded) in Expected<double>(doubles))
            Assert.Equal(expectedDouble[name], loaded);
        foreach ((string name, _, double[] loaded) in Expected<float>(floats))
            Assert.Equal(expectedFloat[name], loaded.Select(v => (float)v).ToArray());
        Assert.Contains(tensors, t => t.Name == "c3.weight" && (string?)t.Entry["dtype"] != "F32"); // the connection-table path converts too
    }

    private delegate void Writer<T>(Span<byte> destination, T value);

    private static byte[] Bytes<T>(T[] values, int size, Writer<T> write)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++) write(bytes.AsSpan(i * size, size), values[i]);
        return bytes;
    }
}
