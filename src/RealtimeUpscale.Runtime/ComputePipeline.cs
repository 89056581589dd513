using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>What a shader binding holds.</summary>
public enum BindingKind
{
    /// <summary><c>buffer { float data[]; }</c>: a tensor or weights.</summary>
    StorageBuffer,

    /// <summary>
    /// <c>uniform</c> block: small read-only data every invocation reads alike (layer weights). At most the
    /// first 64 KiB of the buffer is bound.
    /// </summary>
    UniformBuffer,

    /// <summary><c>sampler2D</c> read with texelFetch (the library's nearest sampler is built in).</summary>
    SampledImage,

    /// <summary><c>writeonly image2D</c> without a format qualifier.</summary>
    StorageImage,

    /// <summary>
    /// <c>samplerBuffer</c> read with texelFetch: a buffer of floats seen through an R32_SFLOAT view. CPU
    /// drivers fetch texels for a whole SIMD register with one gather, where a storage-buffer read with
    /// per-lane addresses costs a loop over the lanes.
    /// </summary>
    UniformTexelBuffer,
}

/// <summary>
/// The layout of a compute pipeline: its bindings (set 0, binding i is <c>Bindings[i]</c>) and the size of
/// its push constant block.
/// </summary>
/// <param name="Bindings">One entry per binding, in binding order.</param>
/// <param name="PushConstantSize">Bytes of push constants (a multiple of 4, at most 128).</param>
public sealed record PipelineLayoutDescription(BindingKind[] Bindings, uint PushConstantSize)
{
    internal string Key => string.Join(",", Bindings) + "/" + PushConstantSize;
}

/// <summary>
/// A compute pipeline with its descriptor-set and pipeline layouts. Owned by the
/// <see cref="PipelineLibrary"/> that made it, which destroys it; callers never dispose one.
/// </summary>
public sealed unsafe class ComputePipeline
{
    internal ComputePipeline(string name, Pipeline pipeline, PipelineLayout layout, DescriptorSetLayout setLayout,
        PipelineLayoutDescription description)
    {
        Name = name;
        Pipeline = pipeline;
        Layout = layout;
        SetLayout = setLayout;
        Description = description;
    }

    /// <summary>The shader name, for error messages and timings.</summary>
    public string Name { get; }

    /// <summary>The pipeline.</summary>
    public Pipeline Pipeline { get; }

    /// <summary>The pipeline layout.</summary>
    public PipelineLayout Layout { get; }

    /// <summary>The layout of descriptor set 0.</summary>
    public DescriptorSetLayout SetLayout { get; }

    /// <summary>Bindings and push constant size.</summary>
    public PipelineLayoutDescription Description { get; }

    internal void Destroy(GpuContext context)
    {
        context.Vk.DestroyPipeline(context.Device, Pipeline, null);
        context.Vk.DestroyPipelineLayout(context.Device, Layout, null);
        context.Vk.DestroyDescriptorSetLayout(context.Device, SetLayout, null);
    }
}
