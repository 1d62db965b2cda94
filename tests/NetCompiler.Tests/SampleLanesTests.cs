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
