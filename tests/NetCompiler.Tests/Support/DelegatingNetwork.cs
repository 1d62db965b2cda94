using System;
using System.Numerics;

namespace NetCompiler.Tests.Support;

/// <summary>A network that passes every member to <see cref="Inner"/>: the base of test networks that change one or two of them.</summary>
public class DelegatingNetwork<T>(INetwork<T> inner) : INetwork<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public INetwork<T> Inner => inner;
    public NetworkTopology Topology => inner.Topology;
    public int InputSize => inner.InputSize;
    public int OutputSize => inner.OutputSize;
    public int LayerCount => inner.LayerCount;
    public int ParameterCount => inner.ParameterCount;
    public Span<T> Parameters => inner.Parameters;
    public NetworkWeights<T> Weights => inner.Weights;
    public Span<T> Gradients => inner.Gradients;
    public virtual INetwork<T> CreateWorkspace() => inner.CreateWorkspace();
    IInferenceNetwork<T> IInferenceNetwork<T>.CreateWorkspace() => CreateWorkspace();
    public void InitializeParameters(int seed) => inner.InitializeParameters(seed);
    public virtual void Forward(ReadOnlySpan<T> input, Span<T> output) => inner.Forward(input, output);
    public ReadOnlySpan<T> Activities(int layer) => inner.Activities(layer);
    public ReadOnlySpan<T> Sensitivities(int layer) => inner.Sensitivities(layer);
    public virtual T Backward(ReadOnlySpan<T> target) => inner.Backward(target);
    public void Update(T learningRate) => inner.Update(learningRate);
    public virtual T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate) => inner.TrainStep(input, target, learningRate);
    public virtual void ForwardBatch(ReadOnlySpan<T> inputs, Span<T> outputs, int batch) => inner.ForwardBatch(inputs, outputs, batch);
    public virtual T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch) => inner.BackwardBatch(inputs, targets, batch);
    public virtual T BackwardBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, Span<T> outputs) => inner.BackwardBatch(inputs, targets, batch, outputs);
    public T TrainStepBatch(ReadOnlySpan<T> inputs, ReadOnlySpan<T> targets, int batch, T learningRate) => inner.TrainStepBatch(inputs, targets, batch, learningRate);
}
