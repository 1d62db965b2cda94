using System;
using System.Collections.Generic;

namespace NetCompiler.Generator.Emit;

/// <summary>
/// The batched entry points: ForwardBatch, BackwardBatch and TrainStepBatch over inputs and targets laid out
/// [batch, features] row-major.
/// </summary>
/// <remarks>
/// <para>
/// A dense chain gets blocked kernels over buffers of <see cref="MaxBatch"/> samples (one padded row per sample;
/// larger batches run in chunks): u = W·x takes <see cref="BatchSamples"/> samples × <see cref="BatchRows"/> rows
/// at a time, so each vector of a weight row that is loaded feeds several samples held in registers; g_W += −û·xᵀ
/// keeps a tile of <see cref="BatchRows"/> rows × <see cref="BatchColumns"/> column vectors of g_W in registers
/// while the whole batch streams past, so g_W is loaded and stored once per chunk instead of once per sample; and
/// x̂ = Wᵀ·û takes <see cref="BatchSamples"/> samples × <see cref="BatchColumns"/> column vectors per tile. Every
/// sum runs in the same order as the per-sample kernels, so the results equal B calls of Forward/Backward (up to
/// the scalar paths' order of the squared-error loss). Each layer has its own forward and backward method, which
/// keeps every method small and fully optimised by the JIT.
/// </para>
/// <para>
/// A graph gets the same entry points as a loop over the per-sample path: correct, not yet blocked.
/// </para>
/// </remarks>
internal sealed partial class NetworkEmitter
{
    /// <summary>Samples held in the batch buffers; larger batches are processed in chunks of this many.</summary>
    internal const int MaxBatch = 64;
    /// <summary>Samples per tile in u = W·x and x̂ = Wᵀ·û.</summary>
    private const int BatchSamples = 4;
    /// <summary>Rows of W per tile in u = W·x and g_W += −û·xᵀ.</summary>
    private const int BatchRows = 4;
    /// <summary>Column vectors per tile in g_W += −û·xᵀ and x̂ = Wᵀ·û.</summary>
    private const int BatchColumns = 2;

    private const string UnsafeAdd = "global::System.Runtime.CompilerServices.Unsafe.Add";

    // ---------------------------------------------------------------------------------------------------------------
    // The public entry points, shared by both paths.

