using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// Records compute passes and copies into a command buffer it does not own, and inserts the barriers
/// between them itself.
/// </summary>
/// <remarks>
/// The recorder remembers, per buffer and image, whether it was read or written since the last barrier it
/// recorded. A pass that reads something written earlier (read after write), or writes something read or
/// written earlier (write after read, write after write), gets one memory barrier before it, which orders
/// every earlier shader and transfer write before every later shader and transfer access. Independent
/// passes get none and may overlap. Work recorded before the recorder existed (by the engine) is the
/// caller's to synchronise: the recorder assumes the resources it is given are ready when recording begins.
/// </remarks>
public sealed unsafe class CommandRecorder
{
    private const PipelineStageFlags Stages = PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit;
    private readonly GpuContext _context;
    private readonly Dictionary<ulong, bool> _touched = new(); // resource -> written since last barrier
    private GpuTimer? _timer;

    /// <summary>
    /// Wraps <paramref name="commandBuffer"/> as part of the context's <see cref="GpuContext.NewestFrame"/>.
    /// See <see cref="CommandRecorder(GpuContext, CommandBuffer, ulong)"/>.
    /// </summary>
    public CommandRecorder(GpuContext context, CommandBuffer commandBuffer)
        : this(context, commandBuffer, context?.NewestFrame ?? 0)
    {
    }

    /// <summary>
    /// Wraps <paramref name="commandBuffer"/>, which must be in the recording state, come from a pool of
    /// <see cref="GpuContext.QueueFamilyIndex"/>, and be outside a render pass, and first records the
    /// context's pending uploads and image transitions into it (<see cref="GpuContext.RecordPendingTransfers"/>),
    /// and again before each later dispatch or copy when more were asked for meanwhile (a layer built while
    /// recording). With several threads recording at once, the first recorder to take them records them.
    /// <paramref name="frameIndex"/> is the host's number for the frame this command buffer belongs to
    /// (increasing); staging buffers used here are destroyed once the host reports it complete with
    /// <see cref="GpuContext.CompleteFrames"/>.
    /// </summary>
    public CommandRecorder(GpuContext context, CommandBuffer commandBuffer, ulong frameIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        _context = context;
        CommandBuffer = commandBuffer;
        Frame = frameIndex;
        context.NoteFrame(frameIndex);
        context.RecordPendingTransfers(this);
    }

    /// <summary>The command buffer being recorded into.</summary>
    public CommandBuffer CommandBuffer { get; }

    /// <summary>The frame index the recorded work belongs to.</summary>
    public ulong Frame { get; }

    /// <summary>Barriers recorded so far.</summary>
    public int BarrierCount { get; private set; }

    /// <summary>Passes recorded so far.</summary>
    public int DispatchCount { get; private set; }

    /// <summary>Timestamps written so far after <see cref="BeginTiming"/> (dispatches and <see cref="MarkTiming"/> calls).</summary>
    public int TimedPasses { get; private set; }

    /// <summary>
    /// Starts timing: resets <paramref name="timer"/> and writes its first timestamp; each later
    /// <see cref="Dispatch"/> writes one more. Read the results with <see cref="GpuTimer.Read"/> after the
    /// command buffer has completed.
    /// </summary>
    public void BeginTiming(GpuTimer timer)
    {
        ArgumentNullException.ThrowIfNull(timer);
        _timer = timer;
        timer.Begin(this);
    }

    /// <summary>Stops adding timestamps.</summary>
    public void EndTiming() => _timer = null;

