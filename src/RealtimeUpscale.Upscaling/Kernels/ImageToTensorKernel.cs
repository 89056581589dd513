using System.Runtime.InteropServices;
using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling.Kernels;

/// <summary>shaders/image_to_tensor.comp: a sampled image to a planar tensor; one invocation per pixel.</summary>
public static class ImageToTensorKernel
{
    /// <summary>The descriptor. Bindings: 0 the image (sampled), 1 the tensor.</summary>
    public static readonly KernelDescriptor<ColorConstants, ImageRegionPush> Descriptor = new(
        typeof(ImageToTensorKernel).Assembly, "image_to_tensor", new WorkgroupSize(8, 8, 1),
        BindingKind.SampledImage, BindingKind.StorageBuffer);
}

/// <summary>Specialization constants of the image conversions.</summary>
public struct ColorConstants
{
    /// <summary>The tensor's planes [COLOR].</summary>
    [SpecId(3)] public ColorCode Color;
}

/// <summary>Push constants of the image conversions: the tensor's size and where it lies in the image.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ImageRegionPush
{
    /// <summary>The tensor's width and height.</summary>
    public int Width, Height;

    /// <summary>The image texel of tensor pixel (0, 0).</summary>
    public int X, Y;
}
