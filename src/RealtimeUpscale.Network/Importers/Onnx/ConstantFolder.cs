namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// Evaluates nodes whose inputs are all constants, on the CPU, at import time. Exporters compute padding
/// amounts, scales and shapes with small constant subgraphs (PyTorch 1.13 writes reflect padding as Pad fed by
/// ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast); folding them leaves plain constants for the
/// layers. Integer tensors stay int64, floating-point ones float32.
/// </summary>
/// <remarks>
/// Every size, axis, index and count read from the file is checked where it is used, before any allocation or
/// index arithmetic, and a bad one is refused through the caller's <c>error</c> (which names the file, the node
/// and the op) with the value: a folded tensor holds at most <see cref="MaxElements"/> elements, so no product
/// of dimensions overflows and no folding runs for long.
/// </remarks>
internal static class ConstantFolder
{
    /// <summary>The most elements a folded tensor may have (2^24): shape arithmetic and reshaped weights fit easily.</summary>
    public const long MaxElements = 1 << 24;

    public static readonly string[] Ops =
    {
        "Constant", "Identity", "Cast", "Reshape", "Transpose", "Slice", "Concat", "ConstantOfShape", "Unsqueeze",
        "Squeeze", "Gather", "Add", "Sub", "Mul", "Div", "Neg", "Shape", "Range", "Expand", "Flatten",
    };

