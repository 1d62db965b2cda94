using System;
using System.Numerics.Tensors;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>
/// SgdMomentum and Adam against the pseudo-code of the PyTorch documentation (torch.optim.SGD, torch.optim.Adam),
/// transcribed here with plain scalar double arithmetic, and against a few values worked out by hand.
/// </summary>
public class OptimizerTests
{
    private const int N = 13; // not a multiple of any vector width, so the scalar tails run too

    private static double[] InitialParameters()
    {
        var random = new Random(1);
        var theta = new double[N];
        for (int i = 0; i < N; i++) theta[i] = 4 * random.NextDouble() - 2;
        theta[3] = 0; // a zero parameter (weight decay adds nothing there)
        return theta;
    }

    /// <summary>The gradient fed at step t (1-based): arbitrary but fixed, of mixed sign and magnitude, some zero.</summary>
    private static double[] GradientAt(int t)
    {
        var random = new Random(100 + t);
        var g = new double[N];
        for (int i = 0; i < N; i++) g[i] = (2 * random.NextDouble() - 1) * Math.Pow(10, random.Next(-3, 2));
        g[5] = 0;
        return g;
    }

    /// <summary>
    /// torch.optim.SGD pseudo-code, dampening τ = 0:
    /// g ← g + λθ; if μ ≠ 0: b ← (t &gt; 1 ? μb + (1 − τ)g : g); g ← nesterov ? g + μb : b; θ ← θ − γg.
    /// </summary>
    private static double[] ExpectedSgd(int steps, Func<int, double> lr, double mu, bool nesterov, double lambda)
    {
        double[] theta = InitialParameters();
        var b = new double[N];
        for (int t = 1; t <= steps; t++)
        {
            double[] g = GradientAt(t);
            for (int i = 0; i < N; i++)
            {
                double gi = g[i];
                if (lambda != 0) gi = gi + lambda * theta[i];
                if (mu != 0)
                {
                    if (t > 1) b[i] = mu * b[i] + (1 - 0.0) * gi;
                    else b[i] = gi;
                    if (nesterov) gi = gi + mu * b[i];
                    else gi = b[i];
                }
                theta[i] = theta[i] - lr(t) * gi;
            }
        }
        return theta;
    }

    /// <summary>
    /// torch.optim.Adam pseudo-code (amsgrad off, maximize off):
    /// g ← g + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ ← θ − γ m̂/(√v̂ + ε).
    /// </summary>
    private static double[] ExpectedAdam(int steps, Func<int, double> lr, double beta1, double beta2, double eps, double lambda)
    {
        double[] theta = InitialParameters();
        var m = new double[N];
        var v = new double[N];
        for (int t = 1; t <= steps; t++)
        {
            double[] g = GradientAt(t);
            for (int i = 0; i < N; i++)
            {
                double gi = g[i];
                if (lambda != 0) gi = gi + lambda * theta[i];
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] = theta[i] - lr(t) * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        return theta;
    }

    private static T[] Run<T>(IOptimizer<T> optimizer, int steps, Func<int, double>? schedule = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] theta = TestNetworks.Convert<T>(InitialParameters());
        for (int t = 1; t <= steps; t++)
        {
            if (schedule is not null) optimizer.LearningRate = schedule(t);
            T[] g = TestNetworks.Convert<T>(GradientAt(t));
            optimizer.Step(theta, g);
            Assert.All(g, value => Assert.Equal(T.Zero, value)); // Step consumes the gradient
        }
        return theta;
    }

