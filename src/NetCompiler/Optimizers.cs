using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace NetCompiler;

/// <summary>
/// A first-order optimizer over a network's <see cref="IInferenceNetwork{T}.Parameters"/> and
/// <see cref="INetwork{T}.Gradients"/>, for example <c>optimizer.Step(net.Parameters, net.Gradients)</c> after a
/// minibatch of Forward/Backward pairs. Hyperparameters are doubles (as in PyTorch, and so they can have defaults).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The step size γ; settable between steps for learning-rate schedules (the optimizers here reject a negative, NaN or infinite rate).</summary>
    double LearningRate { get; set; }

    /// <summary>The number of parameters this optimizer keeps state for.</summary>
    int ParameterCount { get; }

    /// <summary>Updates θ from g = ∂L/∂θ, then sets g ← 0 (the gradient buffer is consumed).</summary>
    /// <exception cref="ArgumentException">A span does not have <see cref="ParameterCount"/> values.</exception>
    void Step(Span<T> parameters, Span<T> gradients);

    /// <summary>Forgets the optimizer state (momentum, moment estimates, step count), as a freshly constructed one.</summary>
    void Reset();
}

/// <summary>
/// An optimizer whose step is elementwise over θ, so that it can run a block at a time: the trainer fuses it into its
/// sweep over the workers' gradients (<see cref="CacheBlocks"/>) and splits the blocks among its workers. The
/// built-in optimizers implement it; any other <see cref="IOptimizer{T}"/> gets whole-buffer <c>Step</c> calls.
/// </summary>
internal interface IBlockOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Starts a step (Adam's step count and bias corrections); then <see cref="StepBlock"/> for every block, once.</summary>
    void BeginStep();

    /// <summary>
    /// Steps θ[start…start + length) from the same slice of g, which it then zeroes, with the optimizer state at the
    /// same place; the blocks of one step may run in any order and on different threads.
    /// </summary>
    void StepBlock(Span<T> parameters, Span<T> gradients, int start);
}

/// <summary>
/// Stochastic gradient descent with momentum, exactly torch.optim.SGD (dampening 0):
/// g ← g + λ·θ; v ← μ·v + g (v = g on the first step); θ ← θ − γ·v, or with Nesterov θ ← θ − γ·(g + μ·v).
/// Allocation-free after construction.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class SgdMomentum<T> : IOptimizer<T>, IBlockOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _velocity; // v, the momentum buffer; starting at 0 makes the first step v = g, as in PyTorch
    private double _learningRate;

    /// <summary>Creates the optimizer for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter and gradient spans.</param>
    /// <param name="learningRate">γ ≥ 0.</param>
    /// <param name="momentum">μ ≥ 0; 0 gives plain SGD.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0).</param>
    /// <param name="weightDecay">λ ≥ 0, the L2 penalty added to the gradient.</param>
    /// <exception cref="ArgumentException">A hyperparameter is out of range.</exception>
    public SgdMomentum(int parameterCount, double learningRate, double momentum = 0.9, bool nesterov = false, double weightDecay = 0)
    {
        if (parameterCount < 0)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, $"The parameter count must not be negative, got {parameterCount}.");
        OptimizerChecks.NonNegative(learningRate, nameof(learningRate));
        OptimizerChecks.NonNegative(momentum, nameof(momentum));
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0)
            throw new ArgumentException("Nesterov momentum needs a momentum greater than 0.", nameof(nesterov));
        _velocity = new T[parameterCount];
        _learningRate = learningRate;
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite (reported as learningRate, as by the constructor).</exception>
    public double LearningRate { get => _learningRate; set => _learningRate = OptimizerChecks.NonNegative(value, "learningRate"); }

    /// <summary>The momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    public int ParameterCount => _velocity.Length;

    /// <inheritdoc/>
    public void Step(Span<T> parameters, Span<T> gradients)
    {
        OptimizerChecks.Lengths(parameters.Length, gradients.Length, _velocity.Length);
        OptimizerChecks.StepByBlocks(this, parameters, gradients);
    }

    void IBlockOptimizer<T>.BeginStep() { }

    void IBlockOptimizer<T>.StepBlock(Span<T> theta, Span<T> g, int start)
    {
        T lr = T.CreateTruncating(_learningRate), mu = T.CreateTruncating(Momentum);
        Span<T> v = _velocity.AsSpan(start, theta.Length);
        if (WeightDecay != 0)
            TensorPrimitives.MultiplyAdd(theta, T.CreateTruncating(WeightDecay), g, g); // g ← g + λ·θ
        TensorPrimitives.MultiplyAdd(v, mu, g, v);                                       // v ← μ·v + g
        if (Nesterov)
        {
            TensorPrimitives.MultiplyAdd(v, mu, g, g);          // g ← g + μ·v
            TensorPrimitives.MultiplyAdd(g, -lr, theta, theta); // θ ← θ − γ·g
        }
        else
        {
            TensorPrimitives.MultiplyAdd(v, -lr, theta, theta); // θ ← θ − γ·v
        }
        g.Clear();
    }

    /// <inheritdoc/>
    public void Reset() => Array.Clear(_velocity);
}

