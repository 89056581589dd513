using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Chooses the tiles of an automatic tiling (<see cref="TiledUpscaler.Automatic"/>) for each image size from
/// what the tiles really need: each tile size's graph is planned as its binding will allocate it
/// (<see cref="MemoryPlan"/>: intermediate values share buffers by their liveness), plus the tile's input and
/// output images and their staging copies. Of the grids of equal columns and equal bands, it takes the one of the
/// least estimated cost (the multiply-adds of every tile's graph, overlaps and framing included, each layer's
/// weighed by how well its rows fill the device's SIMD lanes: see <see cref="Cost"/>), one tile whenever it
/// fits, among those whose largest tile fits the budget and makes no value larger than one storage-buffer
/// binding. The grid need not be square: a column as high as the image has no overlap above or below. The budget
/// is per tile, as a run holds one tile's tensors at a time: the tiler releases a tile size's bindings when the
/// next tile has another size.
/// </summary>
internal sealed class TilePlanner
{
    /// <summary>The smallest side of a tile's own region the planner makes (unless the image is smaller).</summary>
    public const int MinimumTile = 16;

    private readonly UpscalingGraph _graphs;
    private readonly int _overlap;
    private readonly int _alignX;
    private readonly int _alignY;
    private readonly int _step;
    private readonly Dictionary<(int, int), (ulong Bytes, ulong Largest)> _needs = new();
    private readonly Func<int, double> _widthCost;
    private readonly KernelTuning? _tuning;
    private readonly Dictionary<(int, int), (int, int)> _chosen = new();

    /// <summary>
    /// A planner for the graphs of <paramref name="graphs"/>, tiles overlapping by <paramref name="overlap"/>,
    /// their input origins aligned to (<paramref name="alignX"/>, <paramref name="alignY"/>) and their sides
    /// multiples of <paramref name="step"/>, within <paramref name="budget"/> bytes and values of at most
    /// <paramref name="bindingLimit"/> bytes, rows of a kernel weighed by <paramref name="widthCost"/>
    /// (<see cref="KernelTuning.WidthCost"/>; null: every row alike), tensors stored and layers run as
    /// <paramref name="tuning"/> says (null: float32 tensors, every layer one pass).
    /// </summary>
    public TilePlanner(UpscalingGraph graphs, int overlap, int alignX, int alignY, int step, ulong budget, ulong bindingLimit,
        Func<int, double>? widthCost = null, KernelTuning? tuning = null)
    {
        _tuning = tuning;
        _widthCost = widthCost ?? (_ => 1);
        _graphs = graphs;
        _overlap = overlap;
        _alignX = alignX;
        _alignY = alignY;
        _step = step;
        Budget = budget;
        BindingLimit = bindingLimit;
    }

    /// <summary>Bytes one tile may hold while it runs.</summary>
    public ulong Budget { get; }

    /// <summary>Bytes of the largest value a tile may make (the device's maxStorageBufferRange).</summary>
    public ulong BindingLimit { get; }

    /// <summary>
    /// The budget of an automatic tiling of <paramref name="model"/> on <paramref name="context"/>'s device, from
    /// its largest device-local memory heap.
    /// </summary>
    public static ulong AutomaticBudget(GpuContext context, ModelDefinition model)
    {
        context.Vk.GetPhysicalDeviceMemoryProperties(context.PhysicalDevice, out var memory);
        ulong heap = 0;
        for (int i = 0; i < memory.MemoryHeapCount; i++)
        {
            if ((memory.MemoryHeaps[i].Flags & MemoryHeapFlags.DeviceLocalBit) != 0)
            {
                heap = Math.Max(heap, memory.MemoryHeaps[i].Size);
            }
        }
        return BudgetFor(heap, model.HasWholeImageStatistics);
    }

    /// <summary>
    /// The budget for a device heap of <paramref name="heap"/> bytes. A model whose squeeze-excitation blocks
    /// average over the whole image (<paramref name="wholeImageStatistics"/>) pays for tiles with one statistics
    /// pass over them per block before the final pass (each tile keeping its values between them, so one run of
    /// the network in all, plus the copies of the kept values and wide overlaps: 46 pixels of context a side for
    /// Real-CUGAN x2): it may take half the heap, so that any image whose one tile fits there runs untiled. Other
    /// models pay only the tiles' overlap, a few percent at these sizes: they keep to a quarter of the heap, at
    /// most 512 MiB, and leave the rest to the application and the images being decoded and encoded.
    /// </summary>
    public static ulong BudgetFor(ulong heap, bool wholeImageStatistics) =>
        wholeImageStatistics ? heap / 2 : Math.Min(heap / 4, 512UL << 20);

