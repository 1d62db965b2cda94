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
            public class Vector256 { } // generated code names global::System.Runtime.Intrinsics.Vector256
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
}
