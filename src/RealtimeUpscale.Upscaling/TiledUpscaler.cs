using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Upscales host images of any size in tiles. Each tile's input overlaps its neighbours by the model's
/// receptive radius (<see cref="ModelDefinition.ReceptiveRadius"/>, at least the 2 pixels bicubic chroma and
/// alpha need), and only the tile's own region of the output is kept, so the result equals an untiled run
/// byte for byte (tile inputs start on the convolution's workgroup columns; see <see cref="RunBand"/>).
/// A model with squeeze-excitation blocks (global averages) gets the whole image's averages in every tile:
/// one statistics pass over the tiles per block, then the final pass (see <see cref="WholeImageStatistics"/>),
/// so its tiled output equals the untiled one to float rounding (within one 8-bit level).
/// Compiles the model once (one <see cref="UpscalingNetwork"/>, one copy of the weights) and binds it in one
/// <see cref="Upscaler"/> per distinct tile size it meets; owns them all. Tiles are squares of a given side, or,
/// made with <see cref="Automatic"/>, chosen for each image size from the memory they need (see
/// <see cref="TilePlanner"/>).
/// </summary>
public sealed class TiledUpscaler : IDisposable
{
    private readonly UpscalingNetwork _network;
    private readonly Dictionary<(int, int), Upscaler> _upscalers = new();
    private readonly HashSet<(int, int)> _used = new();
    private readonly HashSet<(int, int)> _usedThisCall = new();
    private readonly int _requestedTileSize;
    // Chooses the tiles of each image size (automatic tiling); null: squares of the requested side.
    private readonly TilePlanner? _planner;
    private readonly Dictionary<(int, int), (int, int)> _fittingTile = new();
    private readonly int _downsampling;
    // Whether tiles get whole-image statistics from passes of their own (a model with squeeze-excitation).
    private readonly bool _statistics;
    // Each tile's values kept between its passes (WholeImageStatistics.Resumed), while an image's passes run;
    // null when the tiles recompute what earlier passes computed.
    private Dictionary<Tile, TileValues>? _held;
    // The tile size whose upscaler last ran (see UpscalerFor).
    private (int, int)? _bound;

    /// <summary>
    /// Creates the tiler; <paramref name="tileSize"/> is the side of a tile's own region in input pixels, and
    /// <paramref name="tuning"/> configures the kernels (null: for the device).
    /// </summary>
    public TiledUpscaler(GpuContext context, ModelDefinition model, int tileSize, KernelTuning? tuning = null)
        : this(context, model, tileSize, null, tuning)
    {
    }

    /// <summary>
    /// Creates a tiler that chooses the tiles of each image size from the memory they need, within the budget of
    /// the device's memory heap for the model (<see cref="TilePlanner.AutomaticBudget"/>): an image runs as one
    /// tile when that fits, otherwise in the grid of the least estimated cost (see <see cref="TilePlanner"/>);
    /// <paramref name="tuning"/> configures the kernels (null: for the device).
    /// </summary>
    public static TiledUpscaler Automatic(GpuContext context, ModelDefinition model, KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        return new TiledUpscaler(context, model, TilePlanner.MinimumTile,
            (TilePlanner.AutomaticBudget(context, model), context.Properties.Limits.MaxStorageBufferRange), tuning);
    }

    /// <summary>
    /// As <see cref="Automatic"/>, within <paramref name="budget"/> bytes a tile and values of at most
    /// <paramref name="bindingLimit"/> bytes (null: the device's maxStorageBufferRange).
    /// </summary>
    internal static TiledUpscaler WithBudget(GpuContext context, ModelDefinition model, ulong budget, ulong? bindingLimit = null) =>
        new(context, model, TilePlanner.MinimumTile, (budget, bindingLimit ?? context.Properties.Limits.MaxStorageBufferRange), null);

