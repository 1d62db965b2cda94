extern alias generator;

using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using GeneratedMembers = generator::NetCompiler.Generator.Analysis.GeneratedMembers;
using NetworkAttributeTypes = generator::NetCompiler.Generator.Analysis.NetworkAttributeTypes;
using NetworkDeclaration = generator::NetCompiler.Generator.Analysis.NetworkDeclaration;
using Topology = generator::NetCompiler.NetworkTopology;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The analyzer's list of generated names (for NC0030–NC0032) is exactly what the emitter declares, on the chain path
/// and on the general one, so a member added to the emitter cannot be forgotten by the collision check.
/// (RobustnessTests compares the two for every random declaration that generates, too.)
/// </summary>
public class GeneratedMembersTests
{
    private const string LeNetLayers = """
        Input(1, 28, 28),
        Conv2D(6, 5, Activation.Tanh, Padding = 2, Name = "C1"),
        AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S2"),
        Conv2D(16, 5, Activation.Tanh, Name = "C3", Connections = new[]
        {
            "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X",
            "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X",
            "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
        }),
        AvgPool(2, Trainable = true, Activation = Activation.Tanh, Name = "S4"),
        Conv2D(120, 5, Activation.Tanh, Name = "C5"),
        Dense(84, Activation.Tanh, Name = "F6"),
        Dense(10, Activation.Softmax, Name = "output")
        """;

    // Two padded convolutions joined by Add, MaxPool, a Concat of channels, and a dense layer reading two layers.
    private const string JoinLayers = """
        Input(2, 16, 16),
        Conv2D(4, 3, Activation.ReLU, Padding = 1, Name = "a"),
        Conv2D(4, 3, Activation.ReLU, Padding = 1, Name = "b", From = new[] { "input" }),
        Add(Name = "sum", From = new[] { "a", "b" }),
        MaxPool(2, Name = "pool"),
        Conv2D(3, 3, Activation.Tanh, Padding = 1, Name = "c"),
        Concat(Name = "cat", From = new[] { "pool", "c" }),
        Dense(5, Activation.Tanh, Name = "h", From = new[] { "cat" }),
        Dense(3, Activation.Sigmoid, Name = "out", From = new[] { "h", "sum" })
        """;

