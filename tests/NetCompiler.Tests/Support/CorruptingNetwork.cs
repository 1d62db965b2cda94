using System;
using System.Numerics;

namespace NetCompiler.Tests.Support;

/// <summary>
/// Wraps a network and adds <c>error</c> to one gradient entry after every Backward: a deliberately wrong
/// backward pass for testing that gradient checks catch it. The loss and everything else pass through unchanged.
/// </summary>
public sealed class CorruptingNetwork<T>(INetwork<T> inner, int index, T error) : DelegatingNetwork<T>(inner)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public override INetwork<T> CreateWorkspace() => new CorruptingNetwork<T>(Inner.CreateWorkspace(), index, error);

    public override T Backward(ReadOnlySpan<T> target)
    {
        T loss = Inner.Backward(target);
        Inner.Gradients[index] += error;
        return loss;
    }

    public override T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<T> target, T learningRate)
    {
        Inner.Forward(input, new T[OutputSize]);
        T loss = Backward(target);
        Update(learningRate);
        return loss;
    }
}
