using RealtimeUpscale.Network.Importers;

namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Turns an importer's plain graph into the graph that runs, by the passes of <see cref="Passes"/> in that
/// fixed order:
/// 1. pad into convolution (a lone pad becomes a 1x1 identity convolution);
/// 2. upsample into convolution (resize-convolution);
/// 3. depth-to-space into the convolution before it (sub-pixel convolution);
/// 4. slice into the transposed convolution before it (a larger output crop);
/// 5. affine maps (batch normalisation, constant arithmetic, a bias add) into the layer before;
/// 6. activations into the layer before (a lone activation becomes a unit scale-bias);
/// 7. strided transposed convolutions to sub-pixel convolutions;
/// 8. 1x1 convolutions into the convolution before them;
/// 9. residual additions into the convolution that writes one operand (with an upsample or crop of the other);
/// 10. per-channel scales (squeeze-excitation) into the convolutions that read their product;
/// 11. expanding 1x1 convolutions into the convolution after them;
/// 12. dead nodes.
/// Pads and upsamples fuse forwards into the convolution that reads them, so they go first; the slice goes
/// before the affine and activation passes so that a bias add after the crop reaches the transposed
/// convolution; affine before activation, since an affine map after an activation cannot fold into weights;
/// the lowering after them, so it lowers what the others fused; 1x1 convolutions into the one before them next, so that both convolutions
/// carry their fused padding, affine maps and activations; residual additions after them, so that the convolution
/// they take carries its activation, pixel shuffle or lowering (a residual after a transposed convolution meets the
/// sub-pixel convolution it became); channel scales after them, so that a scaled skip connection meets the fused
/// residual that reads it; expanding 1x1 convolutions into the convolution after them last, taking only what
/// the residual and scale fusions left. Depth-to-space fuses before the
/// elementwise passes so that an activation after the shuffle (SRGAN's PReLU) reaches the sub-pixel
/// convolution; an activation or affine map between a convolution and its depth-to-space still fuses into the
/// convolution, and the shuffle then stays a node of its own. Every spec in the result has a GPU layer
/// (<see cref="Layers.GpuLayer.Create"/>).
/// </summary>
public static class GraphOptimizer
{
    /// <summary>The passes, in the order <see cref="Optimize"/> runs them.</summary>
    public static IReadOnlyList<IGraphPass> Passes { get; } = new IGraphPass[]
    {
        new PadIntoConvolution(),
        new UpsampleIntoConvolution(),
        new DepthToSpaceIntoConvolution(),
        new SliceIntoDeconvolution(),
        new AffineIntoLayer(),
        new ActivationIntoLayer(),
        new StridedDeconvToSubPixel(),
        new PointwiseIntoConvolution(),
        new ResidualIntoConvolution(),
        new ChannelScaleIntoConvolution(),
        new PointwiseIntoNextConvolution(),
        new DeadNodeElimination(),
    };

    /// <summary>
    /// Runs every pass in order and checks each resulting layer; a fused layer that is inconsistent is a
    /// <see cref="ModelFormatException"/> naming the model and the layer.
    /// </summary>
    public static ModelDefinition Optimize(ModelDefinition definition) => OptimizeWith(definition, Passes);

    /// <summary>
    /// As <see cref="Optimize"/> with only <paramref name="passes"/> (those of <see cref="Passes"/>
    /// to keep, in that order): to measure a fusion against the graph without it.
    /// </summary>
    public static ModelDefinition OptimizeWith(ModelDefinition definition, IEnumerable<IGraphPass> passes)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(passes);
        var result = passes.Aggregate(definition, (d, pass) => pass.Apply(d));
        foreach (var node in result.Nodes)
        {
            try
            {
                node.Spec.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{definition.Info.Source}: layer '{node.Name}': {e.Message}", e);
            }
        }
        return result;
    }
}
