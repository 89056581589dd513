using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>Runs shaders/pool2d.comp for <see cref="Pool2dSpec"/>.</summary>
public sealed class Pool2dLayer : GpuLayer
{
    private readonly Pool2dSpec _spec;
    private readonly Pool2dKernel.Constants _constants;

    internal Pool2dLayer(GpuContext context, Pool2dSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _spec = spec;
        _constants = new Pool2dKernel.Constants
        {
            Mode = Codes.Of(spec.Mode), Global = spec.Global, CountPad = spec.CountIncludePad,
            Texels = tuning.CpuStyle && ComputeDispatch.CanViewAsTexels(context, 1, Precision),
        };
        // Built now so that setup compiles the variant inputs take (an input too large for a texel view, or a caller's buffer
        // without one, takes the storage-buffer variant at its first binding).
        Pool2dKernel.Descriptor.Pipeline(context, _constants, Precision);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var i = inputs[0].Shape;
        var o = output.Shape;
        var push = new Pool2dKernel.Push
        {
            Channels = i.Channels, InH = i.Height, InW = i.Width, OutH = o.Height, OutW = o.Width,
            KernelH = _spec.KernelH, KernelW = _spec.KernelW, StrideY = _spec.StrideY, StrideX = _spec.StrideX,
            PadTop = _spec.Padding.Top, PadLeft = _spec.Padding.Left,
        };
        var region = _spec.Region ?? new PlaneRegion(0, 0, i.Height, i.Width);
        (push.RegionTop, push.RegionLeft, push.RegionH, push.RegionW) = (region.Top, region.Left, region.Height, region.Width);
        var workgroup = Pool2dKernel.Descriptor.Workgroup;
        bool texels = ReadsTexels(inputs[0].Buffer, i.ElementCount);
        var pipeline = Pool2dKernel.Descriptor.Pipeline(Context, _constants with { Texels = texels }, Precision);
        // Global: workgroup c reduces channel c. Windowed: one invocation per output element.
        return NewDispatch(pipeline, d =>
        {
            var bound = InputTexels(d, 2, inputs[0], texels)
                .Buffer(0, inputs[0].Buffer, write: false)
                .Buffer(1, output.Buffer, write: true)
                .Push(push);
            return _spec.Global ? bound.Cover((long)i.Channels * workgroup.X, 1, 1, workgroup) : bound.CoverLinear(o.ElementCount, workgroup);
        });
    }
}

/// <summary>Runs shaders/fully_connected.comp for <see cref="FullyConnectedSpec"/>.</summary>
public sealed class FullyConnectedLayer : GpuLayer
{
    private readonly FullyConnectedSpec _spec;
    private readonly GpuBuffer _params;
    private readonly ComputePipeline _pipeline;

    internal FullyConnectedLayer(GpuContext context, FullyConnectedSpec spec, string name, KernelTuning tuning) : base(context, spec, name, tuning)
    {
        _spec = spec;
        var act = spec.Activation;
        _params = UploadParameters(spec.Weights, PadTo(spec.Bias, spec.OutFeatures), act.Slopes);
        try
        {
            _pipeline = FullyConnectedKernel.Descriptor.Pipeline(context, new FullyConnectedKernel.Constants
            {
                Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B,
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
        int biasBase = _spec.Weights.Length;
        var push = new FullyConnectedKernel.Push
        {
            InFeatures = _spec.InFeatures, OutFeatures = _spec.OutFeatures, BiasBase = biasBase, SlopeBase = biasBase + _spec.OutFeatures,
        };
        return new ComputeDispatch(Context, _pipeline, Name)
            .Buffer(0, inputs[0].Buffer, write: false)
            .Buffer(1, _params, write: false)
            .Buffer(2, output.Buffer, write: true)
            .Push(push)
            .CoverLinear(_spec.OutFeatures, FullyConnectedKernel.Descriptor.Workgroup);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}
