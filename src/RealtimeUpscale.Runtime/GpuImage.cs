using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// A 2D image as a shader sees it: the image (for hazard tracking), a view, and the layout it will be in
/// when the recorded work runs. Used both for images the library owns and for a host engine's images,
/// which the library never destroys.
/// </summary>
/// <param name="Image">The image.</param>
/// <param name="View">A 2D colour view of mip 0, layer 0.</param>
/// <param name="Layout">Its layout during the work: <c>General</c> for images written by a shader;
/// <c>General</c> or <c>ShaderReadOnlyOptimal</c> for images only read.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct ImageBinding(Image Image, ImageView View, ImageLayout Layout, int Width, int Height);

/// <summary>
/// A 2D image the library owns, kept in <c>ImageLayout.General</c> for its whole life so that shaders can
/// sample and store to it and transfers can copy it without further transitions. Its context destroys it,
/// if it is still alive, before the device; from then on every use throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed unsafe class GpuImage : IDisposable, IContextChild
{
    private readonly GpuContext _context;
    private readonly MemoryAllocation _allocation;
    private bool _disposed;

    /// <summary>
    /// Creates the image and transitions it to General: a blocking submission, or on a
    /// <see cref="GpuContext.NeverSubmit"/> context a transition recorded into the host's next command buffer.
    /// </summary>
    public GpuImage(GpuContext context, int width, int height, Format format)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Image size must be positive, got {width}x{height}.");
        }
        context.ThrowIfDisposed();
        _context = context;
        Width = width;
        Height = height;
        Format = format;
        BytesPerPixel = format switch
        {
            Format.R8G8B8A8Unorm or Format.B8G8R8A8Unorm => 4,
            Format.R16G16B16A16Sfloat => 8,
            Format.R32G32B32A32Sfloat => 16,
            _ => throw new ArgumentException($"Image format {format} is not supported; use rgba8, rgba16f or rgba32f.", nameof(format)),
        };

        var info = new ImageCreateInfo(
            imageType: ImageType.Type2D, format: format,
            extent: new Extent3D((uint)width, (uint)height, 1), mipLevels: 1, arrayLayers: 1,
            samples: SampleCountFlags.Count1Bit, tiling: ImageTiling.Optimal,
            usage: ImageUsageFlags.StorageBit | ImageUsageFlags.SampledBit | ImageUsageFlags.TransferSrcBit |
                   ImageUsageFlags.TransferDstBit,
            sharingMode: SharingMode.Exclusive, initialLayout: ImageLayout.Undefined);
        context.Vk.CreateImage(context.Device, in info, null, out var image).Check("vkCreateImage");
        Image = image;
        context.Vk.GetImageMemoryRequirements(context.Device, image, out var req);
        try
        {
            _allocation = context.Memory.Allocate(req, MemoryUsage.Device, forImage: true);
            context.Vk.BindImageMemory(context.Device, image, _allocation.Memory, _allocation.Offset).Check("vkBindImageMemory");
            var viewInfo = new ImageViewCreateInfo(
                image: image, viewType: ImageViewType.Type2D, format: format,
                subresourceRange: new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1));
            context.Vk.CreateImageView(context.Device, in viewInfo, null, out var view).Check("vkCreateImageView");
            View = view;
            context.Register(this);
        }
        catch
        {
            Destroy();
            throw;
        }
        try
        {
            context.Transfer(this, null, r => r.TransitionImage(image, ImageLayout.Undefined, ImageLayout.General));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The image.</summary>
    public Image Image { get; }

    /// <summary>Its 2D view.</summary>
    public ImageView View { get; private set; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The texel format.</summary>
    public Format Format { get; }

    /// <summary>Bytes per texel.</summary>
    public int BytesPerPixel { get; }

    /// <summary>The image as shaders bind it (always in General layout).</summary>
    public ImageBinding Binding
    {
        get
        {
            ThrowIfDisposed();
            return new(Image, View, ImageLayout.General, Width, Height);
        }
    }

    /// <summary>Whether the image was disposed, by its owner or by its context.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>
    /// Uploads tightly packed rows of texels through a staging buffer: a blocking submission, or on a
    /// <see cref="GpuContext.NeverSubmit"/> context a copy recorded into the host's next command buffer. The
    /// GPU must not be using the image.
    /// </summary>
    public void Upload(ReadOnlySpan<byte> texels)
    {
        ThrowIfDisposed();
        ulong size = checked((ulong)Width * (ulong)Height * (ulong)BytesPerPixel);
        if ((ulong)texels.Length != size)
        {
            throw new ArgumentException($"A {Width}x{Height} {Format} image needs {size} bytes, got {texels.Length}.", nameof(texels));
        }
        var staging = new GpuBuffer(_context, size, MemoryUsage.Upload, BufferUsageFlags.TransferSrcBit);
        try
        {
            staging.Write(texels);
        }
        catch
        {
            staging.Dispose();
            throw;
        }
        _context.Transfer(this, staging, r => r.CopyBufferToImage(staging, this));
    }

    /// <summary>
    /// Downloads tightly packed rows of texels (a blocking submission, which a
    /// <see cref="GpuContext.NeverSubmit"/> context refuses). GPU writes must have completed.
    /// </summary>
    public byte[] Download()
    {
        ThrowIfDisposed();
        _context.ThrowIfCannotRead("an image");
        ulong size = checked((ulong)Width * (ulong)Height * (ulong)BytesPerPixel);
        using var staging = new GpuBuffer(_context, size, MemoryUsage.Download, BufferUsageFlags.TransferDstBit);
        _context.Execute(r => r.CopyImageToBuffer(this, staging));
        var bytes = new byte[size];
        staging.Read<byte>(bytes);
        return bytes;
    }

    /// <summary>Destroys the view and the image and returns the memory (nothing, once its context has destroyed it).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _context.Release(this);
        }
    }

    void IContextChild.Destroy() => Destroy();

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void Destroy()
    {
        _disposed = true;
        if (View.Handle != 0)
        {
            _context.Vk.DestroyImageView(_context.Device, View, null);
            View = default;
        }
        _context.Vk.DestroyImage(_context.Device, Image, null);
        if (_allocation.Size != 0)
        {
            _context.Memory.Free(_allocation);
        }
    }
}
