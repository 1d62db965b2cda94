using System.Text;

namespace NetCompiler.Generator.Emit;

/// <summary>The element type of a generated network: its C# name, lanes per Vector256 and literal syntax.</summary>
internal sealed class ElementType
{
    public static readonly ElementType Single = new("float", 8, "f", "", "AsSingle", "global::System.MathF");
    public static readonly ElementType Double = new("double", 4, "d", "L", "AsDouble", "global::System.Math");

    private readonly string _suffix;
    private readonly string _integerSuffix;
    private readonly string _asMethod;

    private ElementType(string name, int lanes, string suffix, string integerSuffix, string asMethod, string math)
    {
        Name = name;
        Lanes = lanes;
        _suffix = suffix;
        _integerSuffix = integerSuffix;
        _asMethod = asMethod;
        Math = math;
    }

    /// <summary>The element type of a network of <paramref name="precision"/>.</summary>
    public static ElementType Of(Precision precision) => precision == Precision.Double ? Double : Single;

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

    /// <summary>A constant Vector256 mask keeping the last <paramref name="keep"/> lanes (for a vector that overlaps the one before it).</summary>
    public string MaskLast(int keep) => Mask("Simd::Vector256", Lanes, keep, last: true);

    /// <summary>A constant Vector256 mask keeping the first <paramref name="keep"/> lanes (for a vector that runs past the end).</summary>
    public string MaskFirst(int keep) => Mask("Simd::Vector256", Lanes, keep, last: false);

    /// <summary>
    /// A constant mask of <paramref name="lanes"/> lanes of <paramref name="vectorClass"/> keeping the last (or first)
    /// <paramref name="keep"/>: integer lanes of all ones (−1) or zeros, reinterpreted as the element type.
    /// </summary>
    public string Mask(string vectorClass, int lanes, int keep, bool last)
    {
        var text = new StringBuilder(vectorClass + "." + _asMethod + "(" + vectorClass + ".Create(");
        for (int lane = 0; lane < lanes; lane++)
        {
            if (lane > 0) text.Append(", ");
            bool kept = last ? lane >= lanes - keep : lane < keep;
            text.Append(kept ? "-1" : "0").Append(_integerSuffix);
        }
        return text.Append("))").ToString();
    }
}
