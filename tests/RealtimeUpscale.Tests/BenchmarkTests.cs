using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// <c>rtup bench</c>'s figures: multiply-adds counted as the direct algorithm does, per pass and in total, times
/// that add up, the ONNX Runtime peer in the same run, and the peak memory of one upscale from the allocator.
/// </summary>
public sealed class BenchmarkTests
{
    [Fact]
    public void MultiplyAddsCountTheDirectAlgorithm()
    {
        var conv = new Conv2dSpec
        {
            InChannels = 12, OutChannels = 8, KernelH = 3, KernelW = 3, Groups = 2,
            Weights = new float[8 * 6 * 9], Bias = new float[8],
        };
        // 8 x 5 x 7 outputs, each a sum over 6 input channels of 3 x 3 taps.
        Assert.Equal(8 * 5 * 7 * 6 * 9, MultiplyAdds.Of(conv, new TensorShape(12, 7, 9), new TensorShape(8, 5, 7)));
        var deconv = new ConvTranspose2dSpec
        {
            InChannels = 4, OutChannels = 3, KernelH = 4, KernelW = 4, StrideY = 2, StrideX = 2,
            Weights = new float[4 * 3 * 16], Bias = new float[3],
        };
        // Every input element scatters into 3 x 4 x 4 outputs.
        Assert.Equal(4 * 5 * 6 * 3 * 16, MultiplyAdds.Of(deconv, new TensorShape(4, 5, 6), new TensorShape(3, 12, 14)));
        // Fused convolution and 1x1: 6 x 7 x 9 outputs of the 3x3 (each over 2 channels of 9 taps), then 4 x 7 x 9
        // outputs of the 1x1 (each over the 6 channels).
        var fused = new ConvPointwiseSpec(
            new Conv2dSpec { InChannels = 2, OutChannels = 6, KernelH = 3, KernelW = 3, Padding = Padding.All(1), Weights = new float[6 * 2 * 9] },
            new Conv2dSpec { InChannels = 6, OutChannels = 4, KernelH = 1, KernelW = 1, Weights = new float[4 * 6] });
        Assert.Equal(6 * 7 * 9 * 2 * 9 + 4 * 7 * 9 * 6, MultiplyAdds.Of(fused, new TensorShape(2, 7, 9), new TensorShape(4, 7, 9)));
        // An expanding 1x1 fused into the sub-pixel convolution after it: 10 x 7 x 9 outputs of the 1x1 (each over 3
        // channels), then 4 x 7 x 9 outputs of the 3x3 before the shuffle (each over 10 channels of 9 taps), counted
        // once each as the unfused layers would be, whatever the fused kernel computes again.
        var expanding = new PointwiseConvSpec(
            new Conv2dSpec { InChannels = 3, OutChannels = 10, KernelH = 1, KernelW = 1, Weights = new float[10 * 3] },
            new SubPixelConvSpec(new Conv2dSpec { InChannels = 10, OutChannels = 4, KernelH = 3, KernelW = 3, Padding = Padding.All(1), Weights = new float[4 * 10 * 9] },
                new PixelShuffleSpec(2, DepthToSpaceOrder.Crd)));
        Assert.Equal(10 * 7 * 9 * 3 + 4 * 7 * 9 * 10 * 9, MultiplyAdds.Of(expanding, new TensorShape(3, 7, 9), new TensorShape(1, 14, 18)));
        Assert.Equal(0, MultiplyAdds.Of(new PixelShuffleSpec(2, DepthToSpaceOrder.Crd), new TensorShape(4, 5, 6), new TensorShape(1, 10, 12)));
    }

    /// <summary>Writes an ONNX file of one 3x3 convolution from 3 to 16 channels (padding 1, random weights) and returns its path.</summary>
    private static string ConvModel(int stride)
    {
        var rng = new Random(stride);
        string path = Path.Combine(Path.GetTempPath(), $"rtup-bands-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, new OnnxBuilder { InputChannels = 3 }
            .Initializer("W", new long[] { 16, 3, 3, 3 }, HostTensor.RandomFloats(rng, 16 * 27))
            .Node("Conv", new[] { "input", "W" }, "output", o =>
            {
                OnnxBuilder.IntsAttribute("pads", 1, 1, 1, 1)(o);
                OnnxBuilder.IntsAttribute("strides", stride, stride)(o);
            }, "conv1")
            .Build());
        return path;
    }

