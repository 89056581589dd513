using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.Metadata.Profiles.Icc;
using SixLabors.ImageSharp.Metadata.Profiles.Xmp;
using SixLabors.ImageSharp.PixelFormats;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Encodes a <see cref="HostImage"/> into a file format with its <see cref="CarriedMetadata"/>: PNG (8 or 16 bits,
/// written by <see cref="PngStreamWriter"/> with every carried chunk), and through SixLabors.ImageSharp 2.1.13 JPEG,
/// TIFF (deflate; ICC, EXIF, resolution), WebP (lossless; ICC, EXIF and XMP put into its container by
/// <see cref="WebpContainer"/>), BMP and TGA. JPEG carries ICC, EXIF, XMP and resolution. Formats without 16-bit samples get the image rounded to 8 bits; formats whose writer has no alpha
/// here (JPEG, BMP, TIFF) get it dropped, which callers refuse unless asked.
/// </summary>
public static class ImageFileWriter
{
    /// <summary>The formats written, by extension (without the dot, lower case).</summary>
    public static IReadOnlyList<string> Formats { get; } = ["png", "jpg", "jpeg", "bmp", "tga", "tif", "tiff", "webp"];

    /// <summary>Whether <paramref name="format"/> (an extension without the dot) stores alpha.</summary>
    public static bool KeepsAlpha(string format) => format.ToLowerInvariant() is "png" or "tga" or "webp";

    /// <summary>Whether <paramref name="format"/> stores 16 bits a channel.</summary>
    public static bool KeepsSixteenBits(string format) => format.Equals("png", StringComparison.OrdinalIgnoreCase);

    /// <summary>Writes <paramref name="image"/> to <paramref name="stream"/> as <paramref name="format"/> (an extension without the dot).</summary>
    /// <param name="stream">Where the file goes; left open.</param>
    /// <param name="image">The pixels.</param>
    /// <param name="format">png, jpg, jpeg, bmp, tga, tif, tiff or webp.</param>
    /// <param name="quality">JPEG quality, 1 to 100.</param>
    /// <param name="metadata">What to carry; null for none.</param>
    /// <exception cref="ArgumentException">The format is not written, or the quality is out of range.</exception>
    public static void Write(Stream stream, HostImage image, string format, int quality = 92, CarriedMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        metadata ??= CarriedMetadata.Empty;
        string f = format.ToLowerInvariant().TrimStart('.');
        if (!Formats.Contains(f))
        {
            throw new ArgumentException($"cannot write .{f} files ({string.Join(", ", Formats)})");
        }
        if (f == "png")
        {
            WritePng(stream, image, metadata);
            return;
        }
        var eight = image.ToEightBit();
        if (!KeepsAlpha(f) && eight.HasAlpha)
        {
            eight = DropAlpha(eight);
        }
        using var encoded = ToImageSharp(eight);
        if (f != "webp")
        {
            Carry(encoded.Metadata, metadata);
        }
        IImageEncoder encoder = f switch
        {
            "jpg" or "jpeg" => new JpegEncoder
            {
                Quality = quality,
                ColorType = eight.Channels == 1 ? JpegColorType.Luminance : JpegColorType.YCbCrRatio444,
            },
            "bmp" => new BmpEncoder { BitsPerPixel = eight.Channels == 1 ? BmpBitsPerPixel.Pixel8 : BmpBitsPerPixel.Pixel24 },
            "tga" => new TgaEncoder
            {
                BitsPerPixel = eight.Channels switch { 1 => TgaBitsPerPixel.Pixel8, 3 => TgaBitsPerPixel.Pixel24, _ => TgaBitsPerPixel.Pixel32 },
                Compression = TgaCompression.None,
            },
            "tif" or "tiff" => new TiffEncoder { Compression = SixLabors.ImageSharp.Formats.Tiff.Constants.TiffCompression.Deflate },
            _ => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless, Quality = 100, Method = WebpEncodingMethod.Level4, TransparentColorMode = WebpTransparentColorMode.Preserve },
        };
        if (f == "webp")
        {
            // ImageSharp 2.1's WebP encoder drops ICC and EXIF and, with XMP, writes a RIFF length longer than the
            // file: it encodes the pixels only, and WebpContainer writes the metadata chunks into its container.
            using var pixels = new MemoryStream();
            encoded.Save(pixels, encoder);
            stream.Write(WebpContainer.WithMetadata(pixels.ToArray(), eight.Width, eight.Height, eight.HasAlpha, metadata.Icc, metadata.Exif, metadata.Xmp));
            return;
        }
        encoded.Save(stream, encoder);
    }

    /// <summary>PNG through the streamed writer, so 16 bits and every carried chunk are kept.</summary>
    private static void WritePng(Stream stream, HostImage image, CarriedMetadata metadata)
    {
        int rowSamples = image.Width * image.Channels;
        using var png = new PngStreamWriter(stream, image.Width, image.Height, image.Channels, System.IO.Compression.CompressionLevel.Optimal,
            image.BitsPerChannel, metadata);
        if (image.BitsPerChannel == 8)
        {
            png.WriteRows(image.Pixels);
        }
        else
        {
            var row = new byte[rowSamples * 2];
            for (int y = 0; y < image.Height; y++)
            {
                var samples = image.Samples16.Slice(y * rowSamples, rowSamples);
                for (int i = 0; i < rowSamples; i++)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(row.AsSpan(2 * i), samples[i]);
                }
                png.WriteRows(row);
            }
        }
        png.Finish();
    }

    private static HostImage DropAlpha(HostImage image)
    {
        int n = image.Width * image.Height, c = image.Channels, keep = c - 1;
        var stripped = new byte[(long)n * keep];
        var pixels = image.Pixels;
        for (long i = 0; i < n; i++)
        {
            for (int k = 0; k < keep; k++)
            {
                stripped[i * keep + k] = pixels[(int)(i * c + k)];
            }
        }
        return HostImage.Own8(image.Width, image.Height, keep, stripped);
    }

    private static Image ToImageSharp(HostImage image) => image.Channels switch
    {
        1 => Image.LoadPixelData<L8>(image.Pixels, image.Width, image.Height),
        2 => Image.LoadPixelData<La16>(image.Pixels, image.Width, image.Height),
        3 => Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height),
        _ => Image.LoadPixelData<Rgba32>(image.Pixels, image.Width, image.Height),
    };

    private static void Carry(ImageMetadata target, CarriedMetadata m)
    {
        if (m.Icc is { } icc)
        {
            target.IccProfile = new IccProfile(icc);
        }
        if (m.Exif is { } exif)
        {
            target.ExifProfile = new ExifProfile(exif);
        }
        if (m.Xmp is { } xmp)
        {
            target.XmpProfile = new XmpProfile(xmp);
        }
        if (m.ResolutionX is { } x && m.ResolutionY is { } y && x > 0 && y > 0 && double.IsFinite(x) && double.IsFinite(y))
        {
            (target.HorizontalResolution, target.VerticalResolution) = (x, y);
            target.ResolutionUnits = m.Unit switch
            {
                ResolutionUnit.PerInch => PixelResolutionUnit.PixelsPerInch,
                ResolutionUnit.PerCentimetre => PixelResolutionUnit.PixelsPerCentimeter,
                ResolutionUnit.PerMetre => PixelResolutionUnit.PixelsPerMeter,
                _ => PixelResolutionUnit.AspectRatio,
            };
        }
    }
}
