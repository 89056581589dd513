namespace RealtimeUpscale.Runtime;

/// <summary>Memory of one <see cref="MemoryUsage"/> kind held by a context, now and at its peak.</summary>
/// <param name="BytesAllocated">Bytes of live buffers and images (their memory requirements).</param>
/// <param name="PeakBytesAllocated">The most <paramref name="BytesAllocated"/> has been.</param>
/// <param name="Allocations">Live buffers and images.</param>
/// <param name="BytesReserved">Bytes of device memory held in blocks (what the driver has handed out).</param>
/// <param name="PeakBytesReserved">The most <paramref name="BytesReserved"/> has been.</param>
/// <param name="Blocks">Device-memory blocks (vkAllocateMemory calls) held.</param>
/// <param name="PeakBlocks">The most <paramref name="Blocks"/> has been.</param>
public sealed record MemoryKindStatistics(
    ulong BytesAllocated,
    ulong PeakBytesAllocated,
    int Allocations,
    ulong BytesReserved,
    ulong PeakBytesReserved,
    int Blocks,
    int PeakBlocks);

/// <summary>A snapshot of a context's memory, per kind (<see cref="GpuContext.MemoryStatistics"/>).</summary>
/// <param name="Device">Tensors, weights and images.</param>
/// <param name="Upload">Staging memory the host writes.</param>
/// <param name="Download">Staging memory the host reads.</param>
public sealed record MemoryStatistics(MemoryKindStatistics Device, MemoryKindStatistics Upload, MemoryKindStatistics Download)
{
    /// <summary>The statistics of one kind.</summary>
    public MemoryKindStatistics this[MemoryUsage usage] => usage switch
    {
        MemoryUsage.Device => Device,
        MemoryUsage.Upload => Upload,
        _ => Download,
    };

    /// <summary>Bytes of live buffers and images, all kinds together.</summary>
    public ulong BytesAllocated => Device.BytesAllocated + Upload.BytesAllocated + Download.BytesAllocated;

    /// <summary>Device-memory blocks held, all kinds together.</summary>
    public int Blocks => Device.Blocks + Upload.Blocks + Download.Blocks;
}