    [Theory]
    [InlineData(0.0, false, 0.0)]   // plain SGD
    [InlineData(0.9, false, 0.0)]
    [InlineData(0.9, true, 0.0)]
    [InlineData(0.5, false, 0.01)]
    [InlineData(0.99, true, 0.1)]
    public void SgdMatchesPyTorchPseudoCode(double momentum, bool nesterov, double weightDecay)
    {
        double[] expected = ExpectedSgd(6, _ => 0.05, momentum, nesterov, weightDecay);
        double[] actual = Run(new SgdMomentum<double>(N, 0.05, momentum, nesterov, weightDecay), 6);
        NumericAssert.Close<double>(expected, actual, 1e-13, $"SGD μ={momentum} nesterov={nesterov} λ={weightDecay}");
        float[] single = Run(new SgdMomentum<float>(N, 0.05, momentum, nesterov, weightDecay), 6);
        NumericAssert.Close<float>(expected, single, 1e-5, "float SGD");
    }

    [Fact]
    public void SgdMomentumByHand()
    {
        // θ = 1, g = 1 every step, γ = 0.1, μ = 0.9.
        // Heavy ball: b = 1, 1.9, 2.71 → θ = 0.9, 0.71, 0.439.
        // Nesterov:   b = 1, 1.9 → g + μb = 1.9, 2.71 → θ = 0.81, 0.539.
        var heavy = new SgdMomentum<double>(1, 0.1, 0.9);
        var nesterov = new SgdMomentum<double>(1, 0.1, 0.9, nesterov: true);
        double[] a = [1.0], b = [1.0];
        double[] expectedHeavy = [0.9, 0.71, 0.439], expectedNesterov = [0.81, 0.539];
        for (int t = 0; t < 3; t++)
        {
            heavy.Step(a, new[] { 1.0 });
            Assert.Equal(expectedHeavy[t], a[0], 14);
        }
        for (int t = 0; t < 2; t++)
        {
            nesterov.Step(b, new[] { 1.0 });
            Assert.Equal(expectedNesterov[t], b[0], 14);
        }
    }

    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 0.0)]   // PyTorch defaults
    [InlineData(0.05, 0.8, 0.99, 1e-6, 0.0)]
    [InlineData(0.01, 0.9, 0.999, 1e-8, 0.05)]  // with L2 weight decay
    [InlineData(0.01, 0.0, 0.5, 0.1, 0.0)]      // β₁ = 0 (RMSProp-like), large ε
    public void AdamMatchesPyTorchPseudoCode(double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        double[] expected = ExpectedAdam(10, _ => lr, beta1, beta2, eps, weightDecay);
        var adam = new Adam<double>(N, lr, beta1, beta2, eps, weightDecay);
        double[] actual = Run(adam, 10);
        Assert.Equal(10, adam.StepCount);
        NumericAssert.Close<double>(expected, actual, 1e-13, $"Adam γ={lr} β=({beta1}, {beta2}) ε={eps} λ={weightDecay}");
        float[] single = Run(new Adam<float>(N, lr, beta1, beta2, eps, weightDecay), 10);
        NumericAssert.Close<float>(expected, single, 1e-5, "float Adam");
    }

    [Fact]
    public void AdamFirstStepIsLearningRateTimesSign()
    {
        // After bias correction m̂ = g and v̂ = g², so the first step is γ·g/(|g| + ε).
        var adam = new Adam<double>(3, learningRate: 0.1);
        double[] theta = [1.0, 1.0, 1.0];
        adam.Step(theta, new[] { 1.0, -4.0, 0.0 });
        Assert.Equal(1 - 0.1 * 1 / (1 + 1e-8), theta[0], 15);
        Assert.Equal(1 + 0.1 * 4 / (4 + 1e-8), theta[1], 15);
        Assert.Equal(1.0, theta[2]);
    }

    [Fact]
    public void LearningRateCanChangeBetweenSteps()
    {
        static double Schedule(int t) => 0.1 / t;
        double[] expectedSgd = ExpectedSgd(5, Schedule, 0.9, false, 0);
        NumericAssert.Close<double>(expectedSgd, Run(new SgdMomentum<double>(N, 1.0, 0.9), 5, Schedule), 1e-13, "scheduled SGD");
        double[] expectedAdam = ExpectedAdam(5, Schedule, 0.9, 0.999, 1e-8, 0);
        NumericAssert.Close<double>(expectedAdam, Run(new Adam<double>(N, 1.0), 5, Schedule), 1e-13, "scheduled Adam");
    }

    [Fact]
    public void ResetStartsOver()
    {
        var adam = new Adam<double>(N, 0.01);
        Run(adam, 4);
        adam.Reset();
        Assert.Equal(0, adam.StepCount);
        NumericAssert.Close<double>(ExpectedAdam(3, _ => 0.01, 0.9, 0.999, 1e-8, 0), Run(adam, 3), 1e-13, "Adam after Reset");

        var sgd = new SgdMomentum<double>(N, 0.01, 0.9);
        Run(sgd, 4);
        sgd.Reset();
        NumericAssert.Close<double>(ExpectedSgd(3, _ => 0.01, 0.9, false, 0), Run(sgd, 3), 1e-13, "SGD after Reset");
    }

    [Fact]
    public void StepRejectsWrongSpanLengths()
    {
        IOptimizer<float>[] optimizers = [new SgdMomentum<float>(4, 0.1), new Adam<float>(4)];
        foreach (IOptimizer<float> optimizer in optimizers)
        {
            var e = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[3], new float[4]));
            Assert.Equal("parameters", e.ParamName);
            Assert.StartsWith("Expected parameters of length 4, got 3.", e.Message);
            e = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[4], new float[5]));
            Assert.Equal("gradients", e.ParamName);
            Assert.StartsWith("Expected gradients of length 4, got 5.", e.Message);
        }
    }

    [Fact]
    public void HyperparametersAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum<float>(-1, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum<float>(4, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum<float>(4, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum<float>(4, 0.1, momentum: -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdMomentum<float>(4, 0.1, weightDecay: -1));
        Assert.Throws<ArgumentException>(() => new SgdMomentum<float>(4, 0.1, momentum: 0, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(4, beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(4, beta2: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(4, epsilon: -1e-8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<float>(4, learningRate: double.PositiveInfinity));
        var sgd = new SgdMomentum<float>(4, 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1);
        Assert.Equal(0.1, sgd.LearningRate);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteLearningRatesAreRejectedByEveryOptimizer(double rate)
    {
        string message = "learningRate must be finite and ≥ 0, got " + rate.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
        foreach (Func<double, IOptimizer<float>> create in new Func<double, IOptimizer<float>>[]
                 { lr => new SgdMomentum<float>(4, lr), lr => new Adam<float>(4, lr), lr => new SgdMomentum<float>(4, lr, momentum: 0) })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => create(rate));
            Assert.Equal("learningRate", error.ParamName);
            Assert.Contains(message, error.Message);

            // The setter (how a schedule changes the rate between steps): rejected the same way, the rate unchanged, so
            // Step never sees a non-finite rate.
            IOptimizer<float> optimizer = create(0.1);
            error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = rate);
            Assert.Equal("learningRate", error.ParamName);
            Assert.Contains(message, error.Message);
            Assert.Equal(0.1, optimizer.LearningRate);
            float[] parameters = [1, 2, 3, 4], gradients = [1, 1, 1, 1];
            optimizer.Step(parameters, gradients);
            Assert.All(parameters, p => Assert.True(float.IsFinite(p)));
        }
    }

    [Fact]
    public void OptimizerDrivesANetwork()
    {
        // The intended use: Step(net.Parameters, net.Gradients) after a minibatch of Forward/Backward pairs.
        var network = new InterpretedNetwork<double>(TestNetworks.Parse("3-5-2 Tanh,Sigmoid SquaredError"));
        double[] x = [0.5, -0.5, 0.25], d = [0.9, 0.1];
        var adam = new Adam<double>(network.ParameterCount, 0.05);
        double first = 0, last = 0;
        for (int step = 0; step < 100; step++)
        {
            network.Forward(x, new double[2]);
            last = network.Backward(d);
            if (step == 0) first = last;
            adam.Step(network.Parameters, network.Gradients);
        }
        Assert.True(last < 1e-3 * first, $"loss {first} → {last}");
        Assert.All(network.Gradients.ToArray(), g => Assert.Equal(0.0, g));
    }

    // --- block by block --------------------------------------------------------------------------------------------

    /// <summary>Two whole blocks and a partial one, so that the slices of θ, g and the optimizer state are offset.</summary>
    private const int Long = 2 * CacheBlocks.Length + 1234;

    private static float[] Filled(int seed, float scale)
    {
        var random = new Random(seed);
        var values = new float[Long];
        for (int i = 0; i < Long; i++) values[i] = scale * (2 * random.NextSingle() - 1);
        return values;
    }

    [Theory]
    [InlineData(0.0, false, 0.0)]
    [InlineData(0.9, false, 0.0)]
    [InlineData(0.9, true, 1e-3)]
    public void SgdStepsBlockByBlockAsTheWholeBufferFormulas(double mu, bool nesterov, double lambda)
    {
        // The step runs block by block (CacheBlocks); the reference applies each formula to the whole buffers, as the
        // step did before: every element must come out the same, bit for bit, over three steps.
        float[] theta = Filled(1, 2), expected = (float[])theta.Clone(), velocity = new float[Long];
        var sgd = new SgdMomentum<float>(Long, 0.05, mu, nesterov, lambda);
        float lr = 0.05f, m = (float)mu;
        for (int t = 1; t <= 3; t++)
        {
            float[] g = Filled(10 + t, 1), reference = (float[])g.Clone();
            sgd.Step(theta, g);
            if (lambda != 0) TensorPrimitives.MultiplyAdd(expected, (float)lambda, reference, reference);
            TensorPrimitives.MultiplyAdd(velocity, m, reference, velocity);
            if (nesterov)
            {
                TensorPrimitives.MultiplyAdd(velocity, m, reference, reference);
                TensorPrimitives.MultiplyAdd(reference, -lr, expected, expected);
            }
            else TensorPrimitives.MultiplyAdd(velocity, -lr, expected, expected);
            Assert.All(g, value => Assert.Equal(0f, value));
            AssertSameBits(expected, theta, $"step {t}");
        }
    }

    [Fact]
    public void AdamStepsBlockByBlockAsTheWholeBufferFormulas()
    {
        float[] theta = Filled(2, 2), expected = (float[])theta.Clone(), m = new float[Long], v = new float[Long];
        var adam = new Adam<float>(Long, 1e-2, weightDecay: 1e-3);
        for (int t = 1; t <= 3; t++)
        {
            float[] g = Filled(20 + t, 1), reference = (float[])g.Clone();
            adam.Step(theta, g);
            TensorPrimitives.MultiplyAdd(expected, 1e-3f, reference, reference);
            TensorPrimitives.Multiply(m, 0.9f, m);
            TensorPrimitives.MultiplyAdd(reference, (float)(1 - 0.9), m, m);
            TensorPrimitives.Multiply(reference, reference, reference);
            TensorPrimitives.Multiply(v, 0.999f, v);
            TensorPrimitives.MultiplyAdd(reference, (float)(1 - 0.999), v, v);
            float stepSize = (float)(1e-2 / (1 - Math.Pow(0.9, t)));
            TensorPrimitives.Sqrt<float>(v, reference);
            TensorPrimitives.Divide(reference, (float)Math.Sqrt(1 - Math.Pow(0.999, t)), reference);
            TensorPrimitives.Add(reference, 1e-8f, reference);
            TensorPrimitives.Divide(m, reference, reference);
            TensorPrimitives.MultiplyAdd(reference, -stepSize, expected, expected);
            Assert.All(g, value => Assert.Equal(0f, value));
            AssertSameBits(expected, theta, $"step {t}");
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        int differing = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) && differing++ == 0) first = i;
        Assert.True(differing == 0, $"{what}: {differing} of {expected.Length} parameters differ from the whole-buffer formulas, the first θ[{first}] = {(first < 0 ? 0 : actual[first]):R} against {(first < 0 ? 0 : expected[first]):R}");
    }
}
