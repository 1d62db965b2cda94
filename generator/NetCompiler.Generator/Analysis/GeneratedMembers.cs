using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using NetCompiler.Generator.Plan;

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
    /// fixed members of either path, and what the network's plan (<see cref="Planner"/>) says each layer owns and which
    /// of its kernels get methods. GeneratedMembersTests and RobustnessTests compare this list with emitted classes.
    /// </summary>
    public static List<Member> For(NetworkTopology topology, bool compiledWeights = false)
    {
        NetworkPlan plan = Planner.Plan(topology);
        bool trainable = plan.Trainable, graph = !plan.IsChain;
        string t = Emit.ElementType.Of(topology.Precision).Name;
        string readOnlySpan = "global::System.ReadOnlySpan<" + t + ">", span = "global::System.Span<" + t + ">";
        IReadOnlyList<LayerShape> layers = topology.Layers;
        LayerShape output = layers[topology.OutputLayer - 1];
        ImmutableArray<string> none = ImmutableArray<string>.Empty, count = ImmutableArray.Create("int");

        var members = new List<Member>
        {
            new("InputSize"), new("OutputSize"), new("LayerCount"), new("ParameterCount"), new("Topology"),
            new("Parameters"), new("_weights"), new("Weights"),
            new("CreateWorkspace", none),
            new(Constructor, none), new(Constructor, ImmutableArray.Create(WeightsType(t))),
            new("InitializeParameters", ImmutableArray.Create("int")),
            new("Activities", ImmutableArray.Create("int")),
            new("Forward", ImmutableArray.Create(readOnlySpan, span)),
            new("ThrowLength", ImmutableArray.Create("string", "int", "int")),
            new("_x0"),
            new("ForwardBatch", ImmutableArray.Create(readOnlySpan, span, "int")),
            new("ThrowBatchLength", ImmutableArray.Create("string", "int", "int", "int")),
        };
        if (compiledWeights) members.Add(new Member("CompiledWeights")); // the nested class holding [Network(Weights = …)]'s θ
        if (graph || plan.HasForwardCore) members.Add(new Member("ForwardCore", ImmutableArray.Create(readOnlySpan)));
        foreach (LayerShape layer in layers)
        {
            LayerPlan layerPlan = plan[layer.Number];
            string l = Number(layer.Number);
            foreach (string buffer in layerPlan.Buffers) members.Add(new Member(buffer));
            // A chain's every layer is dense, with parameters; a graph's offsets are written for layers that have them.
            if (layer.ParameterCount > 0 || !graph)
            {
                members.Add(new Member("W" + l));
                members.Add(new Member("B" + l));
            }
            if (graph)
            {
                if (layer.Kind == LayerKind.Dense && layer.Sources.Count > 1)
                    foreach (int source in layer.Sources)
                        members.Add(new Member("W" + l + "From" + Number(source)));
                // Any connection table, even one that connects everything, gets its kernel offsets.
                if (layer.Spec is ConvLayer { Connections: not null }) members.Add(new Member("Kernels" + l));
                members.Add(new Member("ForwardLayer" + l, none));
                if (layerPlan.Backward != BackwardKernel.None) members.Add(new Member("BackwardLayer" + l, none));
                if (layerPlan.DeferredGradient) members.Add(new Member("DeferredGradientLayer" + l, count));
                if (layerPlan.Lanes != LanesKernel.None) members.Add(new Member("LanesLayer" + l, none));
                if (plan.LanesBackward && layerPlan.Backward != BackwardKernel.None) members.Add(new Member("BackwardLanesLayer" + l, none));
                continue;
            }
            members.Add(new Member("ForwardBatchLayer" + l, count));
            if (layerPlan.BatchForwardVector512) members.Add(new Member("ForwardBatchLayer" + l + "Vector512", count));
            if (plan.FeatureMajor)
                members.Add(layer.Number == 1
                    ? new Member("ForwardFeatureMajorLayer1", ImmutableArray.Create(readOnlySpan, "int"))
                    : new Member("ForwardFeatureMajorLayer" + l, none));
            if (!trainable) continue;
            members.Add(new Member("BackwardBatchLayer" + l, count));
            if (!layerPlan.BatchBackwardVector512) continue;
            members.Add(new Member("GradientBatchLayer" + l + "Vector512", count));
            if (layer.Number > 1) members.Add(new Member("InputSensitivityBatchLayer" + l + "Vector512", count));
        }
        if (output.Activation == Activation.Softmax)
        {
            members.Add(new Member("_softmaxMax"));
            members.Add(new Member("_softmaxSum"));
            if (!graph) members.Add(new Member("_batchLogPartition"));
        }
        if (trainable)
        {
            members.Add(new Member("Gradients"));
            members.Add(new Member("_gradients"));
            members.Add(new Member("_hasForward"));
            members.Add(new Member("Sensitivities", ImmutableArray.Create("int")));
            members.Add(new Member("Backward", ImmutableArray.Create(readOnlySpan)));
            members.Add(new Member("Update", ImmutableArray.Create(t)));
            members.Add(new Member("TrainStep", ImmutableArray.Create(readOnlySpan, readOnlySpan, t)));
            members.Add(new Member("BackwardBatch", ImmutableArray.Create(readOnlySpan, readOnlySpan, "int")));
            members.Add(new Member("BackwardBatch", ImmutableArray.Create(readOnlySpan, readOnlySpan, "int", span)));
            members.Add(new Member("TrainStepBatch", ImmutableArray.Create(readOnlySpan, readOnlySpan, "int", t)));
            members.Add(new Member("ThrowLearningRate", ImmutableArray.Create(t)));
        }
        if (plan.AnyDeferredGradient)
        {
            members.Add(new Member("DeferredSamples"));
            members.Add(new Member("_deferred"));
            members.Add(new Member("AllocateDeferredBuffers", none));
            members.Add(new Member("FlushDeferred", none));
        }
        if (graph)
        {
            if (plan.LanesForward)
            {
                members.Add(new Member("_lanes0"));
                members.Add(new Member("_lanesRows"));
                members.Add(new Member("AllocateLanesBuffers", none));
                members.Add(new Member("ForwardLanes", ImmutableArray.Create(readOnlySpan, span, "int")));
                if (plan.LanesBackward)
                {
                    members.Add(new Member("BackwardLanes", ImmutableArray.Create(readOnlySpan, readOnlySpan, span, "int")));
                    members.Add(new Member("BackwardLanesOutput", count));
                    members.Add(new Member("_lanesD"));
                    members.Add(new Member("_lanesTargetRows"));
                    members.Add(new Member("_lanesRowsX"));
                    if (output.Activation == Activation.Softmax)
                    {
                        members.Add(new Member("_lanesU"));
                        members.Add(new Member("_lanesLogZ"));
                    }
                }
            }
            if (plan.GraphAlignedBuffers)
            {
                members.Add(new Member("AlignedBuffer", count));
                members.Add(new Member("AlignedStart", ImmutableArray.Create(t + "[]")));
            }
            return members;
        }

        // The chain's batched kernels and their buffers; θ, g and x⁰ in 64-byte-aligned pinned buffers.
        members.Add(new Member("MaxBatch"));
        members.Add(new Member("AlignedBuffer", count));
        members.Add(new Member("AlignedStart", ImmutableArray.Create(t + "[]")));
        members.Add(new Member("_batchX0"));
        members.Add(new Member("AllocateBatchBuffers", none));
        members.Add(new Member("ForwardBatchCore", ImmutableArray.Create(readOnlySpan, "int")));
        if (plan.AnyBatchForwardVector512)
        {
            string v512 = "global::System.Runtime.Intrinsics.Vector512<" + t + ">";
            members.Add(new Member("SumsOf4", ImmutableArray.Create(v512, v512, v512, v512)));
        }
        if (plan.FeatureMajor)
        {
            members.Add(new Member("ForwardBatchFeatureMajor", ImmutableArray.Create(readOnlySpan, span, "int")));
            members.Add(new Member("TransposeInputsFeatureMajor", ImmutableArray.Create(readOnlySpan, "int")));
            members.Add(new Member("OutputsFeatureMajor", ImmutableArray.Create(span, "int")));
        }
        if (trainable) members.Add(new Member("BackwardBatchOutput", ImmutableArray.Create(readOnlySpan, "int")));
        return members;
    }

    /// <summary>The metadata name of a constructor: the generated class has two, () and (NetworkWeights&lt;T&gt;).</summary>
    public const string Constructor = ".ctor";

    /// <summary>NetworkWeights&lt;T&gt; in fully qualified display form.</summary>
    public static string WeightsType(string t) => "global::NetCompiler.NetworkWeights<" + t + ">";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
