using System.Text.Json;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every layer against outputs computed by PyTorch 1.13 (Golden/torch_golden.json, written by
/// tests/golden/generate.py), within <see cref="Compare.RelativeTolerance"/>. The fixtures are never
/// regenerated to make a failing test pass.
/// </summary>
public sealed class GoldenTests : GpuTest
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(Load);

    public GoldenTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static Dictionary<string, JsonElement> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", "torch_golden.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Load().Keys)
        {
            data.Add(name);
        }
        return data;
    }

    [Fact]
    public void FixtureCoversEveryOperation()
    {
        var ops = Cases.Value.Values.Select(c => c.GetProperty("op").GetString()).ToHashSet();
        foreach (var op in new[] { "conv2d", "conv_transpose2d", "pixel_shuffle", "interpolate", "blurpool",
                     "resize_conv", "subpixel_conv", "add", "scale_bias" })
        {
            Assert.Contains(op, ops);
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var p = c.GetProperty("params");
        var input = Tensor(c.GetProperty("input"));
        var expected = Tensor(c.GetProperty("output"));
        HostTensor actual = c.GetProperty("op").GetString() switch
        {
            "conv2d" => Gpu.Run(Conv(p, c, input.C), input),
            "conv_transpose2d" => Gpu.Run(Deconv(p, c, input.C), input),
            "pixel_shuffle" => Gpu.Run(Shuffle(p), input),
            "interpolate" => Gpu.Run(Upsample(p), input),
            "blurpool" => Gpu.Run(new BlurPoolSpec(input.C, p.GetProperty("filter_size").GetInt32(),
                p.GetProperty("stride").GetInt32(), Mode(p.GetProperty("padding_mode"))), input),
            "resize_conv" => Gpu.Run(new ResizeConvSpec(Upsample(p.GetProperty("upsample")), Conv(p.GetProperty("conv"), c, input.C)), input),
            "subpixel_conv" => Gpu.Run(new SubPixelConvSpec(Conv(p.GetProperty("conv"), c, input.C), Shuffle(p.GetProperty("shuffle"))), input),
            "add" => Gpu.Run(new BinarySpec(BinaryOperator.Add, Act(p, input.C)), input, Tensor(c.GetProperty("input2"))),
            "scale_bias" => Gpu.Run(new ScaleBiasSpec(Floats(c.GetProperty("scale")), Floats(c.GetProperty("bias")), Act(p, input.C)), input),
            var op => throw new InvalidDataException($"Unknown op '{op}' in the fixture."),
        };
        Compare.Close(expected, actual, what: name);
    }

    private static HostTensor Tensor(JsonElement t)
    {
        var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return HostTensor.FromFloat(new TensorShape(shape[0], shape[1], shape[2]), Floats(t));
    }

    private static float[] Floats(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

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
        return new UpsampleSpec { Mode = mode, AlignCorners = align, ScaleY = f[0], ScaleX = f[1] };
    }
}
