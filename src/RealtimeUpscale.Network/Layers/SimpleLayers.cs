using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/pixel_shuffle.comp (depth to space, CRD or DCR).</summary>
public sealed class PixelShuffleLayer : GpuLayer
{
    private readonly ComputePipeline _pipeline;

    internal PixelShuffleLayer(GpuContext context, PixelShuffleSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _pipeline = PixelShuffleKernel.Descriptor.Pipeline(context,
            new PixelShuffleKernel.Constants { Scale = spec.Scale, Order = Codes.Of(spec.Order) }, Precision);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(new PixelShuffleKernel.Push { OutC = o.Channels, InH = i.Height, InW = i.Width })
            .Cover(o.Width, o.Height, o.Channels, PixelShuffleKernel.Descriptor.Workgroup);
    }
}

/// <summary>Runs shaders/upsample.comp (nearest, bilinear or bicubic, PyTorch's definitions).</summary>
public sealed class UpsampleLayer : GpuLayer
{
    private readonly UpsampleSpec _spec;
    private readonly ComputePipeline _pipeline;

    internal UpsampleLayer(GpuContext context, UpsampleSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _spec = spec;
        _pipeline = Pipeline(texels: false);
    }

    private ComputePipeline Pipeline(bool texels) => UpsampleKernel.Descriptor.Pipeline(Context,
        new UpsampleKernel.Constants { Mode = Codes.Of(_spec.Mode), AlignCorners = _spec.AlignCorners, Texels = texels }, Precision);

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var (sy, sx) = _spec.ShaderScales(i, o);
        var (py, px) = _spec.Periods(i, o);
        var push = new UpsampleKernel.Push
        {
            Channels = i.Channels, InH = i.Height, InW = i.Width, OutH = o.Height, OutW = o.Width, ScaleY = sy, ScaleX = sx,
            PeriodY = py, PeriodX = px,
        };
        bool texels = ReadsTexels(inputs[0].Buffer, i.ElementCount);
        return NewDispatch(texels ? Pipeline(texels: true) : _pipeline, d => InputTexels(d, 2, inputs[0], texels)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(push)
            .Cover(o.Width, o.Height, o.Channels, UpsampleKernel.Descriptor.Workgroup));
    }
}

/// <summary>Runs shaders/elementwise.comp for <see cref="BinarySpec"/> and <see cref="ScaleBiasSpec"/>.</summary>
public sealed class ElementwiseLayer : GpuLayer
{
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _slopeBase;
    private readonly bool _isBinary;

    internal ElementwiseLayer(GpuContext context, LayerSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        Activation act;
        var op = ElementwiseOp.ScaleBias;
        if (spec is BinarySpec binary)
        {
            _isBinary = true;
            op = Codes.Of(binary.Operator);
            act = binary.Activation;
            _params = UploadParameters(act.Slopes);
            _slopeBase = 0;
        }
        else
        {
            var sb = (ScaleBiasSpec)spec;
            act = sb.Activation;
            _params = UploadParameters(sb.Scale, sb.Bias, act.Slopes);
            _slopeBase = 2 * sb.Channels;
        }
        try
        {
            _pipeline = ElementwiseKernel.Descriptor.Pipeline(context, new ElementwiseKernel.Constants
            {
                Op = op, Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B,
            }, Precision);
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
        var s = output.Shape;
        var b = _isBinary ? inputs[1] : inputs[0]; // scale-bias does not read binding 1
        var (acs, aps) = Strides(inputs[0].Shape, s);
        var (bcs, bps) = Strides(b.Shape, s);
        var push = new ElementwiseKernel.Push
        {
            Channels = s.Channels, PlaneSize = s.Height * s.Width, SlopeBase = _slopeBase,
            AChannelStride = acs, APixelStride = aps, BChannelStride = bcs, BPixelStride = bps,
        };
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, b.Buffer, write: false)
            .Buffer(2, _params, write: false)
            .Buffer(3, output.Buffer, write: true)
            .Push(push)
            .CoverLinear(s.ElementCount, ElementwiseKernel.Descriptor.Workgroup);
    }

    /// <summary>Strides per output channel and pixel of an input broadcast to the output (BinarySpec's rules).</summary>
    private static (int Channel, int Pixel) Strides(TensorShape input, TensorShape output)
    {
        bool onePixel = input.Height * input.Width == 1;
        int channel = input.Channels == 1 && output.Channels != 1 ? 0 : input.Height * input.Width;
        return (channel, onePixel ? 0 : 1);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}

/// <summary>Runs shaders/crop.comp for <see cref="CropSpec"/> and <see cref="CropToSpec"/> (whose output shape is its reference's).</summary>
public sealed class CropLayer : GpuLayer
{
    private readonly (int Top, int Left, int ChannelStart) _origin;
    private readonly ComputePipeline _pipeline;

    internal CropLayer(GpuContext context, LayerSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _origin = spec switch
        {
            CropSpec c => (c.Top, c.Left, c.ChannelStart),
            CropToSpec t => (t.Top, t.Left, t.ChannelStart),
            _ => throw new ArgumentException($"Layer '{name}': a crop layer runs CropSpec or CropToSpec, not {spec.GetType().Name}."),
        };
        _pipeline = CropKernel.Descriptor.Pipeline(context, Precision);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var push = new CropKernel.Push
        {
            InH = i.Height, InW = i.Width, C0 = _origin.ChannelStart, Y0 = _origin.Top, X0 = _origin.Left,
            OutC = o.Channels, OutH = o.Height, OutW = o.Width,
        };
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(push)
            .Cover(o.Width, o.Height, o.Channels, CropKernel.Descriptor.Workgroup);
    }
}

/// <summary>Runs shaders/concat.comp.</summary>
public sealed class ConcatLayer : GpuLayer
{
    private readonly ComputePipeline _pipeline;

    internal ConcatLayer(GpuContext context, ConcatSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _pipeline = ConcatKernel.Descriptor.Pipeline(context, Precision);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var a = inputs[0].Shape;
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, inputs[1].Buffer, write: false)
            .Buffer(2, output.Buffer, write: true)
            .Push(new ConcatKernel.Push { AChannels = a.Channels, BChannels = inputs[1].Shape.Channels, PlaneSize = a.Height * a.Width })
            .CoverLinear(output.Shape.ElementCount, ConcatKernel.Descriptor.Workgroup);
    }
}
