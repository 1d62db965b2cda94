namespace NetCompiler.Generator.Emit;

/// <summary>
/// What the two kinds of network write their own way: <see cref="ChainEmitter"/> for a chain of dense layers (every layer
/// inline in one method, blocked batched kernels) and <see cref="GraphEmitter"/> for any other (one method per layer).
/// NetworkEmitter writes the rest of the class around them.
/// </summary>
internal interface INetworkPath
{
    /// <summary>The header comment: the network in the lecture's notation, then its plan.</summary>
    void WriteDescription(SourceWriter w);

    /// <summary>The size constants, the offsets in θ, Topology, and the buffers.</summary>
    void WriteConstantsAndBuffers(SourceWriter w);

    /// <summary>Forward and ForwardCore.</summary>
    void WriteForward(SourceWriter w);

    /// <summary>Backward (trainable networks only).</summary>
    void WriteBackward(SourceWriter w);

    /// <summary>The batched entry points and the methods behind them.</summary>
    void WriteBatch(SourceWriter w);
}
