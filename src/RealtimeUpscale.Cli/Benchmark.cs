using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>Median GPU time of one layer.</summary>
public sealed record LayerTime(string Name, double GpuMs);

/// <summary>One benchmark: the GPU pipeline and ONNX Runtime's CPU provider on the same model and input, in one run.</summary>
public sealed record BenchmarkResult(
    string Model, string Device, int Width, int Height, int Runs, double GpuMs,
    [property: System.Text.Json.Serialization.JsonPropertyName("onnxruntime_cpu_ms")] double OnnxRuntimeCpuMs,
    double Ratio, IReadOnlyList<LayerTime> Layers);

/// <summary>
/// Times a model at one input size: on the GPU with timestamp queries (first to last pass), and on ONNX Runtime's
/// CPU provider with a stopwatch around Run; each after warm-up runs, reporting the median of the timed runs.
/// </summary>
public sealed class Benchmark
{
    private readonly GpuContext _context;

    /// <summary>Benchmarks on <paramref name="context"/>.</summary>
    public Benchmark(GpuContext context) => _context = context;

    /// <summary>
    /// Runs both. ONNX Runtime runs only ONNX files (for other formats its time and the ratio are NaN). A model with
    /// a framing (ncnn waifu2x and Real-CUGAN files) runs on the padded input an image of
    /// <paramref name="width"/> x <paramref name="height"/> becomes.
    /// </summary>
    public BenchmarkResult Run(string modelPath, int width, int height, int warmup = 3, int runs = 15, bool onnxRuntime = true)
    {
        var model = ModelDefinition.Load(modelPath);
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
        var perLayer = new Dictionary<string, List<double>>();
        var order = new List<string>();
        using (var network = new Network.Network(_context, model))
        using (var binding = network.Bind(shape))
        using (var timer = new GpuTimer(_context, model.Nodes.Count + 4))
        {
            binding.Input.Upload(input);
            for (int i = 0; i < warmup + runs; i++)
            {
                _context.Execute(r =>
                {
                    r.BeginTiming(timer);
                    binding.Record(r);
                });
                var times = timer.Read();
                if (i < warmup)
                {
                    continue;
                }
                totals.Add(times.Sum(t => t.Milliseconds));
                for (int k = 0; k < times.Count; k++)
                {
                    string key = $"{k:D2} {times[k].Label}";
                    if (!perLayer.TryGetValue(key, out var list))
                    {
                        perLayer[key] = list = new List<double>();
                        order.Add(key);
                    }
                    list.Add(times[k].Milliseconds);
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
        var layers = order.Select(k => new LayerTime(k[3..], Median(perLayer[k]))).ToList();
        return new BenchmarkResult(modelPath, _context.DeviceName, width, height, runs, gpu, cpu, gpu / cpu, layers);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
