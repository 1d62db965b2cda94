// samples/Embedded's classification core on the full Fashion-MNIST test set (data/fashion-mnist, ~1 s): the weights
// compiled into its LeNet-5 give the accuracy the training run stored in the file, and four threads sharing them give
// one thread's scores bit for bit.
using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using NetCompiler.Data;
using NetCompiler.Samples.Embedded;
using NetCompiler.Serialization;
using Xunit;

namespace NetCompiler.Samples.Fashion.Tests;

public sealed class EmbeddedTests
{
    private static readonly string WeightsFile = Path.Combine(AppContext.BaseDirectory, "embedded", "lenet.safetensors");

    [Fact]
    public void FourThreadsOnSharedWeightsGiveOneThreadsScoresAndTheTrainingRunsAccuracy()
    {
        ImageDataset<float> test = FashionMnist.LoadTest().AsDataset<float>();
        var model = new FashionLeNet5();
        Assert.True(model.Weights.IsReadOnly, "an inference-only network shares its compiled-in weights read-only");
        Assert.Same(model.Weights, new FashionLeNet5().Weights);

        float[] one = Classifier.Scores(model, test, threads: 1);
        float[] four = Classifier.Scores(model, test, threads: 4);
        Assert.Equal(test.Count * FashionLeNet5.OutputSize, four.Length);
        Span<byte> oneBits = MemoryMarshal.AsBytes(one.AsSpan()), fourBits = MemoryMarshal.AsBytes(four.AsSpan());
        int firstDifference = oneBits.CommonPrefixLength(fourBits);
        Assert.True(firstDifference == oneBits.Length,
            $"4 threads' scores differ from 1 thread's at image {firstDifference / sizeof(float) / FashionLeNet5.OutputSize}");

        // The training run evaluated the same Forward on the same inputs: the same count of correct images, exactly.
        var metadata = SafeTensors.ReadMetadata(WeightsFile);
        Assert.Equal("fashion-mnist", metadata["dataset"]);
        double stored = double.Parse(metadata["accuracy"], CultureInfo.InvariantCulture);
        Assert.Equal(stored, Classifier.Accuracy(four, test));
        Assert.Equal(stored, Classifier.Accuracy(one, test));
    }
}
