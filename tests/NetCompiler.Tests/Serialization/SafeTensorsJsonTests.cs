using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using NetCompiler.Serialization;
using Xunit;
using static NetCompiler.Tests.Serialization.SafeTensorsFiles;

namespace NetCompiler.Tests.Serialization;

/// <summary>
/// The header's strict JSON reader (SafeTensorsJson, shared with the generator): what it rejects, with which message,
/// and that it accepts and decodes exactly what System.Text.Json does, which serves as the independent reference.
/// </summary>
public class SafeTensorsJsonTests
{
    private const string Tensor = "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";

    private static SafeTensorsFormat.Header Header(string json, int dataBytes = 0) =>
        SafeTensorsFormat.ReadHeader("h.safetensors", RawFile(json, new byte[dataBytes]));

    private static string Rejected(string json, int dataBytes = 0)
    {
        var e = Assert.Throws<SafeTensorsException>(() => Header(json, dataBytes));
        return e.Problem;
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"a\":\"b\",}}", "the header is not valid JSON: a trailing comma before '}' at byte 25 of the header.")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,4]}}", "a trailing comma before ']'")]
    [InlineData("{\"__metadata__\":{},}", "a trailing comma before '}'")]
    [InlineData("{/* c */}", "the header is not valid JSON: a comment (JSON has none) at byte 1")]
    [InlineData("{\"__metadata__\":{} // c\n}", "a comment (JSON has none)")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\x\"}}", "the escape '\\x' is not one of JSON's")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\'\"}}", "the escape '\\'' is not one of JSON's")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\u12G4\"}}", "\\u is not followed by four hexadecimal digits at byte 22")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\u12\"}}", "\\u is not followed by four hexadecimal digits")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\uD800\"}}", "the escape \\uD800 is a lone UTF-16 surrogate (not followed by a \\uDC00-\\uDFFF escape), which is not a character at byte 22")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\uDBFFx\"}}", "the escape \\uDBFF is a lone UTF-16 surrogate")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\uD83D\\u0041\"}}", "the escape \\uD83D is a lone UTF-16 surrogate")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\uD83D\\uD83D\"}}", "the escape \\uD83D is a lone UTF-16 surrogate")]
    [InlineData("{\"__metadata__\":{\"a\":\"\\uDE00\"}}", "the escape \\uDE00 is a lone UTF-16 surrogate (not preceded by a \\uD800-\\uDBFF escape)")]
    [InlineData("{\"\\uDC00\":{}}", "the escape \\uDC00 is a lone UTF-16 surrogate")]
    [InlineData("{\"__metadata__\":{\"a\":\"x\ny\"}}", "an unescaped control character (0x0A) in a string at byte 23")]
    [InlineData("{\"__metadata__\":{\"a\":\"x\ty\"}}", "an unescaped control character (0x09) in a string")]
    [InlineData("{\"__metadata__\":{\"a\":\"abc}}", "the string that starts at byte 21 is not closed")]
    [InlineData("{\"__metadata__\":{\"a\" \"b\"}}", "expected ':' after the key, found '\"'")]
    [InlineData("{\"__metadata__\":{a:\"b\"}}", "expected a string key, found 'a'")]
    [InlineData("{\"__metadata__\":{\"a\":\"b\" \"c\":\"d\"}}", "expected ',' or '}', found '\"'")]
    [InlineData("{\"__metadata__\":{}", "the header ends where ',' or '}' should be")]
    [InlineData("{\"__metadata__\":", "the header ends where a value should be")]
    [InlineData("{\"__metadata__\":tru}", "unexpected 't' where a value should be")]
    [InlineData("{\"__metadata__\":True}", "unexpected 'T' where a value should be")]
    [InlineData("{\"__metadata__\":{}} x", "unexpected 'x' after the header's object")]
    [InlineData("{\"__metadata__\":{}}{}", "unexpected '{' after the header's object")]
    [InlineData("{\"__metadata__\":'a'}", "unexpected ''' where a value should be")]
    public void Malformed_json_is_rejected_saying_what_and_where(string json, string phrase) => Assert.Contains(phrase, Rejected(json));

    [Theory]
    [InlineData("01", "a number with a leading zero")]
    [InlineData("-01", "a number with a leading zero")]
    [InlineData("1.", "expected a digit after the decimal point, found ','")]
    [InlineData("1.e3", "expected a digit after the decimal point")]
    [InlineData("-", "expected a digit, found ','")]
    [InlineData("1e", "expected a digit in the exponent")]
    [InlineData("1e+", "expected a digit in the exponent")]
    [InlineData("+1", "unexpected '+' where a value should be")]
    [InlineData(".5", "unexpected '.' where a value should be")]
    [InlineData("0x10", "expected ',' or ']', found 'x'")]
    [InlineData("NaN", "unexpected 'N'")]
    [InlineData("Infinity", "unexpected 'I'")]
    public void Malformed_numbers_are_rejected(string number, string phrase)
    {
        string problem = Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[" + number + ",1],\"data_offsets\":[0,4]}}", 4);
        Assert.StartsWith("the header is not valid JSON: ", problem);
        Assert.Contains(phrase, problem);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1e0")]
    [InlineData("1E+0")]
    [InlineData("-1")]
    [InlineData("-0")]
    [InlineData("\"1\"")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("[1]")]
    [InlineData("{}")]
    [InlineData("9223372036854775808")] // 2^63: one more than a long holds
    [InlineData("18446744073709551616")]
    public void Numbers_that_are_not_non_negative_integers_are_rejected(string value)
    {
        Assert.Equal("tensor 't': \"shape\" holds " + value + ", not a non-negative integer.",
            Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[" + value + "],\"data_offsets\":[0,4]}}", 4));
        Assert.Equal("tensor 't': \"data_offsets\" holds " + value + ", not a non-negative integer.",
            Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0," + value + "]}}", 4));
    }

    [Fact]
    public void A_huge_number_is_rejected_and_shortened_in_the_message()
    {
        string digits = new string('9', 100_000);
        string problem = Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[" + digits + "],\"data_offsets\":[0,4]}}", 4);
        Assert.Equal("tensor 't': \"shape\" holds " + new string('9', 40) + "…, not a non-negative integer.", problem);

        Assert.Contains("\"shape\" holds 1e400,", Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[1e400],\"data_offsets\":[0,4]}}", 4));
    }

    [Fact]
    public void The_largest_long_is_read_and_then_too_large_a_shape()
    {
        Assert.Equal("tensor 't': the shape [9223372036854775807, 2] is too large.",
            Rejected("{\"t\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,2],\"data_offsets\":[0,4]}}", 4));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("null")]
    [InlineData("[\"a\"]")]
    [InlineData("{\"x\":\"y\"}")]
    [InlineData("true")]
    public void Non_string_metadata_values_are_rejected(string value) =>
        Assert.Equal("the metadata value of 'k' is not a string.", Rejected("{\"__metadata__\":{\"k\":" + value + "}}"));

    [Fact]
    public void Metadata_that_is_not_an_object_and_duplicate_keys_are_rejected()
    {
        Assert.Equal("\"__metadata__\" is not an object of strings.", Rejected("{\"__metadata__\":[\"a\"]}"));
        Assert.Equal("the metadata key 'k' appears twice.", Rejected("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}"));
        Assert.Equal("the header has \"__metadata__\" twice.", Rejected("{\"__metadata__\":{},\"__metadata__\":{}}"));
        Assert.Equal("tensor 't': \"dtype\" appears twice.",
            Rejected("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        Assert.Equal("the tensor 't' appears twice in the header.", Rejected("{" + Tensor + "," + Tensor + "}", 4));
        // Keys are compared after decoding: "\u0074" is "t".
        Assert.Equal("the tensor 't' appears twice in the header.", Rejected("{" + Tensor + "," + Tensor.Replace("\"t\"", "\"\\u0074\"") + "}", 4));
    }

    [Fact]
    public void Nesting_is_limited_to_64_levels_without_recursing_deeper()
    {
        // The header's object is level 1: 63 arrays inside it are level 64, parsed, then rejected as metadata.
        Assert.Equal("\"__metadata__\" is not an object of strings.",
            Rejected("{\"__metadata__\":" + new string('[', 63) + new string(']', 63) + "}"));
        Assert.Equal("the header nests arrays and objects more than 64 deep (at byte 79).",
            Rejected("{\"__metadata__\":" + new string('[', 64) + new string(']', 64) + "}"));
        Assert.Contains("more than 64 deep", Rejected("{\"__metadata__\":" + new string('[', 1_000_000) + "}"));
        Assert.Contains("more than 64 deep", Rejected("{\"__metadata__\":" + string.Concat(Enumerable.Repeat("{\"a\":", 100_000)) + "}"));
    }

    [Fact]
    public void Whitespace_between_tokens_and_after_the_object_is_accepted()
    {
        SafeTensorsFormat.Header header = Header(
            "{ \"__metadata__\" :\t{\r\n\"k\" : \"v\" } ,\n\"t\":{ \"dtype\" : \"F32\" , \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ] }\n}\t\r\n ", 4);
        Assert.Equal("v", header.Metadata["k"]);
        Assert.Equal([1L], Assert.Single(header.Tensors).Shape);
        Assert.Empty(Header("{}").Tensors); // a file with nothing in it is well formed
    }

    [Fact]
    public void Every_escape_decodes_as_System_Text_Json_decodes_it()
    {
        string[] values =
        [
            "\\\" \\\\ \\/ \\b \\f \\n \\r \\t", "\\u0000\\u001f\\u007F\\u00e9\\u00E9\\u20AC\\uFFFF\\uFFFE", "\\uD83D\\uDE00 \\uDBFF\\uDFFF \\uD800\\uDC00",
            "naïve → 😀 日本", "", "plain", "a\\u0022b",
        ];
        foreach (string value in values)
        {
            string json = "{\"__metadata__\":{\"k" + value + "\":\"" + value + "\"}}";
            using JsonDocument reference = JsonDocument.Parse(json);
            JsonProperty expected = reference.RootElement.GetProperty("__metadata__").EnumerateObject().Single();
            KeyValuePair<string, string> actual = Assert.Single(Header(json).Metadata);
            Assert.Equal(expected.Name, actual.Key);
            Assert.Equal(expected.Value.GetString(), actual.Value);
        }
    }

    [Fact]
    public void Random_strings_written_by_Utf8JsonWriter_read_back_exactly()
    {
        var random = new Random(11);
        var encoders = new[] { JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping, JavaScriptEncoder.Create(UnicodeRanges.None) };
        for (int trial = 0; trial < 300; trial++)
        {
            var text = new StringBuilder();
            for (int i = random.Next(20); i > 0; i--)
            {
                int kind = random.Next(4);
                if (kind == 0) text.Append((char)random.Next(0, 0x80));
                else if (kind == 1) text.Append((char)random.Next(0x80, 0xD800));
                else if (kind == 2) text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                else text.Append((char)random.Next(0xE000, 0x10000));
            }
            string value = text.ToString();
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoders[trial % 3] }))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("__metadata__");
                writer.WriteString(value, value);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            Assert.Equal(value, Assert.Single(SafeTensorsFormat.ReadHeader("h", RawFile(buffer.WrittenSpan.ToArray(), [])).Metadata).Value);
        }
    }

    /// <summary>
    /// Random token sequences as a metadata value: the reader accepts exactly the texts that System.Text.Json parses
    /// and can decode (JsonDocument parses a lone surrogate escape, then fails to decode it) at the same depth limit.
    /// </summary>
    [Fact]
    public void Accepts_exactly_what_System_Text_Json_accepts_on_random_token_sequences()
    {
        string[] tokens =
        [
            "{", "}", "[", "]", ",", ":", "\"a\"", "\"\\u00e9\"", "\"\\uD800\"", "\"\\uDC00\\uD800\"", "\"\\q\"", "\"\\/\"", "0", "-0", "01", "1.5e3",
            "-", "1.", ".5", "1e", "2E-7", "true", "false", "null", "nul", " ", "\n", "\t", "/", "\"", "\\", "\u00e9", "\"\u0001\"", "1 2",
        ];
        var random = new Random(5);
        int accepted = 0;
        for (int trial = 0; trial < 10_000; trial++)
        {
            var fragment = new StringBuilder();
            for (int i = random.Next(1, 10); i > 0; i--) fragment.Append(tokens[random.Next(tokens.Length)]);
            string json = "{\"k\":" + fragment + "}";
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            bool reference;
            try
            {
                using JsonDocument document = JsonDocument.Parse(bytes);
                Decode(document.RootElement);
                reference = true;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                reference = false;
            }
            bool ours;
            try
            {
                SafeTensorsJson.Parse("h", bytes, 0, bytes.Length);
                ours = true;
            }
            catch (SafeTensorsException)
            {
                ours = false;
            }
            Assert.True(reference == ours, json + ": System.Text.Json " + (reference ? "accepts" : "rejects") + " it, SafeTensorsJson " + (ours ? "accepts" : "rejects"));
            if (ours) accepted++;
        }
        Assert.InRange(accepted, 200, 9_800); // both outcomes are common, so the comparison means something
    }

    private static void Decode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject())
                {
                    _ = p.Name;
                    Decode(p.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray()) Decode(item);
                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }

    [Fact]
    public void Utf8_validation_agrees_with_the_framework_on_random_and_boundary_bytes()
    {
        byte[][] cases =
        [
            [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0x9F, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xBF], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xFE], [0xFF], [0x7F],
        ];
        foreach (byte[] bytes in cases)
            Assert.True(Utf8.IsValid(bytes) == SafeTensorsFormat.IsValidUtf8(bytes, 0, bytes.Length), Convert.ToHexString(bytes));
        var random = new Random(3);
        for (int trial = 0; trial < 50_000; trial++)
        {
            var bytes = new byte[random.Next(1, 7)];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = random.Next(3) == 0 ? (byte)random.Next(0x80, 0xC0) : (byte)random.Next(0x80, 0x100);
            Assert.True(Utf8.IsValid(bytes) == SafeTensorsFormat.IsValidUtf8(bytes, 0, bytes.Length), Convert.ToHexString(bytes));
        }
    }
}
