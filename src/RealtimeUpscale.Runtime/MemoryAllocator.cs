using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>What a piece of memory is for; decides the memory type.</summary>
public enum MemoryUsage
{
    /// <summary>
    /// Tensors, weights and images the GPU reads and writes. Device-local; on devices whose device-local
    /// memory is also host-visible (CPU and integrated devices such as lavapipe) it is mapped, and the host
    /// reads and writes it directly instead of through staging buffers.
    /// </summary>
    Device,

    /// <summary>Staging memory the host writes and the GPU copies from.</summary>
    Upload,

    /// <summary>Staging memory the GPU copies into and the host reads (host-cached where available).</summary>
    Download,
}

/// <summary>
/// A range of a <see cref="MemoryAllocator"/> block. Valid until passed back to
/// <see cref="MemoryAllocator.Free"/>; <see cref="Mapped"/> is valid as long as the allocation is.
/// </summary>
internal readonly unsafe struct MemoryAllocation
{
    internal MemoryAllocation(MemoryBlock block, ulong offset, ulong size)
    {
        Block = block;
        Offset = offset;
        Size = size;
    }

    internal MemoryBlock Block { get; }

    /// <summary>The device memory object the range lives in.</summary>
    public DeviceMemory Memory => Block.Memory;

    /// <summary>Byte offset of the range in <see cref="Memory"/>.</summary>
    public ulong Offset { get; }

    /// <summary>Size of the range in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Host pointer to the range when its memory is mapped, otherwise null.</summary>
    public byte* Mapped => Block.Mapped == null ? null : Block.Mapped + Offset;
}

/// <summary>One vkAllocateMemory; ranges are handed out first-fit from a sorted free list.</summary>
internal sealed unsafe class MemoryBlock
{
    // Free ranges sorted by offset, never adjacent (adjacent ones are merged on free).
    private readonly List<(ulong Offset, ulong Size)> _free = new();

    public MemoryBlock(DeviceMemory memory, ulong size, uint typeIndex, bool forImages, bool dedicated, byte* mapped,
        MemoryUsage usage)
    {
        Usage = usage;
        Memory = memory;
        Size = size;
        TypeIndex = typeIndex;
        ForImages = forImages;
        Dedicated = dedicated;
        Mapped = mapped;
        _free.Add((0, size));
    }

    public DeviceMemory Memory { get; }
    public ulong Size { get; }
    public uint TypeIndex { get; }
    public bool ForImages { get; }
    public bool Dedicated { get; }
    public byte* Mapped { get; }
    public MemoryUsage Usage { get; }
    public int LiveCount { get; private set; }

    public bool TryAllocate(ulong size, ulong alignment, out ulong offset)
    {
        for (int i = 0; i < _free.Count; i++)
        {
            var (start, length) = _free[i];
            ulong aligned = (start + alignment - 1) / alignment * alignment;
            ulong end = aligned + size;
            if (end > start + length)
            {
                continue;
            }
            _free.RemoveAt(i);
            int at = i;
            if (aligned > start)
            {
                _free.Insert(at++, (start, aligned - start));
            }
            if (start + length > end)
            {
                _free.Insert(at, (end, start + length - end));
            }
            offset = aligned;
            LiveCount++;
            return true;
        }
        offset = 0;
        return false;
    }

    public void Release(ulong offset, ulong size)
    {
        int i = 0;
        while (i < _free.Count && _free[i].Offset < offset)
        {
            i++;
        }
        _free.Insert(i, (offset, size));
        if (i + 1 < _free.Count && _free[i].Offset + _free[i].Size == _free[i + 1].Offset)
        {
            _free[i] = (_free[i].Offset, _free[i].Size + _free[i + 1].Size);
            _free.RemoveAt(i + 1);
        }
        if (i > 0 && _free[i - 1].Offset + _free[i - 1].Size == _free[i].Offset)
        {
            _free[i - 1] = (_free[i - 1].Offset, _free[i - 1].Size + _free[i].Size);
            _free.RemoveAt(i);
        }
        LiveCount--;
    }

    public bool IsEmpty => LiveCount == 0;
}

/// <summary>
/// Sub-allocates buffers and images from large blocks instead of one vkAllocateMemory per tensor (drivers
/// limit the number of allocations, and each one is slow). Buffers and images get separate blocks, so the
/// device's bufferImageGranularity never applies, and so do the three <see cref="MemoryUsage"/>s. Requests larger than a block get a dedicated block.
/// An empty block is kept as a spare (a dedicated one for the next request of about its size, up to a quarter more
/// than asked) while the spares total at most <see cref="GpuContextOptions.SpareMemory"/> (by default half the
/// largest device-local heap, none on a borrowed device), and the spares are released when
/// an allocation runs out of memory: a tiled run binds its graph again for each statistics pass and tile size, and a
/// fresh block costs a vkAllocateMemory and, on CPU drivers, the kernel's zeroing of each page on first touch.
/// Host-visible, host-coherent blocks stay mapped for their lifetime. Thread-safe.
/// </summary>
internal sealed unsafe class MemoryAllocator
{
    private readonly GpuContext _context;
    private readonly ulong _blockSize;
    private readonly List<MemoryBlock> _blocks = new();
    private readonly PhysicalDeviceMemoryProperties _props;
    private readonly bool _unified;
    private readonly bool _mapDevice;
    private readonly object _lock = new();
    private readonly Tally[] _tallies = { new(), new(), new() }; // indexed by MemoryUsage
    // The most bytes of empty blocks kept for reuse (see the class summary).
    private readonly ulong _spareLimit;

