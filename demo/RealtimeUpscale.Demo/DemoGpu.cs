using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// What every view uses: the library context (on the demo's borrowed device), the demo's pipelines, the
/// font and the photograph, and the few raw transfer commands (clear, copy, blit) the recorder does not
/// wrap, each between layout transitions (which are full barriers).
/// </summary>
internal sealed unsafe class DemoGpu : IDisposable
{
    public DemoGpu(GpuContext context, string photoPath)
    {
        Context = context;
        Scene = DemoKernels.Scene.Pipeline(context);
        Overlay = DemoKernels.Overlay.Pipeline(context);
        Wipe = DemoKernels.Wipe.Pipeline(context);
        Ssd = DemoKernels.Ssd.Pipeline(context);

        var glyphs = BitmapFont.Pack();
        Font = new GpuBuffer(context, (ulong)glyphs.Length * 4);
        Font.Write<uint>(glyphs);

        var photo = RealtimeUpscale.Imaging.ImageFile.Load(photoPath);
        var rgba = new byte[photo.Width * photo.Height * 4];
        var pixels = photo.Pixels;
        int c = photo.Channels;
        for (int i = 0; i < photo.Width * photo.Height; i++)
        {
            byte r = pixels[i * c], g = c >= 3 ? pixels[i * c + 1] : r, b = c >= 3 ? pixels[i * c + 2] : r;
            rgba[i * 4] = r;
            rgba[i * 4 + 1] = g;
            rgba[i * 4 + 2] = b;
            rgba[i * 4 + 3] = 255;
        }
        Photo = new GpuImage(context, photo.Width, photo.Height, Format.R8G8B8A8Unorm);
        Photo.Upload(rgba);
        PhotoName = Path.GetFileName(photoPath);
    }

    public GpuContext Context { get; }
    public ComputePipeline Scene { get; }
    public ComputePipeline Overlay { get; }
    public ComputePipeline Wipe { get; }
    public ComputePipeline Ssd { get; }
    public GpuBuffer Font { get; }
    public GpuImage Photo { get; }
    public string PhotoName { get; }

    private Vk Vk => Context.Vk;

    /// <summary>An 8-bit RGBA image the shaders and the upscalers can read and write.</summary>
    public GpuImage Image(int width, int height) => new(Context, width, height, Format.R8G8B8A8Unorm);

    /// <summary>A scene render into <paramref name="target"/>, the scene moved by (<paramref name="shiftX"/>, <paramref name="shiftY"/>) pixels.</summary>
    public SceneRender SceneInto(GpuImage target, float shiftX = 0, float shiftY = 0) => new(this, target, shiftX, shiftY);

    /// <summary>
    /// Clears <paramref name="canvas"/> to <paramref name="grey"/> and copies each piece into it at its
    /// position. Images move to the transfer layouts for this and back to General.
    /// </summary>
    public void Compose(CommandRecorder r, GpuImage canvas, float grey, IEnumerable<(GpuImage Source, int X, int Y)> pieces)
    {
        r.TransitionImage(canvas.Image, ImageLayout.General, ImageLayout.TransferDstOptimal);
        var colour = new ClearColorValue(grey, grey, grey, 1f);
        var range = new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1);
        Vk.CmdClearColorImage(r.CommandBuffer, canvas.Image, ImageLayout.TransferDstOptimal, &colour, 1, &range);
        var layers = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1);
        foreach (var (source, x, y) in pieces)
        {
            int w = Math.Min(source.Width, canvas.Width - x), h = Math.Min(source.Height, canvas.Height - y);
            if (w <= 0 || h <= 0)
            {
                continue;
            }
            r.TransitionImage(source.Image, ImageLayout.General, ImageLayout.TransferSrcOptimal);
            var region = new ImageCopy(layers, new Offset3D(0, 0, 0), layers, new Offset3D(x, y, 0), new Extent3D((uint)w, (uint)h, 1));
            Vk.CmdCopyImage(r.CommandBuffer, source.Image, ImageLayout.TransferSrcOptimal, canvas.Image, ImageLayout.TransferDstOptimal, 1, &region);
            r.TransitionImage(source.Image, ImageLayout.TransferSrcOptimal, ImageLayout.General);
        }
        r.TransitionImage(canvas.Image, ImageLayout.TransferDstOptimal, ImageLayout.General);
        r.MarkTiming("compose");
    }

    /// <summary>Scales all of <paramref name="source"/> onto all of <paramref name="destination"/> (nearest); both stay in General layout outside the call.</summary>
    public void Blit(CommandRecorder r, GpuImage source, GpuImage destination)
    {
        r.TransitionImage(destination.Image, ImageLayout.General, ImageLayout.TransferDstOptimal);
        Blit(r, source, destination.Image, destination.Width, destination.Height);
        r.TransitionImage(destination.Image, ImageLayout.TransferDstOptimal, ImageLayout.General);
        r.MarkTiming("blit");
    }

    /// <summary>Scales all of <paramref name="source"/> (General layout outside the call) onto an image the caller holds in TransferDstOptimal.</summary>
    public void Blit(CommandRecorder r, GpuImage source, Image destination, int width, int height)
    {
        r.TransitionImage(source.Image, ImageLayout.General, ImageLayout.TransferSrcOptimal);
        var layers = new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1);
        var blit = new ImageBlit { SrcSubresource = layers, DstSubresource = layers };
        blit.SrcOffsets.Element0 = new Offset3D(0, 0, 0);
        blit.SrcOffsets.Element1 = new Offset3D(source.Width, source.Height, 1);
        blit.DstOffsets.Element0 = new Offset3D(0, 0, 0);
        blit.DstOffsets.Element1 = new Offset3D(width, height, 1);
        Vk.CmdBlitImage(r.CommandBuffer, source.Image, ImageLayout.TransferSrcOptimal, destination, ImageLayout.TransferDstOptimal, 1, &blit, Filter.Nearest);
        r.TransitionImage(source.Image, ImageLayout.TransferSrcOptimal, ImageLayout.General);
    }

    public void Dispose()
    {
        Photo.Dispose();
        Font.Dispose();
    }
}

/// <summary>One scene render target with its dispatch; <see cref="Record"/> sets the animation time.</summary>
internal sealed class SceneRender : IDisposable
{
    private readonly ComputeDispatch _dispatch;
    private readonly GpuImage _target;
    private readonly float _shiftX, _shiftY;

    public SceneRender(DemoGpu gpu, GpuImage target, float shiftX, float shiftY)
    {
        _target = target;
        _shiftX = shiftX;
        _shiftY = shiftY;
        _dispatch = new ComputeDispatch(gpu.Context, gpu.Scene, "scene")
            .Image(0, gpu.Photo.Binding).Buffer(1, gpu.Font, write: false).Image(2, target.Binding)
            .Cover(target.Width, target.Height, 1, DemoKernels.Scene.Workgroup);
    }

    public void Record(CommandRecorder r, float time)
    {
        _dispatch.Push(new ScenePush { Width = _target.Width, Height = _target.Height, ShiftX = _shiftX, ShiftY = _shiftY, Time = time });
        r.Dispatch(_dispatch);
    }

    public void Dispose() => _dispatch.Dispose();
}
