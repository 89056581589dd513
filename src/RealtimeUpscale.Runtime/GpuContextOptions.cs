namespace RealtimeUpscale.Runtime;

/// <summary>How a <see cref="GpuContext"/> is set up. Immutable.</summary>
public sealed record GpuContextOptions
{
    /// <summary>
    /// <see cref="GpuContext.Create"/> only: enables <c>VK_LAYER_KHRONOS_validation</c> and a debug-utils
    /// messenger whose warnings and errors are collected in <see cref="GpuContext.Validation"/>. Creation fails
    /// if the layer is not installed.
    /// </summary>
    public bool EnableValidation { get; init; }

    /// <summary>
    /// <see cref="GpuContext.Create"/> only: the physical device, as <see cref="DeviceSelector.Requested"/>
    /// reads it (an index into the enumeration order, or a case-insensitive substring of the device name).
    /// Null prefers discrete over integrated over virtual over CPU devices. The library reads no environment
    /// variable: applications that offer one pass its value here.
    /// </summary>
    public string? Device { get; init; }

    /// <summary><see cref="GpuContext.Create"/> only: the application name given to the driver.</summary>
    public string ApplicationName { get; init; } = "RealtimeUpscale";

    /// <summary>
    /// Pipeline-cache bytes from an earlier <see cref="GpuContext.GetPipelineCacheData"/>, so that pipelines
    /// built before skip the driver's compiler. The driver checks the header and ignores data from another
    /// device or driver version. Null starts empty. Reading and writing the file is the application's job.
    /// </summary>
    public byte[]? PipelineCacheData { get; init; }

    /// <summary>
    /// A pipeline cache of the host engine's to build pipelines through instead of one of the context's own
    /// (for <see cref="GpuContext.Borrow"/>; <see cref="PipelineCacheData"/> is then ignored). Borrowed: the
    /// context never destroys it, and the engine keeps it alive until the context is disposed. It must not have
    /// been created with <c>VK_PIPELINE_CACHE_CREATE_EXTERNALLY_SYNCHRONIZED_BIT</c>. Default: none.
    /// </summary>
    public Silk.NET.Vulkan.PipelineCache HostPipelineCache { get; init; }

    /// <summary>Size of each device-memory block that buffers and images are sub-allocated from.</summary>
    public ulong MemoryBlockSize { get; init; } = 64UL << 20;

    /// <summary>
    /// The most bytes of empty memory blocks the context keeps for reuse instead of freeing them (released
    /// whenever an allocation runs out of memory). Null (the default): half the largest device-local heap for a
    /// context that owns its device, none for a <see cref="GpuContext.Borrow"/>ed one, whose memory budget is the
    /// engine's.
    /// </summary>
    public ulong? SpareMemory { get; init; }

    /// <summary>
    /// When true (the default), device-local memory that is also host-visible (CPU and integrated devices)
    /// is mapped and read and written directly. When false, every upload and download goes through a
    /// staging buffer and a copy, as on a discrete GPU.
    /// </summary>
    public bool MapDeviceMemory { get; init; } = true;

    /// <summary>
    /// When true, the library never calls <c>vkQueueSubmit</c>, <c>vkQueueWaitIdle</c> or
    /// <c>vkDeviceWaitIdle</c>: uploads that need a copy and the first-use layout transitions of images wait
    /// in the context and are recorded into the next <see cref="CommandRecorder"/> the host makes (or by
    /// <see cref="GpuContext.RecordPendingTransfers"/>); <see cref="GpuContext.Execute"/> and reads that need
    /// a copy throw <see cref="InvalidOperationException"/>. When null (the default), a context that owns its
    /// device may submit, and a <see cref="GpuContext.Borrow"/>ed one may not: the engine owns the queue and
    /// its external synchronisation, so it must allow submissions explicitly (false) to get them.
    /// </summary>
    public bool? NeverSubmit { get; init; }

    /// <summary>
    /// <see cref="GpuContext.Borrow"/> only: the engine created its device with <c>storageBuffer16BitAccess</c>
    /// enabled (<c>VkPhysicalDevice16BitStorageFeatures</c> or <c>VkPhysicalDeviceVulkan11Features</c>), so the
    /// library may use float16 tensors on it (<see cref="GpuContext.HalfStorage"/>). Default: false.
    /// </summary>
    public bool HostEnabledStorageBuffer16Bit { get; init; }

    /// <summary>
    /// <see cref="GpuContext.Borrow"/> only: the engine created its device with <c>shaderFloat16</c> enabled
    /// (<c>VkPhysicalDeviceShaderFloat16Int8Features</c> or <c>VkPhysicalDeviceVulkan12Features</c>) as well as 16-bit
    /// storage, so the convolutions may multiply and add in float16 (<see cref="GpuContext.HalfArithmetic"/>). Default: false.
    /// </summary>
    public bool HostEnabledShaderFloat16 { get; init; }
}
