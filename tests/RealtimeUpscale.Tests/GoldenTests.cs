using System.Text.Json;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every layer against outputs computed by PyTorch 1.13 (Golden/torch_golden.json, written by
/// tests/golden/generate.py), within <see cref="Compare.RelativeTolerance"/>, on the GPU and, as a second
/// independent check of the reference itself, by <see cref="CpuReference"/> in float64. The tolerance covers
/// PyTorch's own float32 rounding (its sums of up to 64 x 9 products in another order than ours, and its
/// float32 transcendental functions) with two orders of magnitude to spare: both sides agree to about 1e-7.
/// Pure permutations (crop, crop to a reference, concatenation, padding) move values without arithmetic and
/// must match exactly. The fixtures are never regenerated to make a failing test pass.
/// </summary>
public sealed class GoldenTests : GpuTest
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(Load);

    public GoldenTests(GpuFixture gpu) : base(gpu)
    {
    }

    /// <summary>Every case of the fixture by name (the "ncnn" cases are run by <c>NcnnLayerGoldenTests</c>).</summary>
    internal static IReadOnlyDictionary<string, JsonElement> Fixture => Cases.Value;

    private static Dictionary<string, JsonElement> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "torch_golden.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    /// <summary>The names of the cases whose op is (<paramref name="ncnn"/>) or is not "ncnn".</summary>
    internal static TheoryData<string> Names(bool ncnn)
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in Load())
        {
            if (c.GetProperty("op").GetString() == "ncnn" == ncnn)
            {
                data.Add(name);
            }
        }
        return data;
    }

    public static TheoryData<string> CaseNames() => Names(ncnn: false);

    [Fact]
    public void FixtureCoversEveryOperation()
    {
        var ops = Cases.Value.Values.Select(c => c.GetProperty("op").GetString()).ToHashSet();
        foreach (var op in new[] { "conv2d", "conv_transpose2d", "pixel_shuffle", "interpolate", "blurpool",
                     "resize_conv", "subpixel_conv", "add", "scale_bias", "pool2d", "fully_connected", "binary",
                     "squeeze_excitation", "crop", "crop_to", "concat", "pad", "activation", "ncnn" })
        {
            Assert.Contains(op, ops);
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var input = Tensor(c.GetProperty("input"));
        var expected = Tensor(c.GetProperty("output"));
        string op = c.GetProperty("op").GetString()!;
        if (op == "squeeze_excitation")
        {
            var graph = SqueezeExcitation(c, input.C);
            Compare.Close(expected, CpuReference.Run(graph, input), what: $"{name} (CPU reference)");
            Compare.Close(expected, OnnxImportTests.RunGpu(Context, GraphOptimizer.Optimize(graph), input), what: name);
            return;
        }
        var inputs = Inputs(c);
        var spec = Spec(c);
        var cpu = CpuReference.Layer(spec, inputs);
        // Pads and standalone activations never reach the GPU as themselves: the graph passes fuse or lower them,
        // so they run as a one-node graph through the optimiser and the network.
        var gpu = spec is PadSpec or ActivationSpec
            ? OnnxImportTests.RunGpu(Context, GraphOptimizer.Optimize(OneNode(spec, input.C)), input)
            : Gpu.Run(spec, inputs);
        if (op is "crop" or "crop_to" or "concat" or "pad")
        {
            Assert.Equal(expected.Shape, cpu.Shape);
            Assert.Equal(expected.Data, cpu.Data);
            Assert.Equal(expected.Shape, gpu.Shape);
            Assert.Equal(expected.Data, gpu.Data);
            return;
        }
        Compare.Close(expected, cpu, what: $"{name} (CPU reference)");
        Compare.Close(expected, gpu, what: name);
    }

    /// <summary>A case's inputs: "input", and "input2" where the op has two.</summary>
    internal static HostTensor[] Inputs(JsonElement c)
    {
        var input = Tensor(c.GetProperty("input"));
        return c.TryGetProperty("input2", out var second) ? new[] { input, Tensor(second) } : new[] { input };
    }

    /// <summary>The layer of a case whose op is one layer (every op but "squeeze_excitation" and "ncnn").</summary>
    internal static LayerSpec Spec(JsonElement c)
    {
        var p = c.GetProperty("params");
        var input = Tensor(c.GetProperty("input"));
        string op = c.GetProperty("op").GetString()!;
        return op switch
        {
            "conv2d" => Conv(p, c, input.C),
            "conv_transpose2d" => Deconv(p, c, input.C),
            "pixel_shuffle" => Shuffle(p),
            "interpolate" => Upsample(p),
            "blurpool" => new BlurPoolSpec(input.C, p.GetProperty("filter_size").GetInt32(),
                p.GetProperty("stride").GetInt32(), Mode(p.GetProperty("padding_mode"))),
            "resize_conv" => new ResizeConvSpec(Upsample(p.GetProperty("upsample")), Conv(p.GetProperty("conv"), c, input.C)),
            "subpixel_conv" => new SubPixelConvSpec(Conv(p.GetProperty("conv"), c, input.C), Shuffle(p.GetProperty("shuffle"))),
            "add" => new BinarySpec(BinaryOperator.Add, Act(p, input.C)),
            "scale_bias" => new ScaleBiasSpec(Floats(c.GetProperty("scale")), Floats(c.GetProperty("bias")), Act(p, input.C)),
            "pool2d" => Pool(p),
            "fully_connected" => FullyConnected(c.GetProperty("weight"), Bias(c), Act(p, 0)),
            "binary" => new BinarySpec(Operator(p.GetProperty("op")), Act(p, input.C)),
            "crop" => new CropSpec(p.GetProperty("top").GetInt32(), p.GetProperty("left").GetInt32(), p.GetProperty("bottom").GetInt32(),
                p.GetProperty("right").GetInt32(), p.GetProperty("channel_start").GetInt32(),
                p.GetProperty("channel_count").ValueKind == JsonValueKind.Null ? null : p.GetProperty("channel_count").GetInt32()),
            "crop_to" => new CropToSpec(p.GetProperty("top").GetInt32(), p.GetProperty("left").GetInt32(), p.GetProperty("channel_start").GetInt32()),
            "concat" => new ConcatSpec(),
            "pad" => new PadSpec(input.C, Pads(p.GetProperty("padding")), Mode(p.GetProperty("mode"))),
            "activation" => new ActivationSpec(input.C, Act(p, input.C)),
            _ => throw new InvalidDataException($"Unknown op '{op}' in the fixture."),
        };
    }

    private static ModelInfo Info(int channels) =>
        new("golden", ColorSpace.Rgb, channels, 1, "0-1", new Dictionary<string, string>());

    internal static ModelDefinition OneNode(LayerSpec spec, int channels) =>
        new(Info(channels), "in", "out", new[] { new ModelNode("op", spec, new[] { "in" }, "out") });

    /// <summary>Global average, the two fully connected layers (ReLU, sigmoid), and the per-channel product.</summary>
    internal static ModelDefinition SqueezeExcitation(JsonElement c, int channels) => new(Info(channels), "in", "out", new[]
    {
        new ModelNode("squeeze", Pool2dSpec.GlobalAverage, new[] { "in" }, "s"),
        new ModelNode("fc1", FullyConnected(c.GetProperty("fc1_weight"), Floats(c.GetProperty("fc1_bias")), Activation.Relu), new[] { "s" }, "h"),
        new ModelNode("fc2", FullyConnected(c.GetProperty("fc2_weight"), Floats(c.GetProperty("fc2_bias")), Activation.Sigmoid), new[] { "h" }, "g"),
        new ModelNode("scale", new BinarySpec(BinaryOperator.Mul), new[] { "in", "g" }, "out"),
    });

    private static FullyConnectedSpec FullyConnected(JsonElement weight, float[]? bias, Activation act)
    {
        var shape = Shape(weight);
        return new FullyConnectedSpec { InFeatures = shape[1], OutFeatures = shape[0], Weights = Floats(weight), Bias = bias, Activation = act };
    }

    private static Pool2dSpec Pool(JsonElement p)
    {
        var mode = p.GetProperty("mode").GetString() == "max" ? PoolMode.Max : PoolMode.Average;
        if (p.GetProperty("global").GetBoolean())
        {
            return new Pool2dSpec { Mode = mode, Global = true };
        }
        var k = Ints(p.GetProperty("kernel"));
        var s = Ints(p.GetProperty("stride"));
        return new Pool2dSpec
        {
            Mode = mode, KernelH = k[0], KernelW = k[1], StrideY = s[0], StrideX = s[1], Padding = Pads(p.GetProperty("padding")),
            CountIncludePad = p.GetProperty("count_include_pad").GetBoolean(),
        };
    }

    private static Padding Pads(JsonElement e)
    {
        var v = Ints(e);
        return new Padding(v[0], v[1], v[2], v[3]);
    }

    private static BinaryOperator Operator(JsonElement e) => e.GetString() switch
    {
        "add" => BinaryOperator.Add,
        "sub" => BinaryOperator.Sub,
        "mul" => BinaryOperator.Mul,
        "div" => BinaryOperator.Div,
        "max" => BinaryOperator.Max,
        "min" => BinaryOperator.Min,
        "pow" => BinaryOperator.Pow,
        var o => throw new InvalidDataException($"binary op {o}"),
    };

    internal static HostTensor Tensor(JsonElement t)
    {
        var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return HostTensor.FromFloat(new TensorShape(shape[0], shape[1], shape[2]), Floats(t));
    }

    internal static float[] Floats(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static int[] Shape(JsonElement t) => Ints(t.GetProperty("shape"));

    private static PaddingMode Mode(JsonElement e) => e.GetString() switch
    {
        "zeros" => PaddingMode.Zeros,
        "replicate" => PaddingMode.Replicate,
        "reflect" => PaddingMode.Reflect,
        var m => throw new InvalidDataException($"padding mode {m}"),
    };

    private static Activation Act(JsonElement p, int channels)
    {
        if (!p.TryGetProperty("activation", out var a))
        {
            return Activation.None;
        }
        return a.GetProperty("kind").GetString() switch
        {
            "none" => Activation.None,
            "relu" => Activation.Relu,
            "prelu" when a.TryGetProperty("slopes", out var s) => Activation.PRelu(s.EnumerateArray().Select(v => v.GetSingle()).ToArray()),
            "prelu" => Activation.PRelu(a.GetProperty("slope").GetSingle()),
            "leaky_relu" => Activation.LeakyRelu(a.GetProperty("alpha").GetSingle()),
            "tanh" => Activation.Tanh,
            "sigmoid" => Activation.Sigmoid,
            "clip" => Activation.Clip(a.GetProperty("min").GetSingle(), a.GetProperty("max").GetSingle()),
            var k => throw new InvalidDataException($"activation {k}"),
        };
    }

    private static float[]? Bias(JsonElement c) =>
        c.TryGetProperty("bias", out var b) && b.ValueKind != JsonValueKind.Null ? Floats(b) : null;

    private static Conv2dSpec Conv(JsonElement p, JsonElement c, int inChannels)
    {
        var w = c.GetProperty("weight");
        var shape = Shape(w);
        var stride = Ints(p.GetProperty("stride"));
        var pad = Ints(p.GetProperty("padding"));
        var dilation = Ints(p.GetProperty("dilation"));
        return new Conv2dSpec
        {
            InChannels = inChannels, OutChannels = shape[0], KernelH = shape[2], KernelW = shape[3],
            Weights = Floats(w), Bias = Bias(c), StrideY = stride[0], StrideX = stride[1],
            DilationY = dilation[0], DilationX = dilation[1], Padding = new Padding(pad[0], pad[1], pad[2], pad[3]),
            PaddingMode = Mode(p.GetProperty("padding_mode")), Groups = p.GetProperty("groups").GetInt32(),
            Activation = Act(p, shape[0]),
        };
    }

    private static ConvTranspose2dSpec Deconv(JsonElement p, JsonElement c, int inChannels)
    {
        var w = c.GetProperty("weight");
        var shape = Shape(w);
        int groups = p.GetProperty("groups").GetInt32();
        var stride = Ints(p.GetProperty("stride"));
        var pad = Ints(p.GetProperty("padding"));
        var outPad = Ints(p.GetProperty("output_padding"));
        int outC = shape[1] * groups;
        return new ConvTranspose2dSpec
        {
            InChannels = inChannels, OutChannels = outC, KernelH = shape[2], KernelW = shape[3],
            Weights = Floats(w), Bias = Bias(c), StrideY = stride[0], StrideX = stride[1],
            Padding = new Padding(pad[0], pad[1], pad[0], pad[1]), OutputPaddingY = outPad[0], OutputPaddingX = outPad[1],
            Groups = groups, Activation = Act(p, outC),
        };
    }

    private static PixelShuffleSpec Shuffle(JsonElement p) => new(p.GetProperty("scale").GetInt32(),
        p.GetProperty("order").GetString() == "dcr" ? DepthToSpaceOrder.Dcr : DepthToSpaceOrder.Crd);

    private static UpsampleSpec Upsample(JsonElement p)
    {
        var mode = p.GetProperty("mode").GetString() switch
        {
            "nearest" => UpsampleMode.Nearest,
            "bilinear" => UpsampleMode.Bilinear,
            _ => UpsampleMode.Bicubic,
        };
        bool align = p.GetProperty("align_corners").ValueKind == JsonValueKind.True;
        if (p.TryGetProperty("size", out var size))
        {
            var s = Ints(size);
            return new UpsampleSpec { Mode = mode, AlignCorners = align, OutputHeight = s[0], OutputWidth = s[1] };
        }
        var f = p.GetProperty("scale_factor").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        bool recompute = p.TryGetProperty("recompute_scale_factor", out var r) && r.GetBoolean();
        return new UpsampleSpec { Mode = mode, AlignCorners = align, ScaleY = f[0], ScaleX = f[1], RecomputeScaleFactor = recompute };
    }
}
