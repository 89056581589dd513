namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// Evaluates nodes whose inputs are all constants, on the CPU, at import time. Exporters compute padding
/// amounts, scales and shapes with small constant subgraphs (PyTorch 1.13 writes reflect padding as Pad fed by
/// ConstantOfShape, Concat, Reshape, Slice, Transpose and Cast); folding them leaves plain constants for the
/// layers. Integer tensors stay int64, floating-point ones float32.
/// </summary>
internal static class ConstantFolder
{
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
                long to = Attr(node, "to") ?? throw error("Cast has no 'to' attribute");
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
                long known = 1;
                int infer = -1;
                for (int i = 0; i < shape.Length; i++)
                {
                    if (shape[i] == 0)
                    {
                        shape[i] = x.Dims[i];
                    }
                    if (shape[i] == -1)
                    {
                        infer = i;
                    }
                    else
                    {
                        known *= shape[i];
                    }
                }
                if (infer >= 0)
                {
                    shape[infer] = x.ElementCount / Math.Max(known, 1);
                }
                if (shape.Aggregate(1L, (a, b) => a * b) != x.ElementCount)
                {
                    throw error($"cannot reshape [{string.Join(",", x.Dims)}] to [{string.Join(",", shape)}]");
                }
                return new OnnxTensor(output, shape, x.DataType, x.Floats, x.Longs);
            }
            case "Flatten":
            {
                var x = In(0);
                long axis = Attr(node, "axis") ?? 1;
                if (axis < 0)
                {
                    axis += x.Dims.Length;
                }
                long a = x.Dims.Take((int)axis).Aggregate(1L, (p, q) => p * q);
                return new OnnxTensor(output, new[] { a, x.ElementCount / Math.Max(a, 1) }, x.DataType, x.Floats, x.Longs);
            }
            case "Unsqueeze":
            {
                var x = In(0);
                var axes = opset >= 13 ? In(1).AsLongs() : Ints(node, "axes");
                var dims = x.Dims.ToList();
                int rank = dims.Count + axes.Length;
                foreach (var a in axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a))
                {
                    dims.Insert((int)a, 1);
                }
                return new OnnxTensor(output, dims.ToArray(), x.DataType, x.Floats, x.Longs);
            }
            case "Squeeze":
            {
                var x = In(0);
                var axes = opset >= 13 ? (inputs.Count > 1 && inputs[1] is { } ax ? ax.AsLongs() : Array.Empty<long>()) : Ints(node, "axes");
                var norm = axes.Select(a => a < 0 ? a + x.Dims.Length : a).ToHashSet();
                var dims = x.Dims.Where((d, i) => norm.Count == 0 ? d != 1 : !norm.Contains(i)).ToArray();
                return new OnnxTensor(output, dims, x.DataType, x.Floats, x.Longs);
            }
            case "ConstantOfShape":
            {
                var shape = In(0).AsLongs();
                long n = shape.Aggregate(1L, (a, b) => a * b);
                var value = node.Attributes.TryGetValue("value", out var v) ? v.Tensor : null;
                if (value is null || value.IsFloat)
                {
                    float f = value?.Floats![0] ?? 0f;
                    return new OnnxTensor(output, shape, OnnxDataType.Float, Enumerable.Repeat(f, (int)n).ToArray(), null);
                }
                return new OnnxTensor(output, shape, OnnxDataType.Int64, null, Enumerable.Repeat(value.Longs![0], (int)n).ToArray());
            }
            case "Range":
            {
                long start = In(0).AsLongs()[0], limit = In(1).AsLongs()[0], delta = In(2).AsLongs()[0];
                var values = new List<long>();
                for (long v = start; delta > 0 ? v < limit : v > limit; v += delta)
                {
                    values.Add(v);
                }
                return new OnnxTensor(output, new long[] { values.Count }, OnnxDataType.Int64, null, values.ToArray());
            }
            case "Transpose":
            {
                var x = In(0);
                int rank = x.Dims.Length;
                var perm = node.Attributes.ContainsKey("perm") ? Ints(node, "perm") : Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
                var outDims = perm.Select(p => x.Dims[p]).ToArray();
                return Gather(x, output, outDims, index =>
                {
                    var src = new long[rank];
                    for (int i = 0; i < rank; i++)
                    {
                        src[perm[i]] = index[i];
                    }
                    return src;
                });
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
                var begin = new long[rank];
                var step = Enumerable.Repeat(1L, rank).ToArray();
                var outDims = x.Dims.ToArray();
                for (int i = 0; i < axes.Length; i++)
                {
                    int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
                    long dim = x.Dims[axis];
                    long st = steps[i];
                    if (st == 0)
                    {
                        throw error("Slice step 0");
                    }
                    long b = starts[i] < 0 ? starts[i] + dim : starts[i];
                    long e = ends[i] < 0 ? ends[i] + dim : ends[i];
                    if (st > 0)
                    {
                        b = Math.Clamp(b, 0, dim);
                        e = Math.Clamp(e, 0, dim);
                        outDims[axis] = Math.Max(0, (e - b + st - 1) / st);
                    }
                    else
                    {
                        b = Math.Clamp(b, -1, dim - 1);
                        e = Math.Clamp(e, -1, dim - 1);
                        outDims[axis] = Math.Max(0, (b - e + (-st) - 1) / (-st));
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
                });
            }
            case "Concat":
            {
                var parts = inputs.Select((t, i) => t ?? throw error($"input {i} is missing")).ToList();
                long axisAttr = Attr(node, "axis") ?? throw error("Concat has no axis");
                int rank = parts[0].Dims.Length;
                int axis = (int)(axisAttr < 0 ? axisAttr + rank : axisAttr);
                var outDims = parts[0].Dims.ToArray();
                outDims[axis] = parts.Sum(p => p.Dims[axis]);
                bool isFloat = parts.Any(p => p.IsFloat);
                var offsets = new List<long>();
                long acc = 0;
                foreach (var p in parts)
                {
                    offsets.Add(acc);
                    acc += p.Dims[axis];
                }
                int n = (int)outDims.Aggregate(1L, (a, b) => a * b);
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
                int axis = (int)(axisAttr < 0 ? axisAttr + rank : axisAttr);
                var indices = idx.AsLongs().Select(i => i < 0 ? i + x.Dims[axis] : i).ToArray();
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
                });
            }
            case "Expand":
            {
                var x = In(0);
                var shape = In(1).AsLongs();
                return Broadcast(x, x, output, (a, _) => a, (a, _) => a, shape);
            }
            case "Add": return Broadcast(In(0), In(1), output, (a, b) => a + b, (a, b) => a + b);
            case "Sub": return Broadcast(In(0), In(1), output, (a, b) => a - b, (a, b) => a - b);
            case "Mul": return Broadcast(In(0), In(1), output, (a, b) => a * b, (a, b) => a * b);
            case "Div": return Broadcast(In(0), In(1), output, (a, b) => a / b, (a, b) => b == 0 ? throw error("integer division by zero") : a / b);
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

    private static OnnxTensor Gather(OnnxTensor x, string output, long[] outDims, Func<long[], long[]> source)
    {
        int n = (int)outDims.Aggregate(1L, (a, b) => a * b);
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
        Func<long, long, long> l, long[]? toShape = null)
    {
        int rank = Math.Max(Math.Max(a.Dims.Length, b.Dims.Length), toShape?.Length ?? 0);
        long[] Pad(long[] d) => Enumerable.Repeat(1L, rank - d.Length).Concat(d).ToArray();
        var da = Pad(a.Dims);
        var db = Pad(b.Dims);
        var dt = toShape is null ? Enumerable.Repeat(1L, rank).ToArray() : Pad(toShape);
        var outDims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            outDims[i] = Math.Max(Math.Max(da[i], db[i]), dt[i]);
        }
        bool isFloat = a.IsFloat || b.IsFloat;
        int n = (int)outDims.Aggregate(1L, (p, q) => p * q);
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
