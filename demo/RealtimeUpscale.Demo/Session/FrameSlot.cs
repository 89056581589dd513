using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Demo;

/// <summary>
/// One of the frames in flight: its command buffer, the fence its submission signals, the semaphore the swapchain
/// signals when its image is acquired, its timestamp queries and the names of its timed passes. Each handle has its
/// own owner, disposed in reverse creation order.
/// </summary>
internal sealed class FrameSlot : IDisposable
{
    private readonly VulkanHost _host;
    private readonly DisposalStack _owned = new();
    private readonly Replaceable<OwnedSemaphore> _imageAvailable;

    public FrameSlot(VulkanHost host, GpuContext gpu, OwnedCommandPool pool, int index)
    {
        _host = host;
        Index = index;
        try
        {
            Command = _owned.Push(new OwnedCommandBuffer(host.Vk, host.Device, pool));
            Fence = _owned.Push(new OwnedFence(host.Vk, host.Device));
            _imageAvailable = _owned.Push(new Replaceable<OwnedSemaphore>());
            _imageAvailable.Replace(new OwnedSemaphore(host.Vk, host.Device));
            Timer = _owned.Push(new GpuTimer(gpu, 1024));
        }
        catch
        {
            _owned.Dispose();
            throw;
        }
    }

    /// <summary>The slot's index among the frames in flight (the views keep per-slot results).</summary>
    public int Index { get; }

    public OwnedCommandBuffer Command { get; }
    public OwnedFence Fence { get; }
    public GpuTimer Timer { get; }
    public PassGroups Groups { get; } = new();

    /// <summary>Signalled by the swapchain when the image this frame draws into has been acquired.</summary>
    public Silk.NET.Vulkan.Semaphore ImageAvailable => _imageAvailable.Current!.Handle;

    /// <summary>Whether the slot's last submission has results not yet read (by <see cref="DemoSession"/>).</summary>
    public bool Submitted { get; set; }

    /// <summary>The view version the last submission recorded; results of an older view are dropped.</summary>
    public int PlanVersion { get; set; } = -1;

    /// <summary>
    /// Replaces the acquire semaphore, which an acquire whose frame was dropped may have left signalled (after the
    /// swapchain is recreated; the device is idle).
    /// </summary>
    public void RenewImageAvailable()
    {
        _imageAvailable.Replace(null);
        _imageAvailable.Replace(new OwnedSemaphore(_host.Vk, _host.Device));
    }

    public void Dispose() => _owned.Dispose();
}
