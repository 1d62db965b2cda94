using NetCompiler.Tests.Support;
using Xunit;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// Generated graph networks against the PyTorch graph fixtures (float64 results), through the same
/// <see cref="GraphFixtureCheck"/> as the interpreted engine and with its tolerances: double 1e-10, float 5e-5
/// (see <see cref="PyTorchGraphFixtureTests"/>).
/// </summary>
public class GraphFixtureTests
{
    public static TheoryData<string> Names => new(PyTorchFixtures.GraphNames());

    [Fact]
    public void EveryGraphFixtureHasAGeneratedTwin()
    {
        foreach (string name in PyTorchFixtures.GraphNames())
            Assert.True(FixtureNetworks.All.ContainsKey(name), $"{name}.json has no generated twin in Generated/FixtureNetworks.cs");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedDoubleMatchesPyTorch(string name) =>
        GraphFixtureCheck.Run(name, FixtureNetworks.All[name].Double(), PyTorchGraphFixtureTests.DoubleTolerance, "generated");

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedSingleMatchesPyTorch(string name) =>
        GraphFixtureCheck.Run(name, FixtureNetworks.All[name].Single(), PyTorchGraphFixtureTests.SingleTolerance, "generated");
}
