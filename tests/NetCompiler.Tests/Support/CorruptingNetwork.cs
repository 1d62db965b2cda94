using System;
using System.Numerics;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Wraps a network and adds <c>error</c> to one gradient entry after every Backward: a deliberately wrong
/// backward pass for testing that gradient checks catch it. The loss and everything else pass through unchanged.
/// </summary>
public sealed class CorruptingNetwork<T>(INetwork<T> inner, int index, T error) : INetwork<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public NetworkTopology Topology => inner.Topology;
    public int InputSize => inner.InputSize;
    public int OutputSize => inner.OutputSize;
    public int LayerCount => inner.LayerCount;
    public int ParameterCount => inner.ParameterCount;
    public Span<T> Parameters => inner.Parameters;
    public NetworkWeights<T> Weights => inner.Weights;
    public INetwork<T> CreateWorkspace() => new CorruptingNetwork<T>(inner.CreateWorkspace(), index, error);
    IInferenceNetwork<T> IInferenceNetwork<T>.CreateWorkspace() => CreateWorkspace();
    public Span<T> Gradients => inner.Gradients;
    public void InitializeParameters(int seed) => inner.InitializeParameters(seed);
    public void Forward(ReadOnlySpan<T> input, Span<T> output) => inner.Forward(input, output);
    public ReadOnlySpan<T> Activities(int layer) => inner.Activities(layer);
    public ReadOnlySpan<T> Sensitivities(int layer) => inner.Sensitivities(layer);
    public void Update(T learningRate) => inner.Update(learningRate);

    public T Backward(ReadOnlySpan<T> target)
    {
        T loss = inner.Backward(target);
        inner.Gradients[index] += error;
        return loss;
    }

    public T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate)
    {
        inner.Forward(input, new T[OutputSize]);
        T loss = Backward(target);
        Update(learningRate);
        return loss;
    }
}
