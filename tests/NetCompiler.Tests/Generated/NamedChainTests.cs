using System.IO;
using System.Linq;
using System.Reflection;
using NetCompiler.Serialization;
using NetCompiler.Tests.Support;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Generated;

/// <summary>
/// A generated dense chain with named layers: the names reach its Topology, SafeTensors names the tensors by them,
/// and it is still compiled as a chain; an unnamed layer keeps "layer{l}".
/// </summary>
public class NamedChainTests
{
    [Fact]
    public void Topology_keeps_every_layers_name_and_is_still_a_chain()
    {
        NetworkTopology topology = NamedChainNetwork.Topology;
        Assert.Equal(["hidden1", null, "output"], topology.Layers.Select(l => l.Name));
        Assert.Equal(["hidden1"], topology.Layers[1].Spec.From!);
        Assert.True(topology.IsDenseChain);
        // The chain path's batched per-layer kernels, which the graph path does not have.
        Assert.NotNull(typeof(NamedChainNetwork).GetMethod("ForwardBatchLayer1", BindingFlags.NonPublic | BindingFlags.Instance));
    }

    [Fact]
    public void Tensors_take_the_layers_names_and_an_unnamed_layer_keeps_its_number() =>
        Assert.Equal("hidden1.weight[20,6] hidden1.bias[20] layer2.weight[7,20] layer2.bias[7] output.weight[3,7] output.bias[3]",
                     TensorList(NamedChainNetwork.Topology));

    [Fact]
    public void Saves_and_loads_under_the_names()
    {
        using var directory = new TempDirectory();
        string path = directory.File("named.safetensors");
        var saved = new NamedChainNetwork();
        saved.InitializeParameters(1);
        SafeTensors.Save(path, saved);
        Assert.Equal(["hidden1.weight", "hidden1.bias", "layer2.weight", "layer2.bias", "output.weight", "output.bias"],
                     ReadRaw(path).Tensors.Select(t => t.Name));

        // Into a generated instance and into the interpreter built from the same topology: the same parameters, bit for bit.
        var generated = new NamedChainNetwork();
        var interpreted = new InterpretedNetwork<float>(NamedChainNetwork.Topology);
        Assert.NotEqual(saved.Parameters.ToArray(), generated.Parameters.ToArray());
        SafeTensors.Load(path, generated);
        SafeTensors.Load(path, interpreted);
        Assert.Equal(saved.Parameters.ToArray(), generated.Parameters.ToArray());
        Assert.Equal(saved.Parameters.ToArray(), interpreted.Parameters.ToArray());
    }

    [Fact]
    public void A_file_with_the_numbered_names_is_refused_with_the_names_it_lacks()
    {
        using var directory = new TempDirectory();
        string path = directory.File("numbered.safetensors");
        var unnamed = new NetworkTopology(6, [new DenseLayer(20, Activation.ReLU), new DenseLayer(7, Activation.Tanh), new DenseLayer(3, Activation.Softmax)],
                                          LossFunction.CrossEntropy);
        SafeTensors.Save(path, new InterpretedNetwork<float>(unnamed));
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(path, new NamedChainNetwork()));
        Assert.Contains("missing tensor 'hidden1.weight' [20, 6]", e.Message);
        Assert.Contains("unexpected tensor 'layer1.weight' [20, 6]", e.Message);
    }

    [Fact]
    public void Matches_the_interpreter_built_from_its_topology() =>
        GeneratedNetworkTests.MatchesInterpreted(new NamedChainNetwork(), GeneratedNetworkTests.SingleTolerance,
                                                 GeneratedNetworks.Describe(NamedChainNetwork.Topology));

    [Fact]
    public void A_name_that_collides_with_a_numbered_tensor_name_is_the_clear_error()
    {
        Assert.Equal("layer2", CollidingNamesNetwork.Topology.Layers[0].Name);
        var e = Assert.Throws<System.ArgumentException>(() => SafeTensors.Save(Path.Combine(Path.GetTempPath(), "never-written.safetensors"), new CollidingNamesNetwork()));
        Assert.Contains("Two tensors of this network would both be named 'layer2.weight'", e.Message);
    }
}