    public static OnnxTensor Evaluate(OnnxNode node, IReadOnlyList<OnnxTensor?> inputs, long opset, Func<string, Exception> error)
    {
        OnnxTensor In(int i) => i < inputs.Count && inputs[i] is { } t ? t : throw error($"input {i} is missing");
        string output = node.Outputs[0];
        switch (node.OpType)
        {
            case "Constant":
                return ConstantValue(node, output, error);
            case "Identity":
                return Rename(In(0), output);
            case "Cast":
            {
                long to = Attr(node, "to") ?? throw error("has no 'to' attribute");
                var x = In(0);
                return to is 1 or 10 or 11
                    ? new OnnxTensor(output, x.Dims, OnnxDataType.Float, x.AsFloats(), null)
                    : new OnnxTensor(output, x.Dims, OnnxDataType.Int64, null, x.IsFloat ? x.Floats!.Select(v => (long)v).ToArray() : x.Longs);
            }
            case "Neg":
                return Map(In(0), output, v => -v, v => -v);
            case "Shape":
                return new OnnxTensor(output, new long[] { In(0).Dims.Length }, OnnxDataType.Int64, null, In(0).Dims.ToArray());
            case "Reshape":
            {
                var x = In(0);
                var shape = In(1).AsLongs().ToArray();
                string asked = $"[{string.Join(",", shape)}]";
                long known = 1;
                int infer = -1;
                for (int i = 0; i < shape.Length; i++)
                {
                    if (shape[i] == 0)
                    {
                        shape[i] = i < x.Dims.Length ? x.Dims[i] : throw error($"copies dimension {i} (a 0 in shape {asked}) of a rank-{x.Dims.Length} tensor");
                    }
                    if (shape[i] == -1)
                    {
                        infer = infer < 0 ? i : throw error($"has more than one -1 in shape {asked}");
                    }
                    else if (shape[i] < 0)
                    {
                        throw error($"has the negative dimension {shape[i]} in shape {asked}");
                    }
                    else
                    {
                        known = Math.Min(known * Math.Min(shape[i], MaxElements + 1), MaxElements + 1);
                    }
                }
                if (infer >= 0)
                {
                    shape[infer] = known == 0 ? 0 : x.ElementCount / known;
                }
                if (Count(shape, "the reshaped tensor", error) != x.ElementCount)
                {
                    throw error($"cannot reshape [{string.Join(",", x.Dims)}] to {asked}");
                }
                return new OnnxTensor(output, shape, x.DataType, x.Floats, x.Longs);
            }
            case "Flatten":
            {
                var x = In(0);
                // Flatten's axis runs from -rank to rank inclusive (rank: everything in the first dimension).
                long axisAttr = Attr(node, "axis") ?? 1;
                int rank = x.Dims.Length;
                int axis = axisAttr >= -rank && axisAttr <= rank ? (int)(axisAttr < 0 ? axisAttr + rank : axisAttr)
                    : throw error($"has axis {axisAttr}, outside -{rank} to {rank}");
                long a = x.Dims.Take(axis).Aggregate(1L, (p, q) => p * q);
                return new OnnxTensor(output, new[] { a, x.ElementCount / Math.Max(a, 1) }, x.DataType, x.Floats, x.Longs);
            }
            case "Unsqueeze":
            {
                var x = In(0);
                var axes = opset >= 13 ? In(1).AsLongs() : Ints(node, "axes");
                var dims = x.Dims.ToList();
                int rank = dims.Count + axes.Length;
                var at = axes.Select(a => Axis(a, rank, "axis", error)).Order().ToArray();
                if (at.Distinct().Count() != at.Length)
                {
                    throw error($"inserts axis {at.GroupBy(a => a).First(g => g.Count() > 1).Key} twice");
                }
                foreach (int a in at)
                {
                    dims.Insert(a, 1);
                }
                return new OnnxTensor(output, dims.ToArray(), x.DataType, x.Floats, x.Longs);
            }
            case "Squeeze":
            {
                var x = In(0);
                var axes = opset >= 13 ? (inputs.Count > 1 && inputs[1] is { } ax ? ax.AsLongs() : Array.Empty<long>()) : Ints(node, "axes");
                var norm = axes.Select(a => (long)Axis(a, x.Dims.Length, "axis", error)).ToHashSet();
                var dims = x.Dims.Where((d, i) => norm.Count == 0 ? d != 1 : !norm.Contains(i)).ToArray();
                return new OnnxTensor(output, dims, x.DataType, x.Floats, x.Longs);
            }
            case "ConstantOfShape":
            {
                var shape = In(0).AsLongs();
                int n = Count(shape, "the output", error);
                var value = node.Attributes.TryGetValue("value", out var v) ? v.Tensor : null;
                if (value is not null && value.ElementCount != 1)
                {
                    throw error($"has a 'value' of {value.ElementCount} elements; it must hold one");
                }
                if (value is null || value.IsFloat)
                {
                    float f = value?.Floats![0] ?? 0f;
                    return new OnnxTensor(output, shape, OnnxDataType.Float, Enumerable.Repeat(f, n).ToArray(), null);
                }
                return new OnnxTensor(output, shape, OnnxDataType.Int64, null, Enumerable.Repeat(value.Longs![0], n).ToArray());
            }
            case "Range":
            {
                long start = Scalar(In(0), "start", error), limit = Scalar(In(1), "limit", error), delta = Scalar(In(2), "delta", error);
                if (delta == 0)
                {
                    throw error("has delta 0");
                }
                // The count in 128 bits: start, limit and delta are any int64 values.
                Int128 span = (Int128)limit - start;
                Int128 count = span == 0 || (span > 0) != (delta > 0) ? 0 : (span - Math.Sign(delta)) / delta + 1;
                if (count > MaxElements)
                {
                    throw error($"would make {count} values (start {start}, limit {limit}, delta {delta}); constant folding makes at most {MaxElements}");
                }
                var values = new long[(int)count];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = start + i * delta;
                }
                return new OnnxTensor(output, new long[] { values.Length }, OnnxDataType.Int64, null, values);
            }
            case "Transpose":
            {
                var x = In(0);
                int rank = x.Dims.Length;
                var perm = node.Attributes.ContainsKey("perm") ? Ints(node, "perm") : Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                if (perm.Length != rank || perm.Any(p => p < 0 || p >= rank) || perm.Distinct().Count() != rank)
                {
                    throw error($"has perm [{string.Join(",", perm)}], which is not a permutation of the {rank} axes of its input");
                }
                var outDims = perm.Select(p => x.Dims[p]).ToArray();
                return Gather(x, output, outDims, index =>
                {
                    var src = new long[rank];
                    for (int i = 0; i < rank; i++)
                    {
                        src[perm[i]] = index[i];
                    }
                    return src;
                }, error);
            }
            case "Slice":
            {
                var x = In(0);
                int rank = x.Dims.Length;
                long[] starts, ends, axes, steps;
                if (opset >= 10)
                {
                    starts = In(1).AsLongs();
                    ends = In(2).AsLongs();
                    axes = inputs.Count > 3 && inputs[3] is { } a ? a.AsLongs() : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                    steps = inputs.Count > 4 && inputs[4] is { } s ? s.AsLongs() : Enumerable.Repeat(1L, starts.Length).ToArray();
                }
                else
                {
                    starts = Ints(node, "starts");
                    ends = Ints(node, "ends");
                    axes = node.Attributes.ContainsKey("axes") ? Ints(node, "axes") : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                    steps = Enumerable.Repeat(1L, starts.Length).ToArray();
                }
                if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
                {
                    throw error($"has {starts.Length} starts, {ends.Length} ends, {axes.Length} axes and {steps.Length} steps; they must match");
                }
                var begin = new long[rank];
                var step = Enumerable.Repeat(1L, rank).ToArray();
                var outDims = x.Dims.ToArray();
                for (int i = 0; i < axes.Length; i++)
                {
                    int axis = Axis(axes[i], rank, "axis", error);
                    long dim = x.Dims[axis];
                    long st = steps[i];
                    if (st == 0 || st == long.MinValue)
                    {
                        throw error($"has step {st} on axis {axis}");
                    }
                    long b = starts[i] < 0 ? starts[i] + dim : starts[i];
                    long e = ends[i] < 0 ? ends[i] + dim : ends[i];
                    if (st > 0)
                    {
                        b = Math.Clamp(b, 0, dim);
                        e = Math.Clamp(e, 0, dim);
                        // The count rounded up, written so that no step (up to 2^63 - 1) overflows.
                        outDims[axis] = e <= b ? 0 : 1 + (e - b - 1) / st;
                    }
                    else
                    {
                        b = Math.Clamp(b, -1, dim - 1);
                        e = Math.Clamp(e, -1, dim - 1);
                        outDims[axis] = b <= e ? 0 : 1 + (b - e - 1) / -st;
                    }
                    begin[axis] = b;
                    step[axis] = st;
                }
                return Gather(x, output, outDims, index =>
                {
                    var src = new long[rank];
                    for (int i = 0; i < rank; i++)
                    {
                        src[i] = begin[i] + index[i] * step[i];
                    }
                    return src;
                }, error);
            }
            case "Concat":
            {
                var parts = inputs.Select((t, i) => t ?? throw error($"input {i} is missing")).ToList();
                if (parts.Count == 0)
                {
                    throw error("has no inputs");
                }
                long axisAttr = Attr(node, "axis") ?? throw error("has no axis");
                int rank = parts[0].Dims.Length;
                int axis = Axis(axisAttr, rank, "axis", error);
                foreach (var p in parts)
                {
                    if (p.Dims.Length != rank || Enumerable.Range(0, rank).Any(i => i != axis && p.Dims[i] != parts[0].Dims[i]))
                    {
                        throw error($"joins [{string.Join(",", parts[0].Dims)}] and [{string.Join(",", p.Dims)}] on axis {axis}; the other dimensions must match");
                    }
                }
                var outDims = parts[0].Dims.ToArray();
                outDims[axis] = parts.Aggregate(0L, (sum, p) => Math.Min(sum + p.Dims[axis], MaxElements + 1));
                bool isFloat = parts.Any(p => p.IsFloat);
                var offsets = new List<long>();
                long acc = 0;
                foreach (var p in parts)
                {
                    offsets.Add(acc);
                    acc += p.Dims[axis];
                }
                int n = Count(outDims, "the output", error);
                var floats = isFloat ? new float[n] : null;
                var longs = isFloat ? null : new long[n];
                var index = new long[rank];
                for (int flat = 0; flat < n; flat++)
                {
                    Unflatten(flat, outDims, index);
                    int part = offsets.FindLastIndex(o => o <= index[axis]);
                    var src = (long[])index.Clone();
                    src[axis] -= offsets[part];
                    int at = (int)Flatten(src, parts[part].Dims);
                    if (isFloat)
                    {
                        floats![flat] = parts[part].AsFloats()[at];
                    }
                    else
                    {
                        longs![flat] = parts[part].Longs![at];
                    }
                }
                return new OnnxTensor(output, outDims, isFloat ? OnnxDataType.Float : OnnxDataType.Int64, floats, longs);
            }
            case "Gather":
            {
                var x = In(0);
                var idx = In(1);
                long axisAttr = Attr(node, "axis") ?? 0;
                int rank = x.Dims.Length;
                int axis = Axis(axisAttr, rank, "axis", error);
                long dim = x.Dims[axis];
                var indices = idx.AsLongs().Select(i => i >= -dim && i < dim ? (i < 0 ? i + dim : i)
                    : throw error($"gathers index {i} on axis {axis} of size {dim}")).ToArray();
                var outDims = x.Dims.Take(axis).Concat(idx.Dims).Concat(x.Dims.Skip(axis + 1)).ToArray();
                int idxRank = idx.Dims.Length;
                return Gather(x, output, outDims, index =>
                {
                    var src = new long[rank];
                    for (int i = 0; i < axis; i++)
                    {
                        src[i] = index[i];
                    }
                    var sub = index.Skip(axis).Take(idxRank).ToArray();
                    src[axis] = indices[Flatten(sub, idx.Dims)];
                    for (int i = axis + 1; i < rank; i++)
                    {
                        src[i] = index[i - 1 + idxRank];
                    }
                    return src;
                }, error);
            }
            case "Expand":
            {
                var x = In(0);
                var shape = In(1).AsLongs();
                return Broadcast(x, x, output, (a, _) => a, (a, _) => a, error, shape);
            }
            case "Add": return Broadcast(In(0), In(1), output, (a, b) => a + b, (a, b) => a + b, error);
            case "Sub": return Broadcast(In(0), In(1), output, (a, b) => a - b, (a, b) => a - b, error);
            case "Mul": return Broadcast(In(0), In(1), output, (a, b) => a * b, (a, b) => a * b, error);
            case "Div": return Broadcast(In(0), In(1), output, (a, b) => a / b, (a, b) => b == 0 ? throw error("divides an integer by zero") : b == -1 ? unchecked(-a) : a / b, error);
            default:
                throw error($"{node.OpType} cannot be evaluated on constants");
        }
    }

    public static OnnxTensor ConstantValue(OnnxNode node, string output, Func<string, Exception> error)
    {
        foreach (var (key, attr) in node.Attributes)
        {
            switch (key)
            {
                case "value" when attr.Tensor is not null: return Rename(attr.Tensor, output);
                case "value_float" when attr.Float is not null:
                    return new OnnxTensor(output, Array.Empty<long>(), OnnxDataType.Float, new[] { attr.Float.Value }, null);
                case "value_floats":
                    return new OnnxTensor(output, new long[] { attr.Floats.Count }, OnnxDataType.Float, attr.Floats.ToArray(), null);
                case "value_int" when attr.Int is not null:
                    return new OnnxTensor(output, Array.Empty<long>(), OnnxDataType.Int64, null, new[] { attr.Int.Value });
                case "value_ints":
                    return new OnnxTensor(output, new long[] { attr.Ints.Count }, OnnxDataType.Int64, null, attr.Ints.ToArray());
            }
        }
        throw error("Constant has no supported value attribute (value, value_float(s), value_int(s))");
    }

    /// <summary>
    /// The element count of <paramref name="dims"/>, refused (naming <paramref name="what"/> and the shape) when a
    /// dimension is negative or the count exceeds <see cref="MaxElements"/>; the product stops growing at the
    /// limit, so it cannot overflow.
    /// </summary>
    private static int Count(long[] dims, string what, Func<string, Exception> error)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0)
            {
                throw error($"gives {what} the negative dimension {d} in [{string.Join(",", dims)}]");
            }
            n = Math.Min(n * Math.Min(d, MaxElements + 1), MaxElements + 1);
        }
        if (n > MaxElements && !dims.Contains(0))
        {
            throw error($"gives {what} the shape [{string.Join(",", dims)}], more than {MaxElements} elements; constant folding makes at most that");
        }
        return dims.Contains(0) ? 0 : (int)n;
    }

    /// <summary>An axis of a rank-<paramref name="rank"/> tensor, negative counting from the end; refused outside it.</summary>
    private static int Axis(long axis, int rank, string what, Func<string, Exception> error) =>
        axis >= -rank && axis < rank ? (int)(axis < 0 ? axis + rank : axis) : throw error($"has {what} {axis}, outside a rank-{rank} tensor");

    /// <summary>The single value of a one-element tensor (Range's inputs).</summary>
    private static long Scalar(OnnxTensor t, string what, Func<string, Exception> error) =>
        t.ElementCount == 1 ? t.AsLongs()[0] : throw error($"has a {what} of {t.ElementCount} elements; it must hold one");

    public static long? Attr(OnnxNode node, string name) => node.Attributes.TryGetValue(name, out var a) ? a.Int : null;

    public static long[] Ints(OnnxNode node, string name) =>
        node.Attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : Array.Empty<long>();

    private static OnnxTensor Rename(OnnxTensor t, string name) => new(name, t.Dims, t.DataType, t.Floats, t.Longs);

    private static OnnxTensor Map(OnnxTensor x, string output, Func<float, float> f, Func<long, long> l) =>
        x.IsFloat ? new OnnxTensor(output, x.Dims, x.DataType, x.Floats!.Select(f).ToArray(), null)
                  : new OnnxTensor(output, x.Dims, x.DataType, null, x.Longs!.Select(l).ToArray());

    private static void Unflatten(long flat, long[] dims, long[] index)
    {
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            index[i] = dims[i] == 0 ? 0 : flat % dims[i];
            flat = dims[i] == 0 ? 0 : flat / dims[i];
        }
    }

    private static long Flatten(long[] index, long[] dims)
    {
        long flat = 0;
        for (int i = 0; i < dims.Length; i++)
        {
            flat = flat * dims[i] + index[i];
        }
        return flat;
    }

    /// <summary>A tensor of <paramref name="outDims"/> whose element at each index is <paramref name="x"/>'s at the index <paramref name="source"/> gives (always inside <paramref name="x"/>).</summary>
    private static OnnxTensor Gather(OnnxTensor x, string output, long[] outDims, Func<long[], long[]> source, Func<string, Exception> error)
    {
        int n = Count(outDims, "the output", error);
        var index = new long[outDims.Length];
        var floats = x.IsFloat ? new float[n] : null;
        var longs = x.IsFloat ? null : new long[n];
        for (int flat = 0; flat < n; flat++)
        {
            Unflatten(flat, outDims, index);
            int at = (int)Flatten(source(index), x.Dims);
            if (floats is not null)
            {
                floats[flat] = x.Floats![at];
            }
            else
            {
                longs![flat] = x.Longs![at];
            }
        }
        return new OnnxTensor(output, outDims, x.DataType, floats, longs);
    }

    /// <summary>Numpy-style broadcasting of two tensors (or of one to a given shape).</summary>
    private static OnnxTensor Broadcast(OnnxTensor a, OnnxTensor b, string output, Func<float, float, float> f,
        Func<long, long, long> l, Func<string, Exception> error, long[]? toShape = null)
    {
        int rank = Math.Max(Math.Max(a.Dims.Length, b.Dims.Length), toShape?.Length ?? 0);
        long[] Pad(long[] d) => Enumerable.Repeat(1L, rank - d.Length).Concat(d).ToArray();
        var da = Pad(a.Dims);
        var db = Pad(b.Dims);
        var dt = toShape is null ? Enumerable.Repeat(1L, rank).ToArray() : Pad(toShape);
        var outDims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            outDims[i] = da[i] == 0 || db[i] == 0 || dt[i] == 0 ? 0 : Math.Max(Math.Max(da[i], db[i]), dt[i]);
            if ((da[i] != 1 && da[i] != outDims[i]) || (db[i] != 1 && db[i] != outDims[i]) || (dt[i] != 1 && dt[i] != outDims[i]) || dt[i] < 0)
            {
                string with = toShape is null ? $"[{string.Join(",", b.Dims)}]" : $"shape [{string.Join(",", toShape)}]";
                throw error($"cannot broadcast [{string.Join(",", a.Dims)}] with {with} (axis {i})");
            }
        }
        bool isFloat = a.IsFloat || b.IsFloat;
        int n = Count(outDims, "the output", error);
        var index = new long[rank];
        var floats = isFloat ? new float[n] : null;
        var longs = isFloat ? null : new long[n];
        var fa = isFloat ? a.AsFloats() : null;
        var fb = isFloat ? b.AsFloats() : null;
        for (int flat = 0; flat < n; flat++)
        {
            Unflatten(flat, outDims, index);
            long ia = 0, ib = 0;
            for (int i = 0; i < rank; i++)
            {
                ia = ia * da[i] + (da[i] == 1 ? 0 : index[i]);
                ib = ib * db[i] + (db[i] == 1 ? 0 : index[i]);
            }
            if (isFloat)
            {
                floats![flat] = f(fa![ia], fb![ib]);
            }
            else
            {
                longs![flat] = l(a.Longs![ia], b.Longs![ib]);
            }
        }
        return new OnnxTensor(output, outDims, isFloat ? OnnxDataType.Float : OnnxDataType.Int64, floats, longs);
    }
}
