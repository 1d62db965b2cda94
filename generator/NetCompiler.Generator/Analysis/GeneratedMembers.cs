using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;

namespace NetCompiler.Generator.Analysis;

/// <summary>
/// The names the emitter declares in a network class: a user member with one of these names collides with the generated
/// code. (Everything else generated code names is global::-qualified, so no user name can capture it.) A test compares this list
/// with the members of emitted classes, so a new generated member cannot be forgotten here.
/// </summary>
internal static class GeneratedMembers
{
    /// <summary>The tool name in the generated class's [GeneratedCode] attribute, by which the analyzer tells our declaration from the user's.</summary>
    public const string ToolName = "NetCompiler.Generator";

    /// <summary>One generated name; <see cref="ParameterTypes"/> is set for methods (a user method with other parameters is a legal overload).</summary>
    public sealed class Member
    {
        public Member(string name, ImmutableArray<string> parameterTypes = default)
        {
            Name = name;
            ParameterTypes = parameterTypes;
        }

        public string Name { get; }

        /// <summary>Parameter types in fully qualified display form ("global::System.ReadOnlySpan&lt;float&gt;"), or default for a non-method.</summary>
        public ImmutableArray<string> ParameterTypes { get; }

        public bool IsMethod => !ParameterTypes.IsDefault;
    }