    /// <summary>Names that must (a leading '-': must not) be in the list, so that each case exercises what it is meant to.</summary>
    [Theory]
    // The chain path.
    [InlineData("[Network, Input(5), Dense(4, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]", "W2 B2 _u2 _s2 -ForwardLayer1")]
    [InlineData("[Network, Input(5), Dense(4, Activation.Tanh), Dense(1), Loss(LossFunction.SquaredError)]", "W1 B2 -_u2 -_softmaxSum")]
    [InlineData("[Network(Precision = Precision.Double), Input(3), Dense(2), Dense(2), Dense(7, Activation.Softmax)]", "W3 _u3 -_s1 -Backward")]
    [InlineData("[Network, Input(40), Dense(1, Activation.Sigmoid)]", "W1 B1 _x1")]
    // LeNet-5: padding on the input (no x̂ to send), a sparse connection table, trainable pooling, and a convolution as
    // wide as its input (a dense layer: no buffers).
    [InlineData("[Network, " + LeNetLayers + ", Loss(LossFunction.CrossEntropy)]",
        "ForwardLayer1 BackwardLayer1 _pad1 -_padHat1 -_uHatPad1 W2 B2 _mean2 Kernels3 W3 _uHatRows3 -_uHatPad3 -_padHat3 -_pad3 _mean4 W5 -_uHatPad5 -_padHat5 -Kernels5 BackwardLayer7 _u7 _s7 " +
        "_deferU5 _deferX6 DeferredGradientLayer5 DeferredGradientLayer6 -DeferredGradientLayer7 -_deferU7 FlushDeferred DeferredSamples _deferred " +
        "-DeferredGradientLayer1 -_laneU1 _deferU3 _laneX3 DeferredGradientLayer3 -DeferredGradientLayer2 AlignedBuffer AlignedStart")]
    [InlineData("[Network, " + LeNetLayers + "]", "ForwardLayer1 -BackwardLayer1 _pad1 Kernels3 W2 -_mean2 -_uHatPad3 _u7 -_s1 -_hasForward -_deferU5 -FlushDeferred -_deferred")]
    [InlineData("[Network(Precision = Precision.Double), " + LeNetLayers + ", Loss(LossFunction.CrossEntropy)]", "_pad1 Kernels3 _uHatPad3 _mean2 -_laneU3 -DeferredGradientLayer3 -AlignedStart")]
    // Add, MaxPool, Concat, a dense layer with two sources.
    [InlineData("[Network, " + JoinLayers + ", Loss(LossFunction.SquaredError)]",
        "_pad1 _pad2 -_padHat2 W1 -W3 -B3 -W4 BackwardLayer3 BackwardLayer4 _argmax4 _pad5 _uHatPad5 -_padHat5 BackwardLayer6 W7 -W7From6 W8 B8 W8From7 W8From3 -_u8")]
    [InlineData("[Network, " + JoinLayers + "]", "_pad1 _pad5 -_uHatPad5 -_argmax4 -BackwardLayer8 ForwardLayer8 W8From3")]
    [InlineData("[Network(Precision = Precision.Double), " + JoinLayers + ", Loss(LossFunction.SquaredError)]", "_argmax4 _uHatPad5 W8From7")]
    // The output layer is not the last declared: the softmax buffer is its u.
    [InlineData("""
        [Network(Output = "out"), Input(1, 8, 8),
         Dense(3, Activation.Softmax, Name = "out", From = new[] { "h" }),
         Conv2D(2, 3, Activation.Tanh, Name = "c", From = new[] { "input" }),
         Dense(5, Activation.Tanh, Name = "h", From = new[] { "c" }),
         Loss(LossFunction.CrossEntropy)]
        """, "_u1 -_u3 _softmaxSum ForwardLayer1 BackwardLayer1 BackwardLayer2 BackwardLayer3 W2")]
    // Strides above 1 scatter x̂, through the padded copy's x̂ when there is padding; at stride 1 x̂ is gathered from û
    // with a border over planes flattened at its row stride (staged in _xHatFlat), and û goes to _uHatFlat for g_w
    // unless its rows are already at the source's stride.
    [InlineData("""
        [Network, Input(3, 7, 7),
         Conv2D(4, 3, Activation.ReLU, Padding = 1),
         Conv2D(4, 3, Activation.ReLU, Padding = 1),
         Conv2D(2, 3, Activation.ReLU, Stride = 2, Padding = 1),
         Conv2D(2, 3, Activation.ReLU),
         Loss(LossFunction.SquaredError)]
        """, "_pad1 -_padHat1 _pad2 -_padHat2 _uHatPad2 _xHatFlat2 _uHatFlat2 _pad3 _padHat3 -_uHatPad3 -_pad4 -_padHat4 _uHatPad4 _xHatFlat4 -_uHatFlat4")]
    [InlineData("""
        [Network(Precision = Precision.Double), Input(3, 7, 7),
         Conv2D(4, 3, Activation.ReLU, Padding = 1),
         Conv2D(4, 3, Activation.ReLU, Padding = 1),
         Conv2D(2, 3, Activation.ReLU, Stride = 2, Padding = 1),
         Conv2D(2, 3, Activation.ReLU),
         Loss(LossFunction.SquaredError)]
        """, "_pad2 -_padHat2 _uHatPad2 _padHat3 -_uHatPad3 -_pad4 _uHatPad4")]
    // Conv1D; a connection table that connects everything still gets its kernel offsets; a kernel as wide as its input;
    // pooling without parameters, one reading only the input.
    [InlineData("""
        [Network, Input(2, 16),
         Conv1D(3, 3, Activation.Tanh, Padding = 1, Connections = new[] { "XX", "XX", "XX" }),
         Conv1D(2, 4, Activation.Tanh, Stride = 2, Padding = 1, Connections = new[] { "X.X", ".XX" }),
         Conv1D(4, 8, Activation.Tanh),
         AvgPool(1, Name = "p4"),
         MaxPool(2, Name = "p5", From = new[] { "input" }),
         Dense(2, From = new[] { "p4", "p5" }),
         Loss(LossFunction.SquaredError)]
        """, "Kernels1 Kernels2 -Kernels3 _pad1 -_padHat1 _pad2 _padHat2 -_uHatPad3 -_padHat3 -W4 -_mean4 BackwardLayer4 -BackwardLayer5 _argmax5 W6From4 W6From5")]
    public void ListMatchesTheEmittedClass(string attributes, string expected)
    {
        string source = "using NetCompiler;\nnamespace Demo;\n" + attributes + "\npublic partial class Net { }";
        (Compilation _, IReadOnlyList<string> generated, var diagnostics) = GeneratorDriver.Run(source);
        Assert.Empty(diagnostics);
        string[] listed = AssertListMatches(GeneratorDriver.Compile(source), "Net", generated.Single());
        foreach (string name in expected.Split(' '))
        {
            if (name.StartsWith('-')) Assert.DoesNotContain(name.Substring(1), listed);
            else Assert.Contains(name, listed);
        }
    }

