using System;
using System.Collections.Generic;
using System.IO;
using NetCompiler;
using ScottPlot;
using SkiaSharp;

namespace NetCompiler.Samples.Fashion;

/// <summary>One epoch's numbers as the plots need them.</summary>
public readonly record struct EpochPoint(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy);

/// <summary>The two PNGs the app writes: learning curves (ScottPlot) and first-layer filters (SkiaSharp).</summary>
public static class Plots
{
    /// <summary>Width and height of the learning-curve image.</summary>
    public const int CurvesWidth = 900, CurvesHeight = 540;

    /// <summary>
    /// Train loss and test loss (left axis) and test accuracy in % (right axis) per epoch, as a PNG of
    /// <see cref="CurvesWidth"/>×<see cref="CurvesHeight"/>.
    /// </summary>
    public static void SaveCurves(string path, string title, IReadOnlyList<EpochPoint> epochs)
    {
        if (epochs.Count == 0) throw new ArgumentException("no epochs to plot", nameof(epochs));
        var x = new double[epochs.Count];
        var train = new double[epochs.Count];
        var test = new double[epochs.Count];
        var accuracy = new double[epochs.Count];
        for (int i = 0; i < epochs.Count; i++)
        {
            x[i] = epochs[i].Epoch;
            train[i] = epochs[i].TrainLoss;
            test[i] = epochs[i].TestLoss;
            accuracy[i] = 100 * epochs[i].TestAccuracy;
        }

        var plot = new Plot();
        var trainLine = plot.Add.Scatter(x, train);
        trainLine.LegendText = "train loss";
        trainLine.LineWidth = 2;
        trainLine.MarkerSize = 6;
        var testLine = plot.Add.Scatter(x, test);
        testLine.LegendText = "test loss";
        testLine.LineWidth = 2;
        testLine.MarkerSize = 6;
        var accuracyLine = plot.Add.Scatter(x, accuracy);
        accuracyLine.LegendText = "test accuracy (%)";
        accuracyLine.LineWidth = 2;
        accuracyLine.MarkerSize = 6;
        accuracyLine.LinePattern = LinePattern.Dashed;
        accuracyLine.Axes.YAxis = plot.Axes.Right;

        plot.Title(title);
        plot.XLabel("epoch");
        plot.Axes.Left.Label.Text = "cross-entropy loss (mean per sample)";
        plot.Axes.Right.Label.Text = "test accuracy (%)";
        plot.Axes.Right.Label.ForeColor = accuracyLine.Color;
        plot.ShowLegend(Edge.Bottom); // outside the data area, so it covers no curve

        // Whole epochs on the x axis; a margin so a single epoch still shows as a point in the middle.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (epochs.Count == 1)
            plot.Axes.SetLimitsX(x[0] - 1, x[0] + 1);
        plot.SavePng(path, CurvesWidth, CurvesHeight);
    }

    /// <summary>
    /// The first layer's weights as enlarged grey images, mid-grey for 0, white for the largest positive and black for
    /// the most negative weight of each image: for a 2-D convolution every filter's kernel (first channel); for a dense
    /// layer over a square image the first <paramref name="maxUnits"/> units' weights in the image's shape.
    /// Returns the image's width and height.
    /// </summary>
    public static (int Width, int Height) SaveFilters(string path, string title, NetworkTopology topology, ReadOnlySpan<float> parameters, int maxUnits = 64)
    {
        LayerShape first = topology.Layers[0];
        int side, count, scale;
        Func<int, int, float> weight; // (tile, pixel) → w
        float[] theta = parameters.ToArray();
        if (first.Kind == LayerKind.Conv2D)
        {
            side = first.KernelSize;
            count = first.Shape.Channels;
            scale = Math.Max(8, 200 / side);
            int k2 = side * side;
            weight = (tile, pixel) =>
            {
                int offset = first.KernelOffset(tile, 0);
                return offset < 0 ? 0 : theta[first.WeightOffset + offset + pixel];
            };
        }
        else if (first.Kind == LayerKind.Dense)
        {
            int inputs = first.Inputs;
            side = (int)Math.Round(Math.Sqrt(inputs));
            if (side * side != inputs)
                throw new NotSupportedException($"the first layer's {inputs} inputs are not a square image");
            count = Math.Min(maxUnits, first.Outputs);
            scale = Math.Max(2, 112 / side);
            weight = (tile, pixel) => theta[first.WeightOffset + tile * inputs + pixel];
        }
        else
        {
            throw new NotSupportedException($"cannot draw a first layer of kind {first.Kind}");
        }

        int columns = Math.Min(count, (int)Math.Ceiling(Math.Sqrt(count)));
        if (first.Kind == LayerKind.Conv2D) columns = count; // a conv layer has few filters: one row
        int rows = (count + columns - 1) / columns;
        int tile = side * scale, gap = Math.Max(4, tile / 12), header = 62, label = first.Kind == LayerKind.Conv2D ? 22 : 0;
        int width = Math.Max(columns * (tile + gap) + gap, 420);
        int height = header + rows * (tile + gap + label) + gap;
        int left = (width - (columns * (tile + gap) - gap)) / 2;

        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(245, 245, 245));
            using var typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
            using var font = new SKFont(typeface, 18);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(title, width / 2f, 28, SKTextAlign.Center, font, ink);
            using var small = new SKFont(typeface, 14);
            using var muted = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
            canvas.DrawText("mid-grey 0, white the largest positive, black the most negative weight of each image",
                width / 2f, 50, SKTextAlign.Center, small, muted);
            using var fill = new SKPaint { IsAntialias = false };
            for (int t = 0; t < count; t++)
            {
                int x0 = left + (t % columns) * (tile + gap), y0 = header + (t / columns) * (tile + gap + label);
                float max = 0;
                for (int p = 0; p < side * side; p++) max = Math.Max(max, Math.Abs(weight(t, p)));
                if (max == 0) max = 1;
                for (int r = 0; r < side; r++)
                    for (int c = 0; c < side; c++)
                    {
                        float w = weight(t, r * side + c);
                        byte grey = (byte)Math.Clamp((int)Math.Round(127.5 + 127.5 * w / max), 0, 255);
                        fill.Color = new SKColor(grey, grey, grey);
                        canvas.DrawRect(x0 + c * scale, y0 + r * scale, scale, scale, fill);
                    }
                if (label > 0)
                    canvas.DrawText($"{first.Name ?? "filter"} {t + 1}", x0 + tile / 2f, y0 + tile + 17, SKTextAlign.Center, small, ink);
            }
        }
        using (var image = SKImage.FromBitmap(bitmap))
        using (var data = image.Encode(SKEncodedImageFormat.Png, 100))
        using (var file = File.Create(path))
            data.SaveTo(file);
        return (width, height);
    }
}
