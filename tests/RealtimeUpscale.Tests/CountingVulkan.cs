using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Core.Contexts;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Tests;

/// <summary>
/// A Vulkan function table that counts the calls a library makes to the queue and wait entry points: a
/// <see cref="Vk"/> built on a native context that hands out counting trampolines for vkQueueSubmit,
/// vkQueueWaitIdle and vkDeviceWaitIdle (forwarding to the loader's functions), and records every other
/// function it resolves. Given to <see cref="Runtime.GpuContext.Borrow"/>, it counts from outside the library
/// whatever the library submits or waits on. The counters are process-wide: one instance at a time.
/// </summary>
public sealed unsafe class CountingVulkan : IDisposable
{
    private static readonly object Gate = new();
    private static delegate* unmanaged[Cdecl]<Queue, uint, SubmitInfo*, Fence, Result> _queueSubmit;
    private static delegate* unmanaged[Cdecl]<Queue, Result> _queueWaitIdle;
    private static delegate* unmanaged[Cdecl]<Device, Result> _deviceWaitIdle;
    private static int _submits, _queueWaits, _deviceWaits;
    private readonly Vk _loader;
    private readonly bool _locked;

    public CountingVulkan()
    {
        Monitor.Enter(Gate);
        _locked = true;
        _loader = Vk.GetApi();
        _queueSubmit = (delegate* unmanaged[Cdecl]<Queue, uint, SubmitInfo*, Fence, Result>)_loader.Context.GetProcAddress("vkQueueSubmit");
        _queueWaitIdle = (delegate* unmanaged[Cdecl]<Queue, Result>)_loader.Context.GetProcAddress("vkQueueWaitIdle");
        _deviceWaitIdle = (delegate* unmanaged[Cdecl]<Device, Result>)_loader.Context.GetProcAddress("vkDeviceWaitIdle");
        _submits = _queueWaits = _deviceWaits = 0;
        Resolved = new List<string>();
        Vk = new Vk(new Table(_loader.Context, Resolved));
    }

    /// <summary>The counting function table.</summary>
    public Vk Vk { get; }

    /// <summary>Every function name resolved through the table, in order.</summary>
    public List<string> Resolved { get; }

    public int Submits => Volatile.Read(ref _submits);

    public int QueueWaits => Volatile.Read(ref _queueWaits);

    public int DeviceWaits => Volatile.Read(ref _deviceWaits);

    public void Dispose()
    {
        if (_locked)
        {
            Monitor.Exit(Gate);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Result CountedQueueSubmit(Queue queue, uint count, SubmitInfo* submits, Fence fence)
    {
        Interlocked.Increment(ref _submits);
        return _queueSubmit(queue, count, submits, fence);
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Result CountedQueueWaitIdle(Queue queue)
    {
        Interlocked.Increment(ref _queueWaits);
        return _queueWaitIdle(queue);
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static Result CountedDeviceWaitIdle(Device device)
    {
        Interlocked.Increment(ref _deviceWaits);
        return _deviceWaitIdle(device);
    }

    private sealed class Table(INativeContext inner, List<string> resolved) : INativeContext
    {
        public nint GetProcAddress(string proc, int? slot = null) =>
            TryGetProcAddress(proc, out nint address, slot) ? address : throw new EntryPointNotFoundException(proc);

        public bool TryGetProcAddress(string proc, out nint address, int? slot = null)
        {
            lock (resolved)
            {
                resolved.Add(proc);
            }
            address = proc switch
            {
                "vkQueueSubmit" => (nint)(delegate* unmanaged[Cdecl]<Queue, uint, SubmitInfo*, Fence, Result>)&CountedQueueSubmit,
                "vkQueueWaitIdle" => (nint)(delegate* unmanaged[Cdecl]<Queue, Result>)&CountedQueueWaitIdle,
                "vkDeviceWaitIdle" => (nint)(delegate* unmanaged[Cdecl]<Device, Result>)&CountedDeviceWaitIdle,
                _ => 0,
            };
            return address != 0 || inner.TryGetProcAddress(proc, out address, slot);
        }

        public void Dispose()
        {
        }
    }
}