    internal MemoryAllocator(GpuContext context, ulong blockSize, bool mapDeviceMemory, ulong? spareLimit)
    {
        _context = context;
        _blockSize = blockSize;
        _mapDevice = mapDeviceMemory;
        context.Vk.GetPhysicalDeviceMemoryProperties(context.PhysicalDevice, out _props);
        _unified = context.Properties.DeviceType is PhysicalDeviceType.Cpu or PhysicalDeviceType.IntegratedGpu;
        for (int i = 0; i < _props.MemoryHeapCount && spareLimit is null; i++)
        {
            if ((_props.MemoryHeaps[i].Flags & MemoryHeapFlags.DeviceLocalBit) != 0)
            {
                _spareLimit = Math.Max(_spareLimit, _props.MemoryHeaps[i].Size / 2);
            }
        }
        _spareLimit = spareLimit ?? _spareLimit;
    }

    /// <summary>Bytes of empty blocks kept for reuse.</summary>
    internal ulong SpareBytes
    {
        get
        {
            lock (_lock)
            {
                return EmptyBytes();
            }
        }
    }

    private ulong EmptyBytes() => _blocks.Where(b => b.IsEmpty).Aggregate(0UL, (sum, b) => sum + b.Size);

    /// <summary>A snapshot of what is held now and at peak, per kind.</summary>
    public MemoryStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new MemoryStatistics(_tallies[0].Snapshot(), _tallies[1].Snapshot(), _tallies[2].Snapshot());
            }
        }
    }

    /// <summary>Whether <see cref="MemoryUsage.Device"/> memory is mapped (no staging needed).</summary>
    public bool DeviceMemoryIsMapped
    {
        get
        {
            return _mapDevice && IsMappable(ChooseType(uint.MaxValue, MemoryUsage.Device));
        }
    }

    /// <summary>Allocates a range satisfying <paramref name="requirements"/> for the given use.</summary>
    public MemoryAllocation Allocate(MemoryRequirements requirements, MemoryUsage usage, bool forImage)
    {
        _context.ThrowIfDisposed();
        uint type = ChooseType(requirements.MemoryTypeBits, usage);
        ulong alignment = Math.Max(requirements.Alignment, 1);
        lock (_lock)
        {
            if (requirements.Size <= _blockSize)
            {
                foreach (var block in _blocks)
                {
                    if (block.TypeIndex == type && block.ForImages == forImage && !block.Dedicated &&
                        block.Usage == usage &&
                        block.TryAllocate(requirements.Size, alignment, out ulong offset))
                    {
                        _tallies[(int)usage].Allocated(requirements.Size);
                        return new MemoryAllocation(block, offset, requirements.Size);
                    }
                }
            }
            bool dedicated = requirements.Size > _blockSize;
            if (dedicated && Spare(requirements.Size, type, forImage, usage) is { } spare && spare.TryAllocate(requirements.Size, alignment, out ulong start))
            {
                _tallies[(int)usage].Allocated(requirements.Size);
                return new MemoryAllocation(spare, start, requirements.Size);
            }
            MemoryBlock fresh;
            try
            {
                fresh = NewBlock(dedicated ? requirements.Size : _blockSize, type, forImage, dedicated, usage);
            }
            catch (VulkanException e) when (e.IsOutOfMemory && _blocks.Any(b => b.IsEmpty))
            {
                ReleaseSpares();
                fresh = NewBlock(dedicated ? requirements.Size : _blockSize, type, forImage, dedicated, usage);
            }
            if (!fresh.TryAllocate(requirements.Size, alignment, out ulong at))
            {
                throw new InvalidOperationException("A fresh memory block could not hold the allocation it was made for.");
            }
            _tallies[(int)usage].Allocated(requirements.Size);
            return new MemoryAllocation(fresh, at, requirements.Size);
        }
    }

    /// <summary>Returns a range; an empty block stays as a spare within the limit (see the class summary), else is released.</summary>
    public void Free(MemoryAllocation allocation)
    {
        lock (_lock)
        {
            var block = allocation.Block;
            block.Release(allocation.Offset, allocation.Size);
            _tallies[(int)block.Usage].Freed(allocation.Size);
            if (!block.IsEmpty)
            {
                return;
            }
            // One empty block of each kind stays whatever the limit (the next small tensor needs no allocation).
            bool another = _blocks.Any(b => b != block && b.IsEmpty && b.TypeIndex == block.TypeIndex &&
                                            b.ForImages == block.ForImages && b.Usage == block.Usage && !b.Dedicated);
            if ((block.Dedicated || another) && EmptyBytes() > _spareLimit)
            {
                Release(block);
            }
        }
    }

    /// <summary>The smallest spare that holds <paramref name="size"/> bytes with at most a quarter more, or null.</summary>
    private MemoryBlock? Spare(ulong size, uint type, bool forImage, MemoryUsage usage)
    {
        MemoryBlock? best = null;
        foreach (var block in _blocks)
        {
            if (block.Dedicated && block.IsEmpty && block.TypeIndex == type && block.ForImages == forImage && block.Usage == usage &&
                block.Size >= size && block.Size - size <= size / 4 && (best is null || block.Size < best.Size))
            {
                best = block;
            }
        }
        return best;
    }

    /// <summary>Releases every empty block (before an allocation is retried after running out of memory).</summary>
    private void ReleaseSpares()
    {
        foreach (var block in _blocks.Where(b => b.IsEmpty).ToList())
        {
            Release(block);
        }
    }

    private void Release(MemoryBlock block)
    {
        _blocks.Remove(block);
        _tallies[(int)block.Usage].BlockFreed(block.Size);
        _context.Vk.FreeMemory(_context.Device, block.Memory, null);
    }

    /// <summary>Frees every block. Called by the context after everything using memory is destroyed.</summary>
    public void Destroy()
    {
        lock (_lock)
        {
            foreach (var b in _blocks)
            {
                _tallies[(int)b.Usage].BlockFreed(b.Size);
                _context.Vk.FreeMemory(_context.Device, b.Memory, null);
            }
            _blocks.Clear();
        }
    }

    private MemoryBlock NewBlock(ulong size, uint type, bool forImages, bool dedicated, MemoryUsage usage)
    {
        var info = new MemoryAllocateInfo(allocationSize: size, memoryTypeIndex: type);
        _context.Vk.AllocateMemory(_context.Device, in info, null, out var memory).Check("vkAllocateMemory");
        byte* mapped = null;
        if (IsMappable(type) && (usage != MemoryUsage.Device || _mapDevice))
        {
            void* p;
            var r = _context.Vk.MapMemory(_context.Device, memory, 0, Vk.WholeSize, 0, &p);
            if (r != Result.Success)
            {
                _context.Vk.FreeMemory(_context.Device, memory, null);
                r.Check("vkMapMemory");
            }
            mapped = (byte*)p;
        }
        var block = new MemoryBlock(memory, size, type, forImages, dedicated, mapped, usage);
        _blocks.Add(block);
        _tallies[(int)usage].BlockAllocated(size);
        return block;
    }

    private bool IsMappable(uint type)
    {
        const MemoryPropertyFlags hostCoherent = MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit;
        return (_props.MemoryTypes[(int)type].PropertyFlags & hostCoherent) == hostCoherent;
    }

    private uint ChooseType(uint allowedBits, MemoryUsage usage)
    {
        const MemoryPropertyFlags host = MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit;
        var (required, preferred) = usage switch
        {
            MemoryUsage.Device => (MemoryPropertyFlags.DeviceLocalBit,
                _unified ? host : MemoryPropertyFlags.None),
            MemoryUsage.Upload => (host, MemoryPropertyFlags.None),
            _ => (host, MemoryPropertyFlags.HostCachedBit),
        };
        int best = -1;
        for (int i = 0; i < _props.MemoryTypeCount; i++)
        {
            if ((allowedBits & (1u << i)) == 0)
            {
                continue;
            }
            var flags = _props.MemoryTypes[i].PropertyFlags;
            if ((flags & required) != required)
            {
                continue;
            }
            if (best < 0 || ((flags & preferred) == preferred &&
                             (_props.MemoryTypes[best].PropertyFlags & preferred) != preferred))
            {
                best = i;
            }
        }
        if (best < 0 && usage == MemoryUsage.Device)
        {
            return ChooseType(allowedBits, MemoryUsage.Upload); // some virtual devices have no device-local type
        }
        if (best < 0)
        {
            throw new GpuUnavailableException($"The device has no memory type suitable for {usage} memory " +
                                              $"(allowed type bits 0x{allowedBits:X}).");
        }
        return (uint)best;
    }
}

/// <summary>Running totals of one memory kind, kept under the allocator's lock.</summary>
internal sealed class Tally
{
    private ulong _bytes, _peakBytes, _reserved, _peakReserved;
    private int _allocations, _blocks, _peakBlocks;

    public void Allocated(ulong size)
    {
        _bytes += size;
        _allocations++;
        _peakBytes = Math.Max(_peakBytes, _bytes);
    }

    public void Freed(ulong size)
    {
        _bytes -= size;
        _allocations--;
    }

    public void BlockAllocated(ulong size)
    {
        _reserved += size;
        _blocks++;
        _peakReserved = Math.Max(_peakReserved, _reserved);
        _peakBlocks = Math.Max(_peakBlocks, _blocks);
    }

    public void BlockFreed(ulong size)
    {
        _reserved -= size;
        _blocks--;
    }

    public MemoryKindStatistics Snapshot() =>
        new(_bytes, _peakBytes, _allocations, _reserved, _peakReserved, _blocks, _peakBlocks);
}
