using System.Runtime.InteropServices;

namespace RealtimeUpscale.Native;

// The C structs of include/realtimeupscale.h, field for field (x64 and arm64 layouts: natural alignment).
// Vulkan handles are 64-bit on 64-bit platforms: dispatchable ones (instance, device, queue, command buffer)
// are pointers, non-dispatchable ones (image, view, pipeline cache) uint64_t.

/// <summary>The result codes of the C API (<c>rtup_result</c>).</summary>
public enum RtupResult
{
    /// <summary>RTUP_OK.</summary>
    Ok = 0,

    /// <summary>RTUP_ERROR_INVALID_ARGUMENT.</summary>
    InvalidArgument = -1,

    /// <summary>RTUP_ERROR_MODEL.</summary>
    Model = -2,

    /// <summary>RTUP_ERROR_UNSUPPORTED.</summary>
    Unsupported = -3,

    /// <summary>RTUP_ERROR_OUT_OF_MEMORY.</summary>
    OutOfMemory = -4,

    /// <summary>RTUP_ERROR_VULKAN.</summary>
    Vulkan = -5,

    /// <summary>RTUP_ERROR_INTERNAL.</summary>
    Internal = -6,
}

/// <summary><c>rtup_vk_device_desc</c>: 72 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DeviceDesc
{
    public uint StructSize;
    public nint Instance;
    public nint PhysicalDevice;
    public nint Device;
    public nint Queue;
    public uint QueueFamilyIndex;
    public nint GetInstanceProcAddr;
    public ulong PipelineCache;
    public uint Flags;
}

/// <summary><c>rtup_upscaler_desc</c>: 48 bytes (40 before <c>flags</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UpscalerDesc
{
    public uint StructSize;
    public nint ModelPath;
    public nint ModelData;
    public nuint ModelSize;
    public uint InputWidth;
    public uint InputHeight;
    public uint Flags;
}

/// <summary><c>rtup_vk_image</c>: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VkImageDesc
{
    public ulong Image;
    public ulong View;
    public int Format;
    public int Layout;
    public uint Width;
    public uint Height;
}

/// <summary><c>rtup_vk_dispatch_desc</c>: 104 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DispatchDesc
{
    public uint StructSize;
    public nint CommandBuffer;
    public VkImageDesc Input;
    public VkImageDesc Output;
    public ulong FrameIndex;
    public ulong CompletedFrameIndex;
    public uint Flags;
}

/// <summary><c>rtup_unity_event</c>: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnityEventData
{
    public uint StructSize;
    public nint Upscaler;
    public nint InputTexture;
    public nint OutputTexture;
}
