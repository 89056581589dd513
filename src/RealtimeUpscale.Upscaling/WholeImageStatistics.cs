using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Where a value's pixels lie on one axis of the image: pixel q of the value covers the image's
/// [Offset + Step q, Offset + Step (q + 1)) (continuous coordinates, image pixel i covering [i, i + 1)).
/// Step is the image pixels per value pixel (2 after a stride-2 convolution, 1/2 after an upsampling by 2).
/// </summary>
internal readonly record struct AxisMap(double Step, double Offset)
{
    /// <summary>After a window of <paramref name="kernel"/> taps every <paramref name="stride"/> pixels, <paramref name="before"/> pixels of padding first.</summary>
    public AxisMap Window(int kernel, int stride, int dilation, int before) =>
        new(Step * stride, Offset + Step * (-before + (kernel - 1) * dilation / 2.0 + 0.5 - stride / 2.0));

    /// <summary>After a transposed convolution: each input pixel spreads over <paramref name="stride"/> outputs.</summary>
    public AxisMap Transposed(int kernel, int stride, int padding) =>
        new(Step / stride, Offset + Step * ((padding - (kernel - 1) / 2.0) / stride + 0.5 - 0.5 / stride));

    /// <summary>After an upsampling (or a depth-to-space) by <paramref name="factor"/>.</summary>
    public AxisMap Upsampled(double factor) => new(Step / factor, Offset);

    /// <summary>After a crop of <paramref name="first"/> pixels.</summary>
    public AxisMap Cropped(int first) => new(Step, Offset + Step * first);

    /// <summary>Whether two maps place pixels alike (to rounding).</summary>
    public bool SameAs(AxisMap other) => Math.Abs(Step - other.Step) < 1e-9 && Math.Abs(Offset - other.Offset) < 1e-9;

    /// <summary>
    /// How many of a value's first pixels (of <paramref name="size"/>) lie before image coordinate
    /// <paramref name="x"/>: those whose centre Offset + Step (q + 1/2) is below it. Tiles that split the image at x
    /// split the value there, so every pixel of the value belongs to exactly one tile.
    /// </summary>
    public int Before(double x, int size) => (int)Math.Clamp(Math.Ceiling((x - Offset) / Step - 0.5 - 1e-9), 0, size);
}

/// <summary>Where a value's pixels lie on both axes of the image.</summary>
internal readonly record struct PixelMap(AxisMap Y, AxisMap X);

/// <summary>
/// The whole-image statistics of a model's squeeze-excitation blocks, as a tiled run computes them. Each
/// block's global average pooling reads a value (<see cref="Block.Pooled"/>) and writes its per-channel means
/// (<see cref="Block.Mean"/>), which a fully connected excitation turns into the scales of the block's channels.
/// A tile sees other means than the image, so a tiled run first makes one statistics pass per block, in order:
/// each tile runs the graph up to the block's pooled value, given the whole image's means of the blocks before
/// it, and sums that value over its own share of the whole image's pixels at that depth
/// (<see cref="OwnedRegion"/>); the sums over all tiles divided by the whole value's size are the image's
/// means. The final pass runs every tile with all the means given. Cost: (blocks + 1) passes over the tiles,
/// the statistics pass of block k running the network as far as block k; or, when each tile keeps its values
/// between the passes (<see cref="Resumed"/>), one run of the network per tile in all.
/// </summary>
internal static class WholeImageStatistics
{
    /// <summary>One squeeze-excitation block: the value its global average pools and the means it writes.</summary>
    public readonly record struct Block(string Pooled, string Mean);

    /// <summary>The global average poolings of <paramref name="graph"/> in the order they run.</summary>
    public static IReadOnlyList<Block> Blocks(ModelDefinition graph) => graph.Nodes
        .Where(n => n.Spec is Pool2dSpec { Global: true, Region: null })
        .Select(n => new Block(n.Inputs[0], n.Output)).ToList();

    /// <summary>
    /// Whether a tiled run can give <paramref name="graph"/> (an upscaling graph of a model with whole-image
    /// statistics) its whole image's means: every global pooling is an average, every fully connected layer reads
    /// only such means (or values made from them), and every pooled value's pixels have a known place in the
    /// image. Otherwise the model runs as one tile.
    /// </summary>
    public static bool Supports(ModelDefinition graph)
    {
        if (graph.Nodes.Any(n => n.Spec is Pool2dSpec { Global: true, Mode: not PoolMode.Average }))
        {
            return false;
        }
        var (maps, global) = Maps(graph);
        return graph.Nodes.Where(n => n.Spec is FullyConnectedSpec).All(n => global.Contains(n.Inputs[0]))
            && Blocks(graph).All(b => maps.ContainsKey(b.Pooled));
    }

