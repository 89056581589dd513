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

    /// <summary>
    /// Constant subgraphs whose sizes, axes or indices are out of range (the first two made by the fuzzer: a 3 KB
    /// mutation of a reflect-padding model that folded a 2^31-element ConstantOfShape for minutes, and a Slice axis of
    /// 32768 that indexed past the shape), and ops on the image with malformed constants (the last three, also the
    /// fuzzer's): each is refused by the importer's own check, naming the node and the value,
    /// never by the last-resort guard (<see cref="Fails"/> calls the importer directly, so an unchecked exception
    /// fails the test).
    /// </summary>
    [Theory]
    [InlineData("ConstantOfShapeOfTwoToTheThirtyOneElements", "'huge' (op ConstantOfShape) gives the output the shape [2147483519], more than 16777216 elements")]
    [InlineData("ConstantOfShapeWhoseElementCountOverflows", "'huge' (op ConstantOfShape) gives the output the shape [4294967296,4294967296,16], more than 16777216")]
    [InlineData("ConstantOfShapeWithANegativeDimension", "'huge' (op ConstantOfShape) gives the output the negative dimension -3 in [2,-3]")]
    [InlineData("SliceOnAnAxisTheTensorLacks", "'cut' (op Slice) has axis 32768, outside a rank-1 tensor")]
    [InlineData("SliceWithFewerEndsThanStarts", "'cut' (op Slice) has 2 starts, 1 ends, 2 axes and 2 steps; they must match")]
    [InlineData("GatherOfAnIndexPastTheEnd", "'pick' (op Gather) gathers index 7 on axis 0 of size 4")]
    [InlineData("ReshapeCopyingADimensionTheInputLacks", "'reshape' (op Reshape) copies dimension 1 (a 0 in shape [4,0]) of a rank-1 tensor")]
    [InlineData("ConcatOfDifferentRanks", "'join' (op Concat) joins [4] and [2,2] on axis 0; the other dimensions must match")]
    [InlineData("TransposeWithARepeatedAxis", "'swap' (op Transpose) has perm [0,0], which is not a permutation of the 2 axes of its input")]
    [InlineData("RangeOfTwoToTheSixtyTwoValues", "'range' (op Range) would make 4611686018427387904 values (start 0, limit 4611686018427387904, delta 1)")]
    [InlineData("ExpandToAShapeThatDoesNotBroadcast", "'grow' (op Expand) cannot broadcast [4] with shape [3] (axis 0)")]
    [InlineData("StoredTensorWhoseDimensionsOverflow", "tensor 'W' [1099511627776,1099511627776] has more than 268435456 elements")]
    [InlineData("SliceOfTheImageWithFewerEndsThanStarts", "'crop' (op Slice) has 2 starts, 1 ends, 2 axes and 2 steps; they must match")]
    [InlineData("ClipWithAnEmptyMinimum", "'clip' (op Clip) has a min of 0 elements; it must hold one")]
    [InlineData("PadWithAnEmptyConstantValue", "'pad' (op Pad) has a constant value of 0 elements; it must hold one")]
    public void ImportChecksSizesAxesAndIndicesWhereTheyAreUsed(string name, string message)
    {
        static Action<Google.Protobuf.CodedOutputStream> Ints(params long[] v) => OnnxBuilder.IntsAttribute("value_ints", v);
        var b = new OnnxBuilder().Node("Constant", [], "data", Ints(1, 2, 3, 4), "data");
        b = name switch
        {
            "ConstantOfShapeOfTwoToTheThirtyOneElements" => b.Node("Constant", [], "s", Ints(2147483519)).Node("ConstantOfShape", ["s"], "o", name: "huge"),
            "ConstantOfShapeWhoseElementCountOverflows" => b.Node("Constant", [], "s", Ints(1L << 32, 1L << 32, 16)).Node("ConstantOfShape", ["s"], "o", name: "huge"),
            "ConstantOfShapeWithANegativeDimension" => b.Node("Constant", [], "s", Ints(2, -3)).Node("ConstantOfShape", ["s"], "o", name: "huge"),
            "SliceOnAnAxisTheTensorLacks" => b.Node("Constant", [], "z", Ints(0)).Node("Constant", [], "one", Ints(1)).Node("Constant", [], "ax", Ints(32768))
                .Node("Slice", ["data", "z", "one", "ax"], "o", name: "cut"),
            "SliceWithFewerEndsThanStarts" => b.Node("Constant", [], "z", Ints(0, 0)).Node("Constant", [], "one", Ints(1))
                .Node("Slice", ["data", "z", "one"], "o", name: "cut"),
            "GatherOfAnIndexPastTheEnd" => b.Node("Constant", [], "i", Ints(7)).Node("Gather", ["data", "i"], "o", name: "pick"),
            "ReshapeCopyingADimensionTheInputLacks" => b.Node("Constant", [], "s", Ints(4, 0)).Node("Reshape", ["data", "s"], "o", name: "reshape"),
            "ConcatOfDifferentRanks" => b.Node("Constant", [], "s", Ints(2, 2)).Node("Reshape", ["data", "s"], "square")
                .Node("Concat", ["data", "square"], "o", OnnxBuilder.IntAttribute("axis", 0), "join"),
            "TransposeWithARepeatedAxis" => b.Node("Constant", [], "s", Ints(2, 2)).Node("Reshape", ["data", "s"], "square")
                .Node("Transpose", ["square"], "o", OnnxBuilder.IntsAttribute("perm", 0, 0), "swap"),
            "RangeOfTwoToTheSixtyTwoValues" => b.Node("Constant", [], "z", Ints(0)).Node("Constant", [], "l", Ints(1L << 62)).Node("Constant", [], "d", Ints(1))
                .Node("Range", ["z", "l", "d"], "o", name: "range"),
            "ExpandToAShapeThatDoesNotBroadcast" => b.Node("Constant", [], "s", Ints(3)).Node("Expand", ["data", "s"], "o", name: "grow"),
            "StoredTensorWhoseDimensionsOverflow" => b.Initializer("W", [1L << 40, 1L << 40], []),
            // The next three read the image itself, so only the op's own translation can refuse them.
            "SliceOfTheImageWithFewerEndsThanStarts" => b.Node("Constant", [], "z", Ints(0, 0)).Node("Constant", [], "one", Ints(1))
                .Node("Slice", ["input", "z", "one"], "o", name: "crop"),
            "ClipWithAnEmptyMinimum" => b.Initializer("lo", [0], []).Node("Clip", ["input", "lo"], "o", name: "clip"),
            _ => b.Node("Constant", [], "p", Ints(0, 0, 1, 1, 0, 0, 1, 1)).Initializer("v", [0], []).Node("Pad", ["input", "p", "v"], "o", name: "pad"),
        };
        var e = Fails(b.Build());
        Assert.Contains(message, e.Message);
        Assert.StartsWith("bad.onnx: ", e.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<ModelFormatException>(() => ModelDefinition.Load("/nonexistent/model.onnx"));
        Assert.Contains("/nonexistent/model.onnx", e.Message);
    }
}
