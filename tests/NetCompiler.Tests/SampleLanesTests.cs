using System;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Tests;

/// <summary>
/// SampleLanes.Transpose, which generated BackwardBatch code uses to put 16 samples' records into the lanes of each
/// vector: every element lands at f·16 + s, for row lengths of one block, several blocks and LeNet-5's C3 record,
/// whichever path (AVX-512, AVX, element by element) this machine takes; JitCheck compares the AVX-512 and AVX paths
/// through the gradients they feed.
/// </summary>
public class SampleLanesTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(16)]
    [InlineData(48)]
    [InlineData(1184)]
    public void EveryElementLandsAtItsLane(int rowLength)
    {
        var rows = new float[16 * rowLength];
        for (int k = 0; k < rows.Length; k++) rows[k] = k; // distinct, exact in float below 2^24
        var lanes = new float[16 * rowLength + 5];
        lanes.AsSpan().Fill(-1);
        SampleLanes.Transpose(rows, rowLength, lanes);
        int wrong = 0;
        string first = "";
        for (int s = 0; s < 16; s++)
            for (int f = 0; f < rowLength; f++)
                if (lanes[f * 16 + s] != rows[s * rowLength + f] && wrong++ == 0)
                    first = $"lanes[{f * 16 + s}] (sample {s}, element {f}) is {lanes[f * 16 + s]}, expected {rows[s * rowLength + f]}";
        Assert.True(wrong == 0, $"{wrong} elements misplaced; the first: {first}");
        for (int k = 16 * rowLength; k < lanes.Length; k++) Assert.Equal(-1f, lanes[k]); // nothing written past the record
    }

    /// <summary>ToRows undoes Transpose, on either path (AVX-512 where this machine has it, and element by element), and writes nothing past the rows.</summary>
    [Theory]
    [InlineData("Public", 16)]
    [InlineData("Public", 1184)]
    [InlineData("Avx512", 400)]
    [InlineData("Scalar", 48)]
    public void ToRowsPutsEveryLaneBackInItsRow(string path, int rowLength)
    {
        if (path == "Avx512" && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            output.WriteLine("SKIPPED: SampleLanes.ToRows' AVX-512 path needs AVX-512, which this machine lacks; the element-by-element path is checked.");
            return;
        }
        var lanes = new float[16 * rowLength];
        for (int k = 0; k < lanes.Length; k++) lanes[k] = k;
        var rows = new float[16 * rowLength + 5];
        rows.AsSpan().Fill(-1);
        switch (path)
        {
            case "Public": SampleLanes.ToRows(lanes, rowLength, rows); break;
            case "Avx512": SampleLanes.ToRowsAvx512(ref lanes[0], rowLength, ref rows[0]); break;
            default: SampleLanes.ToRowsScalar(ref lanes[0], rowLength, ref rows[0]); break;
        }
        int wrong = 0;
        string first = "";
        for (int s = 0; s < 16; s++)
            for (int f = 0; f < rowLength; f++)
                if (rows[s * rowLength + f] != lanes[f * 16 + s] && wrong++ == 0)
                    first = $"rows[{s * rowLength + f}] (sample {s}, element {f}) is {rows[s * rowLength + f]}, expected {lanes[f * 16 + s]}";
        Assert.True(wrong == 0, $"{path}: {wrong} elements misplaced; the first: {first}");
        for (int k = 16 * rowLength; k < rows.Length; k++) Assert.Equal(-1f, rows[k]);
        var back = new float[16 * rowLength];
        SampleLanes.Transpose(rows, rowLength, back);
        Assert.Equal(lanes, back);
    }

    [Fact]
    public void ToRowsRejectsBadLengthsNamingThem()
    {
        var e = Assert.Throws<ArgumentException>("rowLength", () => SampleLanes.ToRows(new float[256], 15, new float[256]));
        Assert.Contains("multiple of 16, got 15", e.Message);
        e = Assert.Throws<ArgumentException>("lanes", () => SampleLanes.ToRows(new float[255], 16, new float[256]));
        Assert.Contains("256", e.Message);
        e = Assert.Throws<ArgumentException>("rows", () => SampleLanes.ToRows(new float[256], 16, new float[100]));
        Assert.Contains("has 100", e.Message);
    }

    /// <summary>Each path (AVX-512, AVX, element by element) that this machine can run, directly.</summary>
    [Theory]
    [InlineData("Avx512", 16)]
    [InlineData("Avx512", 1184)]
    [InlineData("Avx", 16)]
    [InlineData("Avx", 1184)]
    [InlineData("Scalar", 48)]
    public void EachPathPutsEveryElementAtItsLane(string path, int rowLength)
    {
        if (path == "Avx512" && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported || path == "Avx" && !System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            output.WriteLine($"SKIPPED: SampleLanes' {path} path needs {path}, which this machine lacks; the tests above checked the path it takes.");
            return;
        }
        var rows = new float[16 * rowLength];
        for (int k = 0; k < rows.Length; k++) rows[k] = k;
        var lanes = new float[16 * rowLength];
        ref float source = ref rows[0], target = ref lanes[0];
        switch (path)
        {
            case "Avx512": SampleLanes.TransposeAvx512(ref source, rowLength, ref target); break;
            case "Avx": SampleLanes.TransposeAvx(ref source, rowLength, ref target); break;
            default: SampleLanes.TransposeScalar(ref source, rowLength, ref target); break;
        }
        for (int s = 0; s < 16; s++)
            for (int f = 0; f < rowLength; f++)
                Assert.True(lanes[f * 16 + s] == rows[s * rowLength + f], $"{path}: sample {s}, element {f} is {lanes[f * 16 + s]}, expected {rows[s * rowLength + f]}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-16)]
    [InlineData(24)]
    public void RowLengthsThatAreNotPositiveMultiplesOf16AreRefused(int rowLength)
    {
        var error = Assert.Throws<ArgumentException>(() => SampleLanes.Transpose(new float[1024], rowLength, new float[1024]));
        Assert.Equal("rowLength", error.ParamName);
        Assert.Contains("multiple of 16", error.Message);
    }

    [Fact]
    public void ShortSpansAreRefused()
    {
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => SampleLanes.Transpose(new float[16 * 32 - 1], 32, new float[16 * 32])).ParamName);
        Assert.Equal("lanes", Assert.Throws<ArgumentException>(() => SampleLanes.Transpose(new float[16 * 32], 32, new float[16 * 32 - 1])).ParamName);
    }
}
