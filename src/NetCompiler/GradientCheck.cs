using System;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace NetCompiler;

/// <summary>Settings of <see cref="GradientChecker.Check{T}"/>. The defaults depend on T: tight for double, loose for float.</summary>
public sealed class GradientCheckOptions
{
    /// <summary>
    /// The finite-difference step ε, or null for the default: 3e-5 when T is double, 3e-3 otherwise.
    /// </summary>
    /// <remarks>
    /// The central difference is off by about ε²·|L'''|/6 (truncation) plus k·u·|L|/ε (rounding: L itself is only
    /// good to a few units of roundoff u, 1.1e-16 in double, 6e-8 in float), so the best ε lies near u^(1/3), and a
    /// larger one also risks stepping across a ReLU kink. On the library's test MLPs (L ≈ 0.1 to 4, every parameter
    /// checked, 20 samples each) the worst relative error in double was 1e-5 at ε = 1e-6, 8e-7 at 1e-5, 3e-7 at
    /// 3e-5, 5e-7 at 1e-4 and 5e-6 at 3e-4. In float, with a MinimumScale of 1e-2, it was at most 2e-2 at ε = 3e-3
    /// except in one network where a step crossed a kink (0.46); at ε = 1e-2 steps crossed kinks in four of eleven
    /// networks. Scale ε with the loss if it is far from 1.
    /// </remarks>
    public double? Epsilon { get; init; }

    /// <summary>How many parameters to check, chosen at random with <see cref="Seed"/>; null (the default) checks all of them.</summary>
    public int? SampleCount { get; init; }

    /// <summary>Seed of the random parameter sample (used only with <see cref="SampleCount"/>).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// The smallest denominator of the relative error, or null for the default: 1e-4 when T is double, 1e-2
    /// otherwise. The error is |a − n| / max(|a|, |n|, MinimumScale), so for derivatives below this scale it is the
    /// absolute error divided by MinimumScale: without a floor, a derivative that is 0 analytically and 1e-12
    /// numerically (pure rounding noise) would count as a 100% error.
    /// </summary>
    public double? MinimumScale { get; init; }
}

/// <summary>The outcome of a gradient check: the parameter where analytic and numeric derivatives disagree most.</summary>
public sealed class GradientCheckResult
{
    internal GradientCheckResult(
        double worstRelativeError, int worstIndex, int worstLayer, bool worstIsBias, int worstRow, int worstColumn,
        double analyticAtWorst, double numericAtWorst, int checkedCount, double epsilon, double minimumScale)
    {
        WorstRelativeError = worstRelativeError;
        WorstIndex = worstIndex;
        WorstLayer = worstLayer;
        WorstIsBias = worstIsBias;
        WorstRow = worstRow;
        WorstColumn = worstColumn;
        AnalyticAtWorst = analyticAtWorst;
        NumericAtWorst = numericAtWorst;
        CheckedCount = checkedCount;
        Epsilon = epsilon;
        MinimumScale = minimumScale;
    }

    /// <summary>
    /// max over checked parameters of |a − n| / max(|a|, |n|, <see cref="MinimumScale"/>);
    /// NaN if any analytic or numeric derivative was NaN.
    /// </summary>
    public double WorstRelativeError { get; }

    /// <summary>Index of the worst parameter in <see cref="IInferenceNetwork{T}.Parameters"/>.</summary>
    public int WorstIndex { get; }

    /// <summary>The layer l (1..L) that holds the worst parameter.</summary>
    public int WorstLayer { get; }

    /// <summary>True if the worst parameter is a bias b_i^l, false if it is a weight W_ij^l.</summary>
    public bool WorstIsBias { get; }

    /// <summary>
    /// The output unit i of the worst parameter (row of W^l, or index into b^l); for a convolution the filter, for
    /// trainable pooling the channel.
    /// </summary>
    public int WorstRow { get; }

    /// <summary>
    /// The input unit j of the worst weight (column of W^l, counting through all sources of a dense layer), or −1 for
    /// a bias; for a convolution the position among the filter's stored weights, for a pooling coefficient 0.
    /// </summary>
    public int WorstColumn { get; }

    /// <summary>The back-propagated ∂L/∂θ at <see cref="WorstIndex"/>.</summary>
    public double AnalyticAtWorst { get; }

    /// <summary>The central difference (L(θ + ε) − L(θ − ε)) / 2ε at <see cref="WorstIndex"/>.</summary>
    public double NumericAtWorst { get; }

    /// <summary>How many parameters were checked.</summary>
    public int CheckedCount { get; }

    /// <summary>The step ε that was used.</summary>
    public double Epsilon { get; }

