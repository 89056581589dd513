using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Float16 tensors (<see cref="KernelTuning.Precision"/>, the shaders' NAME_f16 variants). Arithmetic stays float32
/// and only loads and stores convert, so a layer on float16 tensors computes, from its inputs as the upload rounds
/// them, the float64 reference's value rounded once. Every layer of the PyTorch fixture, in both kernel tunings (texel
/// reads through R16_SFLOAT views on CPU devices, storage-buffer reads on GPUs), must therefore land within one
/// float16 ulp of the float64 reference run on the rounded inputs (whatever rounding mode the driver converts with),
/// plus the float32 tolerance (<see cref="Compare.RelativeTolerance"/> of the largest output); pure moves exactly.
/// Against PyTorch's own float32 outputs, on inputs not rounded, within <see cref="TorchTolerance"/>. Whole networks
/// round every intermediate: FSRCNN x2 against ONNX Runtime within <see cref="NetworkTolerance"/>, and the
/// upscaler's 8-bit output within one level of float32's. The convolutions' float16 multiply-adds
/// (<see cref="KernelTuning.HalfArithmetic"/>) round every product and partial sum: within
/// <see cref="HalfArithmeticTolerance"/> per layer and <see cref="HalfArithmeticNetworkTolerance"/> per network.
/// </summary>
public sealed class HalfStorageTests : GpuTest
{
    /// <summary>
    /// Relative max-norm error against PyTorch's float32 output on unrounded inputs: each input rounds by up to 2^-11
    /// of itself and the output once more, so a sum of products whose terms cancel to a tenth of their magnitudes
    /// stays within about 2^-11 x 11, 5e-3.
    /// </summary>
    private const double TorchTolerance = 5e-3;

    /// <summary>
    /// Largest absolute error of a whole network's output in [0, 1] against float32: one 8-bit level (1 / 255). Every
    /// stored intermediate rounds by up to 2^-11 of itself, and FSRCNN's mapping layers hold values of several units:
    /// its outputs measure up to 1.9e-3 off, the bundled models' 0.7e-3 to 1.0e-3.
    /// </summary>
    private const double NetworkTolerance = 1.0 / 255;

    /// <summary>
    /// Largest absolute error of a whole network's output against float32 when its convolutions multiply and add in
    /// float16: eight 8-bit levels (8 / 255). FSRCNN's head sums 56 x 25 terms in float16: x2 measures 1.6e-2 (about
    /// four levels), x3 1.3e-2; the bundled models 2.8e-3 to 5.6e-3.
    /// </summary>
    private const double HalfArithmeticNetworkTolerance = 8.0 / 255;

    private static readonly KernelTuning[] Tunings =
    {
        new() { CpuStyle = true, Precision = TensorPrecision.Float16 },
        new() { CpuStyle = false, Precision = TensorPrecision.Float16 },
    };

    private readonly ITestOutputHelper _output;

    public HalfStorageTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu)
    {
        _output = output;
    }

    /// <summary>A value rounded to float16 as <see cref="GpuTensor.Upload"/> rounds it.</summary>
    private static double Round16(double v) => (double)(float)(Half)(float)v;

    private static HostTensor Round16(HostTensor x) => x with { Data = x.Data.Select(Round16).ToArray() };

    /// <summary>The spacing of float16 values at <paramref name="v"/> (2^-24 among the subnormals).</summary>
    private static double Ulp16(double v)
    {
        double a = Math.Abs(v);
        return a < Math.Pow(2, -14) ? Math.Pow(2, -24) : Math.Pow(2, Math.Floor(Math.Log2(a)) - 10);
    }

    /// <summary>Every element within one float16 ulp of the reference plus the float32 tolerance.</summary>
    private static void WithinOneUlp(HostTensor expected, HostTensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.True(expected.Data.Max(Math.Abs) > 0, $"{what}: the reference output is all zeros; the test would prove nothing.");
        double slack = Compare.RelativeTolerance * expected.Data.Max(Math.Abs);
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double e = expected.Data[i], a = actual.Data[i];
            Assert.False(double.IsNaN(a), $"{what}: element {i} is NaN.");
            Assert.True(Math.Abs(a - e) <= Ulp16(e) + slack,
                $"{what}: element {i} is {a}, the reference {e}: {Math.Abs(a - e) / Ulp16(e):F2} float16 ulps off.");
        }
    }

    public static TheoryData<string> CaseNames() => GoldenTests.Names(ncnn: false);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EveryLayerRoundsOnceInBothTunings(string name)
    {
        var c = GoldenTests.Fixture[name];
        string op = c.GetProperty("op").GetString()!;
        var inputs = GoldenTests.Inputs(c);
        var torch = GoldenTests.Tensor(c.GetProperty("output"));
        var rounded = inputs.Select(Round16).ToArray();
        foreach (var tuning in Tunings)
        {
            string what = $"{name}, float16, CPU style {tuning.CpuStyle}";
            HostTensor gpu;
            if (op == "squeeze_excitation")
            {
                // Four layers, each storing its result: compared as a network, below.
                var graph = GoldenTests.SqueezeExcitation(c, inputs[0].C);
                gpu = OnnxImportTests.RunGpu(Context, GraphOptimizer.Optimize(graph), inputs[0], tuning);
                double err = Compare.RelativeError(CpuReference.Run(graph, rounded[0]), gpu);
                Assert.True(err < 4 * Math.Pow(2, -11), $"{what}: relative error {err:E3} against the reference on rounded inputs.");
            }
            else
            {
                var spec = GoldenTests.Spec(c);
                var expected = CpuReference.Layer(spec, rounded);
                gpu = spec is PadSpec or ActivationSpec
                    ? OnnxImportTests.RunGpu(Context, GraphOptimizer.Optimize(GoldenTests.OneNode(spec, inputs[0].C)), inputs[0], tuning)
                    : TunedLayer.Run(Context, tuning, spec, inputs);
                if (op is "crop" or "crop_to" or "concat" or "pad")
                {
                    Assert.Equal(expected.Data, gpu.Data);
                }
                else
                {
                    WithinOneUlp(expected, gpu, what);
                }
            }
            double torchError = Compare.RelativeError(torch, gpu);
            _output.WriteLine($"{what}: {torchError:E2} against PyTorch float32");
            Assert.True(torchError < TorchTolerance, $"{what}: relative error {torchError:E3} against PyTorch's float32 output exceeds {TorchTolerance:E1}.");
        }
    }

    /// <summary>
    /// Relative max-norm error of a convolution that multiplies and adds in float16
    /// (<see cref="KernelTuning.HalfArithmetic"/>) against the float64 reference on the rounded inputs: every product and
    /// every partial sum rounds by up to 2^-11, over up to 9 x 9 x 4 terms in the fixture's layers: measured up to
    /// 5.5e-3 (the 9x9 convolution; 3.2e-3 for the 5x5, 1.3e-3 to 1.9e-3 for the 3x3 ones).
    /// </summary>
    private const double HalfArithmeticTolerance = 2e-2;

    private static readonly string[] ConvolutionOps = { "conv2d", "conv_transpose2d", "resize_conv", "subpixel_conv", "blurpool" };

    public static TheoryData<string> ConvolutionCaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var (name, c) in GoldenTests.Fixture.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (ConvolutionOps.Contains(c.GetProperty("op").GetString()))
            {
                data.Add(name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvolutionCaseNames))]
    public void ConvolutionsMultiplyAndAddInFloat16InBothTunings(string name)
    {
        var c = GoldenTests.Fixture[name];
        var inputs = GoldenTests.Inputs(c);
        var spec = GoldenTests.Spec(c);
        var expected = CpuReference.Layer(spec, inputs.Select(Round16).ToArray());
        foreach (var tuning in Tunings.Select(t => t with { HalfArithmetic = true }))
        {
            var gpu = TunedLayer.Run(Context, tuning, spec, inputs);
            var storageOnly = TunedLayer.Run(Context, tuning with { HalfArithmetic = false }, spec, inputs);
            double err = Compare.RelativeError(expected, gpu);
            _output.WriteLine($"{name}, CPU style {tuning.CpuStyle}: {err:E2} with float16 multiply-adds, {Compare.RelativeError(expected, storageOnly):E2} without");
            Assert.True(err < HalfArithmeticTolerance, $"{name}, CPU style {tuning.CpuStyle}: relative error {err:E3} exceeds {HalfArithmeticTolerance:E1}.");
            // The multiply-adds really were float16: where float32 ones round at all, the result is not theirs (a 1x1 blur
            // and a constant input are exact either way).
            if (Compare.RelativeError(expected, storageOnly) > 0)
            {
                Assert.NotEqual(storageOnly.Data, gpu.Data);
            }
        }
    }

    /// <summary>The FSRCNN authors' models and the bundled ones (fused residuals, bicubic global residuals).</summary>
    [Theory]
    [InlineData("FSRCNN_x2.onnx")]
    [InlineData("FSRCNN_x3.onnx")]
    [InlineData("subpixel_x2.onnx")]
    [InlineData("subpixel_rgb_x2.onnx")]
    [InlineData("deconv_x2.onnx")]
    [InlineData("resizeconv_x2.onnx")]
    public void ModelsOnFloat16TensorsMatchOnnxRuntime(string file)
    {
        string path = file.StartsWith("FSRCNN", StringComparison.Ordinal)
            ? SharedData.FsrcnnModel(file)
            : System.IO.Path.Combine(SharedData.RepositoryRoot, "models", file);
        var definition = ModelDefinition.Load(path);
        var x = HostTensor.Random(new Random(file.Length), definition.Info.InputChannels, 37, 29, 0.06, 0.92);
        var expected = OnnxRuntimeOracle.Run(path, x);
        foreach (var tuning in Tunings)
        {
            var gpu = OnnxImportTests.RunGpu(Context, definition, x, tuning);
            Assert.Equal(expected.Shape, gpu.Shape);
            double err = expected.Data.Zip(gpu.Data, (e, a) => Math.Abs(e - a)).Max();
            _output.WriteLine($"{file}, CPU style {tuning.CpuStyle}: largest error {err:E2}");
            Assert.True(err < NetworkTolerance, $"{file} on float16 tensors, CPU style {tuning.CpuStyle}: largest error {err:E3} exceeds {NetworkTolerance:E2}.");
            // Not the float32 result: the tensors really were float16.
            var fp32 = OnnxImportTests.RunGpu(Context, definition, x, tuning with { Precision = TensorPrecision.Float32 });
            Assert.NotEqual(fp32.Data, gpu.Data);

            // Float16 multiply-adds as well.
            var math = OnnxImportTests.RunGpu(Context, definition, x, tuning with { HalfArithmetic = true });
            double mathErr = expected.Data.Zip(math.Data, (e, a) => Math.Abs(e - a)).Max();
            _output.WriteLine($"{file}, CPU style {tuning.CpuStyle}, float16 multiply-adds: largest error {mathErr:E2}");
            Assert.True(mathErr < HalfArithmeticNetworkTolerance,
                $"{file} with float16 multiply-adds, CPU style {tuning.CpuStyle}: largest error {mathErr:E3} exceeds {HalfArithmeticNetworkTolerance:E2}.");
            Assert.NotEqual(gpu.Data, math.Data);
        }
    }

    [Fact]
    public void UpscalerOnFloat16TensorsStaysWithinOneLevelOfFloat32()
    {
        var model = ModelDefinition.Load(System.IO.Path.Combine(SharedData.RepositoryRoot, "models", "subpixel_rgb_x2.onnx"));
        const int w = 45, h = 31;
        var rgba = new byte[w * h * 4];
        new Random(7).NextBytes(rgba);
        using var fp32 = new Upscaler(Context, model, w, h);
        using var fp16 = new Upscaler(Context, model, w, h, KernelTuning.ForDevice(Context.Traits) with { Precision = TensorPrecision.Float16 });
        var a = fp32.Upscale(rgba, PixelFormat.Rgba);
        var b = fp16.Upscale(rgba, PixelFormat.Rgba);
        Assert.Equal(a.Length, b.Length);
        int maxDiff = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
        double equal = a.Zip(b, (p, q) => p == q ? 1.0 : 0.0).Average();
        _output.WriteLine($"largest difference {maxDiff} levels, {equal:P2} of the bytes equal");
        Assert.True(maxDiff <= 1, $"float16 tensors moved 8-bit outputs by up to {maxDiff} levels.");
        Assert.True(equal > 0.9, $"only {equal:P1} of the bytes are equal");
    }

    /// <summary>
    /// The ncnn peer models on float16 tensors, in tiles that keep their values between the passes of whole-image
    /// statistics (Real-CUGAN's squeeze-excitation means, computed and supplied as float16 tensors, and the values a
    /// tile keeps read back from float16 tensors): within one 8-bit level of float32 run whole.
    /// </summary>
    [Theory]
    [InlineData("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param")]
    [InlineData("waifu2x", "models-cunet", "scale2.0x_model.param")]
    [InlineData("realcugan", "models-se", "up2x-no-denoise.param")]
    public void PeerModelsInFloat16TilesStayCloseToFloat32(string family, string folder, string file)
    {
        var model = ModelDefinition.Load(Ncnn.NcnnImportTests.PeerModel(family, folder, file));
        const int w = 97, h = 27, tile = 40;
        var pixels = new byte[w * h * 3];
        var rng = new Random(3);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp((i / 3 % w < w / 2 ? 60 : 190) + rng.Next(-40, 41), 0, 255);
        }
        byte[] whole;
        using (var upscaler = new Upscaler(Context, model, w, h))
        {
            whole = upscaler.Upscale(pixels, PixelFormat.Rgb);
        }
        using var tiled = new TiledUpscaler(Context, model, tile, KernelTuning.ForDevice(Context.Traits) with { Precision = TensorPrecision.Float16 });
        var half = tiled.Upscale(pixels, w, h, PixelFormat.Rgb);
        Assert.Equal(whole.Length, half.Length);
        int maxDiff = whole.Zip(half, (p, q) => Math.Abs(p - q)).Max();
        double equal = whole.Zip(half, (p, q) => p == q ? 1.0 : 0.0).Average();
        _output.WriteLine($"{family} {folder}: largest difference {maxDiff} levels, {equal:P2} of the bytes equal");
        Assert.True(maxDiff <= 1, $"{family} {folder} on float16 tensors: outputs differ by up to {maxDiff} levels.");
    }

    [Fact]
    public void TensorsOfAnotherPrecisionAreRefusedWithTheLayersName()
    {
        var spec = new Conv2dSpec { InChannels = 1, OutChannels = 1, KernelH = 1, KernelW = 1, Weights = new[] { 1f } };
        using var layer = GpuLayer.Create(Context, spec, "fp32 layer");
        using var half = new GpuTensor(Context, new TensorShape(1, 3, 3), TensorPrecision.Float16);
        using var full = new GpuTensor(Context, new TensorShape(1, 3, 3));
        var e = Assert.Throws<ArgumentException>(() => layer.Bind(half, full));
        Assert.Contains("fp32 layer", e.Message);
        Assert.Contains("fp16", e.Message);

        var definition = GoldenTests.OneNode(spec, 1);
        using var network = new Network.Network(Context, definition, tuning: Tunings[0]);
        var n = Assert.Throws<ArgumentException>(() => network.Bind(full.Shape, full));
        Assert.Contains("fp32", n.Message);
    }

    [Fact]
    public void Float16TensorsHoldHalfTheBytesAndConvertOnTheWay()
    {
        var values = new[] { 0f, 1f, -2.5f, 1f / 3, 65504f, 1e-6f, 0.1f };
        using var t = new GpuTensor(Context, new TensorShape(1, 1, values.Length), values, TensorPrecision.Float16);
        Assert.Equal((ulong)values.Length * 2, t.ByteSize);
        Assert.Equal(values.Select(v => (float)(Half)v), t.Download());
        var plan32 = new MemoryPlan(GoldenTests.OneNode(new Conv2dSpec { InChannels = 1, OutChannels = 4, KernelH = 1, KernelW = 1, Weights = new float[4] }, 1),
            new TensorShape(1, 8, 8));
        var plan16 = new MemoryPlan(GoldenTests.OneNode(new Conv2dSpec { InChannels = 1, OutChannels = 4, KernelH = 1, KernelW = 1, Weights = new float[4] }, 1),
            new TensorShape(1, 8, 8), precision: TensorPrecision.Float16);
        Assert.Equal(plan32.Bytes / 2, plan16.Bytes);

        // Longer than one conversion chunk, through mapped memory and through staging copies.
        var many = Enumerable.Range(0, 10007).Select(i => (float)(3 * Math.Sin(i))).ToArray();
        var rounded = many.Select(v => (float)(Half)v).ToArray();
        using var mapped = new GpuTensor(Context, new TensorShape(1, 1, many.Length), many, TensorPrecision.Float16);
        Assert.True(mapped.Buffer.IsMapped);
        Assert.Equal(rounded, mapped.Download());
        using var staged = GpuContext.Create(new GpuContextOptions { EnableValidation = true, MapDeviceMemory = false });
        using (var copied = new GpuTensor(staged, new TensorShape(1, 1, many.Length), many, TensorPrecision.Float16))
        {
            Assert.False(copied.Buffer.IsMapped);
            Assert.Equal(rounded, copied.Download());
        }
        Assert.Empty(staged.Validation!.Drain());
    }

    [Fact]
    public void ABorrowedDeviceGetsFloat16TensorsOnlyWhenTheEngineSaysItEnabledThem()
    {
        var c = Context;
        using var plain = GpuContext.Borrow(c.Vk, c.Instance, c.PhysicalDevice, c.Device, c.Queue, c.QueueFamilyIndex);
        Assert.True(c.HalfStorage, "lavapipe supports storageBuffer16BitAccess and the context enables it");
        Assert.False(plain.HalfStorage);
        var e = Assert.Throws<NotSupportedException>(() => new GpuTensor(plain, new TensorShape(1, 2, 2), TensorPrecision.Float16));
        Assert.Contains("storageBuffer16BitAccess", e.Message);
        using var told = GpuContext.Borrow(c.Vk, c.Instance, c.PhysicalDevice, c.Device, c.Queue, c.QueueFamilyIndex,
            new GpuContextOptions { HostEnabledStorageBuffer16Bit = true });
        Assert.True(told.HalfStorage);
        Assert.False(told.HalfArithmetic);
        Assert.True(c.HalfArithmetic, "lavapipe supports shaderFloat16 and the context enables it");
        using var both = GpuContext.Borrow(c.Vk, c.Instance, c.PhysicalDevice, c.Device, c.Queue, c.QueueFamilyIndex,
            new GpuContextOptions { HostEnabledStorageBuffer16Bit = true, HostEnabledShaderFloat16 = true });
        Assert.True(both.HalfArithmetic);
        // Float16 multiply-adds on a context without them, or on float32 tensors, are refused.
        var conv = new Conv2dSpec { InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, Weights = new float[9] };
        var halfMath = new KernelTuning { Precision = TensorPrecision.Float16, HalfArithmetic = true };
        Assert.Contains("shaderFloat16", Assert.Throws<NotSupportedException>(() => GpuLayer.Create(told, conv, "c", halfMath)).Message);
        Assert.Contains("float16 tensors only", Assert.Throws<ArgumentException>(() =>
            GpuLayer.Create(c, conv, "c", halfMath with { Precision = TensorPrecision.Float32 })).Message);
    }
}
