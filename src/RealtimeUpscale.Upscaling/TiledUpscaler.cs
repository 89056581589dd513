using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Upscales host images of any size in tiles. Each tile's input overlaps its neighbours by the model's
/// receptive radius (<see cref="ModelDefinition.ReceptiveRadius"/>, at least the 2 pixels bicubic chroma and
/// alpha need), and only the tile's own region of the output is kept, so the result equals an untiled run
/// byte for byte (tile inputs start on the convolution's workgroup columns; see <see cref="RunBand"/>).
/// Compiles the model once (one <see cref="UpscalingNetwork"/>, one copy of the weights) and binds it in one
/// <see cref="Upscaler"/> per distinct tile size it meets; owns them all.
/// </summary>
public sealed class TiledUpscaler : IDisposable
{
    private readonly UpscalingNetwork _network;
    private readonly Dictionary<(int, int), Upscaler> _upscalers = new();
    private readonly HashSet<(int, int)> _used = new();
    private readonly HashSet<(int, int)> _usedThisCall = new();
    private readonly int _requestedTileSize;
    private readonly Dictionary<(int, int), int> _fittingTile = new();
    private readonly int _downsampling;

    /// <summary>
    /// Creates the tiler; <paramref name="tileSize"/> is the side of a tile's own region in input pixels, and
    /// <paramref name="tuning"/> configures the kernels (null: for the device).
    /// </summary>
    public TiledUpscaler(GpuContext context, ModelDefinition model, int tileSize, KernelTuning? tuning = null)
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
        // A model with whole-image statistics (squeeze-excitation: a global average feeding a per-channel scale)
        // sees another average in each tile; it runs as one tile, so tiled output still equals untiled output.
        if (model.HasWholeImageStatistics)
        {
            tileSize = WholeImage;
        }
        TileSize = tileSize;
        _requestedTileSize = tileSize;
        Overlap = Math.Max(model.ReceptiveRadius(), 3);
        // Tile origins must keep every strided layer's sampling phase as in an untiled run, and start on the
        // convolution's workgroup grid (see RunBand).
        int stride = model.DownsamplingStride();
        AlignX = Lcm((int)Network.Kernels.Conv2dKernel.Descriptor.Workgroup.X, stride);
        AlignY = stride;
        _network = new UpscalingNetwork(context, model, tuning);
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

    /// <summary>Side of each tile's own region, in input pixels.</summary>
    public int TileSize { get; private set; }

