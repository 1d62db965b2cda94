using System;

namespace NetCompiler;

/// <summary>
/// Marks a partial class as a network to compile. Together with <see cref="InputAttribute"/>, one or more
/// <see cref="DenseAttribute"/>s (taken in declaration order) and optionally a <see cref="LossAttribute"/>, the
/// NetCompiler generator emits Forward, Backward, Update and TrainStep specialised to exactly those shapes.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>The floating-point type of the generated code; <see cref="Precision.Single"/> (float) by default.</summary>
    public Precision Precision { get; set; } = Precision.Single;
}

/// <summary>The size n_0 of the network's input x^0.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>Declares an input of <paramref name="size"/> values.</summary>
    public InputAttribute(int size) => Size = size;

    /// <summary>The number of input values.</summary>
    public int Size { get; }
}

/// <summary>A fully connected layer u = W·x + b, x = f(u). Layers are taken in declaration order.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares a layer of <paramref name="units"/> outputs with transfer function <paramref name="activation"/>.</summary>
    public DenseAttribute(int units, Activation activation = Activation.Identity)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>The number of outputs.</summary>
    public int Units { get; }

    /// <summary>The transfer function f.</summary>
    public Activation Activation { get; }
}

/// <summary>The loss minimised by Backward and TrainStep. Without it the network is inference-only.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LossAttribute : Attribute
{
    /// <summary>Declares the loss function.</summary>
    public LossAttribute(LossFunction function) => Function = function;

    /// <summary>The loss function.</summary>
    public LossFunction Function { get; }
}
