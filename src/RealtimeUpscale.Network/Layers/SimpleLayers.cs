using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/pixel_shuffle.comp (depth to space, CRD or DCR).</summary>
public sealed class PixelShuffleLayer : GpuLayer
{
    private readonly ComputePipeline _pipeline;

    internal PixelShuffleLayer(GpuContext context, PixelShuffleSpec spec, string name) : base(context, spec, name)
    {
        _pipeline = PixelShuffleKernel.Descriptor.Pipeline(context,
            new PixelShuffleKernel.Constants { Scale = spec.Scale, Order = Codes.Of(spec.Order) });
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
        new UpsampleKernel.Constants { Mode = Codes.Of(_spec.Mode), AlignCorners = _spec.AlignCorners, Texels = texels });

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

    internal ElementwiseLayer(GpuContext context, LayerSpec spec, string name) : base(context, spec, name)
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
            });
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
        var b = _isBinary ? inputs[1].Buffer : inputs[0].Buffer; // scale-bias does not read binding 1
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, b, write: false)
            .Buffer(2, _params, write: false)
            .Buffer(3, output.Buffer, write: true)
            .Push(new ElementwiseKernel.Push { Channels = s.Channels, PlaneSize = s.Height * s.Width, SlopeBase = _slopeBase })
            .CoverLinear(s.ElementCount, ElementwiseKernel.Descriptor.Workgroup);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}

/// <summary>Runs shaders/crop.comp.</summary>
public sealed class CropLayer : GpuLayer
{
    private readonly CropSpec _spec;
    private readonly ComputePipeline _pipeline;

    internal CropLayer(GpuContext context, CropSpec spec, string name) : base(context, spec, name)
    {
        _spec = spec;
        _pipeline = CropKernel.Descriptor.Pipeline(context);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var push = new CropKernel.Push
        {
            InH = i.Height, InW = i.Width, C0 = _spec.ChannelStart, Y0 = _spec.Top, X0 = _spec.Left,
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

    internal ConcatLayer(GpuContext context, ConcatSpec spec, string name) : base(context, spec, name)
    {
        _pipeline = ConcatKernel.Descriptor.Pipeline(context);
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