    /// <summary>
    /// Bytes a tile of <paramref name="inputWidth"/> x <paramref name="inputHeight"/> input pixels holds while it
    /// runs, and the bytes of its largest value. The graph is the colour one with alpha, the largest kind; the
    /// images in and out are counted as float32 RGBA with a staging copy each, the most any call makes.
    /// </summary>
    public (ulong Bytes, ulong Largest) TileNeeds(int inputWidth, int inputHeight)
    {
        if (!_needs.TryGetValue((inputWidth, inputHeight), out var needs))
        {
            var plan = _graphs.Build(inputWidth, inputHeight, keepAlpha: true, grey: false);
            var memory = new MemoryPlan(plan.Graph, new TensorShape(ImageToTensor.ChannelCount(plan.Input), inputHeight, inputWidth),
                precision: _tuning?.Precision ?? TensorPrecision.Float32, tuning: _tuning);
            var output = memory.Shapes[plan.Graph.Output];
            ulong images = 2UL * 4 * sizeof(float) * ((ulong)inputWidth * (ulong)inputHeight + (ulong)output.Width * (ulong)output.Height);
            needs = (memory.Bytes + images, memory.LargestTensorBytes);
            _needs[(inputWidth, inputHeight)] = needs;
        }
        return needs;
    }

    /// <summary>
    /// The own region (width, height) of the tiles of a <paramref name="width"/> x <paramref name="height"/> image:
    /// one tile when it fits, else the fitting grid of the least estimated cost (see <see cref="Cost"/>), or, when
    /// none fits, the one of the smallest tiles (a run then fails or halves them, with the reason). Remembered per
    /// image size.
    /// </summary>
    public (int Width, int Height) Choose(int width, int height)
    {
        if (!_chosen.TryGetValue((width, height), out var chosen))
        {
            chosen = ChooseAnew(width, height);
            _chosen[(width, height)] = chosen;
        }
        return chosen;
    }

    private (int Width, int Height) ChooseAnew(int width, int height)
    {
        var columns = Sides(width, s => Grid(width, height, s, height).InputWidths());
        var bands = Sides(height, s => Grid(width, height, width, s).InputHeights());
        // One tile, when it fits, whatever the estimate (SIMD lanes that a tile's overlap fills cost nothing in it).
        var (oneBytes, oneLargest) = TileNeeds(columns[0].Inputs.Max(), bands[0].Inputs.Max());
        if (columns[0].Count == 1 && bands[0].Count == 1 && oneBytes <= Budget && oneLargest <= BindingLimit)
        {
            return (columns[0].Side, bands[0].Side);
        }
        var cost = Cost(columns.Select(c => c.Inputs).ToList(), bands.Select(b => b.Inputs).ToList());
        var candidates = Enumerable.Range(0, columns.Count).SelectMany(i => Enumerable.Range(0, bands.Count).Select(j => (i, j)))
            .Select(p => (c: columns[p.i], b: bands[p.j], Cost: cost(p.i, p.j)))
            .OrderBy(p => p.Cost).ThenBy(p => p.c.Count * p.b.Count).ToList();
        // The grid is separable, so its largest tile has the widest column's and the highest band's input; a tile
        // size that does not fit rules out every grid whose largest tile is at least as large (needs grow with size).
        var tooLarge = new List<(int Width, int Height)>();
        foreach (var (c, b, _) in candidates)
        {
            int w = c.Inputs.Max(), h = b.Inputs.Max();
            if (tooLarge.Any(t => t.Width <= w && t.Height <= h))
            {
                continue;
            }
            var (bytes, largest) = TileNeeds(w, h);
            if (bytes <= Budget && largest <= BindingLimit)
            {
                return (c.Side, b.Side);
            }
            tooLarge.Add((w, h));
        }
        return (columns[^1].Side, bands[^1].Side);
    }

    private TileGrid Grid(int width, int height, int tileWidth, int tileHeight) =>
        new(width, height, tileWidth, tileHeight, _overlap, _alignX, _alignY);

