using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Cli;

/// <summary>
/// Median GPU time of one pass, its multiply-adds (a convolution's direct count, whatever algorithm runs; zero
/// for passes that only move data) and the rate they were done at.
/// </summary>
public sealed record LayerTime(
    string Name, double GpuMs,
    [property: JsonPropertyName("gmac")] double GMac,
    [property: JsonPropertyName("gmac_per_s")] double GMacPerSecond);

/// <summary>
/// Device memory of one whole upscale (input image, network tensors, weights, output image), from the
/// allocator's statistics: the peak of live buffers and images while it ran, and the device memory held in blocks.
/// </summary>
public sealed record MemoryFigure(int InputWidth, int InputHeight, int OutputWidth, int OutputHeight,
    long PeakBytesAllocated, long PeakBytesReserved);

/// <summary>
/// One benchmark: the GPU pipeline and ONNX Runtime's CPU provider on the same model and input, in one run.
/// <see cref="Unfused"/> names the fusions left out of the timed graph (empty for the graph that ships); the memory
/// figure, when measured, is always the shipped graph's. <see cref="Winograd"/> is the tuning's setting,
/// <see cref="WinogradLayers"/> the layers it ran by Winograd F(4x4, 3x3). <see cref="HostCpu"/> names the processor ONNX
/// Runtime ran on, which on a CPU Vulkan device (lavapipe) is the device's too: the ratio depends on it.
/// <see cref="Bands"/> is 1 when the network ran on the whole input; more when a tensor of the whole input exceeds one
/// storage-buffer binding, and the GPU ran that many bands of <see cref="BandHeight"/> input rows (see <see cref="Benchmark.Run"/>).
/// </summary>
public sealed record BenchmarkResult(
    string Model, string Device, string DeviceType, string ApiVersion, string DriverVersion, string Date,
    int Width, int Height, int Runs, bool Winograd, string Precision, double GpuMs,
    [property: JsonPropertyName("onnxruntime_cpu_ms")] double OnnxRuntimeCpuMs,
    double Ratio,
    [property: JsonPropertyName("gmac")] double GMac,
    [property: JsonPropertyName("gmac_per_s")] double GMacPerSecond,
    [property: JsonPropertyName("pipeline_setup_ms")] double PipelineSetupMs,
    [property: JsonPropertyName("first_run_ms")] double FirstRunMs,
    IReadOnlyList<LayerTime> Layers, MemoryFigure? Memory, IReadOnlyList<string> Unfused, int WinogradLayers,
    [property: JsonPropertyName("host_cpu")] string HostCpu, int Bands, int BandHeight,
    [property: JsonPropertyName("conv_pixels")] int? ConvPixels, [property: JsonPropertyName("conv_block")] int? ConvBlock)
{
    /// <summary>The result as <c>rtup bench</c> prints it without <c>--json</c>: one line per figure, then one per pass.</summary>
    public string Report()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{Path.GetFileName(Model)} at {Width}x{Height}, median of {Runs} runs after warm-up, {Precision} tensors" +
                        (WinogradLayers > 0 ? $", {WinogradLayers} layer(s) by Winograd" : "") + string.Concat(Unfused.Select(u => $", {u} unfused")) +
                        (ConvPixels is { } px ? $", convolutions at {px} pixels per invocation" : "") +
                        (ConvBlock is { } block ? $", in blocks of up to {block} channels" : ""));
        text.AppendLine($"  GPU ({Device}): {GpuMs,9:F2} ms  ({GMac:F2} GMAC, {GMacPerSecond:F1} GMAC/s)");
        text.AppendLine($"  host: {HostCpu}");
        if (Bands > 1)
        {
            text.AppendLine($"  GPU in {Bands} bands of {BandHeight} input rows (the whole input's tensors exceed one storage-buffer binding): their sum");
        }
        if (double.IsNaN(OnnxRuntimeCpuMs))
        {
            text.AppendLine("  ONNX Runtime CPU:  not run (it runs ONNX files only)");
        }
        else
        {
            text.AppendLine($"  ONNX Runtime CPU:  {OnnxRuntimeCpuMs,9:F2} ms");
            text.AppendLine($"  ratio GPU / ONNX Runtime: {Ratio:F2} ({(Ratio < 1 ? "faster" : "slower")})");
        }
        text.AppendLine($"  pipelines and tensors: {PipelineSetupMs:F0} ms; first run (pipeline compilation): {FirstRunMs:F0} ms");
        if (Memory is { } mem)
        {
            text.AppendLine($"  peak device memory, {mem.InputWidth}x{mem.InputHeight} -> {mem.OutputWidth}x{mem.OutputHeight}: " +
                            $"{mem.PeakBytesAllocated / 1048576.0:F1} MiB in buffers and images, {mem.PeakBytesReserved / 1048576.0:F1} MiB reserved");
        }
        text.AppendLine("  GPU ms per pass, GMAC/s:");
        foreach (var l in Layers)
        {
            text.AppendLine($"    {l.Name,-24} {l.GpuMs,9:F2} {l.GMacPerSecond,7:F1}");
        }
        return text.ToString();
    }
}

