using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>Artifact measures of one model, each averaged over its inputs.</summary>
/// <param name="Model">The model file.</param>
/// <param name="Scale">Its upscaling factor.</param>
/// <param name="CheckerboardDb">Stride-periodic energy of the output relative to bicubic's, in dB (0: as clean as bicubic).</param>
/// <param name="ShiftConsistencyDb">PSNR between upscale(shifted input) and the shifted upscale, in dB (higher is steadier).</param>
/// <param name="Inputs">Per input: its name and checkerboard dB.</param>
public sealed record ArtifactReport(string Model, int Scale, double CheckerboardDb, double ShiftConsistencyDb,
    IReadOnlyList<(string Name, double CheckerboardDb)> Inputs);

/// <summary>
/// Measures what the seed papers argue about upsampling layers. <b>Checkerboard energy</b> (Odena et al. 2016):
/// the output's spectral energy at the frequencies that repeat with the stride s (k/s cycles per pixel on each
/// axis, k = 0..s-1, DC excluded). Those DFT bins depend only on the s x s sums of pixels of each phase
/// (y mod s, x mod s), so by Parseval the energy is the variance of the s x s phase means; it is reported
/// relative to bicubic upscaling of the same input, 10 log10((E_model + e) / (E_bicubic + e)), with e the
/// energy of a pattern of 1/100 of an 8-bit level (so flat outputs compare finitely), and averaged over the
/// Set5 images (luma, LR by MATLAB bicubic), a flat grey input and a smooth ramp. <b>Shift consistency</b>
/// (after Zhang 2019): the PSNR between upscale(input shifted by one LR pixel) and upscale(input) shifted by
/// s pixels, over their common area, averaged over Set5 crops and both axes.
/// </summary>
public sealed class Analyzer
{
    /// <summary>The floor e of the checkerboard ratio: a stride-periodic pattern of amplitude 0.01 / 255.</summary>
    public const double EnergyFloor = (0.01 / 255) * (0.01 / 255);

    private const int CropSize = 48;
    private readonly GpuContext _context;

    /// <summary>Analyses on <paramref name="context"/>.</summary>
    public Analyzer(GpuContext context) => _context = context;

