using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;

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

    /// <summary>Every member the emitter declares for a network of this shape.</summary>
    public static List<Member> For(int layerCount, bool trainable, bool softmaxOutput, Precision precision)
    {
        string t = precision == Precision.Double ? "double" : "float";
        string readOnlySpan = "global::System.ReadOnlySpan<" + t + ">", span = "global::System.Span<" + t + ">";
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
        };
        for (int l = 0; l <= layerCount; l++)
            members.Add(new Member("_x" + Number(l)));
        for (int l = 1; l <= layerCount; l++)
        {
            members.Add(new Member("W" + Number(l)));
            members.Add(new Member("B" + Number(l)));
        }
        if (softmaxOutput)
        {
            members.Add(new Member("_u" + Number(layerCount)));
            members.Add(new Member("_softmaxMax"));
            members.Add(new Member("_softmaxSum"));
        }
        if (trainable)
        {
            members.Add(new Member("Gradients"));
            members.Add(new Member("_gradients"));
            members.Add(new Member("_hasForward"));
            for (int l = 1; l <= layerCount; l++)
                members.Add(new Member("_s" + Number(l)));
            members.Add(new Member("Sensitivities", ImmutableArray.Create("int")));
            members.Add(new Member("Backward", ImmutableArray.Create(readOnlySpan)));
            members.Add(new Member("Update", ImmutableArray.Create(t)));
            members.Add(new Member("TrainStep", ImmutableArray.Create(readOnlySpan, readOnlySpan, t)));
        }
        return members;
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
