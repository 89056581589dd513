using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// What the library and its kernels need to know about a device, queried once: kernels and applications
/// choose their own settings from these facts (the context itself applies no tuning policy).
/// </summary>
/// <param name="Name">The driver's device name.</param>
/// <param name="Type">Discrete, integrated, virtual or CPU.</param>
/// <param name="ApiVersion">The Vulkan version the device supports, as "1.3.239".</param>
/// <param name="HostVisibleDeviceMemory">Whether some device-local memory type is also host-visible and
/// host-coherent (CPU and integrated devices), so that uploads can skip staging copies.</param>
/// <param name="SubgroupSize">Invocations per subgroup (1 when the device does not report it).</param>
/// <param name="SubgroupBroadcast">Whether compute shaders may use subgroup ballot operations (subgroupBroadcast).</param>
/// <param name="TimestampValidBits">Valid bits of a timestamp on the chosen queue family; 0 means none.</param>
/// <param name="TimestampPeriod">Nanoseconds per timestamp tick.</param>
/// <param name="StorageImageWriteWithoutFormat">Whether shaders may write storage images declared without a
/// format qualifier (the feature must also be enabled on the device).</param>
/// <param name="StorageBuffer16Bit">Whether shaders may load and store 16-bit values in storage buffers
/// (<c>storageBuffer16BitAccess</c>), which float16 tensors need (the feature must also be enabled on the device).</param>
/// <param name="HalfUniformTexels">Whether R16_SFLOAT buffer views may be read as uniform texel buffers, as the kernels
/// that read texels on CPU devices read float16 tensors.</param>
/// <param name="ShaderFloat16">Whether shaders may compute in float16 (<c>shaderFloat16</c>, Vulkan 1.2), which the
/// convolutions' float16 multiply-adds need (the feature must also be enabled on the device). Queried for devices the
/// library creates (<see cref="QueryShaderFloat16"/>); false in <see cref="Query"/>, whose instance may be older.</param>
public sealed record DeviceTraits(
    string Name,
    PhysicalDeviceType Type,
    string ApiVersion,
    bool HostVisibleDeviceMemory,
    uint SubgroupSize,
    bool SubgroupBroadcast,
    uint TimestampValidBits,
    double TimestampPeriod,
    bool StorageImageWriteWithoutFormat,
    bool StorageBuffer16Bit = false,
    bool HalfUniformTexels = false,
    bool ShaderFloat16 = false)
{
    /// <summary>Whether the queue family writes timestamps.</summary>
    public bool SupportsTimestamps => TimestampValidBits > 0;

    /// <summary>Queries the traits of <paramref name="device"/> for work on <paramref name="queueFamily"/>.</summary>
    public static unsafe DeviceTraits Query(Vk vk, PhysicalDevice device, uint queueFamily)
    {
        ArgumentNullException.ThrowIfNull(vk);
        vk.GetPhysicalDeviceProperties(device, out var props);
        vk.GetPhysicalDeviceFeatures(device, out var features);
        vk.GetPhysicalDeviceMemoryProperties(device, out var memory);
        const MemoryPropertyFlags mappable = MemoryPropertyFlags.DeviceLocalBit | MemoryPropertyFlags.HostVisibleBit |
                                             MemoryPropertyFlags.HostCoherentBit;
        bool hostVisible = false;
        for (int i = 0; i < memory.MemoryTypeCount; i++)
        {
            hostVisible |= (memory.MemoryTypes[i].PropertyFlags & mappable) == mappable;
        }
        uint subgroup = 1;
        bool broadcast = false;
        bool storage16 = false;
        if (props.ApiVersion >= Vk.Version11)
        {
            var sixteen = new PhysicalDevice16BitStorageFeatures(sType: StructureType.PhysicalDevice16BitStorageFeatures);
            var features2 = new PhysicalDeviceFeatures2(sType: StructureType.PhysicalDeviceFeatures2, pNext: &sixteen);
            vk.GetPhysicalDeviceFeatures2(device, &features2);
            storage16 = sixteen.StorageBuffer16BitAccess;
            var sub = new PhysicalDeviceSubgroupProperties(sType: StructureType.PhysicalDeviceSubgroupProperties);
            var props2 = new PhysicalDeviceProperties2(sType: StructureType.PhysicalDeviceProperties2, pNext: &sub);
            vk.GetPhysicalDeviceProperties2(device, &props2);
            subgroup = Math.Max(sub.SubgroupSize, 1);
            broadcast = sub.SupportedStages.HasFlag(ShaderStageFlags.ComputeBit) &&
                        sub.SupportedOperations.HasFlag(SubgroupFeatureFlags.BallotBit);
        }
        var families = DeviceSelector.QueueFamilies(vk, device);
        uint validBits = queueFamily < families.Count ? families[(int)queueFamily].TimestampValidBits : 0;
        return new DeviceTraits(
            SilkMarshal.PtrToString((nint)props.DeviceName) ?? "unknown device", props.DeviceType,
            DeviceSelector.FormatVersion(props.ApiVersion), hostVisible, subgroup, broadcast, validBits,
            props.Limits.TimestampPeriod, features.ShaderStorageImageWriteWithoutFormat, storage16,
            HasBufferFeature(vk, device, Format.R16Sfloat, FormatFeatureFlags.UniformTexelBufferBit));
    }

    /// <summary>
    /// Whether <paramref name="device"/> supports <c>shaderFloat16</c>. Only for an instance of Vulkan 1.2 or later (the
    /// library's own) and a device of 1.2 or later; false otherwise.
    /// </summary>
    public static unsafe bool QueryShaderFloat16(Vk vk, PhysicalDevice device)
    {
        ArgumentNullException.ThrowIfNull(vk);
        vk.GetPhysicalDeviceProperties(device, out var props);
        if (props.ApiVersion < Vk.Version12)
        {
            return false;
        }
        var f16 = new PhysicalDeviceShaderFloat16Int8Features(sType: StructureType.PhysicalDeviceShaderFloat16Int8Features);
        var features2 = new PhysicalDeviceFeatures2(sType: StructureType.PhysicalDeviceFeatures2, pNext: &f16);
        vk.GetPhysicalDeviceFeatures2(device, &features2);
        return f16.ShaderFloat16;
    }

    private static bool HasBufferFeature(Vk vk, PhysicalDevice device, Format format, FormatFeatureFlags feature)
    {
        vk.GetPhysicalDeviceFormatProperties(device, format, out var properties);
        return properties.BufferFeatures.HasFlag(feature);
    }
}
