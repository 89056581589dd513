using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// Runs shaders/conv2d.comp for a <see cref="Conv2dSpec"/>, a <see cref="ResizeConvSpec"/> (upsample fused
/// before), a <see cref="SubPixelConvSpec"/> (pixel shuffle fused after), a <see cref="BlurPoolSpec"/>
/// (a fixed depthwise binomial convolution), or a <see cref="ResidualConvSpec"/> of one of the first three (a
/// residual, a residual source resampled at each output pixel, or a window of one, added as each output is stored),
/// each of these but the blur-pool also with per-channel scales of its input or residual (<see cref="ChannelScaledConvSpec"/>),
/// or a <see cref="PointwiseConvSpec"/> (a plain or sub-pixel convolution computing its input from a 1x1 convolution
/// of the stored one as it reads it).
/// </summary>
public sealed class Conv2dLayer : GpuLayer
{
    private readonly Conv2dSpec _conv;
    private readonly UpsampleSpec? _upsample;
    private readonly ResidualConvSpec? _residual;
    private readonly ChannelScaledConvSpec? _scales;
    private readonly Conv2dSpec? _pointwise;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _block;
    private readonly int _stride;
    private readonly int _maxPixels;
    private readonly int _expandBase;
    private readonly Conv2dKernel.Constants _constants;

