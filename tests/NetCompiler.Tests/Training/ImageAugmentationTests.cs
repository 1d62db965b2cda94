using System;
using System.Collections.Generic;
using System.Linq;
using NetCompiler.Tests.Generated;
using NetCompiler.Tests.Support;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Training;

/// <summary>
/// ImageAugmentation: the transform pixel by pixel against a hand-worked image, the draws' distribution and seeding,
/// and the trainer feeding BackwardBatch exactly the transformed samples (and evaluation the plain ones).
/// </summary>
public class ImageAugmentationTests
{
    [Fact]
    public void ApplyMirrorsThenShiftsWithAZeroBorder()
    {
        // Two channels of 3×4: 1…12 and 101…112. Mirrored, moved right by 1 and up by 1 (dx = 1, dy = −1):
        // destination[y, x] = source[y + 1, 3 − (x − 1)], 0 where x − 1 or y + 1 falls outside.
        float[] source = Enumerable.Range(1, 12).Select(v => (float)v).Concat(Enumerable.Range(101, 12).Select(v => (float)v)).ToArray();
        var destination = new float[24];
        ImageAugmentation.Apply<float>(source, destination, new TensorShape(2, 3, 4), flip: true, dx: 1, dy: -1);
        Assert.Equal(new float[] { 0, 8, 7, 6, 0, 12, 11, 10, 0, 0, 0, 0, 0, 108, 107, 106, 0, 112, 111, 110, 0, 0, 0, 0 }, destination);

        ImageAugmentation.Apply<float>(source, destination, new TensorShape(2, 3, 4), flip: false, dx: -2, dy: 1);
        Assert.Equal(new float[] { 0, 0, 0, 0, 3, 4, 0, 0, 7, 8, 0, 0, 0, 0, 0, 0, 103, 104, 0, 0, 107, 108, 0, 0 }, destination);

        ImageAugmentation.Apply<float>(source, destination, new TensorShape(2, 3, 4), flip: false, dx: 0, dy: 0);
        Assert.Equal(source, destination);
    }

    [Fact]
    public void DrawsAreUniformAndDependOnlyOnSeedEpochAndSample()
    {
        var augmentation = new ImageAugmentation { HorizontalFlip = true, MaxShift = 2 };
        const int n = 50_000;
        int flips = 0;
        var dx = new int[5];
        var dy = new int[5];
        for (int i = 0; i < n; i++)
        {
            (bool flip, int x, int y) = augmentation.Draw(seed: 1, epoch: 3, sample: i);
            Assert.InRange(x, -2, 2);
            Assert.InRange(y, -2, 2);
            flips += flip ? 1 : 0;
            dx[x + 2]++;
            dy[y + 2]++;
        }
        // Binomial standard deviations: 0.0022 for the flips, 0.0018 for each shift value; 5σ bounds.
        Assert.InRange(flips / (double)n, 0.489, 0.511);
        foreach (int count in dx.Concat(dy)) Assert.InRange(count / (double)n, 0.191, 0.209);

        Assert.Equal(augmentation.Draw(1, 3, 77), augmentation.Draw(1, 3, 77));
        var draws = Enumerable.Range(0, 64).Select(i => augmentation.Draw(1, 3, i)).ToList();
        Assert.NotEqual(draws, Enumerable.Range(0, 64).Select(i => augmentation.Draw(1, 4, i)).ToList());
        Assert.NotEqual(draws, Enumerable.Range(0, 64).Select(i => augmentation.Draw(2, 3, i)).ToList());
        Assert.All(Enumerable.Range(0, 1000), i => Assert.False(new ImageAugmentation { MaxShift = 1 }.Draw(1, 0, i).Flip)); // no flip unless asked
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void TheTrainerFeedsTheTransformedSamplesAndEvaluatesThePlainOnes(int workers)
    {
        var random = new Random(5);
        var images = new float[24][];
        var labels = new int[24];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray();
            labels[i] = i % 10;
        }
        var data = ArrayDataset<float>.Labeled(images, labels, 10);
        var augmentation = new ImageAugmentation { HorizontalFlip = true, MaxShift = 3 };
        var seen = new List<float[]>();
        var evaluated = new List<float[]>();
        var trainer = new Trainer<float>(() => new Recording(new LeNet5(), seen, evaluated), new SgdMomentum<float>(LeNet5.ParameterCount, 0.01),
            new TrainingOptions { Epochs = 2, BatchSize = 8, Seed = 9, Workers = workers, Augmentation = augmentation });
        trainer.Network.InitializeParameters(2);
        trainer.Train(data, data);

        // Every sample of every epoch, in the trainer's order, flipped and shifted by its own draw.
        var expected = new List<float[]>();
        var order = new int[24];
        for (int epoch = 0; epoch < 2; epoch++)
        {
            SampleOrder.Fill(order, 9, epoch);
            foreach (int index in order)
            {
                (bool flip, int dx, int dy) = augmentation.Draw(9, epoch, index);
                var row = new float[784];
                ImageAugmentation.Apply<float>(images[index], row, LeNet5.Topology.InputShape, flip, dx, dy);
                expected.Add(row);
            }
        }
        Assert.Equal(expected.Count, seen.Count);
        var unmatched = expected.Select(Key).ToList();
        foreach (float[] row in seen) Assert.True(unmatched.Remove(Key(row)), "BackwardBatch got a row that is no sample's draw");
        Assert.All(evaluated, row => Assert.Contains(images, image => image.SequenceEqual(row)));
        Assert.Equal(2 * 24, evaluated.Count);
    }

