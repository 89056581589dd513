using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling.Kernels;

/// <summary>shaders/tensor_to_image.comp: a planar tensor to a storage image; one invocation per pixel.</summary>
public static class TensorToImageKernel
{
    /// <summary>The descriptor. Bindings: 0 the tensor, 1 the image (storage, General layout).</summary>
    public static readonly KernelDescriptor<ColorConstants, ImageRegionPush> Descriptor = new(
        typeof(TensorToImageKernel).Assembly, "tensor_to_image", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageImage);
}
