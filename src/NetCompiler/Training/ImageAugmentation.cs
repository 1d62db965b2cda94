using System;
using System.Globalization;
using System.Numerics;

namespace NetCompiler.Training;

/// <summary>
/// Random transformations of each training image, drawn afresh for every sample in every epoch: a mirror image
/// (left–right) with probability ½, and a shift by dx, dy ∈ [−MaxShift, MaxShift] pixels with the uncovered border
/// set to 0 (torchvision's RandomHorizontalFlip and RandomCrop(padding = MaxShift) on a zero background). Set it as
/// <see cref="TrainingOptions.Augmentation"/>; <see cref="Trainer{T}"/> applies it to the training minibatches only
/// (never to evaluation). The draws come from SplitMix64 seeded with (Seed, epoch, sample index), so a run is the same
/// for any number of workers and does not depend on the order samples are visited in.
/// </summary>
/// <example>
/// <code>
/// var options = new TrainingOptions { Epochs = 20, Seed = 1, Augmentation = new ImageAugmentation { HorizontalFlip = true, MaxShift = 2 } };
/// </code>
/// </example>
public sealed class ImageAugmentation
{
    private readonly int _maxShift;

    /// <summary>Whether half of the images are mirrored left–right (default false).</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>The largest shift in pixels along each axis, 0 to 64 (default 0: none).</summary>
    public int MaxShift
    {
        get => _maxShift;
        init => _maxShift = value is >= 0 and <= 64
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxShift), value, string.Create(CultureInfo.InvariantCulture, $"MaxShift must be between 0 and 64 pixels, got {value}."));
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless images of <paramref name="shape"/> can be transformed.</summary>
    internal void Check(TensorShape shape)
    {
        if (shape.Rank != 3)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Image augmentation needs a network whose input is images [channels, height, width]; this network's input is {shape}."));
        if (MaxShift >= shape.Height || MaxShift >= shape.Width)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Augmentation MaxShift {MaxShift} must be smaller than the images' height and width ({shape.Height}×{shape.Width})."));
    }

    /// <summary>The draw for one sample: whether it is mirrored, and its shift (dx, dy), each in [−MaxShift, MaxShift].</summary>
    internal (bool Flip, int Dx, int Dy) Draw(int seed, int epoch, int sample)
    {
        ulong state = unchecked(((ulong)(uint)seed << 32 | (uint)epoch) * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)sample * 0xD1B54A32D192ED03UL);
        ulong bits = SplitMix64(ref state);
        int span = 2 * MaxShift + 1;
        bool flip = HorizontalFlip && (bits & 1) == 1;
        int dx = (int)((bits >> 8) % (ulong)span) - MaxShift, dy = (int)((bits >> 32) % (ulong)span) - MaxShift;
        return (flip, dx, dy);
    }

    /// <summary>
    /// destination[c, y, x] = source[c, y − dy, x′ − dx], x′ = W − 1 − x when mirrored (else x), or 0 outside the
    /// image: the image mirrored, then moved right by dx and down by dy.
    /// </summary>
    internal static void Apply<T>(ReadOnlySpan<T> source, Span<T> destination, TensorShape shape, bool flip, int dx, int dy)
        where T : unmanaged, INumberBase<T>
    {
        int channels = shape.Channels, height = shape.Height, width = shape.Width;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                Span<T> row = destination.Slice((c * height + y) * width, width);
                int sy = y - dy;
                if ((uint)sy >= (uint)height)
                {
                    row.Clear();
                    continue;
                }
                ReadOnlySpan<T> from = source.Slice((c * height + sy) * width, width);
                for (int x = 0; x < width; x++)
                {
                    int sx = x - dx;
                    row[x] = (uint)sx >= (uint)width ? T.Zero : from[flip ? width - 1 - sx : sx];
                }
            }
    }

    /// <summary>A one-line summary for logs, e.g. "flip, shift ±2".</summary>
    public override string ToString() => (HorizontalFlip, MaxShift) switch
    {
        (false, 0) => "none",
        (true, 0) => "flip",
        (false, var s) => string.Create(CultureInfo.InvariantCulture, $"shift ±{s}"),
        (true, var s) => string.Create(CultureInfo.InvariantCulture, $"flip, shift ±{s}"),
    };

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
