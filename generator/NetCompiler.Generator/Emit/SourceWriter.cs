using System.Text;

namespace NetCompiler.Generator.Emit;

/// <summary>An indented text writer with disposable blocks (as runtime's SourceGenerators/SourceWriter.cs).</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and an opening brace; disposing writes the closing brace.</summary>
    public Block Open(string? header = null, string close = "}")
    {
        if (header is not null) Line(header);
        Line("{");
        _indent++;
        return new Block(this, close);
    }

    public override string ToString() => _text.ToString();

    public readonly struct Block : IDisposable
    {
        private readonly SourceWriter _writer;
        private readonly string _close;

        public Block(SourceWriter writer, string close)
        {
            _writer = writer;
            _close = close;
        }

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line(_close);
        }
    }
}
