namespace RealtimeUpscale.Runtime;

/// <summary>How <see cref="GpuContext.Create"/> sets up Vulkan. Immutable.</summary>
public sealed record GpuContextOptions
{
    /// <summary>The environment variable consulted when <see cref="Device"/> is null.</summary>
    public const string DeviceEnvironmentVariable = "RTUP_DEVICE";

    /// <summary>
    /// Enables <c>VK_LAYER_KHRONOS_validation</c> and a debug-utils messenger whose warnings and errors are
    /// collected in <see cref="GpuContext.Validation"/>. Creation fails if the layer is not installed.
    /// </summary>
    public bool EnableValidation { get; init; }

    /// <summary>
    /// Chooses the physical device: a whole number is an index into the enumeration order, anything else
    /// a case-insensitive substring of the device name. Null consults <see cref="DeviceEnvironmentVariable"/>,
    /// then prefers discrete over integrated over virtual over CPU devices.
    /// </summary>
    public string? Device { get; init; }

    /// <summary>
    /// A file the pipeline cache is loaded from at creation and saved to at disposal; null keeps it in
    /// memory only.
    /// </summary>
    public string? PipelineCachePath { get; init; }

    /// <summary>Size of each device-memory block that buffers and images are sub-allocated from.</summary>
    public ulong MemoryBlockSize { get; init; } = 64UL << 20;

    /// <summary>
    /// When true (the default), device-local memory that is also host-visible (CPU and integrated devices)
    /// is mapped and read and written directly. When false, every upload and download goes through a
    /// staging buffer and a copy, as on a discrete GPU.
    /// </summary>
    public bool MapDeviceMemory { get; init; } = true;

    /// <summary>The application name given to the driver.</summary>
    public string ApplicationName { get; init; } = "RealtimeUpscale";
}
