using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// A Vulkan device ready for compute work: the physical device, the logical device and one queue, plus
/// everything the library makes on them (memory blocks, pipelines, descriptor pools, buffers, images,
/// dispatches, timers), which it owns and destroys before the device.
/// </summary>
/// <remarks>
/// A context made by <see cref="Create"/> owns its instance and device and destroys them last. A context
/// made by <see cref="Borrow"/> wraps a host engine's handles and never destroys them, and never waits for
/// the engine's device to be idle; with <see cref="GpuContextOptions.NeverSubmit"/> it never submits to the
/// engine's queue either. Every recording entry point takes a <see cref="CommandRecorder"/> over a command
/// buffer the caller may own; <see cref="Execute"/> is a convenience for tools and tests that want a
/// blocking submission. Objects still in use by submitted work are retired with <see cref="DisposeAfterFrame"/>
/// or <see cref="DisposeWhenIdle"/> and destroyed once the host reports the frame complete
/// (<see cref="CompleteFrames"/>) or when the context is disposed.
/// </remarks>
public sealed unsafe class GpuContext : IDisposable
{
    private readonly VulkanInstance? _ownedInstance;
    private readonly bool _ownsDevice;
    private readonly object _queueLock = new();
    private readonly ContextChildren _children = new();
    private readonly object _placeholderLock = new();
    private CommandPool _commandPool;
    private GpuBuffer? _placeholderTexels;
    private bool _disposed;

