// Pooling: average (optionally trainable, u = c·mean + b) and max (the first maximum's position kept for the
// backward pass); 2-wide windows at stride 2 a vector of outputs at a time.

namespace NetCompiler.Generator.Emit;

internal sealed partial class PoolEmitter : EmitterBase, ILayerEmitter
{
    public PoolEmitter(EmitContext context) : base(context) { }

    /// <inheritdoc/>
    public void WriteForward(SourceWriter w, LayerShape layer) => (layer.Kind == LayerKind.AvgPool ? (System.Action<SourceWriter, LayerShape>)AvgPoolForward : MaxPoolForward)(w, layer);

    /// <inheritdoc/>
    public void WriteBackward(SourceWriter w, LayerShape layer) => (layer.Kind == LayerKind.AvgPool ? (System.Action<SourceWriter, LayerShape>)AvgPoolBackward : MaxPoolBackward)(w, layer);

    /// <summary>The loops over channel c and output position (y, x), with the window's corner in the source and the output's index.</summary>
    private static void PoolPositions(SourceWriter w, WindowGeometry g, Action<Index> channel, Action<string, string> position, Action<Index>? channelEnd = null)
    {
        Loop(w, "c", g.Channels, c =>
        {
            channel(c);
            Loop(w, "y", g.OutHeight, y => Loop(w, "x", g.OutWidth, x =>
                position(Lin(0, (c, g.InPlane), (y, g.Stride * g.Width), (x, g.Stride)), Lin(0, (c, g.OutPlane), (y, g.OutWidth), (x, 1)))));
            channelEnd?.Invoke(c);
        });
    }

    /// <summary>The window's elements as offsets from its corner, in row-major order.</summary>
    private static List<string> WindowOffsets(WindowGeometry g)
    {
        var offsets = new List<string>();
        for (int ky = 0; ky < g.KernelHeight; ky++)
            for (int kx = 0; kx < g.KernelWidth; kx++)
                offsets.Add((ky * g.Width + kx).ToString(CultureInfo.InvariantCulture));
        return offsets;
    }

    /// <summary>Writes <paramref name="element"/> for every element of the window: written out, or loops over ky, kx for large windows.</summary>
    private static void WindowElements(SourceWriter w, WindowGeometry g, Action<string> element)
    {
        if (g.KernelVolume <= WindowUnrollLimit)
        {
            foreach (string offset in WindowOffsets(g)) element(offset);
            return;
        }
        Loop(w, "ky", g.KernelHeight, ky => Loop(w, "kx", g.KernelWidth, kx => element(Lin(0, (ky, g.Width), (kx, 1)))));
    }

