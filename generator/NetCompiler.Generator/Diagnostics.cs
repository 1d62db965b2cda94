using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using NetCompiler.Generator.Model;

namespace NetCompiler.Generator;

/// <summary>All diagnostics the generator reports, with their IDs as constants.</summary>
internal static class Diagnostics
{
    public const string InvalidTopologyId = "NC0001";
    public const string UnsupportedTypeId = "NC0002";

    private const string Category = "NetCompiler";

    public static readonly DiagnosticDescriptor InvalidTopology = new(
        InvalidTopologyId,
        title: "Invalid network topology",
        messageFormat: "{0}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedType = new(
        UnsupportedTypeId,
        title: "[Network] needs a non-generic partial class",
        messageFormat: "{0}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static Diagnostic Create(DiagnosticInfo info)
    {
        DiagnosticDescriptor descriptor = info.Id == UnsupportedTypeId ? UnsupportedType : InvalidTopology;
        Location location = info.FilePath is null
            ? Location.None
            : Location.Create(info.FilePath, info.Span, info.LineSpan);
        return Diagnostic.Create(descriptor, location, info.Message);
    }

    public static DiagnosticInfo Info(string id, string message, Location? location)
    {
        if (location is null || location.SourceTree is null)
            return new DiagnosticInfo(id, message, null, default, default);
        FileLinePositionSpan lines = location.GetLineSpan();
        return new DiagnosticInfo(id, message, location.SourceTree.FilePath, location.SourceSpan, lines.Span);
    }
}