    /// <summary>
    /// The graph that computes block <paramref name="block"/>'s pooled value (its output), and only what that needs.
    /// </summary>
    public static ModelDefinition UpTo(ModelDefinition graph, int block)
    {
        string target = Blocks(graph)[block].Pooled;
        var needed = new HashSet<string> { target };
        var live = new List<ModelNode>();
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (needed.Contains(node.Output))
            {
                live.Add(node);
                needed.UnionWith(node.Inputs);
            }
        }
        live.Reverse();
        return new ModelDefinition(graph.Info, graph.Input, target, live);
    }

    /// <summary>
    /// One pass over a tile when the tile keeps its values between passes (<see cref="Resumed"/>): the graph it
    /// binds (up to block k's pooled value, or the whole graph for the final pass), the blocks whose whole-image
    /// means it is given, the values it takes back from earlier passes instead of computing them again
    /// (<see cref="Restored"/>), the values it computes that later passes take back (<see cref="Saved"/>), and the
    /// values the tile must still hold after it (<see cref="Held"/>: the saved values of this and earlier passes
    /// that later passes restore).
    /// </summary>
    public sealed record Pass(ModelDefinition Graph, IReadOnlyList<int> Means, IReadOnlyList<string> Restored,
        IReadOnlyList<string> Saved, IReadOnlySet<string> Held);

    /// <summary>
    /// The statistics passes of <paramref name="graph"/> and its final pass (the last one) for a tile that keeps its
    /// values from pass to pass, so that each node runs once per tile instead of once per pass that needs it. A
    /// pass computes what its graph needs and no earlier pass computed: every value an earlier pass computed was
    /// computed with the whole image's means of the blocks before it, which are final, so it is taken back as it
    /// was. The values a pass takes back are those its new nodes read (where the network crosses from what was done
    /// to what is new: a U-Net's skip connections, the block's own input); the whole-image means are given as in
    /// <see cref="UpTo"/>'s passes. Total work: one run of the graph per tile, instead of one per block and one
    /// more, at the cost of holding the crossing values (on the host) between passes. Null where a block pools a
    /// value an earlier block's pass already computed (a pass cannot be given its own output): its tiles recompute.
    /// </summary>
    public static IReadOnlyList<Pass>? Resumed(ModelDefinition graph)
    {
        var blocks = Blocks(graph);
        var blockOfMean = new Dictionary<string, int>();
        for (int k = 0; k < blocks.Count; k++)
        {
            blockOfMean[blocks[k].Mean] = k;
        }
        var done = new HashSet<string>();
        var plans = new List<(ModelDefinition Graph, List<int> Means, List<string> Restored, List<string> Computed)>();
        for (int k = 0; k <= blocks.Count; k++)
        {
            var g = k < blocks.Count ? UpTo(graph, k) : graph;
            if (done.Contains(g.Output))
            {
                return null;
            }
            var needed = new HashSet<string> { g.Output };
            var means = new List<int>();
            var restored = new List<string>();
            var computed = new List<string>();
            for (int i = g.Nodes.Count - 1; i >= 0; i--)
            {
                var node = g.Nodes[i];
                if (!needed.Contains(node.Output))
                {
                    continue;
                }
                if (blockOfMean.TryGetValue(node.Output, out int b))
                {
                    means.Add(b); // a block before k: UpTo(k) ends before block k's mean
                }
                else if (done.Contains(node.Output))
                {
                    restored.Add(node.Output);
                }
                else
                {
                    computed.Add(node.Output);
                    needed.UnionWith(node.Inputs);
                }
            }
            means.Sort();
            restored.Reverse();
            done.UnionWith(computed);
            plans.Add((g, means, restored, computed));
        }
        var passes = new List<Pass>();
        for (int k = 0; k < plans.Count; k++)
        {
            var later = plans.Skip(k + 1).SelectMany(p => p.Restored).ToHashSet();
            var saved = plans[k].Computed.Where(later.Contains).Reverse().ToList();
            var held = plans.Take(k + 1).SelectMany(p => p.Computed).Where(later.Contains).ToHashSet();
            passes.Add(new Pass(plans[k].Graph, plans[k].Means, plans[k].Restored, saved, held));
        }
        return passes;
    }

    /// <summary>
    /// Writes the whole image's means of the first blocks into the binding's supplied values; for a pass of a tile
    /// that keeps its values, the means the pass reads and the values it takes back from <paramref name="held"/>,
    /// after which <paramref name="held"/> drops what no later pass takes back and sets arrays aside for the values
    /// this pass saves (<see cref="TileValues.Reserve"/>), so that their fresh pages are mapped while the device
    /// runs the pass.
    /// </summary>
    public static void Supply(UpscalingPlan plan, NetworkBinding binding, IReadOnlyList<float[]> means,
        WholeImageStatistics.Pass? pass = null, TileValues? held = null)
    {
        var blocks = WholeImageStatistics.Blocks(plan.Graph);
        if (pass is null)
        {
            // The means of the blocks before; one that nothing the binding runs reads has no tensor.
            for (int k = 0; k < means.Count; k++)
            {
                if (binding.Supplies(blocks[k].Mean))
                {
                    binding.Supplied(blocks[k].Mean).Upload(means[k]);
                }
            }
            return;
        }
        foreach (int k in pass.Means)
        {
            binding.Supplied(blocks[k].Mean).Upload(means[k]);
        }
        foreach (var value in pass.Restored)
        {
            if (held is null || !held.TryGetValue(value, out var data))
            {
                throw new InvalidOperationException($"{plan.Graph.Info.Source}: the tile's value '{value}' from an earlier pass is missing.");
            }
            binding.Supplied(value).Upload(data);
        }
        if (held is not null)
        {
            foreach (var value in held.Names.Where(v => !pass.Held.Contains(v)).ToList())
            {
                held.Drop(value); // first, so that the values saved next can take its array
            }
            foreach (var value in pass.Saved)
            {
                held.Reserve(value, binding.Kept(value).Shape.ElementCount);
            }
        }
    }

    /// <summary>
    /// After a pass of a tile that keeps its values: reads the values later passes take back into
    /// <paramref name="held"/> (into the arrays <see cref="Supply"/> set aside for them).
    /// </summary>
    public static void Keep(NetworkBinding binding, WholeImageStatistics.Pass? pass, TileValues? held)
    {
        if (pass is null || held is null)
        {
            return;
        }
        foreach (var value in pass.Saved)
        {
            held.Keep(value, binding.Kept(value));
        }
    }

    /// <summary>
    /// Host bytes the tiles of <paramref name="grid"/> hold at most when they keep their values between
    /// <paramref name="passes"/> (<see cref="Resumed"/>; <paramref name="build"/> makes the graph of a tile's size):
    /// every tile holds, while pass k runs, what it kept from the passes before and what pass k saves; the largest
    /// such sum over the passes, for all tiles at once.
    /// </summary>
    public static long HeldBytes(IReadOnlyList<Pass> passes, Func<int, int, ModelDefinition> build, TileGrid grid, int inputChannels)
    {
        var during = passes.Select((p, k) => (k > 0 ? passes[k - 1].Held : Enumerable.Empty<string>()).Union(p.Saved).ToList()).ToList();
        var bytes = new Dictionary<(int, int), long[]>();
        var total = new long[passes.Count];
        foreach (var tile in grid.All())
        {
            var size = (tile.InputWidth, tile.InputHeight);
            if (!bytes.TryGetValue(size, out var b))
            {
                var shapes = build(tile.InputWidth, tile.InputHeight).InferShapes(new TensorShape(inputChannels, tile.InputHeight, tile.InputWidth));
                b = during.Select(values => values.Sum(v => (long)shapes[v].ByteSize)).ToArray();
                bytes[size] = b;
            }
            for (int k = 0; k < total.Length; k++)
            {
                total[k] += b[k];
            }
        }
        return total.Max();
    }

    /// <summary>
    /// Where the pixels of every value of <paramref name="graph"/> lie in its input image, where it can be told
    /// (maps), and the values that hold whole-image statistics, or values made from them only (global).
    /// </summary>
    public static (Dictionary<string, PixelMap> Maps, HashSet<string> Global) Maps(ModelDefinition graph)
    {
        var maps = new Dictionary<string, PixelMap> { [graph.Input] = new(new AxisMap(1, 0), new AxisMap(1, 0)) };
        var global = new HashSet<string>();
        foreach (var node in graph.Nodes)
        {
            if (node.Spec is Pool2dSpec { Global: true } or FullyConnectedSpec || (node.Inputs.Count > 0 && node.Inputs.All(global.Contains)))
            {
                global.Add(node.Output);
                continue;
            }
            if (ChannelScaledConvSpec.Unscaled(node.Spec) is ResidualConvSpec fused)
            {
                // A fused residual: the convolution's map of input 0, where the residual (input 1, resized or
                // cropped) agrees; channel scales after them have no place.
                if (node.Inputs.Take(2).All(maps.ContainsKey) && After(fused.Conv, maps[node.Inputs[0]]) is { } conv &&
                    (fused.Upsample is not null ? Upsampled(fused.Upsample, maps[node.Inputs[1]])
                        : fused.Crop is not null ? After(fused.Crop, maps[node.Inputs[1]]) : maps[node.Inputs[1]]) is { } residual &&
                    residual.Y.SameAs(conv.Y) && residual.X.SameAs(conv.X))
                {
                    maps[node.Output] = conv;
                }
                continue;
            }
            // The spatial inputs (a squeeze-excitation's per-channel scale broadcasts and has no place) must agree.
            var spatial = node.Inputs.Where(v => !global.Contains(v)).ToList();
            if (spatial.Count == 0 || !spatial.All(maps.ContainsKey))
            {
                continue;
            }
            var m = maps[spatial[0]];
            if (spatial.Skip(1).Any(v => !maps[v].Y.SameAs(m.Y) || !maps[v].X.SameAs(m.X)) && node.Spec is not CropToSpec)
            {
                continue;
            }
            if (After(node.Spec, m) is { } map)
            {
                maps[node.Output] = map;
            }
        }
        return (maps, global);
    }

    /// <summary>The map of a layer's output from its (first) input's, or null where the layer's geometry is not one this knows.</summary>
    private static PixelMap? After(LayerSpec spec, PixelMap m) => spec switch
    {
        Conv2dSpec c => Convolved(c, m),
        ChannelScaledConvSpec cs => After(cs.Conv, m),
        PointwiseConvSpec pc => After(pc.Conv, m),
        SubPixelConvSpec s => Convolved(s.Conv, m) is { } conv ? new(conv.Y.Upsampled(s.Shuffle.Scale), conv.X.Upsampled(s.Shuffle.Scale)) : null,
        ResizeConvSpec r => Upsampled(r.Upsample, m) is { } up ? Convolved(r.Conv, up) : null,
        UpsampleSpec u => Upsampled(u, m),
        PixelShuffleSpec p => new(m.Y.Upsampled(p.Scale), m.X.Upsampled(p.Scale)),
        ConvTranspose2dSpec t when t.InputPadding == default =>
            new(m.Y.Transposed(t.KernelH, t.StrideY, t.Padding.Top), m.X.Transposed(t.KernelW, t.StrideX, t.Padding.Left)),
        Pool2dSpec { Global: false } p => new(m.Y.Window(p.KernelH, p.StrideY, 1, p.Padding.Top), m.X.Window(p.KernelW, p.StrideX, 1, p.Padding.Left)),
        CropSpec c => new(m.Y.Cropped(c.Top), m.X.Cropped(c.Left)),
        CropToSpec c => new(m.Y.Cropped(c.Top), m.X.Cropped(c.Left)),
        BinarySpec or ScaleBiasSpec or ConcatSpec => m,
        _ => null,
    };

    private static PixelMap? Convolved(Conv2dSpec c, PixelMap m) =>
        new(m.Y.Window(c.KernelH, c.StrideY, c.DilationY, c.Padding.Top), m.X.Window(c.KernelW, c.StrideX, c.DilationX, c.Padding.Left));

    private static PixelMap? Upsampled(UpsampleSpec u, PixelMap m) =>
        u.OutputHeight is null && u.OutputWidth is null && !u.AlignCorners && (!u.RecomputeScaleFactor || (u.ScaleY % 1 == 0 && u.ScaleX % 1 == 0)) ? new(m.Y.Upsampled(u.ScaleY), m.X.Upsampled(u.ScaleX)) : null;

    /// <summary>
    /// The region of a tile's pooled value that is the tile's own share of the whole image's, on one axis: the
    /// whole value (of <paramref name="wholeSize"/> pixels) is split where the tiles' own regions
    /// [<paramref name="own0"/>, <paramref name="own1"/>) meet (the first tile also takes what lies before the
    /// image, the last what lies after it), and the tile's value, whose input starts at image pixel
    /// <paramref name="input0"/>, holds that share <paramref name="input0"/> / Step pixels earlier. Throws when
    /// the share is not inside the tile's value of <paramref name="tileSize"/> pixels (the tile's context is too
    /// small for it) or the tile's start is not on the value's pixel grid.
    /// </summary>
    public static (int Start, int Length) OwnedRegion(AxisMap map, int wholeSize, int tileSize, int own0, int own1, int input0, bool first, bool last)
    {
        int lo = first ? 0 : map.Before(own0, wholeSize);
        int hi = last ? wholeSize : map.Before(own1, wholeSize);
        double shift = input0 / map.Step;
        int d = (int)Math.Round(shift);
        if (Math.Abs(shift - d) > 1e-6 || (hi > lo && (lo - d < 0 || hi - d > tileSize)))
        {
            throw new InvalidOperationException($"A tile starting at {input0} holds pixels {lo - d} to {hi - d} of a value it has {tileSize} of " +
                $"(step {map.Step}): its share of the whole image's statistics is not inside it.");
        }
        return (lo - d, Math.Max(0, hi - lo));
    }
}

