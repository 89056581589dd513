using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// A layer on the GPU. Every layer has the same lifecycle: it is created from a validated spec (weights are
/// uploaded and its pipeline built once), bound to its input and output tensors (a
/// <see cref="ComputeDispatch"/> per binding, reusable across frames), recorded with a
/// <see cref="CommandRecorder"/>, and disposed (its weight buffer released; the pipeline belongs to the
/// context's library).
/// </summary>
public abstract class GpuLayer : IDisposable
{
    private bool _disposed;

    /// <summary>Creates the layer on <paramref name="context"/>; a null tuning is the device's default.</summary>
    protected GpuLayer(GpuContext context, LayerSpec spec, string name, KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(spec);
        Context = context;
        Tuning = tuning ?? KernelTuning.ForDevice(context.Traits);
        Spec = spec;
        Name = name;
        if (Tuning.HalfArithmetic && Tuning.Precision != TensorPrecision.Float16)
        {
            throw new ArgumentException($"Layer '{name}': float16 multiply-adds (KernelTuning.HalfArithmetic) run on float16 tensors only.");
        }
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Layer '{name}': {e.Message}", e);
        }
    }

    /// <summary>The context the layer lives on.</summary>
    protected GpuContext Context { get; }

    /// <summary>How the layer's kernels are configured.</summary>
    public KernelTuning Tuning { get; }

    /// <summary>How the tensors the layer reads and writes are stored (<see cref="KernelTuning.Precision"/>).</summary>
    public TensorPrecision Precision => Tuning.Precision;

    /// <summary>The spec the layer runs.</summary>
    public LayerSpec Spec { get; }

    /// <summary>Names the layer in timings and errors.</summary>
    public string Name { get; }

    /// <summary>
    /// Creates the GPU layer for any spec of an optimised graph, as the spec says: a transposed convolution runs
    /// as one (the graph pass <see cref="Passes.StridedDeconvToSubPixel"/> is what turns it into a sub-pixel
    /// convolution). The unfused-only <see cref="PadSpec"/> and <see cref="ActivationSpec"/> have no layer.
    /// Its kernels are tuned by <paramref name="tuning"/> (null: for the device).
    /// </summary>
    public static GpuLayer Create(GpuContext context, LayerSpec spec, string? name = null, KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        tuning ??= KernelTuning.ForDevice(context.Traits);
        name ??= spec.GetType().Name.Replace("Spec", "", StringComparison.Ordinal);
        try
        {
            return spec switch
            {
                Conv2dSpec c when Conv2dWinogradLayer.Suits(c, tuning) => new Conv2dWinogradLayer(context, c, name, tuning),
                Conv2dSpec or ResizeConvSpec or SubPixelConvSpec or BlurPoolSpec or ResidualConvSpec or ChannelScaledConvSpec or PointwiseConvSpec => new Conv2dLayer(context, spec, name, tuning),
                ConvPointwiseSpec cp => new ConvPointwiseLayer(context, cp, name, tuning),
                ConvTranspose2dSpec t => new ConvTranspose2dLayer(context, t, name, tuning),
                PixelShuffleSpec p => new PixelShuffleLayer(context, p, name, tuning),
                UpsampleSpec u => new UpsampleLayer(context, u, name, tuning),
                BinarySpec or ScaleBiasSpec => new ElementwiseLayer(context, spec, name, tuning),
                CropSpec or CropToSpec => new CropLayer(context, spec, name, tuning),
                Pool2dSpec p => new Pool2dLayer(context, p, name, tuning),
                FullyConnectedSpec f => new FullyConnectedLayer(context, f, name, tuning),
                ConcatSpec c => new ConcatLayer(context, c, name, tuning),
                _ => throw new NotSupportedException($"Layer '{name}': no GPU implementation for {spec.GetType().Name}."),
            };
        }
        catch (VulkanException e) when (e.Layer is null)
        {
            throw e.InLayer(name);
        }
    }

    /// <summary>The output shape for the given inputs.</summary>
    public TensorShape OutputShape(params TensorShape[] inputs) => Spec.OutputShape(inputs);

    /// <summary>Binds a single-input layer. See <see cref="Bind(IReadOnlyList{GpuTensor}, GpuTensor)"/>.</summary>
    public ComputeDispatch Bind(GpuTensor input, GpuTensor output) => Bind(new[] { input }, output);

    /// <summary>
    /// Creates the dispatch that reads <paramref name="inputs"/> and writes <paramref name="output"/>, whose
    /// shape must be <see cref="OutputShape"/> of the inputs'. The caller owns the returned dispatch and
    /// disposes it before the layer or the tensors. The tensors must stay alive while recorded work runs.
    /// A layer that runs as several passes over scratch buffers (<see cref="ScratchSizes(IReadOnlyList{TensorShape})"/>
    /// not empty) is bound with <see cref="BindPasses"/> instead.
    /// </summary>
    public ComputeDispatch Bind(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (ScratchSizes(inputs.Select(t => t.Shape).ToArray()).Count > 0)
        {
            throw new InvalidOperationException($"Layer '{Name}' runs as several passes over scratch buffers: bind it with BindPasses.");
        }
        return BindPasses(inputs, output, Array.Empty<GpuBuffer>())[0];
    }

    /// <summary>
    /// Creates the dispatches that read <paramref name="inputs"/> and write <paramref name="output"/>, to be recorded
    /// in order (the recorder's barriers order them): one for most layers, several for a layer that works through
    /// <paramref name="scratch"/>, buffers of at least <see cref="ScratchSizes(IReadOnlyList{TensorShape})"/> bytes
    /// each that nothing else uses while the passes run (layers of one binding share them). The caller owns the
    /// dispatches, as with <see cref="Bind(IReadOnlyList{GpuTensor}, GpuTensor)"/>.
    /// </summary>
    public IReadOnlyList<ComputeDispatch> BindPasses(IReadOnlyList<GpuTensor> inputs, GpuTensor output, IReadOnlyList<GpuBuffer> scratch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(scratch);
        if (inputs.Count != Spec.InputCount)
        {
            throw new ArgumentException($"Layer '{Name}' takes {Spec.InputCount} input(s), got {inputs.Count}.");
        }
        TensorShape expected;
        try
        {
            expected = Spec.OutputShape(inputs.Select(t => t.Shape).ToArray());
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Layer '{Name}': {e.Message}", e);
        }
        if (output.Shape != expected)
        {
            throw new ArgumentException($"Layer '{Name}' produces {expected} from {string.Join(", ", inputs.Select(t => t.Shape))}, " +
                                        $"but the output tensor is {output.Shape}.");
        }
        if (inputs.Append(output).FirstOrDefault(t => t.Precision != Precision) is { } other)
        {
            throw new ArgumentException($"Layer '{Name}' runs on {Precision.ShortName()} tensors, but one of its tensors ({other.Shape}) " +
                                        $"is {other.Precision.ShortName()}.");
        }
        var sizes = ScratchSizes(inputs.Select(t => t.Shape).ToArray());
        if (scratch.Count < sizes.Count || sizes.Where((size, i) => scratch[i].Size < size).Any())
        {
            throw new ArgumentException($"Layer '{Name}' needs scratch buffers of {string.Join(", ", sizes)} bytes, " +
                                        $"got {string.Join(", ", scratch.Select(b => b.Size))}.");
        }
        try
        {
            return CreatePasses(inputs, output, scratch);
        }
        catch (VulkanException e) when (e.Layer is null)
        {
            throw e.InLayer(Name);
        }
    }

    /// <summary>
    /// Bytes of each scratch buffer the layer's passes use at these input shapes (<see cref="BindPasses"/>); empty
    /// for the layers that run as one dispatch.
    /// </summary>
    public virtual IReadOnlyList<ulong> ScratchSizes(IReadOnlyList<TensorShape> inputs) => Array.Empty<ulong>();

    /// <summary>
    /// Bytes of each scratch buffer the layer <see cref="Create"/> makes for <paramref name="spec"/> under
    /// <paramref name="tuning"/> uses at these input shapes; empty for one that runs as one dispatch. Memory plans
    /// count them without building layers.
    /// </summary>
    public static IReadOnlyList<ulong> ScratchSizes(LayerSpec spec, IReadOnlyList<TensorShape> inputs, KernelTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(tuning);
        return spec is Conv2dSpec c && Conv2dWinogradLayer.Suits(c, tuning)
            ? Conv2dWinogradLayer.ScratchSizes(c, inputs[0], c.OutputShape(inputs))
            : Array.Empty<ulong>();
    }

    /// <summary>Builds the dispatch; shapes are already checked.</summary>
    protected abstract ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output);

    /// <summary>Builds the dispatches, in recording order; shapes and scratch sizes are already checked. One
    /// <see cref="CreateDispatch"/> unless overridden.</summary>
    protected virtual IReadOnlyList<ComputeDispatch> CreatePasses(IReadOnlyList<GpuTensor> inputs, GpuTensor output, IReadOnlyList<GpuBuffer> scratch) =>
        new[] { CreateDispatch(inputs, output) };

    /// <summary>Releases what the layer owns.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases owned resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// Output channels per invocation and the padded output-channel count of the weights. Without groups, the
    /// channels split into the fewest blocks of at most <paramref name="maxBlock"/> (56 becomes two blocks of 28), padding the last
    /// block with zero weights; with groups a block divides the channels of a group and nothing is padded.
    /// </summary>
    protected static (int Block, int Stride) ChannelBlocking(int outChannels, int groups, int maxBlock = 32)
    {
        if (groups == 1)
        {
            int blocks = (outChannels + maxBlock - 1) / maxBlock;
            int block = (outChannels + blocks - 1) / blocks;
            return (block, block * blocks);
        }
        int perGroup = outChannels / groups;
        foreach (int b in new[] { 16, 8, 4, 2 })
        {
            if (b <= maxBlock && perGroup % b == 0)
            {
                return (b, outChannels);
            }
        }
        return (1, outChannels);
    }

    /// <summary>
    /// A dispatch of <paramref name="pipeline"/> whose resources <paramref name="bind"/> sets; the dispatch is
    /// disposed (its descriptor set returned) when binding throws.
    /// </summary>
    protected ComputeDispatch NewDispatch(ComputePipeline pipeline, Func<ComputeDispatch, ComputeDispatch> bind)
    {
        var dispatch = new ComputeDispatch(Context, pipeline, Name);
        try
        {
            return bind(dispatch);
        }
        catch
        {
            dispatch.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds <paramref name="input"/> to a shader's texel-buffer input binding when it reads texels (see
    /// <see cref="ReadsTexels"/>), else the context's placeholder.
    /// </summary>
    protected static ComputeDispatch InputTexels(ComputeDispatch dispatch, uint binding, GpuTensor input, bool texels) =>
        texels ? dispatch.TexelBuffer(binding, input.Buffer, input.Shape.ElementCount, input.Precision) : dispatch.UnusedTexelBuffer(binding);

    /// <summary>
    /// The bindings the convolution kernels share (conv2d, conv_pointwise, deconv2d): the input at
    /// 0 (and at 4 as texels when <paramref name="texels"/>), the output at 1, the parameter buffer at 2 (storage)
    /// and 3 (uniform), and the push constants.
    /// </summary>
    protected static ComputeDispatch ConvolutionBindings<T>(
        ComputeDispatch dispatch, GpuTensor input, GpuTensor output, GpuBuffer parameters, bool texels, in T push)
        where T : unmanaged =>
        InputTexels(dispatch, 4, input, texels)
            .Buffer(0, input.Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Buffer(2, parameters, write: false)
            .Buffer(3, parameters, write: false)
            .Push(push);

    /// <summary>
    /// How many RGBA32F texels a kernel reads <paramref name="input"/> as, when it can (conv2d.comp's VEC_TEXELS), or 0:
    /// as <see cref="ReadsTexels"/>, for float32 tensors whose buffer holds whole vec4s up to the last element.
    /// </summary>
    internal long ReadsVectorTexels(GpuBuffer input, long inputElements)
    {
        long vectors = (inputElements + 3) / 4;
        return Precision == TensorPrecision.Float32 && ReadsTexels(input, inputElements) && (ulong)vectors * 16 <= input.Size &&
               ComputeDispatch.CanViewAsVectorTexels(Context, vectors) ? vectors : 0;
    }

    /// <summary>
    /// Whether a shader reads its input through a texel buffer (the TEXELS constant of conv2d.comp,
    /// deconv2d.comp and upsample.comp): when tuned for a CPU device, where a texel fetch is one gather and a storage-buffer read
    /// a loop over the SIMD lanes, when the input fits in one texel-buffer view (of the layer's precision) and its
    /// buffer allows one (buffers the library makes do; a caller's own may not).
    /// </summary>
    internal bool ReadsTexels(GpuBuffer input, long inputElements) =>
        Tuning.CpuStyle && ComputeDispatch.CanViewAsTexels(Context, inputElements, Precision) &&
        input.Usage.HasFlag(Silk.NET.Vulkan.BufferUsageFlags.UniformTexelBufferBit);

    /// <summary>Binding 3 of convolutions reads parameters as a 64 KiB uniform block (include/params.glsl).</summary>
    private protected const int UniformBlockBytes = 65536;

    /// <summary>
    /// Uploads parameters into one buffer bound as both storage and uniform buffer, and says which one the
    /// shader should read: the uniform block when they fit in it (the buffer is then the block's full size).
    /// </summary>
    protected GpuBuffer UploadParameterBlock(float[] values, out bool uniform)
    {
        uniform = values.Length * sizeof(float) <= UniformBlockBytes &&
                  Context.Properties.Limits.MaxUniformBufferRange >= UniformBlockBytes;
        ulong size = uniform ? UniformBlockBytes : (ulong)Math.Max(values.Length, 1) * sizeof(float);
        var buffer = new GpuBuffer(Context, size, MemoryUsage.Device,
            Silk.NET.Vulkan.BufferUsageFlags.StorageBufferBit | Silk.NET.Vulkan.BufferUsageFlags.UniformBufferBit |
            Silk.NET.Vulkan.BufferUsageFlags.TransferDstBit);
        try
        {
            var padded = new float[size / sizeof(float)];
            values.CopyTo(padded, 0);
            buffer.Write<float>(padded);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        return buffer;
    }

    /// <summary><paramref name="values"/> (one per channel, or null for zeros) padded with zeros to <paramref name="length"/>.</summary>
    protected static float[] PadTo(float[]? values, int length)
    {
        var result = new float[length];
        values?.CopyTo(result, 0);
        return result;
    }

    /// <summary>Uploads weights, bias (zeros when null) and per-channel slopes into one storage buffer.</summary>
    protected GpuBuffer UploadParameters(params float[]?[] parts)
    {
        var all = parts.Where(p => p is not null).SelectMany(p => p!).ToArray();
        if (all.Length == 0)
        {
            all = new float[1]; // a binding needs a buffer even when the shader reads nothing from it
        }
        var buffer = new GpuBuffer(Context, (ulong)all.Length * sizeof(float));
        buffer.Write<float>(all);
        return buffer;
    }
}