/// <summary>
/// Times a model at one input size: on the GPU with timestamp queries (first to last pass), and on ONNX Runtime's
/// CPU provider with a stopwatch around Run; each after warm-up runs, reporting the median of the timed runs.
/// Building the layers, pipelines and tensors (<c>pipeline_setup_ms</c>) and the first submission, where a driver
/// compiles its pipelines (<c>first_run_ms</c>, host time), are reported apart and kept out of the medians.
/// </summary>
public sealed class Benchmark
{
    private readonly GpuContext _context;
    private readonly KernelTuning _tuning;

    /// <summary>Benchmarks on <paramref name="context"/> with kernels tuned by <paramref name="tuning"/> (null: for the device).</summary>
    public Benchmark(GpuContext context, KernelTuning? tuning = null)
    {
        _context = context;
        _tuning = tuning ?? KernelTuning.ForDevice(context.Traits);
    }

    /// <summary>
    /// Runs both. ONNX Runtime runs only ONNX files (for other formats its time and the ratio are NaN). A model with
    /// a framing (ncnn waifu2x and Real-CUGAN files) runs on the padded input an image of
    /// <paramref name="width"/> x <paramref name="height"/> becomes. The result has no
    /// <see cref="BenchmarkResult.Memory"/>: see <see cref="MeasureMemory"/>.
    /// Where a tensor of the whole input would exceed one storage-buffer binding (waifu2x upconv_7's 128-channel
    /// tensors at 960x540 on lavapipe's 128 MiB), the GPU runs the input as the fewest full-width bands whose tensors fit,
    /// each band its share of the rows plus the model's receptive radius above and below (as tiles overlap in
    /// <c>rtup upscale</c>), one submission per band: its GPU time, per pass and in all, is the sum over the bands, and
    /// the multiply-adds count the overlaps; ONNX Runtime runs the whole input. Models with whole-image statistics
    /// (squeeze-excitation) are not split: a band's statistics would not be the image's.
    /// </summary>
    /// <param name="modelPath">The model file.</param>
    /// <param name="width">Input width.</param>
    /// <param name="height">Input height.</param>
    /// <param name="warmup">Untimed runs first.</param>
    /// <param name="runs">Timed runs.</param>
    /// <param name="onnxRuntime">Whether to time ONNX Runtime too.</param>
    /// <param name="fuseResiduals">False: the graph without <see cref="ResidualIntoConvolution"/>, the residual additions as passes of their own.</param>
    /// <param name="fuseExpansions">False: the graph without <see cref="PointwiseIntoNextConvolution"/>, expanding 1x1 convolutions as passes of their own.</param>
    /// <param name="bindingLimit">The largest tensor one band may hold (null: the device's maxStorageBufferRange).</param>
    public BenchmarkResult Run(string modelPath, int width, int height, int warmup = 3, int runs = 15, bool onnxRuntime = true,
        bool fuseResiduals = true, bool fuseExpansions = true, ulong? bindingLimit = null)
    {
        var unfused = new List<string>();
        if (!fuseResiduals)
        {
            unfused.Add("residual additions");
        }
        if (!fuseExpansions)
        {
            unfused.Add("expanding 1x1 convolutions");
        }
        var model = unfused.Count == 0
            ? ModelDefinition.Load(modelPath)
            : GraphOptimizer.OptimizeWith(ModelDefinition.Import(modelPath), GraphOptimizer.Passes.Where(p =>
                (fuseResiduals || p is not ResidualIntoConvolution) && (fuseExpansions || p is not PointwiseIntoNextConvolution)));
        onnxRuntime &= string.Equals(Path.GetExtension(modelPath), ".onnx", StringComparison.OrdinalIgnoreCase);
        var p = model.Info.Framing?.PaddingFor(width, height) ?? default;
        var shape = new TensorShape(model.Info.InputChannels, height + p.Top + p.Bottom, width + p.Left + p.Right);
        var rng = new Random(1);
        var input = new float[shape.ElementCount];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)rng.NextDouble();
        }

        var totals = new List<double>();
        var perLayer = new List<List<double>>();
        var labels = new List<string>();
        var macs = new List<double>();
        double setupMs, firstRunMs = 0;
        int winogradLayers;
        var (bands, bandHeight) = Bands(model, shape, bindingLimit ?? _context.Properties.Limits.MaxStorageBufferRange, _tuning);
        var bandShape = new TensorShape(shape.Channels, bandHeight, shape.Width);
        var setup = Stopwatch.StartNew();
        using (var network = new Network.Network(_context, model, tuning: _tuning))
        using (var binding = network.Bind(bandShape))
        using (var timer = new GpuTimer(_context, binding.PassCount + 4))
        {
            setupMs = setup.Elapsed.TotalMilliseconds;
            winogradLayers = model.Nodes.Count(n =>
                GpuLayer.ScratchSizes(n.Spec, n.Inputs.Select(v => binding.Shapes[v]).ToArray(), _tuning).Count > 0);
            // Every band reads rows of the same random input (the first band's; the time does not depend on the values).
            binding.Input.Upload(input.AsSpan(0, (int)bandShape.ElementCount));
            for (int i = 0; i < warmup + runs; i++)
            {
                var host = Stopwatch.StartNew();
                var sums = new List<PassTiming>();
                for (int band = 0; band < bands; band++)
                {
                    _context.Execute(r =>
                    {
                        r.BeginTiming(timer);
                        binding.Record(r);
                    });
                    // A layer that runs as several passes (Winograd's bands) is timed as their sum, and so is a layer over the bands.
                    var times = PassTiming.PerLabel(timer.Read());
                    for (int k = 0; k < times.Count; k++)
                    {
                        if (band == 0)
                        {
                            sums.Add(times[k]);
                        }
                        else
                        {
                            sums[k] = sums[k] with { Milliseconds = sums[k].Milliseconds + times[k].Milliseconds };
                        }
                    }
                }
                if (i == 0)
                {
                    firstRunMs = host.Elapsed.TotalMilliseconds;
                }
                if (i < warmup)
                {
                    continue;
                }
                totals.Add(sums.Sum(t => t.Milliseconds));
                for (int k = 0; k < sums.Count; k++)
                {
                    if (k == perLayer.Count)
                    {
                        perLayer.Add(new List<double>());
                        labels.Add(sums[k].Label);
                        var node = model.Nodes.FirstOrDefault(n => n.Name == sums[k].Label);
                        macs.Add(node is null ? 0 : bands * MultiplyAdds.Of(node.Spec, binding.Shapes[node.Inputs[0]], binding.Shapes[node.Output]));
                    }
                    perLayer[k].Add(sums[k].Milliseconds);
                }
            }
        }
        double gpu = Median(totals);

        double cpu = double.NaN;
        if (onnxRuntime)
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            using var session = new InferenceSession(modelPath, options);
            string name = session.InputMetadata.Keys.First();
            var tensor = new DenseTensor<float>(input, new[] { 1, shape.Channels, height, width });
            var inputs = new[] { NamedOnnxValue.CreateFromTensor(name, tensor) };
            var cpuTimes = new List<double>();
            for (int i = 0; i < warmup + runs; i++)
            {
                var sw = Stopwatch.StartNew();
                using (session.Run(inputs))
                {
                }
                sw.Stop();
                if (i >= warmup)
                {
                    cpuTimes.Add(sw.Elapsed.TotalMilliseconds);
                }
            }
            cpu = Median(cpuTimes);
        }
        var layers = labels.Select((label, k) =>
        {
            double ms = Median(perLayer[k]);
            return new LayerTime(label, ms, macs[k] / 1e9, ms > 0 ? macs[k] / 1e6 / ms : 0);
        }).ToList();
        double total = macs.Sum() / 1e9;
        uint driver = _context.Properties.DriverVersion;
        return new BenchmarkResult(modelPath, _context.DeviceName, _context.Traits.Type.ToString(), _context.Traits.ApiVersion,
            $"{driver >> 22}.{(driver >> 12) & 0x3ff}.{driver & 0xfff}", DateTime.UtcNow.ToString("yyyy-MM-dd"),
            width, height, runs, _tuning.Winograd, _tuning.PrecisionName, gpu, cpu, gpu / cpu, total, gpu > 0 ? total * 1e3 / gpu : 0,
            setupMs, firstRunMs, layers, null, unfused, winogradLayers, HostCpu(), bands, bandHeight, _tuning.ConvPixels,
            _tuning.ConvChannelBlock);
    }

    /// <summary>
    /// How the GPU runs <paramref name="shape"/>: whole (1 band of all its rows) when every tensor and scratch buffer of the
    /// network fits <paramref name="limit"/> (one storage-buffer binding); otherwise the fewest full-width bands of equal height (their share of the
    /// rows plus the receptive radius above and below, at most all rows) that fit. A band's height differs from the whole
    /// input's by a multiple of the downsampling layers' stride and of the framing's alignment, so that the network's shapes
    /// work out for it as for the whole input. Models with whole-image statistics stay whole, and binding them reports the
    /// size that does not fit.
    /// </summary>
    internal static (int Bands, int Height) Bands(ModelDefinition model, TensorShape shape, ulong limit, KernelTuning tuning)
    {
        bool Fits(int height)
        {
            try
            {
                return new MemoryPlan(model, new TensorShape(shape.Channels, height, shape.Width), precision: tuning.Precision, tuning: tuning)
                    .LargestTensorBytes <= limit;
            }
            catch (ArgumentException)
            {
                return false; // a height the network's shapes do not work out for
            }
        }
        if (model.HasWholeImageStatistics || Fits(shape.Height))
        {
            return (1, shape.Height);
        }
        int radius = model.ReceptiveRadius();
        int stride = model.DownsamplingStride(), alignment = model.Info.Framing?.Alignment ?? 1;
        for (int bands = 2; bands <= shape.Height; bands++)
        {
            int height = (shape.Height + bands - 1) / bands + 2 * radius;
            while (height < shape.Height && ((shape.Height - height) % stride != 0 || (shape.Height - height) % alignment != 0))
            {
                height++;
            }
            if (height < shape.Height && Fits(height))
            {
                return (bands, height);
            }
        }
        return (1, shape.Height);
    }

    /// <summary>The host processor's model name (Linux: /proc/cpuinfo) and its logical processor count, as "NAME, N cores".</summary>
    internal static string HostCpu()
    {
        string name = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (File.Exists("/proc/cpuinfo") &&
                File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line)
            {
                name = line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The architecture stands in for the name.
        }
        return $"{name}, {Environment.ProcessorCount} cores";
    }

    /// <summary>
    /// Upscales one RGBA image of <paramref name="width"/> x <paramref name="height"/> as <c>rtup upscale</c> does
    /// (automatic tiles: one where the image fits the memory budget and every tensor one buffer binding; the upscaler
    /// converts to the model's channels) and reads the allocator's peaks, less what the context held before. The
    /// allocator's peak covers the context's whole life: run this first on a context of its own.
    /// </summary>
    public MemoryFigure MeasureMemory(string modelPath, int width, int height)
    {
        var model = ModelDefinition.Load(modelPath);
        var before = _context.MemoryStatistics;
        int scale;
        using (var tiler = TiledUpscaler.Automatic(_context, model, _tuning))
        {
            tiler.Upscale(new byte[(long)width * height * 4], width, height, PixelFormat.Rgba);
            scale = tiler.Scale;
        }
        var after = _context.MemoryStatistics;
        return new MemoryFigure(width, height, width * scale, height * scale,
            (long)(after.Device.PeakBytesAllocated + after.Upload.PeakBytesAllocated + after.Download.PeakBytesAllocated) - (long)before.BytesAllocated,
            (long)(after.Device.PeakBytesReserved + after.Upload.PeakBytesReserved + after.Download.PeakBytesReserved) -
            (long)(before.Device.BytesReserved + before.Upload.BytesReserved + before.Download.BytesReserved));
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
