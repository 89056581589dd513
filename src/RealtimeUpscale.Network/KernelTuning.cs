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

    /// <summary>The tuning that suits <paramref name="traits"/>: CPU style on CPU devices.</summary>
    public static KernelTuning ForDevice(DeviceTraits traits)
    {
        ArgumentNullException.ThrowIfNull(traits);
        return new KernelTuning { CpuStyle = traits.Type == PhysicalDeviceType.Cpu };
    }
}
