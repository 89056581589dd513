using System.Runtime.InteropServices;
using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// A Vulkan device ready for compute work: the instance, the physical device, the logical device and one
/// queue, plus everything the library allocates on them (memory blocks, pipelines, descriptor pools,
/// a command pool).
/// </summary>
/// <remarks>
/// A context made by <see cref="Create"/> owns its instance and device and destroys them last, after
/// everything it created on them. A context made by <see cref="Borrow"/> wraps a host engine's handles and
/// never destroys them; it destroys only the objects it created itself. All recording entry points take a
/// <see cref="CommandRecorder"/> over a command buffer the caller may own, and nothing the library records
/// submits to a queue; <see cref="Execute"/> is a convenience for tools and tests that do want a blocking
/// submission.
/// </remarks>
public sealed unsafe class GpuContext : IDisposable
{
    private const string ValidationLayerName = "VK_LAYER_KHRONOS_validation";

    private readonly bool _ownsDevice;
    private readonly object _queueLock = new();
    private readonly string? _pipelineCachePath;
    private DebugUtilsMessengerEXT _messenger;
    private GCHandle _validationHandle;
    private CommandPool _commandPool;
    private bool _disposed;

    private GpuContext(
        Vk vk, Instance instance, PhysicalDevice physicalDevice, Device device, Queue queue,
        uint queueFamily, bool ownsDevice, IReadOnlyList<DeviceCandidate> candidates,
        GpuContextOptions options, ValidationLog? validation, GCHandle validationHandle,
        DebugUtilsMessengerEXT messenger)
    {
        Vk = vk;
        Instance = instance;
        PhysicalDevice = physicalDevice;
        Device = device;
        Queue = queue;
        QueueFamilyIndex = queueFamily;
        _ownsDevice = ownsDevice;
        Candidates = candidates;
        Validation = validation;
        _validationHandle = validationHandle;
        _messenger = messenger;
        _pipelineCachePath = options.PipelineCachePath;

        vk.GetPhysicalDeviceProperties(physicalDevice, out var props);
        Properties = props;
        DeviceName = SilkMarshal.PtrToString((nint)props.DeviceName) ?? "unknown device";
        vk.GetPhysicalDeviceFeatures(physicalDevice, out var features);
        SupportsStorageImageWriteWithoutFormat = features.ShaderStorageImageWriteWithoutFormat;

        uint familyCount = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(physicalDevice, ref familyCount, null);
        var families = new QueueFamilyProperties[familyCount];
        fixed (QueueFamilyProperties* p = families)
        {
            vk.GetPhysicalDeviceQueueFamilyProperties(physicalDevice, ref familyCount, p);
        }
        TimestampValidBits = families[queueFamily].TimestampValidBits;

        var poolInfo = new CommandPoolCreateInfo(
            flags: CommandPoolCreateFlags.ResetCommandBufferBit,
            queueFamilyIndex: queueFamily);
        vk.CreateCommandPool(device, in poolInfo, null, out _commandPool).Check("vkCreateCommandPool");

        Memory = new MemoryAllocator(this, options.MemoryBlockSize, options.MapDeviceMemory);
        Descriptors = new DescriptorAllocator(this);
        Pipelines = new PipelineLibrary(this, LoadPipelineCacheData(options.PipelineCachePath));
    }

    /// <summary>The Vulkan API entry points.</summary>
    public Vk Vk { get; }

    /// <summary>The instance (owned unless the context was borrowed).</summary>
    public Instance Instance { get; }

    /// <summary>The physical device in use.</summary>
    public PhysicalDevice PhysicalDevice { get; }

    /// <summary>The logical device (owned unless the context was borrowed).</summary>
    public Device Device { get; }

    /// <summary>The queue <see cref="Execute"/> submits to.</summary>
    public Queue Queue { get; }

    /// <summary>The family of <see cref="Queue"/>; command buffers given to the library must be from it.</summary>
    public uint QueueFamilyIndex { get; }

    /// <summary>The physical device's properties and limits.</summary>
    public PhysicalDeviceProperties Properties { get; }

    /// <summary>The device name the driver reports.</summary>
    public string DeviceName { get; }

    /// <summary>Every physical device seen during selection and why each was or was not chosen.</summary>
    public IReadOnlyList<DeviceCandidate> Candidates { get; }

    /// <summary>Validation warnings and errors, when validation was enabled; otherwise null.</summary>
    public ValidationLog? Validation { get; }

    /// <summary>Nanoseconds per timestamp tick.</summary>
    public double TimestampPeriod => Properties.Limits.TimestampPeriod;

