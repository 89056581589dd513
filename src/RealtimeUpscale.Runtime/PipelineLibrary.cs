using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// Builds compute pipelines from SPIR-V and specialization constants, and keeps each one for the life of
/// the context: a pipeline is made once per (shader, constants, layout) and shared by every layer that
/// asks for it. Creation goes through one VkPipelineCache, which can be persisted to disk so that later
/// runs skip the driver's compiler (<see cref="GpuContext.GetPipelineCacheData"/>). Owned and destroyed by
/// its context. Thread-safe.
/// </summary>
public sealed unsafe class PipelineLibrary
{
    private readonly GpuContext _context;
    private readonly Dictionary<string, ComputePipeline> _pipelines = new();
    private readonly Dictionary<string, ShaderModule> _modules = new();
    private readonly object _lock = new();
    private readonly bool _ownsCache;
    private PipelineCache _cache;
    private Sampler _nearest;

    internal PipelineLibrary(GpuContext context, byte[]? initialData, PipelineCache hostCache)
    {
        _context = context;
        _ownsCache = hostCache.Handle == 0;
        _cache = hostCache;
        if (_ownsCache)
        {
            CreateCache(initialData);
        }
        var samplerInfo = new SamplerCreateInfo(
            magFilter: Filter.Nearest, minFilter: Filter.Nearest, mipmapMode: SamplerMipmapMode.Nearest,
            addressModeU: SamplerAddressMode.ClampToEdge, addressModeV: SamplerAddressMode.ClampToEdge,
            addressModeW: SamplerAddressMode.ClampToEdge, maxLod: 0);
        context.Vk.CreateSampler(context.Device, in samplerInfo, null, out _nearest).Check("vkCreateSampler");
    }

    private void CreateCache(byte[]? initialData)
    {
        fixed (byte* p = initialData)
        {
            var info = new PipelineCacheCreateInfo(
                initialDataSize: (nuint)(initialData?.Length ?? 0), pInitialData: p);
            // The driver validates the header and ignores data from another device or driver version.
            _context.Vk.CreatePipelineCache(_context.Device, in info, null, out _cache).Check("vkCreatePipelineCache");
        }
    }

