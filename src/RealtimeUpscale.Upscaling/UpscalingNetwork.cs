using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// A model compiled once for upscaling at any size: its <see cref="Network.Network"/> (the model's layers,
/// one copy of the weights on the GPU) together with the colour matrices of its <see cref="UpscalingGraph"/>.
/// Every <see cref="Upscaler"/> made from it, of any input size, binds this one network; a
/// <see cref="TiledUpscaler"/> makes one and binds it at every tile size. Dispose it after the upscalers.
/// </summary>
public sealed class UpscalingNetwork : IDisposable
{
    /// <summary>
    /// Builds the model's layers on <paramref name="context"/>, their kernels tuned by <paramref name="tuning"/>
    /// (null: for the device).
    /// </summary>
    public UpscalingNetwork(GpuContext context, ModelDefinition model, KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        Graphs = new UpscalingGraph(model);
        Network = new RealtimeUpscale.Network.Network(context, model, Graphs.SharedNodes, tuning);
    }

    /// <summary>The model.</summary>
    public ModelDefinition Model => Graphs.Model;

    /// <summary>The graphs around the model.</summary>
    public UpscalingGraph Graphs { get; }

    /// <summary>The compiled layers every binding shares.</summary>
    public RealtimeUpscale.Network.Network Network { get; }

    /// <summary>The context the layers live on.</summary>
    public GpuContext Context => Network.Context;

    /// <summary>Releases the layers.</summary>
    public void Dispose() => Network.Dispose();
}
