using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Onnx;
using RealtimeUpscale.Runtime;
using Spectre.Console;
using StbImageWriteSharp;

namespace RealtimeUpscale.Cli;

/// <summary>What <c>rtup upscale</c> was asked to do.</summary>
public sealed record UpscaleRequest
{
    /// <summary>Files and folders (folders recursively).</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>The output folder, or a file name when there is one input file.</summary>
    public required string Output { get; init; }

    /// <summary>A bundled model name or an ONNX path; null for the bundled default.</summary>
    public string? Model { get; init; }

    /// <summary>Target scale factor, or null.</summary>
    public double? Scale { get; init; }

    /// <summary>Target width, or null.</summary>
    public int? Width { get; init; }

    /// <summary>Target height, or null.</summary>
    public int? Height { get; init; }

    /// <summary>Tile side in input pixels, or null for automatic.</summary>
    public int? Tile { get; init; }

    /// <summary>Output format (png, jpg, bmp, tga), or null to keep the input's (gif becomes png).</summary>
    public string? Format { get; init; }

    /// <summary>JPEG quality.</summary>
    public int Quality { get; init; } = 92;

    /// <summary>Replace existing outputs.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Write images with alpha to formats without alpha, dropping it.</summary>
    public bool DropAlpha { get; init; }

    /// <summary>One JSON line per file and a summary line.</summary>
    public bool Json { get; init; }

    /// <summary>
    /// PNG outputs larger than this many bytes of pixels are written band by band as the GPU makes them, never
    /// held whole (default 1 GiB; outputs over 2 GB cannot be held at all).
    /// </summary>
    public long StreamAboveBytes { get; init; } = 1L << 30;
}

