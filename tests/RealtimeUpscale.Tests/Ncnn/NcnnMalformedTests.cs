using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>
/// Bad ncnn files: each gets a <see cref="ModelFormatException"/> whose one-line message names the file and,
/// where there is one, the line and the layer; never another exception.
/// </summary>
public sealed class NcnnMalformedTests : IDisposable
{
    private static readonly string[] Good =
    {
        "Input in 0 1 in 2=1",
        "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18 9=2 -23310=1,0.1",
        "Sigmoid act 1 1 c out",
    };

    private static readonly byte[] GoodWeights = NcnnFiles.Half(Enumerable.Range(0, 18).Select(i => i / 32f))
        .Concat(NcnnFiles.Floats(new[] { 0.5f, -0.5f })).ToArray();

    private readonly NcnnFiles _files = new();

    public void Dispose() => _files.Dispose();

    private ModelFormatException Fails(IReadOnlyList<string> layers, byte[]? weights = null, int? layerCount = null, int? blobCount = null)
    {
        string param = _files.Write("bad", layers, weights ?? GoodWeights, layerCount, blobCount);
        var e = Assert.Throws<ModelFormatException>(() => ModelDefinition.Load(param));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("bad.", e.Message);
        return e;
    }

    [Fact]
    public void TheGoodFileLoads()
    {
        var model = ModelDefinition.Load(_files.Write("good", Good, GoodWeights));
        Assert.Equal(2, model.Nodes.Count);
        var conv = Assert.IsType<Conv2dSpec>(model.Nodes[0].Spec);
        Assert.Equal(ActivationKind.LeakyRelu, conv.Activation.Kind);
        // The sigmoid cannot join a convolution that has an activation already: it runs as a unit scale-bias.
        Assert.Equal(ActivationKind.Sigmoid, Assert.IsType<ScaleBiasSpec>(model.Nodes[1].Spec).Activation.Kind);
        Assert.Equal(ColorSpace.Y, model.Info.ColorSpace);
    }

    [Fact]
    public void TruncatedParamFilesAreReportedAtEveryLength()
    {
        // A cut inside the last blob's name leaves a valid file (with a shorter name); every other cut is an error.
        string text = string.Join("\n", new[] { "7767517", "3 3" }.Concat(Good));
        int failures = 0;
        for (int length = 0; length < text.Length; length++)
        {
            string param = _files.Write("bad", Array.Empty<string>(), GoodWeights);
            File.WriteAllText(param, text[..length]);
            try
            {
                ModelDefinition.Load(param);
                Assert.True(length >= text.Length - 3, $"a file cut at {length} of {text.Length} characters loaded");
            }
            catch (ModelFormatException e)
            {
                Assert.Contains("bad.", e.Message);
                failures++;
            }
        }
        Assert.True(failures >= text.Length - 3);
    }

    [Fact]
    public void TruncatedWeightsAreReportedWithTheLayer()
    {
        for (int length = 0; length < GoodWeights.Length; length += 5)
        {
            var e = Fails(Good, GoodWeights[..length]);
            Assert.Contains("'conv'", e.Message);
        }
    }

    [Fact]
    public void WrongMagicIsReported() => Assert.Contains("magic number", FailsWithMagic("7767518").Message);

    private ModelFormatException FailsWithMagic(string magic)
    {
        string param = _files.Write("bad", Good, GoodWeights);
        File.WriteAllLines(param, new[] { magic, "3 3" }.Concat(Good));
        return Assert.Throws<ModelFormatException>(() => ModelDefinition.Load(param));
    }

    [Fact]
    public void WrongCountsAreReported()
    {
        Assert.Contains("declares 4 layers but has 3", Fails(Good, layerCount: 4).Message);
        Assert.Contains("declares 2 layers but has more", Fails(Good, layerCount: 2).Message);
        Assert.Contains("declares 2 blobs", Fails(Good, blobCount: 2).Message);
        Assert.Contains("names only", Fails(new[] { Good[0], "Convolution conv 1 2 in c", Good[2] }).Message);
    }

    [Fact]
    public void UnknownLayersAreNamed()
    {
        var e = Fails(new[] { Good[0], Good[1], "Mish act 1 1 c out" });
        Assert.Contains(":5: layer 'act' (Mish) is not supported", e.Message);
        Assert.Contains("Convolution", e.Message);
    }

