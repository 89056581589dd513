using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// Runs shaders/conv2d.comp for a <see cref="Conv2dSpec"/>, a <see cref="ResizeConvSpec"/> (upsample fused
/// before), a <see cref="SubPixelConvSpec"/> (pixel shuffle fused after) or a <see cref="BlurPoolSpec"/>
/// (a fixed depthwise binomial convolution).
/// </summary>
public sealed class Conv2dLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformBuffer },
        (uint)Marshal.SizeOf<Push>());

    private readonly Conv2dSpec _conv;
    private readonly UpsampleSpec? _upsample;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _block;
    private readonly int _stride;
    private readonly int _pixels;

    internal Conv2dLayer(GpuContext context, LayerSpec spec, string name) : base(context, spec, name)
    {
        (_conv, _upsample, var shuffle) = spec switch
        {
            Conv2dSpec c => (c, (UpsampleSpec?)null, (PixelShuffleSpec?)null),
            ResizeConvSpec r => (r.Conv, r.Upsample, null),
            SubPixelConvSpec s => (s.Conv, null, s.Shuffle),
            BlurPoolSpec b => (b.ToConv2d(), null, null),
            _ => throw new ArgumentException($"Layer '{name}': {spec.GetType().Name} is not a convolution."),
        };
        (_block, _stride) = ChannelBlocking(_conv.OutChannels, _conv.Groups);
        var act = _conv.Activation;
        int perChannel = _conv.Weights.Length / _conv.OutChannels;
        var values = PadTo(_conv.Weights, _stride * perChannel)
            .Concat(PadTo(_conv.Bias, _stride))
            .Concat(act.Slopes is null ? Array.Empty<float>() : PadTo(act.Slopes, _stride)).ToArray();
        _params = UploadParameterBlock(values, out bool uniform);
        // Several output pixels per invocation share their input loads; keep the accumulators within 64.
        _pixels = _conv.StrideX == 1 && _conv.DilationX == 1 && _conv.KernelW >= 5 ? (_block <= 16 ? 4 : _block <= 32 ? 2 : 1) : 1;
        try
        {
            uint[] constants =
            {
                (uint)_conv.KernelH, (uint)_conv.KernelW, (uint)_conv.StrideY, (uint)_conv.StrideX,
                _conv.ReplicateBorder > 0 ? 3u : (uint)_conv.PaddingMode, (uint)_block, (uint)act.ShaderCode, Shaders.Bits(act.A), Shaders.Bits(act.B),
                _upsample is null ? 0u : (uint)_upsample.Mode + 1, Shaders.Bits(_upsample?.AlignCorners ?? false),
                shuffle is null ? 0u : (uint)shuffle.Order + 1, (uint)(shuffle?.Scale ?? 1),
                (uint)_conv.DilationY, (uint)_conv.DilationX, Shaders.Bits(uniform), (uint)_pixels,
                (uint)_conv.ReplicateBorder,
            };
            _pipeline = context.Pipelines.Get(Shaders.Get("conv2d"), constants, Layout);
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
        var up = _upsample?.OutputShape(input) ?? input;
        var conv = _conv.OutputShape(up, Name);
        var scales = _upsample?.ShaderScales(input, up) ?? (1f, 1f);
        var periods = _upsample?.Periods(input, up) ?? (0, 0);
        var push = new Push
        {
            InC = input.Channels, InH = input.Height, InW = input.Width, UpH = up.Height, UpW = up.Width,
            OutC = conv.Channels, OutH = conv.Height, OutW = conv.Width,
            PadTop = _conv.Padding.Top, PadLeft = _conv.Padding.Left, Groups = _conv.Groups,
            ScaleY = scales.Item1, ScaleX = scales.Item2, OcStride = _stride, PeriodY = periods.Item1, PeriodX = periods.Item2,
        };
        var dispatch = new ComputeDispatch(Context, _pipeline, Name);
        return dispatch
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Buffer(2, _params, write: false)
            .Buffer(3, _params, write: false)
            .Push(push)
            .Cover((conv.Width + _pixels - 1) / _pixels, conv.Height, _stride / _block, 8, 8, 1);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();

    [StructLayout(LayoutKind.Sequential)]
    private struct Push
    {
        public int InC, InH, InW, UpH, UpW, OutC, OutH, OutW, PadTop, PadLeft, Groups;
        public float ScaleY, ScaleX;
        public int OcStride;
        public int PeriodY, PeriodX;
    }
}
