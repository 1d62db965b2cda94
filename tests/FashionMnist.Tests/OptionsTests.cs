using System;
using NetCompiler.Samples.Fashion;
using Xunit;

namespace NetCompiler.Samples.Fashion.Tests;

public class OptionsTests
{
    [Fact]
    public void NoFlagsGiveTheMeasuredDefaults()
    {
        var options = AppOptions.Parse(Array.Empty<string>());
        Assert.Equal(ModelKind.LeNet, options.Model);
        Assert.Equal(AppOptions.Defaults.LeNetEpochs, options.EffectiveEpochs);
        Assert.Equal(AppOptions.Defaults.Batch, options.EffectiveBatch);
        Assert.Equal(OptimizerKind.Sgd, options.Optimizer);
        Assert.Equal(AppOptions.Defaults.SgdLearningRate, options.EffectiveLearningRate);
        Assert.Equal(Environment.ProcessorCount, options.EffectiveWorkers);
        Assert.Equal(EngineKind.Generated, options.Engine);
        Assert.False(options.Compare);
        Assert.Equal(System.IO.Path.Combine(Environment.CurrentDirectory, "out"), options.OutputDirectory);
        Assert.Null(options.DataDirectory);
    }

    [Fact]
    public void EveryFlagIsRead()
    {
        var options = AppOptions.Parse(new[]
        {
            "--model", "mlp", "--epochs=3", "--batch", "16", "--optimizer", "SGD", "--lr", "0.01", "--workers", "1",
            "--seed", "-4", "--engine", "interpreted", "--out", "x/y", "--data", ".",
        });
        Assert.Equal(ModelKind.Mlp, options.Model);
        Assert.Equal("mlp", options.ModelName);
        Assert.Equal(3, options.EffectiveEpochs);
        Assert.Equal(16, options.EffectiveBatch);
        Assert.Equal(OptimizerKind.Sgd, options.Optimizer);
        Assert.Equal(0.01, options.EffectiveLearningRate);
        Assert.Equal(1, options.EffectiveWorkers);
        Assert.Equal(-4, options.Seed);
        Assert.Equal(EngineKind.Interpreted, options.Engine);
        Assert.Equal(System.IO.Path.GetFullPath("x/y"), options.OutputDirectory);
        Assert.Equal(System.IO.Path.GetFullPath("."), options.DataDirectory);
    }

    [Fact]
    public void CompareDefaultsToOneEpochAndAdamToItsOwnRate()
    {
        var options = AppOptions.Parse(new[] { "--compare", "--optimizer", "adam" });
        Assert.True(options.Compare);
        Assert.Equal(1, options.EffectiveEpochs);
        Assert.Equal(AppOptions.Defaults.AdamLearningRate, options.EffectiveLearningRate);
        Assert.Equal(4, AppOptions.Parse(new[] { "--compare", "--epochs", "4" }).EffectiveEpochs);
    }

    [Fact]
    public void TheCnnHasItsOwnMeasuredDefaults()
    {
        var options = AppOptions.Parse(new[] { "--model", "cnn" });
        Assert.Equal(ModelKind.Cnn, options.Model);
        Assert.Equal("cnn", options.ModelName);
        Assert.Equal(AppOptions.Defaults.CnnEpochs, options.EffectiveEpochs);
        Assert.Equal(AppOptions.Defaults.CnnSgdLearningRate, options.EffectiveLearningRate);
        Assert.Equal(AppOptions.Defaults.CnnWeightDecay, options.EffectiveWeightDecay);
        Assert.True(options.EffectiveAugmentation!.HorizontalFlip);
        Assert.Equal(0, options.EffectiveAugmentation.MaxShift);
        // LeNet-5 has weight decay with SGD (its default optimizer), not with Adam; the MLP none; neither augments.
        Assert.Equal(AppOptions.Defaults.LeNetWeightDecay, AppOptions.Parse(Array.Empty<string>()).EffectiveWeightDecay);
        Assert.Equal(0, AppOptions.Parse(new[] { "--optimizer", "adam" }).EffectiveWeightDecay);
        Assert.Equal(0, AppOptions.Parse(new[] { "--model", "mlp" }).EffectiveWeightDecay);
        Assert.Null(AppOptions.Parse(Array.Empty<string>()).EffectiveAugmentation);
        Assert.Null(AppOptions.Parse(new[] { "--model", "mlp" }).EffectiveAugmentation);
    }

    [Theory]
    [InlineData("--augment none", false, 0)]
    [InlineData("--augment flip", true, 0)]
    [InlineData("--augment shift3", false, 3)]
    [InlineData("--augment FLIP,shift2", true, 2)]
    [InlineData("--augment shift1,flip", true, 1)]
    public void AugmentationIsParsed(string commandLine, bool flip, int shift)
    {
        var options = AppOptions.Parse(("--model cnn " + commandLine).Split(' '));
        if (!flip && shift == 0)
        {
            Assert.Null(options.EffectiveAugmentation); // "none" overrides the CNN's default
            return;
        }
        Assert.Equal(flip, options.EffectiveAugmentation!.HorizontalFlip);
        Assert.Equal(shift, options.EffectiveAugmentation.MaxShift);
        Assert.Equal(0.001, AppOptions.Parse(new[] { "--weight-decay", "0.001" }).EffectiveWeightDecay);
    }

    [Theory]
    [InlineData("--model", "--model needs a value")]
    [InlineData("--model resnet", "--model must be lenet, mlp or cnn, not 'resnet'")]
    [InlineData("--augment shift9", "--augment must be none, flip, shiftN (N from 1 to 8) or flip,shiftN, not 'shift9'")]
    [InlineData("--augment flip,flip", "--augment must be none, flip, shiftN")]
    [InlineData("--augment rotate", "--augment must be none, flip, shiftN")]
    [InlineData("--weight-decay -1", "--weight-decay must be a number in [0, 1]")]
    [InlineData("--weight-decay nan", "--weight-decay must be a number in [0, 1]")]
    [InlineData("--epochs 0", "--epochs must be a whole number from 1")]
    [InlineData("--epochs two", "--epochs must be a whole number from 1")]
    [InlineData("--batch -3", "--batch must be a whole number from 1")]
    [InlineData("--optimizer rmsprop", "--optimizer must be sgd or adam")]
    [InlineData("--lr nan", "--lr must be a number in (0, 10]")]
    [InlineData("--lr 0", "--lr must be a number in (0, 10]")]
    [InlineData("--workers 257", "--workers must be a whole number from 1 to 256")]
    [InlineData("--seed 1.5", "--seed must be an integer")]
    [InlineData("--engine jit", "--engine must be generated or interpreted")]
    [InlineData("--compare=yes", "--compare takes no value")]
    [InlineData("--compare --engine interpreted", "--compare trains with both engines")]
    [InlineData("--epochs 2 --epochs 3", "--epochs is given twice")]
    [InlineData("--frobnicate", "unknown option '--frobnicate'")]
    [InlineData("lenet", "unexpected argument 'lenet'")]
    [InlineData("--out", "--out needs a value")]
    [InlineData("--epochs --batch 3", "--epochs needs a value")]
    public void BadFlagsAreNamed(string commandLine, string message)
    {
        var e = Assert.Throws<UsageException>(() => AppOptions.Parse(commandLine.Split(' ')));
        Assert.StartsWith(message, e.Message);
    }
}