    /// <summary>Records one compute pass, preceded by a barrier when it depends on earlier work.</summary>
    public void Dispatch(ComputeDispatch pass)
    {
        ArgumentNullException.ThrowIfNull(pass);
        TakePendingTransfers();
        pass.EnsureComplete();
        Access(pass.Accesses);
        var vk = _context.Vk;
        vk.CmdBindPipeline(CommandBuffer, PipelineBindPoint.Compute, pass.Pipeline.Pipeline);
        var set = pass.Set;
        vk.CmdBindDescriptorSets(CommandBuffer, PipelineBindPoint.Compute, pass.Pipeline.Layout, 0, 1, &set, 0, null);
        var push = pass.PushConstants;
        if (push.Length > 0)
        {
            fixed (byte* p = push)
            {
                vk.CmdPushConstants(CommandBuffer, pass.Pipeline.Layout, ShaderStageFlags.ComputeBit, 0, (uint)push.Length, p);
            }
        }
        vk.CmdDispatch(CommandBuffer, pass.Groups.X, pass.Groups.Y, pass.Groups.Z);
        DispatchCount++;
        MarkTiming(pass.Label);
    }

    /// <summary>
    /// While timing, writes a timestamp that closes a pass named <paramref name="label"/>: the GPU time since
    /// the previous timestamp. Engines use it to time their own commands (copies, blits) recorded in between.
    /// </summary>
    public void MarkTiming(string label)
    {
        if (_timer is not null)
        {
            _timer.Mark(this, label);
            TimedPasses++;
        }
    }

    /// <summary>Copies <paramref name="size"/> bytes between buffers.</summary>
    public void CopyBuffer(GpuBuffer source, GpuBuffer destination, ulong size, ulong sourceOffset = 0, ulong destinationOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        source.ThrowIfDisposed();
        destination.ThrowIfDisposed();
        TakePendingTransfers();
        Access(new[] { (source.Handle.Handle, false), (destination.Handle.Handle, true) });
        var region = new BufferCopy(sourceOffset, destinationOffset, size);
        _context.Vk.CmdCopyBuffer(CommandBuffer, source.Handle, destination.Handle, 1, in region);
    }

