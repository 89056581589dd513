using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Cli;

/// <summary>PSNR and SSIM of one image, for the model and for bicubic.</summary>
public sealed record ImageScore(string Name, double PsnrY, double SsimY, double BicubicPsnrY, double BicubicSsimY)
{
    /// <summary>The colour image through the library's whole path, when measured (<c>rtup eval --rgb</c>).</summary>
    public RgbScore? Rgb { get; init; }
}

/// <summary>
/// The 8-bit RGB output of the library's whole path for a colour image (a luma model on Y with bicubic chroma,
/// an RGB model on RGB): PSNR over R, G and B, and on the studio Y of that output; bicubic on the three planes alike.
/// </summary>
public sealed record RgbScore(double PsnrRgb, double PsnrY, double BicubicPsnrRgb, double BicubicPsnrY);

/// <summary>Means over a dataset, and each image's scores.</summary>
public sealed record EvaluationResult(
    string Dataset, string Model, int Scale, string Device, double PsnrY, double SsimY, double BicubicPsnrY,
    double BicubicSsimY, IReadOnlyList<ImageScore> Images)
{
    /// <summary>The means of <see cref="ImageScore.Rgb"/>, when measured.</summary>
    public RgbScore? Rgb { get; init; }
}

/// <summary>
/// The evaluation protocol of the SRCNN/FSRCNN/ESPCN papers (../shared/EVAL.md), with the network on the GPU:
/// studio-range Y of the uint8 HR image, cropped to a multiple of the scale; LR by MATLAB-exact bicubic
/// downscaling, kept as float; SR by the network (or MATLAB bicubic for the baseline); both rounded the MATLAB
/// way; s pixels shaved from each border; PSNR and SSIM per image, then the means. An RGB model gets the
/// LR of each colour plane the same way; its output is rounded to an 8-bit RGB image (as it would be shown or
/// saved) and measured on that image's studio Y, rounded again, as the HR image's is; its bicubic baseline is
/// bicubic on the three planes, measured alike.
/// With <c>rgb</c>, every model also gets the colour image the way an application gets it: the LR colour planes
/// (each by MATLAB bicubic, kept as float) through <see cref="Upscaler"/> (for a luma model: BT.601 YCbCr, the
/// network on Y, Cb and Cr by the library's bicubic), rounded to 8-bit RGB and measured on R, G and B and on that
/// image's studio Y, so that a luma model and an RGB model compare on the same output.
/// </summary>
public sealed class Evaluator
{
    private static readonly string[] Extensions = { ".png", ".bmp", ".jpg", ".jpeg", ".tga", ".gif" };
    private readonly GpuContext _context;
    private readonly KernelTuning? _tuning;

    /// <summary>Evaluates on <paramref name="context"/> with kernels tuned by <paramref name="tuning"/> (null: for the device).</summary>
    public Evaluator(GpuContext context, KernelTuning? tuning = null)
    {
        _context = context;
        _tuning = tuning;
    }

