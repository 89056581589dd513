using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/deconv2d.comp (transposed convolution by gathering) for a <see cref="ConvTranspose2dSpec"/>.</summary>
public sealed class ConvTranspose2dLayer : GpuLayer
{
    /// <summary>Output pixels each invocation computes along x (the shader's PX).</summary>
    private const int PixelsPerInvocation = 4;

    private readonly ConvTranspose2dSpec _spec;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _block;
    private readonly int _stride;
    private readonly Deconv2dKernel.Constants _constants;

    internal ConvTranspose2dLayer(GpuContext context, ConvTranspose2dSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _spec = spec;
        var (block, stride) = ChannelBlocking(spec.OutChannels, spec.Groups, maxBlock: 8);
        _block = block;
        _stride = spec.Groups == 1 ? stride : spec.OutChannels / spec.Groups; // padded channels per group
        var act = spec.Activation;
        int k = spec.KernelH * spec.KernelW, perGroup = spec.OutChannels / spec.Groups;
        var weights = new float[spec.InChannels * _stride * k];
        for (int ic = 0; ic < spec.InChannels; ic++)
        {
            Array.Copy(spec.Weights, ic * perGroup * k, weights, ic * _stride * k, perGroup * k);
        }
        var values = weights.Concat(PadTo(spec.Bias, spec.OutChannels))
            .Concat(act.Slopes ?? Array.Empty<float>()).ToArray();
        _params = UploadParameterBlock(values, out bool uniform);
        try
        {
            _constants = new Deconv2dKernel.Constants
            {
                KernelH = spec.KernelH, KernelW = spec.KernelW, StrideY = spec.StrideY, StrideX = spec.StrideX,
                ChannelBlock = _block, Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B,
                InputPadding = Codes.Of(spec.InputPaddingMode), ParamsInUniform = uniform,
                PixelsPerInvocation = PixelsPerInvocation, Texels = false,
            };
            _pipeline = Deconv2dKernel.Descriptor.Pipeline(context, _constants, Precision, Tuning.HalfArithmetic);
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
        var i = inputs[0].Shape;
        var o = output.Shape;
        var push = new Deconv2dKernel.Push
        {
            InC = i.Channels, InH = i.Height, InW = i.Width, OutC = o.Channels, OutH = o.Height, OutW = o.Width,
            PadTop = _spec.Padding.Top, PadLeft = _spec.Padding.Left, Groups = _spec.Groups,
            InPadTop = _spec.InputPadding.Top, InPadLeft = _spec.InputPadding.Left,
            InPadH = i.Height + _spec.InputPadding.Top + _spec.InputPadding.Bottom,
            InPadW = i.Width + _spec.InputPadding.Left + _spec.InputPadding.Right, OcStride = _stride,
        };
        bool texels = ReadsTexels(inputs[0].Buffer, i.ElementCount);
        var pipeline = _pipeline;
        if (texels)
        {
            pipeline = Deconv2dKernel.Descriptor.Pipeline(Context, _constants with { Texels = true }, Precision, Tuning.HalfArithmetic);
        }
        return NewDispatch(pipeline, d => ConvolutionBindings(d, inputs[0], output, _params, texels, push)
            // Phase-major: one z slice per (channel block, output phase); x and y step over phase positions.
            .Cover(((o.Width + _spec.StrideX - 1) / _spec.StrideX + PixelsPerInvocation - 1) / PixelsPerInvocation, (o.Height + _spec.StrideY - 1) / _spec.StrideY,
                (long)(_spec.Groups == 1 ? _stride / _block : o.Channels / _block) * _spec.StrideY * _spec.StrideX, Deconv2dKernel.Descriptor.Workgroup));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}
