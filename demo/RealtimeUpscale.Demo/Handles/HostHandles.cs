using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>The window's surface, made by GLFW on the demo's instance; destroyed on dispose, before the instance.</summary>
internal sealed unsafe class OwnedSurface : IDisposable
{
    private readonly Instance _instance;
    private readonly delegate* unmanaged[Cdecl]<Instance, SurfaceKHR, AllocationCallbacks*, void> _destroy;

    public OwnedSurface(Instance instance, nint window, delegate* unmanaged[Cdecl]<Instance, SurfaceKHR, AllocationCallbacks*, void> destroy)
    {
        _instance = instance;
        _destroy = destroy;
        int r = Glfw.CreateWindowSurface((nint)instance.Handle, window, 0, out ulong surface);
        ((Result)r).Check("glfwCreateWindowSurface");
        Handle = new SurfaceKHR(surface);
    }

    public SurfaceKHR Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            _destroy(_instance, Handle, null);
            Handle = default;
        }
    }
}

/// <summary>The demo's logical device; on dispose it waits for the device to be idle and destroys it, after everything made on it.</summary>
internal sealed unsafe class OwnedDevice : IDisposable
{
    private readonly Vk _vk;

    public OwnedDevice(Vk vk, PhysicalDevice physical, in DeviceCreateInfo info)
    {
        _vk = vk;
        vk.CreateDevice(physical, in info, null, out var device).Check("vkCreateDevice");
        Handle = device;
    }

    public Device Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            // Teardown goes on whatever this returns: a lost device still has to be destroyed.
            _vk.DeviceWaitIdle(Handle);
            _vk.DestroyDevice(Handle, null);
            Handle = default;
        }
    }
}