    internal Conv2dLayer(GpuContext context, LayerSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _scales = spec as ChannelScaledConvSpec;
        _residual = ChannelScaledConvSpec.Unscaled(spec) as ResidualConvSpec;
        _pointwise = (spec as PointwiseConvSpec)?.Pointwise;
        (_conv, _upsample, var shuffle) = (_residual?.Conv ?? PointwiseConvSpec.Unfused(ChannelScaledConvSpec.Unscaled(spec))) switch
        {
            Conv2dSpec c => (c, (UpsampleSpec?)null, (PixelShuffleSpec?)null),
            ResizeConvSpec r => (r.Conv, r.Upsample, null),
            SubPixelConvSpec s => (s.Conv, null, s.Shuffle),
            BlurPoolSpec b => (b.ToConv2d(), null, null),
            _ => throw new ArgumentException($"Layer '{name}': {spec.GetType().Name} is not a convolution."),
        };
        bool cpu = tuning.CpuStyle;
        // With a fused 1x1 every block computes the held channels again, so its outputs (at most 16, as
        // PointwiseConvSpec allows) stay in one block: FSRCNN x3's head (9 phases) on lavapipe took 132 ms in one block and 158 ms in two.
        // On CPU devices a layer whose weights fit the uniform block takes blocks of up to CpuMaxUniformBlock channels
        // (see there); wider ones keep CpuMaxBlock, the subgroup weight broadcast's.
        int cpuBlock = _pointwise is not null ? Math.Max(CpuMaxBlock, _conv.OutChannels)
            : FitsUniformBlock(_conv, CpuMaxUniformBlock) ? CpuMaxUniformBlock : CpuMaxBlock;
        (_block, _stride) = ChannelBlocking(_conv.OutChannels, _conv.Groups, tuning.ConvChannelBlock ?? (cpu ? cpuBlock : 32));
        var act = _conv.Activation;
        var values = PadTo(_conv.Weights, _stride * (_conv.Weights.Length / _conv.OutChannels))
            .Concat(PadTo(_conv.Bias, _stride))
            .Concat(act.Slopes is null ? Array.Empty<float>() : PadTo(act.Slopes, _stride)).ToList();
        // The fused 1x1 convolution's weights [inC][its inputs], bias and slopes follow (conv2d.comp, IN_EXPAND).
        _expandBase = values.Count;
        if (_pointwise is { } pw)
        {
            values.AddRange(pw.Weights);
            values.AddRange(pw.Bias ?? new float[pw.OutChannels]);
            values.AddRange(pw.Activation.Slopes ?? Array.Empty<float>());
        }
        _params = UploadParameterBlock(values.ToArray(), out bool uniform);
        _maxPixels = tuning.ConvPixels is { } px && _conv.DilationX == 1
            ? px
            : PixelsPerInvocation(_conv, _block, cpu, _pointwise?.InChannels ?? 0, uniform);
        try
        {
            _constants = new Conv2dKernel.Constants
            {
                KernelH = _conv.KernelH, KernelW = _conv.KernelW, StrideY = _conv.StrideY, StrideX = _conv.StrideX,
                Padding = _conv.ReplicateBorder > 0 ? PadCode.BoundedReplicate : Codes.Of(_conv.PaddingMode),
                Border = _conv.ReplicateBorder, ChannelBlock = _block,
                Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B,
                Upsample = Codes.Of(_upsample?.Mode), AlignCorners = _upsample?.AlignCorners ?? false,
                Shuffle = Codes.Of(shuffle?.Order), ShuffleScale = shuffle?.Scale ?? 1,
                DilationY = _conv.DilationY, DilationX = _conv.DilationX, ParamsInUniform = uniform,
                PixelsPerInvocation = _maxPixels, Texels = false,
                Residual = _residual is not null, ResidualUpsample = Codes.Of(_residual?.Upsample?.Mode),
                ResidualAlignCorners = _residual?.Upsample?.AlignCorners ?? false, ResidualTexels = false,
                ResidualCrop = _residual?.Crop is not null,
                InputScale = _scales?.ScalesInput ?? false, ResidualScale = _scales?.ScalesResidual ?? false,
                InputExpand = _pointwise?.InChannels ?? 0, ExpandActivation = Codes.Of(_pointwise?.Activation ?? Activation.None),
                ExpandActivationA = _pointwise?.Activation.A ?? 0, ExpandActivationB = _pointwise?.Activation.B ?? 0,
                // Layers whose weights exceed the uniform block: see SubgroupWeightsFit.
                SubgroupWeights = cpu && !uniform && SubgroupWeightsFit(context.Traits, _block),
                BlocksFastest = cpu && !uniform && SubgroupWeightsFit(context.Traits, _block),
            };
            _pipeline = Conv2dKernel.Descriptor.Pipeline(context, _constants, Precision, Tuning.HalfArithmetic);
        }
        catch
        {
            _params.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var input = inputs[0].Shape;
        // With a fused 1x1 convolution the convolution reads its wide output, computed as it is read.
        var up = _pointwise?.OutputShape(input) ?? _upsample?.OutputShape(input) ?? input;
        var conv = _conv.OutputShape(up, Name);
        var scales = _upsample?.ShaderScales(input, up) ?? (1f, 1f);
        var periods = _upsample?.Periods(input, up) ?? (0, 0);
        var push = new Conv2dKernel.Push
        {
            InC = up.Channels, InH = input.Height, InW = input.Width, UpH = up.Height, UpW = up.Width,
            OutC = conv.Channels, OutH = conv.Height, OutW = conv.Width,
            PadTop = _conv.Padding.Top, PadLeft = _conv.Padding.Left, Groups = _conv.Groups,
            ScaleY = scales.Item1, ScaleX = scales.Item2, OcStride = _stride, PeriodY = periods.Item1, PeriodX = periods.Item2,
            ExpBase = _expandBase,
        };
        // Without a residual, binding 5 holds the input (read-only, never read) so that every binding is valid.
        var residual = _residual is null ? inputs[0] : inputs[1];
        bool residualWindow = false;
        if (_residual?.Upsample is { } ru)
        {
            var (sy, sx) = ru.ShaderScales(residual.Shape, output.Shape);
            var (py, px) = ru.Periods(residual.Shape, output.Shape);
            // A bicubic residual at the shuffle's own factor: one source window per channel (conv2d.comp, RES_WINDOW).
            residualWindow = ru is { Mode: UpsampleMode.Bicubic, AlignCorners: false } && _constants.Shuffle != ShuffleCode.None &&
                             py == _constants.ShuffleScale && px == _constants.ShuffleScale;
            push.ResH = residual.Shape.Height;
            push.ResW = residual.Shape.Width;
            (push.ResScaleY, push.ResScaleX, push.ResPeriodY, push.ResPeriodX) = (sy, sx, py, px);
        }
        if (_residual?.Crop is { } crop)
        {
            (push.ResH, push.ResW) = (residual.Shape.Height, residual.Shape.Width);
            (push.ResTop, push.ResLeft, push.ResChannel) = (crop.Top, crop.Left, crop.ChannelStart);
        }
        bool texels = ReadsTexels(inputs[0].Buffer, input.ElementCount);
        bool residualTexels = _residual is not null && ReadsTexels(residual.Buffer, residual.Shape.ElementCount);
        // Without scales, bindings 7 and 8 hold the input likewise.
        var inputScale = _scales is { ScalesInput: true } ? inputs[_scales.InputScaleIndex] : inputs[0];
        var residualScale = _scales is { ScalesResidual: true } ? inputs[_scales.ResidualScaleIndex] : inputs[0];
        bool scaleTexels = ReadsScaleTexels(inputs);
        int pixels = PixelsFor(conv.Width);
        residualWindow &= pixels > 1;
        long vectors = VectorTexels(inputs[0]);
        var pipeline = _pipeline;
        if (texels || residualTexels || residualWindow || vectors > 0 || scaleTexels || pixels != _maxPixels)
        {
            pipeline = Conv2dKernel.Descriptor.Pipeline(Context, _constants with
            {
                PixelsPerInvocation = pixels,
                Texels = texels,
                ResidualTexels = residualTexels,
                ResidualWindow = residualWindow,
                VectorTexels = vectors > 0,
                InputScaleTexels = scaleTexels,
            }, Precision, Tuning.HalfArithmetic);
        }
        var workgroup = Conv2dKernel.Descriptor.Workgroup;
        long columns = (conv.Width + pixels - 1) / pixels;
        long blocks = _stride / _block;
        // With BlocksFastest, workgroup x = tile * blocks + block (conv2d.comp): the column tiles' invocations
        // times the blocks along x, one along z.
        (long x, long z) = _constants.BlocksFastest
            ? ((columns + workgroup.X - 1) / workgroup.X * workgroup.X * blocks, 1)
            : (columns, blocks);
        return NewDispatch(pipeline, d => InputTexels(InputTexels(ConvolutionBindings(d, inputs[0], output, _params, texels, push),
                6, residual, residualTexels), 10, inputScale, scaleTexels)
            .VectorTexelsOrUnused(9, inputs[0].Buffer, vectors)
            .Buffer(5, residual.Buffer, write: false)
            .Buffer(7, inputScale.Buffer, write: false)
            .Buffer(8, residualScale.Buffer, write: false)
            .Cover(x, conv.Height, z, workgroup));
    }

    /// <summary>
    /// How many vec4 texels the shader reads <paramref name="input"/> as besides its R32F ones (conv2d.comp's VEC_TEXELS), or 0:
    /// float32 tensors read as they are stored (no fused upsample or 1x1 convolution), contiguous windows (dilation 1 along x),
    /// and padding the shader takes from the row's edge (not reflect); see <see cref="GpuLayer.ReadsVectorTexels"/>.
    /// Measured on lavapipe at 960x540 in paired runs: FSRCNN x2 at 1.15x and 1.18x ONNX Runtime's time -> 1.03x and 1.02x, the
    /// bundled subpixel_x2 at 1.13x and 1.05x -> 0.88x and 0.89x (README, Vector texel reads).
    /// A window wider than the input could pad past both its edges, where the shader takes one; those inputs keep R32F reads.
    /// </summary>
    internal long VectorTexels(GpuTensor input)
    {
        var shape = input.Shape;
        if (_upsample is not null || _pointwise is not null || _conv.DilationX != 1 || _constants.Padding == PadCode.Reflect)
        {
            return 0;
        }
        int window = (PixelsFor(_conv.OutputShape(shape, Name).Width) - 1) * _conv.StrideX + _conv.KernelW;
        return window <= shape.Width ? ReadsVectorTexels(input.Buffer, shape.ElementCount) : 0;
    }

    /// <summary>
    /// Whether the shader reads the input's channel factors (<see cref="ChannelScaledConvSpec.ScalesInput"/>) as texels (conv2d.comp's
    /// IN_SCALE_TEXELS): on CPU devices, for a factor tensor whose buffer allows a texel view (see <see cref="GpuLayer.ReadsTexels"/>).
    /// </summary>
    internal bool ReadsScaleTexels(IReadOnlyList<GpuTensor> inputs) =>
        _scales is { ScalesInput: true } && inputs[_scales.InputScaleIndex] is var scale && ReadsTexels(scale.Buffer, scale.Shape.ElementCount);

    /// <summary>The most output pixels per invocation (the shader's PX before a CPU device fits it to a width) and the channel block.</summary>
    internal (int Pixels, int Block) Shape => (_maxPixels, _block);

    /// <summary>Output pixels per invocation for an output <paramref name="width"/> wide: GPUs keep the layer's own count; CPU devices fit it to the width.</summary>
    private int PixelsFor(int width) => Tuning.CpuStyle ? PixelsForWidth(_maxPixels, width) : _maxPixels;

    /// <summary>
    /// Whether the weights can be read once per subgroup and broadcast (conv2d.comp's SUBGROUP_WEIGHTS): the
    /// device offers subgroupBroadcast, and a subgroup is one row of the workgroup (its lanes share the row and
    /// so every loop bound) with a lane for each of the <paramref name="block"/> channels. CPU devices use it,
    /// with the channel blocks as the fastest workgroup index (BLOCKS_FASTEST), for layers whose weights are
    /// read from the storage buffer (more than the 64 KiB uniform block: waifu2x's 32 -> 64 channels and up),
    /// where lavapipe loads a storage-buffer element per lane in a loop: measured there in paired runs (3x3 layers,
    /// 256x128), 32 -> 64 to 128 -> 256 channels 11 to 19% faster. Layers with uniform-block weights (a gather per
    /// weight) measured 5 to 15% slower with it, and the channel-block order alone made no difference, so
    /// both stay off there. GPUs (subgroups wider than a workgroup row) keep their per-invocation reads.
    /// </summary>
    internal static bool SubgroupWeightsFit(DeviceTraits traits, int block) =>
        traits.SubgroupBroadcast && traits.SubgroupSize == Conv2dKernel.Descriptor.Workgroup.X && block <= traits.SubgroupSize;

    /// <summary>
    /// Output channels per invocation on CPU devices, at most. Measured on lavapipe (3x3, 32 -> 32, 480x270):
    /// 8 channels of 32 pixels ran in 60 ms, 16 of 16 in 66 ms, 16 of 8 (the former choice) in 82 ms, 32 of 8 in
    /// 110 ms: on a CPU device a texel gather and the loop around it cost more than a spilled accumulator, so
    /// long rows of pixels win over many channels.
    /// </summary>
    internal const int CpuMaxBlock = 8;

    /// <summary>
    /// Output channels per invocation on CPU devices, at most, for a layer whose weights fit the uniform block (read by
    /// a gather per weight, not broadcast across a subgroup): FSRCNN x2's 3x3 12 -> 12 layers at 960x540 on lavapipe
    /// took 38.7 ms as one block of 12 channels (32 pixels, 384 accumulators) against 43.5 ms as two of 6, each input
    /// texel then gathered once instead of twice (one block of 12 with 16 pixels, 256 accumulators: 47.5 ms).
    /// </summary>
    internal const int CpuMaxUniformBlock = 12;

    /// <summary>Whether the layer's parameters, its output channels padded to blocks of at most <paramref name="maxBlock"/>, fit the uniform block.</summary>
    private static bool FitsUniformBlock(Conv2dSpec conv, int maxBlock)
    {
        var (_, stride) = ChannelBlocking(conv.OutChannels, conv.Groups, maxBlock);
        long values = (long)stride * (conv.Weights.Length / conv.OutChannels + 2);
        return values * sizeof(float) <= UniformBlockBytes;
    }

    /// <summary>
    /// Output pixels per invocation along x (the shader's PX; only for dilation 1 along x). They share each input
    /// load (strided ones where their windows overlap), and each weight load feeds PX multiply-adds (lavapipe,
    /// Real-CUGAN's 2x2 stride-2 convolutions at 1.7 GMAC/s with one pixel per invocation). On CPU devices, where a load costs
    /// a gather and accumulators spill cheaply to the stack, up to 256 accumulators (lavapipe, FSRCNN x2 at
    /// 960x540: 553 ms at 256 against 642 ms at 128 with the same channel blocks), 384 for weights in the uniform
    /// block (see <see cref="CpuMaxUniformBlock"/>), and an unrolled inner loop of at
    /// most ~1200 multiply-adds (2000 made the 5x5 layers slower); on GPUs, where registers set occupancy, at
    /// most 64 accumulators and only for kernels 5 wide or more. A fused 1x1 convolution of <paramref name="expand"/>
    /// stored channels (<see cref="PointwiseConvSpec"/>) adds its multiply-adds per window row to the unrolled loop, and
    /// longer rows share that window's work across more pixels: FSRCNN x2's head at 960x540 on lavapipe (same session)
    /// took 195, 158, 154 and 142 ms at 16, 24, 32 and 40 pixels and 172 ms at 60, and x3's (9 channels in one block)
    /// 152, 135 and 132 ms at 16, 20 and 28 (and 122 ms at 35, x4's 232 -> 212 ms at 22 pixels instead of 16, with
    /// 384 accumulators instead of 256); so it takes the most pixels up to 40 that keep 384 accumulators and an
    /// unrolled loop of at most 1400 multiply-adds. On GPUs a fused 1x1 takes 4 pixels whatever the kernel (its held
    /// channels computed KH (KW + 3) / 4 times instead of KH KW times with one pixel; not measured there yet).
    /// </summary>
    internal static int PixelsPerInvocation(Conv2dSpec conv, int block, bool cpu, int expand = 0, bool uniform = false)
    {
        if (conv.DilationX != 1 || (!cpu && conv.StrideX != 1))
        {
            return 1; // strided rows on GPUs: not measured there
        }
        if (!cpu)
        {
            return expand > 0 || conv.KernelW >= 5 ? (block <= 16 ? 4 : block <= 32 ? 2 : 1) : 1;
        }
        if (expand > 0)
        {
            int held = Math.Max(1, Math.Min(40, 384 / block));
            while (held > 1 && conv.KernelW * block * held + expand * ((held - 1) * conv.StrideX + conv.KernelW) > 1400)
            {
                held--;
            }
            return held;
        }
        // Weights in the uniform block (blocks of up to 12 channels): up to 384 accumulators, so that a block of 12
        // keeps 32 pixels (FSRCNN's 3x3 12 -> 12 layers); weights in the storage buffer: up to 256.
        int accumulators = uniform ? 384 : 256;
        int px = 32;
        while (px > 1 && (block * px > accumulators || conv.KernelW * block * px > 1200))
        {
            px /= 2;
        }
        return px;
    }

    /// <summary>
    /// Pixels per invocation on CPU devices for an output <paramref name="width"/> wide, at most <paramref name="maxPixels"/>:
    /// a row of a workgroup's invocations covers (workgroup width) x PX columns, and the columns past the image are
    /// wasted SIMD lanes, so narrow images take fewer. Minimises the cost per useful pixel, modelled on lavapipe measurements as
    /// (1 + 2.4 / PX) / (fraction of the covered columns inside the image). Any count up to the maximum, not only
    /// powers of two: a 156-column layer takes 20 (160 columns covered) where the powers of two left a choice
    /// between 8 (192) and 32 (256); Real-CUGAN se x2 on a 320x272 tile, whose low-resolution layers are that narrow,
    /// went from 6.78 to 4.89 s of GPU time on lavapipe (its 128 -> 256 layer 766 -> 389 ms).
    /// </summary>
    internal static int PixelsForWidth(int maxPixels, int width) => BestForWidth(maxPixels, width).Pixels;

    /// <summary>The pixels per invocation <see cref="PixelsForWidth"/> chooses, and the modelled cost per useful pixel.</summary>
    internal static (int Pixels, double Cost) BestForWidth(int maxPixels, int width)
    {
        long row = Conv2dKernel.Descriptor.Workgroup.X;
        int best = 1;
        double bestCost = double.MaxValue;
        for (int px = 1; px <= maxPixels; px++)
        {
            long covered = (width + row * px - 1) / (row * px) * row * px;
            double cost = (1 + 2.4 / px) * covered / width;
            if (cost < bestCost - 1e-9)
            {
                (best, bestCost) = (px, cost);
            }
        }
        return (best, bestCost);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}
