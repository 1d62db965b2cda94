// Dense layers of n < V inputs dividing V, over a chunk: V/n rows a vector, as the per-sample narrow kernel.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseBatchEmitter
{
    /// <summary>
    /// u = W·x + b for n &lt; V inputs, n dividing V, sample by sample as in the per-sample kernel: each vector of W
    /// holds V/n rows, multiplied by the sample's x repeated; pairwise adds leave V outputs a vector.
    /// </summary>
    private void ForwardBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = Element.Padded(n), outStride = Element.Padded(m);
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": per sample, each vector of W" + Sup(l) + " holds " + V / n + " rows, multiplied by x repeated " + V / n + " times;" +
               (n > 1 ? " adding neighbouring lanes " + Log2(n) + " time" + (n == 2 ? "" : "s") + " leaves one u_i a lane." : " each lane is one u_i."));
        using (SampleLoop(w, ("xb", "x", inStride), ("ub", "u", outStride)))
        {
            w.Line(VectorType + " xRepeated = " + C.Dense.RepeatedInput("xb", n) + ";");
            for (int first = 0; first < m; first += V)
            {
                int vectors = System.Math.Min(n, (m - first) * n / V);
                var products = new System.Collections.Generic.List<string>();
                for (int k = 0; k < vectors; k++)
                {
                    string name = "w" + (first / V * n + k) + "x";
                    w.Line(VectorType + " " + name + " = " + Load("p", new Index("W" + l, first * n + k * V)) + " * xRepeated;");
                    products.Add(name);
                }
                string sum = SumRuns(w, products, n, "sum" + (first / V) + "_")[0];
                w.Line(Store(sum + " + " + C.Dense.BiasVector(layer, first), "ub", first));
            }
        }
    }

    /// <summary>
    /// g_W += −Σ_b û_b·x_bᵀ for n &lt; V inputs, n dividing V: the m·n/V vectors of g_W stay in registers while the
    /// chunk streams past; per sample, x repeated times û spread over each row's n lanes.
    /// </summary>
    private void GradientBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = Element.Padded(n), outStride = Element.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": the " + vectors + " vector" + (vectors == 1 ? "" : "s") + " of g_W" + Sup(l) + " (" + rowsPerVector + " rows each) stay in registers while the chunk streams past.");
        using (w.Open())
        {
            for (int k = 0; k < vectors; k++)
                w.Line(VectorType + " gw" + k + " = " + Load("g", new Index("W" + l, k * V)) + ";");
            using (SampleLoop(w, ("xb", "x", inStride), ("sb", "s", outStride)))
            {
                w.Line(VectorType + " xRepeated = " + C.Dense.RepeatedInput("xb", n) + ";");
                for (int c = 0; c * V < m; c++)
                    w.Line(VectorType + " uHat" + c + " = " + Load("sb", c * V) + ";");
                for (int k = 0; k < vectors; k++)
                {
                    int first = k * rowsPerVector, offset = first % V;
                    w.Line("gw" + k + " = Nc::VectorMath.MultiplyAddNegated(" + Permute("uHat" + first / V, t => offset + t / n) + ", xRepeated, gw" + k + "); // rows " + first + "…" + (first + rowsPerVector - 1));
                }
            }
            for (int k = 0; k < vectors; k++)
                w.Line(Store("gw" + k, "g", new Index("W" + l, k * V)));
        }
    }

    /// <summary>
    /// x̂ = Wᵀ·û per sample for n &lt; V inputs, n dividing V: W's vectors times û spread over each row's n lanes, summed,
    /// then folded onto the first n lanes (x̂_j sums the lanes j, j + n, …).
    /// </summary>
    private void InputSensitivityBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = Element.Padded(n), outStride = Element.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// x̂" + Sup(l - 1) + " per sample: W" + Sup(l) + "'s vectors times û" + Sup(l) + " spread over each row's " + n + " lanes, summed, then folded onto the first " + n + " lanes.");
        using (SampleLoop(w, ("sb", "s", outStride), ("hb", "sIn", inStride)))
        {
            for (int c = 0; c * V < m; c++)
                w.Line(VectorType + " uHat" + c + " = " + Load("sb", c * V) + ";");
            var terms = new System.Collections.Generic.List<string>();
            for (int k = 0; k < vectors; k++)
            {
                int first = k * rowsPerVector, offset = first % V;
                w.Line(VectorType + " rows" + k + " = " + Load("p", new Index("W" + l, k * V)) + " * " + Permute("uHat" + first / V, t => offset + t / n) + ";");
                terms.Add("rows" + k);
            }
            w.Line(VectorType + " xHat = " + SumTree(terms) + ";");
            for (int half = V / 2; half >= n; half /= 2)
            {
                int h = half;
                w.Line("xHat += " + Permute("xHat", t => (t + h) % V) + ";");
            }
            w.Line(Store("xHat & " + Element.MaskFirst(n), "hb", 0));
        }
    }
}
