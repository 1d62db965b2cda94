// Shared source: compiled into the runtime library and into the generator (see generator csproj).
namespace NetCompiler;

/// <summary>The transfer function f in x = f(u).</summary>
public enum Activation
{
    /// <summary>f(u) = u.</summary>
    Identity = 0,
    /// <summary>The logistic function f(u) = 1 / (1 + e^(−u)); f'(u) = x·(1 − x).</summary>
    Sigmoid = 1,
    /// <summary>f(u) = tanh(u); f'(u) = 1 − x².</summary>
    Tanh = 2,
    /// <summary>f(u) = max(0, u); f'(u) = 1 if u &gt; 0, else 0.</summary>
    ReLU = 3,
    /// <summary>f(u) = u if u &gt; 0, else 0.01·u (PyTorch's default slope, <see cref="NetworkTopology.LeakyReLUSlope"/>).</summary>
    LeakyReLU = 4,
    /// <summary>x_i = e^(u_i) / Σ_j e^(u_j). Output layer only, where it pairs with <see cref="LossFunction.CrossEntropy"/>.</summary>
    Softmax = 5,
}

/// <summary>The loss L the network minimises; the lecture's reward is R = −L.</summary>
public enum LossFunction
{
    /// <summary>L = ½·Σ_i (d_i − x_i)², the lecture's reward R = −½·Σ_i (d_i − x_i)² with its sign flipped.</summary>
    SquaredError = 0,
    /// <summary>L = −Σ_i d_i·log x_i over a softmax output x; d is a target distribution (usually one-hot).</summary>
    CrossEntropy = 1,
}

/// <summary>The floating-point type of parameters, activities and sensitivities.</summary>
public enum Precision
{
    /// <summary>32-bit float: 8 lanes per Vector256.</summary>
    Single = 0,
    /// <summary>64-bit double: 4 lanes per Vector256.</summary>
    Double = 1,
}
