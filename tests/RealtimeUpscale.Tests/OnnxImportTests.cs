using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers.Onnx;
using RealtimeUpscale.Runtime;
using System.Text.Json;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>Whole ONNX models on the GPU against ONNX Runtime, on random inputs of odd sizes.</summary>
public sealed class OnnxImportTests : GpuTest
{
    /// <summary>Tolerance for whole networks: max-norm relative error against ONNX Runtime.</summary>
    public const double NetworkTolerance = 1e-4;

    public OnnxImportTests(GpuFixture gpu) : base(gpu)
    {
    }

    internal static HostTensor RunGpu(GpuContext context, ModelDefinition definition, HostTensor x, KernelTuning? tuning = null)
    {
        using var network = new Network.Network(context, definition, tuning: tuning);
        using var binding = network.Bind(x.Shape);
        binding.Input.Upload(x.ToFloat());
        context.Execute(binding.Record);
        return HostTensor.FromFloat(binding.Output.Shape, binding.Output.Download());
    }

    [Theory]
    [InlineData("FSRCNN_x2.onnx", 2)]
    [InlineData("FSRCNN_x3.onnx", 3)]
    [InlineData("FSRCNN_x4.onnx", 4)]
    [InlineData("FSRCNN-s_x2.onnx", 2)]
    [InlineData("FSRCNN-s_x3.onnx", 3)]
    public void FsrcnnReleaseMatchesOnnxRuntime(string file, int scale)
    {
        string path = SharedData.FsrcnnModel(file);
        var definition = ModelDefinition.Load(path);
        Assert.Equal(ColorSpace.Y, definition.Info.ColorSpace);
        Assert.Equal(scale, definition.Info.Scale);
        // Pads fused into convolutions, the crop and bias add into the transposed convolution, which then runs
        // as a sub-pixel convolution (4, 9 or 16 phases) computing its input from the expanding 1x1 before it. The
        // first convolution and the shrinking 1x1 run fused.
        Assert.DoesNotContain(definition.Nodes, n => n.Spec is CropSpec or ScaleBiasSpec or ConvTranspose2dSpec);
        var head = Assert.IsType<SubPixelConvSpec>(Assert.IsType<PointwiseConvSpec>(definition.Nodes[^1].Spec).Conv);
        Assert.Equal(scale * scale, head.Conv.OutChannels);
        Assert.IsType<ConvPointwiseSpec>(definition.Nodes[0].Spec);

        var x = HostTensor.Random(new Random(scale), 1, 13, 11, 0.06, 0.92);
        var expected = OnnxRuntimeOracle.Run(path, x);
        var actual = RunGpu(Context, definition, x);
        Compare.Close(expected, actual, NetworkTolerance, file);
    }

    /// <summary>
    /// The bundled models, whose residual blocks and bicubic global residual run fused into their convolutions
    /// (<see cref="ResidualConvSpec"/>), on the GPU and on ONNX Runtime at two odd sizes.
    /// </summary>
    [Theory]
    [InlineData("subpixel_x2.onnx")]
    [InlineData("subpixel_rgb_x2.onnx")]
    [InlineData("deconv_x2.onnx")]
    [InlineData("resizeconv_x2.onnx")]
    public void BundledModelWithFusedResidualsMatchesOnnxRuntime(string file)
    {
        string path = System.IO.Path.Combine(SharedData.RepositoryRoot, "models", file);
        var definition = ModelDefinition.Load(path);
        Assert.Contains(definition.Nodes, n => n.Spec is ResidualConvSpec { Upsample: null });
        Assert.Contains(definition.Nodes, n => n.Spec is ResidualConvSpec { Upsample.Mode: UpsampleMode.Bicubic });
        Assert.DoesNotContain(definition.Nodes, n => n.Spec is BinarySpec or UpsampleSpec);
        int seed = 0;
        foreach (var (h, w) in new[] { (13, 11), (9, 37) })
        {
            var x = HostTensor.Random(new Random(file.Length * 17 + seed++), definition.Info.InputChannels, h, w, 0, 1);
            Compare.Close(OnnxRuntimeOracle.Run(path, x), RunGpu(Context, definition, x), NetworkTolerance, $"{file} at {w}x{h}");
        }
    }

    private static string ModelPath(string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Models", file);

    private static JsonElement[] Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ModelPath("manifest.json")));
        return doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.Clone()).ToArray();
    }

    public static TheoryData<string> ConformanceModels()
    {
        var data = new TheoryData<string>();
        foreach (var m in Manifest())
        {
            data.Add(m.GetProperty("file").GetString()!);
        }
        return data;
    }

    [Fact]
    public void ConformanceModelsCoverEverySupportedOp()
    {
        var covered = Manifest().SelectMany(m => m.GetProperty("ops").EnumerateArray().Select(o => o.GetString())).ToHashSet();
        foreach (var op in OnnxImporter.SupportedOps.Where(o => o != "Dropout"))
        {
            Assert.Contains(op, covered);
        }
    }

    /// <summary>
    /// Each model exported by tests/onnx/generate_models.py, at two odd sizes, on the GPU and on ONNX Runtime.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceModels))]
    public void ConformanceModelMatchesOnnxRuntime(string file)
    {
        var entry = Manifest().Single(m => m.GetProperty("file").GetString() == file);
        string path = ModelPath(file);
        var definition = ModelDefinition.Load(path);
        int channels = entry.GetProperty("input_channels").GetInt32();
        Assert.Equal(channels, definition.Info.InputChannels);
        if (entry.GetProperty("colorspace").ValueKind == JsonValueKind.String)
        {
            Assert.Equal(entry.GetProperty("colorspace").GetString() == "y" ? ColorSpace.Y : ColorSpace.Rgb, definition.Info.ColorSpace);
        }
        var sizes = entry.GetProperty("test_sizes").EnumerateArray().Select(s => s.EnumerateArray().Select(v => v.GetInt32()).ToArray());
        int seed = 0;
        foreach (var size in sizes)
        {
            var x = HostTensor.Random(new Random(file.Length * 31 + seed++), channels, size[0], size[1], 0, 1);
            var expected = OnnxRuntimeOracle.Run(path, x);
            var actual = RunGpu(Context, definition, x);
            Compare.Close(expected, actual, NetworkTolerance, $"{file} at {size[0]}x{size[1]}");
        }
    }
}
