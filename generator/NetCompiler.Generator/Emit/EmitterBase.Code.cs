// Code snippets every emitter writes with: loads, stores, element refs, loops written out or not, masks, lane sums.
// Each returns C# text; none decides which kernel runs (Plan/ does).
using Microsoft.CodeAnalysis.CSharp;

namespace NetCompiler.Generator.Emit;

internal abstract partial class EmitterBase
{
    protected const string UnsafeAdd = "Compiler::Unsafe.Add";

    /// <summary>A constant mask of <paramref name="k"/>'s width keeping the last <paramref name="keep"/> lanes.</summary>
    protected string MaskLast(Width k, int keep) => Element.Mask(k.Class, k.Lanes, keep, last: true);

    /// <summary>"o * 784 + y * 28 + 3": a linear int expression of loop variables (or the constants they are when written out).</summary>
    protected static string Lin(int constant, params (Index Index, int Scale)[] terms)
    {
        var text = new System.Text.StringBuilder();
        void Term(bool negative, string term)
        {
            if (text.Length == 0) text.Append(negative ? "-" : "").Append(term);
            else text.Append(negative ? " - " : " + ").Append(term);
        }
        foreach ((Index index, int scale) in terms)
        {
            constant += index.Offset * scale;
            if (index.Variable is null || scale == 0) continue;
            int size = Math.Abs(scale);
            Term(scale < 0, size == 1 ? index.Variable : index.Variable + " * " + size.ToString(CultureInfo.InvariantCulture));
        }
        if (constant != 0 || text.Length == 0) Term(constant < 0, Math.Abs(constant).ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Writes a loop over <paramref name="count"/> values of <paramref name="variable"/>, or the body once with 0, in a block, when count is 1.</summary>
    protected static void Loop(SourceWriter w, string variable, int count, Action<Index> body)
    {
        if (count == 1)
        {
            // Still a block: the body's locals stay in its scope, as the loop's would (a Conv1D of one map and one
            // channel declared w twice in BackwardLayer, CS0136).
            using (w.Open()) body(0);
            return;
        }
        using (w.Open("for (int " + variable + " = 0; " + variable + " < " + count + "; " + variable + "++)"))
            body(new Index(variable, 0));
    }

    /// <summary>Writes <paramref name="body"/> in a block of its own when <paramref name="open"/>, else as it is.</summary>
    protected static void Scope(SourceWriter w, bool open, Action body)
    {
        if (!open)
        {
            body();
            return;
        }
        using (w.Open()) body();
    }

    /// <summary>Declares <paramref name="name"/> = Σ buffer[offset…offset + count): whole vectors, the last masked where it overlaps; scalars below a vector.</summary>
    protected void SumRange(SourceWriter w, string name, string buffer, string offset, int count)
    {
        string At0(string j) => offset == "0" ? j : j == "0" ? offset : offset + " + " + j;
        if (count < V)
        {
            w.Line(T + " " + name + " = " + string.Join(" + ", Enumerable.Range(0, count).Select(j => At(buffer, At0(j.ToString(CultureInfo.InvariantCulture))))) + ";");
            return;
        }
        int whole = count / V, tail = count % V;
        w.Line(VectorType + " " + name + "Vector = " + VectorType + ".Zero;");
        Range(w, "j", 0, whole * V, V, whole <= CostModel.ElementwiseUnrollLimit, j =>
            w.Line(name + "Vector += " + LoadAt(buffer, At0(j.ToString())) + ";"));
        if (tail > 0)
            w.Line(name + "Vector += " + LoadAt(buffer, At0((count - V).ToString(CultureInfo.InvariantCulture))) + " & " + Element.MaskLast(tail) + "; // overlaps the vector before it");
        w.Line(T + " " + name + " = " + Sum(name + "Vector") + ";");
    }

    /// <summary>Whether copying <paramref name="count"/> elements is a handful of moves (the JIT unrolls constant-size block copies).</summary>
    protected bool SmallCopy(int count) => Planner.IsSmallCopy(count, V);

    protected string CopyBlock(string destination, string source, string count) =>
        "Compiler::Unsafe.CopyBlockUnaligned(ref Compiler::Unsafe.As<" + T + ", byte>(ref " + destination + "), ref Compiler::Unsafe.As<" + T + ", byte>(ref " + source + "), " + count + " * sizeof(" + T + "));";

    /// <summary>
    /// Reduces <paramref name="vectors"/>, whose lanes run in groups of <paramref name="run"/> (a power of 2), to one
    /// lane per group: log₂ run levels of <c>VectorMath.AddPairs</c>. Returns the names of the resulting vectors.
    /// </summary>
    protected List<string> SumRuns(SourceWriter w, List<string> vectors, int run, string prefix)
    {
        int level = 0;
        while (run > 1)
        {
            level++;
            var next = new List<string>();
            for (int k = 0; k < vectors.Count; k += 2)
            {
                string a = vectors[k], b = k + 1 < vectors.Count ? vectors[k + 1] : VectorType + ".Zero";
                string name = prefix + level + "_" + k / 2;
                w.Line(VectorType + " " + name + " = Nc::VectorMath.AddPairs(" + a + ", " + b + ");");
                next.Add(name);
            }
            vectors = next;
            run /= 2;
        }
        return vectors;
    }

    /// <summary>
    /// dst[dstOffset + j] += src[srcOffset + j] for j below count: whole vectors, the last one overlapping the one
    /// before it with the overlapped lanes of src masked to 0; scalars when count is below a vector.
    /// </summary>
    protected void AddRange(SourceWriter w, string dst, string dstOffset, string src, string srcOffset, int count)
    {
        string Plus(string offset, string j) => offset == "0" ? j : j == "0" ? offset : offset + " + " + j;
        if (count < V)
        {
            using (w.Open("for (int j = 0; j < " + count + "; j++)"))
                w.Line(At(dst, Plus(dstOffset, "j")) + " += " + At(src, Plus(srcOffset, "j")) + ";");
            return;
        }
        int whole = count / V, tail = count % V;
        Range(w, "j", 0, whole * V, V, whole <= CostModel.ElementwiseUnrollLimit, j =>
            w.Line(StoreAt(LoadAt(dst, Plus(dstOffset, j.ToString())) + " + " + LoadAt(src, Plus(srcOffset, j.ToString())), dst, Plus(dstOffset, j.ToString()))));
        if (tail > 0)
        {
            string last = (count - V).ToString(CultureInfo.InvariantCulture);
            w.Line("// The last vector overlaps the one before it; its first " + (V - tail) + " lanes add 0.");
            w.Line(StoreAt(LoadAt(dst, Plus(dstOffset, last)) + " + (" + LoadAt(src, Plus(srcOffset, last)) + " & " + Element.MaskLast(tail) + ")", dst, Plus(dstOffset, last)));
        }
    }

    /// <summary>An int expression as a nuint element offset.</summary>
    internal static string Offset(string index)
    {
        index = Fold(index);
        return int.TryParse(index, out _) ? index : SyntaxFacts.IsValidIdentifier(index) ? "(nuint)" + index : "(nuint)(" + index + ")";
    }

    /// <summary>An index expression without its additions of 0: "W1 + 0" → "W1", "0 + j" → "j".</summary>
    internal static string Fold(string index)
    {
        if (index.EndsWith(" + 0", StringComparison.Ordinal)) index = index.Substring(0, index.Length - 4);
        if (index.StartsWith("0 + ", StringComparison.Ordinal)) index = index.Substring(4);
        return index;
    }

    protected string LoadAt(string buffer, string index) => "Simd::Vector256.LoadUnsafe(ref " + buffer + ", " + Offset(index) + ")";

    protected string StoreAt(string value, string buffer, string index) => "Simd::Vector256.StoreUnsafe(" + value + ", ref " + buffer + ", " + Offset(index) + ");";

    protected string Broadcast(string value) => "Simd::Vector256.Create(" + value + ")";

    protected static string Fma(string a, string b, string c) => "Nc::VectorMath.MultiplyAdd(" + a + ", " + b + ", " + c + ")";

    protected static string Sum(string vector) => "Simd::Vector256.Sum(" + vector + ")";

    /// <summary>A vector whose lane t is lane <paramref name="lane"/>(t) of <paramref name="vector"/> (a constant permutation).</summary>
    protected string Permute(string vector, System.Func<int, int> lane)
    {
        return "Simd::Vector256.Shuffle(" + vector + ", Simd::Vector256.Create(" +
               string.Join(", ", Enumerable.Range(0, V).Select(t => (Element.Name == "float" ? "" : "(long)") + lane(t).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "))";
    }

    /// <summary>Sums named vectors pairwise (a tree, so the chain is log₂ k additions deep); returns the expression.</summary>
    protected static string SumTree(List<string> terms)
    {
        while (terms.Count > 1)
        {
            var next = new List<string>();
            for (int k = 0; k < terms.Count; k += 2)
                next.Add(k + 1 < terms.Count ? "(" + terms[k] + " + " + terms[k + 1] + ")" : terms[k]);
            terms = next;
        }
        return terms[0];
    }

    /// <summary>Writes <paramref name="body"/> twice: for Vector512 when the hardware has it, else for Vector256.</summary>
    protected void ByWidth(SourceWriter w, System.Action<Width> body)
    {
        using (w.Open("if (Simd::Vector512.IsHardwareAccelerated)"))
            body(Wide512);
        using (w.Open("else"))
            body(Narrow256);
    }

    /// <summary>The vectors of a row of <paramref name="n"/> at the Vector256 width.</summary>
    protected List<(int Start, bool Tail)> RowVectors(int n) => RowVectors(n, V);

    /// <summary>The column vectors of a row of n: whole vectors, then one overlapping the last (its <c>Tail</c> lanes are new).</summary>
    protected static List<(int Start, bool Tail)> RowVectors(int n, int lanes)
    {
        var vectors = new List<(int, bool)>();
        for (int j = 0; j + lanes <= n; j += lanes) vectors.Add((j, false));
        if (n % lanes > 0) vectors.Add((n - lanes, true));
        return vectors;
    }

    /// <summary>A bool expression: whether any bit of <paramref name="vector"/> is set (−0 included: every lane must become +0).</summary>
    protected string NonZeroBits(Width k, string vector)
    {
        string bits = T == "float" ? "UInt32" : "UInt64", element = T == "float" ? "uint" : "ulong";
        return k.Class + ".As" + bits + "(" + vector + ") != " + k.Class + "<" + element + ">.Zero";
    }

    /// <summary>((a + b) + (c + d)) + …: a balanced sum of the terms, as <see cref="SumTree"/> without its outer parentheses.</summary>
    protected static string PairwiseSum(List<string> terms)
    {
        string sum = SumTree(terms);
        return terms.Count > 1 ? sum.Substring(1, sum.Length - 2) : sum;
    }

    /// <summary>Writes <paramref name="body"/> for start, start + step, … below end: as a loop, or written out.</summary>
    protected static void Range(SourceWriter w, string variable, int start, int end, int step, bool unroll, Action<Index> body, bool scopeEach = false)
    {
        if (start >= end) return;
        if (unroll)
        {
            for (int k = start; k < end; k += step)
            {
                if (scopeEach)
                    using (w.Open()) body(k);
                else
                    body(k);
            }
            return;
        }
        string increment = step == 1 ? variable + "++" : variable + " += " + step;
        using (w.Open("for (int " + variable + " = " + start + "; " + variable + " < " + end + "; " + increment + ")"))
            body(new Index(variable, 0));
    }

    /// <summary>A vector from one expression per lane: <paramref name="lane"/>(k) for k = 0…V−1.</summary>
    protected string VectorOfLanes(Func<int, string> lane) =>
        "Simd::Vector256.Create(" + string.Join(", ", Enumerable.Range(0, V).Select(lane)) + ")";

    protected string Load(string buffer, Index index) => "Simd::Vector256.LoadUnsafe(ref " + buffer + ", " + index.AsOffset() + ")";

    protected string Store(string value, string buffer, Index index) => "Simd::Vector256.StoreUnsafe(" + value + ", ref " + buffer + ", " + index.AsOffset() + ");";

    /// <summary>Element <paramref name="index"/> of <paramref name="buffer"/> (a ref local) as a ref expression; a constant 0 is the ref itself.</summary>
    protected static string At(string buffer, string index) =>
        Fold(index) == "0" ? buffer : "Compiler::Unsafe.Add(ref " + buffer + ", " + Fold(index) + ")";

    protected string Ref(string name, string array) => "ref " + T + " " + name + " = ref " + StartOf(array) + ";";

    /// <summary>A ref local to θ[0]: the first element of the network's NetworkWeights, pinned and 64-byte aligned.</summary>
    protected string ThetaRef(string name) => "ref " + T + " " + name + " = ref _weights.GetPinnableReference();";
}
