using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using NetCompiler;
using Xunit.Abstractions;

namespace NetCompiler.Tests.Support;

/// <summary>
/// The network engines that engine-independent tests (such as <see cref="PyTorchFixtureTests"/>) run against: each is a
/// factory from a <see cref="NetworkTopology"/> to an <see cref="INetwork{T}"/>. Add an engine here and every such
/// test covers it.
/// </summary>
public static class Engines
{
    /// <summary>The interpreted engine in double.</summary>
    public static INetwork<double> InterpretedDouble(NetworkTopology topology) => new InterpretedNetwork<double>(topology);

    /// <summary>The interpreted engine in float.</summary>
    public static INetwork<float> InterpretedSingle(NetworkTopology topology) => new InterpretedNetwork<float>(topology);

    /// <summary>Every double engine, by name.</summary>
    public static IReadOnlyList<EngineCase<double>> Double { get; } = new[]
    {
        new EngineCase<double>("Interpreted", InterpretedDouble),
        new EngineCase<double>("Generated", Generated.GeneratedNetworks.For<double>),
    };

    /// <summary>Every float engine, by name.</summary>
    public static IReadOnlyList<EngineCase<float>> Single { get; } = new[]
    {
        new EngineCase<float>("Interpreted", InterpretedSingle),
        new EngineCase<float>("Generated", Generated.GeneratedNetworks.For<float>),
    };

    /// <summary>The engine called <paramref name="name"/> for element type <typeparamref name="T"/>.</summary>
    public static Func<NetworkTopology, INetwork<T>> Find<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        IEnumerable<object> all = typeof(T) == typeof(double) ? Double : typeof(T) == typeof(float) ? Single : Array.Empty<object>();
        EngineCase<T>? found = all.Cast<EngineCase<T>>().FirstOrDefault(e => e.Name == name);
        return found?.Create ?? throw new ArgumentException($"No {typeof(T).Name} engine is called '{name}'.", nameof(name));
    }
}

/// <summary>
/// A named network factory as a theory argument. It serializes by name (the factory is looked up again in
/// <see cref="Engines"/>), so xunit discovers one test case per engine and data row, and shows the name.
/// </summary>
public sealed class EngineCase<T> : IXunitSerializable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a named factory.</summary>
    public EngineCase(string name, Func<NetworkTopology, INetwork<T>> create)
    {
        Name = name;
        Create = create;
    }

    /// <summary>For xunit's deserializer only.</summary>
    public EngineCase()
    {
        Name = "";
        Create = _ => throw new InvalidOperationException("EngineCase was not deserialized.");
    }

    /// <summary>The engine's name, as test names show it.</summary>
    public string Name { get; private set; }

    /// <summary>The factory.</summary>
    public Func<NetworkTopology, INetwork<T>> Create { get; private set; }

    /// <inheritdoc/>
    public void Deserialize(IXunitSerializationInfo info)
    {
        Name = info.GetValue<string>(nameof(Name));
        Create = Engines.Find<T>(Name);
    }

    /// <inheritdoc/>
    public void Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Name), Name);

    /// <inheritdoc/>
    public override string ToString() => Name + "<" + typeof(T).Name + ">";
}
