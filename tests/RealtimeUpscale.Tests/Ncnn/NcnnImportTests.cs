using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>
/// The ncnn importer on the waifu2x and Real-CUGAN files (../shared/peers) and on small files written here: the
/// specs it makes, the weights it reads, the framing it derives, and the numbers of hand-made models against
/// values worked out by hand.
/// </summary>
public sealed class NcnnImportTests : IDisposable
{
    private readonly NcnnFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static string PeerModel(string family, string folder, string name) => SharedData.Path("peers", family, "models", folder, name);

    [Theory]
    [InlineData("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param", 2, 7, 1, PaddingMode.Replicate, false)]
    [InlineData("waifu2x", "models-upconv_7_anime_style_art_rgb", "noise1_scale2.0x_model.param", 2, 7, 1, PaddingMode.Replicate, false)]
    [InlineData("waifu2x", "models-cunet", "scale2.0x_model.param", 2, 18, 2, PaddingMode.Replicate, false)]
    [InlineData("waifu2x", "models-cunet", "noise0_model.param", 1, 28, 4, PaddingMode.Replicate, false)]
    [InlineData("realcugan", "models-se", "up2x-no-denoise.param", 2, 18, 2, PaddingMode.Reflect, false)]
    [InlineData("realcugan", "models-se", "up3x-no-denoise.param", 3, 14, 4, PaddingMode.Reflect, false)]
    [InlineData("realcugan", "models-se", "up4x-no-denoise.param", 4, 19, 2, PaddingMode.Reflect, true)]
    [InlineData("realcugan", "models-pro", "up3x-conservative.param", 3, 14, 4, PaddingMode.Reflect, false)]
    [InlineData("realcugan", "models-nose", "up2x-no-denoise.param", 2, 18, 2, PaddingMode.Reflect, false)]
    public void PeerModelsLoadWithTheToolsFraming(string family, string folder, string name, int scale, int margin, int alignment, PaddingMode mode, bool residual)
    {
        // The margins and alignments are the ones waifu2x-ncnn-vulkan and realcugan-ncnn-vulkan hard-code
        // (prepadding; tiles padded to a multiple of 2 or 4); here they are derived from the graphs. Real-CUGAN x4
        // predicts a residual that its tool adds to the image upsampled by nearest neighbour.
        var model = ModelDefinition.Load(PeerModel(family, folder, name));
        Assert.Equal(ColorSpace.Rgb, model.Info.ColorSpace);
        Assert.Equal(scale, model.Info.Scale);
        Assert.Equal(new InputFraming(margin, mode, alignment) { AddsNearestUpsampledInput = residual }, model.Info.Framing);
        foreach (int n in new[] { 37, 29 })
        {
            var p = model.Info.Framing!.PaddingFor(n, n);
            var o = model.OutputShape(new TensorShape(3, n + p.Top + p.Bottom, n + p.Left + p.Right));
            Assert.Equal(scale * (n + model.Info.Framing.AlignmentPad(n)), o.Width);
        }
    }

    [Fact]
    public void CunetImportsItsSqueezeExcitationBlocks()
    {
        var plain = ModelDefinition.Import(PeerModel("waifu2x", "models-cunet", "scale2.0x_model.param"));
        Assert.Equal(4, plain.Nodes.Count(n => n.Spec is Pool2dSpec { Global: true, Mode: PoolMode.Average }));
        var fc = plain.Nodes.Select(n => n.Spec).OfType<FullyConnectedSpec>().ToList();
        Assert.Equal(8, fc.Count);
        Assert.Equal(ActivationKind.Relu, fc[0].Activation.Kind);
        Assert.Equal(ActivationKind.Sigmoid, fc[1].Activation.Kind);
        Assert.Equal((64, 8), (fc[0].InFeatures, fc[0].OutFeatures));
        Assert.Equal(4, plain.Nodes.Count(n => n.Spec is CropToSpec { Top: 4 or 16 or 20 }));
        var first = Assert.IsType<Conv2dSpec>(plain.Nodes[0].Spec);
        Assert.Equal((3, 32, 3, 3), (first.InChannels, first.OutChannels, first.KernelH, first.KernelW));
        Assert.Equal(default, first.Padding);
    }

