using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/pixel_shuffle.comp (depth to space, CRD or DCR).</summary>
public sealed class PixelShuffleLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer }, 12);

    private readonly ComputePipeline _pipeline;

    internal PixelShuffleLayer(GpuContext context, PixelShuffleSpec spec, string name) : base(context, spec, name)
    {
        _pipeline = context.Pipelines.Get(Shaders.Get("pixel_shuffle"), new[] { (uint)spec.Scale, (uint)spec.Order }, Layout);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(new Int3(o.Channels, i.Height, i.Width))
            .Cover(o.Width, o.Height, o.Channels, 8, 8, 1);
    }
}

/// <summary>Runs shaders/upsample.comp (nearest, bilinear or bicubic, PyTorch's definitions).</summary>
public sealed class UpsampleLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer },
        (uint)Marshal.SizeOf<Push>());

    private readonly UpsampleSpec _spec;
    private readonly ComputePipeline _pipeline;

    internal UpsampleLayer(GpuContext context, UpsampleSpec spec, string name) : base(context, spec, name)
    {
        _spec = spec;
        _pipeline = Pipeline(texels: false);
    }

    private ComputePipeline Pipeline(bool texels) => Context.Pipelines.Get(Shaders.Get("upsample"),
        new[] { (uint)_spec.Mode + 1, Shaders.Bits(_spec.AlignCorners), Shaders.Bits(texels) }, Layout);

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var (sy, sx) = _spec.ShaderScales(i, o);
        var (py, px) = _spec.Periods(i, o);
        var push = new Push
        {
            Channels = i.Channels, InH = i.Height, InW = i.Width, OutH = o.Height, OutW = o.Width, ScaleY = sy, ScaleX = sx,
            PeriodY = py, PeriodX = px,
        };
        bool texels = ReadsTexels(Context, inputs[0].Buffer, i.ElementCount);
        return NewDispatch(texels ? Pipeline(texels: true) : _pipeline, d => InputTexels(d, 2, inputs[0], texels)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(push)
            .Cover(o.Width, o.Height, o.Channels, 8, 8, 1));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Push
    {
        public int Channels, InH, InW, OutH, OutW;
        public float ScaleY, ScaleX;
        public int PeriodY, PeriodX;
    }
}

/// <summary>Runs shaders/elementwise.comp for <see cref="BinarySpec"/> and <see cref="ScaleBiasSpec"/>.</summary>
public sealed class ElementwiseLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer }, 12);

    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;
    private readonly int _slopeBase;
    private readonly bool _isBinary;

    internal ElementwiseLayer(GpuContext context, LayerSpec spec, string name) : base(context, spec, name)
    {
        Activation act;
        uint op = 1;
        if (spec is BinarySpec binary)
        {
            _isBinary = true;
            op = binary.Operator switch
            {
                BinaryOperator.Add => 0u,
                BinaryOperator.Sub => 2u,
                BinaryOperator.Mul => 3u,
                _ => 4u,
            };
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
            _pipeline = context.Pipelines.Get(Shaders.Get("elementwise"),
                new[] { op, (uint)act.ShaderCode, Shaders.Bits(act.A), Shaders.Bits(act.B) }, Layout);
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
            .Push(new Int3(s.Channels, s.Height * s.Width, _slopeBase))
            .CoverLinear(s.ElementCount, 64);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}

/// <summary>Runs shaders/crop.comp.</summary>
public sealed class CropLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer }, (uint)Marshal.SizeOf<Push>());

    private readonly CropSpec _spec;
    private readonly ComputePipeline _pipeline;

    internal CropLayer(GpuContext context, CropSpec spec, string name) : base(context, spec, name)
    {
        _spec = spec;
        _pipeline = context.Pipelines.Get(Shaders.Get("crop"), ReadOnlySpan<uint>.Empty, Layout);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var push = new Push
        {
            InH = i.Height, InW = i.Width, C0 = _spec.ChannelStart, Y0 = _spec.Top, X0 = _spec.Left,
            OutC = o.Channels, OutH = o.Height, OutW = o.Width,
        };
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, output.Buffer, write: true)
            .Push(push)
            .Cover(o.Width, o.Height, o.Channels, 8, 8, 1);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Push
    {
        public int InH, InW, C0, Y0, X0, OutC, OutH, OutW;
    }
}

/// <summary>Runs shaders/concat.comp.</summary>
public sealed class ConcatLayer : GpuLayer
{
    private static readonly PipelineLayoutDescription Layout = new(
        new[] { BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer }, 12);

    private readonly ComputePipeline _pipeline;

    internal ConcatLayer(GpuContext context, ConcatSpec spec, string name) : base(context, spec, name)
    {
        _pipeline = context.Pipelines.Get(Shaders.Get("concat"), ReadOnlySpan<uint>.Empty, Layout);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var a = inputs[0].Shape;
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, inputs[1].Buffer, write: false)
            .Buffer(2, output.Buffer, write: true)
            .Push(new Int3(a.Channels, inputs[1].Shape.Channels, a.Height * a.Width))
            .CoverLinear(output.Shape.ElementCount, 64);
    }
}

/// <summary>Three ints of push constants, in order (ValueTuple's layout is not guaranteed).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct Int3(int A, int B, int C);