    [Fact]
    public void ANetworkWithoutImageInputsOrAShiftAsLargeAsTheImageIsRefused()
    {
        var data = Blobs.Create<float>(20, seed: 1);
        var trainer = new Trainer<float>(() => { var n = new BlobsMlp(); n.InitializeParameters(1); return n; }, new SgdMomentum<float>(BlobsMlp.ParameterCount, 0.01),
            new TrainingOptions { Epochs = 1, Augmentation = new ImageAugmentation { HorizontalFlip = true } });
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(data));
        Assert.Contains("[channels, height, width]", error.Message);

        var images = ArrayDataset<float>.Labeled(new[] { new float[784] }, new[] { 0 }, 10);
        var lenet = new Trainer<float>(() => { var n = new LeNet5(); n.InitializeParameters(1); return n; }, new SgdMomentum<float>(LeNet5.ParameterCount, 0.01),
            new TrainingOptions { Epochs = 1, Augmentation = new ImageAugmentation { MaxShift = 28 } });
        Assert.Contains("MaxShift 28 must be smaller than the images' height and width (28×28)", Assert.Throws<ArgumentException>(() => lenet.Train(images)).Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ImageAugmentation { MaxShift = -1 });
    }

    private static string Key(float[] row) => Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));

    /// <summary>Records the rows each BackwardBatch gets and each row ForwardBatch gets (evaluation), workspaces included.</summary>
    private sealed class Recording(INetwork<float> inner, List<float[]> batches, List<float[]> forwards) : DelegatingNetwork<float>(inner)
    {
        public override INetwork<float> CreateWorkspace() => new Recording(Inner.CreateWorkspace(), batches, forwards);

        public override float BackwardBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Span<float> outputs)
        {
            lock (batches)
                for (int j = 0; j < batch; j++) batches.Add(inputs.Slice(j * 784, 784).ToArray());
            return base.BackwardBatch(inputs, targets, batch, outputs);
        }

        public override void ForwardBatch(ReadOnlySpan<float> inputs, Span<float> outputs, int batch)
        {
            lock (forwards)
                for (int j = 0; j < batch; j++) forwards.Add(inputs.Slice(j * 784, 784).ToArray());
            base.ForwardBatch(inputs, outputs, batch);
        }
    }
}