    /// <summary>
    /// Asserts that GeneratedMembers lists for class <paramref name="className"/> of <paramref name="input"/> exactly the
    /// members <paramref name="generatedSource"/> declares in it, methods with their parameter types; returns the names.
    /// </summary>
    internal static string[] AssertListMatches(Compilation input, string className, string generatedSource)
    {
        INamedTypeSymbol type = input.GetSymbolsWithName(className, SymbolFilter.Type).OfType<INamedTypeSymbol>().Single();
        NetworkDeclaration declaration = NetworkDeclaration.Read(type, NetworkAttributeTypes.Create(input)!, CancellationToken.None)!;
        var topology = new Topology(declaration.InputShape!, declaration.Layers, declaration.LossFunction, declaration.Precision, declaration.Output);

        CompilationUnitSyntax unit = CSharpSyntaxTree.ParseText(generatedSource).GetCompilationUnitRoot();
        ClassDeclarationSyntax network = unit.DescendantNodes().OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.ValueText == className);
        // Generated code names types through namespace aliases (Simd::Vector512); the list holds the fully qualified form.
        var aliases = unit.DescendantNodes().OfType<UsingDirectiveSyntax>().Where(u => u.Alias is not null)
            .ToDictionary(u => u.Alias!.Name.Identifier.ValueText + "::", u => u.Name!.ToString() + ".");
        string Qualified(TypeSyntax parameterType) =>
            aliases.Aggregate(parameterType.ToString(), (text, alias) => text.Replace(alias.Key, alias.Value));
        var emitted = network.Members.SelectMany(member => member switch
            {
                FieldDeclarationSyntax field => field.Declaration.Variables.Select(v => v.Identifier.ValueText),
                PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property => new[] { property.Identifier.ValueText },
                MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method =>
                    new[] { method.Identifier.ValueText + "(" + string.Join(", ", method.ParameterList.Parameters.Select(p => Qualified(p.Type!))) + ")" },
                ClassDeclarationSyntax nested => new[] { nested.Identifier.ValueText },
                ConstructorDeclarationSyntax constructor =>
                    new[] { ".ctor(" + string.Join(", ", constructor.ParameterList.Parameters.Select(p => Qualified(p.Type!))) + ")" },
                PropertyDeclarationSyntax or MethodDeclarationSyntax => new string[0], // explicit interface implementations
                _ => new[] { "unexpected member kind: " + member.Kind() },
            })
            .OrderBy(n => n, System.StringComparer.Ordinal)
            .ToArray();
        string[] listed = GeneratedMembers.For(topology, compiledWeights: declaration.Weights is not null)
            .Select(m => m.IsMethod ? m.Name + "(" + string.Join(", ", m.ParameterTypes) + ")" : m.Name)
            .OrderBy(n => n, System.StringComparer.Ordinal)
            .ToArray();
        Assert.True(emitted.SequenceEqual(listed),
            $"{className} ({topology}): emitted but not listed: {string.Join(", ", emitted.Except(listed))}; listed but not emitted: {string.Join(", ", listed.Except(emitted))}");
        return listed.Select(n => n.Split('(')[0]).ToArray();
    }
}
