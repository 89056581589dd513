using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>The rtup command line.</summary>
public static class Program
{
    /// <summary>The environment variable that picks the Vulkan device when --device is not given.</summary>
    public const string DeviceEnvironmentVariable = "RTUP_DEVICE";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static readonly List<System.Runtime.InteropServices.PosixSignalRegistration> SignalHandlers = new();

    // The options every command takes.
    private static readonly Option<string?> DeviceOption = new("--device")
    {
        Description = $"Vulkan device by index or name substring (default: ${DeviceEnvironmentVariable}, else the best)",
        Recursive = true,
        // The library reads no environment: the application passes the variable's value as its choice.
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(DeviceEnvironmentVariable) is { Length: > 0 } v ? v : null,
    };

    private static readonly Option<bool> ValidateOption = new("--validate") { Description = "Enable the Vulkan validation layer", Recursive = true };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Print one JSON object", Recursive = true };

    private static readonly Option<string> PrecisionOption = new("--precision")
    {
        Description = "How tensors between layers are stored: fp32 (default), fp16 (half the memory; arithmetic stays float32; " +
                      "needs storageBuffer16BitAccess) or fp16-arithmetic (fp16, and the convolutions multiply and add in float16; needs shaderFloat16)",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>The tensors' precision and whether the convolutions multiply and add in float16, as <c>--precision</c> says.</summary>
    private static (TensorPrecision Precision, bool HalfArithmetic) ParsePrecision(ParseResult r) => r.GetValue(PrecisionOption) switch
    {
        "fp32" => (TensorPrecision.Float32, false),
        "fp16" => (TensorPrecision.Float16, false),
        "fp16-arithmetic" => (TensorPrecision.Float16, true),
        var other => throw new ArgumentException($"--precision {other} must be fp32, fp16 or fp16-arithmetic."),
    };

    private static readonly Option<string?> WinogradOption = new("--winograd")
    {
        Description = "on or off: run 3x3 convolutions with 32 or more input channels by Winograd F(4x4, 3x3) " +
                      "(default: the device type's, on for CPU devices, off for GPUs)",
    };

    /// <summary><c>--winograd</c>: true for on, false for off, null for the device type's default.</summary>
    internal static bool? ParseWinograd(ParseResult r) => r.GetValue(WinogradOption) switch
    {
        null => null,
        "on" => true,
        "off" => false,
        var other => throw new ArgumentException($"--winograd {other} must be on or off."),
    };

    /// <summary>The device's kernel tuning with the tensor precision <c>--precision</c> and the Winograd choice <c>--winograd</c> ask for.</summary>
    private static KernelTuning TuningFor(ParseResult r, GpuContext gpu)
    {
        var (precision, halfArithmetic) = ParsePrecision(r);
        var tuning = KernelTuning.ForDevice(gpu.Traits) with { Precision = precision, HalfArithmetic = halfArithmetic };
        tuning = tuning with { Winograd = ParseWinograd(r) ?? tuning.Winograd };
        CheckPrecision(tuning, gpu);
        return tuning;
    }

    /// <summary>Refuses a precision the device cannot run, naming the feature it lacks.</summary>
    internal static void CheckPrecision(KernelTuning tuning, GpuContext gpu)
    {
        if (tuning.Precision == TensorPrecision.Float16 && !gpu.HalfStorage)
        {
            throw new ArgumentException($"--precision {tuning.PrecisionName} needs storageBuffer16BitAccess, which {gpu.DeviceName} does not support.");
        }
        if (tuning.HalfArithmetic && !gpu.HalfArithmetic)
        {
            throw new ArgumentException($"--precision {tuning.PrecisionName} needs shaderFloat16, which {gpu.DeviceName} does not support.");
        }
    }

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        // Ctrl+C and kill (SIGTERM) stop at once, taking the half-written output with them.
        foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM })
        {
            // Kept referenced: a collected registration stops handling the signal.
            SignalHandlers.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, context =>
            {
                AtomicFile.AbandonAll();
                Console.Error.WriteLine($"rtup: interrupted ({context.Signal}); finished files are complete, no partial file was left");
                Environment.Exit(CliErrors.Interrupted);
            }));
        }

        var device = DeviceOption;
        var validate = ValidateOption;
        var json = JsonOption;
        var root = new RootCommand("RealtimeUpscale: learned super-resolution on Vulkan compute shaders") { device, validate, json };

        var dataset = new Argument<string>("dataset") { Description = "Folder of HR images (e.g. ../shared/datasets/Set5)" };
        var model = new Option<string>("--model") { Description = "Bundled model name or ONNX file", Required = true };
        var scale = new Option<int>("--scale") { Description = "Upscaling factor", Required = true };
        var rgbPath = new Option<bool>("--rgb")
        {
            Description = "Also measure colour images through the library's whole path (a luma model with bicubic chroma, an RGB model on RGB): PSNR on RGB and on the Y of that output",
        };
        var eval = new Command("eval", "PSNR/SSIM on a dataset by the SR papers' protocol (../shared/EVAL.md), with bicubic for reference")
        {
            dataset, model, scale, rgbPath, PrecisionOption, WinogradOption,
        };
        eval.SetAction(r => Run(r, gpu =>
        {
            if (r.GetValue(scale) is < 2 or > 8)
            {
                throw new ArgumentException($"--scale {r.GetValue(scale)} must be 2 to 8.");
            }
            var definition = ModelCatalog.Load(r.GetValue(model)!);
            bool asJson = r.GetValue(json);
            static string RgbColumns(RgbScore? rgb) => rgb is null ? "" :
                $"   RGB path: RGB {rgb.PsnrRgb,6:F2} Y {rgb.PsnrY,6:F2} dB, bicubic RGB {rgb.BicubicPsnrRgb,6:F2} Y {rgb.BicubicPsnrY,6:F2} dB";
            var result = new Evaluator(gpu, TuningFor(r, gpu)).Evaluate(r.GetValue(dataset)!, definition, r.GetValue(scale), s =>
            {
                if (!asJson)
                {
                    Console.WriteLine($"{s.Name,-28} PSNR {s.PsnrY,7:F2} dB  SSIM {s.SsimY:F4}   bicubic {s.BicubicPsnrY,7:F2} dB  {s.BicubicSsimY:F4}{RgbColumns(s.Rgb)}");
                }
            }, r.GetValue(rgbPath));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(result, Json));
            }
            else
            {
                Console.WriteLine($"{"mean",-28} PSNR {result.PsnrY,7:F2} dB  SSIM {result.SsimY:F4}   bicubic {result.BicubicPsnrY,7:F2} dB  {result.BicubicSsimY:F4}{RgbColumns(result.Rgb)}");
                Console.WriteLine($"({result.Images.Count} images, x{result.Scale}, {gpu.DeviceName})");
            }
        }));
        root.Subcommands.Add(eval);

        var size = new Option<string>("--size") { Description = "Input size WxH", Required = true };
        var runs = new Option<int>("--runs") { Description = "Timed runs (after 3 warm-up runs)", DefaultValueFactory = _ => 15 };
        var unfusedResiduals = new Option<bool>("--unfused-residuals")
        {
            Description = "Run residual additions as passes of their own instead of in the convolutions that write them (to measure the fusion)",
        };
        var unfusedExpansions = new Option<bool>("--unfused-expansions")
        {
            Description = "Run expanding 1x1 convolutions as passes of their own instead of in the convolutions that read them (to measure the fusion)",
        };
        var convPixels = new Option<int?>("--conv-pixels")
        {
            Description = "Output pixels per invocation of the direct convolution, 1 to 64, in place of the device type's choice (to measure kernel shapes)",
        };
        var convBlock = new Option<int?>("--conv-block")
        {
            Description = "Most output channels per invocation of the direct convolution, 1 to 64, in place of the device type's choice (to measure kernel shapes)",
        };
        var memorySize = new Option<string>("--memory-size")
        {
            Description = "Also report the peak device memory of one upscale from this input size, WxH, or none",
            DefaultValueFactory = _ => "1920x1080",
        };
        var bench = new Command("bench", "Median GPU time (timestamp queries) against ONNX Runtime's CPU provider in the same run")
        {
            model, size, runs, WinogradOption, unfusedResiduals, unfusedExpansions, memorySize, PrecisionOption, convPixels, convBlock,
        };
        bench.SetAction(r => Run(r, gpu =>
        {
            var (w, h) = ImageSize.Parse(r.GetValue(size)!, max: 16384);
            if (r.GetValue(runs) is < 1 or > 10000)
            {
                throw new ArgumentException($"--runs {r.GetValue(runs)} must be 1 to 10000.");
            }
            string memoryArg = r.GetValue(memorySize)!;
            ImageSize? memoryAt = memoryArg == "none" ? null : ImageSize.Parse(memoryArg, "--memory-size", max: 16384);
            foreach (var (name, value) in new[] { ("--conv-pixels", r.GetValue(convPixels)), ("--conv-block", r.GetValue(convBlock)) })
            {
                if (value is < 1 or > 64)
                {
                    throw new ArgumentException($"{name} {value} must be 1 to 64.");
                }
            }
            var tuning = TuningFor(r, gpu) with { ConvPixels = r.GetValue(convPixels), ConvChannelBlock = r.GetValue(convBlock) };
            string path = ModelCatalog.Locate(r.GetValue(model)!);
            var result = new Benchmark(gpu, tuning).Run(path, w, h, runs: r.GetValue(runs), fuseResiduals: !r.GetValue(unfusedResiduals),
                fuseExpansions: !r.GetValue(unfusedExpansions));
            if (memoryAt is { } m)
            {
                // A context of its own: the allocator's peak covers a context's whole life.
                using var fresh = GpuContext.Create(new GpuContextOptions { Device = r.GetValue(DeviceOption) });
                result = result with { Memory = new Benchmark(fresh, tuning).MeasureMemory(path, m.Width, m.Height) };
            }
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result, Json));
                return;
            }
            Console.Write(result.Report());
        }));
        root.Subcommands.Add(bench);

        var set5 = new Option<string>("--set5")
        {
            Description = "Set5 folder for the natural-image inputs",
            DefaultValueFactory = _ => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "datasets", "Set5"),
        };
        var analyze = new Command("analyze", "Checkerboard energy (relative to bicubic) and shift consistency of a model (or of bicubic:S)")
        {
            model, set5,
        };
        analyze.SetAction(r => Run(r, gpu =>
        {
            string modelArg = r.GetValue(model)!;
            var definition = !modelArg.StartsWith("bicubic:", StringComparison.Ordinal) ? ModelCatalog.Load(modelArg)
                : int.TryParse(modelArg[8..], NumberStyles.None, CultureInfo.InvariantCulture, out int bicubicFactor) && bicubicFactor is >= 2 and <= 8
                    ? Analyzer.Bicubic(bicubicFactor)
                    : throw new ArgumentException($"--model {modelArg}: bicubic:S needs S from 2 to 8.");
            var report = new Analyzer(gpu).Analyze(definition, Path.GetFullPath(r.GetValue(set5)!));
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    model = report.Model, scale = report.Scale, checkerboard_db = report.CheckerboardDb,
                    shift_consistency_db = report.ShiftConsistencyDb,
                    inputs = report.Inputs.Select(i => new { name = i.Name, checkerboard_db = i.CheckerboardDb }),
                }, Json));
                return;
            }
            foreach (var (name, db) in report.Inputs)
            {
                Console.WriteLine($"  {name,-20} checkerboard {db,7:F2} dB");
            }
            Console.WriteLine($"checkerboard energy vs bicubic: {report.CheckerboardDb:F2} dB");
            Console.WriteLine($"shift consistency:              {report.ShiftConsistencyDb:F2} dB");
        }));
        root.Subcommands.Add(analyze);

        var inputs = new Argument<string[]>("inputs") { Description = "Image files and folders (recursive)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output folder, or a file name for one input", Required = true };
        var upModel = new Option<string?>("--model") { Description = "Bundled model name or ONNX path (default: the best bundled x2)" };
        var upScale = new Option<double?>("--scale") { Description = "Target scale factor" };
        var width = new Option<int?>("--width") { Description = "Target width (height keeps the aspect ratio)" };
        var height = new Option<int?>("--height") { Description = "Target height (width keeps the aspect ratio)" };
        var upSize = new Option<string?>("--size") { Description = "Target size WxH" };
        var tile = new Option<string>("--tile") { Description = "Tile side in input pixels, or auto", DefaultValueFactory = _ => "auto" };
        var format = new Option<string?>("--format") { Description = "png, jpg, jpeg, bmp, tga, tif, tiff or webp (default: as the input; gif becomes png)" };
        var quality = new Option<int>("--quality") { Description = "JPEG quality 1-100", DefaultValueFactory = _ => 92 };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing outputs (never an input)" };
        var skipExisting = new Option<bool>("--skip-existing") { Description = "Leave existing outputs alone (rerunning an interrupted batch)" };
        var followSymlinks = new Option<bool>("--follow-symlinks") { Description = "Follow symbolic links inside input folders (loops are detected)" };
        var maxPixels = new Option<long>("--max-pixels")
        {
            Description = "Refuse images of more pixels, from their header (default 400000000)", DefaultValueFactory = _ => ImageFile.DefaultMaxPixels,
        };
        var dropAlpha = new Option<bool>("--drop-alpha") { Description = "Allow writing images with alpha to jpg, bmp or tif" };
        var upscale = new Command("upscale", "Upscale image files and folders")
        {
            inputs, output, upModel, upScale, width, height, upSize, tile, format, quality, overwrite, skipExisting, followSymlinks, maxPixels, dropAlpha,
            PrecisionOption, WinogradOption,
        };
        upscale.SetAction(r => CliErrors.Guard(r.GetValue(json), () =>
        {
            int? w = r.GetValue(width), h = r.GetValue(height);
            if (r.GetValue(upSize) is { } sz)
            {
                if (w is not null || h is not null)
                {
                    throw new ArgumentException("--size conflicts with --width and --height; give one of them.");
                }
                var parsed = ImageSize.Parse(sz);
                (w, h) = (parsed.Width, parsed.Height);
            }
            string t = r.GetValue(tile)!;
            int? tileSide = t == "auto" ? null
                : int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
                : throw new ArgumentException($"--tile '{t}' is not a number of pixels (8 to {UpscaleRequest.MaxTile}) or auto.");
            var (precision, halfArithmetic) = ParsePrecision(r);
            var request = new UpscaleRequest
            {
                Inputs = r.GetValue(inputs)!, Output = r.GetValue(output)!, Model = r.GetValue(upModel), Scale = r.GetValue(upScale),
                Width = w, Height = h, Tile = tileSide, Format = r.GetValue(format)?.ToLowerInvariant(), Quality = r.GetValue(quality),
                Overwrite = r.GetValue(overwrite), SkipExisting = r.GetValue(skipExisting), FollowSymlinks = r.GetValue(followSymlinks),
                MaxPixels = r.GetValue(maxPixels), DropAlpha = r.GetValue(dropAlpha), Json = r.GetValue(json),
                Precision = precision, HalfArithmetic = halfArithmetic, Winograd = ParseWinograd(r),
            };
            // Options, paths and the model are checked before the GPU is touched.
            var plan = BatchUpscaler.Prepare(request);
            var definition = ModelCatalog.Load(request.Model);
            if (plan.Jobs.Count == 0)
            {
                return BatchUpscaler.ReportOnly(request, plan, Console.Out, Console.Error);
            }
            return RunCode(r, gpu => new BatchUpscaler(gpu, Console.Out, Console.Error).Run(request, plan, definition));
        }));
        root.Subcommands.Add(upscale);

        var factor = new Option<int>("--factor") { Description = "Integer shrink factor, 2 to 64", Required = true };
        var filter = new Option<string>("--filter") { Description = "Binomial filter size 1..7, or naive (= 1)", DefaultValueFactory = _ => "3" };
        var downscale = new Command("downscale", "Shrink images with blur-before-downsample (Zhang 2019's BlurPool)")
        {
            inputs, output, factor, filter, format, quality, overwrite, skipExisting, followSymlinks, maxPixels, dropAlpha,
        };
        downscale.SetAction(r => CliErrors.Guard(r.GetValue(json), () =>
        {
            string f = r.GetValue(filter)!;
            int size = f == "naive" ? 1 : int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is >= 1 and <= 7 ? k
                : throw new ArgumentException($"--filter '{f}' is not 1 to 7 or naive.");
            int by = r.GetValue(factor);
            if (by is < 2 or > 64)
            {
                throw new ArgumentException($"--factor {by} must be 2 to 64.");
            }
            var request = new UpscaleRequest
            {
                Inputs = r.GetValue(inputs)!, Output = r.GetValue(output)!, Format = r.GetValue(format)?.ToLowerInvariant(),
                Quality = r.GetValue(quality), Overwrite = r.GetValue(overwrite), SkipExisting = r.GetValue(skipExisting),
                FollowSymlinks = r.GetValue(followSymlinks), MaxPixels = r.GetValue(maxPixels), DropAlpha = r.GetValue(dropAlpha), Json = r.GetValue(json),
            };
            var plan = BatchUpscaler.Prepare(request);
            if (plan.Jobs.Count == 0)
            {
                return BatchUpscaler.ReportOnly(request, plan, Console.Out, Console.Error);
            }
            return RunCode(r, gpu => new BatchUpscaler(gpu, Console.Out, Console.Error).Downscale(request, by, size, plan));
        }));
        root.Subcommands.Add(downscale);

        var graph = new Option<string?>("--graph") { Description = "Print MODEL's graph (name or path): the optimised graph that runs, one line per node" };
        var unfused = new Option<bool>("--unfused") { Description = "With --graph: the importer's graph before fusion" };
        var graphSize = new Option<string>("--size") { Description = "With --graph: input size WxH for the shapes", DefaultValueFactory = _ => "64x64" };
        var models = new Command("models", "List the bundled models: scale, family, Set5 PSNR; or print one's graph") { graph, unfused, graphSize };
        models.SetAction(r => CliErrors.Guard(r.GetValue(json), () =>
        {
            if (r.GetValue(graph) is { } graphModel)
            {
                string path = ModelCatalog.Locate(graphModel);
                var definition = r.GetValue(unfused) ? ModelDefinition.Import(path) : ModelDefinition.Load(path);
                var (w, h) = ImageSize.Parse(r.GetValue(graphSize)!);
                foreach (var line in GraphListing.Lines(definition, new TensorShape(definition.Info.InputChannels, h, w)))
                {
                    Console.WriteLine(line);
                }
                return 0;
            }
            var list = ModelCatalog.Bundled();
            if (list.Count == 0)
            {
                Console.WriteLine("No bundled models are installed (models/*.onnx).");
                return 0;
            }
            bool asJson = r.GetValue(json);
            int unreadable = 0;
            foreach (var path in list)
            {
                string name = Path.GetFileNameWithoutExtension(path);
                ModelDefinition m;
                try
                {
                    m = ModelDefinition.Load(path);
                }
                catch (Exception e) when (e is Network.Importers.ModelFormatException or IOException or UnauthorizedAccessException)
                {
                    // One damaged or unreadable model file does not hide the others.
                    unreadable++;
                    Console.WriteLine(asJson
                        ? JsonSerializer.Serialize(new { name, path, status = "unreadable", error = CliErrors.Message(e) })
                        : $"{name,-24} unreadable: {CliErrors.Message(e)}");
                    continue;
                }
                Console.WriteLine(asJson
                    ? JsonSerializer.Serialize(new
                    {
                        name, path, status = "ok", scale = m.Info.Scale, colorspace = m.Info.ColorSpace.ToString().ToLowerInvariant(),
                        family = m.Info.Metadata.GetValueOrDefault("family"), set5_psnr = ModelCatalog.RecordedSet5Psnr(m.Info),
                    })
                    : $"{name,-24} x{m.Info.Scale:0.##}  {m.Info.ColorSpace,-3}  " +
                      $"{m.Info.Metadata.GetValueOrDefault("family", "?"),-10}  Set5 {ModelCatalog.RecordedSet5Psnr(m.Info)?.ToString("F2", CultureInfo.InvariantCulture) ?? "?"} dB");
            }
            return unreadable == 0 ? 0 : CliErrors.Failed;
        }));
        root.Subcommands.Add(models);

        var devices = new Command("devices", "List the Vulkan devices, which one is chosen, and why");
        devices.SetAction(r => Run(r, gpu =>
        {
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(gpu.Candidates, Json));
                return;
            }
            foreach (var c in gpu.Candidates)
            {
                Console.WriteLine(c);
            }
        }));
        root.Subcommands.Add(devices);
        root.Subcommands.Add(DemoCommand.Create(device, validate, json));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && args.Contains("--json"))
        {
            // With --json even a command line that does not parse answers in JSON.
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                error = string.Join("; ", parsed.Errors.Select(e => e.Message)), kind = "usage", exit_code = CliErrors.Usage,
            }));
            return CliErrors.Usage;
        }
        return parsed.Invoke();
    }

    /// <summary>Runs <paramref name="body"/> on a context; listed failures become one-line errors (<see cref="CliErrors"/>).</summary>
    private static int Run(ParseResult r, Action<GpuContext> body) => RunCode(r, gpu =>
    {
        body(gpu);
        return 0;
    });

    /// <summary>
    /// As <see cref="Run"/>, for a body that returns its own exit code. With <c>--validate</c>, any validation
    /// message makes the exit code 1.
    /// </summary>
    private static int RunCode(ParseResult r, Func<GpuContext, int> body) => CliErrors.Guard(r.GetValue(JsonOption), () =>
    {
        string cacheFile = PipelineCacheFile();
        using var gpu = GpuContext.Create(new GpuContextOptions
        {
            Device = r.GetValue(DeviceOption), EnableValidation = r.GetValue(ValidateOption), PipelineCacheData = ReadCache(cacheFile),
        });
        int code = body(gpu);
        SaveCache(cacheFile, gpu);
        if (gpu.Validation is { Count: > 0 } log)
        {
            foreach (var m in log.Messages)
            {
                Console.Error.WriteLine($"validation: {m}");
            }
            return CliErrors.Failed;
        }
        return code;
    });

    /// <summary>
    /// Where the driver's pipeline cache is kept between runs: <c>$XDG_CACHE_HOME/rtup/pipelines.bin</c>, else
    /// <c>~/.cache/rtup/pipelines.bin</c>. The driver ignores a cache written for another device or driver.
    /// </summary>
    private static string PipelineCacheFile()
    {
        string? root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
        {
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(root, "rtup", "pipelines.bin");
    }

    /// <summary>The cached bytes, or null when there are none or they cannot be read (the cache only saves compile time).</summary>
    private static byte[]? ReadCache(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores the context's pipeline cache atomically; a failure to write it only costs compile time next run.</summary>
    private static void SaveCache(string path, GpuContext gpu)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllBytes(path, gpu.GetPipelineCacheData());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or VulkanException)
        {
            // Nothing to report: the run itself succeeded.
        }
    }
}
