using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// Keeps a validation log reachable from the debug messenger's native callback; freed on dispose, which must come
/// after the instance is destroyed (the messenger chained into the instance's create-info reports on its destruction).
/// </summary>
internal sealed class PinnedValidationLog : IDisposable
{
    private GCHandle _handle;

    public PinnedValidationLog(ValidationLog log, out DebugUtilsMessengerCreateInfoEXT messengerInfo)
    {
        Log = log;
        messengerInfo = log.CreateMessengerInfo(out _handle);
    }

    public ValidationLog Log { get; }

    public void Dispose()
    {
        if (_handle.IsAllocated)
        {
            _handle.Free();
        }
    }
}

/// <summary>The demo's Vulkan instance; destroyed on dispose, after everything made from it.</summary>
internal sealed unsafe class OwnedInstance : IDisposable
{
    private readonly Vk _vk;

    public OwnedInstance(Vk vk, in InstanceCreateInfo info)
    {
        _vk = vk;
        vk.CreateInstance(in info, null, out var instance).Check("vkCreateInstance");
        Handle = instance;
    }

    public Instance Handle { get; private set; }

    public void Dispose()
    {
        if (Handle.Handle != 0)
        {
            _vk.DestroyInstance(Handle, null);
            Handle = default;
        }
    }
}

/// <summary>The debug-utils messenger of a validating instance; destroyed on dispose, before the instance.</summary>
internal sealed unsafe class OwnedDebugMessenger : IDisposable
{
    private readonly Vk _vk;
    private readonly Instance _instance;
    private DebugUtilsMessengerEXT _handle;

    public OwnedDebugMessenger(Vk vk, Instance instance, in DebugUtilsMessengerCreateInfoEXT info)
    {
        _vk = vk;
        _instance = instance;
        var create = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*,
            DebugUtilsMessengerEXT*, Result>)GpuContext.LoadInstanceFunction(vk, instance, "vkCreateDebugUtilsMessengerEXT");
        DebugUtilsMessengerEXT m;
        fixed (DebugUtilsMessengerCreateInfoEXT* p = &info)
        {
            create(instance, p, null, &m).Check("vkCreateDebugUtilsMessengerEXT");
        }
        _handle = m;
    }

    public void Dispose()
    {
        if (_handle.Handle != 0)
        {
            var destroy = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                GpuContext.LoadInstanceFunction(_vk, _instance, "vkDestroyDebugUtilsMessengerEXT");
            destroy(_instance, _handle, null);
            _handle = default;
        }
    }
}

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