/// <summary>
/// Upscales files and folders: decoding, GPU work and encoding run as three overlapping stages, so a batch
/// runs at the speed of its slowest stage. A file that fails is reported with its reason and the batch goes
/// on; outputs are written to a temporary file and renamed, so an interrupted run leaves no partial file;
/// inputs are never overwritten, existing outputs only when asked.
/// </summary>
public sealed class BatchUpscaler
{
    private static readonly string[] Readable = { ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif" };
    private static readonly string[] Writable = { "png", "jpg", "bmp", "tga" };
    private readonly GpuContext _context;

    // The tiler of the current batch, kept from image to image so that images of one size reuse its upscalers
    // (pipelines, tensors and their memory); made again when the model or tile request changes.
    private TiledUpscaler? _tiler;
    private (ModelDefinition Model, int Tile) _tilerKey;
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private bool _live;

    /// <summary>Runs on <paramref name="context"/>, reporting to the given writers.</summary>
    public BatchUpscaler(GpuContext context, TextWriter output, TextWriter error)
    {
        _context = context;
        _out = output;
        _err = error;
    }

    private sealed record Job(string Input, string Output);

    private sealed record Decoded(Job Job, HostImage? Image, string? Error, double Seconds);

    /// <summary>A finished image for the writer stage; <c>Pixels</c> is null when the GPU stage already streamed the file.</summary>
    private sealed record Encoded(Job Job, byte[]? Pixels, int Width, int Height, int Channels, int InWidth, int InHeight, string? Error, double GpuSeconds);

    /// <summary>Runs the request; returns the process exit code (0 only when every file succeeded).</summary>
    public int Run(UpscaleRequest request)
    {
        var model = ResolveModel(request.Model);
        double s = model.Info.Scale;
        if (s < 2 || Math.Abs(s - Math.Round(s)) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: upscaling needs a model with an integer factor of 2 or more, not {s}.");
        }
        return Process(request, (image, job, progress) => Upscale(image, job, model, request, progress), model.Info.Source);
    }

    /// <summary>
    /// Shrinks the request's images by an integer <paramref name="factor"/> with BlurPool (binomial filter
    /// <paramref name="filter"/>, 1 being the naive strided subsample); same staging, safety and reporting.
    /// </summary>
    public int Downscale(UpscaleRequest request, int factor, int filter)
    {
        if (factor < 2 || filter is < 1 or > 7)
        {
            throw new ArgumentException($"--factor must be 2 or more and --filter 1 to 7 (or naive), got {factor} and {filter}.");
        }
        return Process(request, (image, _, _) =>
        {
            if (image.Width < factor || image.Height < factor)
            {
                throw new ArgumentException($"a {image.Width}x{image.Height} image is smaller than the factor {factor}");
            }
            var pixels = Resampler.Downscale(_context, image.Pixels.ToArray(), image.Width, image.Height, image.Channels, factor, filter);
            return ((byte[]?)pixels, (image.Width + factor - 1) / factor, (image.Height + factor - 1) / factor);
        }, $"blur-pool /{factor}, filter {filter}");
    }

    private int Process(UpscaleRequest request, Func<HostImage, Job, Action<double>, (byte[]? Pixels, int Width, int Height)> transform, string what)
    {
        var jobs = PlanJobs(request, out var planErrors);
        foreach (var (path, reason) in planErrors)
        {
            Report(new Job(path, ""), "error", reason, 0, 0, 0, 0, 0, request.Json);
        }
        var clock = Stopwatch.StartNew();
        double load = 0, gpu = 0, save = 0;
        int ok = 0, failed = planErrors.Count;

        var decoded = Channel.CreateBounded<Decoded>(2);
        var encoded = Channel.CreateBounded<Encoded>(2);
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var job in jobs)
                {
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        var image = ImageFile.Load(job.Input);
                        string? problem = image.SourceBitsPerChannel > 8
                            ? $"{image.SourceBitsPerChannel}-bit images are not upscaled at full depth yet; convert it to 8 bits first"
                            : image.HasAlpha && !KeepsAlpha(job.Output) && !request.DropAlpha
                                ? $"it has alpha, which {Path.GetExtension(job.Output)} cannot store; choose --format png or tga, or pass --drop-alpha"
                                : null;
                        await decoded.Writer.WriteAsync(new Decoded(job, problem is null ? image : null, problem, sw.Elapsed.TotalSeconds));
                    }
                    catch (Exception e)
                    {
                        // Any failure to read one file (including running out of memory on a huge one) fails that file only.
                        await decoded.Writer.WriteAsync(new Decoded(job, null, e.Message, sw.Elapsed.TotalSeconds));
                    }
                }
            }
            finally
            {
                decoded.Writer.Complete();
            }
        });
        var writer = Task.Run(async () =>
        {
            await foreach (var item in encoded.Reader.ReadAllAsync())
            {
                var sw = Stopwatch.StartNew();
                string? error = item.Error;
                if (error is null && item.Pixels is not null)
                {
                    try
                    {
                        WriteAtomically(item, request);
                    }
                    catch (Exception e)
                    {
                        error = e.Message;
                    }
                }
                save += sw.Elapsed.TotalSeconds;
                if (error is null)
                {
                    ok++;
                    Report(item.Job, "ok", null, item.InWidth, item.InHeight, item.Width, item.Height, item.GpuSeconds, request.Json);
                }
                else
                {
                    failed++;
                    Report(item.Job, "error", error, item.InWidth, item.InHeight, 0, 0, item.GpuSeconds, request.Json);
                }
            }
        });

        // The GPU stage runs here: one thread owns the queue. A terminal gets a live progress display (overall,
        // current file, images per second, time left); anything else gets the plain lines of Report.
        void GpuStage(Action<string, double>? fileProgress, Action<int>? fileDone)
        {
            int index = 0;
            foreach (var item in decoded.Reader.ReadAllAsync().ToBlockingEnumerable())
            {
                load += item.Seconds;
                Encoded result;
                if (item.Image is null)
                {
                    result = new Encoded(item.Job, null, 0, 0, 0, 0, 0, item.Error, 0);
                }
                else
                {
                    var sw = Stopwatch.StartNew();
                    string name = Path.GetFileName(item.Job.Input);
                    try
                    {
                        var (pixels, w, h) = transform(item.Image, item.Job, f => fileProgress?.Invoke(name, f));
                        _tiler?.ReleaseUnused();
                        if (pixels is not null && !HasColour(pixels, item.Image.Channels) && HasColour(item.Image.Pixels, item.Image.Channels))
                        {
                            throw new InvalidOperationException("the GPU produced an all-black image from a non-black input; nothing was written");
                        }
                        result = new Encoded(item.Job, pixels, w, h, item.Image.Channels, item.Image.Width, item.Image.Height, null, sw.Elapsed.TotalSeconds);
                    }
                    catch (Exception e) when (e is not GpuUnavailableException)
                    {
                        ReleaseTiler(); // the next image starts from a clean state
                        result = new Encoded(item.Job, null, 0, 0, 0, item.Image.Width, item.Image.Height, e.Message, sw.Elapsed.TotalSeconds);
                    }
                    gpu += result.GpuSeconds;
                }
                encoded.Writer.WriteAsync(result).AsTask().Wait();
                fileDone?.Invoke(++index);
            }
        }

        try
        {
            bool live = !request.Json && ReferenceEquals(_out, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            _live = live;
            if (live)
            {
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var overall = ctx.AddTask("all images", maxValue: Math.Max(jobs.Count, 1));
                        var current = ctx.AddTask("current", maxValue: 1);
                        GpuStage((name, fraction) =>
                        {
                            current.Description = Markup.Escape(name);
                            current.Value = fraction;
                        }, done =>
                        {
                            overall.Value = done;
                            overall.Description = $"all images ({done / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F2}/s)";
                            current.Value = 1;
                        });
                        overall.Value = overall.MaxValue;
                    });
            }
            else
            {
                GpuStage(null, null);
            }
        }
        finally
        {
            try
            {
                ReleaseTiler();
            }
            finally
            {
                encoded.Writer.Complete();
            }
        }
        reader.Wait();
        writer.Wait();

        double seconds = clock.Elapsed.TotalSeconds;
        if (request.Json)
        {
            _out.WriteLine(JsonSerializer.Serialize(new
            {
                summary = new
                {
                    total = ok + failed, ok, failed, seconds, images_per_second = ok / Math.Max(seconds, 1e-9),
                    load_seconds = load, gpu_seconds = gpu, save_seconds = save, device = _context.DeviceName,
                    model = what,
                },
            }));
        }
        else
        {
            _out.WriteLine($"{ok} of {ok + failed} images processed in {seconds:F1} s ({ok / Math.Max(seconds, 1e-9):F2} images/s; " +
                           $"stages: load {load:F1} s, GPU {gpu:F1} s, save {save:F1} s) on {_context.DeviceName}");
            if (failed > 0)
            {
                _err.WriteLine($"rtup: {failed} file(s) failed (see the errors above)");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The bundled models (models/*.onnx beside the tool), or empty.</summary>
    public static IReadOnlyList<string> BundledModels()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "models");
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.onnx").OrderBy(f => f, StringComparer.Ordinal).ToList() : Array.Empty<string>();
    }

    /// <summary>A bundled model by name, a path, or (null) the bundled default: the x2 model with the best Set5 PSNR.</summary>
    public static ModelDefinition ResolveModel(string? nameOrPath)
    {
        var bundled = BundledModels();
        if (nameOrPath is null)
        {
            var best = bundled.Select(ModelDefinition.Load)
                .Where(m => Math.Abs(m.Info.Scale - 2) < 1e-9 && m.Info.Metadata.ContainsKey("val_psnr_set5") &&
                            m.Info.Metadata.GetValueOrDefault("trained") != "false")
                .OrderByDescending(m => double.Parse(m.Info.Metadata["val_psnr_set5"], System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            return best ?? throw new ModelFormatException(
                "No bundled model is installed (models/*.onnx with val_psnr_set5 metadata); pass --model PATH.onnx.");
        }
        if (File.Exists(nameOrPath))
        {
            return ModelDefinition.Load(nameOrPath);
        }
        var match = bundled.FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == nameOrPath);
        return match is not null ? ModelDefinition.Load(match) : throw new ModelFormatException(
            $"'{nameOrPath}' is neither a file nor a bundled model (bundled: {string.Join(", ", bundled.Select(Path.GetFileNameWithoutExtension))}).");
    }

    private List<Job> PlanJobs(UpscaleRequest request, out List<(string, string)> errors)
    {
        errors = new List<(string, string)>();
        var found = new List<(string Path, string Relative)>();
        foreach (var input in request.Inputs)
        {
            if (File.Exists(input))
            {
                found.Add((Path.GetFullPath(input), Path.GetFileName(input)));
            }
            else if (Directory.Exists(input))
            {
                foreach (var f in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                             .Where(f => Readable.Contains(Path.GetExtension(f).ToLowerInvariant())).OrderBy(f => f, StringComparer.Ordinal))
                {
                    found.Add((Path.GetFullPath(f), Path.GetRelativePath(input, f)));
                }
            }
            else
            {
                errors.Add((input, "no such file or folder"));
            }
        }
        if (request.Format is not null && !Writable.Contains(request.Format))
        {
            throw new ArgumentException($"--format {request.Format} is not one of {string.Join(", ", Writable)}.");
        }
        bool singleFile = found.Count == 1 && request.Inputs.Count == 1 && File.Exists(request.Inputs[0]) &&
                          Writable.Contains(Path.GetExtension(request.Output).TrimStart('.').ToLowerInvariant()) &&
                          !Directory.Exists(request.Output);
        var inputs = found.Select(f => f.Path).ToHashSet();
        var claimed = new Dictionary<string, string>();
        var jobs = new List<Job>();
        foreach (var (path, relative) in found)
        {
            string output;
            if (singleFile)
            {
                output = Path.GetFullPath(request.Output);
            }
            else
            {
                string ext = request.Format ?? Path.GetExtension(relative).TrimStart('.').ToLowerInvariant() switch
                {
                    "jpeg" => "jpg",
                    "gif" => "png",
                    var e => e,
                };
                output = Path.GetFullPath(Path.Combine(request.Output, Path.ChangeExtension(relative, ext)));
            }
            if (inputs.Contains(output))
            {
                errors.Add((path, $"its output {output} is an input; inputs are never overwritten"));
            }
            else if (claimed.TryGetValue(output, out var other))
            {
                errors.Add((path, $"its output {output} is already the output of {other}; rename one or use another --format"));
            }
            else if (File.Exists(output) && !request.Overwrite)
            {
                errors.Add((path, $"{output} exists; pass --overwrite to replace it"));
            }
            else
            {
                claimed[output] = path;
                jobs.Add(new Job(path, output));
            }
        }
        return jobs;
    }

    private static bool KeepsAlpha(string output) => Path.GetExtension(output).ToLowerInvariant() is ".png" or ".tga";

    private (byte[]? Pixels, int Width, int Height) Upscale(HostImage image, Job job, ModelDefinition model, UpscaleRequest request, Action<double> progress)
    {
        int w = image.Width, h = image.Height, channels = image.Channels;
        var format = channels switch { 1 => PixelFormat.Grey, 2 => PixelFormat.GreyAlpha, 3 => PixelFormat.Rgb, _ => PixelFormat.Rgba };
        double s = model.Info.Scale;
        var (tw, th) = TargetSize(w, h, s, request);
        // Upscale with the model until the image reaches the target, then shrink to it exactly.
        int passes = 1;
        while (Math.Pow(s, passes) * w < tw - 1e-9 || Math.Pow(s, passes) * h < th - 1e-9)
        {
            passes++;
        }
        long outBytes = (long)tw * th * channels;
        if (outBytes > request.StreamAboveBytes)
        {
            bool oneExactPass = passes == 1 && tw == (int)Math.Round(w * s) && th == (int)Math.Round(h * s);
            if (oneExactPass && Path.GetExtension(job.Output).Equals(".png", StringComparison.OrdinalIgnoreCase))
            {
                StreamPng(image, job, model, request, format, progress);
                return (null, tw, th);
            }
            if (outBytes > Array.MaxLength)
            {
                throw new ArgumentException($"a {tw}x{th} output ({outBytes / (double)(1L << 30):F1} GiB of pixels) is too large to hold in memory; " +
                    $"it can be written only as PNG at the model's own scale (x{s:0.##}), which is streamed to the file as it is made");
            }
        }
        var pixels = image.Pixels.ToArray();
        for (int p = 0; p < passes; p++)
        {
            var tiler = Tiler(model, request);
            int pass = p;
            pixels = tiler.Upscale(pixels, w, h, format, f => progress((pass + f) / passes));
            w *= tiler.Scale;
            h *= tiler.Scale;
        }
        if (w != tw || h != th)
        {
            pixels = Resampler.Resize(_context, pixels, w, h, channels, tw, th);
            (w, h) = (tw, th);
        }
        return (pixels, w, h);
    }

    /// <summary>
    /// Upscales a large image band by band straight into its PNG file (temporary name, then rename), so the
    /// output is never held whole. An all-black result from a non-black input is an error, as elsewhere.
    /// </summary>
    private void StreamPng(HostImage image, Job job, ModelDefinition model, UpscaleRequest request, PixelFormat format, Action<double> progress)
    {
        var tiler = Tiler(model, request);
        int ow = image.Width * tiler.Scale, oh = image.Height * tiler.Scale;
        bool anyInk = false;
        WriteAtomically(job.Output, request.Overwrite, stream =>
        {
            using var png = new PngStreamWriter(stream, ow, oh, image.Channels);
            tiler.UpscaleBands(image.Pixels, image.Width, image.Height, format, (_, rows) =>
            {
                anyInk = anyInk || HasColour(rows, image.Channels);
                png.WriteRows(rows);
            }, progress);
            if (!anyInk && HasColour(image.Pixels, image.Channels))
            {
                throw new InvalidOperationException("the GPU produced an all-black image from a non-black input; nothing was written");
            }
            png.Finish();
        });
    }

    /// <summary>Whether any colour (or grey) byte is non-zero; alpha does not count (an all-black image with alpha is still black).</summary>
    private static bool HasColour(ReadOnlySpan<byte> pixels, int channels)
    {
        if (channels is 1 or 3)
        {
            return pixels.ContainsAnyExcept((byte)0);
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            if (pixels[i] != 0 && i % channels != channels - 1)
            {
                return true;
            }
        }
        return false;
    }

    private static (int W, int H) TargetSize(int w, int h, double modelScale, UpscaleRequest r)
    {
        if (r.Width is { } tw && r.Height is { } th)
        {
            return (tw, th);
        }
        if (r.Width is { } ww)
        {
            return (ww, Math.Max(1, (int)Math.Round(h * (double)ww / w)));
        }
        if (r.Height is { } hh)
        {
            return (Math.Max(1, (int)Math.Round(w * (double)hh / h)), hh);
        }
        double s = r.Scale ?? modelScale;
        return (Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }

    private TiledUpscaler Tiler(ModelDefinition model, UpscaleRequest request)
    {
        int tile = request.Tile ?? AutoTile(model);
        if (_tiler is null || !ReferenceEquals(_tilerKey.Model, model) || _tilerKey.Tile != tile)
        {
            ReleaseTiler();
            _tiler = new TiledUpscaler(_context, model, tile);
            _tilerKey = (model, tile);
        }
        return _tiler;
    }

    private void ReleaseTiler()
    {
        _tiler?.Dispose();
        _tiler = null;
    }

    /// <summary>
    /// A tile side that keeps one tile's tensors within a quarter of the device's memory budget (at most 512 MiB)
    /// and every tensor within one storage-buffer binding.
    /// </summary>
    private int AutoTile(ModelDefinition model)
    {
        const int probe = 64;
        var shapes = model.InferShapes(new TensorShape(model.Info.InputChannels, probe, probe));
        double perPixel = shapes.Values.Sum(t => (double)t.ByteSize) / (probe * probe) + 64 * model.Info.Scale * model.Info.Scale;
        double largest = shapes.Values.Max(t => (double)t.ByteSize) / (probe * probe);
        double budget = 512.0 * 1024 * 1024;
        double limit = _context.Properties.Limits.MaxStorageBufferRange;
        int side = (int)Math.Sqrt(Math.Min(budget / perPixel, limit / largest * 0.9));
        return Math.Clamp(side / 8 * 8, 32, 2048);
    }

    /// <summary>
    /// The temporary files being written (by the writer stage, and by the GPU stage when it streams a large
    /// PNG), deleted by <see cref="DeletePartialOutput"/> on SIGINT/SIGTERM.
    /// </summary>
    private static readonly HashSet<string> s_writing = new();

    // Guards s_writing and s_stopping: once DeletePartialOutput has run, no new temporary file is created, so
    // none can appear after the deletion while the process exits.
    private static readonly object s_gate = new();
    private static bool s_stopping;

    /// <summary>
    /// Deletes the outputs being written, if any, and stops new ones from being started (called when the
    /// process is interrupted, just before it exits).
    /// </summary>
    public static void DeletePartialOutput()
    {
        lock (s_gate)
        {
            s_stopping = true;
            foreach (var path in s_writing)
            {
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }
        }
    }

    private static void WriteAtomically(Encoded item, UpscaleRequest request)
    {
        string ext = Path.GetExtension(item.Job.Output).ToLowerInvariant();
        WriteAtomically(item.Job.Output, request.Overwrite, stream =>
        {
            var (pixels, components) = ForWriter(item, ext);
            var writer = new ImageWriter();
            switch (ext)
            {
                case ".png": writer.WritePng(pixels, item.Width, item.Height, components, stream); break;
                case ".jpg" or ".jpeg": writer.WriteJpg(pixels, item.Width, item.Height, components, stream, request.Quality); break;
                case ".bmp": writer.WriteBmp(pixels, item.Width, item.Height, components, stream); break;
                case ".tga": writer.WriteTga(pixels, item.Width, item.Height, components, stream); break;
                default: throw new ArgumentException($"cannot write {ext} files (png, jpg, bmp, tga)");
            }
        });
    }

    /// <summary>
    /// Writes <paramref name="output"/> through a hidden temporary file in the same folder, renamed over it only
    /// when <paramref name="write"/> has finished: an interrupted or failed write leaves no partial file.
    /// </summary>
    private static void WriteAtomically(string output, bool overwrite, Action<Stream> write)
    {
        string? dir = Path.GetDirectoryName(output);
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        // Leftovers of a killed earlier run (SIGKILL cannot be caught) are removed before writing again: exactly
        // ".NAME.PID.partial" of a process that no longer runs.
        var staleName = new System.Text.RegularExpressions.Regex(
            "^" + System.Text.RegularExpressions.Regex.Escape("." + Path.GetFileName(output) + ".") + @"(\d+)\.partial$");
        foreach (var stale in Directory.GetFiles(dir ?? ".", $".{Path.GetFileName(output)}.*.partial"))
        {
            var m = staleName.Match(Path.GetFileName(stale));
            if (m.Success && int.TryParse(m.Groups[1].Value, out int pid) && pid != Environment.ProcessId &&
                !Directory.Exists($"/proc/{pid}"))
            {
                File.Delete(stale);
            }
        }
        string temp = Path.Combine(dir ?? ".", $".{Path.GetFileName(output)}.{Environment.ProcessId}.partial");
        FileStream created;
        lock (s_gate)
        {
            if (s_stopping)
            {
                throw new OperationCanceledException("interrupted");
            }
            created = File.Create(temp);
            s_writing.Add(temp);
        }
        try
        {
            using (var stream = created)
            {
                write(stream);
            }
            File.Move(temp, output, overwrite: overwrite);
        }
        finally
        {
            lock (s_gate)
            {
                s_writing.Remove(temp);
            }
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The pixels as the writer takes them; alpha dropped for formats without it (only when asked).</summary>
    private static (byte[] Pixels, ColorComponents Components) ForWriter(Encoded item, string ext)
    {
        bool alphaOk = ext is ".png" or ".tga";
        int c = item.Channels;
        if (alphaOk || c is 1 or 3)
        {
            return (item.Pixels!, c switch
            {
                1 => ColorComponents.Grey,
                2 => ColorComponents.GreyAlpha,
                3 => ColorComponents.RedGreenBlue,
                _ => ColorComponents.RedGreenBlueAlpha,
            });
        }
        int n = item.Width * item.Height, keep = c - 1;
        var stripped = new byte[n * keep];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < keep; k++)
            {
                stripped[i * keep + k] = item.Pixels![i * c + k];
            }
        }
        return (stripped, keep == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
    }

    private void Report(Job job, string status, string? error, int inW, int inH, int outW, int outH, double gpuSeconds, bool json)
    {
        if (json)
        {
            _out.WriteLine(JsonSerializer.Serialize(new
            {
                input = job.Input, output = job.Output, status, error, width = inW, height = inH, out_width = outW, out_height = outH,
                gpu_seconds = gpuSeconds,
            }));
        }
        else if (error is null)
        {
            if (_live)
            {
                return; // the live display shows progress; only errors interrupt it
            }
            _out.WriteLine($"ok     {job.Input} -> {job.Output} ({inW}x{inH} -> {outW}x{outH}, GPU {gpuSeconds * 1000:F0} ms)");
        }
        else
        {
            _err.WriteLine($"error  {job.Input}: {error}");
        }
    }
}