/// <summary>
/// The values one tile keeps between its passes (<see cref="WholeImageStatistics.Resumed"/>), in host arrays that
/// the tiles of one image share through <see cref="HostArrays"/>: an array a value no longer needs serves the next
/// value of its length, in this tile or another, so the passes copy into memory already in use where they can. An
/// array for a value a pass saves is set aside before the pass runs (<see cref="Reserve"/>), so that when it is
/// fresh its pages are mapped while the device works (<see cref="PageWarmer"/>).
/// </summary>
internal sealed class TileValues(HostArrays arrays)
{
    private readonly Dictionary<string, float[]> _values = new();
    private readonly Dictionary<string, float[]> _reserved = new();

    /// <summary>The names of the values held.</summary>
    public IEnumerable<string> Names => _values.Keys;

    /// <summary>The value <paramref name="name"/>, if held.</summary>
    public bool TryGetValue(string name, out float[] data) => _values.TryGetValue(name, out data!);

    /// <summary>Sets an array of <paramref name="length"/> floats aside for value <paramref name="name"/>, which a pass about to run saves.</summary>
    public void Reserve(string name, long length)
    {
        if (_reserved.Remove(name, out var old))
        {
            arrays.Return(old);
        }
        _reserved[name] = arrays.Rent(checked((int)length));
    }