    [Fact]
    public void BlobsUsedBeforeMadeAndCyclesAreReported()
    {
        var early = Fails(new[] { Good[0], "Sigmoid act 1 1 c out", "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18" });
        Assert.Contains("layer 'act' (Sigmoid) reads blob 'c', which no earlier layer makes", early.Message);
        var cycle = Fails(new[] { Good[0], "Convolution conv 1 1 out c 0=2 1=3 5=1 6=18", "Sigmoid act 1 1 c out" });
        Assert.Contains("'out'", cycle.Message);
        var self = Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18", "BinaryOp add 2 1 c y y 0=0" });
        Assert.Contains("reads blob 'y'", self.Message);
        var twice = Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18", "Sigmoid act 1 1 c c" });
        Assert.Contains("already made", twice.Message);
    }

    [Fact]
    public void AbsurdSizesAreRefusedBeforeAllocating()
    {
        Assert.Contains("outputs", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2000000000 1=3 5=1 6=18", Good[2] }).Message);
        Assert.Contains("kernel", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=100000 5=1 6=18", Good[2] }).Message);
        Assert.Contains("would read", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=1800000000", Good[2] }).Message);
        Assert.Contains("bytes are left", Fails(new[] { "Input in 0 1 in", "Convolution conv 1 1 in c 0=2 1=3 5=1 6=180000", Good[2] }).Message);
        Assert.Contains("not a positive multiple", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=17", Good[2] }).Message);
        Assert.Contains("counts", Fails(new[] { Good[0], "Convolution conv 1 99999999999 in c", Good[2] }, blobCount: 3).Message);
        Assert.Contains("outside 1 to", Fails(Good, layerCount: 2000000000).Message);
    }

    [Fact]
    public void WrongTagsAndForeignWeightsAreReported()
    {
        // An unknown tag reads as a quantisation table: 256 floats the file does not have.
        var unknownTag = NcnnFiles.Half(Enumerable.Range(0, 18).Select(i => i / 32f), tag: 0x12345678);
        Assert.Contains("'conv'", Fails(Good, unknownTag.Concat(NcnnFiles.Floats(new[] { 0.5f, -0.5f })).ToArray()).Message);
        // float16 values read as float32 (a tag of 0) give non-finite or misaligned weights.
        var zeroTag = NcnnFiles.Half(Enumerable.Repeat(float.NaN, 18), tag: NcnnFiles.TagFloat16);
        Assert.Contains("finite", Fails(Good, zeroTag.Concat(NcnnFiles.Floats(new[] { 0.5f, -0.5f })).ToArray()).Message);
        // int8 weights need their scales.
        var int8 = new byte[] { 0x38, 0x4B, 0x0D, 0x00 }.Concat(new byte[20]).Concat(NcnnFiles.Floats(new[] { 0.5f, -0.5f })).ToArray();
        Assert.Contains("int8", Fails(Good, int8).Message);
        Assert.Contains("bytes are left after", Fails(Good, GoodWeights.Concat(new byte[8]).ToArray()).Message);
    }

    [Fact]
    public void MissingFilesAndBadParametersAreReported()
    {
        string param = _files.Write("bad", Good, GoodWeights);
        File.Delete(Path.ChangeExtension(param, ".bin"));
        Assert.Contains("weight file not found", Assert.Throws<ModelFormatException>(() => ModelDefinition.Load(param)).Message);
        Assert.Contains("file not found", Assert.Throws<ModelFormatException>(() => ModelDefinition.Load(param + ".missing.param")).Message);
        Assert.Contains("key=value", Fails(new[] { Good[0], Good[1] + " junk", Good[2] }).Message);
        Assert.Contains("must be an integer", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2.5 1=3 5=1 6=18", Good[2] }).Message);
        Assert.Contains("count of its values", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18 9=2 -23310=3,0.1", Good[2] }).Message);
        Assert.Contains("activation type 5", Fails(new[] { Good[0], "Convolution conv 1 1 in c 0=2 1=3 5=1 6=18 9=5", Good[2] }).Message);
        Assert.Contains("exactly one output", Fails(new[] { Good[0], "Split s 1 2 in a b", "Convolution conv 1 1 a c 0=2 1=3 5=1 6=18", "Sigmoid act 1 1 b out" }).Message);
        Assert.Contains("input channels", Fails(new[] { "Input in 0 1 in 2=3", Good[1], Good[2] }).Message);
        // SAME_UPPER / SAME_LOWER pooling moves its windows with the image's size.
        Assert.Contains("pad mode 3", Fails(new[] { Good[0], Good[1], "Pooling pool 1 1 c out 0=0 1=2 2=2 5=3" }).Message);
    }
}
