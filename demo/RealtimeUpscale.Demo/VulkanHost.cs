using RealtimeUpscale.Runtime;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// The demo's own Vulkan instance, device and queue, made the way a game engine makes them (with a
/// window surface and the swapchain extension), and lent to the library with <see cref="GpuContext.Borrow"/>.
/// Each handle it creates has its own owner on a <see cref="DisposalStack"/>, disposed in reverse creation order
/// (device, surface, messenger, instance, then the validation log); the library's context must be disposed first.
/// </summary>
internal sealed unsafe class VulkanHost : IDisposable
{
    private const string ValidationLayer = "VK_LAYER_KHRONOS_validation";
    private readonly DisposalStack _owned = new();

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

    private VulkanHost(Vk vk) => Vk = vk;

    public Vk Vk { get; }
    public Instance Instance { get; private set; }
    public PhysicalDevice PhysicalDevice { get; private set; }
    public Device Device { get; private set; }
    public Queue Queue { get; private set; }
    public uint QueueFamily { get; private set; }
    public SurfaceKHR Surface { get; private set; }
    public string DeviceName { get; private set; } = "";
    public PhysicalDeviceType DeviceType { get; private set; }
    public ValidationLog? Validation { get; private set; }

    /// <summary>
    /// Creates the instance (with GLFW's surface extensions when <paramref name="window"/> is not zero), the
    /// surface, and a device whose queue does graphics, compute and (with a window) presents.
    /// <paramref name="requested"/> picks a device by index or name substring, as the CLI's --device does.
    /// </summary>
    public static VulkanHost Create(nint window, bool validation, string? requested)
    {
        var host = new VulkanHost(Vk.GetApi());
        try
        {
            host.CreateInstance(window, validation);
            if (window != 0)
            {
                host.Surface = host._owned.Push(new OwnedSurface(host.Instance, window, host.DestroySurface)).Handle;
            }
            host.PickDevice(requested ?? Environment.GetEnvironmentVariable(GpuContextOptions.DeviceEnvironmentVariable));
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
        var extensions = new List<string>();
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
                extensions.Add(SilkMarshal.PtrToString((nint)names[i])!);
            }
        }
        var layers = new List<string>();
        if (validation)
        {
            layers.Add(ValidationLayer);
            extensions.Add("VK_EXT_debug_utils");
        }
        nint appName = SilkMarshal.StringToPtr("RealtimeUpscale demo");
        nint layerPtrs = SilkMarshal.StringArrayToPtr(layers);
        nint extPtrs = SilkMarshal.StringArrayToPtr(extensions);
        try
        {
            var app = new ApplicationInfo(pApplicationName: (byte*)appName, applicationVersion: 1,
                pEngineName: (byte*)appName, engineVersion: 1, apiVersion: Vk.Version12);
            var info = new InstanceCreateInfo(pApplicationInfo: &app,
                enabledLayerCount: (uint)layers.Count, ppEnabledLayerNames: (byte**)layerPtrs,
                enabledExtensionCount: (uint)extensions.Count, ppEnabledExtensionNames: (byte**)extPtrs);
            DebugUtilsMessengerCreateInfoEXT messengerInfo = default;
            if (validation)
            {
                Validation = _owned.Push(new PinnedValidationLog(new ValidationLog(), out messengerInfo)).Log;
                info.PNext = &messengerInfo;
            }
            Instance = _owned.Push(new OwnedInstance(Vk, in info)).Handle;
            if (validation)
            {
                _owned.Push(new OwnedDebugMessenger(Vk, Instance, in messengerInfo));
            }
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
        finally
        {
            SilkMarshal.Free(appName);
            SilkMarshal.Free(layerPtrs);
            SilkMarshal.Free(extPtrs);
        }
    }

    private nint Load(string name, bool needed) => needed ? GpuContext.LoadInstanceFunction(Vk, Instance, name) : 0;

