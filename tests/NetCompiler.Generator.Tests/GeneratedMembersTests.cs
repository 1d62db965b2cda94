extern alias generator;

using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using GeneratedMembers = generator::NetCompiler.Generator.Analysis.GeneratedMembers;

namespace NetCompiler.Generator.Tests;

/// <summary>
/// The analyzer's list of generated names (for NC0030–NC0032) is exactly what the emitter declares, so a member added
/// to the emitter cannot be forgotten by the collision check.
/// </summary>
public class GeneratedMembersTests
{
    [Theory]
    [InlineData("[Network, Input(5), Dense(4, Activation.Tanh), Dense(3, Activation.Softmax), Loss(LossFunction.CrossEntropy)]", 2, true, true, Precision.Single)]
    [InlineData("[Network, Input(5), Dense(4, Activation.Tanh), Dense(1), Loss(LossFunction.SquaredError)]", 2, true, false, Precision.Single)]
    [InlineData("[Network(Precision = Precision.Double), Input(3), Dense(2), Dense(2), Dense(7, Activation.Softmax)]", 3, false, true, Precision.Double)]
    [InlineData("[Network, Input(40), Dense(1, Activation.Sigmoid)]", 1, false, false, Precision.Single)]
    public void ListMatchesTheEmittedClass(string attributes, int layers, bool trainable, bool softmax, Precision precision)
    {
        string source = GeneratorDriver.Run("using NetCompiler;\nnamespace Demo;\n" + attributes + "\npublic partial class Net { }").Generated.Single();
        CompilationUnitSyntax unit = CSharpSyntaxTree.ParseText(source).GetCompilationUnitRoot();
        ClassDeclarationSyntax network = unit.DescendantNodes().OfType<ClassDeclarationSyntax>().Single();

        var emitted = network.Members.SelectMany(member => member switch
            {
                FieldDeclarationSyntax field => field.Declaration.Variables.Select(v => v.Identifier.ValueText),
                PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: null } property => new[] { property.Identifier.ValueText },
                MethodDeclarationSyntax { ExplicitInterfaceSpecifier: null } method => new[] { method.Identifier.ValueText },
                PropertyDeclarationSyntax or MethodDeclarationSyntax => new string[0], // explicit interface implementations
                _ => new[] { "unexpected member kind: " + member.Kind() },
            })
            .OrderBy(n => n, System.StringComparer.Ordinal)
            .ToArray();
        var listed = GeneratedMembers.For(layers, trainable, softmax, (generator::NetCompiler.Precision)(int)precision).Select(m => m.Name).OrderBy(n => n, System.StringComparer.Ordinal).ToArray();
        Assert.Equal(emitted, listed);
    }
}
