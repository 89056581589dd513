using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Network.Importers.Onnx;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>Bad model files get a specific error naming what and where; never a crash or a hang.</summary>
public sealed class MalformedModelTests
{
    private static OnnxBuilder Conv3x3(float[]? weights = null, long[]? dims = null, int? rawBytes = null)
    {
        var w = weights ?? Enumerable.Range(0, 18).Select(i => i * 0.01f).ToArray();
        return new OnnxBuilder()
            .Initializer("W", dims ?? new long[] { 2, 1, 3, 3 }, w, rawBytes)
            .Node("Conv", new[] { "input", "W" }, "output", OnnxBuilder.IntsAttribute("pads", 1, 1, 1, 1), "conv1");
    }

    private static ModelFormatException Fails(byte[] bytes) =>
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Import(OnnxModel.Parse(bytes, "bad.onnx")));

    [Fact]
    public void AWellFormedBuiltModelLoads()
    {
        var def = OnnxImporter.Import(OnnxModel.Parse(Conv3x3().Build(), "ok.onnx"));
        var conv = Assert.IsType<Conv2dSpec>(Assert.Single(def.Nodes).Spec);
        Assert.Equal(2, conv.OutChannels);
        Assert.Equal(Padding.All(1), conv.Padding);
    }

    [Fact]
    public void TruncatedFilesAreReportedAtEveryLength()
    {
        var bytes = File.ReadAllBytes(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"));
        foreach (int length in new[] { 0, 1, 7, 100, 1000, bytes.Length / 2, bytes.Length - 1 })
        {
            var e = Fails(bytes[..length]);
            Assert.Contains("bad.onnx", e.Message);
        }
    }

    [Fact]
    public void BitFlipsGiveAModelOrAModelError()
    {
        var original = File.ReadAllBytes(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"));
        var rng = new Random(42);
        int errors = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])original.Clone();
            int at = rng.Next(bytes.Length);
            bytes[at] ^= (byte)(1 << rng.Next(8));
            try
            {
                var def = OnnxImporter.Import(OnnxModel.Parse(bytes, "flipped.onnx"));
                Assert.NotEmpty(def.Nodes); // a flip inside weight values still gives a runnable model
            }
            catch (ModelFormatException e)
            {
                Assert.Contains("flipped.onnx", e.Message);
                errors++;
            }
        }
        Assert.True(errors > 0, "No flip was detected at all; the reader cannot be checking anything.");
    }

    [Fact]
    public void TensorWhoseDataDisagreesWithItsShape()
    {
        var e = Fails(Conv3x3(rawBytes: 40).Build());
        Assert.Contains("tensor 'W'", e.Message);
        Assert.Contains("[2,1,3,3]", e.Message);
    }

    [Fact]
    public void WeightShapeThatDoesNotFitTheInput()
    {
        var e = Fails(Conv3x3(dims: new long[] { 1, 2, 3, 3 }).Build());
        Assert.Contains("conv1", e.Message);
        Assert.Contains("Conv", e.Message);
    }

    [Fact]
    public void NanWeightsAreRefused()
    {
        var w = Enumerable.Repeat(0.1f, 18).ToArray();
        w[5] = float.NaN;
        var e = Fails(Conv3x3(w).Build());
        Assert.Contains("'W'", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void UnknownOperatorNamesTheNodeAndListsSupportedOps()
    {
        var bytes = new OnnxBuilder().Node("Softplus", new[] { "input" }, "output", name: "act7").Build();
        var e = Fails(bytes);
        Assert.Contains("'act7'", e.Message);
        Assert.Contains("Softplus", e.Message);
        Assert.Contains("ConvTranspose", e.Message); // the list of supported ops
    }

    [Fact]
    public void UnsupportedAttributeValueIsNamed()
    {
        var resize = new OnnxBuilder()
            .Initializer("scales", new long[] { 4 }, new[] { 1f, 1f, 2f, 2f })
            .Node("Resize", new[] { "input", "", "scales" }, "output", OnnxBuilder.StringAttribute("mode", "area"), "up");
        var e = Fails(resize.Build());
        Assert.Contains("'up'", e.Message);
        Assert.Contains("area", e.Message);

        var pad = new OnnxBuilder()
            .Initializer("W", new long[] { 1, 1, 1, 1 }, new[] { 1f })
            .Node("Conv", new[] { "input", "W" }, "output", o =>
            {
                OnnxBuilder.IntsAttribute("strides", 2, 2)(o);
                OnnxBuilder.StringAttribute("auto_pad", "SAME_UPPER")(o);
            }, "c");
        Assert.Contains("auto_pad", Fails(pad.Build()).Message);
    }

    [Fact]
    public void MetadataThatContradictsTheGraph()
    {
        var bytes = Conv3x3().Metadata("colorspace", "y").Metadata("scale", "two").Build();
        Assert.Contains("scale 'two'", Fails(bytes).Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelDefinition.Load("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", e.Message);
    }
}