    /// <summary>Number of distinct pipelines built so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pipelines.Count;
            }
        }
    }

    /// <summary>
    /// Returns the pipeline for <paramref name="shader"/> with specialization constants
    /// <paramref name="constants"/> (constant_id i gets <c>constants[i]</c>, as 32-bit values; floats are
    /// passed as their bit patterns), building it on first use.
    /// </summary>
    public ComputePipeline Get(ShaderCode shader, ReadOnlySpan<uint> constants, PipelineLayoutDescription layout)
    {
        ArgumentNullException.ThrowIfNull(shader);
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.PushConstantSize % 4 != 0 || layout.PushConstantSize > _context.Properties.Limits.MaxPushConstantsSize)
        {
            throw new ArgumentException($"Push constant size {layout.PushConstantSize} is not a multiple of 4 within " +
                                        $"the device limit {_context.Properties.Limits.MaxPushConstantsSize}.");
        }
        string key = shader.Name + "|" + string.Join(",", constants.ToArray()) + "|" + layout.Key;
        lock (_lock)
        {
            _context.ThrowIfDisposed();
            if (_pipelines.TryGetValue(key, out var existing))
            {
                return existing;
            }
            var pipeline = Build(shader, constants, layout);
            _pipelines.Add(key, pipeline);
            return pipeline;
        }
    }

    /// <summary>The pipeline cache's contents.</summary>
    internal byte[] GetCacheData()
    {
        lock (_lock)
        {
            nuint size = 0;
            _context.Vk.GetPipelineCacheData(_context.Device, _cache, ref size, null).Check("vkGetPipelineCacheData");
            var data = new byte[size];
            fixed (byte* p = data)
            {
                _context.Vk.GetPipelineCacheData(_context.Device, _cache, ref size, p).Check("vkGetPipelineCacheData");
            }
            return size == (nuint)data.Length ? data : data[..(int)size];
        }
    }

    /// <summary>Destroys every pipeline, module, the sampler and the cache (by the context, after every dispatch).</summary>
    internal void Destroy()
    {
        lock (_lock)
        {
            foreach (var p in _pipelines.Values)
            {
                p.Destroy(_context);
            }
            _pipelines.Clear();
            foreach (var m in _modules.Values)
            {
                _context.Vk.DestroyShaderModule(_context.Device, m, null);
            }
            _modules.Clear();
            _context.Vk.DestroySampler(_context.Device, _nearest, null);
            if (_ownsCache)
            {
                _context.Vk.DestroyPipelineCache(_context.Device, _cache, null);
            }
        }
    }

    private ShaderModule Module(ShaderCode shader)
    {
        if (_modules.TryGetValue(shader.Name, out var module))
        {
            return module;
        }
        fixed (byte* code = shader.Spirv)
        {
            var info = new ShaderModuleCreateInfo(codeSize: (nuint)shader.Spirv.Length, pCode: (uint*)code);
            _context.Vk.CreateShaderModule(_context.Device, in info, null, out module).Check("vkCreateShaderModule");
        }
        _modules.Add(shader.Name, module);
        return module;
    }

    private ComputePipeline Build(ShaderCode shader, ReadOnlySpan<uint> constants, PipelineLayoutDescription layout)
    {
        var vk = _context.Vk;
        var device = _context.Device;
        var module = Module(shader);
        var sampler = _nearest;

        var bindings = new DescriptorSetLayoutBinding[layout.Bindings.Length];
        for (int i = 0; i < bindings.Length; i++)
        {
            bindings[i] = new DescriptorSetLayoutBinding(
                binding: (uint)i, descriptorType: ToDescriptorType(layout.Bindings[i]), descriptorCount: 1,
                stageFlags: ShaderStageFlags.ComputeBit,
                pImmutableSamplers: layout.Bindings[i] == BindingKind.SampledImage ? &sampler : null);
        }
        DescriptorSetLayout setLayout;
        fixed (DescriptorSetLayoutBinding* pb = bindings)
        {
            var info = new DescriptorSetLayoutCreateInfo(bindingCount: (uint)bindings.Length, pBindings: pb);
            vk.CreateDescriptorSetLayout(device, in info, null, out setLayout).Check("vkCreateDescriptorSetLayout");
        }

        PipelineLayout pipelineLayout = default;
        try
        {
            var range = new PushConstantRange(ShaderStageFlags.ComputeBit, 0, layout.PushConstantSize);
            var layoutInfo = new PipelineLayoutCreateInfo(
                setLayoutCount: 1, pSetLayouts: &setLayout,
                pushConstantRangeCount: layout.PushConstantSize > 0 ? 1u : 0u, pPushConstantRanges: &range);
            vk.CreatePipelineLayout(device, in layoutInfo, null, out pipelineLayout).Check("vkCreatePipelineLayout");

            var entries = new SpecializationMapEntry[constants.Length];
            for (int i = 0; i < entries.Length; i++)
            {
                entries[i] = new SpecializationMapEntry((uint)i, (uint)(i * 4), 4);
            }
            var values = constants.ToArray();
            var entryName = Marshal.StringToHGlobalAnsi("main");
            try
            {
                fixed (SpecializationMapEntry* pe = entries)
                fixed (uint* pv = values)
                {
                    var spec = new SpecializationInfo(
                        mapEntryCount: (uint)entries.Length, pMapEntries: pe,
                        dataSize: (nuint)(values.Length * 4), pData: pv);
                    var stage = new PipelineShaderStageCreateInfo(
                        stage: ShaderStageFlags.ComputeBit, module: module, pName: (byte*)entryName,
                        pSpecializationInfo: entries.Length > 0 ? &spec : null);
                    var info = new ComputePipelineCreateInfo(stage: stage, layout: pipelineLayout);
                    vk.CreateComputePipelines(device, _cache, 1, in info, null, out var pipeline)
                        .Check($"vkCreateComputePipelines ({shader.Name})");
                    return new ComputePipeline(shader.Name, pipeline, pipelineLayout, setLayout, layout);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(entryName);
            }
        }
        catch
        {
            if (pipelineLayout.Handle != 0)
            {
                vk.DestroyPipelineLayout(device, pipelineLayout, null);
            }
            vk.DestroyDescriptorSetLayout(device, setLayout, null);
            throw;
        }
    }

    internal static DescriptorType ToDescriptorType(BindingKind kind) => kind switch
    {
        BindingKind.StorageBuffer => DescriptorType.StorageBuffer,
        BindingKind.UniformBuffer => DescriptorType.UniformBuffer,
        BindingKind.SampledImage => DescriptorType.CombinedImageSampler,
        BindingKind.UniformTexelBuffer => DescriptorType.UniformTexelBuffer,
        _ => DescriptorType.StorageImage,
    };
}
