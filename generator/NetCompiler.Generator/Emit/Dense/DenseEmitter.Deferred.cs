// A graph's dense layer whose g_W is deferred in BackwardBatch (Planner.DefersGradient): each sample's backward pass
// records û and x, and FlushDeferred adds g_W += −û_b·x_bᵀ for up to Tuning.DeferredSamples samples in one pass over
// g_W. Per sample, a W larger than L1 made every Backward read and write all of g_W from L2 (LeNet-5's C5: 192 KB).
// Each element of g_W takes the samples' terms one fused multiply-add at a time in sample order, as the per-sample
// path does, so BackwardBatch's gradient is the same bit for bit.

namespace NetCompiler.Generator.Emit;

internal sealed partial class DenseEmitter
{
    /// <summary>In BackwardLayer{l}: û and x of this sample into row _deferred of the layer's record.</summary>
    private void RecordDeferred(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, src = layer.Sources[0], m = layer.Outputs, n = layer.SourceShapes[0].Size;
        string span = "global::System.Span<" + T + ">", readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("// In BackwardBatch: û" + Sup(l) + " and x" + Sup(src) + " are recorded; FlushDeferred adds g_" + MathWeight(layer, 0) + " += −û·xᵀ for the recorded samples at once.");
        w.Line("new " + readOnlySpan + "(_s" + l + ", 0, " + m + ").CopyTo(new " + span + "(_deferU" + l + ", _deferred * " + m + ", " + m + "));");
        w.Line("new " + readOnlySpan + "(_x" + src + ", 0, " + n + ").CopyTo(new " + span + "(_deferX" + l + ", _deferred * " + n + ", " + n + "));");
    }

    /// <summary>
    /// The body of DeferredGradientLayer{l}(count): for each row i of g_W and each block of column vectors, the block
    /// of g_W in registers takes −û_b[i]·x_b for b = 0 … count − 1 and is stored once. The tail vector overlaps the
    /// one before it: x is masked there and the lanes the vector before it stored are kept.
    /// </summary>
    internal void WriteDeferredGradient(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, n = layer.SourceShapes[0].Size, whole = n / V, tail = n % V;
        string weights = WeightName(layer, 0);
        w.Line(Ref("g", "_gradients"));
        w.Line(Ref("uRows", "_deferU" + l) + " // û of sample b at b·" + m);
        w.Line(Ref("xRows", "_deferX" + l) + " // x of sample b at b·" + n);
        ForEachColumnBlock(w, "c", n, Tuning.DeferredColumns, whole / Tuning.DeferredColumns <= 1, block =>
        {
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
            {
                w.Line("ref " + T + " gRow = ref " + At("g", weights + " + i * " + n) + ";");
                for (int k = 0; k < block.Count; k++)
                    w.Line(VectorType + " gradient_" + k + " = " + Load("gRow", block[k].Offset) + ";");
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line(VectorType + " uHat = " + Broadcast(At("uRows", "b * " + m + " + i")) + ";");
                    w.Line("ref " + T + " xRow = ref " + At("xRows", "b * " + n) + ";");
                    for (int k = 0; k < block.Count; k++)
                        w.Line("gradient_" + k + " = Nc::VectorMath.MultiplyAddNegated(uHat, " + Load("xRow", block[k].Offset) +
                               (block[k].Tail ? " & " + Element.MaskLast(tail) : "") + ", gradient_" + k + ");");
                }
                for (int k = 0; k < block.Count; k++)
                {
                    Index c = block[k].Offset;
                    if (block[k].Tail)
                        w.Line(Store("Simd::Vector256.ConditionalSelect(" + Element.MaskLast(tail) + ", gradient_" + k + ", " + Load("gRow", c) + ")", "gRow", c) +
                               " // the lanes the vector before it stored are kept");
                    else
                        w.Line(Store("gradient_" + k, "gRow", c));
                }
            }
        });
    }
}
