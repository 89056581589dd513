using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>PSNR and SSIM of one image, for the model and for bicubic.</summary>
public sealed record ImageScore(string Name, double PsnrY, double SsimY, double BicubicPsnrY, double BicubicSsimY);

/// <summary>Means over a dataset, and each image's scores.</summary>
public sealed record EvaluationResult(
    string Dataset, string Model, int Scale, string Device, double PsnrY, double SsimY, double BicubicPsnrY,
    double BicubicSsimY, IReadOnlyList<ImageScore> Images);

/// <summary>
/// The evaluation protocol of the SRCNN/FSRCNN/ESPCN papers (../shared/EVAL.md), with the network on the GPU:
/// studio-range Y of the uint8 HR image, cropped to a multiple of the scale; LR by MATLAB-exact bicubic
/// downscaling, kept as float; SR by the network (or MATLAB bicubic for the baseline); both rounded the MATLAB
/// way; s pixels shaved from each border; PSNR and SSIM per image, then the means. An RGB model gets the
/// LR of each colour plane the same way; its output is rounded to an 8-bit RGB image (as it would be shown or
/// saved) and measured on that image's studio Y, rounded again, as the HR image's is; its bicubic baseline is
/// bicubic on the three planes, measured alike.
/// </summary>
public sealed class Evaluator
{
    private static readonly string[] Extensions = { ".png", ".bmp", ".jpg", ".jpeg", ".tga", ".gif" };
    private readonly GpuContext _context;

    /// <summary>Evaluates on <paramref name="context"/>.</summary>
    public Evaluator(GpuContext context) => _context = context;

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
    public EvaluationResult Evaluate(string folder, ModelDefinition model, int scale, Action<ImageScore>? progress = null)
    {
        if (Math.Abs(model.Info.Scale - scale) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: the model upscales by {model.Info.Scale}, not {scale}.");
        }
        using var network = new Network.Network(_context, model);
        var scores = new List<ImageScore>();
        foreach (var file in Images(folder))
        {
            var score = EvaluateImage(network, file, scale);
            scores.Add(score);
            progress?.Invoke(score);
        }
        return new EvaluationResult(folder, model.Info.Source, scale, _context.DeviceName,
            scores.Average(s => s.PsnrY), scores.Average(s => s.SsimY),
            scores.Average(s => s.BicubicPsnrY), scores.Average(s => s.BicubicSsimY), scores);
    }

    private ImageScore EvaluateImage(Network.Network network, string file, int s)
    {
        var image = ImageFile.Load(file);
        var y = Evaluation.StudioY(image);
        var hr = Evaluation.CropToMultiple<double>(y, image.Height, image.Width, s, out int h, out int w);
        var hr8 = Evaluation.RoundMatlab(hr);
        byte[] sr8, bic8;
        if (network.Definition.Info.ColorSpace == ColorSpace.Rgb)
        {
            // Colour planes in [0, 1], cropped alike; grey images give three equal planes.
            var planes = new double[3][];
            int channels = image.Channels;
            for (int c = 0; c < 3; c++)
            {
                var plane = new double[image.Height * image.Width];
                int source = channels >= 3 ? c : 0;
                for (int i = 0; i < plane.Length; i++)
                {
                    plane[i] = image.Pixels[i * channels + source] / Evaluation.Peak;
                }
                planes[c] = Evaluation.CropToMultiple<double>(plane, image.Height, image.Width, s, out _, out _);
            }
            var lrPlanes = planes.Select(p => MatlabResize.Resize(p, h, w, 1.0 / s, out _, out _)).ToArray();
            var (lh, lw) = MatlabResize.OutputSize(h, w, 1.0 / s);
            var sr = Run(network, lrPlanes.SelectMany(p => p).Select(v => (float)v).ToArray(), 3, lh, lw, h, w);
            var srPlanes = Enumerable.Range(0, 3).Select(c => sr.AsSpan(c * h * w, h * w).ToArray().Select(v => (double)v).ToArray()).ToArray();
            var bicPlanes = lrPlanes.Select(p => MatlabResize.Resize(p, lh, lw, s, out _, out _)).ToArray();
            sr8 = RgbToY8(srPlanes, h * w);
            bic8 = RgbToY8(bicPlanes, h * w);
        }
        else
        {
            var hr01 = hr.Select(v => v / Evaluation.Peak).ToArray();
            var lr = MatlabResize.Resize(hr01, h, w, 1.0 / s, out int lh, out int lw);
            var sr = Run(network, lr.Select(v => (float)v).ToArray(), 1, lh, lw, h, w);
            var bicubic = MatlabResize.Resize(lr, lh, lw, s, out _, out _);
            sr8 = Evaluation.RoundMatlab(sr.Select(v => (double)v).ToArray(), Evaluation.Peak);
            bic8 = Evaluation.RoundMatlab(bicubic, Evaluation.Peak);
        }
        return new ImageScore(Path.GetFileName(file),
            Evaluation.Psnr(hr8, sr8, h, w, s), Evaluation.Ssim(hr8, sr8, h, w, s),
            Evaluation.Psnr(hr8, bic8, h, w, s), Evaluation.Ssim(hr8, bic8, h, w, s));
    }

    /// <summary>Runs the network on planar input (channels x lh x lw) and checks it makes channels x h x w.</summary>
    private float[] Run(Network.Network network, float[] input, int channels, int lh, int lw, int h, int w)
    {
        var shape = new TensorShape(channels, lh, lw);
        using var binding = network.Bind(shape);
        var expected = new TensorShape(channels, h, w);
        if (binding.Output.Shape != expected)
        {
            throw new InvalidOperationException($"{network.Definition.Info.Source} maps {shape} to {binding.Output.Shape}, not {expected}.");
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