    /// <summary>The floor of the relative error's denominator that was used.</summary>
    public double MinimumScale { get; }

    /// <summary>For example "worst relative error 3.2e-09 at parameter 17 (W² [1, 4]): analytic 0.0123, numeric 0.0123; 32 parameters checked, ε = 3E-05".</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("worst relative error ").Append(G(WorstRelativeError, 2))
            .Append(" at parameter ").Append(WorstIndex.ToString(CultureInfo.InvariantCulture))
            .Append(" (").Append(WorstIsBias ? 'b' : 'W').Append(Superscript(WorstLayer)).Append(" [")
            .Append(WorstRow.ToString(CultureInfo.InvariantCulture));
        if (!WorstIsBias) text.Append(", ").Append(WorstColumn.ToString(CultureInfo.InvariantCulture));
        text.Append("]): analytic ").Append(G(AnalyticAtWorst, 9))
            .Append(", numeric ").Append(G(NumericAtWorst, 9))
            .Append("; ").Append(CheckedCount.ToString(CultureInfo.InvariantCulture))
            .Append(CheckedCount == 1 ? " parameter" : " parameters").Append(" checked, ε = ").Append(G(Epsilon, 3));
        return text.ToString();
    }

    private static string G(double value, int digits) => value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Superscript(int number)
    {
        const string digits = "⁰¹²³⁴⁵⁶⁷⁸⁹";
        string decimalText = number.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder(decimalText.Length);
        foreach (char c in decimalText) text.Append(c >= '0' && c <= '9' ? digits[c - '0'] : c);
        return text.ToString();
    }
}

/// <summary>
/// Compares back-propagated gradients with central finite differences of the loss, parameter by parameter.
/// </summary>
public static class GradientChecker
{
    /// <summary>
    /// Checks ∂L/∂θ of <paramref name="network"/> on one sample: the analytic gradient (Gradients zeroed, then Forward
    /// and Backward) against (L(θ + ε) − L(θ − ε)) / 2ε, each L from Forward and Backward at a perturbed parameter.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Parameters and Gradients are restored exactly (also if the network throws); Activities and Sensitivities
    /// afterwards are those of the unperturbed network on <paramref name="input"/> and <paramref name="target"/>.
    /// Allocates (it is not a hot path).
    /// </para>
    /// <para>
    /// Only double gives a meaningful tight check: in float the loss carries rounding noise of about 6e-8·|L|, so the
    /// numeric derivative is good to two or three digits at best, enough to catch a wrong formula but not a subtle
    /// one (expect errors up to a few 1e-2 with the float defaults, more where a step crosses a ReLU kink). Check a
    /// float topology by interpreting it as <c>InterpretedNetwork&lt;double&gt;</c>. The difference of the losses
    /// is divided by the step actually taken, (θ + ε) − (θ − ε) as rounded to T.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">A span has the wrong length or an option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The network is inference-only.</exception>
    public static GradientCheckResult Check<T>(INetwork<T> network, ReadOnlySpan<T> input, ReadOnlySpan<T> target, GradientCheckOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new GradientCheckOptions();
        if (input.Length != network.InputSize)
            throw new ArgumentException($"Expected input of length {network.InputSize}, got {input.Length}.", nameof(input));
        if (target.Length != network.OutputSize)
            throw new ArgumentException($"Expected target of length {network.OutputSize}, got {target.Length}.", nameof(target));
        bool isDouble = typeof(T) == typeof(double);
        double epsilon = options.Epsilon ?? (isDouble ? 3e-5 : 3e-3);
        double minimumScale = options.MinimumScale ?? (isDouble ? 1e-4 : 1e-2);
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
            throw new ArgumentException($"Epsilon must be positive and finite, got {epsilon}.", nameof(options));
        if (!(minimumScale > 0) || double.IsInfinity(minimumScale))
            throw new ArgumentException($"MinimumScale must be positive and finite, got {minimumScale}.", nameof(options));
        if (options.SampleCount is int requested && requested <= 0)
            throw new ArgumentException($"SampleCount must be positive (or null for all parameters), got {requested}.", nameof(options));

        int[] indices = ChooseParameters(network.ParameterCount, options.SampleCount, options.Seed);
        T[] savedGradients = network.Gradients.ToArray();
        var output = new T[network.OutputSize];
        double worst = -1, worstAnalytic = 0, worstNumeric = 0;
        int worstIndex = indices[0];
        int perturbed = -1;
        T original = T.Zero;
        try
        {
            // Analytic: g = ∂L/∂θ from one Forward/Backward with g zeroed first.
            network.Gradients.Clear();
            network.Forward(input, output);
            network.Backward(target);
            T[] analytic = network.Gradients.ToArray();

            foreach (int k in indices)
            {
                original = network.Parameters[k];
                perturbed = k;
                T plus = original + T.CreateTruncating(epsilon);
                T minus = original - T.CreateTruncating(epsilon);

                network.Parameters[k] = plus;
                network.Forward(input, output);
                double lossPlus = double.CreateTruncating(network.Backward(target));
                network.Parameters[k] = minus;
                network.Forward(input, output);
                double lossMinus = double.CreateTruncating(network.Backward(target));
                network.Parameters[k] = original;
                perturbed = -1;

                double step = double.CreateTruncating(plus) - double.CreateTruncating(minus);
                double numeric = (lossPlus - lossMinus) / step;
                double a = double.CreateTruncating(analytic[k]);
                double error = Math.Abs(a - numeric) / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), minimumScale);

                // A NaN error is the worst there is (and NaN compares false, so test it explicitly).
                if ((double.IsNaN(error) && !double.IsNaN(worst)) || error > worst)
                {
                    worst = error;
                    worstIndex = k;
                    worstAnalytic = a;
                    worstNumeric = numeric;
                }
            }

