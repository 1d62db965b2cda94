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
    /// <summary>Applies every rule to <paramref name="network"/>.</summary>
    public static void Analyze(NetworkDeclaration network, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
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

        List<TopologyProblem> problems = NetworkTopology.Check(network.InputShape, network.Layers, network.LossFunction, network.Precision, network.Output);
        foreach (TopologyProblem problem in problems)
        {
            Diagnostic? diagnostic = ToDiagnostic(problem, network, networkLocation, cancellationToken);
            if (diagnostic is not null) Report(diagnostic);
        }
        if (problems.Any(p => p.Severity == TopologySeverity.Error)) return;

        CheckCollisions(network, compilation, classLocation, Report, cancellationToken);
        if (hasError) return;

        if (network.LossFunction is null)
            report(Diagnostic.Create(DiagnosticDescriptors.InferenceOnly, networkLocation, name));
        var topology = new NetworkTopology(network.InputShape!, network.Layers, network.LossFunction, network.Precision, network.Output);
        report(Diagnostic.Create(DiagnosticDescriptors.NetworkCost, networkLocation, name,
            Num(topology.ParameterCount), Num(topology.MultiplyAdds), Num((long)topology.ParameterCount * NetworkTopology.ElementSize(network.Precision))));
    }

    /// <summary>[Input], [Dense] and [Loss] on a class without [Network] do nothing: say so on each.</summary>
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

    private static Diagnostic? ToDiagnostic(TopologyProblem problem, NetworkDeclaration network, Location networkLocation, CancellationToken cancellationToken)
    {
        string name = network.Type.Name;
        AttributeData? layer = problem.Layer >= 1 && problem.Layer <= network.LayerAttributes.Count ? network.LayerAttributes[problem.Layer - 1] : null;
        Location Argument(AttributeData? attribute, int index, string parameter) =>
            ArgumentLocation(attribute, index, parameter, cancellationToken) ?? networkLocation;
        Location lossArgument = Argument(network.Loss, 0, "function");
        Location layerActivation = Argument(layer, 1, "activation");

        switch (problem.Kind)
        {
            case TopologyProblemKind.MissingInput:
                return Diagnostic.Create(DiagnosticDescriptors.MissingInput, networkLocation, name);
            case TopologyProblemKind.InputSizeNotPositive:
                return Diagnostic.Create(DiagnosticDescriptors.InputSizeNotPositive, Argument(network.Input, 0, "shape"), name, Num(problem.Value));
            case TopologyProblemKind.UndefinedPrecision:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, NamedArgumentLocation(network.Network, "Precision", cancellationToken) ?? networkLocation,
                    nameof(Precision), Num(problem.Value), Names(typeof(Precision)));
            case TopologyProblemKind.UndefinedLoss:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, lossArgument, nameof(LossFunction), Num(problem.Value), Names(typeof(LossFunction)));
            case TopologyProblemKind.NoLayers:
                return Diagnostic.Create(DiagnosticDescriptors.NoLayers, networkLocation, name);
            case TopologyProblemKind.UnitsNotPositive:
                return Diagnostic.Create(DiagnosticDescriptors.UnitsNotPositive, Argument(layer, 0, "units"), problem.Layer, Num(problem.Value));
            case TopologyProblemKind.UndefinedActivation:
                return Diagnostic.Create(DiagnosticDescriptors.UndefinedEnumValue, layerActivation, nameof(Activation), Num(problem.Value), Names(typeof(Activation)));
            case TopologyProblemKind.SoftmaxNotOnOutput:
                return Diagnostic.Create(DiagnosticDescriptors.SoftmaxNotOnOutput, layerActivation, problem.Layer, network.Layers.Count);
            case TopologyProblemKind.CrossEntropyWithoutSoftmax:
                return Diagnostic.Create(DiagnosticDescriptors.CrossEntropyWithoutSoftmax, lossArgument, problem.Layer, network.Layers[problem.Layer - 1].Activation);
            case TopologyProblemKind.SoftmaxWithSquaredError:
                return Diagnostic.Create(DiagnosticDescriptors.SoftmaxWithSquaredError, lossArgument, problem.Layer);
            case TopologyProblemKind.TooManyParameters:
                return Diagnostic.Create(DiagnosticDescriptors.TooManyParameters, networkLocation, name,
                    Num(problem.Value), Num(problem.Value * NetworkTopology.ElementSize(network.Precision)), Num(NetworkTopology.MaxParameterCount));
            case TopologyProblemKind.LargeNetwork:
                return Diagnostic.Create(DiagnosticDescriptors.LargeNetwork, networkLocation, name,
                    Num(problem.Value), Num(NetworkTopology.LargeParameterCount), Num(problem.Value * NetworkTopology.ElementSize(network.Precision)));
            default:
                // NullLayer cannot come from attributes.
                return null;
        }
    }

    // The generated members must not meet a user member of the same name (CS0102), hide an inherited one (CS0108), or
    // be named like the class (CS0542); nor may a member hide the generated file's using aliases.
    private static void CheckCollisions(NetworkDeclaration network, Compilation compilation, Location classLocation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        INamedTypeSymbol type = network.Type;
        bool softmaxOutput = network.Layers[network.Layers.Count - 1].Activation == Activation.Softmax;
        var generated = new Dictionary<string, GeneratedMembers.Member>(StringComparer.Ordinal);
        foreach (GeneratedMembers.Member member in GeneratedMembers.For(network.Layers.Count, network.LossFunction.HasValue, softmaxOutput, network.Precision))
            generated[member.Name] = member;

        if (generated.ContainsKey(type.Name))
            report(Diagnostic.Create(DiagnosticDescriptors.ClassNameCollision, classLocation, type.Name));

        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
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

    private static string Names(Type enumType) => string.Join(", ", Enum.GetNames(enumType));

    private static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
