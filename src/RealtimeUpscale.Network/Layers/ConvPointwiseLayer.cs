using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// Runs shaders/conv_pointwise.comp for a <see cref="ConvPointwiseSpec"/>: a convolution and the 1x1 convolution
/// of its output in one pass, the intermediate channels never stored.
/// </summary>
public sealed class ConvPointwiseLayer : GpuLayer
{
    private readonly ConvPointwiseSpec _spec;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _midStride;
    private readonly int _outStride;
    private readonly int _maxPixels;
    private readonly (int ConvBias, int ConvSlopes, int PointwiseWeights, int PointwiseBias, int PointwiseSlopes) _offsets;
    private readonly ConvPointwiseKernel.Constants _constants;

    internal ConvPointwiseLayer(GpuContext context, ConvPointwiseSpec spec, string name, KernelTuning tuning)
        : base(context, spec, name, tuning)
    {
        _spec = spec;
        var (conv, pw) = (spec.Conv, spec.Pointwise);
        int mid = conv.OutChannels, outC = pw.OutChannels;
        int maxBlock = tuning.CpuStyle ? Conv2dLayer.CpuMaxBlock : 16;
        // One side whole, the other in blocks (see the shader): the smaller side is held.
        int midBlock, outBlock;
        if (outC <= mid)
        {
            (outBlock, _outStride) = (outC, outC);
            (midBlock, _midStride) = ChannelBlocking(mid, 1, maxBlock);
        }
        else
        {
            (midBlock, _midStride) = (mid, mid);
            (outBlock, _outStride) = ChannelBlocking(outC, 1, maxBlock);
        }

        // Parameters: conv weights [midStride][inC][KH][KW], conv bias, conv slopes, 1x1 weights
        // [outStride][midStride] (each row padded from mid to midStride), 1x1 bias, 1x1 slopes.
        int wPerMid = conv.InChannels * conv.KernelH * conv.KernelW;
        var values = new List<float>(PadTo(conv.Weights, _midStride * wPerMid));
        int convBias = values.Count;
        values.AddRange(PadTo(conv.Bias, _midStride));
        int convSlopes = values.Count;
        values.AddRange(conv.Activation.Slopes is { } s1 ? PadTo(s1, _midStride) : Array.Empty<float>());
        int pwWeights = values.Count;
        var rows = new float[_outStride * _midStride];
        for (int o = 0; o < outC; o++)
        {
            Array.Copy(pw.Weights, o * mid, rows, o * _midStride, mid);
        }
        values.AddRange(rows);
        int pwBias = values.Count;
        values.AddRange(PadTo(pw.Bias, _outStride));
        int pwSlopes = values.Count;
        values.AddRange(pw.Activation.Slopes is { } s2 ? PadTo(s2, _outStride) : Array.Empty<float>());
        _offsets = (convBias, convSlopes, pwWeights, pwBias, pwSlopes);
        _params = UploadParameterBlock(values.ToArray(), out bool uniform);
        _maxPixels = PixelsPerInvocation(midBlock, outBlock, tuning.CpuStyle);
        try
        {
            _constants = new ConvPointwiseKernel.Constants
            {
                KernelH = conv.KernelH, KernelW = conv.KernelW,
                Padding = conv.ReplicateBorder > 0 ? PadCode.BoundedReplicate : Codes.Of(conv.PaddingMode), Border = conv.ReplicateBorder,
                MidBlock = midBlock, OutBlock = outBlock,
                Activation = Codes.Of(conv.Activation), ActivationA = conv.Activation.A, ActivationB = conv.Activation.B,
                PointwiseActivation = Codes.Of(pw.Activation), PointwiseActivationA = pw.Activation.A, PointwiseActivationB = pw.Activation.B,
                ParamsInUniform = uniform, PixelsPerInvocation = _maxPixels, Texels = false,
                // One input channel read again by every mid block (FSRCNN's first layer): its window rows are held.
                HoldInput = conv.InChannels == 1 && _midStride > midBlock,
            };
            _pipeline = ConvPointwiseKernel.Descriptor.Pipeline(context, _constants, Precision, Tuning.HalfArithmetic);
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
        var shape = output.Shape;
        var push = new ConvPointwiseKernel.Push
        {
            InC = input.Channels, InH = input.Height, InW = input.Width,
            OutC = shape.Channels, OutH = shape.Height, OutW = shape.Width,
            PadTop = _spec.Conv.Padding.Top, PadLeft = _spec.Conv.Padding.Left,
            MidStride = _midStride, OutStride = _outStride,
            ConvBias = _offsets.ConvBias, ConvSlopes = _offsets.ConvSlopes,
            PointwiseWeights = _offsets.PointwiseWeights, PointwiseBias = _offsets.PointwiseBias, PointwiseSlopes = _offsets.PointwiseSlopes,
        };
        bool texels = ReadsTexels(inputs[0].Buffer, input.ElementCount);
        int pixels = Tuning.CpuStyle ? Conv2dLayer.PixelsForWidth(_maxPixels, shape.Width) : _maxPixels;
        var pipeline = _pipeline;
        if (texels || pixels != _maxPixels)
        {
            pipeline = ConvPointwiseKernel.Descriptor.Pipeline(Context, _constants with { PixelsPerInvocation = pixels, Texels = texels }, Precision, Tuning.HalfArithmetic);
        }
        return NewDispatch(pipeline, d => ConvolutionBindings(d, inputs[0], output, _params, texels, push)
            .Cover((shape.Width + pixels - 1) / pixels, shape.Height, 1, ConvPointwiseKernel.Descriptor.Workgroup));
    }

    /// <summary>
    /// Output pixels per invocation along x, counting the mid block's and the output block's accumulators together.
    /// On CPU devices the most pixels up to 40 that keep 800 accumulators: wider rows share each weight load, which a
    /// CPU device gathers, across more pixels, and the accumulators spill cheaply to the stack. FSRCNN x2's conv1 +
    /// conv2 at 960x540 on lavapipe (8 mid channels, 12 outputs; pixels fitted to the width as the layer does) took
    /// 126, 116, 105, 100, 95 and 90 ms at 12, 16, 20, 24, 30 and 40 pixels and 101 ms at 60, in one session, and with
    /// 4 or 14 mid channels at 40 pixels 99 and 104 ms; FSRCNN-s x2's 59 ms at 16 pixels and 46 ms at 40. On GPUs,
    /// where registers set occupancy, at most 64 accumulators.
    /// </summary>
    internal static int PixelsPerInvocation(int midBlock, int outBlock, bool cpu)
    {
        if (cpu)
        {
            return Math.Clamp(800 / (midBlock + outBlock), 1, 40);
        }
        int px = 16;
        while (px > 1 && (midBlock + outBlock) * px > 64)
        {
            px /= 2;
        }
        return px;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}
