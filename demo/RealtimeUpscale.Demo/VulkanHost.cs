using RealtimeUpscale.Runtime;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// The demo's own Vulkan instance, device and queue, made the way a game engine makes them (with a
/// window surface and the swapchain extension), and lent to the library with <see cref="GpuContext.Borrow"/>.
/// The instance comes from the library's <see cref="InstanceBuilder"/> and the device is chosen by its
/// <see cref="DeviceSelector"/> with the demo's requirements added. Each handle it creates has its own owner on a
/// <see cref="DisposalStack"/>, disposed in reverse creation order (device, surface, then the instance with its
/// messenger and validation log); the library's context must be disposed first.
/// </summary>
internal sealed unsafe class VulkanHost : IDisposable
{
    private readonly DisposalStack _owned = new();
    private VulkanInstance? _instance;

    // VK_KHR_surface (instance level) and VK_KHR_swapchain (device level), loaded by hand: the Silk.NET
    // extension packages are not used.
    public delegate* unmanaged[Cdecl]<PhysicalDevice, uint, SurfaceKHR, uint*, Result> GetSurfaceSupport;
    public delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, SurfaceCapabilitiesKHR*, Result> GetSurfaceCapabilities;
    public delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, uint*, SurfaceFormatKHR*, Result> GetSurfaceFormats;
    public delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, uint*, PresentModeKHR*, Result> GetPresentModes;
    public delegate* unmanaged[Cdecl]<Instance, SurfaceKHR, AllocationCallbacks*, void> DestroySurface;
    public delegate* unmanaged[Cdecl]<Device, SwapchainCreateInfoKHR*, AllocationCallbacks*, SwapchainKHR*, Result> CreateSwapchain;
    public delegate* unmanaged[Cdecl]<Device, SwapchainKHR, AllocationCallbacks*, void> DestroySwapchain;
    public delegate* unmanaged[Cdecl]<Device, SwapchainKHR, uint*, Image*, Result> GetSwapchainImages;
    public delegate* unmanaged[Cdecl]<Device, SwapchainKHR, ulong, Silk.NET.Vulkan.Semaphore, Fence, uint*, Result> AcquireNextImage;
    public delegate* unmanaged[Cdecl]<Queue, PresentInfoKHR*, Result> QueuePresent;

    private VulkanHost()
    {
    }

    public Vk Vk => _instance!.Vk;
    public Instance Instance => _instance!.Handle;
    public PhysicalDevice PhysicalDevice { get; private set; }
    public Device Device { get; private set; }
    public Queue Queue { get; private set; }
    public uint QueueFamily { get; private set; }
    public SurfaceKHR Surface { get; private set; }
    public string DeviceName { get; private set; } = "";
    public PhysicalDeviceType DeviceType { get; private set; }
    public ValidationLog? Validation => _instance?.Validation;

