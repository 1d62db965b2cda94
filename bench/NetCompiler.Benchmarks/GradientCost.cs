// The lecture's complexity slide, measured: all N parameter gradients by central finite differences (2N forward passes
// of O(N) each: O(N²)) against one Forward + Backward (O(N)), for n-n-n tanh networks of growing width.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*GradientCost*' --job short
// The Ratio column is FiniteDifferences / Backprop for the same N; Ratio/N should stay about constant, and the program
// prints the fitted growth exponent of the ratio (≈ 1: linear in N) after the run.
using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NetCompiler.Benchmarks;

// Double precision, so that the finite differences agree with backprop closely enough to be checked in setup.
[Network(Precision = Precision.Double), Input(4), Dense(4, Activation.Tanh), Dense(4, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Width4 { }

[Network(Precision = Precision.Double), Input(8), Dense(8, Activation.Tanh), Dense(8, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Width8 { }

[Network(Precision = Precision.Double), Input(16), Dense(16, Activation.Tanh), Dense(16, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Width16 { }

[Network(Precision = Precision.Double), Input(32), Dense(32, Activation.Tanh), Dense(32, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Width32 { }

[Network(Precision = Precision.Double), Input(64), Dense(64, Activation.Tanh), Dense(64, Activation.Tanh), Loss(LossFunction.SquaredError)]
public partial class Width64 { }

[MemoryDiagnoser]
[Config(typeof(GradientCostConfig))]
public class GradientCost
{
    /// <summary>n of the n-n-n network; it has N = 2(n² + n) parameters.</summary>
    [Params(4, 8, 16, 32, 64)]
    public int Width { get; set; }

    private INetwork<double> _network = null!;
    private double[] _input = null!, _target = null!, _output = null!, _numeric = null!;
    private const double Epsilon = 1e-5;

    public static int ParameterCount(int width) => 2 * (width * width + width);

    [GlobalSetup]
    public void Setup()
    {
        _network = Width switch
        {
            4 => new Width4(), 8 => new Width8(), 16 => new Width16(), 32 => new Width32(), 64 => new Width64(),
            _ => throw new ArgumentOutOfRangeException(nameof(Width)),
        };
        var random = new Random(1);
        _input = new double[Width];
        _target = new double[Width];
        for (int i = 0; i < Width; i++) { _input[i] = 2 * random.NextDouble() - 1; _target[i] = 2 * random.NextDouble() - 1; }
        _output = new double[Width];
        _numeric = new double[_network.ParameterCount];

        // Both methods must give the same gradients, so that neither can look fast by being wrong.
        Backprop();
        FiniteDifferences();
        Span<double> analytic = _network.Gradients;
        for (int i = 0; i < analytic.Length; i++)
            if (Math.Abs(analytic[i] - _numeric[i]) > 1e-6 * Math.Max(1, Math.Abs(analytic[i])))
                throw new InvalidOperationException($"n = {Width}: gradient {i}: backprop {analytic[i]}, finite differences {_numeric[i]}");
    }

    /// <summary>One Forward + Backward: every ∂L/∂θ_i (the gradient buffer is cleared first, as Update would).</summary>
    [Benchmark(Baseline = true)]
    public double Backprop()
    {
        _network.Gradients.Clear();
        _network.Forward(_input, _output);
        return _network.Backward(_target);
    }

    /// <summary>Every ∂L/∂θ_i as (L(θ_i + ε) − L(θ_i − ε)) / 2ε: 2N forward passes.</summary>
    [Benchmark]
    public double FiniteDifferences()
    {
        Span<double> theta = _network.Parameters;
        for (int i = 0; i < theta.Length; i++)
        {
            double saved = theta[i];
            theta[i] = saved + Epsilon;
            double plus = Loss();
            theta[i] = saved - Epsilon;
            double minus = Loss();
            theta[i] = saved;
            _numeric[i] = (plus - minus) / (2 * Epsilon);
        }
        return _numeric[0];
    }

    // The network's loss, ½Σ(d − x)², from a forward pass alone.
    private double Loss()
    {
        _network.Forward(_input, _output);
        double sum = 0;
        for (int j = 0; j < _output.Length; j++) { double e = _target[j] - _output[j]; sum += e * e; }
        return 0.5 * sum;
    }

    /// <summary>After a run: the finite-difference/backprop ratio per N and its growth exponent (log-log slope), which the
    /// slide predicts to be 1.</summary>
    public static void PrintGrowth(IEnumerable<Summary> summaries)
    {
        var points = Ratios(summaries).OrderBy(p => p.N).ToList();
        if (points.Count < 2) return;
        Console.WriteLine();
        Console.WriteLine("Gradient cost: finite differences (2N forward passes) against one Forward + Backward");
        Console.WriteLine("| n | N | ratio | ratio / N |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (var p in points) Console.WriteLine($"| {p.Width} | {p.N} | {p.Ratio:F1} | {p.Ratio / p.N:F3} |");
        double slope = Slope(points.Select(p => Math.Log(p.N)).ToArray(), points.Select(p => Math.Log(p.Ratio)).ToArray());
        string verdict = slope is > 0.8 and < 1.2 ? "about linear in N, as the slide says" : "NOT about linear in N: look at the figures";
        Console.WriteLine($"Least-squares growth exponent of the ratio: {slope:F2} ({verdict}).");
    }

    private static IEnumerable<(int Width, int N, double Ratio)> Ratios(IEnumerable<Summary> summaries)
    {
        foreach (Summary summary in summaries)
            foreach (var group in summary.BenchmarksCases.Where(c => c.Descriptor.Type == typeof(GradientCost))
                                                         .GroupBy(c => (int)c.Parameters["Width"]))
            {
                double? backprop = Mean(summary, group.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == nameof(Backprop)));
                double? numeric = Mean(summary, group.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == nameof(FiniteDifferences)));
                if (backprop is > 0 && numeric is > 0)
                    yield return (group.Key, ParameterCount(group.Key), numeric.Value / backprop.Value);
            }
    }

    private static double? Mean(Summary summary, BenchmarkCase? c) => c is null ? null : summary[c]?.ResultStatistics?.Mean;

    private static double Slope(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); }
        return sxy / sxx;
    }

    private sealed class GradientCostConfig : ManualConfig
    {
        public GradientCostConfig() => AddColumn(new RatioPerParameterColumn());
    }

    /// <summary>Ratio / N: the finite-difference/backprop time ratio divided by the parameter count (constant if the ratio is linear in N).</summary>
    private sealed class RatioPerParameterColumn : IColumn
    {
        public string Id => nameof(RatioPerParameterColumn);
        public string ColumnName => "Ratio/N";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Mean of FiniteDifferences / mean of Backprop for the same Width, divided by N = 2(n² + n)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            int width = (int)benchmarkCase.Parameters["Width"];
            var point = Ratios(new[] { summary }).FirstOrDefault(p => p.Width == width);
            return point.N == 0 ? "-" : (point.Ratio / point.N).ToString("F3");
        }
    }
}
