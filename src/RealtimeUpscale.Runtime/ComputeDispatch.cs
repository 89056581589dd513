using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// One compute pass ready to record: a pipeline, its descriptor set with the resources bound, the push
/// constants and the workgroup count. Built once (when a layer is bound to its tensors) and recorded any
/// number of times with <see cref="CommandRecorder.Dispatch"/>. Owns its descriptor set and texel views;
/// its context destroys them, if the dispatch is still alive, before the device, and from then on every use
/// throws <see cref="ObjectDisposedException"/>.
/// </summary>
/// <remarks>
/// Rebinding a resource rewrites the descriptor set, so it must not happen while a submitted command buffer
/// that records this dispatch is still pending: an engine with several frames in flight keeps one
/// dispatch per frame in flight.
/// </remarks>
public sealed unsafe class ComputeDispatch : IDisposable, IContextChild
{
    private readonly GpuContext _context;
    private readonly DescriptorSet _set;
    private readonly DescriptorPool _pool;
    private readonly byte[] _push;
    private readonly ulong[] _resources;
    private readonly bool[] _writes;
    private readonly bool[] _bound;
    private readonly BufferView[] _views;
    private bool _disposed;

    /// <summary>Creates the dispatch; every binding must be bound before recording.</summary>
    public ComputeDispatch(GpuContext context, ComputePipeline pipeline, string label)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pipeline);
        context.ThrowIfDisposed();
        _context = context;
        Pipeline = pipeline;
        Label = label;
        int n = pipeline.Description.Bindings.Length;
        _resources = new ulong[n];
        _writes = new bool[n];
        _bound = new bool[n];
        _views = new BufferView[n];
        _push = new byte[pipeline.Description.PushConstantSize];
        (_set, _pool) = context.Descriptors.Allocate(pipeline.SetLayout);
        try
        {
            context.Register(this);
        }
        catch
        {
            context.Descriptors.Free(_set, _pool);
            throw;
        }
    }

    /// <summary>Whether the dispatch was disposed, by its owner or by its context.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The pipeline.</summary>
    public ComputePipeline Pipeline { get; }

    /// <summary>Names the pass in timings and errors (usually the layer name).</summary>
    public string Label { get; }

    /// <summary>Workgroups in x, y, z.</summary>
    public (uint X, uint Y, uint Z) Groups { get; private set; }

    internal DescriptorSet Set => _set;
    internal ReadOnlySpan<byte> PushConstants => _push;

    internal IEnumerable<(ulong Resource, bool Write)> Accesses
    {
        get
        {
            for (int i = 0; i < _resources.Length; i++)
            {
                yield return (_resources[i], _writes[i]);
            }
        }
    }

    /// <summary>
    /// Binds a buffer to a storage-buffer binding (the whole buffer) or a uniform-buffer binding (its first
    /// <c>maxUniformBufferRange</c> bytes; uniform bindings are never written).
    /// </summary>
    public ComputeDispatch Buffer(uint binding, GpuBuffer buffer, bool write)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ThrowIfDisposed();
        buffer.ThrowIfDisposed();
        if (binding >= _bound.Length || Pipeline.Description.Bindings[binding] is not (BindingKind.StorageBuffer or BindingKind.UniformBuffer))
        {
            throw new ArgumentException($"Binding {binding} of '{Pipeline.Name}' is not a buffer.");
        }
        bool uniform = Pipeline.Description.Bindings[binding] == BindingKind.UniformBuffer;
        if (uniform && write)
        {
            throw new ArgumentException($"Binding {binding} of '{Pipeline.Name}' is a uniform buffer, which shaders cannot write.");
        }
        ulong range = uniform ? Math.Min(buffer.Size, _context.Properties.Limits.MaxUniformBufferRange) : Vk.WholeSize;
        var info = new DescriptorBufferInfo(buffer.Handle, 0, range);
        var w = new WriteDescriptorSet(dstSet: _set, dstBinding: binding, descriptorCount: 1,
            descriptorType: uniform ? DescriptorType.UniformBuffer : DescriptorType.StorageBuffer, pBufferInfo: &info);
        _context.Vk.UpdateDescriptorSets(_context.Device, 1, in w, 0, null);
        Mark(binding, buffer.Handle.Handle, write);
        return this;
    }

    /// <summary>
    /// Binds a buffer to a uniform-texel-buffer binding through an R32_SFLOAT view of its first
    /// <paramref name="elements"/> floats, or an R16_SFLOAT view of as many float16 values (at most
    /// <c>maxTexelBufferElements</c>; see <see cref="CanViewAsTexels"/>). The dispatch owns the view.
    /// </summary>
    public ComputeDispatch TexelBuffer(uint binding, GpuBuffer buffer, long elements, TensorPrecision precision = TensorPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (elements <= 0 || (ulong)elements * (ulong)precision.ElementBytes() > buffer.Size || !CanViewAsTexels(_context, elements, precision))
        {
            throw new ArgumentOutOfRangeException(nameof(elements),
                $"'{Label}': {elements} {precision.ShortName()} values cannot be viewed as texels of a {buffer.Size}-byte buffer " +
                $"(maxTexelBufferElements {_context.Properties.Limits.MaxTexelBufferElements}).");
        }
        return View(binding, buffer, precision == TensorPrecision.Float16 ? Format.R16Sfloat : Format.R32Sfloat,
            (ulong)elements * (ulong)precision.ElementBytes());
    }

    /// <summary>
    /// Binds a buffer to a uniform-texel-buffer binding through an R32G32B32A32_SFLOAT view of its first
    /// <paramref name="vectors"/> float32 vec4s (at most <c>maxTexelBufferElements</c>; see
    /// <see cref="CanViewAsVectorTexels"/>): one fetch returns four consecutive floats. The dispatch owns the view.
    /// </summary>
    public ComputeDispatch VectorTexelBuffer(uint binding, GpuBuffer buffer, long vectors)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (vectors <= 0 || (ulong)vectors * 16 > buffer.Size || !CanViewAsVectorTexels(_context, vectors))
        {
            throw new ArgumentOutOfRangeException(nameof(vectors),
                $"'{Label}': {vectors} vec4s cannot be viewed as texels of a {buffer.Size}-byte buffer " +
                $"(maxTexelBufferElements {_context.Properties.Limits.MaxTexelBufferElements}).");
        }
        return View(binding, buffer, Format.R32G32B32A32Sfloat, (ulong)vectors * 16);
    }

    /// <summary>
    /// <see cref="VectorTexelBuffer"/> for <paramref name="vectors"/> above zero; otherwise the binding holds a placeholder
    /// (<see cref="UnusedTexelBuffer"/>), for a pipeline variant that does not read it.
    /// </summary>
    public ComputeDispatch VectorTexelsOrUnused(uint binding, GpuBuffer buffer, long vectors) =>
        vectors > 0 ? VectorTexelBuffer(binding, buffer, vectors) : UnusedTexelBuffer(binding);

    private ComputeDispatch View(uint binding, GpuBuffer buffer, Format format, ulong bytes)
    {
        ThrowIfDisposed();
        buffer.ThrowIfDisposed();
        if (binding >= _bound.Length || Pipeline.Description.Bindings[binding] != BindingKind.UniformTexelBuffer)
        {
            throw new ArgumentException($"Binding {binding} of '{Pipeline.Name}' is not a uniform texel buffer.");
        }
        if (!buffer.Usage.HasFlag(BufferUsageFlags.UniformTexelBufferBit))
        {
            throw new ArgumentException($"'{Label}': binding {binding} needs a buffer created with UniformTexelBufferBit.");
        }
        var info = new BufferViewCreateInfo(buffer: buffer.Handle, format: format, offset: 0, range: bytes);
        _context.Vk.CreateBufferView(_context.Device, in info, null, out var view).Check("vkCreateBufferView");
        DestroyView(binding);
        _views[binding] = view;
        var w = new WriteDescriptorSet(dstSet: _set, dstBinding: binding, descriptorCount: 1,
            descriptorType: DescriptorType.UniformTexelBuffer, pTexelBufferView: &view);
        _context.Vk.UpdateDescriptorSets(_context.Device, 1, in w, 0, null);
        Mark(binding, buffer.Handle.Handle, false);
        return this;
    }

    /// <summary>
    /// Fills a uniform-texel-buffer binding that the shader does not read in its current configuration (it
    /// must still be valid) with a view of a small buffer the context owns.
    /// </summary>
    public ComputeDispatch UnusedTexelBuffer(uint binding) => TexelBuffer(binding, _context.PlaceholderTexels, 1);

    /// <summary>
    /// Whether <paramref name="elements"/> values of <paramref name="precision"/> fit in one texel-buffer view on this
    /// device, and it reads that format as texels.
    /// </summary>
    public static bool CanViewAsTexels(GpuContext context, long elements, TensorPrecision precision = TensorPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(context);
        return elements <= context.Properties.Limits.MaxTexelBufferElements &&
               (precision == TensorPrecision.Float32 || context.Traits.HalfUniformTexels);
    }

    /// <summary>
    /// Whether <paramref name="vectors"/> float32 vec4s fit in one texel-buffer view on this device (every Vulkan
    /// device reads R32G32B32A32_SFLOAT uniform texel buffers).
    /// </summary>
    public static bool CanViewAsVectorTexels(GpuContext context, long vectors)
    {
        ArgumentNullException.ThrowIfNull(context);
        return vectors <= context.Properties.Limits.MaxTexelBufferElements;
    }

    /// <summary>Binds an image to a sampled-image (read) or storage-image (write) binding.</summary>
    public ComputeDispatch Image(uint binding, ImageBinding image)
    {
        ThrowIfDisposed();
        var kind = Pipeline.Description.Bindings[(int)binding];
        if (kind == BindingKind.StorageBuffer)
        {
            throw new ArgumentException($"Binding {binding} of '{Pipeline.Name}' is a storage buffer, not an image.");
        }
        if (kind == BindingKind.StorageImage && image.Layout != ImageLayout.General)
        {
            throw new ArgumentException($"An image written by a shader must be in General layout, not {image.Layout}.");
        }
        var info = new DescriptorImageInfo(default, image.View, image.Layout);
        var w = new WriteDescriptorSet(dstSet: _set, dstBinding: binding, descriptorCount: 1,
            descriptorType: PipelineLibrary.ToDescriptorType(kind), pImageInfo: &info);
        _context.Vk.UpdateDescriptorSets(_context.Device, 1, in w, 0, null);
        Mark(binding, image.Image.Handle, kind == BindingKind.StorageImage);
        return this;
    }

    /// <summary>Sets the push constants from an unmanaged struct of exactly the pipeline's push size.</summary>
    public ComputeDispatch Push<T>(in T constants) where T : unmanaged
    {
        ThrowIfDisposed();
        if (sizeof(T) != _push.Length)
        {
            throw new ArgumentException($"'{Pipeline.Name}' takes {_push.Length} bytes of push constants, got {sizeof(T)}.");
        }
        MemoryMarshal.Write(_push, in constants);
        return this;
    }

    /// <summary>Sets the workgroup count to cover <paramref name="x"/> x <paramref name="y"/> x
    /// <paramref name="z"/> invocations with workgroups of the given size.</summary>
    public ComputeDispatch Cover(long x, long y, long z, uint localX, uint localY, uint localZ)
    {
        ThrowIfDisposed();
        var limits = _context.Properties.Limits;
        uint gx = checked((uint)((x + localX - 1) / localX));
        uint gy = checked((uint)((y + localY - 1) / localY));
        uint gz = checked((uint)((z + localZ - 1) / localZ));
        if (gx > limits.MaxComputeWorkGroupCount[0] || gy > limits.MaxComputeWorkGroupCount[1] ||
            gz > limits.MaxComputeWorkGroupCount[2])
        {
            throw new ArgumentOutOfRangeException(nameof(x),
                $"'{Label}' needs {gx}x{gy}x{gz} workgroups, more than the device allows.");
        }
        Groups = (gx, gy, gz);
        return this;
    }

    /// <summary>
    /// Sets the workgroup count to cover <paramref name="count"/> invocations laid out in one dimension with
    /// workgroups of <paramref name="local"/>. Large counts spill into y (the device caps each dimension), so the
    /// shader's flat index is <c>gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * local</c>.
    /// </summary>
    public ComputeDispatch CoverLinear(long count, uint local)
    {
        long groups = (count + local - 1) / local;
        var limits = _context.Properties.Limits;
        long maxX = limits.MaxComputeWorkGroupCount[0];
        long gx = Math.Min(groups, maxX);
        long gy = (groups + gx - 1) / gx;
        return Cover(gx * local, gy, 1, local, 1, 1);
    }

    internal void EnsureComplete()
    {
        ThrowIfDisposed();
        for (int i = 0; i < _bound.Length; i++)
        {
            if (!_bound[i])
            {
                throw new InvalidOperationException($"Binding {i} of '{Label}' ({Pipeline.Name}) was never bound.");
            }
        }
        if (Groups.X == 0 || Groups.Y == 0 || Groups.Z == 0)
        {
            throw new InvalidOperationException($"'{Label}' has no workgroup count.");
        }
    }

    /// <summary>Returns the descriptor set to its pool (nothing, once its context has destroyed it).</summary>
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
        _context.Descriptors.Free(_set, _pool);
        for (uint i = 0; i < _views.Length; i++)
        {
            DestroyView(i);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void DestroyView(uint binding)
    {
        if (_views[binding].Handle != 0)
        {
            _context.Vk.DestroyBufferView(_context.Device, _views[binding], null);
            _views[binding] = default;
        }
    }

    private void Mark(uint binding, ulong handle, bool write)
    {
        _resources[binding] = handle;
        _writes[binding] = write;
        _bound[binding] = true;
    }
}
