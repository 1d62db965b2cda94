// θ as a value of its own, so that many network instances (one per thread) can run on one set of weights: an
// instance is then only a workspace (activations, sensitivities, gradients). θ lives 64-byte aligned in a pinned
// array, as the generated kernels need (a Vector512 load at an unaligned address touches two cache lines).
using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetCompiler;

/// <summary>
/// The weights and biases θ of one network topology, in its parameter layout (<see cref="LayerShape"/>): what a
/// trained network is. Generated networks and <see cref="InterpretedNetwork{T}"/> take them in a constructor and share
/// them: every instance built on the same <see cref="NetworkWeights{T}"/> reads (and, when trained, writes) the same θ.
/// </summary>
/// <remarks>
/// <para>Threading: reading θ from any number of threads at once is safe, so any number of instances may run Forward
/// concurrently on shared weights (each instance on one thread at a time: its activations are its own). Writing θ
/// (Update, TrainStep, an optimizer, <see cref="AsSpan"/>) while other threads read it is the caller's to order.</para>
/// <para>Read-only weights (<see cref="IsReadOnly"/>), such as the weights compiled into an inference-only network,
/// refuse <see cref="AsSpan"/>; <see cref="Clone"/> gives a writable copy.</para>
/// </remarks>
/// <typeparam name="T">float or double: the network's precision.</typeparam>
public sealed class NetworkWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _array; // pinned (it never moves), with 64 bytes to spare for the alignment
    private readonly int _start; // the index of its first 64-byte-aligned element, where θ begins

    /// <summary>New weights for <paramref name="topology"/>, initialised by <see cref="ParameterInitializer"/> from <paramref name="seed"/> (a new generated network uses seed 0).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="topology"/> is null.</exception>
    public NetworkWeights(NetworkTopology topology, int seed = 0) : this(topology, readOnly: false)
    {
        ParameterInitializer.Initialize(topology, AsSpan(), seed);
    }

    /// <summary>New weights for <paramref name="topology"/> holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not have the topology's <see cref="NetworkTopology.ParameterCount"/> values.</exception>
    public NetworkWeights(NetworkTopology topology, ReadOnlySpan<T> values) : this(topology, values, readOnly: false)
    {
    }

    private NetworkWeights(NetworkTopology topology, ReadOnlySpan<T> values, bool readOnly) : this(topology, readOnly)
    {
        if (values.Length != ParameterCount)
            throw new ArgumentException(
                "Expected " + ParameterCount + " values (the parameters of " + topology + "), got " + values.Length + ".", nameof(values));
        values.CopyTo(Values);
    }

    private NetworkWeights(NetworkTopology topology, bool readOnly)
    {
        ArgumentNullException.ThrowIfNull(topology);
        Topology = topology;
        ParameterCount = topology.ParameterCount;
        IsReadOnly = readOnly;
        _array = GC.AllocateArray<T>(ParameterCount + 64 / Unsafe.SizeOf<T>(), pinned: true);
        nint address = Unsafe.ByteOffset(ref Unsafe.NullRef<T>(), ref MemoryMarshal.GetArrayDataReference(_array));
        _start = (int)((-address & 63) / Unsafe.SizeOf<T>());
    }

    /// <summary>
    /// Read-only weights holding a copy of <paramref name="values"/> (the topology's parameter layout): what a generated
    /// inference-only network shares between its instances when weights are compiled into it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not have the topology's ParameterCount values.</exception>
    public static NetworkWeights<T> CreateReadOnly(NetworkTopology topology, ReadOnlySpan<T> values) => new(topology, values, readOnly: true);

    /// <summary>The topology these weights are for.</summary>
    public NetworkTopology Topology { get; }

    /// <summary>The number of weights and biases.</summary>
    public int ParameterCount { get; }

    /// <summary>True for weights that refuse writes (<see cref="AsSpan"/> throws): the compiled-in weights an inference-only network shares.</summary>
    public bool IsReadOnly { get; }

    /// <summary>θ, writable: writes reach every network on these weights.</summary>
    /// <exception cref="InvalidOperationException">The weights are read-only (<see cref="IsReadOnly"/>).</exception>
    public Span<T> AsSpan()
    {
        if (IsReadOnly)
            throw new InvalidOperationException(
                "These weights are read-only (the weights compiled into " + Topology + ", shared by every instance); "
                + "Clone() gives a writable copy to build a network on.");
        return Values;
    }

    /// <summary>θ, for reading.</summary>
    public ReadOnlySpan<T> AsReadOnlySpan() => Values;

    /// <summary>A writable copy of these weights, for the same topology.</summary>
    public NetworkWeights<T> Clone() => new(Topology, Values, readOnly: false);

    /// <summary>
    /// The first element of θ, on a 64-byte boundary and pinned: what the generated kernels index from. Read-only
    /// weights must only be read through it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T GetPinnableReference() => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _start);

    /// <summary>
    /// Returns <paramref name="weights"/> when they are for <paramref name="topology"/>'s layers (<see cref="NetworkTopology.HasSameLayers"/>);
    /// the check every network constructor that takes weights makes.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
    /// <exception cref="ArgumentException">The weights are for another network (the message names both topologies), or
    /// they are read-only and <paramref name="topology"/> is trainable (it has a loss, so its Update would write them).</exception>
    public static NetworkWeights<T> EnsureFits(NetworkWeights<T> weights, NetworkTopology topology, string? paramName = null)
    {
        ArgumentNullException.ThrowIfNull(weights, paramName ?? nameof(weights));
        ArgumentNullException.ThrowIfNull(topology);
        if (!weights.Topology.HasSameLayers(topology))
            throw new ArgumentException(
                "The weights are for " + weights.Topology + ", but this network is " + topology + ".", paramName ?? nameof(weights));
        if (weights.IsReadOnly && topology.Loss is not null)
            throw new ArgumentException(
                "The weights are read-only, and a trainable network (" + topology + ") writes its weights: pass weights.Clone().",
                paramName ?? nameof(weights));
        return weights;
    }

    /// <inheritdoc/>
    public override string ToString() => (IsReadOnly ? "read-only " : "") + "weights of " + Topology;

    private Span<T> Values => MemoryMarshal.CreateSpan(ref GetPinnableReference(), ParameterCount);

}
