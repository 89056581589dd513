using System.Globalization;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;

namespace RealtimeUpscale.Cli;

/// <summary>
/// Finds models for every command that takes <c>--model</c>: the bundled models (<c>models/*.onnx</c> beside the
/// tool) by name, any ONNX file by path, and the bundled default.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The bundled models' files, sorted by name, or empty when none are installed.</summary>
    public static IReadOnlyList<string> Bundled()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "models");
        return Directory.Exists(dir) ? Directory.GetFiles(dir, "*.onnx").OrderBy(f => f, StringComparer.Ordinal).ToList() : Array.Empty<string>();
    }

    /// <summary>
    /// The file of a model: <paramref name="nameOrPath"/> when it is a file, else the bundled model of that name;
    /// null picks the bundled default, the trained x2 model with the best PSNR on the held-out validation images
    /// (<see cref="HeldOutPsnr"/>); models trained before that list rank after those, by their Set5 PSNR.
    /// </summary>
    /// <exception cref="ModelFormatException">No file or bundled model has that name, or no bundled default is installed.</exception>
    public static string Locate(string? nameOrPath) => Find(nameOrPath).Path;

    /// <summary>Loads the model <see cref="Locate"/> finds.</summary>
    /// <exception cref="ModelFormatException">As <see cref="Locate"/>, or the file is not a model this project runs.</exception>
    public static ModelDefinition Load(string? nameOrPath)
    {
        var (path, loaded) = Find(nameOrPath);
        return loaded ?? ModelDefinition.Load(path);
    }

    /// <summary>
    /// The Set5 PSNR (dB, Y, by <c>../shared/EVAL.md</c>) the trainer measured in PyTorch on the exported weights:
    /// metadata <c>psnr_set5</c>, measured once after training (checkpoints are chosen on held-out images), or
    /// <c>val_psnr_set5</c> in models trained before that, whose checkpoints were chosen on Set5 itself. Null
    /// when the model records neither.
    /// </summary>
    public static double? RecordedSet5Psnr(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        foreach (string key in new[] { "psnr_set5", "val_psnr_set5" })
        {
            if (info.Metadata.TryGetValue(key, out string? value) &&
                double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double psnr))
            {
                return psnr;
            }
        }
        return null;
    }

    /// <summary>
    /// The PSNR (dB, Y) the trainer measured on the images it held out of training
    /// (<c>training/validation_general100.txt</c>): metadata <c>val_psnr</c> of a model whose <c>validation</c> is
    /// <c>General100-held-out</c>. Null for other models (trained before the list, or by others).
    /// </summary>
    public static double? HeldOutPsnr(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Metadata.GetValueOrDefault("validation") == "General100-held-out" &&
               info.Metadata.TryGetValue("val_psnr", out string? value) &&
               double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double psnr)
            ? psnr : null;
    }

    private static ModelDefinition? TryLoad(string path)
    {
        try
        {
            return ModelDefinition.Load(path);
        }
        catch (Exception e) when (e is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static (string Path, ModelDefinition? Loaded) Find(string? nameOrPath)
    {
        var bundled = Bundled();
        if (nameOrPath is null)
        {
            // The default is chosen by the metadata of the models themselves, so each is loaded; a damaged one is passed over.
            var best = bundled.Select(f => (Path: f, Model: TryLoad(f)))
                .Where(m => m.Model is not null)
                .Select(m => (m.Path, Model: m.Model!))
                .Where(m => Math.Abs(m.Model.Info.Scale - 2) < 1e-9 && RecordedSet5Psnr(m.Model.Info) is not null &&
                            m.Model.Info.Metadata.GetValueOrDefault("trained") != "false")
                .OrderByDescending(m => HeldOutPsnr(m.Model.Info) is not null)
                .ThenByDescending(m => HeldOutPsnr(m.Model.Info) ?? RecordedSet5Psnr(m.Model.Info))
                .FirstOrDefault();
            return best.Model is not null ? (best.Path, best.Model) : throw new ModelFormatException(
                "No bundled model is installed (models/*.onnx with psnr_set5 metadata); pass --model PATH.onnx or PATH.param (ncnn).");
        }
        if (File.Exists(nameOrPath))
        {
            return (nameOrPath, null);
        }
        var match = bundled.FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == nameOrPath);
        return match is not null ? (match, null) : throw new ModelFormatException(
            $"'{nameOrPath}' is neither a file nor a bundled model (bundled: {string.Join(", ", bundled.Select(Path.GetFileNameWithoutExtension))}).");
    }
}
