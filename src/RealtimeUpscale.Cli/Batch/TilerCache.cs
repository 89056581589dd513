using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>
/// The tiler of the current batch, kept from image to image so that images of one size reuse its upscalers
/// (pipelines, tensors and their memory); made again when the model or the tile side changes. Owns the tiler.
/// </summary>
internal sealed class TilerCache : IDisposable
{
    private readonly GpuContext _context;
    private TiledUpscaler? _tiler;
    private (ModelDefinition Model, int Tile) _key;

    public TilerCache(GpuContext context) => _context = context;

    /// <summary>The tiler for <paramref name="model"/> at <paramref name="tile"/> (null: sized by <see cref="TileSizer"/>).</summary>
    public TiledUpscaler Get(ModelDefinition model, int? tile)
    {
        int side = tile ?? TileSizer.AutoTile(_context, model);
        if (_tiler is null || !ReferenceEquals(_key.Model, model) || _key.Tile != side)
        {
            Release();
            _tiler = new TiledUpscaler(_context, model, side);
            _key = (model, side);
        }
        return _tiler;
    }

    /// <summary>Frees the upscalers the last image did not use.</summary>
    public void ReleaseUnused() => _tiler?.ReleaseUnused();

    /// <summary>Disposes the tiler; the next <see cref="Get"/> makes a new one.</summary>
    public void Release()
    {
        _tiler?.Dispose();
        _tiler = null;
    }

    public void Dispose() => Release();
}

/// <summary>Chooses the tile side of <c>--tile auto</c>.</summary>
internal static class TileSizer
{
    /// <summary>
    /// A tile side that keeps one tile's tensors within a quarter of the device's memory budget (at most 512 MiB)
    /// and every tensor within one storage-buffer binding.
    /// </summary>
    public static int AutoTile(GpuContext context, ModelDefinition model)
    {
        const int probe = 64;
        // A framed model (valid convolutions, as ncnn's waifu2x and Real-CUGAN) runs on the tile plus its margins:
        // probing on that padded size counts the margins' pixels against the tile's own, which errs on the safe side.
        var pad = model.Info.Framing?.PaddingFor(probe, probe) ?? default;
        var shapes = model.InferShapes(new TensorShape(model.Info.InputChannels, probe + pad.Top + pad.Bottom, probe + pad.Left + pad.Right));
        double perPixel = shapes.Values.Sum(t => (double)t.ByteSize) / (probe * probe) + 64 * model.Info.Scale * model.Info.Scale;
        double largest = shapes.Values.Max(t => (double)t.ByteSize) / (probe * probe);
        double budget = 512.0 * 1024 * 1024;
        double limit = context.Properties.Limits.MaxStorageBufferRange;
        int side = (int)Math.Sqrt(Math.Min(budget / perPixel, limit / largest * 0.9));
        // A round number only: aligning tiles to workgroups and strides is the tiler's job.
        const int round = 16;
        return Math.Clamp(side / round * round, 32, 2048);
    }
}