    /// <summary>
    /// Every member the emitter declares for <paramref name="topology"/>, which must be valid (no topology errors): the
    /// dense-chain path (NetworkEmitter.cs) when <see cref="NetworkTopology.IsDenseChain"/>, else the general path
    /// (NetworkEmitter.Graph.cs, with the per-layer buffers of .Conv.cs and .Pool.cs). Trainable means a loss; the
    /// precision sets the vector width, on which one conv buffer depends. The rules restate the emitter's own
    /// conditions, which are named in the comments; GeneratedMembersTests and RobustnessTests hold the two equal.
    /// </summary>
    public static List<Member> For(NetworkTopology topology)
    {
        bool trainable = topology.Loss.HasValue;
        Precision precision = topology.Precision;
        string t = precision == Precision.Double ? "double" : "float";
        int lanes = (precision == Precision.Double ? Emit.ElementType.Double : Emit.ElementType.Single).Lanes;
        string readOnlySpan = "global::System.ReadOnlySpan<" + t + ">", span = "global::System.Span<" + t + ">";
        IReadOnlyList<LayerShape> layers = topology.Layers;
        LayerShape output = layers[topology.OutputLayer - 1];
        bool graph = !topology.IsDenseChain;

        var members = new List<Member>
        {
            new("InputSize"), new("OutputSize"), new("LayerCount"), new("ParameterCount"), new("Topology"),
            new("Parameters"), new("_parameters"),
            new("InitializeParameters", ImmutableArray.Create("int")),
            new("InitialParameters", ImmutableArray<string>.Empty),
            new("Activities", ImmutableArray.Create("int")),
            new("Forward", ImmutableArray.Create(readOnlySpan, span)),
            new("ForwardCore", ImmutableArray.Create(readOnlySpan)),
            new("ThrowLength", ImmutableArray.Create("string", "int", "int")),
            new("_x0"),
        };
        foreach (LayerShape layer in layers)
        {
            string l = Number(layer.Number);
            members.Add(new Member("_x" + l));
            // WriteConstantsAndBuffers writes W and B for every layer of a chain (each dense layer has parameters);
            // WriteGraphConstantsAndBuffers only for layers with parameters, plus W{l}From{β} per source of a dense
            // layer with several.
            if (layer.ParameterCount > 0 || !graph)
            {
                members.Add(new Member("W" + l));
                members.Add(new Member("B" + l));
            }
            if (!graph) continue;
            if (layer.Kind == LayerKind.Dense && layer.Sources.Count > 1)
                foreach (int source in layer.Sources)
                    members.Add(new Member("W" + l + "From" + Number(source)));
            // Any connection table, even one that connects everything, gets its kernel offsets.
            if (layer.Spec is ConvLayer { Connections: not null })
                members.Add(new Member("Kernels" + l));
            members.Add(new Member("ForwardLayer" + l, ImmutableArray<string>.Empty));
            // WriteLayerBackward runs for SendsBack(layer).
            if (trainable && (layer.ParameterCount > 0 || layer.Sources.Any(s => s != 0)))
                members.Add(new Member("BackwardLayer" + l, ImmutableArray<string>.Empty));
            if (layer.Kind is LayerKind.Conv1D or LayerKind.Conv2D)
            {
                // NetworkEmitter.Conv.cs: IsDenseConv, GathersInputSensitivity, ScattersInputSensitivity.
                bool denseConv = layer.Shape.Spatial == 1 && layer.Padding == 0 && !HasSparseTable(layer);
                bool sendsToLayer = trainable && layer.Sources[0] != 0 && !denseConv;
                bool gathers = sendsToLayer && layer.Stride == 1 && layer.SourceShapes[0].Width >= lanes;
                bool scatters = sendsToLayer && !gathers;
                if (layer.Padding > 0)
                {
                    members.Add(new Member("_pad" + l));
                    if (scatters) members.Add(new Member("_padHat" + l));
                }
                if (gathers) members.Add(new Member("_uHatPad" + l));
                // IsFlatConv and FlatIsDirect: the staging buffer of a stride-1 kernel whose plane is not u itself.
                WindowGeometry g = layer.Window;
                int flatLength = (g.OutHeight - 1) * g.PaddedWidth + g.OutWidth;
                if (!denseConv && layer.Stride == 1 && flatLength >= lanes && g.OutHeight > 1 && g.PaddedWidth != g.OutWidth)
                    members.Add(new Member("_flat" + l));
            }
            if (layer.Kind == LayerKind.MaxPool && trainable)
                members.Add(new Member("_argmax" + l));
            if (layer.Kind == LayerKind.AvgPool && layer.Trainable && trainable)
                members.Add(new Member("_mean" + l));
        }
        if (output.Activation == Activation.Softmax)
        {
            members.Add(new Member("_u" + Number(output.Number)));
            members.Add(new Member("_softmaxMax"));
            members.Add(new Member("_softmaxSum"));
        }
        if (trainable)
        {
            members.Add(new Member("Gradients"));
            members.Add(new Member("_gradients"));
            members.Add(new Member("_hasForward"));
            foreach (LayerShape layer in layers)
                members.Add(new Member("_s" + Number(layer.Number)));
            members.Add(new Member("Sensitivities", ImmutableArray.Create("int")));
            members.Add(new Member("Backward", ImmutableArray.Create(readOnlySpan)));
            members.Add(new Member("Update", ImmutableArray.Create(t)));
            members.Add(new Member("TrainStep", ImmutableArray.Create(readOnlySpan, readOnlySpan, t)));
        }

        // NetworkEmitter.Batch.cs: the batched entry points on both paths; the blocked kernels and their buffers on a chain.
        members.Add(new Member("ForwardBatch", ImmutableArray.Create(readOnlySpan, span, "int")));
        members.Add(new Member("ThrowBatchLength", ImmutableArray.Create("string", "int", "int", "int")));
        if (trainable)
        {
            members.Add(new Member("BackwardBatch", ImmutableArray.Create(readOnlySpan, readOnlySpan, "int")));
            members.Add(new Member("TrainStepBatch", ImmutableArray.Create(readOnlySpan, readOnlySpan, "int", t)));
        }
        if (!graph)
        {
            members.Add(new Member("MaxBatch"));
            // NetworkEmitter.cs: θ, g and x⁰ in 64-byte-aligned pinned buffers.
            members.Add(new Member("AlignedBuffer", ImmutableArray.Create("int")));
            members.Add(new Member("AlignedStart", ImmutableArray.Create(t + "[]")));
            members.Add(new Member("_batchX0"));
            members.Add(new Member("ForwardBatchCore", ImmutableArray.Create(readOnlySpan, "int")));
            foreach (LayerShape layer in layers)
            {
                string l = Number(layer.Number);
                members.Add(new Member("_batchX" + l));
                members.Add(new Member("ForwardBatchLayer" + l, ImmutableArray.Create("int")));
                bool wide = layer.Inputs >= 2 * lanes; // at least one Vector512 of inputs: the Vector512 kernels too
                if (wide) members.Add(new Member("ForwardBatchLayer" + l + "Vector512", ImmutableArray.Create("int")));
                if (!trainable) continue;
                members.Add(new Member("_batchS" + l));
                members.Add(new Member("BackwardBatchLayer" + l, ImmutableArray.Create("int")));
                if (wide) members.Add(new Member("GradientBatchLayer" + l + "Vector512", ImmutableArray.Create("int")));
                if (wide && layer.Number > 1) members.Add(new Member("InputSensitivityBatchLayer" + l + "Vector512", ImmutableArray.Create("int")));
            }
            if (layers.Any(layer => layer.Inputs >= 2 * lanes))
            {
                string v512 = "global::System.Runtime.Intrinsics.Vector512<" + t + ">";
                members.Add(new Member("SumsOf4", ImmutableArray.Create(v512, v512, v512, v512)));
            }
            if (layers[0].Inputs >= 2 * lanes)
            {
                // NetworkEmitter.BatchFeatureMajor.cs: ForwardBatch's feature-major path, when the first layer has a Vector512 of inputs.
                members.Add(new Member("ForwardBatchFeatureMajor", ImmutableArray.Create(readOnlySpan, span, "int")));
                members.Add(new Member("TransposeInputsFeatureMajor", ImmutableArray.Create(readOnlySpan, "int")));
                foreach (LayerShape layer in layers)
                    members.Add(layer.Number == 1
                        ? new Member("ForwardFeatureMajorLayer1", ImmutableArray.Create(readOnlySpan, "int"))
                        : new Member("ForwardFeatureMajorLayer" + Number(layer.Number), ImmutableArray<string>.Empty));
                members.Add(new Member("OutputsFeatureMajor", ImmutableArray.Create(span, "int")));
            }
            if (trainable) members.Add(new Member("BackwardBatchOutput", ImmutableArray.Create(readOnlySpan, "int")));
            if (output.Activation == Activation.Softmax)
            {
                members.Add(new Member("_batchU" + Number(output.Number)));
                members.Add(new Member("_batchLogPartition"));
            }
        }
        return members;
    }

    /// <summary>A connection table that leaves some kernel out (NetworkEmitter.Conv.cs: HasSparseTable).</summary>
    private static bool HasSparseTable(LayerShape layer)
    {
        for (int o = 0; o < layer.Shape.Channels; o++)
            for (int i = 0; i < layer.SourceShapes[0].Channels; i++)
                if (!layer.IsConnected(o, i)) return true;
        return false;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
