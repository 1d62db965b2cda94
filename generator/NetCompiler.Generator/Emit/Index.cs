
namespace NetCompiler.Generator.Emit;

/// <summary>
/// An index in generated code: a loop variable plus a constant, or a constant alone when the loop is written out,
/// so one kernel body serves both the rolled and the unrolled form.
/// </summary>
internal readonly struct Index
{
    public Index(string? variable, int offset)
    {
        Variable = variable;
        Offset = offset;
    }

    public string? Variable { get; }
    public int Offset { get; }

    public static implicit operator Index(int constant) => new(null, constant);

    public Index Plus(int delta) => new(Variable, Offset + delta);

    /// <summary>The index as an int expression: "i", "i + 8" or "16".</summary>
    public override string ToString() =>
        Variable is null ? Offset.ToString(CultureInfo.InvariantCulture)
        : Offset == 0 ? Variable
        : Variable + " + " + Offset.ToString(CultureInfo.InvariantCulture);

    /// <summary>The index as an element offset for Vector256.LoadUnsafe / StoreUnsafe (nuint).</summary>
    public string AsOffset() => Variable is null ? ToString() : Offset == 0 ? "(nuint)" + Variable : "(nuint)(" + ToString() + ")";

    /// <summary>"(i + 2) * 784", or a constant ("2352" for row 3): the start of row <c>this</c> in a row-major matrix.</summary>
    public string Times(int stride) =>
        Variable is null ? (Offset * stride).ToString(CultureInfo.InvariantCulture)
        : (Offset != 0 ? "(" + ToString() + ")" : ToString()) + " * " + stride.ToString(CultureInfo.InvariantCulture);
}