    [Fact]
    public void RunsInBandsWhereATensorOfTheWholeInputExceedsTheBindingLimit()
    {
        // A 3x3 convolution from 3 to 16 channels at 37x45 (ModelDefinition.ReceptiveRadius: 2, the window's 1 and a pixel
        // more): its output, 16 x 45 x 37 floats, is 106,560 bytes. Against a limit of 16 x 19 x 37 x 4 = 44,992 bytes a band
        // holds at most 19 rows, and n bands hold ceil(45 / n) + 4 rows each: 2 bands 27, 3 bands 19, 4 bands 16.
        string path = ConvModel(stride: 1);
        try
        {
            using var gpu = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
            var tuning = KernelTuning.ForDevice(gpu.Traits);
            var model = ModelDefinition.Load(path);
            const ulong limit = 16 * 19 * 37 * 4;
            Assert.Equal((1, 45), Benchmark.Bands(model, new TensorShape(3, 45, 37), 16 * 45 * 37 * 4, tuning));
            Assert.Equal((3, 19), Benchmark.Bands(model, new TensorShape(3, 45, 37), limit, tuning));
            Assert.Equal((4, 16), Benchmark.Bands(model, new TensorShape(3, 45, 37), limit - 1, tuning));

            var result = new Benchmark(gpu, tuning).Run(path, 37, 45, warmup: 1, runs: 1, onnxRuntime: false, bindingLimit: limit);
            Assert.Equal((3, 19), (result.Bands, result.BandHeight));
            // The multiply-adds are the three bands', overlaps included; the time is the bands' sum, per pass and in all.
            Assert.Equal(3 * 16 * 19 * 37 * 27 / 1e9, result.GMac, 12);
            var pass = Assert.Single(result.Layers);
            Assert.Equal(result.GpuMs, pass.GpuMs, 9);
            Assert.True(result.GpuMs > 0);
            Assert.Empty(gpu.Validation!.Drain());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void BandsKeepTheDownsamplingPhase()
    {
        // A stride-2 3x3 convolution (downsampling stride 2, receptive radius 2) at 37x45: a band's height differs from
        // the input's 45 rows by a multiple of 2. Against 16 x 9 x 19 x 4 bytes (an output of 9 rows, from 17 input rows),
        // 3 bands of 19 rows (10 output rows) do not fit; 4 bands take ceil(45 / 4) + 4 = 16 rows, raised to 17.
        string path = ConvModel(stride: 2);
        try
        {
            var model = ModelDefinition.Load(path);
            Assert.Equal(2, model.DownsamplingStride());
            var tuning = new KernelTuning { CpuStyle = true };
            Assert.Equal((4, 17), Benchmark.Bands(model, new TensorShape(3, 45, 37), 16 * 9 * 19 * 4, tuning));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReportsPassesPeerAndMemory()
    {
        string model = Path.Combine(AppContext.BaseDirectory, "Models", "fsrcnn_like_x2.onnx");
        using var gpu = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var result = new Benchmark(gpu).Run(model, 37, 23, warmup: 1, runs: 3);
        Assert.Equal(37, result.Width);
        Assert.True(result.OnnxRuntimeCpuMs > 0);
        Assert.Equal(result.GpuMs / result.OnnxRuntimeCpuMs, result.Ratio, 9);
        Assert.True(result.FirstRunMs > 0 && result.PipelineSetupMs > 0);
        Assert.NotEmpty(result.Layers);
        // The passes' multiply-adds add up to the total, and the convolutions have some.
        Assert.Equal(result.Layers.Sum(l => l.GMac), result.GMac, 9);
        Assert.Contains(result.Layers, l => l.GMac > 0 && l.GMacPerSecond > 0);
        // The total is the median of per-run sums, not the sum of per-pass medians; both are positive.
        Assert.True(result.GpuMs > 0 && result.Layers.All(l => l.GpuMs >= 0));
        Assert.Empty(result.Unfused);
        Assert.Equal((1, 23), (result.Bands, result.BandHeight));
        // The host processor is named (on Linux from /proc/cpuinfo's model name, else by its architecture) with this
        // process's processor count.
        Assert.EndsWith($", {Environment.ProcessorCount} cores", result.HostCpu);
        string name = result.HostCpu[..result.HostCpu.LastIndexOf(',')];
        if (File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("model name", StringComparison.Ordinal)))
        {
            Assert.Contains(name, File.ReadAllText("/proc/cpuinfo"));
        }
        else
        {
            Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(), name);
        }
        // Without a fusion, its passes run apart and count the same multiply-adds.
        var unfused = new Benchmark(gpu).Run(model, 37, 23, warmup: 1, runs: 1, onnxRuntime: false, fuseResiduals: false, fuseExpansions: false);
        Assert.Equal(new[] { "residual additions", "expanding 1x1 convolutions" }, unfused.Unfused);
        Assert.Equal(result.Layers.Count + 1, unfused.Layers.Count); // the expanding 1x1 (the model has no residual)
        Assert.Equal(result.GMac, unfused.GMac, 9);

        using var fresh = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var memory = new Benchmark(fresh).MeasureMemory(model, 41, 29);
        Assert.Equal((82, 58), (memory.OutputWidth, memory.OutputHeight));
        // At least the output image (RGBA8) and the largest network tensor live at once.
        Assert.True(memory.PeakBytesAllocated >= 82 * 58 * 4, $"peak {memory.PeakBytesAllocated} bytes");
        Assert.True(memory.PeakBytesReserved >= memory.PeakBytesAllocated);
        Assert.Empty(gpu.Validation!.Drain());
        Assert.Empty(fresh.Validation!.Drain());
    }
}
