using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The graphs the upscaler binds, on the CPU: the colour matrices against the EVAL.md formulas in float64,
/// which nodes each kind of image gets, and which node instances graphs of different sizes share.
/// </summary>
public sealed class UpscalingGraphTests
{
    /// <summary>A luma model: one 3x3 convolution to four channels, a pixel shuffle to x2.</summary>
    private static ModelDefinition LumaModel()
    {
        var conv = new Conv2dSpec
        {
            InChannels = 1,
            OutChannels = 4,
            KernelH = 3,
            KernelW = 3,
            Weights = Enumerable.Range(0, 36).Select(i => i / 36f).ToArray(),
            Padding = new Padding(1, 1, 1, 1),
        };
        var nodes = new[]
        {
            new ModelNode("conv", conv, new[] { "x" }, "features"),
            new ModelNode("shuffle", new PixelShuffleSpec(2), new[] { "features" }, "y"),
        };
        return new ModelDefinition(new ModelInfo("luma", ColorSpace.Y, 1, 2, "0-1", new Dictionary<string, string>()), "x", "y", nodes);
    }

    /// <summary>Applies a 1x1 convolution with bias to one pixel, in float64.</summary>
    private static double[] Apply(ModelNode node, double[] pixel)
    {
        var conv = Assert.IsType<Conv2dSpec>(node.Spec);
        Assert.Equal((1, 1), (conv.KernelH, conv.KernelW));
        Assert.Equal(pixel.Length, conv.InChannels);
        var result = new double[conv.OutChannels];
        for (int o = 0; o < conv.OutChannels; o++)
        {
            result[o] = conv.Bias![o];
            for (int i = 0; i < conv.InChannels; i++)
            {
                result[o] += conv.Weights[o * conv.InChannels + i] * pixel[i];
            }
        }
        return result;
    }

    private static ModelNode Node(UpscalingPlan plan, string name) => plan.Graph.Nodes.Single(n => n.Name == name);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColourMatricesAreBt601StudioRangeAndConvertBack(bool keepAlpha)
    {
        var plan = new UpscalingGraph(LumaModel()).Build(7, 5, keepAlpha, grey: false);
        Assert.Equal(keepAlpha ? ChannelLayout.Rgba : ChannelLayout.Rgb, plan.Input);
        Assert.Equal(keepAlpha ? ChannelLayout.Rgba : ChannelLayout.Rgb, plan.Output);
        var rng = new Random(5);
        for (int k = 0; k < 200; k++)
        {
            double r = rng.NextDouble(), g = rng.NextDouble(), b = rng.NextDouble(), a = rng.NextDouble();
            double[] pixel = keepAlpha ? new[] { r, g, b, a } : new[] { r, g, b };
            // EVAL.md: MATLAB rgb2ycbcr on [0, 1] values.
            double y = (16 + 65.481 * r + 128.553 * g + 24.966 * b) / 255;
            double cb = (128 - 37.797 * r - 74.203 * g + 112.0 * b) / 255;
            double cr = (128 + 112.0 * r - 93.786 * g - 18.214 * b) / 255;
            Assert.Equal(y, Apply(Node(plan, "to Y"), pixel).Single(), 1e-6);
            var chroma = Apply(Node(plan, "to CbCr"), pixel);
            Assert.Equal(keepAlpha ? 3 : 2, chroma.Length);
            Assert.Equal(cb, chroma[0], 1e-6);
            Assert.Equal(cr, chroma[1], 1e-6);
            if (keepAlpha)
            {
                Assert.Equal(a, chroma[2]);
            }
            // Y, Cb, Cr (and alpha) back to the pixel.
            double[] ycc = keepAlpha ? new[] { y, cb, cr, a } : new[] { y, cb, cr };
            var back = Apply(Node(plan, "to RGB"), ycc);
            for (int c = 0; c < pixel.Length; c++)
            {
                Assert.Equal(pixel[c], back[c], 1e-5);
            }
        }
    }

