using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetCompiler.Generator.Diagnostics;

namespace NetCompiler.Generator.Analysis;

/// <summary>
/// Every build-time rule for a [Network] class, each reported on the attribute, argument or identifier at fault. The
/// analyzer reports what this finds; the generator runs the same rules and emits nothing when one is an error, so the
/// two cannot disagree. Topology rules come from <see cref="NetworkTopology.Check"/>, which the runtime uses too.
/// </summary>
internal static class NetworkRules
{
    /// <summary>
    /// Applies every rule to <paramref name="network"/>. For a network imported from ONNX,
    /// <paramref name="importedTopology"/> gives the model's topology (or null when it cannot be imported: the generator
    /// reports why), so that the user's members are checked against what will be generated.
    /// </summary>
    public static void Analyze(NetworkDeclaration network, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken,
        Func<NetworkDeclaration, NetworkTopology?>? importedTopology = null)
    {
        // A malformed attribute is already a compiler error; anything added here would be noise about a guess.
        if (network.Malformed) return;

        bool hasError = false;
        void Report(Diagnostic diagnostic)
        {
            hasError |= diagnostic.Severity == DiagnosticSeverity.Error;
            report(diagnostic);
        }

        string name = network.Type.Name;
        Location classLocation = network.Syntax?.Identifier.GetLocation() ?? network.Type.Locations.FirstOrDefault() ?? Location.None;
        Location networkLocation = network.Network.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? classLocation;

        CheckShape(network, classLocation, Report, cancellationToken);
        CheckSplit(network, Report, cancellationToken);

        if (network.Onnx is not null)
        {
            // The input, layers and weights come from the model, which the generator reads and checks (NC0090–NC0098 on
            // the Onnx argument); here only what the attributes themselves say can be checked.
            CheckOnnxDeclaration(network, Report, cancellationToken);
            if (!hasError && importedTopology?.Invoke(network) is { } imported)
                CheckCollisions(network, imported, compilation, classLocation, Report, cancellationToken);
            if (!hasError && network.LossFunction is null)
                report(Diagnostic.Create(DiagnosticDescriptors.InferenceOnly, networkLocation, name));
            return;
        }

        List<TopologyProblem> problems = NetworkTopology.Check(network.InputShape, network.Layers, network.LossFunction, network.Precision, network.Output);
        foreach (TopologyProblem problem in problems)
        {
            Diagnostic? diagnostic = ToDiagnostic(problem, network, networkLocation, cancellationToken);
            if (diagnostic is not null) Report(diagnostic);
        }
        if (problems.Any(p => p.Severity == TopologySeverity.Error)) return;

        // Only a topology without errors can be built, and only then does the generator write members to collide with.
        var topology = new NetworkTopology(network.InputShape!, network.Layers, network.LossFunction, network.Precision, network.Output);
        CheckCollisions(network, topology, compilation, classLocation, Report, cancellationToken);
        if (hasError) return;

        if (network.LossFunction is null)
            report(Diagnostic.Create(DiagnosticDescriptors.InferenceOnly, networkLocation, name));
        report(Diagnostic.Create(DiagnosticDescriptors.NetworkCost, networkLocation, name,
            Num(topology.ParameterCount), Num(topology.MultiplyAdds), Num((long)topology.ParameterCount * NetworkTopology.ElementSize(network.Precision))));
    }

    /// <summary>[Network(Onnx = …)] takes the input, layers and weights from the model: each attribute or argument that declares them too is an error.</summary>
    private static void CheckOnnxDeclaration(NetworkDeclaration network, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        string name = network.Type.Name, model = network.Onnx!;
        void Conflict(Location? location, string what) =>
            report(Diagnostic.Create(DiagnosticDescriptors.OnnxWithDeclaredLayers, location ?? Location.None, name, model, what));
        if (network.Input is not null)
            Conflict(network.Input.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(), "[Input]");
        for (int i = 0; i < network.LayerAttributes.Count; i++)
            Conflict(network.LayerAttributes[i].ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(),
                "[" + NetworkAttributeTypes.ShortName(network.LayerKinds[i]) + "]");
        if (network.Weights is not null) Conflict(network.WeightsLocation, "Weights = …");
        if (network.Output is not null) Conflict(network.ArgumentLocation("Output", cancellationToken), "Output = …");
    }

