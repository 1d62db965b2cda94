// The two vector widths generated kernels are written for: Vector256 (every machine) and Vector512 (where
// Vector512.IsHardwareAccelerated, a JIT-time constant), with the batched kernels' tile shapes for each.

namespace NetCompiler.Generator.Emit;

/// <summary>A vector width of the blocked kernels (<see cref="VectorWidth"/>) and its tile shapes.</summary>
/// <param name="Samples">Samples per tile of u = W·x.</param>
/// <param name="Rows">Rows of W per tile of u = W·x.</param>
/// <param name="GradientRows">Rows per tile of g_W += −û·xᵀ.</param>
/// <param name="GradientColumns">Column vectors per tile of g_W += −û·xᵀ.</param>
/// <param name="SensitivitySamples">Samples per tile of x̂ = Wᵀ·û.</param>
/// <param name="SensitivityColumns">Column vectors per tile of x̂ = Wᵀ·û.</param>
internal sealed record Width(VectorWidth Vector, int Samples, int Rows, int GradientRows, int GradientColumns, int SensitivitySamples, int SensitivityColumns)
{
    /// <summary>"Simd::Vector256" or "…Vector512".</summary>
    public string Class => Vector.Class;
    /// <summary>The vector type, e.g. "Simd::Vector512&lt;float&gt;".</summary>
    public string Type => Vector.Type;
    /// <summary>Elements per vector.</summary>
    public int Lanes => Vector.Lanes;

    public string Load(string buffer, Index index) => Vector.Load(buffer, index);
    public string Store(string value, string buffer, Index index) => Vector.Store(value, buffer, index);
    /// <summary>a·b + c, fused.</summary>
    public string MultiplyAdd(string a, string b, string c) => Vector.Fma(a, b, c);
    /// <summary>c − a·b, fused.</summary>
    public string MultiplyAddNegated(string a, string b, string c) => Vector.FmaNegated(a, b, c);
}
/// <summary>
/// A vector width the kernels can be written for: Vector256 (every machine; the fallback) or Vector512 (where
/// <c>Vector512.IsHardwareAccelerated</c>, a JIT-time constant, so only one of the two versions is compiled).
/// The convolution and pooling kernels use it directly; the blocked dense kernels through <see cref="Width"/>,
/// which adds their tile shapes.
/// </summary>
internal sealed class VectorWidth
{
    private readonly string _class;
    private readonly bool _wide;

    public VectorWidth(ElementType t, bool wide)
    {
        _wide = wide;
        Lanes = wide ? 2 * t.Lanes : t.Lanes;
        _class = "Simd::Vector" + (wide ? "512" : "256");
        Type = _class + "<" + t.Name + ">";
    }

    /// <summary>Elements per vector.</summary>
    public int Lanes { get; }

    /// <summary>Vector512 (else Vector256).</summary>
    public bool Wide => _wide;

    /// <summary>"Simd::Vector512".</summary>
    public string Class => _class;

    /// <summary>"Simd::Vector512&lt;float&gt;".</summary>
    public string Type { get; }

    public string Load(string buffer, string index) => _class + ".LoadUnsafe(ref " + buffer + ", " + EmitterBase.Offset(index) + ")";

    public string Load(string buffer, Index index) => _class + ".LoadUnsafe(ref " + buffer + ", " + index.AsOffset() + ")";

    public string Store(string value, string buffer, string index) => _class + ".StoreUnsafe(" + value + ", ref " + buffer + ", " + EmitterBase.Offset(index) + ");";

    public string Store(string value, string buffer, Index index) => _class + ".StoreUnsafe(" + value + ", ref " + buffer + ", " + index.AsOffset() + ");";

    public string Broadcast(string value) => _class + ".Create(" + value + ")";

    /// <summary>a·b + c fused: AVX-512F's vfmadd (always there with Vector512), VectorMath's for Vector256.</summary>
    public string Fma(string a, string b, string c) =>
        (_wide ? "Simd::X86.Avx512F.FusedMultiplyAdd(" : "Nc::VectorMath.MultiplyAdd(") + a + ", " + b + ", " + c + ")";

    /// <summary>c − a·b fused: AVX-512F's vfnmadd, VectorMath's for Vector256.</summary>
    public string FmaNegated(string a, string b, string c) =>
        (_wide ? "Simd::X86.Avx512F.FusedMultiplyAddNegated(" : "Nc::VectorMath.MultiplyAddNegated(") + a + ", " + b + ", " + c + ")";
}
