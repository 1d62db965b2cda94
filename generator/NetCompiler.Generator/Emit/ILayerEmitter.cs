namespace NetCompiler.Generator.Emit;

/// <summary>
/// The emitter of one layer kind in a graph network: the body of ForwardLayer{l} and of BackwardLayer{l}. The kernel
/// each writes is the one the plan names for the layer (LayerPlan.Forward, LayerPlan.Backward); adding a layer kind is
/// one implementation of this interface plus the planner's entries for it.
/// </summary>
internal interface ILayerEmitter
{
    /// <summary>u (or x, for layers without f) of <paramref name="layer"/> from its sources; the activation pass follows.</summary>
    void WriteForward(SourceWriter w, LayerShape layer);

    /// <summary>After û of <paramref name="layer"/> is known: its gradients, and x̂ added to its sources.</summary>
    void WriteBackward(SourceWriter w, LayerShape layer);

    /// <summary>LanesLayer{l}: x of <paramref name="layer"/> for 16 samples held in the lanes of each Vector512, from its sources' lanes buffers (f applied).</summary>
    void WriteLanesForward(SourceWriter w, LayerShape layer);

    /// <summary>BackwardLanesLayer{l}, after û of <paramref name="layer"/> is in its lanes buffer: its gradients (summed over the 16 samples) and x̂ added to its sources' lanes buffers.</summary>
    void WriteLanesBackward(SourceWriter w, LayerShape layer);
}
