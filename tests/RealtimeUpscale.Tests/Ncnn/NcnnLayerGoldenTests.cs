using RealtimeUpscale.Network;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>
/// The ncnn layers the importer lowers (Pooling with its pad modes and count_include_pad, InnerProduct, BinaryOp
/// with ncnn's broadcasts and scalars, Scale, BatchNorm, Eltwise, squeeze-excitation blocks, Crop, Padding, Concat,
/// Interp, PixelShuffle, the activations, ConvolutionDepthWise and DeconvolutionDepthWise), each as a small .param
/// + .bin from the "ncnn" cases of Golden/torch_golden.json: tests/golden/ncnn_ops.py writes the files' lines and
/// weights and computes with PyTorch what ncnn's documented semantics give for them. Each model is imported from the
/// files and run twice: optimised, on the GPU through the network, and as imported, by the float64
/// <see cref="CpuReference"/>. Tolerance: <see cref="Compare.RelativeTolerance"/> (max-norm relative 1e-5), as every
/// layer: PyTorch computes in float32 and the GPU in float32, so both sit within a few float32 roundings (about
/// 1e-7 relative) of the float64 reference; a layer that read a parameter or a weight wrongly is off by far more.
/// </summary>
public sealed class NcnnLayerGoldenTests : GpuTest
{
    public NcnnLayerGoldenTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<string> CaseNames() => GoldenTests.Names(ncnn: true);

    [Fact]
    public void EveryLoweredLayerTypeHasACase()
    {
        var types = GoldenTests.Fixture.Values.Where(c => c.GetProperty("op").GetString() == "ncnn")
            .SelectMany(c => c.GetProperty("params").GetProperty("layers").EnumerateArray().Select(l => l.GetString()!.Split(' ')[0]))
            .ToHashSet();
        foreach (var type in new[] { "Pooling", "InnerProduct", "BinaryOp", "Scale", "BatchNorm", "Eltwise", "Crop", "Padding",
                     "Concat", "Interp", "PixelShuffle", "ReLU", "PReLU", "Sigmoid", "TanH", "Clip", "Convolution",
                     "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise", "Split" })
        {
            Assert.Contains(type, types);
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = GoldenTests.Fixture[name];
        var layers = c.GetProperty("params").GetProperty("layers").EnumerateArray().Select(l => l.GetString()!).ToArray();
        using var files = new NcnnFiles();
        string param = files.Write(name, layers, NcnnFiles.Floats(GoldenTests.Floats(c.GetProperty("bin"))));
        var input = GoldenTests.Tensor(c.GetProperty("input"));
        var expected = GoldenTests.Tensor(c.GetProperty("output"));

        Compare.Close(expected, CpuReference.Run(ModelDefinition.Import(param), input), what: $"{name} (CPU reference)");
        Compare.Close(expected, OnnxImportTests.RunGpu(Context, ModelDefinition.Load(param), input), what: name);
    }
}