    /// <summary>
    /// Stride-periodic energy of a plane (values in [0, 1]): the variance of the means of its s x s pixel
    /// phases, over the largest top-left region whose sides are multiples of s.
    /// </summary>
    public static double CheckerboardEnergy(ReadOnlySpan<float> plane, int height, int width, int s)
    {
        int h = height / s * s, w = width / s * s;
        if (h == 0 || w == 0)
        {
            throw new ArgumentException($"A {width}x{height} plane is smaller than the stride {s}.");
        }
        var sums = new double[s * s];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                sums[(y % s) * s + x % s] += plane[y * width + x];
            }
        }
        double per = (double)h * w / (s * s);
        double mean = sums.Sum() / per / (s * s);
        return sums.Select(v => v / per - mean).Sum(d => d * d) / (s * s);
    }

    /// <summary>PyTorch-style bicubic upscaling by <paramref name="factor"/> as a one-layer luma model, the reference row.</summary>
    public static ModelDefinition Bicubic(int factor)
    {
        var info = new ModelInfo($"bicubic x{factor}", ColorSpace.Y, 1, factor, "0-1", new Dictionary<string, string>());
        return new ModelDefinition(info, "x", "y", new[]
        {
            new ModelNode("bicubic", UpsampleSpec.By(UpsampleMode.Bicubic, factor), new[] { "x" }, "y"),
        });
    }

    /// <summary>10 log10 of the floored ratio of two checkerboard energies.</summary>
    public static double RelativeDb(double model, double reference) =>
        10 * Math.Log10((model + EnergyFloor) / (reference + EnergyFloor));

    /// <summary>Runs both measures for a luma or RGB model (RGB models see the grey input on every channel).</summary>
    public ArtifactReport Analyze(ModelDefinition model, string set5Folder)
    {
        int s = (int)Math.Round(model.Info.Scale);
        if (s < 2 || Math.Abs(model.Info.Scale - s) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: analysis needs an integer upscaling factor of 2 or more, not {model.Info.Scale}.");
        }
        using var network = new Network.Network(_context, model);
        var inputs = new List<(string, float[], int, int)>();
        foreach (var file in Evaluator.Images(set5Folder))
        {
            var image = ImageFile.Load(file);
            var y = Evaluation.StudioY(image).Select(v => v / Evaluation.Peak).ToArray();
            var hr = Evaluation.CropToMultiple<double>(y, image.Height, image.Width, s, out int h, out int w);
            var lr = MatlabResize.Resize(hr, h, w, 1.0 / s, out int lh, out int lw);
            inputs.Add((Path.GetFileName(file), lr.Select(v => (float)v).ToArray(), lh, lw));
        }
        const int n = 64;
        inputs.Add(("flat 0.5", Enumerable.Repeat(0.5f, n * n).ToArray(), n, n));
        inputs.Add(("ramp", Enumerable.Range(0, n * n).Select(i => 0.2f + 0.6f * ((i / n) + (i % n)) / (2f * (n - 1))).ToArray(), n, n));

        var perInput = new List<(string, double)>();
        foreach (var (name, lr, lh, lw) in inputs)
        {
            var sr = Run(network, lr, lh, lw);
            var bicubic = MatlabResize.Resize(lr.Select(v => (double)v).ToArray(), lh, lw, s, out _, out _).Select(v => (float)v).ToArray();
            // The border rows depend on padding rather than on the upsampler; measure the interior.
            int margin = 4 * s;
            var a = Interior(sr, lh * s, lw * s, margin, out int ih, out int iw);
            var b = Interior(bicubic, lh * s, lw * s, margin, out _, out _);
            perInput.Add((name, RelativeDb(CheckerboardEnergy(a, ih, iw, s), CheckerboardEnergy(b, ih, iw, s))));
        }

        var psnrs = new List<double>();
        foreach (var (_, lr, lh, lw) in inputs.Take(inputs.Count - 2))
        {
            if (lh < CropSize + 1 || lw < CropSize + 1)
            {
                continue;
            }
            int y0 = (lh - CropSize - 1) / 2, x0 = (lw - CropSize - 1) / 2;
            var baseCrop = Crop(lr, lw, y0, x0, CropSize, CropSize);
            var baseSr = Run(network, baseCrop, CropSize, CropSize);
            foreach (var (dy, dx) in new[] { (1, 0), (0, 1) })
            {
                var shifted = Run(network, Crop(lr, lw, y0 + dy, x0 + dx, CropSize, CropSize), CropSize, CropSize);
                // shifted(y, x) should equal base(y + s*dy, x + s*dx) wherever both exist.
                int H = CropSize * s, W = CropSize * s;
                double se = 0;
                int count = 0;
                for (int yy = 0; yy < H - s * dy; yy++)
                {
                    for (int xx = 0; xx < W - s * dx; xx++)
                    {
                        double d = Math.Clamp(shifted[yy * W + xx], 0, 1) - Math.Clamp(baseSr[(yy + s * dy) * W + xx + s * dx], 0, 1);
                        se += d * d;
                        count++;
                    }
                }
                double mse = se / count;
                psnrs.Add(mse <= 1e-12 ? 120 : 10 * Math.Log10(1 / mse));
            }
        }
        return new ArtifactReport(model.Info.Source, s, perInput.Average(p => p.Item2),
            psnrs.Count > 0 ? psnrs.Average() : double.NaN, perInput);
    }

    private float[] Run(Network.Network network, float[] lr, int h, int w)
    {
        int c = network.Definition.Info.InputChannels;
        var input = new float[c * h * w];
        for (int k = 0; k < c; k++)
        {
            lr.CopyTo(input, k * h * w);
        }
        using var binding = network.Bind(new TensorShape(c, h, w));
        binding.Input.Upload(input);
        _context.Execute(binding.Record);
        var output = binding.Output.Download();
        var shape = binding.Output.Shape;
        if (shape.Channels == 1)
        {
            return output;
        }
        // RGB output: measure its studio-range luma.
        int n = shape.Height * shape.Width;
        return Enumerable.Range(0, n).Select(i =>
            (float)((16 + 65.481 * output[i] + 128.553 * output[n + i] + 24.966 * output[2 * n + i]) / 255)).ToArray();
    }

    private static float[] Crop(float[] plane, int width, int y0, int x0, int h, int w)
    {
        var result = new float[h * w];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(plane, (y0 + y) * width + x0, result, y * w, w);
        }
        return result;
    }

    private static float[] Interior(float[] plane, int h, int w, int margin, out int ih, out int iw)
    {
        ih = h - 2 * margin;
        iw = w - 2 * margin;
        return Crop(plane, w, margin, margin, ih, iw);
    }
}