            // Leave activities and sensitivities as of the unperturbed parameters.
            network.Forward(input, output);
            network.Backward(target);
        }
        finally
        {
            // Parameters and gradients exactly as they were, even if the network threw.
            if (perturbed >= 0) network.Parameters[perturbed] = original;
            savedGradients.CopyTo(network.Gradients);
        }

        (int layer, bool isBias, int row, int column) = Locate(network.Topology, worstIndex);
        return new GradientCheckResult(worst, worstIndex, layer, isBias, row, column, worstAnalytic, worstNumeric, indices.Length, epsilon, minimumScale);
    }

    /// <summary>All indices in order, or a random sample of <paramref name="sampleCount"/> of them in increasing order.</summary>
    private static int[] ChooseParameters(int count, int? sampleCount, int seed)
    {
        var all = new int[count];
        for (int k = 0; k < count; k++) all[k] = k;
        if (sampleCount is not int n || n >= count) return all;

        // Partial Fisher–Yates shuffle: the first n entries become a uniform sample without replacement.
        var random = new Random(seed);
        for (int k = 0; k < n; k++)
        {
            int pick = random.Next(k, count);
            (all[k], all[pick]) = (all[pick], all[k]);
        }
        int[] sample = all.AsSpan(0, n).ToArray();
        Array.Sort(sample);
        return sample;
    }

    /// <summary>
    /// Maps a parameter index to (l, bias?, i, j) using the layout of <paramref name="topology"/>: for a dense layer i is
    /// the unit and j the input (counting through all sources in From order); for a convolution i is the filter and j
    /// the position among that filter's stored weights; for trainable pooling i is the channel (j = 0 for its
    /// coefficient).
    /// </summary>
    private static (int Layer, bool IsBias, int Row, int Column) Locate(NetworkTopology topology, int index)
    {
        foreach (LayerShape layer in topology.Layers)
        {
            if (index < layer.WeightOffset || index >= layer.WeightOffset + layer.ParameterCount) continue;
            if (index >= layer.BiasOffset) return (layer.Number, true, index - layer.BiasOffset, -1);
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    int column = 0;
                    for (int s = layer.Sources.Count - 1; s >= 0; s--)
                    {
                        int start = layer.SourceWeightOffset(s);
                        if (index < start) continue;
                        for (int before = 0; before < s; before++) column += layer.SourceShapes[before].Size;
                        int size = layer.SourceShapes[s].Size;
                        return (layer.Number, false, (index - start) / size, column + (index - start) % size);
                    }
                    break;
                }
                case LayerKind.Conv1D:
                case LayerKind.Conv2D:
                {
                    // Kernels are stored filter by filter, so the filter is the last one that starts at or before index.
                    int filter = 0, first = layer.WeightOffset;
                    for (int o = 0; o < layer.Shape.Channels; o++)
                    {
                        int start = layer.KernelOffset(o, FirstConnected(layer, o));
                        if (start > index) break;
                        filter = o;
                        first = start;
                    }
                    return (layer.Number, false, filter, index - first);
                }
            }
            return (layer.Number, false, index - layer.WeightOffset, 0);
        }
        throw new ArgumentOutOfRangeException(nameof(index), index, $"Parameter index {index} is outside 0..{topology.ParameterCount - 1}.");
    }

    private static int FirstConnected(LayerShape layer, int filter)
    {
        for (int i = 0; i < layer.SourceShapes[0].Channels; i++)
            if (layer.IsConnected(filter, i)) return i;
        return 0;
    }
}