    /// <summary>
    /// Creates the instance (with GLFW's surface extensions when <paramref name="window"/> is not zero), the
    /// surface, and a device whose queue does graphics, compute and (with a window) presents.
    /// <paramref name="requested"/> picks a device by index or name substring, as the CLI's --device does.
    /// </summary>
    public static VulkanHost Create(nint window, bool validation, string? requested)
    {
        var host = new VulkanHost();
        try
        {
            host.CreateInstance(window, validation);
            if (window != 0)
            {
                host.Surface = host._owned.Push(new OwnedSurface(host.Instance, window, host.DestroySurface)).Handle;
            }
            host.PickDevice(requested);
            host.CreateDevice();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private void CreateInstance(nint window, bool validation)
    {
        var builder = new InstanceBuilder { EnableValidation = validation, ApplicationName = "RealtimeUpscale demo" };
        if (window != 0)
        {
            byte** names = Glfw.GetRequiredInstanceExtensions(out uint count);
            if (names == null)
            {
                throw new InvalidOperationException("GLFW found no Vulkan surface support (glfwGetRequiredInstanceExtensions returned nothing). " +
                    (Glfw.LastError ?? "Is libvulkan1 installed?"));
            }
            for (uint i = 0; i < count; i++)
            {
                builder.Extensions.Add(SilkMarshal.PtrToString((nint)names[i])!);
            }
        }
        _instance = _owned.Push(builder.Build());
        GetSurfaceSupport = (delegate* unmanaged[Cdecl]<PhysicalDevice, uint, SurfaceKHR, uint*, Result>)
            Load("vkGetPhysicalDeviceSurfaceSupportKHR", window != 0);
        GetSurfaceCapabilities = (delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, SurfaceCapabilitiesKHR*, Result>)
            Load("vkGetPhysicalDeviceSurfaceCapabilitiesKHR", window != 0);
        GetSurfaceFormats = (delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, uint*, SurfaceFormatKHR*, Result>)
            Load("vkGetPhysicalDeviceSurfaceFormatsKHR", window != 0);
        GetPresentModes = (delegate* unmanaged[Cdecl]<PhysicalDevice, SurfaceKHR, uint*, PresentModeKHR*, Result>)
            Load("vkGetPhysicalDeviceSurfacePresentModesKHR", window != 0);
        DestroySurface = (delegate* unmanaged[Cdecl]<Instance, SurfaceKHR, AllocationCallbacks*, void>)
            Load("vkDestroySurfaceKHR", window != 0);
    }

    private nint Load(string name, bool needed) => needed ? _instance!.GetFunction(name) : 0;

    /// <summary>
    /// The library's device selector with the demo's needs added: image writes without a format, timestamps
    /// on graphics and compute queues (the HUD), a queue family that does graphics (blits) and presents to
    /// the window, and the swapchain extension.
    /// </summary>
    private void PickDevice(string? requested)
    {
        var selector = new DeviceSelector { Requested = requested }
            .Require("no shaderStorageImageWriteWithoutFormat (the upscaler writes images with it)",
                d => d.Features.ShaderStorageImageWriteWithoutFormat)
            .Require("no timestamps on graphics and compute queues (the HUD's GPU times)",
                d => d.Properties.Limits.TimestampComputeAndGraphics)
            .RequireQueueFamily(Surface.Handle != 0 ? "no queue family does graphics, compute and presents to the window"
                    : "no queue family does graphics and compute",
                (d, family) => (d.QueueFamilies[(int)family].QueueFlags & QueueFlags.GraphicsBit) != 0 && Presents(d.Handle, family));
        if (Surface.Handle != 0)
        {
            selector.Require("no VK_KHR_swapchain", d => d.Extensions.Contains("VK_KHR_swapchain"));
        }
        var selection = selector.Select(Vk, Instance);
        PhysicalDevice = selection.Device;
        QueueFamily = selection.QueueFamily;
        DeviceName = selection.Traits.Name;
        DeviceType = selection.Traits.Type;
    }

    private bool Presents(PhysicalDevice device, uint family)
    {
        if (Surface.Handle == 0)
        {
            return true;
        }
        uint supported = 0;
        GetSurfaceSupport(device, family, Surface, &supported).Check("vkGetPhysicalDeviceSurfaceSupportKHR");
        return supported != 0;
    }

    private void CreateDevice()
    {
        Vk.GetPhysicalDeviceFeatures(PhysicalDevice, out var supported);
        if (!supported.ShaderStorageImageWriteWithoutFormat)
        {
            throw new GpuUnavailableException($"{DeviceName} lacks shaderStorageImageWriteWithoutFormat, which the upscaler's image output needs.");
        }
        var enabled = new PhysicalDeviceFeatures { ShaderStorageImageWriteWithoutFormat = true };
        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo(queueFamilyIndex: QueueFamily, queueCount: 1, pQueuePriorities: &priority);
        var extensions = Surface.Handle != 0 ? new[] { "VK_KHR_swapchain" } : Array.Empty<string>();
        nint extPtrs = SilkMarshal.StringArrayToPtr(extensions);
        try
        {
            var info = new DeviceCreateInfo(queueCreateInfoCount: 1, pQueueCreateInfos: &queueInfo,
                enabledExtensionCount: (uint)extensions.Length, ppEnabledExtensionNames: (byte**)extPtrs, pEnabledFeatures: &enabled);
            Device = _owned.Push(new OwnedDevice(Vk, PhysicalDevice, in info)).Handle;
        }
        finally
        {
            SilkMarshal.Free(extPtrs);
        }
        Vk.GetDeviceQueue(Device, QueueFamily, 0, out var queue);
        Queue = queue;
        if (Surface.Handle != 0)
        {
            CreateSwapchain = (delegate* unmanaged[Cdecl]<Device, SwapchainCreateInfoKHR*, AllocationCallbacks*, SwapchainKHR*, Result>)
                LoadDevice("vkCreateSwapchainKHR");
            DestroySwapchain = (delegate* unmanaged[Cdecl]<Device, SwapchainKHR, AllocationCallbacks*, void>)LoadDevice("vkDestroySwapchainKHR");
            GetSwapchainImages = (delegate* unmanaged[Cdecl]<Device, SwapchainKHR, uint*, Image*, Result>)LoadDevice("vkGetSwapchainImagesKHR");
            AcquireNextImage = (delegate* unmanaged[Cdecl]<Device, SwapchainKHR, ulong, Silk.NET.Vulkan.Semaphore, Fence, uint*, Result>)
                LoadDevice("vkAcquireNextImageKHR");
            QueuePresent = (delegate* unmanaged[Cdecl]<Queue, PresentInfoKHR*, Result>)LoadDevice("vkQueuePresentKHR");
        }
    }

    private nint LoadDevice(string name)
    {
        nint p = (nint)Vk.GetDeviceProcAddr(Device, name).Handle;
        if (p == 0)
        {
            throw new GpuUnavailableException($"The device does not provide {name}.");
        }
        return p;
    }

    /// <summary>Destroys the device, the surface and the instance (with its messenger), in that order.</summary>
    public void Dispose() => _owned.Dispose();
}