    /// <summary>Valid bits of a timestamp on <see cref="Queue"/>; 0 means timestamps are unsupported.</summary>
    public uint TimestampValidBits { get; }

    /// <summary>Whether shaders may write storage images declared without a format qualifier.</summary>
    public bool SupportsStorageImageWriteWithoutFormat { get; }

    /// <summary>
    /// Whether shaders are configured as for a CPU device (Vulkan on SIMD lanes: texel-buffer gathers, many
    /// outputs per invocation) rather than a GPU. Follows the device type unless a test sets
    /// <see cref="TuneForCpuOverride"/> to run the other configuration on the same device.
    /// </summary>
    internal bool TuneForCpu => TuneForCpuOverride ?? Properties.DeviceType == PhysicalDeviceType.Cpu;

    /// <summary>Overrides <see cref="TuneForCpu"/> (tests only); set before layers are created.</summary>
    internal bool? TuneForCpuOverride { get; set; }

    private GpuBuffer? _placeholderTexels;
    private readonly object _placeholderLock = new();

    /// <summary>
    /// A small buffer for texel-buffer bindings that a shader does not read in its configuration (see
    /// <see cref="ComputeDispatch.UnusedTexelBuffer"/>), so callers' buffers need no texel usage then.
    /// </summary>
    internal GpuBuffer PlaceholderTexels
    {
        get
        {
            lock (_placeholderLock)
            {
                ThrowIfDisposed();
                return _placeholderTexels ??= new GpuBuffer(this, 16, MemoryUsage.Device, BufferUsageFlags.UniformTexelBufferBit);
            }
        }
    }

    /// <summary>Sub-allocates buffers and images from large device-memory blocks.</summary>
    public MemoryAllocator Memory { get; }

    /// <summary>Descriptor pools that grow as needed.</summary>
    public DescriptorAllocator Descriptors { get; }

    /// <summary>Compute pipelines built from embedded SPIR-V, one per shader and constant set.</summary>
    public PipelineLibrary Pipelines { get; }

    /// <summary>
    /// Creates an instance and a device. Throws <see cref="GpuUnavailableException"/> when no usable device
    /// exists or the requested one is not found (the message lists every device and why), and
    /// <see cref="VulkanException"/> when a Vulkan call fails.
    /// </summary>
    public static GpuContext Create(GpuContextOptions? options = null)
    {
        options ??= new GpuContextOptions();
        Vk vk;
        try
        {
            vk = Vk.GetApi();
        }
        catch (Exception e) when (e is DllNotFoundException or FileNotFoundException or PlatformNotSupportedException)
        {
            throw new GpuUnavailableException(
                "The Vulkan loader (libvulkan.so.1) could not be loaded. On Debian or Ubuntu install it with " +
                "'apt-get install libvulkan1 mesa-vulkan-drivers' (mesa-vulkan-drivers provides the lavapipe CPU device).", e);
        }

        ValidationLog? log = null;
        GCHandle handle = default;
        var instance = CreateInstance(vk, options, ref log, ref handle, out var messenger);
        try
        {
            var candidates = SelectDevice(vk, instance, options.Device, out var chosen, out uint family);
            var device = CreateDevice(vk, chosen, family);
            try
            {
                vk.GetDeviceQueue(device, family, 0, out var queue);
                return new GpuContext(vk, instance, chosen, device, queue, family, ownsDevice: true, candidates,
                    options, log, handle, messenger);
            }
            catch
            {
                vk.DestroyDevice(device, null);
                throw;
            }
        }
        catch
        {
            DestroyInstance(vk, instance, messenger, handle);
            throw;
        }
    }

