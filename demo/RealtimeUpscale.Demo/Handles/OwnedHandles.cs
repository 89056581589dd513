using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using VkSemaphore = Silk.NET.Vulkan.Semaphore;

namespace RealtimeUpscale.Demo;

/// <summary>
/// A command pool the demo created on its device; destroyed (with the command buffers still allocated from it) on
/// dispose. The device must outlive it and be idle of its command buffers.
/// </summary>
internal sealed unsafe class OwnedCommandPool : IDisposable
{
    private readonly Vk _vk;
    private readonly Device _device;

    public OwnedCommandPool(Vk vk, Device device, uint queueFamily)
    {
        _vk = vk;
        _device = device;
        var info = new CommandPoolCreateInfo(flags: CommandPoolCreateFlags.ResetCommandBufferBit, queueFamilyIndex: queueFamily);
        vk.CreateCommandPool(device, in info, null, out var pool).Check("vkCreateCommandPool");
        Handle = pool;
    }

    public CommandPool Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            _vk.DestroyCommandPool(_device, Handle, null);
            Handle = default;
        }
    }
}

/// <summary>A primary command buffer allocated from an <see cref="OwnedCommandPool"/>, freed on dispose (before the pool).</summary>
internal sealed unsafe class OwnedCommandBuffer : IDisposable
{
    private readonly Vk _vk;
    private readonly Device _device;
    private readonly CommandPool _pool;

    public OwnedCommandBuffer(Vk vk, Device device, OwnedCommandPool pool)
    {
        _vk = vk;
        _device = device;
        _pool = pool.Handle;
        var info = new CommandBufferAllocateInfo(commandPool: _pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        vk.AllocateCommandBuffers(device, in info, out var buffer).Check("vkAllocateCommandBuffers");
        Handle = buffer;
    }

    public CommandBuffer Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            var buffer = Handle;
            _vk.FreeCommandBuffers(_device, _pool, 1, in buffer);
            Handle = default;
        }
    }
}

/// <summary>A fence, created signalled (so the first wait on a frame slot returns at once); destroyed on dispose.</summary>
internal sealed unsafe class OwnedFence : IDisposable
{
    private readonly Vk _vk;
    private readonly Device _device;

    public OwnedFence(Vk vk, Device device)
    {
        _vk = vk;
        _device = device;
        var info = new FenceCreateInfo(flags: FenceCreateFlags.SignaledBit);
        vk.CreateFence(device, in info, null, out var fence).Check("vkCreateFence");
        Handle = fence;
    }

    public Fence Handle { get; private set; }

    /// <summary>Waits until the fence is signalled.</summary>
    public void Wait()
    {
        var fence = Handle;
        _vk.WaitForFences(_device, 1, in fence, true, ulong.MaxValue).Check("vkWaitForFences");
    }

    /// <summary>Unsignals the fence for the next submission.</summary>
    public void Reset()
    {
        var fence = Handle;
        _vk.ResetFences(_device, 1, in fence).Check("vkResetFences");
    }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            _vk.DestroyFence(_device, Handle, null);
            Handle = default;
        }
    }
}

/// <summary>A binary semaphore; destroyed on dispose (no queue operation may still wait on or signal it).</summary>
internal sealed unsafe class OwnedSemaphore : IDisposable
{
    private readonly Vk _vk;
    private readonly Device _device;

    public OwnedSemaphore(Vk vk, Device device)
    {
        _vk = vk;
        _device = device;
        var info = new SemaphoreCreateInfo(flags: 0);
        vk.CreateSemaphore(device, in info, null, out var semaphore).Check("vkCreateSemaphore");
        Handle = semaphore;
    }

    public VkSemaphore Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            _vk.DestroySemaphore(_device, Handle, null);
            Handle = default;
        }
    }
}