    private void AvgPoolForward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool keepMean = layer.Trainable && Trainable;
        string target = Target(layer), inverse = Element.Literal(1.0 / g.KernelVolume);
        if (layer.Trainable) w.Line(ThetaRef("p"));
        DeclareTarget(w, layer);
        w.Line(Ref("x" + src, "_x" + src));
        if (keepMean) w.Line(Ref("mean", "_mean" + l));
        w.Line("// u" + Sup(l) + "[c, y, x] = " + (layer.Trainable ? "c" + Sup(l) + "[c]·mean + b" + Sup(l) + "[c], mean = " : "") + "the mean of the " +
               (g.KernelHeight > 1 ? g.KernelHeight + "×" : "") + g.KernelWidth + " window of x" + Sup(src) + " at (" + (g.KernelHeight > 1 ? g.Stride + "y, " : "") + g.Stride + "x).");
        if (PlanOf(layer).Forward == ForwardKernel.AvgPoolPairs)
        {
            AvgPoolForwardPairs(w, layer, g, target, keepMean);
            return;
        }
        PoolPositions(w, g,
            c =>
            {
                if (layer.Trainable) w.Line(T + " coefficient = " + At("p", "W" + l + " + " + c) + ", bias = " + At("p", "B" + l + " + " + c) + ";");
            },
            (corner, k) =>
            {
                w.Line("ref " + T + " window = ref " + At("x" + src, corner) + ";");
                if (g.KernelVolume <= WindowUnrollLimit)
                    w.Line(T + " m = (" + string.Join(" + ", WindowOffsets(g).Select(offset => At("window", offset))) + ") * " + inverse + ";");
                else
                {
                    w.Line(T + " total = 0;");
                    WindowElements(w, g, offset => w.Line("total += " + At("window", offset) + ";"));
                    w.Line(T + " m = total * " + inverse + ";");
                }
                if (keepMean) w.Line(At("mean", k) + " = m;");
                w.Line(At(target, k) + " = " + (layer.Trainable ? "coefficient * m + bias" : "m") + ";");
            });
    }

    private void AvgPoolBackward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        bool send = src != 0;
        string inverse = Element.Literal(1.0 / g.KernelVolume);
        if (layer.Trainable)
        {
            w.Line(ThetaRef("p"));
            w.Line(Ref("g", "_gradients"));
            w.Line(Ref("mean", "_mean" + l));
        }
        if (send) w.Line(Ref("xHat", "_s" + src));
        w.Line("// " + (layer.Trainable ? "g_c[c] += −Σ û[c, y, x]·mean[c, y, x], g_b[c] += −Σ û[c, y, x]" + (send ? "; " : ".") : "") +
               (send ? "each input of a window gets " + (layer.Trainable ? "c·" : "") + "û/" + g.KernelVolume + " (x̂" + Sup(src) + " +=)." : ""));
        if (PlanOf(layer).Forward == ForwardKernel.AvgPoolPairs)
        {
            AvgPoolBackwardPairs(w, layer, g, send);
            return;
        }
        PoolPositions(w, g,
            c =>
            {
                if (!layer.Trainable) return;
                w.Line(T + " coefficient = " + At("p", "W" + l + " + " + c) + ", coefficientSum = 0, biasSum = 0;");
            },
            (corner, k) =>
            {
                w.Line(T + " uHat = " + At("s" + l, k) + ";");
                if (layer.Trainable)
                {
                    w.Line("coefficientSum += uHat * " + At("mean", k) + ";");
                    w.Line("biasSum += uHat;");
                }
                if (!send) return;
                w.Line(T + " share = " + (layer.Trainable ? "coefficient * uHat * " : "uHat * ") + inverse + ";");
                w.Line("ref " + T + " window = ref " + At("xHat", corner) + ";");
                WindowElements(w, g, offset => w.Line(At("window", offset) + " += share;"));
            },
            c =>
            {
                if (!layer.Trainable) return;
                w.Line(At("g", "W" + l + " + " + c) + " -= coefficientSum;");
                w.Line(At("g", "B" + l + " + " + c) + " -= biasSum;");
            });
    }

    /// <summary>
    /// The lanes of two source vectors a = s[0…V), b = s[V…2V) sorted into the even-indexed and the odd-indexed
    /// elements of s: one permute per vector (evens to the lower half, odds to the upper) and two half swaps.
    /// </summary>
    private void EvensAndOdds(SourceWriter w, string a, string b, string evens, string odds)
    {
        int half = V / 2;
        string order = "Simd::Vector256.Create(" +
                       string.Join(", ", Enumerable.Range(0, half).Select(k => 2 * k).Concat(Enumerable.Range(0, half).Select(k => 2 * k + 1))
                           .Select(k => V == 8 ? k.ToString(CultureInfo.InvariantCulture) : k + "L")) + ")";
        w.Line(VectorType + " " + a + "Sorted = Simd::Vector256.Shuffle(" + a + ", " + order + ");");
        w.Line(VectorType + " " + b + "Sorted = Simd::Vector256.Shuffle(" + b + ", " + order + ");");
        const string v = "Simd::Vector256.";
        w.Line(VectorType + " " + evens + " = " + v + "Create(" + v + "GetLower(" + a + "Sorted), " + v + "GetLower(" + b + "Sorted));");
        w.Line(VectorType + " " + odds + " = " + v + "Create(" + v + "GetUpper(" + a + "Sorted), " + v + "GetUpper(" + b + "Sorted));");
    }

    /// <summary>
    /// 2-wide windows at stride 2, a vector of outputs at a time: the window sums in the scalar order
    /// ((x[2y, 2x] + x[2y, 2x + 1]) + x[2y + 1, 2x]) + x[2y + 1, 2x + 1] from the source rows' even and odd elements.
    /// </summary>
    private void AvgPoolForwardPairs(SourceWriter w, LayerShape layer, WindowGeometry g, string target, bool keepMean)
    {
        int l = layer.Number, src = layer.Sources[0];
        string inverse = Broadcast(Element.Literal(1.0 / g.KernelVolume));
        List<(int Start, bool Tail)> vectors = RowVectors(g.OutWidth);
        w.Line("// A vector of " + V + " outputs from two source vectors per window row: their even and odd elements are the windows' left and right columns" +
               (g.OutWidth % V != 0 ? "; the row's last vector overlaps the one before it and stores the same values" : "") + ".");
        Loop(w, "c", g.Channels, c =>
        {
            if (layer.Trainable)
                w.Line(VectorType + " coefficient = " + Broadcast(At("p", "W" + l + " + " + c)) + ", bias = " + Broadcast(At("p", "B" + l + " + " + c)) + ";");
            Loop(w, "y", g.OutHeight, y =>
            {
                for (int r = 0; r < g.KernelHeight; r++)
                    w.Line("ref " + T + " row" + r + " = ref " + At("x" + src, Lin(r * g.Width, (c, g.InPlane), (y, g.Stride * g.Width))) + ";");
                string k = Lin(0, (c, g.OutPlane), (y, g.OutWidth));
                w.Line("int k = " + k + ";");
                foreach ((int start, bool _) in vectors)
                    using (w.Open())
                    {
                        string sum = "";
                        for (int r = 0; r < g.KernelHeight; r++)
                        {
                            w.Line(VectorType + " a" + r + " = " + LoadAt("row" + r, (2 * start).ToString(CultureInfo.InvariantCulture)) + ", b" + r + " = " +
                                   LoadAt("row" + r, (2 * start + V).ToString(CultureInfo.InvariantCulture)) + ";");
                            EvensAndOdds(w, "a" + r, "b" + r, "left" + r, "right" + r);
                            sum = sum.Length == 0 ? "left" + r + " + right" + r : "(" + sum + ") + left" + r + " + right" + r;
                        }
                        w.Line(VectorType + " m = (" + sum + ") * " + inverse + ";");
                        string at = "k + " + start.ToString(CultureInfo.InvariantCulture);
                        if (keepMean) w.Line(StoreAt("m", "mean", at));
                        w.Line(StoreAt(layer.Trainable ? "coefficient * m + bias" : "m", target, at));
                    }
            });
        });
    }

    /// <summary>
    /// 2-wide windows at stride 2, a vector of outputs at a time: g_c and g_b summed in vectors (the row's overlapping
    /// last vector masked), each share c·û/size spread to its window by duplicating every lane.
    /// </summary>
    private void AvgPoolBackwardPairs(SourceWriter w, LayerShape layer, WindowGeometry g, bool send)
    {
        int l = layer.Number, tail = g.OutWidth % V;
        string inverse = Broadcast(Element.Literal(1.0 / g.KernelVolume));
        List<(int Start, bool Tail)> vectors = RowVectors(g.OutWidth);
        int half = V / 2;
        string Dup(int from) => "Simd::Vector256.Create(" +
                                string.Join(", ", Enumerable.Range(0, V).Select(k => (from + k / 2).ToString(CultureInfo.InvariantCulture) + (V == 8 ? "" : "L"))) + ")";
        Loop(w, "c", g.Channels, c =>
        {
            if (layer.Trainable)
            {
                w.Line(VectorType + " coefficient = " + Broadcast(At("p", "W" + l + " + " + c)) + ";");
                w.Line(VectorType + " coefficientSum = " + VectorType + ".Zero, biasSum = " + VectorType + ".Zero;");
            }
            Loop(w, "y", g.OutHeight, y =>
            {
                w.Line("int k = " + Lin(0, (c, g.OutPlane), (y, g.OutWidth)) + ";");
                if (send)
                    for (int r = 0; r < g.KernelHeight; r++)
                        w.Line("ref " + T + " row" + r + " = ref " + At("xHat", Lin(r * g.Width, (c, g.InPlane), (y, g.Stride * g.Width))) + ";");
                foreach ((int start, bool isTail) in vectors)
                    using (w.Open())
                    {
                        bool masked = isTail && tail != 0;
                        string load = LoadAt("s" + l, "k + " + start.ToString(CultureInfo.InvariantCulture));
                        w.Line(VectorType + " uHat = " + (masked ? load + " & " + Element.MaskLast(tail) : load) + ";" + (masked ? " // overlaps the vector before it: those lanes count 0" : ""));
                        if (layer.Trainable)
                        {
                            w.Line("coefficientSum = " + Fma("uHat", LoadAt("mean", "k + " + start.ToString(CultureInfo.InvariantCulture)), "coefficientSum") + ";");
                            w.Line("biasSum += uHat;");
                        }
                        if (!send) continue;
                        w.Line(VectorType + " share = " + (layer.Trainable ? "coefficient * uHat * " : "uHat * ") + inverse + ";");
                        w.Line(VectorType + " shareLeft = Simd::Vector256.Shuffle(share, " + Dup(0) + "), shareRight = Simd::Vector256.Shuffle(share, " + Dup(half) + ");");
                        for (int r = 0; r < g.KernelHeight; r++)
                        {
                            string a = (2 * start).ToString(CultureInfo.InvariantCulture), b = (2 * start + V).ToString(CultureInfo.InvariantCulture);
                            w.Line(StoreAt(LoadAt("row" + r, a) + " + shareLeft", "row" + r, a));
                            w.Line(StoreAt(LoadAt("row" + r, b) + " + shareRight", "row" + r, b));
                        }
                    }
            });
            if (layer.Trainable)
            {
                w.Line(At("g", "W" + l + " + " + c) + " -= " + Sum("coefficientSum") + ";");
                w.Line(At("g", "B" + l + " + " + c) + " -= " + Sum("biasSum") + ";");
            }
        });
    }

    private void MaxPoolForward(SourceWriter w, LayerShape layer)
    {
        var g = layer.Window;
        int l = layer.Number, src = layer.Sources[0];
        w.Line(Ref("x" + l, "_x" + l));
        w.Line(Ref("x" + src, "_x" + src));
        if (Trainable) w.Line("ref int argmax = ref Interop::MemoryMarshal.GetArrayDataReference(_argmax" + l + ");");
        w.Line("// x" + Sup(l) + "[c, y, x] = the max of the " + (g.KernelHeight > 1 ? g.KernelHeight + "×" : "") + g.KernelWidth + " window of x" + Sup(src) + " at (" +
               (g.KernelHeight > 1 ? g.Stride + "y, " : "") + g.Stride + "x)" + (Trainable ? "; argmax keeps where: the first maximal element in row-major order (strict >)." : "."));
        if (PlanOf(layer).Forward == ForwardKernel.MaxPoolPairs)
        {
            MaxPoolForwardPairs(w, layer, g);
            return;
        }
        List<string> offsets = WindowOffsets(g);
        PoolPositions(w, g, _ => { },
            (corner, k) =>
            {
                w.Line("int corner = " + corner + ";");
                w.Line("ref " + T + " window = ref " + At("x" + src, "corner") + ";");
                w.Line(T + " max = " + At("window", "0") + ";");
                if (Trainable) w.Line("int at = 0;");
                if (g.KernelVolume <= WindowUnrollLimit)
                    foreach (string offset in offsets.Skip(1))
                        w.Line("if (" + At("window", offset) + " > max) { max = " + At("window", offset) + ";" + (Trainable ? " at = " + offset + ";" : "") + " }");
                else
                    WindowElements(w, g, offset => w.Line("if (" + At("window", offset) + " > max) { max = " + At("window", offset) + ";" + (Trainable ? " at = " + offset + ";" : "") + " }"));
                w.Line(At("x" + l, k) + " = max;");
                if (Trainable) w.Line(At("argmax", k) + " = corner + at;");
            });
    }

    /// <summary>
    /// 2-wide windows at stride 2 (float), a vector of outputs at a time, the columns split as AvgPoolForwardPairs does:
    /// the window's elements compared in row-major order with a strict &gt;, as the scalar kernel compares them, and the
    /// maximum and its offset in the window selected lane by lane. The row's last vector overlaps the one before it and
    /// stores the same values.
    /// </summary>
    private void MaxPoolForwardPairs(SourceWriter w, LayerShape layer, WindowGeometry g)
    {
        int l = layer.Number, src = layer.Sources[0];
        w.Line("// " + V + " windows at a time: the even and odd elements of two source vectors per window row are the windows' left and right columns" +
               (g.OutWidth % V != 0 ? "; the row's last vector overlaps the one before it and stores the same values" : "") + ".");
        if (Trainable) w.Line("Simd::Vector256<int> corners = Simd::Vector256.Create(" + string.Join(", ", Enumerable.Range(0, V).Select(t => (2 * t).ToString(CultureInfo.InvariantCulture))) + "); // lane t's window starts 2t into the row");
        Loop(w, "c", g.Channels, c => Loop(w, "y", g.OutHeight, y =>
        {
            for (int r = 0; r < g.KernelHeight; r++)
                w.Line("ref " + T + " row" + r + " = ref " + At("x" + src, Lin(r * g.Width, (c, g.InPlane), (y, g.Stride * g.Width))) + ";");
            w.Line("int k = " + Lin(0, (c, g.OutPlane), (y, g.OutWidth)) + ", rowStart = " + Lin(0, (c, g.InPlane), (y, g.Stride * g.Width)) + ";");
            foreach ((int start, bool _) in RowVectors(g.OutWidth))
                using (w.Open())
                {
                    for (int r = 0; r < g.KernelHeight; r++)
                    {
                        w.Line(VectorType + " a" + r + " = " + LoadAt("row" + r, (2 * start).ToString(CultureInfo.InvariantCulture)) + ", b" + r + " = " +
                               LoadAt("row" + r, (2 * start + V).ToString(CultureInfo.InvariantCulture)) + ";");
                        EvensAndOdds(w, "a" + r, "b" + r, "left" + r, "right" + r);
                    }
                    w.Line(VectorType + " max = left0;");
                    if (Trainable) w.Line("Simd::Vector256<int> at = Simd::Vector256<int>.Zero;");
                    for (int e = 1; e < 2 * g.KernelHeight; e++)
                    {
                        string element = (e % 2 == 0 ? "left" : "right") + (e / 2).ToString(CultureInfo.InvariantCulture);
                        w.Line((e == 1 ? VectorType + " " : "") + "greater = Simd::Vector256.GreaterThan(" + element + ", max);");
                        w.Line("max = Simd::Vector256.ConditionalSelect(greater, " + element + ", max);");
                        if (Trainable)
                            w.Line("at = Simd::Vector256.ConditionalSelect(Simd::Vector256.AsInt32(greater), Simd::Vector256.Create(" + ((e / 2) * g.Width + e % 2).ToString(CultureInfo.InvariantCulture) + "), at);");
                    }
                    string at = "k + " + start.ToString(CultureInfo.InvariantCulture);
                    w.Line(StoreAt("max", "x" + l, at));
                    if (Trainable)
                        w.Line("Simd::Vector256.StoreUnsafe(Simd::Vector256.Create(rowStart + " + (2 * start).ToString(CultureInfo.InvariantCulture) + ") + corners + at, ref argmax, " + Offset(at) + ");");
                }
        }));
    }

    private void MaxPoolBackward(SourceWriter w, LayerShape layer)
    {
        int l = layer.Number, src = layer.Sources[0];
        w.Line(Ref("xHat", "_s" + src));
        w.Line("ref int argmax = ref Interop::MemoryMarshal.GetArrayDataReference(_argmax" + l + ");");
        w.Line("// x̂" + Sup(src) + "[argmax[k]] += x̂" + Sup(l) + "[k]: only a window's maximum moved x" + Sup(l) + ".");
        using (w.Open("for (int k = 0; k < " + layer.Outputs + "; k++)"))
            w.Line(At("xHat", At("argmax", "k")) + " += " + At("s" + l, "k") + ";");
    }
}