    /// <summary>Copies <paramref name="tensor"/> (GPU writes completed) as value <paramref name="name"/>.</summary>
    public void Keep(string name, GpuTensor tensor)
    {
        Drop(name);
        int length = checked((int)tensor.Shape.ElementCount);
        if (!_reserved.Remove(name, out var data) || data.Length != length)
        {
            if (data is not null)
            {
                arrays.Return(data);
            }
            data = arrays.Rent(length);
        }
        tensor.Download(data);
        _values[name] = data;
    }

    /// <summary>Gives value <paramref name="name"/>'s array back, if held.</summary>
    public void Drop(string name)
    {
        if (_values.Remove(name, out var data))
        {
            arrays.Return(data);
        }
    }

    /// <summary>Gives every array back, the values' and the ones set aside.</summary>
    public void Clear()
    {
        foreach (var data in _values.Values.Concat(_reserved.Values))
        {
            arrays.Return(data);
        }
        _values.Clear();
        _reserved.Clear();
    }
}

/// <summary>
/// Host arrays of floats by length, handed out again once given back (see <see cref="TileValues"/>). A fresh large
/// array's pages are mapped by <see cref="PageWarmer"/> in the background, which never changes its contents.
/// </summary>
internal sealed class HostArrays
{
    private readonly Dictionary<int, Stack<float[]>> _free = new();
    private readonly List<PageWarmer.Warming> _warming = new();

    /// <summary>An array of <paramref name="length"/> floats, its contents undefined.</summary>
    public float[] Rent(int length)
    {
        if (_free.TryGetValue(length, out var stack) && stack.Count > 0)
        {
            return stack.Pop();
        }
        var data = GC.AllocateUninitializedArray<float>(length);
        if (PageWarmer.Worthwhile(length))
        {
            _warming.Add(PageWarmer.Warm(data));
        }
        return data;
    }

    /// <summary>Gives <paramref name="data"/> back for a later <see cref="Rent"/>.</summary>
    public void Return(float[] data)
    {
        if (!_free.TryGetValue(data.Length, out var stack))
        {
            _free[data.Length] = stack = new Stack<float[]>();
        }
        stack.Push(data);
    }

    /// <summary>Stops the warming of every array rented, where the arrays are being given up (their tiles recompute).</summary>
    public void StopWarming()
    {
        foreach (var warming in _warming)
        {
            warming.Stop();
        }
        _warming.Clear();
    }
}
