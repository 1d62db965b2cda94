using System;

namespace NetCompiler.Tests.Support;

/// <summary>Byte-array edits for the fuzz tests (safetensors and ONNX).</summary>
public static class Bytes
{
    /// <summary>A copy of <paramref name="file"/> with <paramref name="count"/> bytes at <paramref name="at"/> replaced by <paramref name="bytes"/>.</summary>
    public static byte[] Replace(byte[] file, int at, int count, byte[] bytes)
    {
        var result = new byte[file.Length - count + bytes.Length];
        file.AsSpan(0, at).CopyTo(result);
        bytes.CopyTo(result, at);
        file.AsSpan(at + count).CopyTo(result.AsSpan(at + bytes.Length));
        return result;
    }
}