    /// <summary>[Input], the layer attributes ([Dense], [Conv2D], [Add], …) and [Loss] on a class without [Network] do nothing: say so on each.</summary>
    public static void AnalyzeAttributesWithoutNetwork(INamedTypeSymbol type, NetworkAttributeTypes types, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            NetworkAttributeKind kind = types.Classify(attribute.AttributeClass);
            if (kind is NetworkAttributeKind.None or NetworkAttributeKind.Network) continue;
            Location location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? type.Locations.FirstOrDefault() ?? Location.None;
            report(Diagnostic.Create(DiagnosticDescriptors.AttributeWithoutNetwork, location, NetworkAttributeTypes.ShortName(kind), type.Name));
        }
    }

    // The generated half is "partial class Name" inside "partial <kind> Outer" for each enclosing type: the user's
    // half must be able to join it.
    private static void CheckShape(NetworkDeclaration network, Location classLocation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = network.Type;
        string name = type.Name;
        if (type.IsRecord)
            report(Diagnostic.Create(DiagnosticDescriptors.UnsupportedTypeKind, classLocation, name, "a record"));
        else if (network.Syntax is not null && !network.Syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            report(Diagnostic.Create(DiagnosticDescriptors.NotPartial, classLocation, name));
        if (type.IsStatic)
            report(Diagnostic.Create(DiagnosticDescriptors.Static, classLocation, name));
        if (type.TypeParameters.Length > 0)
            report(Diagnostic.Create(DiagnosticDescriptors.Generic, classLocation, name, type.TypeParameters.Length));
        if (type.IsFileLocal)
            report(Diagnostic.Create(DiagnosticDescriptors.UnsupportedTypeKind, classLocation, name, "file-local (a file-local type cannot have a part in another file)"));

        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.TypeParameters.Length > 0)
                report(Diagnostic.Create(DiagnosticDescriptors.NestedInGeneric, classLocation, name, outer.Name));
            if (outer.IsFileLocal)
                report(Diagnostic.Create(DiagnosticDescriptors.UnsupportedTypeKind, classLocation, name, "nested in file-local type '" + outer.Name + "'"));
            foreach (SyntaxReference reference in outer.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.ContainingTypeNotPartial, declaration.Identifier.GetLocation(), name, outer.Name));
                    break;
                }
            }
        }
    }

    // Layers are read in the order the compiler lists attributes, which across partial declarations follows the order
    // of files in the compilation: not something a network's meaning may depend on.
    private static void CheckSplit(NetworkDeclaration network, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (network.Syntax is null) return;
        var attributes = new List<(AttributeData Attribute, NetworkAttributeKind Kind)>();
        if (network.Input is not null) attributes.Add((network.Input, NetworkAttributeKind.Input));
        for (int i = 0; i < network.LayerAttributes.Count; i++) attributes.Add((network.LayerAttributes[i], network.LayerKinds[i]));
        if (network.Loss is not null) attributes.Add((network.Loss, NetworkAttributeKind.Loss));
        foreach ((AttributeData attribute, NetworkAttributeKind kind) in attributes)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) continue;
            if (syntax.Parent?.Parent is TypeDeclarationSyntax declaration
                && declaration.SyntaxTree == network.Syntax.SyntaxTree && declaration.Span == network.Syntax.Span)
                continue;
            report(Diagnostic.Create(DiagnosticDescriptors.AttributesSplit, syntax.GetLocation(), NetworkAttributeTypes.ShortName(kind), network.Type.Name));
        }
    }

    /// <summary>
    /// The diagnostic for one problem of <see cref="NetworkTopology.Check"/>, on the argument it names: the entry of a
    /// From list or connection table, a named argument, a constructor argument by position or name, or the attribute.
    /// Every error becomes a diagnostic (NC0029 when no specific one fits), so the generator never stays silent.
    /// </summary>
    private static Diagnostic? ToDiagnostic(TopologyProblem problem, NetworkDeclaration network, Location networkLocation, CancellationToken cancellationToken)
    {
        string name = network.Type.Name;
        Location location = ProblemLocation(problem, network, networkLocation, cancellationToken);
        string text = problem.Message.EndsWith(".", StringComparison.Ordinal) ? problem.Message.Substring(0, problem.Message.Length - 1) : problem.Message;
        Diagnostic Simple(DiagnosticDescriptor descriptor) => Diagnostic.Create(descriptor, location, text);

        switch (problem.Kind)
        {
            case TopologyProblemKind.MissingInput:
                return Diagnostic.Create(DiagnosticDescriptors.MissingInput, networkLocation, name);
            case TopologyProblemKind.InputSizeNotPositive when problem.Value > 0:
                // Not a dimension ≤ 0 but more values than one buffer holds.
                return Simple(DiagnosticDescriptors.InputShapeUnsupported);
            case TopologyProblemKind.InputSizeNotPositive:
                TensorShape shape = network.InputShape!;
                return Diagnostic.Create(DiagnosticDescriptors.InputSizeNotPositive, location, name,
                    shape.Rank == 1 ? Num(problem.Value) : Num(problem.Value) + " (dimension " + Num(problem.Item + 1) + " of " + shape + ")");
            case TopologyProblemKind.UndefinedPrecision:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, location, nameof(Precision), Num(problem.Value), Names(typeof(Precision)));
            case TopologyProblemKind.UndefinedLoss:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, location, nameof(LossFunction), Num(problem.Value), Names(typeof(LossFunction)));
            case TopologyProblemKind.NoLayers:
                return Diagnostic.Create(DiagnosticDescriptors.NoLayers, networkLocation, name);
            case TopologyProblemKind.UnitsNotPositive:
                return Diagnostic.Create(DiagnosticDescriptors.UnitsNotPositive, location, DescribeLayer(network, problem.Layer, withKind: true), Num(problem.Value),
                    problem.Argument == TopologyArgument.Filters ? "filters" : "units");
            case TopologyProblemKind.UndefinedActivation:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, location, nameof(Activation), Num(problem.Value), Names(typeof(Activation)));
            case TopologyProblemKind.SoftmaxNotOnOutput:
                return Diagnostic.Create(DiagnosticDescriptors.SoftmaxNotOnOutput, location, DescribeLayer(network, problem.Layer, withKind: true),
                    DescribeLayer(network, OutputLayer(network), withKind: false));
            case TopologyProblemKind.CrossEntropyWithoutSoftmax:
                return Diagnostic.Create(DiagnosticDescriptors.CrossEntropyWithoutSoftmax, location, DescribeLayer(network, problem.Layer, withKind: false),
                    network.Layers[problem.Layer - 1].Activation);
            case TopologyProblemKind.SoftmaxWithSquaredError:
                return Diagnostic.Create(DiagnosticDescriptors.SoftmaxWithSquaredError, location, DescribeLayer(network, problem.Layer, withKind: false));
            case TopologyProblemKind.TooManyParameters:
                return Diagnostic.Create(DiagnosticDescriptors.TooManyParameters, networkLocation, name,
                    Num(problem.Value), Num(problem.Value * NetworkTopology.ElementSize(network.Precision)), Num(NetworkTopology.MaxParameterCount));
            case TopologyProblemKind.LargeNetwork:
                return Diagnostic.Create(DiagnosticDescriptors.LargeNetwork, networkLocation, name,
                    Num(problem.Value), Num(NetworkTopology.LargeParameterCount), Num(problem.Value * NetworkTopology.ElementSize(network.Precision)));
            case TopologyProblemKind.InputRankUnsupported: return Simple(DiagnosticDescriptors.InputShapeUnsupported);
            case TopologyProblemKind.LayerTooLarge: return Simple(DiagnosticDescriptors.LayerTooLarge);
            case TopologyProblemKind.DuplicateName: return Simple(DiagnosticDescriptors.DuplicateName);
            case TopologyProblemKind.ReservedName: return Simple(DiagnosticDescriptors.ReservedName);
            case TopologyProblemKind.UnknownSource: return Simple(DiagnosticDescriptors.UnknownSource);
            case TopologyProblemKind.DuplicateSource: return Simple(DiagnosticDescriptors.DuplicateSource);
            case TopologyProblemKind.Cycle: return Simple(DiagnosticDescriptors.Cycle);
            case TopologyProblemKind.UnusedLayer: return Simple(DiagnosticDescriptors.UnusedLayer);
            case TopologyProblemKind.UnknownOutput: return Simple(DiagnosticDescriptors.UnknownOutput);
            case TopologyProblemKind.WrongSourceCount: return Simple(DiagnosticDescriptors.WrongSourceCount);
            case TopologyProblemKind.WrongSourceRank: return Simple(DiagnosticDescriptors.WrongSourceRank);
            case TopologyProblemKind.AddShapeMismatch: return Simple(DiagnosticDescriptors.AddShapeMismatch);
            case TopologyProblemKind.ConcatShapeMismatch: return Simple(DiagnosticDescriptors.ConcatShapeMismatch);
            case TopologyProblemKind.KernelNotPositive: return Simple(DiagnosticDescriptors.KernelNotPositive);
            case TopologyProblemKind.StrideNotPositive: return Simple(DiagnosticDescriptors.StrideNotPositive);
            case TopologyProblemKind.PaddingNegative: return Simple(DiagnosticDescriptors.PaddingNegative);
            case TopologyProblemKind.PoolSizeNotPositive: return Simple(DiagnosticDescriptors.PoolSizeNotPositive);
            case TopologyProblemKind.KernelTooLarge: return Simple(DiagnosticDescriptors.KernelTooLarge);
            case TopologyProblemKind.StrideDoesNotTile: return Simple(DiagnosticDescriptors.StrideDoesNotTile);
            case TopologyProblemKind.ConnectionTableShape: return Simple(DiagnosticDescriptors.ConnectionTableShape);
            case TopologyProblemKind.ConnectionTableEntry: return Simple(DiagnosticDescriptors.ConnectionTableEntry);
            case TopologyProblemKind.ConnectionTableEmptyFilter: return Simple(DiagnosticDescriptors.ConnectionTableEmptyFilter);
            case TopologyProblemKind.ImplicitFlatten: return Simple(DiagnosticDescriptors.ImplicitFlatten);
            default:
                // NullLayer and ActivationNotAllowed (MaxPool and Concat have no Activation, MaxPool no Trainable) cannot
                // come from attributes today; any error still gets a diagnostic, so that no network fails silently.
                return problem.Severity == TopologySeverity.Error ? Simple(DiagnosticDescriptors.InvalidTopology) : null;
        }
    }

    /// <summary>Where the value <see cref="TopologyProblem.Argument"/> names was written.</summary>
    private static Location ProblemLocation(TopologyProblem problem, NetworkDeclaration network, Location networkLocation, CancellationToken cancellationToken)
    {
        AttributeData? layer = problem.Layer >= 1 && problem.Layer <= network.LayerAttributes.Count ? network.LayerAttributes[problem.Layer - 1] : null;
        NetworkAttributeKind kind = layer is null ? NetworkAttributeKind.None : network.LayerKinds[problem.Layer - 1];
        bool conv = kind is NetworkAttributeKind.Conv1D or NetworkAttributeKind.Conv2D;
        Location? Constructor(AttributeData? attribute, int index, string parameter) => ArgumentLocation(attribute, index, parameter, cancellationToken);
        Location? Named(AttributeData? attribute, string property) =>
            attribute is null ? null : NamedArgumentLocation(attribute, property, cancellationToken);
        Location? Element(AttributeData? attribute, string property) =>
            attribute is null ? null : problem.Item >= 0 ? ElementLocation(attribute, property, problem.Item, cancellationToken) : NamedArgumentLocation(attribute, property, cancellationToken);

        Location? location = problem.Argument switch
        {
            TopologyArgument.None => networkLocation,
            TopologyArgument.InputSize when problem.Kind == TopologyProblemKind.InputSizeNotPositive && problem.Item >= 0 => InputElementLocation(network.Input, problem.Item, cancellationToken),
            TopologyArgument.InputSize => network.Input?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(),
            TopologyArgument.Precision => Named(network.Network, "Precision"),
            TopologyArgument.Loss => Constructor(network.Loss, 0, "function"),
            TopologyArgument.Output => Named(network.Network, "Output"),
            TopologyArgument.Units => Constructor(layer, 0, "units"),
            TopologyArgument.Filters => Constructor(layer, 0, "filters"),
            TopologyArgument.KernelSize => Constructor(layer, 1, "kernelSize"),
            TopologyArgument.Size => Constructor(layer, 0, "size"),
            TopologyArgument.Padding => Named(layer, "Padding"),
            // A stride left to its default (a pooling window's own size) is best shown on the window.
            TopologyArgument.Stride => HasNamedArgument(layer, "Stride") ? Named(layer, "Stride")
                : conv ? Constructor(layer, 1, "kernelSize") : Constructor(layer, 0, "size"),
            TopologyArgument.Activation => kind switch
            {
                NetworkAttributeKind.Dense => Constructor(layer, 1, "activation"),
                NetworkAttributeKind.Conv1D or NetworkAttributeKind.Conv2D => Constructor(layer, 2, "activation"),
                _ => Named(layer, "Activation"),
            },
            TopologyArgument.Name => Named(layer, "Name"),
            TopologyArgument.From => Element(layer, "From"),
            TopologyArgument.Connections => Element(layer, "Connections"),
            _ => layer?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(),
        };
        return location ?? layer?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? networkLocation;
    }

    /// <summary>The number of the output layer: the one [Network(Output = …)] names, else the last declared.</summary>
    private static int OutputLayer(NetworkDeclaration network)
    {
        if (network.Output is not null)
            for (int l = 0; l < network.Layers.Count; l++)
                if (network.Layers[l].Name == network.Output) return l + 1;
        return network.Layers.Count;
    }

    /// <summary>"Dense layer 2", "Conv2D layer 1 ('c1')" or, without the kind, "layer 3 ('h')": the topology's wording.</summary>
    private static string DescribeLayer(NetworkDeclaration network, int l, bool withKind)
    {
        LayerSpec layer = network.Layers[l - 1];
        return (withKind ? layer.Kind + " " : "") + "layer " + l.ToString(CultureInfo.InvariantCulture) + (layer.Name is null ? "" : " ('" + layer.Name + "')");
    }

    // The generated members must not meet a user member of the same name (CS0102), hide an inherited one (CS0108), or
    // be named like the class (CS0542); nor may a member hide the generated file's using aliases.
    // Runs only on a valid topology (the members depend on the layers' shapes: padding, strides, connection tables).
    private static void CheckCollisions(NetworkDeclaration network, NetworkTopology topology, Compilation compilation, Location classLocation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = network.Type;
        var generated = new Dictionary<string, GeneratedMembers.Member>(StringComparer.Ordinal);
        foreach (GeneratedMembers.Member member in GeneratedMembers.For(topology, compiledWeights: network.Weights is not null || network.Onnx is not null))
            generated[member.Name] = member;

        if (generated.ContainsKey(type.Name))
            report(Diagnostic.Create(DiagnosticDescriptors.ClassNameCollision, classLocation, type.Name));

        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
            {
                CheckConstructor(constructor, generated, report, cancellationToken);
                continue;
            }
            if (member.IsImplicitlyDeclared || !generated.TryGetValue(member.Name, out GeneratedMembers.Member? ours) || IsOverload(member, ours))
                continue;
            Location? location = UserLocation(member, cancellationToken);
            if (location is not null)
                report(Diagnostic.Create(DiagnosticDescriptors.MemberCollision, location, member.Name, type.Name));
        }

        for (INamedTypeSymbol? baseType = type.BaseType; baseType is not null && baseType.SpecialType != SpecialType.System_Object; baseType = baseType.BaseType)
        {
            var hidden = new SortedSet<string>(StringComparer.Ordinal);
            foreach (ISymbol member in baseType.GetMembers())
            {
                if (member.IsImplicitlyDeclared || !member.CanBeReferencedByName || !generated.TryGetValue(member.Name, out GeneratedMembers.Member? ours)
                    || IsOverload(member, ours) || !compilation.IsSymbolAccessibleWithin(member, type))
                    continue;
                hidden.Add(member.Name);
            }
            if (hidden.Count == 0) continue;
            report(Diagnostic.Create(DiagnosticDescriptors.InheritedMemberCollision, BaseTypeLocation(network, baseType, cancellationToken) ?? classLocation,
                type.Name, string.Join(", ", hidden.Select(n => "'" + n + "'")), baseType.Name));
        }
    }

    // The generated class has two constructors, () and (NetworkWeights<T>), which set θ. A user constructor with either
    // signature collides (CS0111); any other must start with this(…) or θ would be null when the network runs.
    private static void CheckConstructor(IMethodSymbol constructor, Dictionary<string, GeneratedMembers.Member> generated, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (constructor.IsImplicitlyDeclared) return;
        Location? location = UserLocation(constructor, cancellationToken);
        if (location is null) return;
        string weights = generated.Values.First(m => m.Name == GeneratedMembers.Constructor && m.ParameterTypes.Length == 1).ParameterTypes[0];
        string signature = string.Join(", ", constructor.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
        if (constructor.Parameters.All(p => p.RefKind == RefKind.None) && (signature.Length == 0 || signature == weights))
        {
            report(Diagnostic.Create(DiagnosticDescriptors.ConstructorCollision, location, constructor.ContainingType.Name,
                "(" + signature.Replace("global::NetCompiler.", "") + ")"));
            return;
        }
        foreach (SyntaxReference reference in constructor.DeclaringSyntaxReferences)
            if (reference.GetSyntax(cancellationToken) is ConstructorDeclarationSyntax { Initializer: { } initializer }
                && initializer.IsKind(SyntaxKind.ThisConstructorInitializer))
                return;
        report(Diagnostic.Create(DiagnosticDescriptors.ConstructorWithoutWeights, location, constructor.ContainingType.Name));
    }

    /// <summary>True when <paramref name="member"/> is a method that only overloads the generated method (other parameters).</summary>
    private static bool IsOverload(ISymbol member, GeneratedMembers.Member ours)
    {
        if (!ours.IsMethod || member is not IMethodSymbol method || method.MethodKind != MethodKind.Ordinary) return false;
        if (method.TypeParameters.Length > 0 || method.Parameters.Length != ours.ParameterTypes.Length) return true;
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            IParameterSymbol parameter = method.Parameters[i];
            if (parameter.RefKind != RefKind.None || parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) != ours.ParameterTypes[i])
                return true;
        }
        return false;
    }

    /// <summary>Where the user declared <paramref name="member"/>, or null when NetCompiler's generated half declared it.</summary>
    private static Location? UserLocation(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (Location location in member.Locations)
        {
            if (!location.IsInSource || location.SourceTree is null) continue;
            SyntaxNode node = location.SourceTree.GetRoot(cancellationToken).FindNode(location.SourceSpan);
            if (node.Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration && IsGeneratedByUs(declaration))
                continue;
            return location;
        }
        return null;
    }

    /// <summary>True for the class declaration NetCompiler emits: it carries [GeneratedCode("NetCompiler.Generator", …)].</summary>
    private static bool IsGeneratedByUs(TypeDeclarationSyntax declaration)
    {
        foreach (AttributeListSyntax list in declaration.AttributeLists)
            foreach (AttributeSyntax attribute in list.Attributes)
            {
                string attributeName = attribute.Name is QualifiedNameSyntax qualified ? qualified.Right.Identifier.ValueText
                    : attribute.Name is AliasQualifiedNameSyntax alias ? alias.Name.Identifier.ValueText
                    : attribute.Name is SimpleNameSyntax simple ? simple.Identifier.ValueText : "";
                if (attributeName is "GeneratedCode" or "GeneratedCodeAttribute"
                    && attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression is LiteralExpressionSyntax literal
                    && literal.Token.ValueText == GeneratedMembers.ToolName)
                    return true;
            }
        return false;
    }

    /// <summary>The base type as written in the base list of one of the class's declarations.</summary>
    private static Location? BaseTypeLocation(NetworkDeclaration network, INamedTypeSymbol baseType, CancellationToken cancellationToken)
    {
        INamedTypeSymbol direct = network.Type.BaseType!;
        if (!SymbolEqualityComparer.Default.Equals(direct, baseType))
            baseType = direct; // an indirect base is reached through the direct one
        foreach (SyntaxReference reference in network.Type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax { BaseList.Types: { Count: > 0 } types }) continue;
            TypeSyntax first = types[0].Type;
            string written = first is QualifiedNameSyntax qualified ? qualified.Right.Identifier.ValueText
                : first is SimpleNameSyntax simple ? simple.Identifier.ValueText
                : first is AliasQualifiedNameSyntax alias ? alias.Name.Identifier.ValueText : "";
            if (written == baseType.Name) return first.GetLocation();
        }
        return null;
    }

    /// <summary>
    /// The expression of the attribute argument for constructor parameter <paramref name="index"/> (named
    /// <paramref name="parameter"/>), whether passed by position or by name; null when it was left to its default.
    /// </summary>
    private static Location? ArgumentLocation(AttributeData? attribute, int index, string parameter, CancellationToken cancellationToken)
    {
        if (attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) return null;
        if (syntax.ArgumentList is { } arguments)
        {
            int position = 0;
            foreach (AttributeArgumentSyntax argument in arguments.Arguments)
            {
                if (argument.NameEquals is not null) continue;
                if (argument.NameColon is not null ? argument.NameColon.Name.Identifier.ValueText == parameter : position == index)
                    return argument.Expression.GetLocation();
                position++;
            }
        }
        return syntax.GetLocation();
    }

    /// <summary>The expression of the named argument <c>Property = value</c>.</summary>
    private static Location? NamedArgumentLocation(AttributeData attribute, string property, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } arguments } syntax) return null;
        foreach (AttributeArgumentSyntax argument in arguments.Arguments)
            if (argument.NameEquals?.Name.Identifier.ValueText == property)
                return argument.Expression.GetLocation();
        return syntax.GetLocation();
    }

    private static bool HasNamedArgument(AttributeData? attribute, string property)
    {
        if (attribute is null) return false;
        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
            if (named.Key == property) return true;
        return false;
    }

    /// <summary>
    /// Entry <paramref name="item"/> of the array given to <c>Property = new[] { … }</c> (or <c>new string[] { … }</c>,
    /// or <c>[ … ]</c>); the whole argument when it is written another way (a constant, say).
    /// </summary>
    private static Location? ElementLocation(AttributeData attribute, string property, int item, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax { ArgumentList: { } arguments } syntax) return null;
        foreach (AttributeArgumentSyntax argument in arguments.Arguments)
            if (argument.NameEquals?.Name.Identifier.ValueText == property)
                return ArrayElement(argument.Expression, item) ?? argument.Expression.GetLocation();
        return syntax.GetLocation();
    }

    /// <summary>
    /// Dimension <paramref name="item"/> of [Input(…)]: the <paramref name="item"/>-th argument of the expanded form
    /// <c>Input(1, 28, 28)</c>, or the entry of an array passed as such (<c>Input(new[] { 1, 28, 28 })</c>).
    /// </summary>
    private static Location? InputElementLocation(AttributeData? input, int item, CancellationToken cancellationToken)
    {
        if (input?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax) return null;
        var positional = syntax.ArgumentList?.Arguments.Where(a => a.NameEquals is null).ToList() ?? new List<AttributeArgumentSyntax>();
        if (positional.Count == 1 && ArrayElement(positional[0].Expression, item) is { } element) return element;
        return item < positional.Count ? positional[item].Expression.GetLocation() : syntax.GetLocation();
    }

    private static Location? ArrayElement(ExpressionSyntax expression, int item)
    {
        InitializerExpressionSyntax? initializer = expression switch
        {
            ArrayCreationExpressionSyntax array => array.Initializer,
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer,
            _ => null,
        };
        if (initializer is not null)
            return item < initializer.Expressions.Count ? initializer.Expressions[item].GetLocation() : null;
        if (expression is CollectionExpressionSyntax collection && item < collection.Elements.Count)
            return collection.Elements[item].GetLocation();
        return null;
    }

    private static string Names(Type enumType) => string.Join(", ", Enum.GetNames(enumType));

    private static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
