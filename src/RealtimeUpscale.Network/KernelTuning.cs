using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Network;

/// <summary>
/// How the kernels are configured for a device, passed to layers, networks and upscalers as an option:
/// the runtime only reports what the device is (<see cref="DeviceTraits"/>); this decides what to do about it.
/// </summary>
public sealed record KernelTuning
{
    /// <summary>
    /// Configures shaders as for a CPU device (Vulkan on SIMD lanes): inputs read through texel buffers (one
    /// gather per SIMD register where a storage-buffer read loops over the lanes), more output pixels per
    /// invocation fitted to the width, smaller channel blocks. False configures them as for a GPU.
    /// </summary>
    public bool CpuStyle { get; init; }

    /// <summary>
    /// Runs 3x3 convolutions (stride 1, no dilation, no groups) with 32 or more input channels by Winograd's
    /// F(4x4, 3x3) in three passes (<see cref="Layers.Conv2dWinogradLayer"/>) instead of directly. On by default on
    /// CPU devices, where it more than halves the time of wide layers (lavapipe, waifu2x upconv_7 at 480x270: 1691
    /// against 3519 ms); off on GPUs, where it is not measured yet (<c>rtup bench --winograd on|off</c> and
    /// scripts/device_check.sh measure both).
    /// </summary>
    public bool Winograd { get; init; }

    /// <summary>
    /// How the tensors between layers are stored: float32 (the default on every device type), or float16, which
    /// halves their memory and the traffic of every pass and needs <see cref="GpuContext.HalfStorage"/>. Arithmetic
    /// is float32 either way; layer parameters stay float32. A network's input and output tensors are of this
    /// precision too (uploads and downloads convert).
    /// </summary>
    public TensorPrecision Precision { get; init; }

    /// <summary>
    /// The convolutions (conv2d, conv_pointwise, deconv2d; not the Winograd passes, which stay float32) multiply and add in float16: their
    /// input window, weights and accumulators are float16, bias and activation float32. Needs
    /// <see cref="Precision"/> = <see cref="TensorPrecision.Float16"/> and <see cref="GpuContext.HalfArithmetic"/>.
    /// Off by default on every device type.
    /// </summary>
    public bool HalfArithmetic { get; init; }

    /// <summary>
    /// Output pixels per invocation of the direct convolution (conv2d.comp's PX, along x; layers dilated along x keep 1), in
    /// place of the device type's choice, or null for that choice. On CPU devices each layer still takes fewer where its
    /// width is better served so. For measuring kernel shapes on a device (<c>rtup bench --conv-pixels</c>).
    /// </summary>
    public int? ConvPixels { get; init; }

    /// <summary>
    /// The most output channels per invocation of the direct convolution (conv2d.comp's OC_BLOCK; the layer's channels are
    /// split into blocks of equal size no larger), in place of the device type's choice, or null for that choice. For
    /// measuring kernel shapes on a device (<c>rtup bench --conv-block</c>).
    /// </summary>
    public int? ConvChannelBlock { get; init; }

    /// <summary>"fp32", "fp16" (float16 tensors) or "fp16-arithmetic" (float16 tensors and multiply-adds), as
    /// <c>--precision</c> and the benchmark's JSON write it.</summary>
    public string PrecisionName => HalfArithmetic ? "fp16-arithmetic" : Precision.ShortName();

    /// <summary>
    /// The relative cost of one output pixel of a convolution <paramref name="width"/> pixels wide (1 for a wide
    /// one): on CPU devices a workgroup row covers a fixed number of columns and the columns past the image are
    /// SIMD lanes that compute nothing (see <see cref="Layers.Conv2dLayer"/>'s pixels per invocation), so narrow
    /// tensors cost more per pixel (lavapipe, Real-CUGAN se x2: 74 us per input pixel at 240 columns, 57 at 464);
    /// GPUs keep few pixels per invocation and many invocations, so 1 there.
    /// </summary>
    public double WidthCost(int width) => CpuStyle && width > 0 ? Layers.Conv2dLayer.BestForWidth(32, width).Cost / Layers.Conv2dLayer.BestForWidth(32, 1 << 16).Cost : 1;

    /// <summary>The tuning that suits <paramref name="traits"/>: CPU style and Winograd on CPU devices.</summary>
    public static KernelTuning ForDevice(DeviceTraits traits)
    {
        ArgumentNullException.ThrowIfNull(traits);
        bool cpu = traits.Type == PhysicalDeviceType.Cpu;
        return new KernelTuning { CpuStyle = cpu, Winograd = cpu };
    }
}