/// <summary>
/// Adam, exactly torch.optim.Adam (amsgrad off): g ← g + λ·θ; m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²;
/// θ ← θ − γ/(1 − β₁^t) · m / (√v / √(1 − β₂^t) + ε), with t the step number from 1.
/// Allocation-free after construction.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Adam<T> : IOptimizer<T>, IBlockOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _m; // first-moment estimate
    private readonly T[] _v; // second raw-moment estimate
    private double _learningRate;
    private T _stepSize, _correction2; // this step's γ/(1 − β₁^t) and √(1 − β₂^t) (BeginStep)

    /// <summary>Creates the optimizer for <paramref name="parameterCount"/> parameters.</summary>
    /// <param name="parameterCount">The length of the parameter and gradient spans.</param>
    /// <param name="learningRate">γ ≥ 0.</param>
    /// <param name="beta1">β₁ in [0, 1), decay of the first moment.</param>
    /// <param name="beta2">β₂ in [0, 1), decay of the second moment.</param>
    /// <param name="epsilon">ε ≥ 0, added to the denominator.</param>
    /// <param name="weightDecay">λ ≥ 0, the L2 penalty added to the gradient (PyTorch's Adam, not AdamW).</param>
    /// <exception cref="ArgumentException">A hyperparameter is out of range.</exception>
    public Adam(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        if (parameterCount < 0)
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, $"The parameter count must not be negative, got {parameterCount}.");
        OptimizerChecks.NonNegative(learningRate, nameof(learningRate));
        OptimizerChecks.UnitInterval(beta1, nameof(beta1));
        OptimizerChecks.UnitInterval(beta2, nameof(beta2));
        OptimizerChecks.NonNegative(epsilon, nameof(epsilon));
        OptimizerChecks.NonNegative(weightDecay, nameof(weightDecay));
        _m = new T[parameterCount];
        _v = new T[parameterCount];
        _learningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite (reported as learningRate, as by the constructor).</exception>
    public double LearningRate { get => _learningRate; set => _learningRate = OptimizerChecks.NonNegative(value, "learningRate"); }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>The L2 weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <summary>t: the number of steps taken since construction or <see cref="Reset"/>.</summary>
    public int StepCount { get; private set; }

    /// <inheritdoc/>
    public int ParameterCount => _m.Length;

    /// <inheritdoc/>
    /// <remarks>The gradient buffer doubles as scratch space for g² and the denominator before it is zeroed.</remarks>
    public void Step(Span<T> parameters, Span<T> gradients)
    {
        OptimizerChecks.Lengths(parameters.Length, gradients.Length, _m.Length);
        OptimizerChecks.StepByBlocks(this, parameters, gradients);
    }

    void IBlockOptimizer<T>.BeginStep()
    {
        StepCount++;
        // Bias corrections in double, as PyTorch computes them from Python floats.
        double biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        _stepSize = T.CreateTruncating(_learningRate / biasCorrection1);
        _correction2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(Beta2, StepCount)));
    }

    void IBlockOptimizer<T>.StepBlock(Span<T> theta, Span<T> g, int start)
    {
        Span<T> m = _m.AsSpan(start, theta.Length), v = _v.AsSpan(start, theta.Length);
        if (WeightDecay != 0)
            TensorPrimitives.MultiplyAdd(theta, T.CreateTruncating(WeightDecay), g, g); // g ← g + λ·θ

        // m ← β₁·m + (1 − β₁)·g
        TensorPrimitives.Multiply(m, T.CreateTruncating(Beta1), m);
        TensorPrimitives.MultiplyAdd(g, T.CreateTruncating(1 - Beta1), m, m);
        // v ← β₂·v + (1 − β₂)·g²  (g² computed in place: g is not needed any more)
        TensorPrimitives.Multiply(g, g, g);
        TensorPrimitives.Multiply(v, T.CreateTruncating(Beta2), v);
        TensorPrimitives.MultiplyAdd(g, T.CreateTruncating(1 - Beta2), v, v);

        // denominator = √v / √(1 − β₂^t) + ε, into g; then θ ← θ − stepSize · m / denominator.
        Span<T> denominator = g;
        TensorPrimitives.Sqrt<T>(v, denominator);
        TensorPrimitives.Divide(denominator, _correction2, denominator);
        TensorPrimitives.Add(denominator, T.CreateTruncating(Epsilon), denominator);
        TensorPrimitives.Divide(m, denominator, denominator);
        TensorPrimitives.MultiplyAdd(denominator, -_stepSize, theta, theta);
        g.Clear();
    }

    /// <inheritdoc/>
    public void Reset()
    {
        Array.Clear(_m);
        Array.Clear(_v);
        StepCount = 0;
    }
}

internal static class OptimizerChecks
{
    /// <summary>A whole step as BeginStep and a StepBlock for each block of <see cref="CacheBlocks"/>: each block's θ, g and state read once a step.</summary>
    public static void StepByBlocks<T>(IBlockOptimizer<T> optimizer, Span<T> parameters, Span<T> gradients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        optimizer.BeginStep();
        for (int start = 0; start < parameters.Length; start += CacheBlocks.Length)
        {
            int length = Math.Min(CacheBlocks.Length, parameters.Length - start);
            optimizer.StepBlock(parameters.Slice(start, length), gradients.Slice(start, length), start);
        }
    }

    /// <summary>Returns <paramref name="value"/> if it is finite and ≥ 0; otherwise throws, naming it.</summary>
    public static double NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be finite and ≥ 0, got {value}."));
        return value;
    }

    public static void UnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1), got {value}.");
    }

    public static void Lengths(int parameters, int gradients, int expected)
    {
        if (parameters != expected)
            throw new ArgumentException($"Expected parameters of length {expected}, got {parameters}.", nameof(parameters));
        if (gradients != expected)
            throw new ArgumentException($"Expected gradients of length {expected}, got {gradients}.", nameof(gradients));
    }
}
