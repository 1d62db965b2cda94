// Shared source: compiled into the runtime library and into the generator (see generator csproj).
// A strict RFC 8259 reader for a safetensors header, because the netstandard2.0 generator has no System.Text.Json:
// objects, arrays, strings with every escape, numbers, true/false/null; no comments or trailing commas; nesting
// limited to MaxDepth; linear time. Every flaw is a SafeTensorsException naming the byte where it is.
// Keep it netstandard2.0-clean: no records or init accessors.
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NetCompiler.Serialization;

internal enum JsonKind { Object, Array, String, Number, True, False, Null }

/// <summary>One value of a parsed header, with where its text is in the header's bytes.</summary>
internal sealed class JsonValue
{
    public JsonKind Kind;
    public int Start, End; // [Start, End) in the bytes given to SafeTensorsJson.Parse
    public string? Text; // String: the decoded text
    public List<KeyValuePair<string, JsonValue>>? Members; // Object: in file order, duplicates kept
    public List<JsonValue>? Items; // Array
}

internal static class SafeTensorsJson
{
    /// <summary>The deepest nesting of arrays and objects accepted (the header's own object is level 1).</summary>
    public const int MaxDepth = 64;

    private const string Invalid = "the header is not valid JSON: ";

    /// <summary>Parses <paramref name="bytes"/>[<paramref name="start"/>, +<paramref name="length"/>), valid UTF-8
    /// that starts with '{', as one JSON object followed by nothing but whitespace.</summary>
    public static JsonValue Parse(string path, byte[] bytes, int start, int length)
    {
        var reader = new Reader(path, bytes, start, start + length);
        JsonValue root = reader.Value(0);
        reader.SkipWhitespace();
        if (reader.Position < reader.End) throw reader.Error("unexpected " + reader.Describe() + " after the header's object");
        return root;
    }

    /// <summary>The value's text as written, shortened to about <paramref name="max"/> bytes, for messages.</summary>
    public static string RawText(byte[] bytes, JsonValue value, int max = 40) =>
        value.End - value.Start <= max
            ? Encoding.UTF8.GetString(bytes, value.Start, value.End - value.Start)
            : Encoding.UTF8.GetString(bytes, value.Start, max) + "…";

    /// <summary>The value of a number written as plain digits (no sign, fraction or exponent) that fits in a long.</summary>
    public static bool TryGetNonNegativeInt64(byte[] bytes, JsonValue value, out long number)
    {
        number = 0;
        if (value.Kind != JsonKind.Number) return false;
        for (int i = value.Start; i < value.End; i++)
        {
            int digit = bytes[i] - '0';
            if (digit < 0 || digit > 9 || number > (long.MaxValue - digit) / 10) return false;
            number = number * 10 + digit;
        }
        return true;
    }

    private sealed class Reader
    {
        private readonly string _path;
        private readonly byte[] _bytes;
        private readonly int _start;

        public Reader(string path, byte[] bytes, int start, int end)
        {
            _path = path;
            _bytes = bytes;
            _start = start;
            Position = start;
            End = end;
        }

        public int Position;
        public readonly int End;

        public JsonValue Value(int depth)
        {
            SkipWhitespace();
            if (Position >= End) throw Error("the header ends where a value should be");
            int start = Position;
            switch (_bytes[Position])
            {
                case (byte)'{':
                    return Object(depth + 1);
                case (byte)'[':
                    return Array(depth + 1);
                case (byte)'"':
                    string text = String();
                    return new JsonValue { Kind = JsonKind.String, Start = start, End = Position, Text = text };
                case (byte)'t':
                    return Literal("true", JsonKind.True);
                case (byte)'f':
                    return Literal("false", JsonKind.False);
                case (byte)'n':
                    return Literal("null", JsonKind.Null);
                default:
                    byte c = _bytes[Position];
                    if (c == '-' || (c >= '0' && c <= '9')) return Number();
                    if (c == '/') throw Error("a comment (JSON has none)");
                    throw Error("unexpected " + Describe() + " where a value should be");
            }
        }

