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
/// way; s pixels shaved from each border; PSNR and SSIM per image, then the means.
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
        if (model.Info.ColorSpace != ColorSpace.Y)
        {
            throw new ArgumentException($"{model.Info.Source}: the evaluation protocol measures luma models; this one is {model.Info.ColorSpace}.");
        }
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
        var hr01 = hr.Select(v => v / Evaluation.Peak).ToArray();
        var lr = MatlabResize.Resize(hr01, h, w, 1.0 / s, out int lh, out int lw);

        float[] sr;
        var shape = new TensorShape(1, lh, lw);
        using (var binding = network.Bind(shape))
        {
            var expected = new TensorShape(1, h, w);
            if (binding.Output.Shape != expected)
            {
                throw new InvalidOperationException($"{network.Definition.Info.Source} maps {shape} to {binding.Output.Shape}, not {expected}.");
            }
            binding.Input.Upload(lr.Select(v => (float)v).ToArray());
            _context.Execute(binding.Record);
            sr = binding.Output.Download();
        }
        var bicubic = MatlabResize.Resize(lr, lh, lw, s, out _, out _);

        var hr8 = Evaluation.RoundMatlab(hr);
        var sr8 = Evaluation.RoundMatlab(sr.Select(v => (double)v).ToArray(), Evaluation.Peak);
        var bic8 = Evaluation.RoundMatlab(bicubic, Evaluation.Peak);
        return new ImageScore(Path.GetFileName(file),
            Evaluation.Psnr(hr8, sr8, h, w, s), Evaluation.Ssim(hr8, sr8, h, w, s),
            Evaluation.Psnr(hr8, bic8, h, w, s), Evaluation.Ssim(hr8, bic8, h, w, s));
    }
}
