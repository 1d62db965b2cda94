extern alias generator;

using System.Threading.Tasks;
using Xunit;
using static NetCompiler.Generator.Tests.AnalyzerVerifier;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// Every diagnostic of <c>NetworkAnalyzer</c>: the exact span it points at (markup) and its message text.
/// Wrong and fixed examples of each, compiled with the generator, are in <see cref="DocsExamplesTests"/>.
/// </summary>
public class DiagnosticTests
{
    private const string Head = "using NetCompiler;\n";
    private const string Trainable = "Input(2), Dense(3, Activation.Tanh), Dense(1), Loss(LossFunction.SquaredError)";

    [Fact]
    public Task ValidNetworkHasNoDiagnostics() => VerifyAsync(Head + """
        namespace Demo;
        [Network, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
        public partial class Mlp { }
        [Network(Precision = Precision.Double), Input(3), Dense(units: 4, activation: Activation.LeakyReLU), Dense(activation: Activation.Sigmoid, units: 1), Loss(LossFunction.SquaredError)]
        internal sealed partial class Small { public void Forward(float[] input) { } private int _epochs; }
        public static partial class Holder { [Network, Input(1), Dense(1), Loss(LossFunction.SquaredError)] private partial class Nested { } }
        public partial record Outer { [Network, Input(1), Dense(1), Loss(LossFunction.SquaredError)] public partial class InRecord { } }
        public partial interface IOuter { [Network, Input(1), Dense(1), Loss(LossFunction.SquaredError)] public partial class InInterface { } }
        """);