        private JsonValue Object(int depth)
        {
            var value = new JsonValue { Kind = JsonKind.Object, Start = Position, Members = new List<KeyValuePair<string, JsonValue>>() };
            Open(depth);
            if (Peek() == '}') return Close(value);
            while (true)
            {
                SkipWhitespace();
                if (Peek() != '"')
                {
                    if (Peek() == '}' && value.Members.Count > 0) throw Error("a trailing comma before '}'");
                    throw Expected("a string key");
                }
                string key = String();
                SkipWhitespace();
                if (Peek() != ':') throw Expected("':' after the key");
                Position++;
                value.Members.Add(new KeyValuePair<string, JsonValue>(key, Value(depth)));
                SkipWhitespace();
                if (Peek() == '}') return Close(value);
                if (Peek() != ',') throw Expected("',' or '}'");
                Position++;
            }
        }

        private JsonValue Array(int depth)
        {
            var value = new JsonValue { Kind = JsonKind.Array, Start = Position, Items = new List<JsonValue>() };
            Open(depth);
            if (Peek() == ']') return Close(value);
            while (true)
            {
                SkipWhitespace();
                if (Peek() == ']') throw Error("a trailing comma before ']'");
                value.Items.Add(Value(depth));
                SkipWhitespace();
                if (Peek() == ']') return Close(value);
                if (Peek() != ',') throw Expected("',' or ']'");
                Position++;
            }
        }

        private void Open(int depth)
        {
            if (depth > MaxDepth)
                throw new SafeTensorsException(_path,
                    "the header nests arrays and objects more than " + MaxDepth + " deep (at byte " + Offset(Position) + ").");
            Position++;
            SkipWhitespace();
        }

        private JsonValue Close(JsonValue value)
        {
            Position++;
            value.End = Position;
            return value;
        }

        private string String()
        {
            int open = Position++;
            int run = Position;
            StringBuilder? escaped = null;
            while (true)
            {
                if (Position >= End) throw Error("the string that starts at byte " + Offset(open) + " is not closed");
                byte c = _bytes[Position];
                if (c == '"')
                {
                    string text = Encoding.UTF8.GetString(_bytes, run, Position - run);
                    Position++;
                    return escaped is null ? text : escaped.Append(text).ToString();
                }
                if (c < 0x20) throw Error("an unescaped control character (0x" + c.ToString("X2", CultureInfo.InvariantCulture) + ") in a string");
                if (c != '\\')
                {
                    Position++;
                    continue;
                }
                escaped ??= new StringBuilder();
                escaped.Append(Encoding.UTF8.GetString(_bytes, run, Position - run));
                Escape(escaped);
                run = Position;
            }
        }