    private void PickDevice(string? requested)
    {
        uint count = 0;
        Vk.EnumeratePhysicalDevices(Instance, ref count, null).Check("vkEnumeratePhysicalDevices");
        var devices = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = devices)
        {
            Vk.EnumeratePhysicalDevices(Instance, ref count, p).Check("vkEnumeratePhysicalDevices");
        }
        var seen = new List<string>();
        int best = -1, bestRank = -1;
        uint bestFamily = 0;
        for (int i = 0; i < devices.Length; i++)
        {
            Vk.GetPhysicalDeviceProperties(devices[i], out var props);
            string name = SilkMarshal.PtrToString((nint)props.DeviceName) ?? "unknown";
            int family = FindFamily(devices[i]);
            Vk.GetPhysicalDeviceFeatures(devices[i], out var features);
            string? problem = props.ApiVersion < Vk.Version11 ? "Vulkan 1.1 is required"
                : !features.ShaderStorageImageWriteWithoutFormat ? "no shaderStorageImageWriteWithoutFormat (the upscaler writes images with it)"
                : !props.Limits.TimestampComputeAndGraphics ? "no timestamps on graphics and compute queues (the HUD's GPU times)"
                : family < 0 ? (Surface.Handle != 0 ? "no queue family does graphics, compute and presents to the window"
                    : "no queue family does graphics and compute")
                : !HasSwapchainExtension(devices[i]) ? "no VK_KHR_swapchain" : null;
            bool wanted = requested is null || (int.TryParse(requested, out int index) ? index == i
                : name.Contains(requested, StringComparison.OrdinalIgnoreCase));
            seen.Add($"  {i}: {name} ({props.DeviceType}){(problem is null ? "" : ": " + problem)}");
            if (problem is null && wanted && GpuContext.TypeRank(props.DeviceType) > bestRank)
            {
                best = i;
                bestRank = GpuContext.TypeRank(props.DeviceType);
                bestFamily = (uint)family;
                DeviceName = name;
                DeviceType = props.DeviceType;
            }
        }
        if (best < 0)
        {
            string what = requested is null ? "No Vulkan device can run the demo" : $"No usable Vulkan device matches '{requested}'";
            throw new GpuUnavailableException($"{what}. Devices seen:{Environment.NewLine}{string.Join(Environment.NewLine, seen)}");
        }
        PhysicalDevice = devices[best];
        QueueFamily = bestFamily;
    }

    private bool HasSwapchainExtension(PhysicalDevice device)
    {
        if (Surface.Handle == 0)
        {
            return true;
        }
        uint count = 0;
        Vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref count, null).Check("vkEnumerateDeviceExtensionProperties");
        var props = new ExtensionProperties[count];
        fixed (ExtensionProperties* p = props)
        {
            Vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref count, p).Check("vkEnumerateDeviceExtensionProperties");
        }
        foreach (var prop in props)
        {
            var copy = prop;
            if (SilkMarshal.PtrToString((nint)copy.ExtensionName) == "VK_KHR_swapchain")
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A family with graphics (blits) and compute (the library), presenting to the surface if there is one.</summary>
    private int FindFamily(PhysicalDevice device)
    {
        uint count = 0;
        Vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* p = families)
        {
            Vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, p);
        }
        for (int i = 0; i < families.Length; i++)
        {
            var flags = families[i].QueueFlags;
            if ((flags & QueueFlags.GraphicsBit) == 0 || (flags & QueueFlags.ComputeBit) == 0 || families[i].QueueCount == 0)
            {
                continue;
            }
            if (Surface.Handle != 0)
            {
                uint supported = 0;
                GetSurfaceSupport(device, (uint)i, Surface, &supported).Check("vkGetPhysicalDeviceSurfaceSupportKHR");
                if (supported == 0)
                {
                    continue;
                }
            }
            return i;
        }
        return -1;
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

    /// <summary>Destroys the device, the surface, the messenger and the instance, in that order.</summary>
    public void Dispose() => _owned.Dispose();
}
