using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// Hands out descriptor sets from pools that are created as needed (each pool allows freeing single sets).
/// Each set is owned by the <see cref="ComputeDispatch"/> it was made for. Thread-safe.
/// </summary>
internal sealed unsafe class DescriptorAllocator
{
    private const uint SetsPerPool = 256;
    private readonly GpuContext _context;
    private readonly List<DescriptorPool> _pools = new();
    private readonly object _lock = new();

    internal DescriptorAllocator(GpuContext context) => _context = context;

    internal (DescriptorSet Set, DescriptorPool Pool) Allocate(DescriptorSetLayout layout)
    {
        lock (_lock)
        {
            _context.ThrowIfDisposed();
            for (int i = _pools.Count - 1; i >= 0; i--)
            {
                var pool = _pools[i];
                var info = new DescriptorSetAllocateInfo(descriptorPool: pool, descriptorSetCount: 1, pSetLayouts: &layout);
                DescriptorSet set;
                var r = _context.Vk.AllocateDescriptorSets(_context.Device, in info, &set);
                if (r == Result.Success)
                {
                    return (set, pool);
                }
                if (r != Result.ErrorOutOfPoolMemory && r != Result.ErrorFragmentedPool)
                {
                    r.Check("vkAllocateDescriptorSets");
                }
            }
            var fresh = NewPool();
            var freshInfo = new DescriptorSetAllocateInfo(descriptorPool: fresh, descriptorSetCount: 1, pSetLayouts: &layout);
            DescriptorSet freshSet;
            _context.Vk.AllocateDescriptorSets(_context.Device, in freshInfo, &freshSet).Check("vkAllocateDescriptorSets");
            return (freshSet, fresh);
        }
    }

    internal void Free(DescriptorSet set, DescriptorPool pool)
    {
        lock (_lock)
        {
            if (_pools.Contains(pool))
            {
                _context.Vk.FreeDescriptorSets(_context.Device, pool, 1, in set).Check("vkFreeDescriptorSets");
            }
        }
    }

    /// <summary>Destroys every pool (and with them any set not yet freed).</summary>
    public void Destroy()
    {
        lock (_lock)
        {
            foreach (var pool in _pools)
            {
                _context.Vk.DestroyDescriptorPool(_context.Device, pool, null);
            }
            _pools.Clear();
        }
    }

    private DescriptorPool NewPool()
    {
        var sizes = stackalloc DescriptorPoolSize[5];
        sizes[0] = new DescriptorPoolSize(DescriptorType.StorageBuffer, SetsPerPool * 4);
        sizes[1] = new DescriptorPoolSize(DescriptorType.CombinedImageSampler, SetsPerPool);
        sizes[2] = new DescriptorPoolSize(DescriptorType.StorageImage, SetsPerPool);
        sizes[3] = new DescriptorPoolSize(DescriptorType.UniformBuffer, SetsPerPool);
        sizes[4] = new DescriptorPoolSize(DescriptorType.UniformTexelBuffer, SetsPerPool * 2);
        var info = new DescriptorPoolCreateInfo(
            flags: DescriptorPoolCreateFlags.FreeDescriptorSetBit, maxSets: SetsPerPool, poolSizeCount: 5, pPoolSizes: sizes);
        _context.Vk.CreateDescriptorPool(_context.Device, in info, null, out var pool).Check("vkCreateDescriptorPool");
        _pools.Add(pool);
        return pool;
    }
}
