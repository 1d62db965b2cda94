// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// What can be wrong with an ONNX model NetCompiler imports: one value per kind (the generator gives each its own
// diagnostic id) and the problem itself, with the node it is about, so that a message can name it.
// Keep it netstandard2.0-clean: no records, init accessors or generic math.
using System.Globalization;

namespace NetCompiler.Onnx;

/// <summary>The kinds of <see cref="OnnxProblem"/>.</summary>
internal enum OnnxProblemKind
{
    /// <summary>Not a readable ONNX model: truncated, not protobuf, no graph, weights stored in an external file.</summary>
    NotAModel,
    /// <summary>The default domain's opset is outside 9..18, or missing.</summary>
    UnsupportedOpset,
    /// <summary>An operator NetCompiler has no mapping for (one problem per node, every one listed).</summary>
    UnsupportedOperator,
    /// <summary>A supported operator with an attribute value NetCompiler does not map (group 2, dilation 2, ceil_mode, auto_pad SAME_UPPER…).</summary>
    UnsupportedAttribute,
    /// <summary>A symbolic or unknown dimension of the input other than the batch dimension.</summary>
    DynamicDimension,
    /// <summary>A structure NetCompiler has no layer for: an activation with no layer to take it, two graph outputs, a weight that is not an initializer, shapes that do not line up, a topology the rules reject.</summary>
    Unrepresentable,
}

/// <summary>One problem of an imported model: what it is, the sentence that says so, and the node it is about (index −1 for none).</summary>
internal sealed class OnnxProblem
{
    public OnnxProblem(OnnxProblemKind kind, string message, int nodeIndex = -1, string nodeName = "", string opType = "")
    {
        Kind = kind;
        Message = message;
        NodeIndex = nodeIndex;
        NodeName = nodeName;
        OpType = opType;
    }

    public OnnxProblemKind Kind { get; }

    /// <summary>A sentence, without the file's name: "node 3 ('/conv1/Conv', Conv) has group = 2; NetCompiler imports group 1 only."</summary>
    public string Message { get; }

    /// <summary>The node's position in the graph's node list, or −1 when the problem is not about one node.</summary>
    public int NodeIndex { get; }

    public string NodeName { get; }

    public string OpType { get; }

    /// <summary>"node 3 ('/conv1/Conv', Conv)", or "node 3 (Conv)" for a node without a name: how messages name a node.</summary>
    public static string DescribeNode(int index, string name, string opType) =>
        "node " + index.ToString(CultureInfo.InvariantCulture) + " (" + (name.Length == 0 ? "" : "'" + name + "', ") + opType + ")";

    /// <inheritdoc/>
    public override string ToString() => Kind + ": " + Message;
}