    /// <summary>
    /// The estimated cost of a grid, from the input widths of its columns and the input heights of its bands: the
    /// sum over its tiles and the layers of each tile's graph (framing included) of the layer's multiply-adds
    /// (<see cref="MultiplyAdds"/>) times the width cost of the rows its kernel computes (on CPU devices a narrow
    /// row wastes SIMD lanes: <see cref="KernelTuning.WidthCost"/>). A layer's output width depends on the tile's
    /// input width only and its height on the input height only, so each layer's part of a grid's cost is the
    /// product of a sum over the columns and a sum over the bands, from one graph per distinct width and height.
    /// A graph without multiply-adds (resampling only) costs the pixels it computes.
    /// </summary>
    private Func<int, int, double> Cost(IReadOnlyList<int[]> columns, IReadOnlyList<int[]> bands)
    {
        const int Probe = 64;
        var alongWidth = new Dictionary<int, double[]>();
        var alongHeight = new Dictionary<int, double[]>();
        double[] Terms(int w, int h, bool width)
        {
            var plan = _graphs.Build(w, h, keepAlpha: false, grey: false);
            var shapes = plan.Graph.InferShapes(new TensorShape(ImageToTensor.ChannelCount(plan.Input), h, w));
            var nodes = plan.Graph.Nodes;
            var terms = new double[nodes.Count + 1];
            for (int i = 0; i < nodes.Count; i++)
            {
                var input = nodes[i].Inputs.Count > 0 ? shapes[nodes[i].Inputs[0]] : shapes[nodes[i].Output];
                var output = shapes[nodes[i].Output];
                double macs = MultiplyAdds.Of(nodes[i].Spec, input, output);
                // Along the width: multiply-adds per output row times the rows' width cost; along the height: the rows.
                terms[i] = width ? macs / Math.Max(1, output.Height) * _widthCost(MultiplyAdds.KernelWidth(nodes[i].Spec, input, output))
                    : macs > 0 ? output.Height : 0;
            }
            var last = shapes[plan.Graph.Output];
            terms[nodes.Count] = width ? last.Width : last.Height;
            return terms;
        }
        foreach (int w in columns.SelectMany(c => c).Distinct())
        {
            alongWidth[w] = Terms(w, Probe, width: true);
        }
        foreach (int h in bands.SelectMany(b => b).Distinct())
        {
            alongHeight[h] = Terms(Probe, h, width: false);
        }
        int count = alongWidth.Values.First().Length;
        if (alongWidth.Values.Concat(alongHeight.Values).Any(t => t.Length != count))
        {
            // Graphs that differ with the size: the input pixels.
            return (i, j) => (double)columns[i].Sum() * bands[j].Sum();
        }
        // The terms of each side summed over its tiles, once; the last term, the output's pixels, counts only for a
        // graph that does not multiply.
        bool multiplies = alongWidth.Values.Any(t => t.Take(count - 1).Any(v => v > 0));
        double[] Sum(int[] extents, Dictionary<int, double[]> terms)
        {
            var sum = new double[count];
            foreach (int e in extents)
            {
                for (int l = 0; l < count; l++)
                {
                    sum[l] += terms[e][l];
                }
            }
            if (multiplies)
            {
                sum[count - 1] = 0;
            }
            else
            {
                Array.Clear(sum, 0, count - 1);
            }
            return sum;
        }
        var a = columns.Select(c => Sum(c, alongWidth)).ToList();
        var b = bands.Select(c => Sum(c, alongHeight)).ToList();
        return (i, j) =>
        {
            double total = 0;
            for (int l = 0; l < count; l++)
            {
                total += a[i][l] * b[j][l];
            }
            return total;
        };
    }

    /// <summary>
    /// The distinct tile sides along an image side of <paramref name="size"/> pixels, from one tile to tiles of
    /// <see cref="MinimumTile"/>: for n tiles the side ceil(size / n), a multiple of the step; with the input extent
    /// of each tile.
    /// </summary>
    private List<(int Side, int Count, int[] Inputs)> Sides(int size, Func<int, IEnumerable<int>> inputs)
    {
        var sides = new List<(int, int, int[])>();
        int last = -1;
        for (int n = 1; n == 1 || (size + n - 1) / n >= MinimumTile; n++)
        {
            int side = ((size + n - 1) / n + _step - 1) / _step * _step;
            if (side == last)
            {
                continue;
            }
            last = side;
            var extents = inputs(side).ToArray();
            sides.Add((side, extents.Length, extents));
        }
        return sides;
    }
}
