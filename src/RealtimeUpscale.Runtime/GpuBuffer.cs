using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using Buffer = Silk.NET.Vulkan.Buffer;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// A VkBuffer with its memory range. The buffer owns both and releases them on dispose; the caller must
/// not dispose it while GPU work that uses it is pending (retire it with
/// <see cref="GpuContext.DisposeAfterFrame"/> instead). Its context destroys it, if it is still alive, before
/// the device; from then on every use throws <see cref="ObjectDisposedException"/> and disposing does nothing.
/// </summary>
public sealed unsafe class GpuBuffer : IDisposable, IContextChild
{
    private readonly GpuContext _context;

    /// <summary>The context the buffer lives on.</summary>
    internal GpuContext Context => _context;

    private MemoryAllocation _allocation;
    private bool _disposed;

    /// <summary>Creates a buffer of <paramref name="size"/> bytes.</summary>
    public GpuBuffer(GpuContext context, ulong size, MemoryUsage usage = MemoryUsage.Device,
        BufferUsageFlags flags = BufferUsageFlags.StorageBufferBit | BufferUsageFlags.UniformTexelBufferBit |
                                 BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (size == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "A buffer must hold at least one byte.");
        }
        context.ThrowIfDisposed();
        _context = context;
        Size = size;
        Usage = flags;
        var info = new BufferCreateInfo(size: size, usage: flags, sharingMode: SharingMode.Exclusive);
        context.Vk.CreateBuffer(context.Device, in info, null, out var buffer).Check("vkCreateBuffer");
        Handle = buffer;
        try
        {
            context.Vk.GetBufferMemoryRequirements(context.Device, buffer, out var req);
            _allocation = context.Memory.Allocate(req, usage, forImage: false);
            context.Vk.BindBufferMemory(context.Device, buffer, _allocation.Memory, _allocation.Offset)
                .Check("vkBindBufferMemory");
            context.Register(this);
        }
        catch
        {
            if (_allocation.Size != 0)
            {
                context.Memory.Free(_allocation);
            }
            context.Vk.DestroyBuffer(context.Device, buffer, null);
            throw;
        }
    }

    /// <summary>The Vulkan buffer.</summary>
    public Buffer Handle { get; }

    /// <summary>Whether the buffer was disposed, by its owner or by its context.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The usages the buffer was created for.</summary>
    public BufferUsageFlags Usage { get; }

    /// <summary>Size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>Whether the host can read and write the memory directly (no staging copy).</summary>
    public bool IsMapped => _allocation.Mapped != null;

    /// <summary>
    /// Copies <paramref name="data"/> into the buffer at <paramref name="byteOffset"/>. Mapped memory is
    /// written directly; otherwise through a staging buffer and a copy: a blocking submission, or on a
    /// <see cref="GpuContext.NeverSubmit"/> context a copy recorded into the host's next command buffer. The
    /// GPU must not be using the buffer meanwhile.
    /// </summary>
    public void Write<T>(ReadOnlySpan<T> data, ulong byteOffset = 0) where T : unmanaged
    {
        ThrowIfDisposed();
        var bytes = MemoryMarshal.AsBytes(data);
        CheckRange(byteOffset, (ulong)bytes.Length);
        if (bytes.Length == 0)
        {
            return;
        }
        if (IsMapped)
        {
            bytes.CopyTo(new Span<byte>(_allocation.Mapped + byteOffset, bytes.Length));
            return;
        }
        var staging = new GpuBuffer(_context, (ulong)bytes.Length, MemoryUsage.Upload, BufferUsageFlags.TransferSrcBit);
        try
        {
            staging.Write(data);
        }
        catch
        {
            staging.Dispose();
            throw;
        }
        ulong length = (ulong)bytes.Length;
        _context.Transfer(this, staging, r => r.CopyBuffer(staging, this, length, 0, byteOffset));
    }

    /// <summary>
    /// Copies bytes from the buffer at <paramref name="byteOffset"/> into <paramref name="destination"/>,
    /// directly or through a staging buffer and a blocking submission (which a
    /// <see cref="GpuContext.NeverSubmit"/> context refuses with <see cref="InvalidOperationException"/>). GPU
    /// writes to the buffer must have completed.
    /// </summary>
    public void Read<T>(Span<T> destination, ulong byteOffset = 0) where T : unmanaged
    {
        ThrowIfDisposed();
        var bytes = MemoryMarshal.AsBytes(destination);
        CheckRange(byteOffset, (ulong)bytes.Length);
        if (bytes.Length == 0)
        {
            return;
        }
        if (IsMapped)
        {
            new ReadOnlySpan<byte>(_allocation.Mapped + byteOffset, bytes.Length).CopyTo(bytes);
            return;
        }
        _context.ThrowIfCannotRead("an unmapped buffer");
        using var staging = new GpuBuffer(_context, (ulong)bytes.Length, MemoryUsage.Download, BufferUsageFlags.TransferDstBit);
        ulong count = (ulong)bytes.Length;
        _context.Execute(r => r.CopyBuffer(this, staging, count, byteOffset, 0));
        staging.Read(destination);
    }

    /// <summary>Destroys the buffer and returns its memory (nothing, once its context has destroyed it).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _context.Release(this);
        }
    }

    void IContextChild.Destroy()
    {
        _disposed = true;
        _context.Vk.DestroyBuffer(_context.Device, Handle, null);
        _context.Memory.Free(_allocation);
    }

    private void CheckRange(ulong offset, ulong length)
    {
        if (offset > Size || length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"Range [{offset}, {offset + length}) lies outside the buffer of {Size} bytes.");
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