    /// <summary>Fills a buffer with a repeated 32-bit value.</summary>
    public void FillBuffer(GpuBuffer destination, uint value)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.ThrowIfDisposed();
        TakePendingTransfers();
        Access(new[] { (destination.Handle.Handle, true) });
        _context.Vk.CmdFillBuffer(CommandBuffer, destination.Handle, 0, Vk.WholeSize, value);
    }

    /// <summary>
    /// Copies tightly packed texels from a buffer into an image kept in General layout; the image is moved
    /// to the transfer layout for the copy and back.
    /// </summary>
    public void CopyBufferToImage(GpuBuffer source, GpuImage destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        source.ThrowIfDisposed();
        destination.ThrowIfDisposed();
        TakePendingTransfers();
        Access(new[] { (source.Handle.Handle, false), (destination.Image.Handle, true) });
        var region = Region(destination.Width, destination.Height);
        TransitionImage(destination.Image, ImageLayout.General, ImageLayout.TransferDstOptimal);
        _context.Vk.CmdCopyBufferToImage(CommandBuffer, source.Handle, destination.Image, ImageLayout.TransferDstOptimal, 1, in region);
        TransitionImage(destination.Image, ImageLayout.TransferDstOptimal, ImageLayout.General);
    }

    /// <summary>Copies an image kept in General layout into a buffer, tightly packed (through the transfer layout).</summary>
    public void CopyImageToBuffer(GpuImage source, GpuBuffer destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        source.ThrowIfDisposed();
        destination.ThrowIfDisposed();
        TakePendingTransfers();
        Access(new[] { (source.Image.Handle, false), (destination.Handle.Handle, true) });
        var region = Region(source.Width, source.Height);
        TransitionImage(source.Image, ImageLayout.General, ImageLayout.TransferSrcOptimal);
        _context.Vk.CmdCopyImageToBuffer(CommandBuffer, source.Image, ImageLayout.TransferSrcOptimal, destination.Handle, 1, in region);
        TransitionImage(source.Image, ImageLayout.TransferSrcOptimal, ImageLayout.General);
    }

    /// <summary>
    /// Transitions a colour image between layouts, making all earlier work's writes visible to all later
    /// work. For images the library owns this happens once, at creation.
    /// </summary>
    public void TransitionImage(Image image, ImageLayout from, ImageLayout to)
    {
        var barrier = new ImageMemoryBarrier(
            srcAccessMask: AccessFlags.MemoryWriteBit, dstAccessMask: AccessFlags.MemoryReadBit | AccessFlags.MemoryWriteBit,
            oldLayout: from, newLayout: to, srcQueueFamilyIndex: Vk.QueueFamilyIgnored, dstQueueFamilyIndex: Vk.QueueFamilyIgnored,
            image: image, subresourceRange: new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1));
        // A global memory barrier in the same call orders every other tracked write too, so forgetting all
        // tracked accesses afterwards is safe.
        var memory = new MemoryBarrier(srcAccessMask: AccessFlags.MemoryWriteBit,
            dstAccessMask: AccessFlags.MemoryReadBit | AccessFlags.MemoryWriteBit);
        _context.Vk.CmdPipelineBarrier(CommandBuffer, PipelineStageFlags.AllCommandsBit, PipelineStageFlags.AllCommandsBit,
            0, 1, &memory, 0, null, 1, &barrier);
        BarrierCount++;
        _touched.Clear();
    }

    /// <summary>Records a barrier now, whatever was tracked (e.g. before handing resources back to an engine).</summary>
    public void Barrier()
    {
        var barrier = new MemoryBarrier(
            srcAccessMask: AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
            dstAccessMask: AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit | AccessFlags.UniformReadBit |
                           AccessFlags.TransferReadBit | AccessFlags.TransferWriteBit);
        _context.Vk.CmdPipelineBarrier(CommandBuffer, Stages, Stages, 0, 1, &barrier, 0, null, 0, null);
        BarrierCount++;
        _touched.Clear();
    }

    /// <summary>Makes every earlier write visible to the host (before the host reads results after the fence).</summary>
    public void BarrierToHost()
    {
        var barrier = new MemoryBarrier(srcAccessMask: AccessFlags.MemoryWriteBit, dstAccessMask: AccessFlags.HostReadBit);
        _context.Vk.CmdPipelineBarrier(CommandBuffer, PipelineStageFlags.AllCommandsBit, PipelineStageFlags.HostBit,
            0, 1, &barrier, 0, null, 0, null);
        BarrierCount++;
    }

    internal void WriteTimestamp(QueryPool pool, uint query) =>
        _context.Vk.CmdWriteTimestamp(CommandBuffer, PipelineStageFlags.BottomOfPipeBit, pool, query);

    internal void ResetQueries(QueryPool pool, uint count) =>
        _context.Vk.CmdResetQueryPool(CommandBuffer, pool, 0, count);

    /// <summary>
    /// Records transfers asked for since this recorder began (a layer built or a tensor uploaded while recording,
    /// on a <see cref="GpuContext.NeverSubmit"/> context) before the command that may use them. The context
    /// empties its list before recording it, so the copies recorded here do not come back to this method.
    /// </summary>
    private void TakePendingTransfers()
    {
        if (_context.PendingTransferCount > 0)
        {
            _context.RecordPendingTransfers(this);
        }
    }

    private void Access(IEnumerable<(ulong Resource, bool Write)> accesses)
    {
        var list = accesses as IReadOnlyCollection<(ulong, bool)> ?? accesses.ToList();
        bool hazard = false;
        foreach (var (resource, write) in list)
        {
            if (_touched.TryGetValue(resource, out bool written) && (written || write))
            {
                hazard = true;
                break;
            }
        }
        if (hazard)
        {
            Barrier();
        }
        foreach (var (resource, write) in list)
        {
            _touched[resource] = write || (_touched.TryGetValue(resource, out bool w) && w);
        }
    }

    private static BufferImageCopy Region(int width, int height) => new(
        bufferOffset: 0, bufferRowLength: 0, bufferImageHeight: 0,
        imageSubresource: new ImageSubresourceLayers(ImageAspectFlags.ColorBit, 0, 0, 1),
        imageOffset: default, imageExtent: new Extent3D((uint)width, (uint)height, 1));
}
