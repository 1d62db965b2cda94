using System;
using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests;

/// <summary>End-to-end learning with the interpreter: the classic XOR problem and a small regression.</summary>
public class TrainingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LearnsXorWithPerSampleSgd(int seed)
    {
        // 2-4-1, tanh hidden, sigmoid output, squared error, η = 0.5, one TrainStep per pattern. With seeds 0..7
        // this classified all four patterns after 21..62 epochs and came within 0.1 of every target after 169..214.
        float[][] inputs = [[0, 0], [0, 1], [1, 0], [1, 1]];
        float[][] targets = [[0], [1], [1], [0]];
        var network = new InterpretedNetwork<float>(TestNetworks.Parse("2-4-1 Tanh,Sigmoid SquaredError"));
        network.InitializeParameters(seed);
        var y = new float[1];
        int classifiedAt = -1, closeAt = -1;
        for (int epoch = 1; epoch <= 300 && closeAt < 0; epoch++)
        {
            for (int k = 0; k < 4; k++) network.TrainStep(inputs[k], targets[k], 0.5f);
            int correct = 0;
            float worst = 0;
            for (int k = 0; k < 4; k++)
            {
                network.Forward(inputs[k], y);
                if (y[0] > 0.5f == targets[k][0] > 0.5f) correct++;
                worst = Math.Max(worst, Math.Abs(y[0] - targets[k][0]));
            }
            if (correct == 4 && classifiedAt < 0) classifiedAt = epoch;
            if (worst < 0.1f) closeAt = epoch;
        }
        Assert.True(classifiedAt is > 0 and <= 100, $"seed {seed}: all four patterns right first at epoch {classifiedAt} (limit 100)");
        Assert.True(closeAt > 0, $"seed {seed}: outputs not within 0.1 of the targets after 300 epochs");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void FitsSineWithAdam(int seed)
    {
        // 1-16-1 tanh/identity on 64 points of sin over [−π, π], full batch (64 Forward/Backward pairs, then one
        // Adam step, γ = 0.01), 1500 steps. Measured: mean loss ½·mean (d − y)² 4e-6..3e-5, max |y − sin x| ≤ 0.013.
        const int n = 64;
        var xs = new float[n][];
        var ds = new float[n][];
        for (int k = 0; k < n; k++)
        {
            double x = -Math.PI + 2 * Math.PI * k / (n - 1);
            xs[k] = [(float)x];
            ds[k] = [(float)Math.Sin(x)];
        }
        var network = new InterpretedNetwork<float>(TestNetworks.Parse("1-16-1 Tanh,Identity SquaredError"));
        network.InitializeParameters(seed);
        var adam = new Adam<float>(network.ParameterCount, 0.01);
        var y = new float[1];
        double meanLoss = 0;
        for (int step = 0; step < 1500; step++)
        {
            meanLoss = 0;
            for (int k = 0; k < n; k++)
            {
                network.Forward(xs[k], y);
                meanLoss += network.Backward(ds[k]) / n;
            }
            adam.Step(network.Parameters, network.Gradients);
        }
        double maxError = 0;
        for (int k = 0; k < n; k++)
        {
            network.Forward(xs[k], y);
            maxError = Math.Max(maxError, Math.Abs(y[0] - ds[k][0]));
        }
        Assert.True(meanLoss < 1e-4, $"seed {seed}: mean loss {meanLoss:E2} after 1500 steps (limit 1e-4)");
        Assert.True(maxError < 0.03, $"seed {seed}: max |y − sin x| = {maxError:E2} (limit 0.03)");
    }
}
