using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Chooses the tiles of an automatic tiling (<see cref="TiledUpscaler.Automatic"/>) for each image size from
/// what the tiles really need: each tile size's graph is planned as its binding will allocate it
/// (<see cref="MemoryPlan"/>: intermediate values share buffers by their liveness), plus the tile's input and
/// output images and their staging copies. Of the grids of equal columns and equal bands, it takes the one that
/// computes the fewest input pixels (own regions plus the overlaps and the framing's margins of every tile; one
/// tile is the fewest of all) among those whose largest tile fits the budget and makes no value larger than one
/// storage-buffer binding. The grid need not be square: a column as high as the image has no overlap above or
/// below. The budget is per tile, as a run holds one tile's tensors at a time per tile size; the tiler keeps each
/// tile size it meets bound (up to three per side: first, middle and last), which on running out of memory it
/// gives back before halving the tiles.
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

    /// <summary>
    /// A planner for the graphs of <paramref name="graphs"/>, tiles overlapping by <paramref name="overlap"/>,
    /// their input origins aligned to (<paramref name="alignX"/>, <paramref name="alignY"/>) and their sides
    /// multiples of <paramref name="step"/>, within <paramref name="budget"/> bytes and values of at most
    /// <paramref name="bindingLimit"/> bytes.
    /// </summary>
    public TilePlanner(UpscalingGraph graphs, int overlap, int alignX, int alignY, int step, ulong budget, ulong bindingLimit)
    {
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
    /// pass over them per block before the final pass (about three passes' work for Real-CUGAN and cunet, against
    /// one untiled): it may take half the heap, so that any image whose one tile fits there runs untiled. Other
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
            var memory = new MemoryPlan(plan.Graph, new TensorShape(ImageToTensor.ChannelCount(plan.Input), inputHeight, inputWidth));
            var output = memory.Shapes[plan.Graph.Output];
            ulong images = 2UL * 4 * sizeof(float) * ((ulong)inputWidth * (ulong)inputHeight + (ulong)output.Width * (ulong)output.Height);
            needs = (memory.Bytes + images, memory.LargestTensorBytes);
            _needs[(inputWidth, inputHeight)] = needs;
        }
        return needs;
    }

    /// <summary>
    /// The own region (width, height) of the tiles of a <paramref name="width"/> x <paramref name="height"/> image:
    /// the fitting grid that computes the fewest pixels (see <see cref="TilePlanner"/>), or, when none fits, the
    /// one of the smallest tiles (a run then fails or halves them, with the reason).
    /// </summary>
    public (int Width, int Height) Choose(int width, int height)
    {
        var framing = _graphs.Model.Info.Framing;
        var columns = Sides(width, s => Grid(width, height, s, height).InputWidths(), w => w + 2 * (framing?.Margin ?? 0) + (framing?.AlignmentPad(w) ?? 0));
        var bands = Sides(height, s => Grid(width, height, width, s).InputHeights(), h => h + 2 * (framing?.Margin ?? 0) + (framing?.AlignmentPad(h) ?? 0));
        var candidates = columns.SelectMany(c => bands.Select(b => (c, b)))
            .OrderBy(p => p.c.Pixels * p.b.Pixels).ThenBy(p => p.c.Count * p.b.Count).ToList();
        // The grid is separable, so its largest tile has the widest column's and the highest band's input; a tile
        // size that does not fit rules out every grid whose largest tile is at least as large (needs grow with size).
        var tooLarge = new List<(int Width, int Height)>();
        foreach (var (c, b) in candidates)
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
    /// The distinct tile sides along an image side of <paramref name="size"/> pixels, from one tile to tiles of
    /// <see cref="MinimumTile"/>: for n tiles the side ceil(size / n), a multiple of the step; with the input extent
    /// of each tile and the pixels they compute along this side (with the framing's margins each).
    /// </summary>
    private List<(int Side, int Count, int[] Inputs, long Pixels)> Sides(int size, Func<int, IEnumerable<int>> inputs, Func<int, int> framed)
    {
        var sides = new List<(int, int, int[], long)>();
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
            sides.Add((side, extents.Length, extents, extents.Sum(e => (long)framed(e))));
        }
        return sides;
    }
}
