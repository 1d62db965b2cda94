using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit;

namespace NetCompiler.Generator.Tests;

/// <summary>What the tests of files read at build time ([Network(Weights = …)], [Network(Onnx = …)]) check alike.</summary>
internal static class FileDiagnostics
{
    /// <summary>The one diagnostic: <paramref name="id"/>, an error, on <paramref name="argument"/>'s string literal.</summary>
    public static Diagnostic AssertOneOnTheArgument(IEnumerable<Diagnostic> diagnostics, string source, string id, string argument)
    {
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        AssertOnTheArgument(diagnostic, source, argument);
        return diagnostic;
    }

    /// <summary>The diagnostic underlines exactly the string literal of the [Network] argument <paramref name="argument"/>.</summary>
    public static void AssertOnTheArgument(Diagnostic diagnostic, string source, string argument)
    {
        int start = source.IndexOf(argument + " = \"", StringComparison.Ordinal) + (argument + " = ").Length;
        int end = source.IndexOf('"', start + 1) + 1;
        Assert.Equal(source.Substring(start, end - start), source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
    }

    /// <summary>The generator's output compiled and loaded.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join(Environment.NewLine, emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
