namespace RealtimeUpscale.Imaging;

/// <summary>How <see cref="CarriedMetadata.ResolutionX"/> and <see cref="CarriedMetadata.ResolutionY"/> are counted.</summary>
public enum ResolutionUnit
{
    /// <summary>Only the aspect ratio of the pixels is known.</summary>
    AspectRatio,

    /// <summary>Pixels per inch.</summary>
    PerInch,

    /// <summary>Pixels per centimetre.</summary>
    PerCentimetre,

    /// <summary>Pixels per metre (PNG's unit).</summary>
    PerMetre,
}

/// <summary>
/// The metadata of an image file that is carried to its output where the output's format can hold it: the ICC
/// profile, EXIF (with the orientation already applied to the pixels and the tag reset to 1), XMP, the
/// resolution, and PNG's colour chunks (gAMA, cHRM, sRGB) and text chunks. Buffers are owned by this object and
/// never changed after the decoder made it.
/// </summary>
public sealed class CarriedMetadata
{
    /// <summary>No metadata.</summary>
    public static CarriedMetadata Empty { get; } = new();

    /// <summary>The ICC colour profile, as stored (uncompressed), or null.</summary>
    public byte[]? Icc { get; init; }

    /// <summary>EXIF as a TIFF-structured block (starting <c>II*\0</c> or <c>MM\0*</c>, no <c>Exif\0\0</c> prefix), or null.</summary>
    public byte[]? Exif { get; init; }

    /// <summary>The XMP packet (UTF-8 XML), or null.</summary>
    public byte[]? Xmp { get; init; }

    /// <summary>PNG gAMA: the file gamma times 100000, or null.</summary>
    public uint? Gamma { get; init; }

    /// <summary>PNG cHRM: the 32 bytes of white point and primaries, or null.</summary>
    public byte[]? Chromaticities { get; init; }

    /// <summary>PNG sRGB: the rendering intent (0 to 3), or null.</summary>
    public byte? SrgbIntent { get; init; }

    /// <summary>Horizontal resolution in <see cref="Unit"/>, or null.</summary>
    public double? ResolutionX { get; init; }

    /// <summary>Vertical resolution in <see cref="Unit"/>, or null.</summary>
    public double? ResolutionY { get; init; }

    /// <summary>The unit of the resolution.</summary>
    public ResolutionUnit Unit { get; init; } = ResolutionUnit.PerInch;

    /// <summary>PNG tEXt, zTXt and iTXt chunks other than XMP, as (type, data) pairs copied byte for byte.</summary>
    public IReadOnlyList<(string Type, byte[] Data)> PngText { get; init; } = Array.Empty<(string, byte[])>();

    /// <summary>The names of what is present, for reports ("ICC", "EXIF", ...).</summary>
    public IReadOnlyList<string> Present()
    {
        var names = new List<string>();
        void Add(bool present, string name)
        {
            if (present)
            {
                names.Add(name);
            }
        }
        Add(Icc is not null, "ICC");
        Add(Exif is not null, "EXIF");
        Add(Xmp is not null, "XMP");
        Add(Gamma is not null, "gAMA");
        Add(Chromaticities is not null, "cHRM");
        Add(SrgbIntent is not null, "sRGB");
        Add(ResolutionX is not null, "resolution");
        Add(PngText.Count > 0, "text");
        return names;
    }

    /// <summary>Resolution in pixels per metre (PNG pHYs), or null when none or only an aspect ratio is known.</summary>
    internal (uint X, uint Y)? PixelsPerMetre()
    {
        if (ResolutionX is not { } x || ResolutionY is not { } y || !(x > 0) || !(y > 0) || !double.IsFinite(x) || !double.IsFinite(y))
        {
            return null;
        }
        double factor = Unit switch
        {
            ResolutionUnit.PerInch => 100 / 2.54,
            ResolutionUnit.PerCentimetre => 100,
            ResolutionUnit.PerMetre => 1,
            _ => double.NaN,
        };
        if (double.IsNaN(factor))
        {
            return null;
        }
        double px = Math.Round(x * factor), py = Math.Round(y * factor);
        return px is >= 1 and <= uint.MaxValue && py is >= 1 and <= uint.MaxValue ? ((uint)px, (uint)py) : null;
    }
}
