using System.Runtime.InteropServices;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// Makes a Vulkan instance: loads the loader, enables the validation layer and a debug-utils messenger
/// when asked, and any extensions the application needs (a window's surface extensions). Set the
/// properties, then call <see cref="Build"/>.
/// </summary>
public sealed class InstanceBuilder
{
    /// <summary>
    /// Enables <c>VK_LAYER_KHRONOS_validation</c> and a messenger whose warnings and errors are collected
    /// in <see cref="VulkanInstance.Validation"/>; <see cref="Build"/> fails if the layer is not installed.
    /// </summary>
    public bool EnableValidation { get; set; }

    /// <summary>The application name given to the driver.</summary>
    public string ApplicationName { get; set; } = "RealtimeUpscale";

    /// <summary>Instance extensions to enable besides the ones the builder adds itself.</summary>
    public IList<string> Extensions { get; } = new List<string>();

    /// <summary>
    /// Creates the instance. Throws <see cref="GpuUnavailableException"/> when the loader or the validation
    /// layer is missing, and <see cref="VulkanException"/> when a Vulkan call fails.
    /// </summary>
    public VulkanInstance Build() => VulkanInstance.Create(LoadApi(), this);

    /// <summary>Loads the Vulkan loader; a missing loader is a <see cref="GpuUnavailableException"/> saying what to install.</summary>
    public static Vk LoadApi()
    {
        try
        {
            return Vk.GetApi();
        }
        catch (Exception e) when (e is DllNotFoundException or FileNotFoundException or PlatformNotSupportedException)
        {
            throw new GpuUnavailableException(
                "The Vulkan loader (libvulkan.so.1) could not be loaded. On Debian or Ubuntu install it with " +
                "'apt-get install libvulkan1 mesa-vulkan-drivers' (mesa-vulkan-drivers provides the lavapipe CPU device).", e);
        }
    }
}

/// <summary>
/// A Vulkan instance with its debug messenger and validation log. Owns all three and destroys them on
/// dispose, which must come after every device made from it is destroyed.
/// </summary>
public sealed unsafe class VulkanInstance : IDisposable
{
    private const string ValidationLayerName = "VK_LAYER_KHRONOS_validation";
    private DebugUtilsMessengerEXT _messenger;
    private GCHandle _validationHandle;
    private bool _disposed;

    private VulkanInstance(Vk vk, Instance handle, ValidationLog? validation, GCHandle validationHandle,
        DebugUtilsMessengerEXT messenger)
    {
        Vk = vk;
        Handle = handle;
        Validation = validation;
        _validationHandle = validationHandle;
        _messenger = messenger;
    }

    /// <summary>The Vulkan API entry points.</summary>
    public Vk Vk { get; }

    /// <summary>The instance.</summary>
    public Instance Handle { get; }

    /// <summary>Validation warnings and errors when validation was enabled; otherwise null.</summary>
    public ValidationLog? Validation { get; }

    /// <summary>Looks up an instance-level function; throws when the driver does not export it.</summary>
    public nint GetFunction(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint p = (nint)Vk.GetInstanceProcAddr(Handle, name).Handle;
        if (p == 0)
        {
            throw new GpuUnavailableException($"The Vulkan instance does not provide {name}.");
        }
        return p;
    }