    private void WriteBatchEntryPoints(SourceWriter w, bool blocked)
    {
        string span = "global::System.Span<" + T + ">", readOnlySpan = "global::System.ReadOnlySpan<" + T + ">";
        w.Line("/// <summary>");
        w.Line("/// Forward over <paramref name=\"batch\"/> samples: <paramref name=\"inputs\"/> is [batch, InputSize] row-major and");
        w.Line("/// <paramref name=\"outputs\"/> receives [batch, OutputSize]; the same results as Forward on each row. " +
               (blocked ? "Runs in chunks of MaxBatch samples through blocked kernels; allocates nothing." : "A loop over Forward (the graph path is not yet blocked); allocates nothing."));
        w.Line(blocked ? "/// Activities and the per-sample state are not changed." : "/// Activities afterwards are those of the last sample.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or outputs not batch × " + _topology.OutputSize + ".</exception>");
        using (w.Open("public void ForwardBatch(" + readOnlySpan + " inputs, " + span + " outputs, int batch)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != outputs.Length) ThrowBatchLength(nameof(outputs), batch, OutputSize, outputs.Length);");
            if (blocked)
            {
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    int outStride = _t.Padded(Output.Outputs);
                    if (outStride == Output.Outputs)
                        w.Line("new " + readOnlySpan + "(_batchX" + Output.Number + ", 0, count * OutputSize).CopyTo(outputs.Slice(start * OutputSize));");
                    else
                        using (w.Open("for (int b = 0; b < count; b++)"))
                            w.Line("new " + readOnlySpan + "(_batchX" + Output.Number + ", b * " + outStride + ", OutputSize).CopyTo(outputs.Slice((start + b) * OutputSize, OutputSize));");
                }
            }
            else
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                    w.Line("Forward(inputs.Slice(b * InputSize, InputSize), outputs.Slice(b * OutputSize, OutputSize));");
            }
        }
        w.Line();
        if (!Trainable) return;

        w.Line("/// <summary>");
        w.Line("/// Forward and backward over <paramref name=\"batch\"/> samples ([batch, InputSize] inputs, [batch, OutputSize] targets),");
        w.Line("/// adding the summed ∂L/∂θ to Gradients (+=) as batch Forward/Backward pairs would; returns the summed loss.");
        w.Line("/// For a mean step, follow with Update(learningRate / batch). " + (blocked ? "Blocked kernels, in chunks of MaxBatch samples." : "A loop over the per-sample path (not yet blocked)."));
        w.Line(blocked ? "/// Activities, Sensitivities and the per-sample state are not changed." : "/// Activities and Sensitivities afterwards are those of the last sample.");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or targets not batch × " + _topology.OutputSize + ".</exception>");
        using (w.Open("public " + T + " BackwardBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch)"))
        {
            w.Line("if (batch < 0) throw new global::System.ArgumentOutOfRangeException(nameof(batch), batch, \"The batch size cannot be negative.\");");
            w.Line("if ((long)batch * InputSize != inputs.Length) ThrowBatchLength(nameof(inputs), batch, InputSize, inputs.Length);");
            w.Line("if ((long)batch * OutputSize != targets.Length) ThrowBatchLength(nameof(targets), batch, OutputSize, targets.Length);");
            w.Line(T + " loss = 0;");
            if (blocked)
            {
                using (w.Open("for (int start = 0; start < batch; start += MaxBatch)"))
                {
                    w.Line("int count = global::System.Math.Min(MaxBatch, batch - start);");
                    w.Line("ForwardBatchCore(inputs.Slice(start * InputSize, count * InputSize), count);");
                    w.Line("loss += BackwardBatchOutput(targets.Slice(start * OutputSize, count * OutputSize), count);");
                    for (int l = L; l >= 1; l--) w.Line("BackwardBatchLayer" + l + "(count);");
                }
            }
            else
            {
                using (w.Open("for (int b = 0; b < batch; b++)"))
                {
                    w.Line("ForwardCore(inputs.Slice(b * InputSize, InputSize));");
                    w.Line("loss += Backward(targets.Slice(b * OutputSize, OutputSize));");
                }
            }
            w.Line("return loss;");
        }
        w.Line();

        w.Line("/// <summary>BackwardBatch, then Update(learningRate): one SGD step with the summed gradient of the batch; returns the summed loss before the update.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">batch is negative.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">inputs is not batch × " + _topology.InputSize + " long or targets not batch × " + _topology.OutputSize + ".</exception>");
        using (w.Open("public " + T + " TrainStepBatch(" + readOnlySpan + " inputs, " + readOnlySpan + " targets, int batch, " + T + " learningRate)"))
        {
            w.Line(T + " loss = BackwardBatch(inputs, targets, batch);");
            w.Line("Update(learningRate);");
            w.Line("return loss;");
        }
        w.Line();
    }

    private static void WriteBatchHelpers(SourceWriter w)
    {
        w.Line("[global::System.Diagnostics.CodeAnalysis.DoesNotReturn]");
        w.Line("private static void ThrowBatchLength(string name, int batch, int size, int actual) =>");
        w.Line("    throw new global::System.ArgumentException(\"Expected \" + name + \" of length batch × size = \" + batch + \" × \" + size + \" = \" + ((long)batch * size) + \", got \" + actual + \".\", name);");
        w.Line();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The dense chain's buffers and kernels.

    private void WriteBatchBuffers(SourceWriter w)
    {
        w.Line("/// <summary>The samples the batched kernels hold at once; ForwardBatch, BackwardBatch and TrainStepBatch take larger batches in chunks of this many.</summary>");
        w.Line("public const int MaxBatch = " + MaxBatch + ";");
        w.Line("// The batched x⁰…x" + Sup(L) + (Trainable ? " and û¹…û" + Sup(L) : "") + ": MaxBatch rows each, every row padded to whole vectors like the per-sample buffers.");
        w.Line("private readonly " + T + "[] _batchX0 = new " + T + "[MaxBatch * " + _t.Padded(_topology.InputSize) + "];");
        foreach (LayerShape layer in _layers)
            w.Line("private readonly " + T + "[] _batchX" + layer.Number + " = new " + T + "[MaxBatch * " + _t.Padded(layer.Outputs) + "];");
        if (Trainable)
            foreach (LayerShape layer in _layers)
                w.Line("private readonly " + T + "[] _batchS" + layer.Number + " = new " + T + "[MaxBatch * " + _t.Padded(layer.Outputs) + "];");
        if (SoftmaxOutput)
        {
            w.Line("// u" + Sup(L) + " per sample and log Σ e^u (the softmax's shift plus the log of its normaliser), for the loss.");
            w.Line("private readonly " + T + "[] _batchU" + L + " = new " + T + "[MaxBatch * " + _t.Padded(Output.Outputs) + "];");
            w.Line("private readonly " + T + "[] _batchLogPartition = new " + T + "[MaxBatch];");
        }
        w.Line();
    }

    private void WriteBatchChain(SourceWriter w)
    {
        WriteBatchEntryPoints(w, blocked: true);
        int inStride = _t.Padded(_topology.InputSize);
        w.Line("// The chunk's inputs into padded rows of _batchX0 (the padding lanes stay 0), then each layer in turn.");
        using (w.Open("private void ForwardBatchCore(global::System.ReadOnlySpan<" + T + "> inputs, int count)"))
        {
            if (inStride == _topology.InputSize)
                w.Line("inputs.CopyTo(_batchX0);");
            else if (SmallCopy(_topology.InputSize))
            {
                w.Line("ref " + T + " source = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
                w.Line("ref " + T + " x0 = ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_batchX0);");
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line(CopyBlock(UnsafeAdd + "(ref x0, b * " + inStride + ")", UnsafeAdd + "(ref source, b * InputSize)", "InputSize") + " // a constant size: a few moves, no call");
            }
            else
                using (w.Open("for (int b = 0; b < count; b++)"))
                    w.Line("inputs.Slice(b * InputSize, InputSize).CopyTo(new global::System.Span<" + T + ">(_batchX0, b * " + inStride + ", InputSize));");
            foreach (LayerShape layer in _layers) w.Line("ForwardBatchLayer" + layer.Number + "(count);");
        }
        w.Line();
        foreach (LayerShape layer in _layers) WriteForwardBatchLayer(w, layer);
        if (Trainable)
        {
            WriteBackwardBatchOutput(w);
            foreach (LayerShape layer in _layers) WriteBackwardBatchLayer(w, layer);
        }
        WriteBatchHelpers(w);
    }

    private string BatchRef(string name, string array) => Ref(name, array);

    private void WriteForwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        bool softmax = layer.Activation == Activation.Softmax;
        w.Line("// Layer " + l + " over the chunk: u" + Sup(l) + " = W" + Sup(l) + "·x" + Sup(l - 1) + " + b" + Sup(l) + "  [" + n + " → " + m + "], x" + Sup(l) + " = " + FunctionText(layer.Activation, "u" + Sup(l)) + ".");
        using (w.Open("private void ForwardBatchLayer" + l + "(int count)"))
        {
            w.Line(BatchRef("p", "_parameters"));
            w.Line(BatchRef("x", "_batchX" + (l - 1)));
            w.Line(BatchRef("u", softmax ? "_batchU" + l : "_batchX" + l));
            if (n >= V && m <= V && m > 1)
            {
                // At most a vector of outputs: per sample, the rows' partial sums added pairwise into one vector, instead
                // of a horizontal sum per sample and row.
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
                    DenseForwardRowsToVector(w, layer, "xb", "ub");
                }
            }
            else if (n >= V)
            using (w.Open())
            {
                w.Line("// Tiles of " + BatchSamples + " samples × " + BatchRows + " rows: each vector of a row of W feeds " + BatchSamples + " FMAs, each of x " + BatchRows + ".");
                if (n % V > 0) w.Line(VectorType + " tailMask = " + _t.MaskLast(n % V) + ";");
                w.Line("int b = 0;");
                using (w.Open("for (; b + " + BatchSamples + " <= count; b += " + BatchSamples + ")"))
                    ForwardTileRows(w, layer, BatchSamples);
                using (w.Open("for (; b < count; b++)"))
                    ForwardTileRows(w, layer, 1);
            }
            else if (NarrowVector(layer))
                ForwardBatchNarrow(w, layer);
            else
            {
                w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalar multiply-adds.");
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
                        w.Line(T + " sum = " + At("wRow", "0") + " * " + At("xb", "0") + ";");
                        using (w.Open("for (int j = 1; j < " + n + "; j++)"))
                            w.Line("sum += " + At("wRow", "j") + " * " + At("xb", "j") + ";");
                        w.Line(At("ub", "i") + " = sum + " + At("p", "B" + l + " + i") + ";");
                    }
                }
            }
            if (softmax) SoftmaxBatch(w, layer);
            else if (layer.Activation != Activation.Identity)
            {
                using (w.Open("for (int k = 0; k < count * " + outStride + "; k += " + V + ")"))
                {
                    w.Line(VectorType + " v = " + Load("u", new Index("k", 0)) + ";");
                    w.Line(Store(VectorFunction(layer.Activation, "v"), "u", new Index("k", 0)));
                }
            }
        }
        w.Line();
    }

    /// <summary>The rows of one group of <paramref name="samples"/> samples starting at b: tiles of BatchRows rows, then the rest.</summary>
    private void ForwardTileRows(SourceWriter w, LayerShape layer, int samples)
    {
        int m = layer.Outputs, inStride = _t.Padded(layer.Inputs), outStride = _t.Padded(m);
        for (int s = 0; s < samples; s++)
        {
            w.Line("ref " + T + " x" + s + " = ref " + UnsafeAdd + "(ref x, (b + " + s + ") * " + inStride + ");");
            w.Line("ref " + T + " u" + s + " = ref " + UnsafeAdd + "(ref u, (b + " + s + ") * " + outStride + ");");
        }
        int mainRows = m - m % BatchRows;
        if (mainRows > 0)
            using (w.Open("for (int i = 0; i < " + mainRows + "; i += " + BatchRows + ")"))
                ForwardTile(w, layer, samples, BatchRows, new Index("i", 0));
        if (m % BatchRows > 0)
            using (w.Open())
                ForwardTile(w, layer, samples, m % BatchRows, mainRows);
    }

    private void ForwardTile(SourceWriter w, LayerShape layer, int samples, int rows, Index i)
    {
        int l = layer.Number, n = layer.Inputs, whole = n / V, tail = n % V;
        for (int r = 0; r < rows; r++)
            w.Line("ref " + T + " w" + r + " = ref " + At("p", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
        for (int s = 0; s < samples; s++)
            for (int r = 0; r < rows; r++)
                w.Line(VectorType + " sum" + s + "_" + r + " = " + VectorType + ".Zero;");
        var j = new Index("j", 0);
        using (w.Open("for (int j = 0; j < " + whole * V + "; j += " + V + ")"))
            TileStep(w, samples, rows, j, "");
        if (tail > 0)
            using (w.Open()) TileStep(w, samples, rows, n - V, " & tailMask");
        for (int s = 0; s < samples; s++)
            for (int r = 0; r < rows; r++)
                w.Line(At("u" + s, i.Plus(r).ToString()) + " = global::System.Runtime.Intrinsics.Vector256.Sum(sum" + s + "_" + r + ") + " + At("p", "B" + l + " + " + i.Plus(r)) + ";");
    }

    private void TileStep(SourceWriter w, int samples, int rows, Index j, string mask)
    {
        for (int r = 0; r < rows; r++)
            w.Line(VectorType + " wv" + r + " = " + Load("w" + r, j) + ";");
        for (int s = 0; s < samples; s++)
        {
            w.Line("{");
            w.Line("    " + VectorType + " xv = " + Load("x" + s, j) + mask + ";");
            for (int r = 0; r < rows; r++)
                w.Line("    sum" + s + "_" + r + " = global::NetCompiler.VectorMath.MultiplyAdd(wv" + r + ", xv, sum" + s + "_" + r + ");");
            w.Line("}");
        }
    }

    /// <summary>x = softmax(u) per sample, as SoftmaxForward does it; keeps log Σ e^u per sample.</summary>
    private void SoftmaxBatch(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, m = layer.Outputs, padded = _t.Padded(m), last = padded - V, realInLast = m - last;
        w.Line(BatchRef("xOut", "_batchX" + l));
        w.Line(BatchRef("logPartition", "_batchLogPartition"));
        w.Line("// x" + Sup(l) + " = softmax(u" + Sup(l) + ") per sample: subtract max(u) so that no exponent overflows.");
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + padded + ");");
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref xOut, b * " + padded + ");");
            w.Line(T + " max = " + At("ub", "0") + ";");
            using (w.Open("for (int i = 1; i < " + m + "; i++)"))
                w.Line("if (" + At("ub", "i") + " > max) max = " + At("ub", "i") + ";");
            w.Line(VectorType + " shift = global::System.Runtime.Intrinsics.Vector256.Create(max), total = " + VectorType + ".Zero;");
            if (last > 0)
                using (w.Open("for (int j = 0; j < " + last + "; j += " + V + ")"))
                    SoftmaxExp(w, "xb", "ub", new Index("j", 0), null);
            using (w.Open())
                SoftmaxExp(w, "xb", "ub", last, realInLast < V ? _t.MaskFirst(realInLast) + "; // the padding lanes stay 0" : ";");
            w.Line(T + " sumExp = global::System.Runtime.Intrinsics.Vector256.Sum(total);");
            w.Line(At("logPartition", "b") + " = max + " + _t.Math + ".Log(sumExp);");
            w.Line(VectorType + " scale = global::System.Runtime.Intrinsics.Vector256.Create(" + _t.Literal(1) + " / sumExp);");
            using (w.Open("for (int j = 0; j < " + padded + "; j += " + V + ")"))
                w.Line(Store(Load("xb", new Index("j", 0)) + " * scale", "xb", new Index("j", 0)));
        }
    }

    /// <summary>The loss of each sample and û^L, as OutputSensitivity does it per sample; returns the summed loss.</summary>
    private void WriteBackwardBatchOutput(SourceWriter w)
    {
        int m = Output.Outputs, l = Output.Number, stride = _t.Padded(m);
        w.Line("// The chunk's loss and û" + Sup(l) + ", sample by sample; then f' over the whole chunk.");
        using (w.Open("private " + T + " BackwardBatchOutput(global::System.ReadOnlySpan<" + T + "> targets, int count)"))
        {
            w.Line("ref " + T + " d = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(targets);");
            w.Line(BatchRef("x", "_batchX" + l));
            w.Line(BatchRef("s", "_batchS" + l));
            if (_model.Loss == LossFunction.CrossEntropy) w.Line(BatchRef("logPartition", "_batchLogPartition"));
            w.Line(T + " loss = 0;");
            using (w.Open("for (int b = 0; b < count; b++)"))
            {
                w.Line("ref " + T + " db = ref " + UnsafeAdd + "(ref d, b * " + m + ");");
                w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + stride + ");");
                w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + stride + ");");
                if (_model.Loss == LossFunction.CrossEntropy)
                {
                    w.Line(T + " logZ = " + At("logPartition", "b") + ", targetSum = 0, sampleLoss = 0;");
                    w.Line(BatchRef("u", "_batchU" + l));
                    w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + stride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(T + " di = " + At("db", "i") + ";");
                        w.Line("targetSum += di;");
                        w.Line("if (di != 0) sampleLoss -= di * (" + At("ub", "i") + " - logZ);");
                    }
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                        w.Line(At("sb", "i") + " = " + At("db", "i") + " - targetSum * " + At("xb", "i") + ";");
                    w.Line("loss += sampleLoss;");
                }
                else
                    SquaredErrorBatchSample(w, m);
            }
            if (!SoftmaxOutput) ActivationBackwardBatch(w, Output, "x", "s");
            w.Line("return loss;");
        }
        w.Line();
    }

    /// <summary>The squared error of sample b and its x̂ (for a softmax output, û through the softmax's Jacobian).</summary>
    private void SquaredErrorBatchSample(SourceWriter w, int m)
    {
        w.Line(T + " sampleLoss = 0;");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line(T + " error = " + At("db", "i") + " - " + At("xb", "i") + ";");
            w.Line("sampleLoss += error * error;");
            w.Line(At("sb", "i") + " = error;");
        }
        w.Line("loss += " + _t.Literal(0.5) + " * sampleLoss;");
        if (SoftmaxOutput)
        {
            w.Line(T + " dot = 0;");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line("dot += " + At("xb", "i") + " * " + At("sb", "i") + ";");
            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                w.Line(At("sb", "i") + " = " + At("xb", "i") + " * (" + At("sb", "i") + " - dot);");
        }
    }

    /// <summary>û = f'(u)·x̂ over the chunk's rows, padding included (it holds 0 in x̂, so it stays finite and unread).</summary>
    private void ActivationBackwardBatch(SourceWriter w, LayerShape layer, string x, string s)
    {
        if (layer.Activation == Activation.Identity) return;
        string one = VectorType + ".One", zero = VectorType + ".Zero";
        var k = new Index("k", 0);
        w.Line("// û" + Sup(layer.Number) + " = f'(u" + Sup(layer.Number) + ")·x̂" + Sup(layer.Number) + " over the chunk.");
        using (w.Open("for (int k = 0; k < count * " + _t.Padded(layer.Outputs) + "; k += " + V + ")"))
        {
            w.Line(VectorType + " xv = " + Load(x, k) + ";");
            string value = layer.Activation switch
            {
                Activation.ReLU => Load(s, k) + " & global::System.Runtime.Intrinsics.Vector256.GreaterThan(xv, " + zero + ")",
                Activation.LeakyReLU => "global::System.Runtime.Intrinsics.Vector256.ConditionalSelect(global::System.Runtime.Intrinsics.Vector256.GreaterThan(xv, " + zero + "), " + Load(s, k) + ", " + Load(s, k) + " * " + _t.Literal(NetworkTopology.LeakyReLUSlope) + ")",
                Activation.Sigmoid => Load(s, k) + " * (xv * (" + one + " - xv))",
                Activation.Tanh => Load(s, k) + " * (" + one + " - xv * xv)",
                _ => Load(s, k),
            };
            w.Line(Store(value, s, k));
        }
    }

    private void WriteBackwardBatchLayer(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        bool needInputSensitivity = l > 1;
        w.Line("// Layer " + l + " over the chunk: g_b" + Sup(l) + " += −Σ_b û" + Sup(l) + ", g_W" + Sup(l) + " += −Σ_b û" + Sup(l) + "·(x" + Sup(l - 1) + ")ᵀ" +
               (needInputSensitivity ? ", x̂" + Sup(l - 1) + " = (W" + Sup(l) + ")ᵀ·û" + Sup(l) + " per sample, then û" + Sup(l - 1) + " = f'·x̂" + Sup(l - 1) : "") + ".");
        using (w.Open("private void BackwardBatchLayer" + l + "(int count)"))
        {
            w.Line(BatchRef("p", "_parameters"));
            w.Line(BatchRef("g", "_gradients"));
            w.Line(BatchRef("x", "_batchX" + (l - 1)));
            w.Line(BatchRef("s", "_batchS" + l));
            if (needInputSensitivity) w.Line(BatchRef("sIn", "_batchS" + (l - 1)));

            // g_b: whole vectors with the batch streaming past, then the last few as scalars; the samples in order.
            int wholeBias = m / V * V;
            w.Line("ref " + T + " gb = ref " + At("g", "B" + l) + ";");
            if (wholeBias > 0)
                using (w.Open("for (int i = 0; i < " + wholeBias + "; i += " + V + ")"))
                {
                    var i = new Index("i", 0);
                    w.Line(VectorType + " acc = " + Load("gb", i) + ";");
                    using (w.Open("for (int b = 0; b < count; b++)"))
                        w.Line("acc -= " + Load("s", new Index("(b * " + outStride + " + i)", 0)) + ";");
                    w.Line(Store("acc", "gb", i));
                }
            if (wholeBias < m)
                using (w.Open("for (int i = " + wholeBias + "; i < " + m + "; i++)"))
                {
                    w.Line(T + " acc = " + At("gb", "i") + ";");
                    using (w.Open("for (int b = 0; b < count; b++)"))
                        w.Line("acc -= " + At("s", "b * " + outStride + " + i") + ";");
                    w.Line(At("gb", "i") + " = acc;");
                }

            if (n >= V) GradientTiles(w, layer);
            else if (NarrowVector(layer))
                GradientBatchNarrow(w, layer);
            else
            {
                w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ", fewer than a vector: scalars, the samples in order.");
                using (w.Open("for (int b = 0; b < count; b++)"))
                {
                    w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                    w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                    using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                    {
                        w.Line(T + " uHat = " + At("sb", "i") + ";");
                        w.Line("ref " + T + " gRow = ref " + At("g", "W" + l + " + i * " + n) + ";");
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                            w.Line(At("gRow", "j") + " -= uHat * " + At("xb", "j") + ";");
                    }
                }
            }

            if (needInputSensitivity)
            {
                if (n >= V)
                    using (w.Open()) InputSensitivityTiles(w, layer);
                else if (NarrowVector(layer))
                    InputSensitivityBatchNarrow(w, layer);
                else
                {
                    using (w.Open("for (int b = 0; b < count; b++)"))
                    {
                        w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                        w.Line("ref " + T + " hb = ref " + UnsafeAdd + "(ref sIn, b * " + inStride + ");");
                        using (w.Open("for (int j = 0; j < " + n + "; j++)"))
                        {
                            w.Line(T + " sum = 0;");
                            using (w.Open("for (int i = 0; i < " + m + "; i++)"))
                                w.Line("sum += " + At("p", "W" + l + " + i * " + n + " + j") + " * " + At("sb", "i") + ";");
                            w.Line(At("hb", "j") + " = sum;");
                        }
                    }
                }
                w.Line(BatchRef("xIn", "_batchX" + (l - 1)));
                ActivationBackwardBatch(w, _layers[l - 2], "xIn", "sIn");
            }
        }
        w.Line();
    }

    /// <summary>
    /// u = W·x + b for n &lt; V inputs, n dividing V, sample by sample as in the per-sample kernel: each vector of W
    /// holds V/n rows, multiplied by the sample's x repeated; pairwise adds leave V outputs a vector.
    /// </summary>
    private void ForwardBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": per sample, each vector of W" + Sup(l) + " holds " + V / n + " rows, multiplied by x repeated " + V / n + " times;" +
               (n > 1 ? " adding neighbouring lanes " + Log2(n) + " time" + (n == 2 ? "" : "s") + " leaves one u_i a lane." : " each lane is one u_i."));
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
            w.Line("ref " + T + " ub = ref " + UnsafeAdd + "(ref u, b * " + outStride + ");");
            w.Line(VectorType + " xRepeated = " + RepeatedInput("xb", n) + ";");
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
                w.Line(Store(sum + " + " + BiasVector(layer, first), "ub", first));
            }
        }
    }

    /// <summary>
    /// g_W += −Σ_b û_b·x_bᵀ for n &lt; V inputs, n dividing V: the m·n/V vectors of g_W stay in registers while the
    /// chunk streams past; per sample, x repeated times û spread over each row's n lanes.
    /// </summary>
    private void GradientBatchNarrow(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// " + n + " input" + (n == 1 ? "" : "s") + ": the " + vectors + " vector" + (vectors == 1 ? "" : "s") + " of g_W" + Sup(l) + " (" + rowsPerVector + " rows each) stay in registers while the chunk streams past.");
        using (w.Open())
        {
            for (int k = 0; k < vectors; k++)
                w.Line(VectorType + " gw" + k + " = " + Load("g", new Index("W" + l, k * V)) + ";");
            using (w.Open("for (int b = 0; b < count; b++)"))
            {
                w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
                w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
                w.Line(VectorType + " xRepeated = " + RepeatedInput("xb", n) + ";");
                for (int c = 0; c * V < m; c++)
                    w.Line(VectorType + " uHat" + c + " = " + Load("sb", c * V) + ";");
                for (int k = 0; k < vectors; k++)
                {
                    int first = k * rowsPerVector, offset = first % V;
                    w.Line("gw" + k + " = global::NetCompiler.VectorMath.MultiplyAddNegated(" + Permute("uHat" + first / V, t => offset + t / n) + ", xRepeated, gw" + k + "); // rows " + first + "…" + (first + rowsPerVector - 1));
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
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs, inStride = _t.Padded(n), outStride = _t.Padded(m);
        int rowsPerVector = V / n, vectors = m * n / V;
        w.Line("// x̂" + Sup(l - 1) + " per sample: W" + Sup(l) + "'s vectors times û" + Sup(l) + " spread over each row's " + n + " lanes, summed, then folded onto the first " + n + " lanes.");
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
            w.Line("ref " + T + " hb = ref " + UnsafeAdd + "(ref sIn, b * " + inStride + ");");
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
            w.Line(Store("xHat & " + _t.MaskFirst(n), "hb", 0));
        }
    }

    /// <summary>Column vectors of a row of <paramref name="n"/>: the whole ones, then (if any) the overlapping tail at n − V.</summary>
    private (int Whole, int Tail) Columns(int n) => (n / V, n % V);

    /// <summary>
    /// g_W += −Σ_b û_b·x_bᵀ by tiles of BatchRows rows × BatchColumns column vectors held in registers while the batch
    /// streams past. The overlapping tail vector (x masked, so the lanes it shares get +0) is its own tile, after the
    /// others have stored the lanes it overlaps.
    /// </summary>
    private void GradientTiles(SourceWriter w, LayerShape layer)
    {
        int n = layer.Inputs, m = layer.Outputs;
        (int whole, int tail) = Columns(n);
        int fullBlocks = whole / BatchColumns, mainRows = m - m % BatchRows;
        w.Line("// g_W: tiles of " + BatchRows + " rows × " + BatchColumns + " column vectors stay in registers while the chunk streams past.");
        if (tail > 0) w.Line(VectorType + " tailMask = " + _t.MaskLast(tail) + ";");
        var groups = new List<(Index Start, int Columns, bool Tail)>();
        if (fullBlocks > 0) groups.Add((new Index("j", 0), BatchColumns, false));
        if (whole % BatchColumns > 0) groups.Add((fullBlocks * BatchColumns * V, whole % BatchColumns, false));
        if (tail > 0) groups.Add((n - V, 1, true));
        foreach (var group in groups)
        {
            bool loop = group.Start.Variable is not null;
            using (loop ? w.Open("for (int j = 0; j < " + fullBlocks * BatchColumns * V + "; j += " + BatchColumns * V + ")") : w.Open())
            {
                if (mainRows > 0)
                    using (w.Open("for (int i = 0; i < " + mainRows + "; i += " + BatchRows + ")"))
                        GradientTile(w, layer, new Index("i", 0), BatchRows, group.Start, group.Columns, group.Tail);
                if (m % BatchRows > 0)
                    using (w.Open())
                        GradientTile(w, layer, mainRows, m % BatchRows, group.Start, group.Columns, group.Tail);
            }
        }
    }

    private void GradientTile(SourceWriter w, LayerShape layer, Index i, int rows, Index j, int columns, bool tail)
    {
        int l = layer.Number, n = layer.Inputs, inStride = _t.Padded(n), outStride = _t.Padded(layer.Outputs);
        for (int r = 0; r < rows; r++)
        {
            w.Line("ref " + T + " gRow" + r + " = ref " + At("g", "W" + l + " + " + i.Plus(r).Times(n)) + ";");
            for (int c = 0; c < columns; c++)
                w.Line(VectorType + " acc" + r + "_" + c + " = " + Load("gRow" + r, j.Plus(c * V)) + ";");
        }
        using (w.Open("for (int b = 0; b < count; b++)"))
        {
            w.Line("ref " + T + " xb = ref " + UnsafeAdd + "(ref x, b * " + inStride + ");");
            w.Line("ref " + T + " sb = ref " + UnsafeAdd + "(ref s, b * " + outStride + ");");
            for (int c = 0; c < columns; c++)
                w.Line(VectorType + " xv" + c + " = " + Load("xb", j.Plus(c * V)) + (tail ? " & tailMask" : "") + ";");
            for (int r = 0; r < rows; r++)
            {
                w.Line("{");
                w.Line("    " + VectorType + " uHat = global::System.Runtime.Intrinsics.Vector256.Create(" + At("sb", i.Plus(r).ToString()) + ");");
                for (int c = 0; c < columns; c++)
                    w.Line("    acc" + r + "_" + c + " = global::NetCompiler.VectorMath.MultiplyAddNegated(uHat, xv" + c + ", acc" + r + "_" + c + ");");
                w.Line("}");
            }
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                w.Line(Store("acc" + r + "_" + c, "gRow" + r, j.Plus(c * V)));
    }

    /// <summary>
    /// x̂_b = Wᵀ·û_b by tiles of BatchSamples samples × BatchColumns column vectors, each row of W loaded once per tile.
    /// The overlapping tail vector is blended into place after the whole vectors are stored.
    /// </summary>
    private void InputSensitivityTiles(SourceWriter w, LayerShape layer)
    {
        int n = layer.Inputs;
        (int whole, int tail) = Columns(n);
        int fullBlocks = whole / BatchColumns;
        w.Line("// x̂: tiles of " + BatchSamples + " samples × " + BatchColumns + " column vectors; each vector of W loaded feeds " + BatchSamples + " FMAs.");
        if (tail > 0) w.Line(VectorType + " keepTail = " + _t.MaskLast(tail) + ";");
        w.Line("int b = 0;");
        using (w.Open("for (; b + " + BatchSamples + " <= count; b += " + BatchSamples + ")"))
            InputSensitivityGroup(w, layer, BatchSamples, whole, tail, fullBlocks);
        using (w.Open("for (; b < count; b++)"))
            InputSensitivityGroup(w, layer, 1, whole, tail, fullBlocks);
    }

    private void InputSensitivityGroup(SourceWriter w, LayerShape layer, int samples, int whole, int tail, int fullBlocks)
    {
        int n = layer.Inputs, inStride = _t.Padded(n), outStride = _t.Padded(layer.Outputs);
        for (int s = 0; s < samples; s++)
        {
            w.Line("ref " + T + " s" + s + " = ref " + UnsafeAdd + "(ref s, (b + " + s + ") * " + outStride + ");");
            w.Line("ref " + T + " h" + s + " = ref " + UnsafeAdd + "(ref sIn, (b + " + s + ") * " + inStride + ");");
        }
        if (fullBlocks > 0)
            using (w.Open("for (int j = 0; j < " + fullBlocks * BatchColumns * V + "; j += " + BatchColumns * V + ")"))
                InputSensitivityTile(w, layer, samples, new Index("j", 0), BatchColumns, false);
        if (whole % BatchColumns > 0)
            using (w.Open())
                InputSensitivityTile(w, layer, samples, fullBlocks * BatchColumns * V, whole % BatchColumns, false);
        if (tail > 0)
            using (w.Open())
                InputSensitivityTile(w, layer, samples, n - V, 1, true);
    }

    private void InputSensitivityTile(SourceWriter w, LayerShape layer, int samples, Index j, int columns, bool tail)
    {
        int l = layer.Number, n = layer.Inputs, m = layer.Outputs;
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < columns; c++)
                w.Line(VectorType + " hat" + s + "_" + c + " = " + VectorType + ".Zero;");
        using (w.Open("for (int i = 0; i < " + m + "; i++)"))
        {
            w.Line("ref " + T + " wRow = ref " + At("p", "W" + l + " + i * " + n) + ";");
            for (int c = 0; c < columns; c++)
                w.Line(VectorType + " wv" + c + " = " + Load("wRow", j.Plus(c * V)) + ";");
            for (int s = 0; s < samples; s++)
            {
                w.Line("{");
                w.Line("    " + VectorType + " uHat = global::System.Runtime.Intrinsics.Vector256.Create(" + At("s" + s, "i") + ");");
                for (int c = 0; c < columns; c++)
                    w.Line("    hat" + s + "_" + c + " = global::NetCompiler.VectorMath.MultiplyAdd(wv" + c + ", uHat, hat" + s + "_" + c + ");");
                w.Line("}");
            }
        }
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < columns; c++)
            {
                Index at = j.Plus(c * V);
                if (tail)
                    w.Line(Store("global::System.Runtime.Intrinsics.Vector256.ConditionalSelect(keepTail, hat" + s + "_" + c + ", " + Load("h" + s, at) + ")", "h" + s, at));
                else
                    w.Line(Store("hat" + s + "_" + c, "h" + s, at));
            }
    }
}
