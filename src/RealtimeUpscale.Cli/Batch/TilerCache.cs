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
    private readonly KernelTuning _tuning;
    private TiledUpscaler? _tiler;
    private (ModelDefinition Model, int? Tile) _key;

    /// <summary>Tilers on <paramref name="context"/> whose kernels are tuned by <paramref name="tuning"/> (null: for the device).</summary>
    public TilerCache(GpuContext context, KernelTuning? tuning = null)
    {
        _context = context;
        _tuning = tuning ?? KernelTuning.ForDevice(context.Traits);
    }

    /// <summary>
    /// The tiler for <paramref name="model"/> in square tiles of side <paramref name="tile"/> (null: tiles chosen
    /// for each image from the memory they need, <see cref="TiledUpscaler.Automatic"/>).
    /// </summary>
    public TiledUpscaler Get(ModelDefinition model, int? tile)
    {
        if (_tiler is null || !ReferenceEquals(_key.Model, model) || _key.Tile != tile)
        {
            Release();
            _tiler = tile is { } side ? new TiledUpscaler(_context, model, side, _tuning) : TiledUpscaler.Automatic(_context, model, _tuning);
            _key = (model, tile);
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