    /// <summary>
    /// Wraps handles a host engine created. The context never destroys the instance, the device or the
    /// queue; the engine must keep them alive until this context is disposed. <paramref name="queue"/>
    /// must support compute and belong to <paramref name="queueFamilyIndex"/>. The device must have been
    /// created with <c>shaderStorageImageWriteWithoutFormat</c> enabled if images are to be written.
    /// </summary>
    public static GpuContext Borrow(
        Vk vk, Instance instance, PhysicalDevice physicalDevice, Device device, Queue queue,
        uint queueFamilyIndex, GpuContextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vk);
        if (device.Handle == 0 || physicalDevice.Handle == 0 || queue.Handle == 0)
        {
            throw new ArgumentException("Borrowed handles must not be null.");
        }
        vk.GetPhysicalDeviceProperties(physicalDevice, out var props);
        var candidate = new DeviceCandidate(0, SilkMarshal.PtrToString((nint)props.DeviceName) ?? "",
            props.DeviceType, FormatVersion(props.ApiVersion), true, true, "supplied by the host engine");
        return new GpuContext(vk, instance, physicalDevice, device, queue, queueFamilyIndex, ownsDevice: false,
            new[] { candidate }, options ?? new GpuContextOptions(), null, default, default);
    }

    /// <summary>
    /// Allocates a primary command buffer from the context's pool, lets <paramref name="record"/> fill it,
    /// submits it to <see cref="Queue"/> and waits for it to finish. Meant for tools and tests; engines
    /// record into their own command buffers with <see cref="CommandRecorder"/> instead.
    /// </summary>
    public void Execute(Action<CommandRecorder> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ThrowIfDisposed();
        var allocInfo = new CommandBufferAllocateInfo(
            commandPool: _commandPool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        // The command pool and the queue need external synchronisation: one Execute at a time records and submits.
        lock (_queueLock)
        {
            Vk.AllocateCommandBuffers(Device, in allocInfo, out CommandBuffer cmd).Check("vkAllocateCommandBuffers");
            Fence fence = default;
            try
            {
                var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
                Vk.BeginCommandBuffer(cmd, in begin).Check("vkBeginCommandBuffer");
                var recorder = new CommandRecorder(this, cmd);
                record(recorder);
                recorder.BarrierToHost();
                Vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");

                var fenceInfo = new FenceCreateInfo(flags: FenceCreateFlags.None);
                Vk.CreateFence(Device, in fenceInfo, null, out fence).Check("vkCreateFence");
                var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
                Vk.QueueSubmit(Queue, 1, in submit, fence).Check("vkQueueSubmit");
                Vk.WaitForFences(Device, 1, in fence, true, ulong.MaxValue).Check("vkWaitForFences");
            }
            finally
            {
                if (fence.Handle != 0)
                {
                    Vk.DestroyFence(Device, fence, null);
                }
                Vk.FreeCommandBuffers(Device, _commandPool, 1, in cmd);
            }
        }
    }

    /// <summary>Waits until the device is idle.</summary>
    public void WaitIdle() => Vk.DeviceWaitIdle(Device).Check("vkDeviceWaitIdle");

    /// <summary>
    /// Destroys everything the context created, after waiting for the device to be idle; then, if it owns
    /// them, the device, the messenger and the instance. The pipeline cache is saved first if a path was given.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        // Teardown goes on whatever this returns (a lost device still has objects to destroy).
        var idle = Vk.DeviceWaitIdle(Device);
        if (_pipelineCachePath is not null && idle == Result.Success)
        {
            try
            {
                Pipelines.SaveCache(_pipelineCachePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or VulkanException)
            {
                // The cache only saves compile time; an unwritable path must not leak the device.
            }
        }
        Pipelines.Dispose();
        Descriptors.Dispose();
        lock (_placeholderLock)
        {
            _placeholderTexels?.Dispose();
        }
        Memory.Dispose();
        Vk.DestroyCommandPool(Device, _commandPool, null);
        _commandPool = default;
        if (_ownsDevice)
        {
            Vk.DestroyDevice(Device, null);
            DestroyInstance(Vk, Instance, _messenger, _validationHandle);
            _messenger = default;
            _validationHandle = default;
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Formats a packed Vulkan version as "major.minor.patch".</summary>
    public static string FormatVersion(uint v) => $"{v >> 22 & 0x7F}.{v >> 12 & 0x3FF}.{v & 0xFFF}";

    private static byte[]? LoadPipelineCacheData(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null; // An unreadable cache only costs compile time.
        }
    }

    private static Instance CreateInstance(
        Vk vk, GpuContextOptions options, ref ValidationLog? log, ref GCHandle handle,
        out DebugUtilsMessengerEXT messenger)
    {
        messenger = default;
        var layers = new List<string>();
        var extensions = new List<string>();
        if (options.EnableValidation)
        {
            if (!InstanceLayerAvailable(vk, ValidationLayerName))
            {
                throw new GpuUnavailableException(
                    $"Validation was requested but {ValidationLayerName} is not installed. On Debian or Ubuntu: " +
                    "'apt-get install vulkan-validationlayers'.");
            }
            layers.Add(ValidationLayerName);
            extensions.Add("VK_EXT_debug_utils");
        }
        // Portability enumeration lets the loader list devices that are not fully conformant (MoltenVK);
        // it is harmless elsewhere and only enabled when present.
        bool portability = InstanceExtensionAvailable(vk, "VK_KHR_portability_enumeration");
        if (portability)
        {
            extensions.Add("VK_KHR_portability_enumeration");
        }

        nint appName = SilkMarshal.StringToPtr(options.ApplicationName);
        nint layerPtrs = SilkMarshal.StringArrayToPtr(layers);
        nint extPtrs = SilkMarshal.StringArrayToPtr(extensions);
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
            if (options.EnableValidation)
            {
                log = new ValidationLog();
                messengerInfo = log.CreateMessengerInfo(out handle);
                // Chained into the instance create-info, the messenger also reports on instance creation
                // and destruction.
                info.PNext = &messengerInfo;
            }

            Instance instance;
            try
            {
                vk.CreateInstance(in info, null, out instance).Check("vkCreateInstance");
            }
            catch
            {
                if (handle.IsAllocated)
                {
                    handle.Free();
                }
                throw;
            }

            if (options.EnableValidation)
            {
                var create = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerCreateInfoEXT*, AllocationCallbacks*,
                    DebugUtilsMessengerEXT*, Result>)LoadInstanceFunction(vk, instance, "vkCreateDebugUtilsMessengerEXT");
                DebugUtilsMessengerEXT m;
                var r = create(instance, &messengerInfo, null, &m);
                if (r != Result.Success)
                {
                    vk.DestroyInstance(instance, null);
                    handle.Free();
                    r.Check("vkCreateDebugUtilsMessengerEXT");
                }
                messenger = m;
            }
            return instance;
        }
        finally
        {
            SilkMarshal.Free(appName);
            SilkMarshal.Free(layerPtrs);
            SilkMarshal.Free(extPtrs);
        }
    }

    /// <summary>Looks up an instance-level function; throws when the driver does not export it.</summary>
    public static nint LoadInstanceFunction(Vk vk, Instance instance, string name)
    {
        nint p = (nint)vk.GetInstanceProcAddr(instance, name).Handle;
        if (p == 0)
        {
            throw new GpuUnavailableException($"The Vulkan instance does not provide {name}.");
        }
        return p;
    }

    private static void DestroyInstance(Vk vk, Instance instance, DebugUtilsMessengerEXT messenger, GCHandle handle)
    {
        if (messenger.Handle != 0)
        {
            var destroy = (delegate* unmanaged[Cdecl]<Instance, DebugUtilsMessengerEXT, AllocationCallbacks*, void>)
                LoadInstanceFunction(vk, instance, "vkDestroyDebugUtilsMessengerEXT");
            destroy(instance, messenger, null);
        }
        vk.DestroyInstance(instance, null);
        if (handle.IsAllocated)
        {
            handle.Free();
        }
    }

    private static bool InstanceLayerAvailable(Vk vk, string name)
    {
        uint count = 0;
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

    private static bool InstanceExtensionAvailable(Vk vk, string name)
    {
        uint count = 0;
        vk.EnumerateInstanceExtensionProperties((byte*)null, ref count, null).Check("vkEnumerateInstanceExtensionProperties");
        var props = new ExtensionProperties[count];
        fixed (ExtensionProperties* p = props)
        {
            vk.EnumerateInstanceExtensionProperties((byte*)null, ref count, p).Check("vkEnumerateInstanceExtensionProperties");
        }
        foreach (var prop in props)
        {
            var copy = prop;
            if (SilkMarshal.PtrToString((nint)copy.ExtensionName) == name)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>How much a device type is preferred when none is requested: discrete 4, integrated 3, virtual 2, CPU 1.</summary>
    public static int TypeRank(PhysicalDeviceType t) => t switch
    {
        PhysicalDeviceType.DiscreteGpu => 4,
        PhysicalDeviceType.IntegratedGpu => 3,
        PhysicalDeviceType.VirtualGpu => 2,
        PhysicalDeviceType.Cpu => 1,
        _ => 0,
    };

    private static IReadOnlyList<DeviceCandidate> SelectDevice(
        Vk vk, Instance instance, string? requested, out PhysicalDevice chosen, out uint family)
    {
        requested ??= Environment.GetEnvironmentVariable(GpuContextOptions.DeviceEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(requested))
        {
            requested = null;
        }
        uint count = 0;
        vk.EnumeratePhysicalDevices(instance, ref count, null).Check("vkEnumeratePhysicalDevices");
        var devices = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = devices)
        {
            vk.EnumeratePhysicalDevices(instance, ref count, p).Check("vkEnumeratePhysicalDevices");
        }

        var infos = new List<(PhysicalDevice Device, string Name, PhysicalDeviceType Type, uint Api, int Family, string? Problem)>();
        foreach (var d in devices)
        {
            vk.GetPhysicalDeviceProperties(d, out var props);
            string name = SilkMarshal.PtrToString((nint)props.DeviceName) ?? "unknown";
            int fam = FindComputeFamily(vk, d);
            string? problem = null;
            if (props.ApiVersion < Vk.Version11)
            {
                problem = $"rejected: supports only Vulkan {FormatVersion(props.ApiVersion)}, 1.1 is required";
            }
            else if (fam < 0)
            {
                problem = "rejected: no queue family supports compute";
            }
            infos.Add((d, name, props.DeviceType, props.ApiVersion, fam, problem));
        }

        int pick = -1;
        string pickReason = "";
        if (requested is not null)
        {
            bool byIndex = int.TryParse(requested, out int index);
            for (int i = 0; i < infos.Count && pick < 0; i++)
            {
                bool match = byIndex ? i == index : infos[i].Name.Contains(requested, StringComparison.OrdinalIgnoreCase);
                if (match && infos[i].Problem is null)
                {
                    pick = i;
                    pickReason = byIndex ? $"requested by index {index}" : $"name matches '{requested}'";
                }
            }
        }
        else
        {
            for (int i = 0; i < infos.Count; i++)
            {
                if (infos[i].Problem is null && (pick < 0 || TypeRank(infos[i].Type) > TypeRank(infos[pick].Type)))
                {
                    pick = i;
                }
            }
            if (pick >= 0)
            {
                pickReason = $"preferred type ({infos[pick].Type}; discrete > integrated > virtual > CPU)";
            }
        }

        var candidates = new List<DeviceCandidate>();
        for (int i = 0; i < infos.Count; i++)
        {
            var x = infos[i];
            string reason = x.Problem ?? (i == pick ? pickReason
                : requested is not null ? $"does not match the requested device '{requested}'"
                : $"a {infos[pick].Type} device is preferred over {x.Type}");
            candidates.Add(new DeviceCandidate(i, x.Name, x.Type, FormatVersion(x.Api), x.Problem is null, i == pick, reason));
        }

        if (pick < 0)
        {
            string list = candidates.Count == 0
                ? "  (the Vulkan loader found no devices; install mesa-vulkan-drivers for the lavapipe CPU device)"
                : string.Join(Environment.NewLine, candidates.Select(c => "  " + c));
            string what = requested is null ? "No usable Vulkan device was found"
                : $"No usable Vulkan device matches '{requested}' (option or {GpuContextOptions.DeviceEnvironmentVariable})";
            throw new GpuUnavailableException($"{what}. Devices seen:{Environment.NewLine}{list}");
        }
        chosen = infos[pick].Device;
        family = (uint)infos[pick].Family;
        return candidates;
    }

    /// <summary>Prefers a family with graphics and compute (what engines share), else any with compute.</summary>
    private static int FindComputeFamily(Vk vk, PhysicalDevice device)
    {
        uint count = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* p = families)
        {
            vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, p);
        }
        int computeOnly = -1;
        for (int i = 0; i < families.Length; i++)
        {
            var flags = families[i].QueueFlags;
            if ((flags & QueueFlags.ComputeBit) == 0 || families[i].QueueCount == 0)
            {
                continue;
            }
            if ((flags & QueueFlags.GraphicsBit) != 0)
            {
                return i;
            }
            if (computeOnly < 0)
            {
                computeOnly = i;
            }
        }
        return computeOnly;
    }

    private static Device CreateDevice(Vk vk, PhysicalDevice physical, uint family)
    {
        vk.GetPhysicalDeviceFeatures(physical, out var supported);
        var enabled = new PhysicalDeviceFeatures
        {
            ShaderStorageImageWriteWithoutFormat = supported.ShaderStorageImageWriteWithoutFormat,
        };
        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo(queueFamilyIndex: family, queueCount: 1, pQueuePriorities: &priority);
        var info = new DeviceCreateInfo(queueCreateInfoCount: 1, pQueueCreateInfos: &queueInfo, pEnabledFeatures: &enabled);
        vk.CreateDevice(physical, in info, null, out var device).Check("vkCreateDevice");
        return device;
    }
}

/// <summary>No usable Vulkan driver or device; the message says what is missing and how to install it.</summary>
public sealed class GpuUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public GpuUnavailableException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
