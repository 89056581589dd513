using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/deconv2d.comp (transposed convolution by gathering) for a <see cref="ConvTranspose2dSpec"/>.</summary>
public sealed class ConvTranspose2dLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer },
        (uint)Marshal.SizeOf<Push>());

    private readonly ConvTranspose2dSpec _spec;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _block;

    internal ConvTranspose2dLayer(GpuContext context, ConvTranspose2dSpec spec, string name) : base(context, spec, name)
    {
        _spec = spec;
        _block = ChannelBlock(spec.OutChannels / spec.Groups);
        var act = spec.Activation;
        _params = UploadParameters(spec.Weights, spec.Bias ?? new float[spec.OutChannels], act.Slopes);
        try
        {
            uint[] constants =
            {
                (uint)spec.KernelH, (uint)spec.KernelW, (uint)spec.StrideY, (uint)spec.StrideX, (uint)_block,
                (uint)act.ShaderCode, Shaders.Bits(act.A), Shaders.Bits(act.B), (uint)spec.InputPaddingMode,
            };
            _pipeline = context.Pipelines.Get(Shaders.Get("deconv2d"), constants, Layout);
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
        var push = new Push
        {
            InC = i.Channels, InH = i.Height, InW = i.Width, OutC = o.Channels, OutH = o.Height, OutW = o.Width,
            PadTop = _spec.Padding.Top, PadLeft = _spec.Padding.Left, Groups = _spec.Groups,
            InPadTop = _spec.InputPadding.Top, InPadLeft = _spec.InputPadding.Left,
            InPadH = i.Height + _spec.InputPadding.Top + _spec.InputPadding.Bottom,
            InPadW = i.Width + _spec.InputPadding.Left + _spec.InputPadding.Right,
        };
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Buffer(2, _params, write: false)
            .Push(push)
            .Cover(o.Width, o.Height, o.Channels / _block, 8, 8, 1);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();

    [StructLayout(LayoutKind.Sequential)]
    private struct Push
    {
        public int InC, InH, InW, OutC, OutH, OutW, PadTop, PadLeft, Groups, InPadTop, InPadLeft, InPadH, InPadW;
    }
}