    /// <summary>Destroys the messenger and the instance.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        if (_messenger.Handle != 0)
        {
            var destroy = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                GetFunction("vkDestroyDebugUtilsMessengerEXT");
            destroy(Handle, _messenger, null);
            _messenger = default;
        }
        _disposed = true;
        Vk.DestroyInstance(Handle, null);
        // The messenger chained into the create-info reports until the instance is gone: free the log after.
        if (_validationHandle.IsAllocated)
        {
            _validationHandle.Free();
        }
    }

    internal static VulkanInstance Create(Vk vk, InstanceBuilder builder)
    {
        var layers = new List<string>();
        var extensions = new List<string>(builder.Extensions);
        if (builder.EnableValidation)
        {
            if (!Available(vk, ValidationLayerName, layer: true))
            {
                throw new GpuUnavailableException(
                    $"Validation was requested but {ValidationLayerName} is not installed. On Debian or Ubuntu: " +
                    "'apt-get install vulkan-validationlayers'.");
            }
            layers.Add(ValidationLayerName);
            AddOnce(extensions, "VK_EXT_debug_utils");
        }
        // Portability enumeration lets the loader list devices that are not fully conformant (MoltenVK);
        // it is harmless elsewhere and only enabled when present.
        bool portability = Available(vk, "VK_KHR_portability_enumeration", layer: false);
        if (portability)
        {
            AddOnce(extensions, "VK_KHR_portability_enumeration");
        }

        nint appName = SilkMarshal.StringToPtr(builder.ApplicationName);
        nint layerPtrs = SilkMarshal.StringArrayToPtr(layers);
        nint extPtrs = SilkMarshal.StringArrayToPtr(extensions);
        ValidationLog? log = null;
        GCHandle handle = default;
        try
        {
            var app = new ApplicationInfo(
                pApplicationName: (byte*)appName, applicationVersion: 1,
                pEngineName: (byte*)appName, engineVersion: 1, apiVersion: Vk.Version12);
            var info = new InstanceCreateInfo(
                flags: portability ? InstanceCreateFlags.EnumeratePortabilityBitKhr : 0,
                pApplicationInfo: &app,
                enabledLayerCount: (uint)layers.Count, ppEnabledLayerNames: (byte**)layerPtrs,
                enabledExtensionCount: (uint)extensions.Count, ppEnabledExtensionNames: (byte**)extPtrs);

            DebugUtilsMessengerCreateInfoEXT messengerInfo = default;
            if (builder.EnableValidation)
            {
                log = new ValidationLog();
                messengerInfo = log.CreateMessengerInfo(out handle);
                // Chained into the instance create-info, the messenger also reports on instance creation
                // and destruction.
                info.PNext = &messengerInfo;
            }

            vk.CreateInstance(in info, null, out var instance).Check("vkCreateInstance");
            var result = new VulkanInstance(vk, instance, log, handle, default);
            handle = default; // the instance frees it from here on
            if (builder.EnableValidation)
            {
                try
                {
                    var create = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*,
                        DebugUtilsMessengerEXT*, Result>)result.GetFunction("vkCreateDebugUtilsMessengerEXT");
                    DebugUtilsMessengerEXT m;
                    create(instance, &messengerInfo, null, &m).Check("vkCreateDebugUtilsMessengerEXT");
                    result._messenger = m;
                }
                catch
                {
                    result.Dispose();
                    throw;
                }
            }
            return result;
        }
        finally
        {
            if (handle.IsAllocated)
            {
                handle.Free();
            }
            SilkMarshal.Free(appName);
            SilkMarshal.Free(layerPtrs);
            SilkMarshal.Free(extPtrs);
        }
    }

    private static void AddOnce(List<string> list, string name)
    {
        if (!list.Contains(name))
        {
            list.Add(name);
        }
    }

    private static bool Available(Vk vk, string name, bool layer)
    {
        uint count = 0;
        if (layer)
        {
            vk.EnumerateInstanceLayerProperties(ref count, null).Check("vkEnumerateInstanceLayerProperties");
            var props = new LayerProperties[count];
            fixed (LayerProperties* p = props)
            {
                vk.EnumerateInstanceLayerProperties(ref count, p).Check("vkEnumerateInstanceLayerProperties");
            }
            foreach (var prop in props)
            {
                var copy = prop;
                if (SilkMarshal.PtrToString((nint)copy.LayerName) == name)
                {
                    return true;
                }
            }
            return false;
        }
        vk.EnumerateInstanceExtensionProperties((byte*)null, ref count, null).Check("vkEnumerateInstanceExtensionProperties");
        var exts = new ExtensionProperties[count];
        fixed (ExtensionProperties* p = exts)
        {
            vk.EnumerateInstanceExtensionProperties((byte*)null, ref count, p).Check("vkEnumerateInstanceExtensionProperties");
        }
        foreach (var ext in exts)
        {
            var copy = ext;
            if (SilkMarshal.PtrToString((nint)copy.ExtensionName) == name)
            {
                return true;
            }
        }
        return false;
    }
}