    [Fact]
    public Task NC0001_NotPartial() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public class {|NC0001:Net|} { }
        """,
        "Class 'Net' must be declared partial so that NetCompiler can generate the rest of it");

    [Fact]
    public Task NC0002_ContainingTypeNotPartial() => VerifyAsync(Head + $$"""
        public class {|NC0002:Outer|}
        {
            public class {|NC0002:Middle|}
            {
                [Network, {{Trainable}}]
                public partial class Net { }
            }
        }
        """,
        "Network class 'Net' is nested in 'Outer', which must be declared partial too",
        "Network class 'Net' is nested in 'Middle', which must be declared partial too");

    [Fact]
    public Task NC0003_Generic() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial class {|NC0003:Net|}<TInput, TOutput> { }
        """,
        "Network class 'Net' has 2 type parameter(s); a network class cannot be generic");

    [Fact]
    public Task NC0004_NestedInGeneric() => VerifyAsync(Head + $$"""
        public partial class Outer<T>
        {
            [Network, {{Trainable}}]
            public partial class {|NC0004:Net|} { }
        }
        """,
        "Network class 'Net' is nested in generic type 'Outer'; declare it outside");

    [Fact]
    public Task NC0005_Static() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public static partial class {|NC0005:Net|} { }
        """,
        "Network class 'Net' is static; a network holds its parameters in instance fields");

    [Fact]
    public Task NC0006_Record() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial record {|NC0006:Net|} { }
        """,
        "Network 'Net' is a record; declare it as a plain partial class");

    [Fact]
    public Task NC0006_FileLocal() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        file partial class {|NC0006:Net|} { }
        """,
        "Network 'Net' is file-local (a file-local type cannot have a part in another file); declare it as a plain partial class");

    [Fact]
    public Task NC0010_MissingInput() => VerifyAsync(Head + """
        [{|NC0010:Network|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Network 'Net' has no [Input(size)]; declare the size of its input");

    [Fact]
    public Task NC0011_InputSizeNotPositive() => VerifyAsync(Head + """
        [Network, Input({|NC0011:0|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(shape: {|NC0011:-7|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Negative { }
        """,
        "The input size of network 'Net' must be positive, but it is 0",
        "The input size of network 'Negative' must be positive, but it is -7");

    [Fact]
    public Task NC0012_NoLayers() => VerifyAsync(Head + """
        [{|NC0012:Network|}, Input(3), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Network 'Net' has no layers; declare at least one [Dense] layer");

    [Fact]
    public Task NC0013_UnitsNotPositive() => VerifyAsync(Head + """
        [Network, Input(4), Dense(5), Dense({|NC0013:0|}, Activation.Tanh), Dense(activation: Activation.Sigmoid, units: {|NC0013:-3|}), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Dense layer 2 has 0 units; it needs at least 1",
        "Dense layer 3 has -3 units; it needs at least 1");

    [Fact]
    public Task NC0014_UndefinedEnumValues() => VerifyAsync(Head + """
        [Network(Precision = {|NC0014:(Precision)9|}), Input(3), Dense(2, {|NC0014:(Activation)42|}), Loss({|NC0014:(LossFunction)5|})]
        public partial class Net { }
        """,
        "Precision value 9 is not defined; use one of Single, Double",
        "Activation value 42 is not defined; use one of Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax",
        "LossFunction value 5 is not defined; use one of SquaredError, CrossEntropy");

    [Fact]
    public Task NC0015_SoftmaxNotOnOutput() => VerifyAsync(Head + """
        [Network, Input(4), Dense(5, Activation.Tanh), Dense(6, {|NC0015:Activation.Softmax|}), Dense(2), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Dense layer 2 uses Softmax, which is only supported on the output layer (layer 3)");

    [Fact]
    public Task NC0016_CrossEntropyWithoutSoftmax() => VerifyAsync(Head + """
        [Network, Input(4), Dense(5, Activation.ReLU), Dense(3, Activation.Sigmoid), Loss({|NC0016:LossFunction.CrossEntropy|})]
        public partial class Net { }
        """,
        "CrossEntropy needs a Softmax output layer, but the output layer (layer 2) uses Sigmoid");

    [Fact]
    public Task NC0017_SoftmaxWithSquaredError() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Activation.Softmax), Loss({|NC0017:LossFunction.SquaredError|})]
        public partial class Net { }
        """,
        "The output layer (layer 1) uses Softmax with SquaredError; Softmax pairs with CrossEntropy, and squared error through a softmax learns slowly");

    [Fact]
    public Task NC0018_InferenceOnly() => VerifyAsync(Head + """
        [{|NC0018:Network|}, Input(4), Dense(3)]
        public partial class Net { public void Backward() { } }
        """,
        "Network 'Net' has no [Loss], so it is inference-only: no Backward, Update or TrainStep is generated");

    [Fact]
    public Task NC0019_AttributesSplit() => VerifyAsync(
        new[]
        {
            Head + "[Network, Input(4), Dense(3, Activation.Tanh)]\npublic partial class Net { }",
            Head + "[{|NC0019:Dense(1)|}]\n[{|NC0019:Loss(LossFunction.SquaredError)|}]\npublic partial class Net { }",
        },
        new[]
        {
            "[Dense] of network 'Net' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
            "[Loss] of network 'Net' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
        });

    [Fact]
    public Task NC0020_AttributeWithoutNetwork() => VerifyAsync(Head + """
        [{|NC0020:Input(2)|}, {|NC0020:Dense(1)|}]
        public class Plain { }
        """,
        "[Input] on 'Plain' is ignored because the class has no [Network] attribute",
        "[Dense] on 'Plain' is ignored because the class has no [Network] attribute");

    [Fact]
    public Task NC0030_MemberCollision() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial class Net
        {
            public void {|NC0030:Forward|}(System.ReadOnlySpan<float> input, System.Span<float> output) { }
            public void Forward(float[] input) { } // an overload is fine
            private int {|NC0030:W2|};
            public class Vector256 { } // generated code names Simd::Vector256, which only an alias can match
        }
        """,
        "Member 'Forward' of network 'Net' has the name of a member NetCompiler generates; rename it",
        "Member 'W2' of network 'Net' has the name of a member NetCompiler generates; rename it");

    [Fact]
    public Task NC0031_InheritedMemberCollision() => VerifyAsync(Head + $$"""
        public class Base
        {
            public int Parameters;
            protected virtual void Update(float learningRate) { }
            private int InputSize;
            public void Forward(double[] input) { }
        }
        [Network, {{Trainable}}]
        public partial class Net : {|NC0031:Base|} { }
        """,
        "Network 'Net' inherits 'Parameters', 'Update' from 'Base', which the generated members would hide; rename them or derive from another type");

    [Fact]
    public Task NC0032_ClassNameCollision() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial class {|NC0032:Topology|} { }
        """,
        "Network class 'Topology' has the name of a member NetCompiler generates, and a member cannot have the name of its class; rename the class");

    [Fact]
    public Task NC0033_ConstructorCollision() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial class Net
        {
            public {|NC0033:Net|}() { }
            public {|NC0033:Net|}(NetworkWeights<float> weights) { }
            public Net(NetworkWeights<double> weights) : this() { } // another signature that chains is fine
        }
        """,
        "Network 'Net' declares a constructor (), which NetCompiler generates (it sets the network's weights); remove it, or give it other parameters and start it with this() or this(weights)",
        "Network 'Net' declares a constructor (NetworkWeights<float>), which NetCompiler generates (it sets the network's weights); remove it, or give it other parameters and start it with this() or this(weights)");

    [Fact]
    public Task NC0034_ConstructorWithoutWeights() => VerifyAsync(Head + $$"""
        [Network, {{Trainable}}]
        public partial class Net
        {
            public {|NC0034:Net|}(int width) { }
            static Net() { } // a static constructor sets no instance state (chaining ones: docs/diagnostics.md's fixed example, built with the generator)
        }
        """,
        "This constructor of network 'Net' must start with ': this()' or ': this(weights)': the generated constructors set the network's weights, which would otherwise be null");

    [Fact]
    public Task NC0040_TooManyParameters() => VerifyAsync(Head + """
        [{|NC0040:Network|}, Input(100000), Dense(100000), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Network 'Net' has 10,000,100,000 parameters (40,000,400,000 bytes); one buffer holds at most 2,147,483,591");

    [Fact]
    public Task NC0041_LargeNetwork() => VerifyAsync(Head + """
        [{|NC0041:Network(Precision = Precision.Double)|}, Input(10000), Dense(1001), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Network 'Net' has 10,011,001 parameters, more than 10,000,000: each instance holds 80,088,008 bytes of parameters and as many of gradients");

    [Fact]
    public Task NC0042_NetworkCost_WhenEnabled() => VerifyAsync(
        new[]
        {
            Head + """
            [{|NC0042:Network|}, Input(784), Dense(128, Activation.ReLU), Dense(10, Activation.Softmax), Loss(LossFunction.CrossEntropy)]
            public partial class Mlp { }
            """,
        },
        new[] { "Network 'Mlp': 101,770 parameters, 101,632 multiply-adds per forward pass, 407,080 bytes of parameters" },
        editorConfig: "dotnet_diagnostic.NC0042.severity = suggestion");

    [Fact]
    public Task EveryProblemIsReportedAtOnce() => VerifyAsync(Head + """
        [Network, Input({|NC0011:0|}), Dense({|NC0013:-1|}, {|NC0015:Activation.Softmax|}), Dense(2, Activation.Tanh), Loss({|NC0016:LossFunction.CrossEntropy|})]
        public class {|NC0001:Net|} { }
        """,
        "The input size of network 'Net' must be positive, but it is 0",
        "Dense layer 1 has -1 units; it needs at least 1",
        "Dense layer 1 uses Softmax, which is only supported on the output layer (layer 2)",
        "CrossEntropy needs a Softmax output layer, but the output layer (layer 2) uses Tanh",
        "Class 'Net' must be declared partial so that NetCompiler can generate the rest of it");

    // ---- Graphs, convolution and pooling (issue 4) ----------------------------------------------------------------

    private const string LeNetTable = "\"XXX...\", \".XXX..\", \"..XXX.\", \"...XXX\", \"X...XX\", \"XX...X\", \"XXXX..\", \".XXXX.\", "
        + "\"..XXXX\", \"X..XXX\", \"XX..XX\", \"XXX..X\", \"XX.XX.\", \".XX.XX\", \"X.XX.X\", \"XXXXXX\"";

    [Fact]
    public Task LeNet5HasNoDiagnostics() => VerifyAsync(Head + $$"""
        [Network, Input(1, 32, 32),
         Conv2D(6, 5, Activation.Tanh, Name = "c1"),
         AvgPool(2, Trainable = true, Activation = Activation.Sigmoid),
         Conv2D(16, 5, Activation.Tanh, Connections = new[] { {{LeNetTable}} }),
         AvgPool(2, Trainable = true, Activation = Activation.Sigmoid),
         Conv2D(120, 5, Activation.Tanh),
         Dense(84, Activation.Tanh),
         Dense(10, Activation.Softmax),
         Loss(LossFunction.CrossEntropy)]
        public partial class LeNet5 { }
        """);

    [Fact]
    public Task IssueExampleGraphHasOnlyTheFlattenInfo() => VerifyAsync(Head + """
        [Network]
        [Input(1, 28, 28)]
        [Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "c1")]
        [AvgPool(2)]
        [Conv2D(16, 5, Activation.Tanh)]
        [MaxPool(2)]
        [{|NC0066:Dense(120, Activation.Tanh, Name = "h")|}]
        [Dense(120, Activation.Tanh, Name = "g")]
        [Add(Name = "r", From = new[] { "h", "g" })]
        [Dense(10, Activation.Softmax, From = new[] { "r", "h" })]
        [Loss(LossFunction.CrossEntropy)]
        public partial class Example { }
        """,
        "Dense layer 5 ('h') reads layer 4 of shape [16, 5, 5] and flattens it to 400 features in PyTorch's order (channel, then row, then column)");

    [Fact]
    public Task ValidGraphsHaveNoErrors() => VerifyAsync(Head + """
        [Network, Input(2, 16),
         Conv1D(4, 3, Activation.ReLU, Padding = 1, Name = "a"),
         Conv1D(4, 5, Activation.ReLU, Padding = 2, Name = "b", From = new[] { "input" }),
         Concat(Name = "j", From = new[] { "a", "b" }),
         MaxPool(2, Stride = 2),
         {|NC0066:Dense(3, Activation.Softmax)|},
         Loss(LossFunction.CrossEntropy)]
        public partial class Branches { }
        [Network(Output = "out"), Input(4),
         Dense(3, Activation.Softmax, Name = "out", From = new[] { "h" }),
         Dense(5, Activation.Tanh, Name = "h", From = new[] { "input" }),
         Loss(LossFunction.CrossEntropy)]
        public partial class OutputFirst { }
        [Network, Input(6), Dense(4, Name = "x"), Dense(4, Name = "y", From = new[] { "input" }), Concat(From = new[] { "x", "y", "input" }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Features { }
        """,
        "Dense layer 5 reads layer 4 of shape [8, 8] and flattens it to 64 features in PyTorch's order (channel, then row, then column)");

    [Fact]
    public Task NC0011_InputDimensionNotPositive() => VerifyAsync(Head + """
        [Network, Input(1, {|NC0011:0|}, 28), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(new[] { 3, {|NC0011:-2|} }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Array { }
        """,
        "The input size of network 'Net' must be positive, but it is 0 (dimension 2 of [1, 0, 28])",
        "The input size of network 'Array' must be positive, but it is -2 (dimension 2 of [3, -2])");

    [Fact]
    public Task NC0013_FiltersNotPositive() => VerifyAsync(Head + """
        [Network, Input(1, 8, 8), Conv2D({|NC0013:0|}, 3, Name = "c"), Conv1D(kernelSize: 3, filters: {|NC0013:-1|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv2D layer 1 ('c') has 0 filters; it needs at least 1",
        "Conv1D layer 2 has -1 filters; it needs at least 1");

    [Fact]
    public Task NC0014_UndefinedActivationOfConvAndPool() => VerifyAsync(Head + """
        [Network, Input(1, 8), Conv1D(2, 3, {|NC0014:(Activation)9|}), AvgPool(6, Activation = {|NC0014:(Activation)8|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Activation value 9 is not defined; use one of Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax",
        "Activation value 8 is not defined; use one of Identity, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax");

    [Fact]
    public Task NC0015_NC0016_UseTheNamedOutputLayer() => VerifyAsync(Head + """
        [Network(Output = "out"), Input(4),
         Dense(3, Activation.Softmax, Name = "out", From = new[] { "h" }),
         Dense(5, {|NC0015:Activation.Softmax|}, Name = "h", From = new[] { "input" }),
         Loss(LossFunction.CrossEntropy)]
        public partial class Net { }
        [Network(Output = "out"), Input(4),
         Dense(3, Activation.Tanh, Name = "out", From = new[] { "h" }),
         Dense(5, Activation.Tanh, Name = "h", From = new[] { "input" }),
         Loss({|NC0016:LossFunction.CrossEntropy|})]
        public partial class Other { }
        [Network, Input(1, 8), Conv1D(2, 3, {|NC0015:Activation.Softmax|}), AvgPool(6, Activation = {|NC0015:Activation.Softmax|}, Name = "p"), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Conv { }
        """,
        "Dense layer 2 ('h') uses Softmax, which is only supported on the output layer (layer 1 ('out'))",
        "CrossEntropy needs a Softmax output layer, but the output layer (layer 1 ('out')) uses Tanh",
        "Conv1D layer 1 uses Softmax, which is only supported on the output layer (layer 3)",
        "AvgPool layer 2 ('p') uses Softmax, which is only supported on the output layer (layer 3)");

    [Fact]
    public Task NC0019_AttributesSplit_LayerKinds() => VerifyAsync(
        new[]
        {
            Head + "[Network, Input(1, 8, 8), Loss(LossFunction.SquaredError)]\npublic partial class Net { }",
            Head + "[{|NC0019:Conv2D(2, 3)|}, {|NC0019:MaxPool(6)|}, {|NC0019:Dense(1)|}]\npublic partial class Net { }",
        },
        new[]
        {
            "[Conv2D] of network 'Net' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
            "[MaxPool] of network 'Net' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
            "[Dense] of network 'Net' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
        });

    [Fact]
    public Task NC0020_LayerAttributesWithoutNetwork() => VerifyAsync(Head + """
        [{|NC0020:Conv1D(2, 3)|}, {|NC0020:Conv2D(6, 5)|}, {|NC0020:AvgPool(2)|}, {|NC0020:MaxPool(2)|}, {|NC0020:Add|}, {|NC0020:Concat(From = new[] { "a", "b" })|}]
        public class Plain { }
        """,
        "[Conv1D] on 'Plain' is ignored because the class has no [Network] attribute",
        "[Conv2D] on 'Plain' is ignored because the class has no [Network] attribute",
        "[AvgPool] on 'Plain' is ignored because the class has no [Network] attribute",
        "[MaxPool] on 'Plain' is ignored because the class has no [Network] attribute",
        "[Add] on 'Plain' is ignored because the class has no [Network] attribute",
        "[Concat] on 'Plain' is ignored because the class has no [Network] attribute");

    [Fact]
    public Task NC0030_MemberCollisionUsesTheNamedOutputLayer() => VerifyAsync(Head + """
        [Network(Output = "out"), Input(4),
         Dense(3, Activation.Softmax, Name = "out", From = new[] { "h" }),
         Dense(5, Activation.Tanh, Name = "h", From = new[] { "input" }),
         Loss(LossFunction.CrossEntropy)]
        public partial class Net { private float {|NC0030:_softmaxSum|}; }
        """,
        "Member '_softmaxSum' of network 'Net' has the name of a member NetCompiler generates; rename it");

    [Fact]
    public Task NC0030_MemberCollisionInAConvolutionalNetwork() => VerifyAsync(Head + """
        [Network, Input(1, 8, 8), Conv2D(2, 3, Activation.ReLU, Padding = 1), MaxPool(2), Conv2D(3, 4), Loss(LossFunction.SquaredError)]
        public partial class Net
        {
            private void {|NC0030:ForwardLayer1|}() { }
            private void ForwardLayer1(int times) { } // an overload is fine
            private float[] {|NC0030:_pad1|} = new float[1];
            private int[] {|NC0030:_argmax2|} = new int[1];
            public int {|NC0030:BackwardLayer2|};
            // Not generated here: MaxPool has no parameters, layer 3 no padding, no layer a connection table, the output no softmax.
            private int W2, B2, _pad3, _padHat1, Kernels1, _u3, ForwardLayer4, W3From2;
        }
        """,
        "Member 'ForwardLayer1' of network 'Net' has the name of a member NetCompiler generates; rename it",
        "Member '_pad1' of network 'Net' has the name of a member NetCompiler generates; rename it",
        "Member '_argmax2' of network 'Net' has the name of a member NetCompiler generates; rename it",
        "Member 'BackwardLayer2' of network 'Net' has the name of a member NetCompiler generates; rename it");

    [Fact]
    public Task NC0050_UnknownSource() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Activation.Tanh, Name = "h"), Dense(2, From = new[] { "h", {|NC0050:"g"|} }), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(4), Dense(3, Activation.Tanh, Name = "h"), Dense(2, From = new string[] { {|NC0050:"H"|} }), Loss(LossFunction.SquaredError)]
        public partial class Typed { }
        [Network, Input(4), Dense(3, Activation.Tanh, Name = "h"), Dense(2, From = ["input", {|NC0050:"x"|}]), Loss(LossFunction.SquaredError)]
        public partial class Collection { }
        """,
        "Dense layer 2 reads \"g\", which names no layer; the names are \"input\", \"h\"",
        "Dense layer 2 reads \"H\", which names no layer; the names are \"input\", \"h\"",
        "Dense layer 2 reads \"x\", which names no layer; the names are \"input\", \"h\"");

    [Fact]
    public Task NC0051_DuplicateName() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Activation.Tanh, Name = "h"), Dense(1, Name = {|NC0051:"h"|}), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Layer 2 is named \"h\", like layer 1; layer names must be unique");

    [Fact]
    public Task NC0052_ReservedName() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Activation.Tanh, Name = {|NC0052:"input"|}), Dense(1, Name = {|NC0052:""|}), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Layer 1 is named \"input\", which names the network's input; choose another name",
        "Layer 2 has an empty name; leave Name out or give it one");

    [Fact]
    public Task NC0053_DuplicateSource() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Name = "a"), Dense(3, Name = "b"), Add(From = new[] { "a", "b", {|NC0053:"a"|} }), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Add layer 3 reads \"a\" twice");

    [Fact]
    public Task NC0054_Cycle() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Name = "a", From = new[] { "input", {|NC0054:"b"|} }), Dense(3, Name = "b"), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(4), Dense(3, Name = "s", From = new[] { {|NC0054:"s"|} }), Loss(LossFunction.SquaredError)]
        public partial class Self { }
        """,
        "Layers read each other in a cycle: layer 1 ('a') ← layer 2 ('b') ← layer 1 ('a'); a network must be a directed acyclic graph",
        "Dense layer 1 ('s') reads itself");

    [Fact]
    public Task NC0055_UnusedLayer() => VerifyAsync(Head + """
        [Network, Input(4), {|NC0055:Dense(3, Activation.Tanh, Name = "side")|}, Dense(2, From = new[] { "input" }), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Dense layer 1 ('side') is not used: no layer reads it and it is not the output (layer 2)");

    [Fact]
    public Task NC0056_UnknownOutput() => VerifyAsync(Head + """
        [Network(Output = {|NC0056:"out"|}), Input(4), Dense(2, Name = "h"), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "The network's Output is \"out\", which names no layer; the names are \"input\", \"h\"");

    [Fact]
    public Task NC0057_WrongSourceCount() => VerifyAsync(Head + """
        [Network, Input(4), Dense(4), {|NC0057:Add|}, Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(1, 8), Conv1D(2, 3, Name = "a"), Conv1D(2, 3, Name = "b", From = new[] { "input" }), Conv1D(2, 3, From = {|NC0057:new[] { "a", "b" }|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Conv { }
        """,
        "Add layer 2 reads 1 source(s); Add joins at least two, listed in From",
        "Conv1D layer 3 reads 2 sources; a convolution reads exactly one (join channels with [Concat] first)");

    [Fact]
    public Task NC0060_InputShapeUnsupported() => VerifyAsync(Head + """
        [Network, {|NC0060:Input(1, 2, 3, 4)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, {|NC0060:Input(50000, 50000)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Huge { }
        [Network, {|NC0060:Input(null)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Null { }
        [Network, {|NC0060:Input(33554431)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Overflowing { }
        """,
        "The input has 4 dimensions; declare [Input(size)], [Input(channels, length)] or [Input(channels, height, width)]",
        "The input [50000, 50000] has 2500000000 values; a tensor holds at most 16777216",
        "The input has 0 dimensions; declare [Input(size)], [Input(channels, length)] or [Input(channels, height, width)]",
        "The input [33554431] has 33554431 values; a tensor holds at most 16777216");

    [Fact]
    public Task NC0043_LayerTooLarge() => VerifyAsync(Head + """
        [Network, Input(1, 4096, 4096), {|NC0043:Conv2D(2, 1)|}, MaxPool(4096), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Wide { }
        [Network, Input(1, 4096, 4096), Conv2D(1, 1), MaxPool(4096), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class AtTheLimit { }
        """,
        "Conv2D layer 1 outputs [2, 4096, 4096] (33554432 values); a tensor holds at most 16777216");

    [Fact]
    public Task NC0061_WrongSourceRank() => VerifyAsync(Head + """
        [Network, Input(16), {|NC0061:Conv1D(2, 3)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(2, 16), {|NC0061:Conv2D(2, 3)|}, Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Flat { }
        """,
        "Conv1D layer 1 needs a source of shape [channels, length], but the input has shape [16]",
        "Conv2D layer 1 needs a source of shape [channels, height, width], but the input has shape [2, 16]");

    [Fact]
    public Task NC0062_AddShapeMismatch() => VerifyAsync(Head + """
        [Network, Input(4), Dense(3, Name = "a"), Dense(5, Name = "b", From = new[] { "input" }), Add(From = new[] { "a", {|NC0062:"b"|} }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Add layer 3 adds sources of different shapes: layer 1 ('a') is [3] but layer 2 ('b') is [5]");

    [Fact]
    public Task NC0063_ConcatShapeMismatch() => VerifyAsync(Head + """
        [Network, Input(1, 8, 8), Conv2D(2, 3, Name = "a"), Conv2D(2, 3, Padding = 1, Name = "b", From = new[] { "input" }), Concat(From = new[] { "a", {|NC0063:"b"|} }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Concat layer 3 cannot join layer 1 ('a') of shape [2, 6, 6] with layer 2 ('b') of shape [2, 8, 8]: sources must have the same rank and, with channels, the same height and width");

    [Fact]
    public Task NC0064_KernelTooLarge() => VerifyAsync(Head + """
        [Network, Input(1, 4), Conv1D(2, {|NC0064:5|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(1, 4), Conv1D(2, kernelSize: {|NC0064:7|}, Padding = 1), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Padded { }
        [Network, Input(3, 2), MaxPool({|NC0064:3|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Pool { }
        [Network, Input(1, 4, 4), Conv2D(2, {|NC0064:5|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Square { }
        """,
        "Conv1D layer 1 has a window of 5 but its input length is only 4",
        "Conv1D layer 1 has a window of 7 but its input length is only 4 (padded to 6)",
        "MaxPool layer 1 has a window of 3 but its input length is only 2",
        "Conv2D layer 1 has a window of 5 but its input height and width are only 4");

    [Fact]
    public Task NC0065_StrideDoesNotTile() => VerifyAsync(Head + """
        [Network, Input(1, 7), MaxPool({|NC0065:2|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(1, 8), Conv1D(2, 3, Stride = {|NC0065:2|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Conv { }
        [Network, Input(1, 8, 8), Conv2D(2, 3, Padding = 1, Stride = {|NC0065:2|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Padded { }
        [Network, Input(1, 8, 6), MaxPool({|NC0065:4|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Rectangle { }
        """,
        "MaxPool layer 1: windows of 2 with stride 2 do not tile the input length of 7: the last 1 value(s) would be dropped; adjust the stride, window or padding",
        "Conv1D layer 1: windows of 3 with stride 2 do not tile the input length of 8: the last 1 value(s) would be dropped; adjust the stride, window or padding",
        "Conv2D layer 1: windows of 3 with stride 2 do not tile the input height and width of 8 (padded to 10): the last 1 value(s) would be dropped; adjust the stride, window or padding",
        "MaxPool layer 1: windows of 4 with stride 4 do not tile the input width of 6: the last 2 value(s) would be dropped; adjust the stride, window or padding");

    [Fact]
    public Task NC0066_ImplicitFlatten() => VerifyAsync(Head + """
        [Network, Input(1, 8), Conv1D(2, 3, Name = "c"), {|NC0066:Dense(1)|}, Loss(LossFunction.SquaredError)]
        public partial class Net { }
        [Network, Input(1, 4, 4), Conv2D(3, 4), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Vector { }
        """,
        "Dense layer 2 reads layer 1 ('c') of shape [2, 6] and flattens it to 12 features in PyTorch's order (channel, then row, then column)");

    [Fact]
    public Task NC0070_KernelNotPositive() => VerifyAsync(Head + """
        [Network, Input(1, 8), Conv1D(2, {|NC0070:0|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv1D layer 1 has kernel size 0; it must be positive");

    [Fact]
    public Task NC0071_StrideNotPositive() => VerifyAsync(Head + """
        [Network, Input(1, 8), Conv1D(2, 3, Stride = {|NC0071:0|}), MaxPool(2, Stride = {|NC0071:-1|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv1D layer 1 has stride 0; it must be positive",
        "MaxPool layer 2 has stride -1; it must be positive (or 0 for the window size)");

    [Fact]
    public Task NC0072_PaddingNegative() => VerifyAsync(Head + """
        [Network, Input(1, 8, 8), Conv2D(2, 3, Padding = {|NC0072:-1|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv2D layer 1 has padding -1; it must be 0 or more");

    [Fact]
    public Task NC0073_PoolSizeNotPositive() => VerifyAsync(Head + """
        [Network, Input(1, 8), AvgPool({|NC0073:0|}), MaxPool(size: {|NC0073:-2|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "AvgPool layer 1 has window size 0; it must be positive",
        "MaxPool layer 2 has window size -2; it must be positive");

    [Fact]
    public Task NC0074_ConnectionTableShape() => VerifyAsync(Head + """
        [Network, Input(1, 8, 8), Conv2D(3, 3, Connections = {|NC0074:new[] { "X", "X" }|}), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Rows { }
        [Network, Input(2, 8, 8), Conv2D(2, 3, Connections = new[] { "XX", {|NC0074:"X"|} }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Row { }
        """,
        "Conv2D layer 1 has 3 filters but its connection table has 2 rows; write one row per filter",
        "Conv2D layer 1 reads 2 channels but row 1 of its connection table has 1 entries; write one 'X' or '.' per input channel");

    [Fact]
    public Task NC0075_ConnectionTableEntry() => VerifyAsync(Head + """
        [Network, Input(2, 8, 8), Conv2D(2, 3, Connections = new[] { "X.", {|NC0075:"Xo"|} }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv2D layer 1: row 1 of the connection table has 'o' at position 1; use 'X' for a connection and '.' for none");

    [Fact]
    public Task NC0075_OnlyUpperCaseXAndDotAreEntries() => VerifyAsync(Head + """
        [Network, Input(2, 8, 8), Conv2D(2, 3, Connections = new[] { {|NC0075:"x."|}, "X." }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv2D layer 1: row 0 of the connection table has 'x' at position 0; use 'X' for a connection and '.' for none");

    [Fact]
    public Task NC0076_ConnectionTableEmptyFilter() => VerifyAsync(Head + """
        [Network, Input(2, 8, 8), Conv2D(2, 3, Connections = new[] { {|NC0076:".."|}, "XX" }), Dense(1), Loss(LossFunction.SquaredError)]
        public partial class Net { }
        """,
        "Conv2D layer 1: filter 0 reads no input channel in the connection table, so it would be a constant");

    [Fact]
    public Task EveryGraphProblemIsReportedAtOnce() => VerifyAsync(Head + """
        [Network(Output = "out"), Input(1, 8, 8),
         Conv2D(4, 3, Stride = {|NC0071:0|}, Padding = {|NC0072:-1|}, Name = "c"),
         Conv2D(4, {|NC0070:0|}, Name = {|NC0051:"c"|}),
         MaxPool({|NC0073:0|}),
         Add(From = new[] { "c", {|NC0050:"missing"|} }),
         Dense(2, Activation.Softmax, Name = "out"),
         Loss(LossFunction.CrossEntropy)]
        public partial class Net { }
        """,
        "Conv2D layer 1 ('c') has stride 0; it must be positive",
        "Conv2D layer 1 ('c') has padding -1; it must be 0 or more",
        "Conv2D layer 2 ('c') has kernel size 0; it must be positive",
        "Layer 2 is named \"c\", like layer 1; layer names must be unique",
        "MaxPool layer 3 has window size 0; it must be positive",
        "Add layer 4 reads \"missing\", which names no layer; the names are \"input\", \"c\", \"out\"");
}
