extern alias codefixes;
extern alias generator;

using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using MakePartialCodeFix = codefixes::NetCompiler.CodeFixes.MakePartialCodeFix;
using NetworkAnalyzer = generator::NetCompiler.Generator.NetworkAnalyzer;

namespace NetCompiler.Generator.Tests;

/// <summary>The mechanical fixes: NC0001 and NC0002 add <c>partial</c> where it is missing, and nothing else.</summary>
public class CodeFixTests
{
    [Fact]
    public Task MakesTheNetworkClassPartial() => VerifyAsync(
        """
        using NetCompiler;
        [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
        public sealed class {|NC0001:Net|} { }
        """,
        """
        using NetCompiler;
        [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
        public sealed partial class Net { }
        """);

    [Fact]
    public Task KeepsTriviaWhenTheClassHasNoModifiers() => VerifyAsync(
        """
        using NetCompiler;
        // The network.
        [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
        class {|NC0001:Net|} { }
        """,
        """
        using NetCompiler;
        // The network.
        [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
        partial class Net { }
        """);

    [Fact]
    public Task MakesEveryEnclosingTypePartial() => VerifyAsync(
        """
        using NetCompiler;
        public static class {|NC0002:Outer|}
        {
            internal class {|NC0002:Middle|}
            {
                [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
                internal partial class Net { }
            }
        }
        """,
        """
        using NetCompiler;
        public static partial class Outer
        {
            internal partial class Middle
            {
                [Network, Input(3), Dense(2), Loss(LossFunction.SquaredError)]
                internal partial class Net { }
            }
        }
        """);

    private static async Task VerifyAsync(string source, string fixedSource)
    {
        var test = new CSharpCodeFixTest<NetworkAnalyzer, MakePartialCodeFix, DefaultVerifier>
        {
            ReferenceAssemblies = new ReferenceAssemblies("net8.0"),
            TestCode = source,
            FixedCode = fixedSource,
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorDriver.References);
        test.FixedState.AdditionalReferences.AddRange(GeneratorDriver.References);
        test.DisabledDiagnostics.Add("NC0042"); // the cost report is off by default
        await test.RunAsync();
    }
}