    private TiledUpscaler(GpuContext context, ModelDefinition model, int tileSize, (ulong Bytes, ulong BindingLimit)? budget, KernelTuning? tuning)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        if (tileSize < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"Tiles must be at least 8 pixels, got {tileSize}.");
        }
        int downsampling = model.DownsamplingStride();
        _downsampling = downsampling;
        tileSize = (tileSize + downsampling - 1) / downsampling * downsampling;
        double s = model.Info.Scale;
        if (s < 1 || Math.Abs(s - Math.Round(s)) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: tiling needs an integer upscaling factor, not {s}.");
        }
        Model = model;
        Scale = (int)Math.Round(s);
        Overlap = Math.Max(model.ReceptiveRadius(), 3);
        // Tile origins must keep every strided layer's sampling phase as in an untiled run, start on the
        // convolution's workgroup grid (see RunBand), and leave the last tile the image's own alignment padding.
        int stride = Lcm(model.DownsamplingStride(), model.Info.Framing?.Alignment ?? 1);
        AlignX = Lcm((int)Network.Kernels.Conv2dKernel.Descriptor.Workgroup.X, stride);
        AlignY = stride;
        // A model whose output falls short of its input times the scale (convolutions without padding, and no framing to
        // make up for them) leaves every tile short of the region it must cover: said here, before any tile is planned.
        int probe = Math.Max(64, 4 * AlignX);
        var probed = UpscalingGraph.Framed(model, probe, probe).OutputShape(new TensorShape(model.Info.InputChannels, probe, probe));
        if (probed.Width < probe * Scale || probed.Height < probe * Scale)
        {
            throw new ArgumentException($"{model.Info.Source}: a {probe}x{probe} input gives {probed.Width}x{probed.Height}, not " +
                $"{probe * Scale}x{probe * Scale}: the model trims its borders (convolutions without padding), so its tiles cannot " +
                "cover an image. Pad its input by the trimmed border first (waifu2x's and Real-CUGAN's ncnn files are, on import).");
        }
        _network = new UpscalingNetwork(context, model, tuning);
        if (budget is { } limits)
        {
            _planner = new TilePlanner(_network.Graphs, Overlap, AlignX, AlignY, downsampling, limits.Bytes, limits.BindingLimit,
                _network.Network.Tuning.WidthCost, _network.Network.Tuning);
        }
        // A model with whole-image statistics (squeeze-excitation: a global average feeding a per-channel scale)
        // sees another average in each tile: its tiles get the whole image's (see WholeImageStatistics), or,
        // where the tiler cannot place the averaged values in the image, it runs as one tile.
        if (model.HasWholeImageStatistics)
        {
            int side = Math.Max(64, 4 * AlignX);
            _statistics = WholeImageStatistics.Supports(_network.Graphs.Build(side, side, keepAlpha: true, grey: false).Graph);
            if (!_statistics)
            {
                tileSize = WholeImage;
                _planner = null;
            }
        }
        _requestedTileSize = tileSize;
        TileWidth = TileHeight = tileSize;
    }


    /// <summary>The tile side that holds any image whole.</summary>
    private const int WholeImage = 1 << 28;

    private int AlignX { get; }

    private int AlignY { get; }

    private static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }
        return a / x * b;
    }

    /// <summary>The model.</summary>
    public ModelDefinition Model { get; }

    /// <summary>The integer upscaling factor.</summary>
    public int Scale { get; }

    /// <summary>Width of each tile's own region in input pixels, for the last image (the last column takes what is left).</summary>
    public int TileWidth { get; private set; }

    /// <summary>Height of each tile's own region in input pixels, for the last image (the last band takes what is left).</summary>
    public int TileHeight { get; private set; }

    /// <summary>The tiles of a <paramref name="width"/> x <paramref name="height"/> image at the current tile size.</summary>
    private TileGrid Grid(int width, int height) => new(width, height, TileWidth, TileHeight, Overlap, AlignX, AlignY);

    /// <summary>Input pixels of context added on each side of a tile.</summary>
    public int Overlap { get; }

    /// <summary>
    /// Whether the tiles of a model with squeeze-excitation keep their values between the statistics passes and
    /// the final pass, so that each tile runs the network once in all (<see cref="WholeImageStatistics.Resumed"/>;
    /// the default), where the values fit <see cref="HeldBudget"/>; otherwise each pass recomputes the network
    /// up to its block. Both give the same output.
    /// </summary>
    internal bool KeepsTileValues { get; set; } = true;

    /// <summary>
    /// Host bytes the tiles' kept values may take: half the memory available to the process (Real-CUGAN se x2 at
    /// 1920x1080 keeps about 5 GB at its peak, in 24 tiles; recomputing instead takes about three times as long).
    /// </summary>
    internal long HeldBudget { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;

    /// <summary>
    /// Upscales interleaved 8-bit pixels of any size. On running out of GPU memory the tile side halves and the
    /// band of tiles is redone (down to 16 pixels). <paramref name="progress"/> sees the fraction done.
    /// </summary>
    public byte[] Upscale(ReadOnlySpan<byte> pixels, int width, int height, PixelFormat format, Action<double>? progress = null) =>
        UpscaleWhole(pixels, width, height, format, progress);

    /// <summary>
    /// As <see cref="Upscale(ReadOnlySpan{byte}, int, int, PixelFormat, Action{double})"/> for float samples in [0, 1]
    /// (16-bit images): float32 from end to end, the output not clamped.
    /// </summary>
    public float[] Upscale(ReadOnlySpan<float> pixels, int width, int height, PixelFormat format, Action<double>? progress = null) =>
        UpscaleWhole(pixels, width, height, format, progress);

    private T[] UpscaleWhole<T>(ReadOnlySpan<T> pixels, int width, int height, PixelFormat format, Action<double>? progress) where T : unmanaged
    {
        int channels = HostPixels.Channels(format);
        var output = new T[checked((long)width * Scale * height * Scale * channels)];
        long rowSamples = (long)width * Scale * channels;
        Bands(pixels, width, height, format, (firstRow, rows) => rows.CopyTo(output.AsSpan(checked((int)(firstRow * rowSamples)))), progress);
        return output;
    }

    /// <summary>
    /// Upscales band by band, top to bottom, without holding the whole output: <paramref name="band"/> gets the
    /// first output row of each band and its rows (width x scale x channels bytes each; the span is valid only
    /// during the call). The bytes equal those of <see cref="Upscale(ReadOnlySpan{byte}, int, int, PixelFormat, Action{double})"/>. On running out of GPU memory the
    /// tile side halves and the current band is redone; bands already delivered stay valid.
    /// </summary>
    public void UpscaleBands(ReadOnlySpan<byte> pixels, int width, int height, PixelFormat format, BandSink band, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(band);
        Bands(pixels, width, height, format, (firstRow, rows) => band(firstRow, rows), progress);
    }

    private delegate void Sink<T>(int firstRow, ReadOnlySpan<T> rows);

    private void Bands<T>(ReadOnlySpan<T> pixels, int width, int height, PixelFormat format, Sink<T> band, Action<double>? progress) where T : unmanaged
    {
        int channels = HostPixels.Channels(format);
        if ((long)width * height * channels != pixels.Length)
        {
            throw new ArgumentException($"{width}x{height} {format} pixels are {(long)width * height * channels} bytes, got {pixels.Length}.");
        }
        var source = pixels.ToArray();
        // Each image starts at the requested tile size (automatic: the planner's for its size), or at the size an
        // image of its size last fitted at, whatever other images ran out of memory at.
        if (!_fittingTile.TryGetValue((width, height), out var fitting))
        {
            fitting = _planner?.Choose(width, height) ?? (_requestedTileSize, _requestedTileSize);
        }
        (TileWidth, TileHeight) = fitting;
        _usedThisCall.Clear();
        // The whole image's means of the squeeze-excitation blocks, once the image spans several tiles (one tile
        // computes its own, the image's); they do not depend on the tile size, so they outlive a change of it.
        IReadOnlyList<float[]>? means = null;
        _held = null;
        int passes = 1;
        int y0 = 0;
        while (y0 < height)
        {
            int y1 = Math.Min(height, y0 + TileHeight);
            T[] rows;
            try
            {
                if (_statistics && means is null && !Grid(width, height).IsSingle)
                {
                    means = WholeImageMeans(source, width, height, format, progress);
                    passes = means.Count + 1;
                }
                rows = RunBand(source, width, height, y0, y1, format, channels, means);
            }
            catch (VulkanException e) when (e.IsOutOfMemory && Recover(width, height))
            {
                continue;
            }
            band(y0 * Scale, rows);
            y0 = y1;
            progress?.Invoke((passes - 1 + y0 / (double)height) / passes);
        }
        _held = null;
    }

    /// <summary>
    /// After running out of GPU memory: first gives back what earlier images or passes left allocated, else halves
    /// the tile's sides that exceed 16 pixels (still multiples of the model's internal stride). False when nothing
    /// is left to try.
    /// </summary>
    private bool Recover(int width, int height)
    {
        if (HoldsOthers())
        {
            ReleaseAllBut(_usedThisCall);
            return true;
        }
        if (Model.HasWholeImageStatistics && !_statistics)
        {
            return false; // smaller tiles would change the whole-image statistics
        }
        int Halved(int side, int size)
        {
            side = Math.Min(side, size);
            return side <= 16 ? side : Math.Max(_downsampling, side / 2 / _downsampling * _downsampling);
        }
        int w = Halved(TileWidth, width), h = Halved(TileHeight, height);
        if (w >= Math.Min(TileWidth, width) && h >= Math.Min(TileHeight, height))
        {
            return false;
        }
        (TileWidth, TileHeight) = (w, h);
        _fittingTile[(width, height)] = (w, h);
        _held = null; // the values of the old tiles
        Release();
        return true;
    }

    /// <summary>
    /// The whole image's means of every squeeze-excitation block (see <see cref="WholeImageStatistics"/>): per
    /// block one pass over all tiles, each summing its own share of the block's pooled value, given the means of
    /// the blocks before. A pass that runs out of GPU memory is redone with smaller tiles. Where they fit
    /// <see cref="HeldBudget"/>, each tile keeps the values its later passes take back (<see cref="_held"/>, which
    /// the final pass then uses), so that no pass computes again what an earlier one did; after a change of the
    /// tile size the passes left recompute instead.
    /// </summary>
    private IReadOnlyList<float[]> WholeImageMeans<T>(T[] source, int width, int height, PixelFormat format, Action<double>? progress) where T : unmanaged
    {
        var (keepAlpha, grey) = HostPixels.Kind(format);
        var whole = _network.Graphs.Build(width, height, keepAlpha, grey);
        var shapes = whole.Graph.InferShapes(new TensorShape(ImageToTensor.ChannelCount(whole.Input), height, width));
        var maps = WholeImageStatistics.Maps(whole.Graph).Maps;
        var blocks = WholeImageStatistics.Blocks(whole.Graph);
        var means = new List<float[]>();
        var passes = KeepsTileValues ? WholeImageStatistics.Resumed(whole.Graph) : null;
        var arrays = new HostArrays();
        _held = passes is not null &&
            WholeImageStatistics.HeldBytes(passes, (w, h) => _network.Graphs.Build(w, h, keepAlpha, grey).Graph, Grid(width, height),
                ImageToTensor.ChannelCount(whole.Input)) <= HeldBudget
            ? new Dictionary<Tile, TileValues>() : null;
        for (int k = 0; k < blocks.Count; k++)
        {
            var pooled = shapes[blocks[k].Pooled];
            while (true)
            {
                try
                {
                    var sums = new double[pooled.Channels];
                    var tiles = Grid(width, height).All().ToList();
                    for (int t = 0; t < tiles.Count; t++)
                    {
                        var tile = tiles[t];
                        var upscaler = UpscalerFor(tile);
                        // The pooled value's size in this tile (the plan has the same layouts at any size).
                        var localShape = _network.Graphs.Build(tile.InputWidth, tile.InputHeight, keepAlpha, grey).Graph
                            .InferShapes(new TensorShape(ImageToTensor.ChannelCount(whole.Input), tile.InputHeight, tile.InputWidth))[blocks[k].Pooled];
                        var map = maps[blocks[k].Pooled];
                        var (top, rows) = WholeImageStatistics.OwnedRegion(map.Y, pooled.Height, localShape.Height, tile.Y0, tile.Y1, tile.InputY0, tile.Y0 == 0, tile.Y1 == height);
                        var (left, columns) = WholeImageStatistics.OwnedRegion(map.X, pooled.Width, localShape.Width, tile.X0, tile.X1, tile.InputX0, tile.X0 == 0, tile.X1 == width);
                        if (rows > 0 && columns > 0)
                        {
                            var region = new PlaneRegion(top, left, rows, columns);
                            TileValues? held = null;
                            if (_held is not null && (k == 0 || _held.ContainsKey(tile)))
                            {
                                held = _held.TryGetValue(tile, out var h) ? h : _held[tile] = new TileValues(arrays);
                            }
                            var tileMeans = upscaler.RegionMeans(Cut(source, width, tile, HostPixels.Channels(format)), format, k, means, region, held);
                            for (int c = 0; c < sums.Length; c++)
                            {
                                sums[c] += tileMeans[c] * (double)region.Count;
                            }
                        }
                        else
                        {
                            _held?.Remove(tile); // it skips this pass: its later passes recompute
                        }
                        progress?.Invoke((k + (t + 1) / (double)tiles.Count) / (blocks.Count + 1));
                    }
                    means.Add(sums.Select(v => (float)(v / ((double)pooled.Height * pooled.Width))).ToArray());
                    break;
                }
                catch (VulkanException e) when (e.IsOutOfMemory && Recover(width, height))
                {
                    // The tiles that finished this pass dropped the values only it takes back: the passes left recompute.
                    _held = null;
                    arrays.StopWarming();
                }
            }
        }
        foreach (var upscaler in _upscalers.Values)
        {
            upscaler.ReleaseStatistics();
        }
        return means;
    }

    /// <summary>Receives one band of output rows (see <see cref="UpscaleBands"/>).</summary>
    public delegate void BandSink(int firstRow, ReadOnlySpan<byte> rows);

    /// <summary>Releases every upscaler, then the network.</summary>
    public void Dispose()
    {
        Release();
        _network.Dispose();
    }

    /// <summary>The planner of an automatic tiling (null for square tiles of a given side).</summary>
    internal TilePlanner? Planner => _planner;

    /// <summary>Upscalers currently held, one per tile size.</summary>
    internal int UpscalerCount => _upscalers.Count;

    /// <summary>Bytes of the tensors the upscalers hold, every tile size's (the weights are the network's).</summary>
    internal ulong BindingBytes => _upscalers.Values.Aggregate(0UL, (sum, u) => sum + u.BytesAllocated);

    /// <summary>
    /// Releases the upscalers (and their tensors) of tile sizes not used since the previous call; the network
    /// and its weights stay. A caller that upscales many images calls it after each one: images of the same
    /// size then reuse the upscalers, their pipelines and their memory, and no more than one image's tile
    /// sizes stay allocated.
    /// </summary>
    public void ReleaseUnused()
    {
        ReleaseAllBut(_used);
        _used.Clear();
    }

    private bool HoldsOthers() => _upscalers.Keys.Any(k => !_usedThisCall.Contains(k));

    private void ReleaseAllBut(HashSet<(int, int)> keep)
    {
        foreach (var size in _upscalers.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _upscalers[size].Dispose();
            _upscalers.Remove(size);
        }
    }

    private void Release()
    {
        foreach (var u in _upscalers.Values)
        {
            u.Dispose();
        }
        _upscalers.Clear();
        _used.Clear();
        _usedThisCall.Clear();
    }

    /// <summary>The input pixels a tile reads.</summary>
    private static T[] Cut<T>(T[] source, int width, Tile tile, int channels)
    {
        int iw = tile.InputWidth, ih = tile.InputHeight;
        var pixels = new T[iw * ih * channels];
        for (int y = 0; y < ih; y++)
        {
            Array.Copy(source, ((long)(tile.InputY0 + y) * width + tile.InputX0) * channels, pixels, (long)y * iw * channels, iw * channels);
        }
        return pixels;
    }

    /// <summary>The upscaler of a tile's input size, made on first use.</summary>
    private Upscaler UpscalerFor(Tile tile)
    {
        var size = (tile.InputWidth, tile.InputHeight);
        // Only the tile size in use holds its bindings, so a run stays within the budget of one tile (squeeze-
        // excitation models bind up to half the heap a tile); their memory goes to the allocator's spares for the
        // next size's, and binding again costs little once the pipelines exist (lavapipe, FSRCNN x2 at 1920x1080:
        // peak 733 -> 263 MiB; waifu2x upconv_7 at 960x540 as fast, 700 -> 560 MB resident).
        if (_bound is { } previous && previous != size && _upscalers.TryGetValue(previous, out var other))
        {
            other.ReleaseGraphs();
        }
        _bound = size;
        if (!_upscalers.TryGetValue(size, out var upscaler))
        {
            upscaler = new Upscaler(_network, size.InputWidth, size.InputHeight);
            _upscalers[size] = upscaler;
        }
        _used.Add(size);
        _usedThisCall.Add(size);
        return upscaler;
    }

    /// <summary>
    /// The output rows of input rows [<paramref name="y0"/>, <paramref name="y1"/>), in tiles along x; with
    /// <paramref name="means"/>, the squeeze-excitation blocks use those whole-image means.
    /// </summary>
    private T[] RunBand<T>(T[] source, int width, int height, int y0, int y1, PixelFormat format, int channels, IReadOnlyList<float[]>? means) where T : unmanaged
    {
        int s = Scale, outW = width * s;
        var output = new T[checked((long)outW * (y1 - y0) * s * channels)];
        foreach (var tile in Grid(width, height).Band(y0))
        {
            var upscaler = UpscalerFor(tile);
            var pixels = Cut(source, width, tile, channels);
            // Bytes and floats take the upscaler's 8-bit and float32 host paths.
            // A tile whose statistics passes kept its values takes them back and computes only the rest.
            TileValues? held = null;
            if (means is not null && _held is not null && _held.Remove(tile, out var kept))
            {
                held = kept;
            }
            var result = pixels is byte[] bytes ? (T[])(object)upscaler.Upscale(bytes, format, means, held)
                : (T[])(object)upscaler.Upscale(new ReadOnlySpan<float>((float[])(object)pixels), format, means, held);
            // A model that strides inside may make a tile whose size is not a multiple of its stride a little
            // smaller than iw * s; the rows of the result are its own width.
            int ow = upscaler.OutputWidth;
            int keepX = (tile.X0 - tile.InputX0) * s, keepY = (tile.Y0 - tile.InputY0) * s;
            int keepW = (tile.X1 - tile.X0) * s, keepH = (tile.Y1 - tile.Y0) * s;
            if (keepX + keepW > ow || keepY + keepH > upscaler.OutputHeight)
            {
                throw new InvalidOperationException($"{Model.Info.Source}: a {tile.InputWidth}x{tile.InputHeight} tile gives {ow}x{upscaler.OutputHeight}, " +
                    $"less than the {keepX + keepW}x{keepY + keepH} the tiling needs.");
            }
            for (int y = 0; y < keepH; y++)
            {
                Array.Copy(result, ((long)(keepY + y) * ow + keepX) * channels, output,
                    ((long)y * outW + tile.X0 * s) * channels, (long)keepW * channels);
            }
        }
        return output;
    }
}
