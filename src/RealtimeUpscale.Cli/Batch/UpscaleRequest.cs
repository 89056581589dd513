using RealtimeUpscale.Imaging;

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

    /// <summary>Output format (png, jpg, jpeg, bmp, tga, tif, tiff, webp), or null to keep the input's (gif becomes png).</summary>
    public string? Format { get; init; }

    /// <summary>JPEG quality.</summary>
    public int Quality { get; init; } = 92;

    /// <summary>Replace existing outputs.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Leave existing outputs alone and go on with the others (rerunning an interrupted batch).</summary>
    public bool SkipExisting { get; init; }

    /// <summary>Follow symbolic links inside input folders (each folder is visited once, so loops end).</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>Images of more pixels are refused from their header.</summary>
    public long MaxPixels { get; init; } = ImageFile.DefaultMaxPixels;

    /// <summary>Write images with alpha to formats without alpha, dropping it.</summary>
    public bool DropAlpha { get; init; }

    /// <summary>How the tensors between the model's layers are stored (<c>--precision</c>; float32 by default).</summary>
    public Runtime.TensorPrecision Precision { get; init; }

    /// <summary>Whether the convolutions multiply and add in float16 (<c>--precision fp16-arithmetic</c>; needs float16 tensors).</summary>
    public bool HalfArithmetic { get; init; }

    /// <summary>Whether 3x3 convolutions of 32 or more input channels run by Winograd F(4x4, 3x3) (<c>--winograd</c>); null: the device type's default.</summary>
    public bool? Winograd { get; init; }

    /// <summary>One JSON line per file and a summary line.</summary>
    public bool Json { get; init; }

    /// <summary>
    /// PNG outputs larger than this many bytes of pixels are written band by band as the GPU makes them, never
    /// held whole (default 1 GiB; outputs over 2 GB cannot be held at all).
    /// </summary>
    public long StreamAboveBytes { get; init; } = 1L << 30;

    /// <summary>The largest <see cref="Scale"/>: beyond it no image of a useful size stays within the side limit.</summary>
    public const double MaxScale = 64;

    /// <summary>The largest <see cref="Tile"/> side.</summary>
    public const int MaxTile = 8192;

    /// <summary>The largest <see cref="MaxPixels"/>: 2^40 (a terapixel).</summary>
    public const long MaxPixelLimit = 1L << 40;

    /// <summary>
    /// Checks every option before any work: ranges (<c>--scale</c> finite and 1 to 64, sizes 1 to 2^20, <c>--quality</c>
    /// 1 to 100, <c>--tile</c> 8 to 8192, <c>--max-pixels</c> 1 to 2^40), conflicts (<c>--scale</c> with a size,
    /// <c>--overwrite</c> with <c>--skip-existing</c>, <c>--format</c> against the output file's extension) and
    /// an empty output.
    /// </summary>
    /// <exception cref="ArgumentException">The first problem, in one line naming the option.</exception>
    public void Validate()
    {
        if (Inputs.Count == 0 || Inputs.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("an input is empty; give image files or folders.");
        }
        if (string.IsNullOrWhiteSpace(Output))
        {
            throw new ArgumentException("-o/--output is empty; give an output folder, or a file name for one input.");
        }
        if (Scale is { } s && (!double.IsFinite(s) || s < 1 || s > MaxScale))
        {
            throw new ArgumentException($"--scale {s} must be a finite number from 1 to {MaxScale}.");
        }
        if (Scale is not null && (Width is not null || Height is not null))
        {
            throw new ArgumentException("--scale conflicts with --width, --height and --size; give one of them.");
        }
        if (Width is { } w)
        {
            new ImageSize(w, 1).Check("--width");
        }
        if (Height is { } h)
        {
            new ImageSize(1, h).Check("--height");
        }
        if (Quality is < 1 or > 100)
        {
            throw new ArgumentException($"--quality {Quality} must be 1 to 100.");
        }
        if (Tile is { } t && (t < 8 || t > MaxTile))
        {
            throw new ArgumentException($"--tile {t} must be 8 to {MaxTile} pixels, or auto.");
        }
        if (MaxPixels < 1 || MaxPixels > MaxPixelLimit)
        {
            throw new ArgumentException($"--max-pixels {MaxPixels} must be 1 to {MaxPixelLimit}.");
        }
        if (Overwrite && SkipExisting)
        {
            throw new ArgumentException("--overwrite conflicts with --skip-existing; give one of them.");
        }
        if (Format is { } f && !ImageFileWriter.Formats.Contains(f))
        {
            throw new ArgumentException($"--format {f} is not one of {string.Join(", ", ImageFileWriter.Formats)}.");
        }
        string ext = Path.GetExtension(Output).TrimStart('.').ToLowerInvariant();
        if (Format is { } g && ImageFileWriter.Formats.Contains(ext) && Canonical(ext) != Canonical(g) && !Directory.Exists(Output))
        {
            throw new ArgumentException($"--format {g} conflicts with the output's extension .{ext}; give one of them.");
        }
    }

    /// <summary>The format an extension names: jpeg is jpg, tiff is tif.</summary>
    internal static string Canonical(string format) => format switch
    {
        "jpeg" => "jpg",
        "tiff" => "tif",
        var f => f,
    };
}
