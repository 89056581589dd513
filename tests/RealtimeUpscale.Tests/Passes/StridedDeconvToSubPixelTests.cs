using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

/// <summary>The pass over whole graphs; the index maths of the lowering itself is in DeconvLoweringTests.</summary>
public sealed class StridedDeconvToSubPixelTests
{
    private readonly StridedDeconvToSubPixel _pass = new();

    [Fact]
    public void FusedFsrcnnStyleDeconvolutionBecomesASubPixelConvolution()
    {
        var rng = new Random(1);
        // As the passes before leave the FSRCNN release's: edge-padded input, cropped output, per-channel PReLU.
        var deconv = Deconv(rng, 5, 2, 9, 2, new Padding(6, 6, 5, 5), activation: Slopes(rng, 2)) with
        {
            InputPadding = Padding.All(1),
            InputPaddingMode = PaddingMode.Replicate,
        };
        var before = Graph(3, Node("conv", Conv(rng, 3, 5, 3, Padding.All(1)), "x"), Node("deconv", deconv, "conv"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(SubPixelConvSpec));
        var sp = (SubPixelConvSpec)after.Nodes[1].Spec;
        Assert.Equal((5, 5, 8, 2), (sp.Conv.KernelH, sp.Conv.KernelW, sp.Conv.OutChannels, sp.Shuffle.Scale));
        Assert.Equal(("deconv", "deconv"), (after.Nodes[1].Name, after.Nodes[1].Output));
        // What the tiler and the timings reason about is the layer that runs.
        Assert.Equal(before.OutputShape(new(3, 9, 7)), after.OutputShape(new(3, 9, 7)));
    }

    [Fact]
    public void UnitStrideGroupsAndReflectInputPaddingStayTransposedConvolutions()
    {
        var rng = new Random(2);
        var before = Graph(2,
            Node("unit", Deconv(rng, 2, 2, 3, 1, Padding.All(1)), "x"),
            Node("grouped", Deconv(rng, 2, 2, 3, 2, Padding.All(1), outputPadding: 1, groups: 2), "unit"),
            Node("reflect", Deconv(rng, 2, 2, 4, 2, Padding.All(1)) with { InputPadding = Padding.All(1), InputPaddingMode = PaddingMode.Reflect }, "grouped"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }
}