    /// <summary>The image files of a dataset folder, sorted by name.</summary>
    public static IReadOnlyList<string> Images(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Dataset folder '{folder}' does not exist.");
        }
        var files = Directory.EnumerateFiles(folder)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InvalidDataException($"Dataset folder '{folder}' holds no images ({string.Join(", ", Extensions)}).");
        }
        return files;
    }

    /// <summary>Runs the protocol on every image of <paramref name="folder"/>; <paramref name="progress"/> sees each score.</summary>
    public EvaluationResult Evaluate(string folder, ModelDefinition model, int scale, Action<ImageScore>? progress = null, bool rgb = false)
    {
        if (Math.Abs(model.Info.Scale - scale) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: the model upscales by {model.Info.Scale}, not {scale}.");
        }
        using var upscaling = new UpscalingNetwork(_context, model, _tuning);
        var scores = new List<ImageScore>();
        foreach (var file in Images(folder))
        {
            var image = ImageFile.Load(file);
            var score = EvaluateImage(upscaling, image, Path.GetFileName(file), scale);
            if (rgb)
            {
                score = score with { Rgb = EvaluateRgb(upscaling, image, scale) };
            }
            scores.Add(score);
            progress?.Invoke(score);
        }
        return new EvaluationResult(folder, model.Info.Source, scale, _context.DeviceName,
            scores.Average(s => s.PsnrY), scores.Average(s => s.SsimY),
            scores.Average(s => s.BicubicPsnrY), scores.Average(s => s.BicubicSsimY), scores)
        {
            Rgb = rgb
                ? new RgbScore(scores.Average(s => s.Rgb!.PsnrRgb), scores.Average(s => s.Rgb!.PsnrY),
                    scores.Average(s => s.Rgb!.BicubicPsnrRgb), scores.Average(s => s.Rgb!.BicubicPsnrY))
                : null,
        };
    }

    private ImageScore EvaluateImage(UpscalingNetwork upscaling, HostImage image, string name, int s)
    {
        var y = Evaluation.StudioY(image);
        var hr = Evaluation.CropToMultiple<double>(y, image.Height, image.Width, s, out int h, out int w);
        var hr8 = Evaluation.RoundMatlab(hr);
        byte[] sr8, bic8;
        if (upscaling.Model.Info.ColorSpace == ColorSpace.Rgb)
        {
            var lrPlanes = LowResolutionPlanes(image, s, out _, out _);
            var (lh, lw) = MatlabResize.OutputSize(h, w, 1.0 / s);
            var sr = Run(upscaling, lrPlanes.SelectMany(p => p).Select(v => (float)v).ToArray(), 3, lh, lw, h, w);
            var srPlanes = Enumerable.Range(0, 3).Select(c => sr.AsSpan(c * h * w, h * w).ToArray().Select(v => (double)v).ToArray()).ToArray();
            var bicPlanes = lrPlanes.Select(p => MatlabResize.Resize(p, lh, lw, s, out _, out _)).ToArray();
            sr8 = RgbToY8(srPlanes, h * w);
            bic8 = RgbToY8(bicPlanes, h * w);
        }
        else
        {
            var hr01 = hr.Select(v => v / Evaluation.Peak).ToArray();
            var lr = MatlabResize.Resize(hr01, h, w, 1.0 / s, out int lh, out int lw);
            var sr = Run(upscaling, lr.Select(v => (float)v).ToArray(), 1, lh, lw, h, w);
            var bicubic = MatlabResize.Resize(lr, lh, lw, s, out _, out _);
            sr8 = Evaluation.RoundMatlab(sr.Select(v => (double)v).ToArray(), Evaluation.Peak);
            bic8 = Evaluation.RoundMatlab(bicubic, Evaluation.Peak);
        }
        return new ImageScore(name,
            Evaluation.Psnr(hr8, sr8, h, w, s), Evaluation.Ssim(hr8, sr8, h, w, s),
            Evaluation.Psnr(hr8, bic8, h, w, s), Evaluation.Ssim(hr8, bic8, h, w, s));
    }

    /// <summary>The colour image through <see cref="Upscaler"/>, and bicubic on its planes, against the 8-bit HR image.</summary>
    private static RgbScore EvaluateRgb(UpscalingNetwork upscaling, HostImage image, int s)
    {
        var lrPlanes = LowResolutionPlanes(image, s, out int h, out int w);
        var (lh, lw) = MatlabResize.OutputSize(h, w, 1.0 / s);
        var interleaved = new float[lh * lw * 3];
        for (int i = 0; i < lh * lw; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                interleaved[i * 3 + c] = (float)lrPlanes[c][i];
            }
        }
        using var upscaler = new Upscaler(upscaling, lw, lh);
        if (upscaler.OutputWidth != w || upscaler.OutputHeight != h)
        {
            throw new InvalidOperationException(
                $"{upscaling.Model.Info.Source} maps {lw}x{lh} to {upscaler.OutputWidth}x{upscaler.OutputHeight}, not {w}x{h}.");
        }
        var sr = upscaler.Upscale(interleaved, PixelFormat.Rgb);
        var srPlanes = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, h * w).Select(i => (double)sr[i * 3 + c]).ToArray()).ToArray();
        var bicPlanes = lrPlanes.Select(p => MatlabResize.Resize(p, lh, lw, s, out _, out _)).ToArray();
        var hrPlanes = HighResolutionPlanes(image, s, out _, out _);
        var hrRgb8 = Interleave(hrPlanes.Select(p => Evaluation.RoundMatlab(p, Evaluation.Peak)).ToArray());
        var hrY8 = Evaluation.RoundMatlab(Evaluation.CropToMultiple<double>(Evaluation.StudioY(image), image.Height, image.Width, s, out _, out _));
        var srRgb8 = Interleave(srPlanes.Select(p => Evaluation.RoundMatlab(p, Evaluation.Peak)).ToArray());
        var bicRgb8 = Interleave(bicPlanes.Select(p => Evaluation.RoundMatlab(p, Evaluation.Peak)).ToArray());
        return new RgbScore(
            Evaluation.Psnr(hrRgb8, srRgb8, h, w, s, 3), Evaluation.Psnr(hrY8, RgbToY8(srPlanes, h * w), h, w, s),
            Evaluation.Psnr(hrRgb8, bicRgb8, h, w, s, 3), Evaluation.Psnr(hrY8, RgbToY8(bicPlanes, h * w), h, w, s));
    }

    /// <summary>The colour planes in [0, 1], cropped to a multiple of the scale; a grey image gives three equal planes.</summary>
    private static double[][] HighResolutionPlanes(HostImage image, int s, out int h, out int w)
    {
        var planes = new double[3][];
        int channels = image.Channels;
        h = w = 0;
        for (int c = 0; c < 3; c++)
        {
            var plane = new double[image.Height * image.Width];
            int source = channels >= 3 ? c : 0;
            for (int i = 0; i < plane.Length; i++)
            {
                plane[i] = image.Pixels[i * channels + source] / Evaluation.Peak;
            }
            planes[c] = Evaluation.CropToMultiple<double>(plane, image.Height, image.Width, s, out h, out w);
        }
        return planes;
    }

    /// <summary>The LR colour planes: each HR plane by MATLAB bicubic, kept as float; <paramref name="h"/> x <paramref name="w"/> is the cropped HR size.</summary>
    private static double[][] LowResolutionPlanes(HostImage image, int s, out int h, out int w)
    {
        var planes = HighResolutionPlanes(image, s, out h, out w);
        int height = h, width = w;
        return planes.Select(p => MatlabResize.Resize(p, height, width, 1.0 / s, out _, out _)).ToArray();
    }

    private static byte[] Interleave(byte[][] planes)
    {
        var result = new byte[planes[0].Length * planes.Length];
        for (int i = 0; i < planes[0].Length; i++)
        {
            for (int c = 0; c < planes.Length; c++)
            {
                result[i * planes.Length + c] = planes[c][i];
            }
        }
        return result;
    }

    /// <summary>
    /// Runs the network on planar input (channels x lh x lw) and checks it makes channels x h x w: the model's own
    /// graph, with the padding and crop of its framing (ncnn's waifu2x and Real-CUGAN) as the upscaler runs it.
    /// </summary>
    private float[] Run(UpscalingNetwork upscaling, float[] input, int channels, int lh, int lw, int h, int w)
    {
        var shape = new TensorShape(channels, lh, lw);
        // Grey, no alpha: the model alone (a luma model on its one channel, an RGB model on R, G, B).
        var graph = upscaling.Graphs.Build(lw, lh, keepAlpha: false, grey: true).Graph;
        using var binding = upscaling.Network.Bind(graph, shape);
        var expected = new TensorShape(channels, h, w);
        if (binding.Output.Shape != expected)
        {
            throw new InvalidOperationException($"{upscaling.Model.Info.Source} maps {shape} to {binding.Output.Shape}, not {expected}.");
        }
        binding.Input.Upload(input);
        _context.Execute(binding.Record);
        return binding.Output.Download();
    }

    /// <summary>RGB planes in [0, 1] to the 8-bit image's studio Y, rounded: RGB rounded to 8 bits first.</summary>
    private static byte[] RgbToY8(double[][] planes, int n)
    {
        var r = Evaluation.RoundMatlab(planes[0], Evaluation.Peak);
        var g = Evaluation.RoundMatlab(planes[1], Evaluation.Peak);
        var b = Evaluation.RoundMatlab(planes[2], Evaluation.Peak);
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = Evaluation.StudioY(r[i], g[i], b[i]);
        }
        return Evaluation.RoundMatlab(y);
    }
}
