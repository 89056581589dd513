using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Native;

/// <summary>
/// What an <c>rtup_context</c> is: a <see cref="GpuContext"/> on the host's device (or the library's own) and
/// the upscalers made on it. Every call on a context and its upscalers runs under <see cref="Lock"/>, so the
/// library's own objects are never touched by two threads at once.
/// </summary>
internal sealed unsafe class NativeContext : IDisposable
{
    /// <summary>rtup_vk_device_desc's size in this API version.</summary>
    public const uint DeviceDescSize = 72;

    /// <summary>RTUP_DEVICE_NEVER_SUBMIT.</summary>
    public const uint NeverSubmitFlag = 1;

    /// <summary>RTUP_DEVICE_STORAGE_16BIT.</summary>
    public const uint Storage16BitFlag = 2;

    private readonly List<NativeUpscaler> _upscalers = new();

    private NativeContext(GpuContext gpu) => Gpu = gpu;

    public GpuContext Gpu { get; }

    public object Lock { get; } = new();

    /// <summary>Wraps the host's device after checking what the library needs of it.</summary>
    public static NativeContext Borrow(in DeviceDesc desc)
    {
        if (desc.StructSize < DeviceDescSize)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_vk_device_desc.struct_size is {desc.StructSize}; this version needs at least {DeviceDescSize}.");
        }
        Require(desc.Instance, "instance");
        Require(desc.PhysicalDevice, "physical_device");
        Require(desc.Device, "device");
        Require(desc.Queue, "queue");
        Require(desc.GetInstanceProcAddr, "get_instance_proc_addr");
        const uint known = NeverSubmitFlag | Storage16BitFlag;
        if ((desc.Flags & ~known) != 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"rtup_vk_device_desc.flags has unknown bits 0x{desc.Flags & ~known:x}.");
        }
        var vk = new Vk(new HostProcAddr(desc.GetInstanceProcAddr, desc.Instance));
        var physical = new PhysicalDevice(desc.PhysicalDevice);
        CheckDevice(vk, physical, desc.QueueFamilyIndex);
        var options = new GpuContextOptions
        {
            NeverSubmit = (desc.Flags & NeverSubmitFlag) != 0,
            HostEnabledStorageBuffer16Bit = (desc.Flags & Storage16BitFlag) != 0,
            HostPipelineCache = new PipelineCache(desc.PipelineCache),
        };
        var gpu = GpuContext.Borrow(vk, new Instance(desc.Instance), physical, new Device(desc.Device),
            new Queue(desc.Queue), desc.QueueFamilyIndex, options);
        return new NativeContext(gpu);
    }

    /// <summary>A context on an instance and device of the library's own (for hosts without Vulkan).</summary>
    public static NativeContext CreateDefault(bool validation) =>
        new(GpuContext.Create(new GpuContextOptions { EnableValidation = validation }));

    public void Add(NativeUpscaler upscaler) => _upscalers.Add(upscaler);

    public void Forget(NativeUpscaler upscaler) => _upscalers.Remove(upscaler);

    /// <summary>Destroys every upscaler still alive, then the context (the host guarantees the GPU is idle).</summary>
    public void Dispose()
    {
        foreach (var upscaler in _upscalers.ToList())
        {
            Handles.Remove(upscaler);
            upscaler.DisposeNow();
        }
        _upscalers.Clear();
        Gpu.Dispose();
    }

    private static void Require(nint handle, string field)
    {
        if (handle == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"rtup_vk_device_desc.{field} is NULL.");
        }
    }

    /// <summary>Vulkan 1.1, a compute queue family, and storage-image writes without a format (the output's store).</summary>
    private static void CheckDevice(Vk vk, PhysicalDevice physical, uint family)
    {
        vk.GetPhysicalDeviceProperties(physical, out var props);
        if (props.ApiVersion < Vk.Version11)
        {
            throw new ApiException(RtupResult.Unsupported,
                $"The device supports Vulkan {props.ApiVersion >> 22}.{(props.ApiVersion >> 12) & 0x3ff}; the library needs Vulkan 1.1.");
        }
        uint count = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(physical, ref count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* p = families)
        {
            vk.GetPhysicalDeviceQueueFamilyProperties(physical, ref count, p);
        }
        if (family >= count)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_vk_device_desc.queue_family_index is {family}; the device has {count} queue families.");
        }
        if ((families[family].QueueFlags & QueueFlags.ComputeBit) == 0)
        {
            throw new ApiException(RtupResult.Unsupported, $"Queue family {family} has no compute support (VK_QUEUE_COMPUTE_BIT); the library records compute dispatches.");
        }
        vk.GetPhysicalDeviceFeatures(physical, out var features);
        if (!features.ShaderStorageImageWriteWithoutFormat)
        {
            throw new ApiException(RtupResult.Unsupported,
                "The device lacks the feature shaderStorageImageWriteWithoutFormat, which the library needs to write the output image.");
        }
    }
}