        /// <summary>Appends the character of the escape at <see cref="Position"/> (a backslash) and moves past it.</summary>
        private void Escape(StringBuilder text)
        {
            int at = Position;
            if (Position + 1 >= End) throw Error("the header ends inside an escape");
            byte c = _bytes[Position + 1];
            Position += 2;
            switch (c)
            {
                case (byte)'"': text.Append('"'); return;
                case (byte)'\\': text.Append('\\'); return;
                case (byte)'/': text.Append('/'); return;
                case (byte)'b': text.Append('\b'); return;
                case (byte)'f': text.Append('\f'); return;
                case (byte)'n': text.Append('\n'); return;
                case (byte)'r': text.Append('\r'); return;
                case (byte)'t': text.Append('\t'); return;
                case (byte)'u': break;
                default:
                    Position = at;
                    string shown = c >= 0x20 && c < 0x7F ? "'\\" + (char)c + "'" : "'\\' followed by byte 0x" + c.ToString("X2", CultureInfo.InvariantCulture);
                    throw Error("the escape " + shown + " is not one of JSON's (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
            int unit = Hex4(at);
            if (unit >= 0xDC00 && unit <= 0xDFFF) throw LoneSurrogate(at, unit);
            if (unit >= 0xD800 && unit <= 0xDBFF)
            {
                int low = Position + 1 < End && _bytes[Position] == '\\' && _bytes[Position + 1] == 'u' ? PeekHex4(Position + 2) : -1;
                if (low < 0xDC00 || low > 0xDFFF) throw LoneSurrogate(at, unit);
                Position += 6;
                text.Append((char)unit).Append((char)low);
                return;
            }
            text.Append((char)unit);
        }

        private SafeTensorsException LoneSurrogate(int at, int unit)
        {
            Position = at;
            return Error("the escape \\u" + unit.ToString("X4", CultureInfo.InvariantCulture) + " is a lone UTF-16 surrogate"
                 + (unit < 0xDC00 ? " (not followed by a \\uDC00-\\uDFFF escape)" : " (not preceded by a \\uD800-\\uDBFF escape)")
                 + ", which is not a character");
        }

        /// <summary>The four hex digits after "\u" at <paramref name="at"/> (Position is just past the 'u'); moves past them.</summary>
        private int Hex4(int at)
        {
            int unit = PeekHex4(Position);
            if (unit < 0)
            {
                Position = at;
                throw Error("\\u is not followed by four hexadecimal digits");
            }
            Position += 4;
            return unit;
        }

        private int PeekHex4(int at)
        {
            if (at + 4 > End) return -1;
            int unit = 0;
            for (int i = at; i < at + 4; i++)
            {
                int c = _bytes[i], digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (digit < 0) return -1;
                unit = unit * 16 + digit;
            }
            return unit;
        }

        /// <summary>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</summary>
        private JsonValue Number()
        {
            int start = Position;
            if (Peek() == '-') Position++;
            if (Peek() == '0')
            {
                Position++;
                if (IsDigit(Peek())) throw Error("a number with a leading zero");
            }
            else Digits("a digit");
            if (Peek() == '.')
            {
                Position++;
                Digits("a digit after the decimal point");
            }
            if (Peek() == 'e' || Peek() == 'E')
            {
                Position++;
                if (Peek() == '+' || Peek() == '-') Position++;
                Digits("a digit in the exponent");
            }
            return new JsonValue { Kind = JsonKind.Number, Start = start, End = Position };
        }

        private void Digits(string what)
        {
            if (!IsDigit(Peek())) throw Expected(what);
            while (IsDigit(Peek())) Position++;
        }

        private static bool IsDigit(int c) => c >= '0' && c <= '9';

        private JsonValue Literal(string word, JsonKind kind)
        {
            int start = Position;
            for (int i = 0; i < word.Length; i++)
            {
                if (Position >= End || _bytes[Position] != word[i])
                {
                    Position = start;
                    throw Error("unexpected " + Describe() + " where a value should be");
                }
                Position++;
            }
            return new JsonValue { Kind = kind, Start = start, End = Position };
        }

        public void SkipWhitespace()
        {
            while (Position < End)
            {
                byte c = _bytes[Position];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
                Position++;
            }
        }

        /// <summary>The byte at <see cref="Position"/>, or -1 at the end.</summary>
        private int Peek() => Position < End ? _bytes[Position] : -1;

        private SafeTensorsException Expected(string what) =>
            Position >= End ? Error("the header ends where " + what + " should be")
            : _bytes[Position] == '/' ? Error("a comment (JSON has none)")
            : Error("expected " + what + ", found " + Describe());

        /// <summary>The byte at <see cref="Position"/> for a message: 'x' for printable ASCII, else its hex value.</summary>
        public string Describe()
        {
            byte c = _bytes[Position];
            return c >= 0x20 && c < 0x7F ? "'" + (char)c + "'" : "byte 0x" + c.ToString("X2", CultureInfo.InvariantCulture);
        }

        private int Offset(int position) => position - _start;

        public SafeTensorsException Error(string what) =>
            new SafeTensorsException(_path, Invalid + what + " at byte " + Offset(Position) + " of the header.");
    }
}
