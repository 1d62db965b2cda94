using System;
using NetCompiler.Training;
using Xunit;

namespace NetCompiler.Tests.Training;

public class ArrayDatasetTests
{
    [Fact]
    public void LabeledSamplesHaveOneHotTargets()
    {
        var data = ArrayDataset<float>.Labeled([[1f, 2f], [3f, 4f]], [2, 0], classes: 3);
        Assert.Equal((2, 2, 3, 3), (data.Count, data.InputSize, data.TargetSize, data.Classes));
        var input = new float[2];
        var target = new float[3];
        data.GetInput(1, input);
        data.GetTarget(0, target);
        Assert.Equal([3f, 4f], input);
        Assert.Equal([0f, 0f, 1f], target);
        Assert.Equal(0, data.Label(1));
    }

    [Fact]
    public void UnlabeledSamplesHaveNoLabels()
    {
        var data = new ArrayDataset<double>([[1.0]], [[0.5, 0.25]]);
        Assert.Equal((0, -1, 2), (data.Classes, data.Label(0), data.TargetSize));
    }

    [Theory]
    [InlineData("counts", "There are 2 inputs but 1 labels.")]
    [InlineData("label", "Label 1 is 3; labels must be 0 to 2.")]
    [InlineData("ragged", "Input 1 has 1 values; input 0 has 2.")]
    public void BadDataIsRejectedWithWhatIsWrong(string fault, string message)
    {
        float[][] inputs = fault == "ragged" ? [[1f, 2f], [3f]] : [[1f, 2f], [3f, 4f]];
        int[] labels = fault switch { "counts" => [0], "label" => [0, 3], _ => [0, 1] };
        var e = Assert.Throws<ArgumentException>(() => ArrayDataset<float>.Labeled(inputs, labels, 3));
        Assert.StartsWith(message, e.Message);
    }
}
