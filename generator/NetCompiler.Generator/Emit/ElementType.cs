using System.Globalization;
using System.Text;

namespace NetCompiler.Generator.Emit;

/// <summary>The element type of a generated network: its C# name, lanes per Vector256 and literal syntax.</summary>
internal sealed class ElementType
{
    public static readonly ElementType Single = new("float", 8, "f", "uint", "0xFFFFFFFFu", "AsSingle", "global::System.MathF");
    public static readonly ElementType Double = new("double", 4, "d", "ulong", "0xFFFFFFFFFFFFFFFFul", "AsDouble", "global::System.Math");

    private readonly string _suffix;
    private readonly string _maskElement;
    private readonly string _allOnes;
    private readonly string _asMethod;

    private ElementType(string name, int lanes, string suffix, string maskElement, string allOnes, string asMethod, string math)
    {
        Name = name;
        Lanes = lanes;
        _suffix = suffix;
        _maskElement = maskElement;
        _allOnes = allOnes;
        _asMethod = asMethod;
        Math = math;
    }

    /// <summary>"float" or "double".</summary>
    public string Name { get; }

    /// <summary>Elements per Vector256: 8 or 4.</summary>
    public int Lanes { get; }

    /// <summary>The scalar math class: MathF or Math.</summary>
    public string Math { get; }

    /// <summary>A literal in invariant round-trip form, for example "0.01f".</summary>
    public string Literal(double value) =>
        (Name == "float" ? ((float)value).ToString("R", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture)) + _suffix;

    /// <summary>Lanes to fill up <paramref name="count"/> elements with whole vectors.</summary>
    public int Padded(int count) => (count + Lanes - 1) / Lanes * Lanes;

    /// <summary>A constant mask keeping the last <paramref name="keep"/> lanes (for a vector that overlaps the one before it).</summary>
    public string MaskLast(int keep) => Mask(lane => lane >= Lanes - keep);

    /// <summary>A constant mask keeping the first <paramref name="keep"/> lanes (for a vector that runs past the end).</summary>
    public string MaskFirst(int keep) => Mask(lane => lane < keep);

    private string Mask(System.Func<int, bool> keep)
    {
        var text = new StringBuilder("global::System.Runtime.Intrinsics.Vector256." + _asMethod + "(global::System.Runtime.Intrinsics.Vector256.Create(");
        for (int lane = 0; lane < Lanes; lane++)
        {
            if (lane > 0) text.Append(", ");
            text.Append(keep(lane) ? _allOnes : "0" + (_maskElement == "uint" ? "u" : "ul"));
        }
        return text.Append("))").ToString();
    }
}