    [Fact]
    public void Upconv7WeightsAreTheFilesFloat16Values()
    {
        // The first weight of the first convolution, read here independently from the .bin: the tag, then float16.
        string param = PeerModel("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param");
        var bytes = File.ReadAllBytes(Path.ChangeExtension(param, ".bin"));
        Assert.Equal(NcnnFiles.TagFloat16, BitConverter.ToUInt32(bytes, 0));
        var plain = ModelDefinition.Import(param);
        var conv = Assert.IsType<Conv2dSpec>(plain.Nodes[0].Spec);
        Assert.Equal((float)BitConverter.ToHalf(bytes, 4), conv.Weights[0]);
        Assert.Equal((float)BitConverter.ToHalf(bytes, 4 + 2 * 431), conv.Weights[431]);
        Assert.Equal(BitConverter.ToSingle(bytes, 4 + 432 * 2), conv.Bias![0]);
        var deconv = Assert.IsType<ConvTranspose2dSpec>(plain.Nodes[^1].Spec);
        Assert.Equal((256, 3, 4, 2, new Padding(3, 3, 3, 3)), (deconv.InChannels, deconv.OutChannels, deconv.KernelH, deconv.StrideY, deconv.Padding));
    }

    [Fact]
    public void ExplicitWeightsPathIsUsed()
    {
        string param = PeerModel("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param");
        string copy = _files.Write("renamed", File.ReadAllLines(param).Skip(2).ToArray(), Array.Empty<byte>());
        var model = ModelDefinition.Load(copy, Path.ChangeExtension(param, ".bin"));
        Assert.Equal(2, model.Info.Scale);
    }

    [Fact]
    public void HandMadeModelComputesWhatItsLayersSay()
    {
        // in (1 channel) -> 1x1 conv to 2 channels (w = 2, -1; bias 0.5, 0) with ReLU -> global average ->
        // InnerProduct 2 -> 2 (identity weights, sigmoid) -> Scale of the conv output by it (0=-233)
        // -> Eltwise sum with a Split copy -> BinaryOp add scalar 1 -> Crop 1 pixel off each side
        // -> Deconvolution 2 -> 1, 2x2 stride 2, weights all 1 (a nearest x2 of the channel sum).
        var layers = new[]
        {
            "Input in 0 1 in 2=1",
            "Convolution conv 1 1 in c 0=2 1=1 5=1 6=2 9=1",
            "Split split 1 2 c c1 c2",
            "Pooling gap 1 1 c1 g 0=1 4=1",
            "InnerProduct fc 1 1 g s 0=2 1=0 2=4 9=4",
            "Scale se 2 1 c2 s x 0=-233",
            "Split split2 1 2 x x1 x2",
            "Eltwise sum 2 1 x1 x2 y 0=1",
            "BinaryOp plus 1 1 y z 0=0 1=1 2=1.0",
            "Crop crop 1 1 z k -23309=2,1,1 -23310=2,-1,-1 -23311=2,1,2",
            "Deconvolution up 1 1 k out 0=1 1=2 3=2 5=0 6=8",
        };
        var weights = NcnnFiles.Half(new[] { 2f, -1f }).Concat(NcnnFiles.Floats(new[] { 0.5f, 0f }))
            .Concat(NcnnFiles.Floats(new[] { 1f, 0f, 0f, 1f }, tagged: true))
            .Concat(NcnnFiles.Half(Enumerable.Repeat(1f, 8))).ToArray();
        var model = ModelDefinition.Load(_files.Write("hand", layers, weights));
        var x = new HostTensor(1, 4, 3);
        for (int i = 0; i < 12; i++)
        {
            x.Data[i] = (i - 5) / 4.0;
        }
        var y = CpuReference.Run(model, x);
        Assert.Equal(new TensorShape(1, 4, 2), y.Shape);
        // By hand: a = relu(2v + 0.5), b = relu(-v); gates ga = sigmoid(mean a), gb = sigmoid(mean b); per channel
        // z = 2 (gated value) + 1; the deconvolution's 2x2 block of ones sums the two channels: 2 (a ga + b gb) + 2.
        var a = x.Data.Select(v => Math.Max(2 * v + 0.5, 0)).ToArray();
        var b = x.Data.Select(v => Math.Max(-v, 0)).ToArray();
        double ga = 1 / (1 + Math.Exp(-a.Average())), gb = 1 / (1 + Math.Exp(-b.Average()));
        for (int oy = 0; oy < 4; oy++)
        {
            for (int ox = 0; ox < 2; ox++)
            {
                int i = (1 + oy / 2) * 3 + 1; // the one pixel of row 1 + oy / 2 left by the crop, column 1
                Assert.Equal(2 * (a[i] * ga + b[i] * gb) + 2, y[0, oy, ox], 9);
            }
        }
    }
}