    /// <summary>Input pixels of context added on each side of a tile.</summary>
    public int Overlap { get; }

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
        int channels = Channels(format);
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
        int channels = Channels(format);
        if ((long)width * height * channels != pixels.Length)
        {
            throw new ArgumentException($"{width}x{height} {format} pixels are {(long)width * height * channels} bytes, got {pixels.Length}.");
        }
        var source = pixels.ToArray();
        // Each image starts at the requested tile size, or at the size an image of its size last fitted at,
        // whatever other images ran out of memory at.
        TileSize = _fittingTile.GetValueOrDefault((width, height), _requestedTileSize);
        _usedThisCall.Clear();
        int y0 = 0;
        while (y0 < height)
        {
            int y1 = Math.Min(height, y0 + TileSize);
            T[] rows;
            try
            {
                rows = RunBand(source, width, height, y0, y1, format, channels);
            }
            catch (VulkanException e) when (e.IsOutOfMemory)
            {
                if (HoldsOthers())
                {
                    // First give back what earlier images or passes left allocated, and retry at this size.
                    ReleaseAllBut(_usedThisCall);
                    continue;
                }
                if (Model.HasWholeImageStatistics)
                {
                    throw; // smaller tiles would change the whole-image statistics
                }
                // Half the side, still a multiple of the model's internal stride; past the smallest, give up.
                int smaller = Math.Max(_downsampling, TileSize / 2 / _downsampling * _downsampling);
                if (TileSize <= 16 || smaller >= TileSize)
                {
                    throw;
                }
                TileSize = smaller;
                _fittingTile[(width, height)] = smaller;
                Release();
                continue;
            }
            band(y0 * Scale, rows);
            y0 = y1;
            progress?.Invoke(y0 / (double)height);
        }
    }

    /// <summary>Receives one band of output rows (see <see cref="UpscaleBands"/>).</summary>
    public delegate void BandSink(int firstRow, ReadOnlySpan<byte> rows);

    private static int Channels(PixelFormat format) => format switch
    {
        PixelFormat.Grey => 1,
        PixelFormat.GreyAlpha => 2,
        PixelFormat.Rgb => 3,
        _ => 4,
    };

    /// <summary>Releases every upscaler, then the network.</summary>
    public void Dispose()
    {
        Release();
        _network.Dispose();
    }

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

    /// <summary>The output rows of input rows [<paramref name="y0"/>, <paramref name="y1"/>), in tiles along x.</summary>
    private T[] RunBand<T>(T[] source, int width, int height, int y0, int y1, PixelFormat format, int channels) where T : unmanaged
    {
        int s = Scale, outW = width * s;
        var output = new T[checked((long)outW * (y1 - y0) * s * channels)];
        int tilesX = (width + TileSize - 1) / TileSize;
        for (int tx = 0; tx < tilesX; tx++)
        {
            // The tile's own region [x0, x1) x [y0, y1), and the input it reads, widened by the overlap.
            int x0 = tx * TileSize;
            int x1 = Math.Min(width, x0 + TileSize);
            // Input origins are aligned to the width of the convolution's workgroups. On GPUs a
            // convolution computes a fixed 1, 2 or 4 neighbouring pixels per invocation, so every pixel keeps
            // the slot it has in an untiled run. On CPU devices the count (up to 32) follows the width, so a
            // pixel may sit in another slot; every slot runs the same operations in the same order, and the
            // tests check on lavapipe that tiled and untiled outputs agree to the bit.
            int ix0 = Math.Max(0, (x0 - Overlap) / AlignX * AlignX), iy0 = Math.Max(0, (y0 - Overlap) / AlignY * AlignY);
            int ix1 = Math.Min(width, x1 + Overlap), iy1 = Math.Min(height, y1 + Overlap);
            int iw = ix1 - ix0, ih = iy1 - iy0;
            var tile = new T[iw * ih * channels];
            for (int y = 0; y < ih; y++)
            {
                Array.Copy(source, ((long)(iy0 + y) * width + ix0) * channels, tile, (long)y * iw * channels, iw * channels);
            }
            if (!_upscalers.TryGetValue((iw, ih), out var upscaler))
            {
                upscaler = new Upscaler(_network, iw, ih);
                _upscalers[(iw, ih)] = upscaler;
            }
            _used.Add((iw, ih));
            _usedThisCall.Add((iw, ih));
            // Bytes and floats take the upscaler's 8-bit and float32 host paths.
            var result = tile is byte[] bytes ? (T[])(object)upscaler.Upscale(bytes, format)
                : (T[])(object)upscaler.Upscale(new ReadOnlySpan<float>((float[])(object)tile), format);
            // A model that strides inside may make a tile whose size is not a multiple of its stride a little
            // smaller than iw * s; the rows of the result are its own width.
            int ow = upscaler.OutputWidth;
            int keepX = (x0 - ix0) * s, keepY = (y0 - iy0) * s, keepW = (x1 - x0) * s, keepH = (y1 - y0) * s;
            if (keepX + keepW > ow || keepY + keepH > upscaler.OutputHeight)
            {
                throw new InvalidOperationException($"{Model.Info.Source}: a {iw}x{ih} tile gives {ow}x{upscaler.OutputHeight}, " +
                    $"less than the {keepX + keepW}x{keepY + keepH} the tiling needs.");
            }
            for (int y = 0; y < keepH; y++)
            {
                Array.Copy(result, ((long)(keepY + y) * ow + keepX) * channels, output,
                    ((long)y * outW + x0 * s) * channels, (long)keepW * channels);
            }
        }
        return output;
    }
}
