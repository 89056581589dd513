using RealtimeUpscale.Network;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Odena, Dumoulin and Olah (2016), "Deconvolution and Checkerboard Artifacts": a transposed convolution
/// whose kernel size is not divisible by its stride overlaps unevenly, so even a constant input through
/// constant weights gives a checkerboard; resize-convolution gives a flat output.
/// </summary>
public sealed class OdenaTests : GpuTest
{
    public OdenaTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static HostTensor Constant(int h, int w)
    {
        var t = new HostTensor(1, h, w);
        Array.Fill(t.Data, 1.0);
        return t;
    }

    [Fact]
    public void DeconvolutionWithKernel3Stride2MakesACheckerboard()
    {
        var spec = new ConvTranspose2dSpec
        {
            InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, StrideY = 2, StrideX = 2,
            Weights = Enumerable.Repeat(1f, 9).ToArray(),
        };
        var y = Gpu.Run(spec, Constant(9, 7));
        Assert.Equal(new Runtime.TensorShape(1, 19, 15), y.Shape);
        // Away from the border, an output pixel gets 1 or 2 taps per axis depending on its parity:
        // even rows and columns overlap two kernel placements, odd ones one: 4, 2, 2, 1.
        for (int oy = 2; oy < 17; oy++)
        {
            for (int ox = 2; ox < 13; ox++)
            {
                double expected = (oy % 2 == 0 ? 2 : 1) * (ox % 2 == 0 ? 2 : 1);
                Assert.Equal(expected, y[0, oy, ox], 6);
            }
        }
    }

    [Fact]
    public void ResizeConvolutionOfTheSameInputIsFlat()
    {
        var conv = new Conv2dSpec
        {
            InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            PaddingMode = PaddingMode.Replicate, Weights = Enumerable.Repeat(1f, 9).ToArray(),
        };
        var y = Gpu.Run(new ResizeConvSpec(UpsampleSpec.By(UpsampleMode.Nearest, 2), conv), Constant(9, 7));
        Assert.Equal(new Runtime.TensorShape(1, 18, 14), y.Shape);
        Assert.All(y.Data, v => Assert.Equal(9.0, v, 6));
    }
}