    private GpuContext(
        Vk vk, Instance instance, VulkanInstance? ownedInstance, PhysicalDevice physicalDevice, Device device,
        Queue queue, uint queueFamily, bool ownsDevice, IReadOnlyList<DeviceCandidate> candidates,
        GpuContextOptions options)
    {
        Vk = vk;
        Instance = instance;
        _ownedInstance = ownedInstance;
        PhysicalDevice = physicalDevice;
        Device = device;
        Queue = queue;
        QueueFamilyIndex = queueFamily;
        _ownsDevice = ownsDevice;
        Candidates = candidates;
        NeverSubmit = options.NeverSubmit ?? !ownsDevice;

        vk.GetPhysicalDeviceProperties(physicalDevice, out var props);
        Properties = props;
        Traits = DeviceTraits.Query(vk, physicalDevice, queueFamily);
        // A device the context creates has the features enabled wherever they are supported (its instance is Vulkan
        // 1.2); the engine says for its own, and its word is checked against the device.
        bool float16 = (ownsDevice || options.HostEnabledShaderFloat16) && DeviceTraits.QueryShaderFloat16(vk, physicalDevice);
        if (ownsDevice)
        {
            Traits = Traits with { ShaderFloat16 = float16 };
        }
        HalfStorage = Traits.StorageBuffer16Bit && (ownsDevice || options.HostEnabledStorageBuffer16Bit);
        HalfArithmetic = HalfStorage && float16;

        var poolInfo = new CommandPoolCreateInfo(
            flags: CommandPoolCreateFlags.ResetCommandBufferBit,
            queueFamilyIndex: queueFamily);
        vk.CreateCommandPool(device, in poolInfo, null, out _commandPool).Check("vkCreateCommandPool");
        try
        {
            Memory = new MemoryAllocator(this, options.MemoryBlockSize, options.MapDeviceMemory, options.SpareMemory ?? (ownsDevice ? null : (ulong?)0));
            Descriptors = new DescriptorAllocator(this);
            Pipelines = new PipelineLibrary(this, options.PipelineCacheData, options.HostPipelineCache);
        }
        catch
        {
            Descriptors?.Destroy();
            Memory?.Destroy();
            vk.DestroyCommandPool(device, _commandPool, null);
            throw;
        }
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

    /// <summary>What kernels and applications need to know about the device (type, memory, subgroups, timestamps).</summary>
    public DeviceTraits Traits { get; }

    /// <summary>
    /// Whether float16 tensors (<see cref="TensorPrecision.Float16"/>) may be used: the device supports
    /// <c>storageBuffer16BitAccess</c> and it is enabled (always, on a device the context created; on a borrowed
    /// one when <see cref="GpuContextOptions.HostEnabledStorageBuffer16Bit"/> says the engine enabled it).
    /// </summary>
    public bool HalfStorage { get; }

    /// <summary>
    /// Whether the convolutions may multiply and add in float16 (on float16 tensors): <see cref="HalfStorage"/> and
    /// <c>shaderFloat16</c> enabled (always where supported on a device the context created; on a borrowed one when
    /// <see cref="GpuContextOptions.HostEnabledShaderFloat16"/> says the engine enabled it).
    /// </summary>
    public bool HalfArithmetic { get; }

    /// <summary>The device name the driver reports.</summary>
    public string DeviceName => Traits.Name;

    /// <summary>Every physical device seen during selection and why each was or was not chosen.</summary>
    public IReadOnlyList<DeviceCandidate> Candidates { get; }

    /// <summary>Validation warnings and errors when <see cref="Create"/> enabled validation; otherwise null.</summary>
    public ValidationLog? Validation => _ownedInstance?.Validation;

    /// <summary>Whether the library is forbidden to submit or wait on the queue (<see cref="GpuContextOptions.NeverSubmit"/>).</summary>
    public bool NeverSubmit { get; }

    /// <summary>Whether <see cref="MemoryUsage.Device"/> memory is mapped, so uploads and reads need no staging copy.</summary>
    public bool DeviceMemoryIsMapped => Memory.DeviceMemoryIsMapped;

    /// <summary>Memory held now and at peak, per kind: what buffers and images use, in how many blocks.</summary>
    public MemoryStatistics MemoryStatistics => Memory.Statistics;

    /// <summary>Compute pipelines built from embedded SPIR-V, one per shader and constant set.</summary>
    public PipelineLibrary Pipelines { get; }

    /// <summary>
    /// The newest frame index a <see cref="CommandRecorder"/> was made for; <see cref="DisposeWhenIdle"/>
    /// retires objects at this frame.
    /// </summary>
    public ulong NewestFrame => _children.NewestFrame;

    /// <summary>Objects retired with <see cref="DisposeAfterFrame"/> that wait for their frame to complete.</summary>
    public int RetiredCount => _children.RetiredCount;

    /// <summary>Uploads and image transitions waiting to be recorded (see <see cref="RecordPendingTransfers"/>).</summary>
    public int PendingTransferCount => _children.PendingCount;

    internal MemoryAllocator Memory { get; }

    internal DescriptorAllocator Descriptors { get; }

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

    /// <summary>
    /// Creates an instance (<see cref="InstanceBuilder"/>), chooses a device (<see cref="DeviceSelector"/> with
    /// <see cref="GpuContextOptions.Device"/>) and creates it with one queue. Throws
    /// <see cref="GpuUnavailableException"/> when no usable device exists or the requested one is not found
    /// (the message lists every device and why), and <see cref="VulkanException"/> when a Vulkan call fails.
    /// </summary>
    public static GpuContext Create(GpuContextOptions? options = null)
    {
        options ??= new GpuContextOptions();
        var instance = new InstanceBuilder
        {
            EnableValidation = options.EnableValidation,
            ApplicationName = options.ApplicationName,
        }.Build();
        try
        {
            var selection = new DeviceSelector { Requested = options.Device }.Select(instance.Vk, instance.Handle);
            var device = CreateDevice(instance.Vk, selection.Device, selection.QueueFamily);
            try
            {
                instance.Vk.GetDeviceQueue(device, selection.QueueFamily, 0, out var queue);
                return new GpuContext(instance.Vk, instance.Handle, instance, selection.Device, device, queue,
                    selection.QueueFamily, ownsDevice: true, selection.Candidates, options);
            }
            catch
            {
                instance.Vk.DestroyDevice(device, null);
                throw;
            }
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Wraps handles a host engine created. The context never destroys the instance, the device or the
    /// queue, and never waits for the device to be idle; the engine must keep them alive until this context
    /// is disposed, and must have completed every frame that used the context's objects before disposing
    /// it. <paramref name="queue"/> must support compute and belong to <paramref name="queueFamilyIndex"/>.
    /// The device must have been created with <c>shaderStorageImageWriteWithoutFormat</c> enabled if images
    /// are to be written, and with <c>storageBuffer16BitAccess</c> for float16 tensors (say so with
    /// <see cref="GpuContextOptions.HostEnabledStorageBuffer16Bit"/>). The library never submits to the engine's queue nor waits on it unless the engine
    /// allows it with <see cref="GpuContextOptions.NeverSubmit"/> = false (for tools that want the blocking
    /// <see cref="Execute"/>). Instance options (validation, device, application name) do not apply.
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
        var traits = DeviceTraits.Query(vk, physicalDevice, queueFamilyIndex);
        var candidate = new DeviceCandidate(0, traits.Name, traits.Type, traits.ApiVersion, true, true, "supplied by the host engine");
        return new GpuContext(vk, instance, null, physicalDevice, device, queue, queueFamilyIndex, ownsDevice: false,
            new[] { candidate }, options ?? new GpuContextOptions());
    }

    /// <summary>
    /// Allocates a primary command buffer from the context's pool, lets <paramref name="record"/> fill it,
    /// submits it to <see cref="Queue"/> and waits for it to finish. Meant for tools and tests; engines
    /// record into their own command buffers with <see cref="CommandRecorder"/> instead. On a context that
    /// owns its device, the finished submission also completes every frame recorded before it (the queue
    /// finishes work in submission order, so those frames must have been submitted before this call).
    /// Throws <see cref="InvalidOperationException"/> on a <see cref="NeverSubmit"/> context.
    /// </summary>
    public void Execute(Action<CommandRecorder> record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ThrowIfDisposed();
        if (NeverSubmit)
        {
            throw new InvalidOperationException(
                "This context may not submit to the queue (NeverSubmit): record into your own command buffer with " +
                "a CommandRecorder and submit it yourself.");
        }
        var allocInfo = new CommandBufferAllocateInfo(
            commandPool: _commandPool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        ulong frame = NewestFrame;
        // The command pool and the queue need external synchronisation: one Execute at a time records and submits.
        lock (_queueLock)
        {
            Vk.AllocateCommandBuffers(Device, in allocInfo, out CommandBuffer cmd).Check("vkAllocateCommandBuffers");
            Fence fence = default;
            try
            {
                var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
                Vk.BeginCommandBuffer(cmd, in begin).Check("vkBeginCommandBuffer");
                var recorder = new CommandRecorder(this, cmd, frame);
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
        if (_ownsDevice)
        {
            CompleteFrames(frame);
        }
    }

    /// <summary>
    /// Destroys <paramref name="item"/> (a buffer, image, dispatch, timer, tensor, binding...) once the host
    /// reports with <see cref="CompleteFrames"/> that <paramref name="frame"/> has finished on the GPU, or
    /// when the context is disposed. Immediately if that frame was already reported. The caller must not use
    /// the object after retiring it.
    /// </summary>
    public void DisposeAfterFrame(IDisposable item, ulong frame)
    {
        ArgumentNullException.ThrowIfNull(item);
        _children.Retire(item, frame);
    }

    /// <summary>
    /// Retires <paramref name="item"/> at <see cref="NewestFrame"/>: it is destroyed once every frame recorded
    /// so far is reported complete (or at dispose), as Veldrid's <c>DisposeWhenIdle</c>.
    /// </summary>
    public void DisposeWhenIdle(IDisposable item) => DisposeAfterFrame(item, NewestFrame);

    /// <summary>
    /// The host reports that every frame up to and including <paramref name="completedFrame"/> has finished
    /// on the GPU (its fence signalled); objects retired at those frames are destroyed now.
    /// </summary>
    public void CompleteFrames(ulong completedFrame) => _children.Complete(completedFrame);

    /// <summary>
    /// Records every pending upload copy and first-use image transition (see
    /// <see cref="GpuContextOptions.NeverSubmit"/>) into <paramref name="recorder"/>, and retires their staging
    /// buffers at its frame. A new <see cref="CommandRecorder"/> does this itself; call it to record them at
    /// another point. Returns how many were recorded.
    /// </summary>
    public int RecordPendingTransfers(CommandRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ThrowIfDisposed();
        return _children.RecordPending(recorder);
    }

    /// <summary>The pipeline cache's bytes, for the application to store and pass back through <see cref="GpuContextOptions.PipelineCacheData"/>.</summary>
    public byte[] GetPipelineCacheData()
    {
        ThrowIfDisposed();
        return Pipelines.GetCacheData();
    }

    /// <summary>
    /// Destroys everything the context created: after waiting for the device to be idle if it owns the
    /// device, retired objects, then every live buffer, image, dispatch and timer (they throw
    /// <see cref="ObjectDisposedException"/> if used afterwards), pipelines, descriptor pools and memory;
    /// then, if it owns them, the device and the instance.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        if (_ownsDevice)
        {
            // Teardown goes on whatever this returns (a lost device still has objects to destroy).
            Vk.DeviceWaitIdle(Device);
        }
        _children.Close();
        _disposed = true;
        Pipelines.Destroy();
        Descriptors.Destroy();
        Memory.Destroy();
        Vk.DestroyCommandPool(Device, _commandPool, null);
        _commandPool = default;
        if (_ownsDevice)
        {
            Vk.DestroyDevice(Device, null);
            _ownedInstance?.Dispose();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    internal void Register(IContextChild child) => _children.Add(child, this);

    internal void Release(IContextChild child) => _children.Remove(child);

    internal void NoteFrame(ulong frame) => _children.NoteFrame(frame);

    /// <summary>
    /// Runs a transfer on the queue now (blocking), or, on a <see cref="NeverSubmit"/> context, queues it for
    /// the host's next recorder. The staging buffer, if any, is released once the copy has run.
    /// </summary>
    internal void Transfer(IContextChild target, GpuBuffer? staging, Action<CommandRecorder> record)
    {
        if (NeverSubmit)
        {
            _children.Enqueue(target, staging, record);
            return;
        }
        try
        {
            Execute(record);
        }
        finally
        {
            staging?.Dispose();
        }
    }

    /// <summary>Throws when a read needs a copy the context may not submit.</summary>
    internal void ThrowIfCannotRead(string what)
    {
        if (NeverSubmit)
        {
            throw new InvalidOperationException(
                $"Reading {what} needs a copy through a staging buffer, which this context may not submit (NeverSubmit): " +
                "record CommandRecorder.CopyBuffer into a MemoryUsage.Download buffer, submit it, and read that buffer.");
        }
    }

    private static Device CreateDevice(Vk vk, PhysicalDevice physical, uint family)
    {
        vk.GetPhysicalDeviceFeatures(physical, out var supported);
        var enabled = new PhysicalDeviceFeatures
        {
            ShaderStorageImageWriteWithoutFormat = supported.ShaderStorageImageWriteWithoutFormat,
        };
        var traits = DeviceTraits.Query(vk, physical, family);
        bool float16 = DeviceTraits.QueryShaderFloat16(vk, physical);
        // Core structs: 16-bit storage in Vulkan 1.1, float16 arithmetic in 1.2 (queried only on such devices). A 1.0
        // device gets no chain (it reports neither).
        var f16 = new PhysicalDeviceShaderFloat16Int8Features(sType: StructureType.PhysicalDeviceShaderFloat16Int8Features,
            shaderFloat16: true);
        var sixteen = new PhysicalDevice16BitStorageFeatures(sType: StructureType.PhysicalDevice16BitStorageFeatures,
            pNext: float16 ? &f16 : null, storageBuffer16BitAccess: traits.StorageBuffer16Bit);
        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo(queueFamilyIndex: family, queueCount: 1, pQueuePriorities: &priority);
        var info = new DeviceCreateInfo(pNext: traits.StorageBuffer16Bit ? &sixteen : null, queueCreateInfoCount: 1,
            pQueueCreateInfos: &queueInfo, pEnabledFeatures: &enabled);
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