    [Fact]
    public void GraphsOfEverySizeHoldTheModelsNodesAndOneSetOfColourMatrices()
    {
        var model = LumaModel();
        var graphs = new UpscalingGraph(model);
        var small = graphs.Build(7, 5, keepAlpha: true, grey: false);
        var large = graphs.Build(31, 17, keepAlpha: true, grey: false);
        foreach (var plan in new[] { small, large })
        {
            foreach (var node in model.Nodes)
            {
                Assert.Contains(plan.Graph.Nodes, n => ReferenceEquals(n, node));
            }
        }
        // The nodes with weights around the model are the same instances at both sizes, and shared.
        var weighted = small.Graph.Nodes.Where(n => n.Spec is Conv2dSpec && !model.Nodes.Contains(n)).ToList();
        Assert.Equal(3, weighted.Count);
        foreach (var node in weighted)
        {
            Assert.Contains(large.Graph.Nodes, n => ReferenceEquals(n, node));
            Assert.Contains(graphs.SharedNodes, n => ReferenceEquals(n, node));
        }
        // The bicubic upsample of chroma and alpha follows the size; the output is RGBA at twice the input.
        Assert.Equal(new TensorShape(4, 34, 62), large.Graph.OutputShape(new TensorShape(4, 17, 31)));
        Assert.Equal(new TensorShape(3, 10, 14), small.Graph.InferShapes(new TensorShape(4, 5, 7))["upscale/upsampled"]);
    }

    [Theory]
    [InlineData(ColorSpace.Y, true, false, ChannelLayout.Grey, ChannelLayout.Grey)]
    [InlineData(ColorSpace.Y, true, true, ChannelLayout.Rgba, ChannelLayout.GreyAlpha)]
    [InlineData(ColorSpace.Rgb, false, false, ChannelLayout.Rgb, ChannelLayout.Rgb)]
    [InlineData(ColorSpace.Rgb, false, true, ChannelLayout.Rgba, ChannelLayout.Rgba)]
    public void GreyAndRgbImagesGoThroughTheModelWithAlphaBeside(ColorSpace space, bool grey, bool keepAlpha,
        ChannelLayout input, ChannelLayout output)
    {
        int c = space == ColorSpace.Y ? 1 : 3;
        var info = new ModelInfo("nearest", space, c, 2, "0-1", new Dictionary<string, string>());
        var model = new ModelDefinition(info, "x", "y", new[] { new ModelNode("up", UpsampleSpec.By(UpsampleMode.Nearest, 2), new[] { "x" }, "y") });
        var plan = new UpscalingGraph(model).Build(9, 6, keepAlpha, grey);
        Assert.Equal(input, plan.Input);
        Assert.Equal(output, plan.Output);
        Assert.DoesNotContain(plan.Graph.Nodes, n => n.Spec is Conv2dSpec);
        var shapes = plan.Graph.InferShapes(new TensorShape(ImageToTensor.ChannelCount(input), 6, 9));
        Assert.Equal(new TensorShape(ImageToTensor.ChannelCount(output), 12, 18), shapes[plan.Graph.Output]);
        if (!keepAlpha)
        {
            Assert.Same(model.Nodes.Single(), plan.Graph.Nodes.Single());
            return;
        }
        // Colour is channels [0, c) of the RGBA tensor, alpha channel 3.
        Assert.Equal(new CropSpec(0, 0, 0, 0, 0, c), plan.Graph.Nodes.Single(n => n.Output == "x").Spec);
        Assert.Equal(new CropSpec(0, 0, 0, 0, 3, 1), Node(plan, "take alpha").Spec);
    }

    [Fact]
    public void ModelValuesNamedLikeTheGraphsAreRefused()
    {
        var info = new ModelInfo("clash", ColorSpace.Y, 1, 2, "0-1", new Dictionary<string, string>());
        var model = new ModelDefinition(info, "upscale/image", "y", new[] { new ModelNode("up", UpsampleSpec.By(UpsampleMode.Nearest, 2), new[] { "upscale/image" }, "y") });
        var e = Assert.Throws<ArgumentException>(() => new UpscalingGraph(model));
        Assert.Contains("upscale/image", e.Message);
    }
}
