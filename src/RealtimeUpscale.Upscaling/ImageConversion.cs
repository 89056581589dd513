using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling.Kernels;

namespace RealtimeUpscale.Upscaling;

/// <summary>Which planes a tensor holds when it is converted from or to an image.</summary>
public enum ChannelLayout
{
    /// <summary>R, G, B in [0, 1].</summary>
    Rgb,

    /// <summary>R, G, B, A in [0, 1] (alpha not premultiplied).</summary>
    Rgba,

    /// <summary>One grey plane: the red channel of an image stored with r = g = b; written back to r, g and b.</summary>
    Grey,

    /// <summary>Grey, then alpha. Tensor to image only.</summary>
    GreyAlpha,
}

/// <summary>
/// Converts an image (any sampled colour format: rgba8, rgba16f, rgba32f) into a planar float32 or float16 tensor with
/// shaders/image_to_tensor.comp. A tensor of W x H reads the image's texels (x0 + x, y0 + y), clamped to the
/// image, so tiles may overhang its edges.
/// </summary>
public sealed class ImageToTensor
{
    private readonly GpuContext _context;
    private readonly ComputePipeline _pipeline;

    /// <summary>Builds the conversion producing <paramref name="layout"/>.</summary>
    public ImageToTensor(GpuContext context, ChannelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (layout is ChannelLayout.GreyAlpha)
        {
            throw new ArgumentException($"Image to tensor cannot produce {layout}.", nameof(layout));
        }
        _context = context;
        ChannelLayout = layout;
        _pipeline = ImageToTensorKernel.Descriptor.Pipeline(context, new ColorConstants { Color = ColorCodes.Of(layout) });
    }

    /// <summary>The tensor's planes.</summary>
    public ChannelLayout ChannelLayout { get; }

    /// <summary>Planes produced.</summary>
    public int Channels => ChannelCount(ChannelLayout);

    /// <summary>Number of planes of a layout.</summary>
    public static int ChannelCount(ChannelLayout layout) => layout switch
    {
        ChannelLayout.Rgb => 3,
        ChannelLayout.Rgba => 4,
        ChannelLayout.GreyAlpha => 2,
        _ => 1,
    };

    /// <summary>
    /// The dispatch that fills <paramref name="tensor"/> from <paramref name="image"/> starting at texel
    /// (<paramref name="x0"/>, <paramref name="y0"/>). The caller owns and disposes the dispatch.
    /// </summary>
    public ComputeDispatch Bind(ImageBinding image, GpuTensor tensor, int x0 = 0, int y0 = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Shape.Channels != Channels)
        {
            throw new ArgumentException($"Image to {ChannelLayout} writes {Channels} planes; the tensor is {tensor.Shape}.");
        }
        var s = tensor.Shape;
        var pipeline = tensor.Precision == TensorPrecision.Float32 ? _pipeline :
            ImageToTensorKernel.Descriptor.Pipeline(_context, new ColorConstants { Color = ColorCodes.Of(ChannelLayout) }, tensor.Precision);
        return new ComputeDispatch(_context, pipeline, $"image to {ChannelLayout}")
            .Image(0, image)
            .Buffer(1, tensor.Buffer, write: true)
            .Push(new ImageRegionPush { Width = s.Width, Height = s.Height, X = x0, Y = y0 })
            .Cover(s.Width, s.Height, 1, ImageToTensorKernel.Descriptor.Workgroup);
    }
}

/// <summary>
/// Writes a planar float32 or float16 tensor into an image (rgba8, rgba16f or rgba32f storage image in General layout)
/// with shaders/tensor_to_image.comp: tensor pixel (x, y) goes to texel (x0 + x, y0 + y). Unorm formats
/// clamp to [0, 1] and round to nearest on store.
/// </summary>
public sealed class TensorToImage
{
    private readonly GpuContext _context;
    private readonly ComputePipeline _pipeline;

    /// <summary>Builds the conversion reading <paramref name="layout"/>.</summary>
    public TensorToImage(GpuContext context, ChannelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Traits.StorageImageWriteWithoutFormat)
        {
            throw new NotSupportedException($"{context.DeviceName} cannot write storage images without a format " +
                                            "(shaderStorageImageWriteWithoutFormat); write tensors to buffers instead.");
        }
        _context = context;
        ChannelLayout = layout;
        _pipeline = TensorToImageKernel.Descriptor.Pipeline(context, new ColorConstants { Color = ColorCodes.Of(layout) });
    }

    /// <summary>The tensor's planes.</summary>
    public ChannelLayout ChannelLayout { get; }

    /// <summary>
    /// The dispatch that writes <paramref name="tensor"/> into <paramref name="image"/> at
    /// (<paramref name="x0"/>, <paramref name="y0"/>); the region must lie inside the image.
    /// </summary>
    public ComputeDispatch Bind(GpuTensor tensor, ImageBinding image, int x0 = 0, int y0 = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var s = tensor.Shape;
        if (s.Channels != ImageToTensor.ChannelCount(ChannelLayout))
        {
            throw new ArgumentException($"{ChannelLayout} to image reads {ImageToTensor.ChannelCount(ChannelLayout)} planes; the tensor is {s}.");
        }
        if (x0 < 0 || y0 < 0 || x0 + s.Width > image.Width || y0 + s.Height > image.Height)
        {
            throw new ArgumentException($"A {s.Width}x{s.Height} tensor at ({x0}, {y0}) does not fit a {image.Width}x{image.Height} image.");
        }
        var pipeline = tensor.Precision == TensorPrecision.Float32 ? _pipeline :
            TensorToImageKernel.Descriptor.Pipeline(_context, new ColorConstants { Color = ColorCodes.Of(ChannelLayout) }, tensor.Precision);
        return new ComputeDispatch(_context, pipeline, $"{ChannelLayout} to image")
            .Buffer(0, tensor.Buffer, write: false)
            .Image(1, image)
            .Push(new ImageRegionPush { Width = s.Width, Height = s.Height, X = x0, Y = y0 })
            .Cover(s.Width, s.Height, 1, TensorToImageKernel.Descriptor.Workgroup);
    }
}
