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
