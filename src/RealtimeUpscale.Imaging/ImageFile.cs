using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace RealtimeUpscale.Imaging;

/// <summary>Limits on what <see cref="ImageFile"/> reads.</summary>
public sealed record ImageReadOptions
{
    /// <summary>Images of more pixels than this are refused from their header, before their pixels are allocated.</summary>
    public long MaxPixels { get; init; } = ImageFile.DefaultMaxPixels;

    /// <summary>Files larger than this are refused before they are read.</summary>
    public long MaxBytes { get; init; } = ImageFile.DefaultMaxBytes;
}

/// <summary>A decoded image with the metadata carried to its output and what the reader has to say about it.</summary>
/// <param name="Image">The pixels, 8 or 16 bits a channel as the file stores them, oriented as a viewer shows them.</param>
/// <param name="Metadata">ICC, EXIF (orientation reset), XMP, resolution and PNG colour and text chunks.</param>
/// <param name="Format">The file's format: png, jpg, gif, bmp, tga, tif or webp.</param>
/// <param name="Warnings">What a user should know (e.g. that only the first frame of an animation was read).</param>
public sealed record DecodedImage(HostImage Image, CarriedMetadata Metadata, string Format, IReadOnlyList<string> Warnings);

/// <summary>
/// Reads image files with SixLabors.ImageSharp 2.1.13: PNG (1 to 16 bits, grey, grey + alpha, palette with
/// transparency, interlaced), JPEG (baseline, progressive, CMYK), WebP (lossy and lossless), TIFF, BMP, TGA and
/// GIF, into a <see cref="HostImage"/> with the channels the file stores (grey, grey + alpha, RGB, RGBA) and its
/// bit depth (16-bit PNG and TIFF stay 16-bit).
/// </summary>
/// <remarks>
/// <para>Hostile and damaged files are refused, never decoded into garbage: the structure is checked first
/// (<see cref="ImageStructure"/>: PNG CRCs and the whole image data, JPEG up to its end marker, ...), the size is
/// taken from the header and checked against <see cref="ImageReadOptions.MaxPixels"/> before any pixel is
/// allocated, and any decoder failure becomes an <see cref="InvalidDataException"/> naming the file.</para>
/// <para>The EXIF orientation is applied to the pixels and the tag reset to 1. An animated GIF or PNG, or a TIFF
/// with several pages, gives its first frame and a warning.</para>
/// </remarks>
public static class ImageFile
{
    /// <summary>The default pixel limit: 400 megapixels.</summary>
    public const long DefaultMaxPixels = 400_000_000;

    /// <summary>The default and largest file size read: the largest .NET byte array.</summary>
    public static readonly long DefaultMaxBytes = Array.MaxLength;

    /// <summary>The formats read, for messages.</summary>
    public const string SupportedFormats = "PNG, JPEG, WebP, TIFF, BMP, TGA, GIF";

    private const int MaxIccBytes = 16 << 20;

    private static readonly Configuration Decoding = MakeConfiguration();

    /// <summary>
    /// Reads the image at <paramref name="path"/> with 8 bits a channel (16-bit files are rounded to 8 bits;
    /// <see cref="HostImage.SourceBitsPerChannel"/> says so). For tools that work on 8-bit images.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated, too large or of an unsupported format;
    /// the message names the file and what is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when absent).</exception>
    public static HostImage Load(string path) => Read(path).Image.ToEightBit();

    /// <summary>Reads and decodes the image at <paramref name="path"/>, which must be a regular file.</summary>
    /// <exception cref="InvalidDataException">As <see cref="Load"/>; also for a FIFO, device or socket.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when absent).</exception>
    /// <exception cref="UnauthorizedAccessException">Reading it is not permitted.</exception>
    public static DecodedImage Read(string path, ImageReadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ImageReadOptions();
        byte[] bytes;
        using (var stream = FileNode.OpenRegular(path, out var node))
        {
            long limit = Math.Min(options.MaxBytes, DefaultMaxBytes);
            if (node.Size > limit)
            {
                throw new InvalidDataException($"{path}: file too large ({node.Size} bytes; the limit is {limit})");
            }
            bytes = new byte[node.Size];
            stream.ReadExactly(bytes);
            if (stream.ReadByte() >= 0)
            {
                throw new IOException($"{path}: the file grew while it was read.");
            }
        }
        return Decode(bytes, path, options);
    }

    /// <summary>
    /// Decodes an encoded image held in memory. <paramref name="sourceName"/> (a path, a URL, an archive entry)
    /// is only used in messages. The result does not reference <paramref name="encoded"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated, too large or of an unsupported format.</exception>
    public static DecodedImage Decode(byte[] encoded, string sourceName, ImageReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new ImageReadOptions();
        try
        {
            return DecodeChecked(encoded, sourceName, options);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(sourceName + ":", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{sourceName}: {e.Message}", e);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException or IOException))
        {
            // ImageSharp reports damage as ImageFormatException or NotSupportedException, and malformed data can
            // surface as an index or arithmetic exception from deep inside a decoder: all mean "cannot decode".
            throw new InvalidDataException($"{sourceName}: cannot decode the image: {Short(e.Message)}", e);
        }
    }

    private static DecodedImage DecodeChecked(byte[] encoded, string sourceName, ImageReadOptions options)
    {
        var format = Image.DetectFormat(Decoding, encoded)
                     ?? throw new InvalidDataException($"not an image in a supported format ({SupportedFormats})");
        // The size comes from the header and is checked before anything else is done with the data; the structure
        // check then gives a precise reason for a damaged file, which the decoder's own message often lacks. BMP's
        // check (headers only) goes first: ImageSharp's BMP Identify allocates a palette from the pixel-data offset,
        // so an offset of 2^31 made it ask for a 2 GB array.
        var findings = format.Name == "BMP" ? ImageStructure.Check(encoded, format.Name) : null;
        IImageInfo? info = null;
        Exception? identifyError = null;
        try
        {
            using var header = new MemoryStream(encoded, writable: false);
            info = Image.Identify(Decoding, header);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            identifyError = e;
        }
        if (info is not null)
        {
            if (info.Width <= 0 || info.Height <= 0)
            {
                throw new InvalidDataException($"the header gives an empty image ({info.Width} x {info.Height})");
            }
            if ((long)info.Width * info.Height > options.MaxPixels)
            {
                throw new InvalidDataException($"image too large ({info.Width} x {info.Height}; the limit is {options.MaxPixels} pixels)");
            }
        }
        findings ??= ImageStructure.Check(encoded, format.Name);
        if (identifyError is not null)
        {
            throw identifyError;
        }
        if (info is null)
        {
            throw new InvalidDataException($"not an image in a supported format ({SupportedFormats})");
        }
        var image = Image.Load(Decoding, encoded);
        try
        {
            if (format.Name == "TIFF" && TiffSixteen(image))
            {
                // ImageSharp decodes every TIFF to 8 bits unless asked for a 16-bit pixel type.
                image.Dispose();
                image = Image.Load<Rgba64>(Decoding, encoded);
            }
            return Finish(image, info, format.Name, findings);
        }
        finally
        {
            image.Dispose();
        }
    }

    private static bool TiffSixteen(Image image)
    {
        var tiff = image.Frames.RootFrame.Metadata.GetTiffMetadata();
        int samples = tiff.PhotometricInterpretation is SixLabors.ImageSharp.Formats.Tiff.Constants.TiffPhotometricInterpretation.BlackIsZero
            or SixLabors.ImageSharp.Formats.Tiff.Constants.TiffPhotometricInterpretation.WhiteIsZero ? 1 : 3;
        return tiff.BitsPerPixel is { } bits && (int)bits / samples >= 16;
    }

    private static DecodedImage Finish(Image image, IImageInfo info, string formatName, ImageStructure.Findings findings)
    {
        if (image.Width != info.Width || image.Height != info.Height)
        {
            throw new InvalidDataException($"the header says {info.Width} x {info.Height}, the pixel data {image.Width} x {image.Height}");
        }
        var warnings = new List<string>();
        string name = Extension(formatName);
        if (findings.Frames > 1)
        {
            string what = name == "tif" ? "pages" : "frames (animated)";
            warnings.Add($"it has {findings.Frames} {what}; only the first is read");
        }
        ushort orientation = Orient(image);
        if (orientation > 1)
        {
            warnings.Add($"EXIF orientation {orientation} applied to the pixels; the tag is reset to 1");
        }
        var (channels, sixteen) = Layout(image, name, findings);
        var pixels = Extract(image, channels, sixteen);
        return new DecodedImage(pixels, Metadata(image.Metadata, image.Frames.RootFrame.Metadata, findings, name), name, warnings);
    }

    /// <summary>Applies the EXIF orientation to the pixels and resets the tag; returns the orientation the file had.</summary>
    private static ushort Orient(Image image)
    {
        // TIFF keeps its tags, the orientation (274) among them, per page: ImageSharp puts them in the frame's
        // profile, where AutoOrient does not look, so the page's profile is made the image's (Metadata reads either).
        image.Metadata.ExifProfile ??= image.Frames.RootFrame.Metadata.ExifProfile;
        var exif = image.Metadata.ExifProfile;
        ushort orientation = exif?.GetValue(ExifTag.Orientation)?.Value ?? 1;
        if (orientation is >= 2 and <= 8)
        {
            image.Mutate(x => x.AutoOrient());
        }
        if (exif?.GetValue(ExifTag.Orientation) is not null)
        {
            exif.SetValue(ExifTag.Orientation, (ushort)1);
        }
        return orientation is >= 2 and <= 8 ? orientation : (ushort)1;
    }

    /// <summary>
    /// The channels and depth kept: as decoded, except that alpha a format does not declare (palette PNG without
    /// tRNS, or any non-PNG whose every pixel is opaque) is dropped.
    /// </summary>
    private static (int Channels, bool Sixteen) Layout(Image image, string format, ImageStructure.Findings findings)
    {
        var (channels, sixteen) = image switch
        {
            Image<L8> => (1, false),
            Image<L16> => (1, true),
            Image<La16> => (2, false),
            Image<La32> => (2, true),
            Image<Rgb24> or Image<Bgr24> => (3, false),
            Image<Rgb48> => (3, true),
            Image<Rgba64> => (4, true),
            _ => (4, false),
        };
        if (channels >= 3 && IsGreyFormat(image))
        {
            channels -= 2;
        }
        if (channels is 2 or 4)
        {
            bool declared = format == "png" && !(findings.PngPalette && !findings.PngTransparency);
            if (!declared && AllOpaque(image))
            {
                channels--;
            }
        }
        return (channels, sixteen);
    }

    /// <summary>Whether the file stores grey samples that the decoder expanded to RGB (grey JPEG, grey TIFF).</summary>
    private static bool IsGreyFormat(Image image) =>
        image.Metadata.GetJpegMetadata().ColorType == SixLabors.ImageSharp.Formats.Jpeg.JpegColorType.Luminance ||
        image.Frames.RootFrame.Metadata.GetTiffMetadata().PhotometricInterpretation is
            SixLabors.ImageSharp.Formats.Tiff.Constants.TiffPhotometricInterpretation.BlackIsZero or
            SixLabors.ImageSharp.Formats.Tiff.Constants.TiffPhotometricInterpretation.WhiteIsZero;

    private static bool AllOpaque(Image image)
    {
        using var alpha = image.CloneAs<Rgba64>();
        bool opaque = true;
        alpha.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height && opaque; y++)
            {
                foreach (var p in rows.GetRowSpan(y))
                {
                    if (p.A != ushort.MaxValue)
                    {
                        opaque = false;
                        break;
                    }
                }
            }
        });
        return opaque;
    }

    private static HostImage Extract(Image image, int channels, bool sixteen)
    {
        int w = image.Width, h = image.Height;
        if (sixteen)
        {
            var samples = channels switch
            {
                1 => Samples<L16, ushort>(image),
                2 => Samples<La32, ushort>(image),
                3 => Samples<Rgb48, ushort>(image),
                _ => Samples<Rgba64, ushort>(image),
            };
            return HostImage.Own16(w, h, channels, samples);
        }
        var bytes = channels switch
        {
            1 => Samples<L8, byte>(image),
            2 => Samples<La16, byte>(image),
            3 => Samples<Rgb24, byte>(image),
            _ => Samples<Rgba32, byte>(image),
        };
        return HostImage.Own(w, h, channels, bytes, 8);
    }

    /// <summary>The pixels as <typeparamref name="TPixel"/> (converted when the image holds another type), as samples.</summary>
    private static T[] Samples<TPixel, T>(Image image) where TPixel : unmanaged, IPixel<TPixel> where T : unmanaged
    {
        var typed = image as Image<TPixel>;
        using var converted = typed is null ? image.CloneAs<TPixel>() : null;
        var source = typed ?? converted!;
        long count = (long)source.Width * source.Height * Marshal.SizeOf<TPixel>() / Marshal.SizeOf<T>();
        var buffer = new T[count];
        source.CopyPixelDataTo(MemoryMarshal.Cast<T, TPixel>(buffer.AsSpan()));
        return buffer;
    }

    private static CarriedMetadata Metadata(ImageMetadata md, ImageFrameMetadata frame, ImageStructure.Findings findings, string format)
    {
        // TIFF keeps its profiles per page, in the frame's metadata.
        byte[]? icc = (md.IccProfile ?? frame.IccProfile)?.ToByteArray();
        byte[]? exif = ExifBlock(md.ExifProfile ?? frame.ExifProfile);
        byte[]? xmp = (md.XmpProfile ?? frame.XmpProfile)?.ToByteArray();
        uint? gamma = null;
        byte[]? chrm = null;
        byte? srgb = null;
        double? rx = null, ry = null;
        var unit = ResolutionUnit.PerInch;
        var text = new List<(string, byte[])>();
        foreach (var (type, data) in findings.Chunks)
        {
            switch (type)
            {
                case "gAMA" when data.Length == 4:
                    gamma = BinaryPrimitives.ReadUInt32BigEndian(data);
                    break;
                case "cHRM" when data.Length == 32:
                    chrm = data;
                    break;
                case "sRGB" when data.Length == 1:
                    srgb = data[0];
                    break;
                case "pHYs" when data.Length == 9:
                    rx = BinaryPrimitives.ReadUInt32BigEndian(data);
                    ry = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
                    unit = data[8] == 1 ? ResolutionUnit.PerMetre : ResolutionUnit.AspectRatio;
                    break;
                case "iCCP":
                    icc ??= IccFromPng(data);
                    break;
                case "eXIf" when exif is null:
                    exif = data;
                    break;
                case "iTXt" when IsXmp(data, out var packet):
                    xmp ??= packet;
                    break;
                case "tEXt" or "zTXt" or "iTXt":
                    text.Add((type, data));
                    break;
                // WebP's chunks as stored replace what ImageSharp made of them.
                case "ICCP":
                    icc = data;
                    break;
                case "EXIF":
                    exif = data.AsSpan().StartsWith("Exif\0\0"u8) ? data[6..] : data;
                    break;
                case "XMP ":
                    xmp = data;
                    break;
            }
        }
        if (format != "png" && md.HorizontalResolution > 0 && md.VerticalResolution > 0 &&
            !(md.ResolutionUnits == SixLabors.ImageSharp.Metadata.PixelResolutionUnit.PixelsPerInch &&
              md.HorizontalResolution == ImageMetadata.DefaultHorizontalResolution && md.VerticalResolution == ImageMetadata.DefaultVerticalResolution))
        {
            rx = md.HorizontalResolution;
            ry = md.VerticalResolution;
            unit = md.ResolutionUnits switch
            {
                SixLabors.ImageSharp.Metadata.PixelResolutionUnit.PixelsPerInch => ResolutionUnit.PerInch,
                SixLabors.ImageSharp.Metadata.PixelResolutionUnit.PixelsPerCentimeter => ResolutionUnit.PerCentimetre,
                SixLabors.ImageSharp.Metadata.PixelResolutionUnit.PixelsPerMeter => ResolutionUnit.PerMetre,
                _ => ResolutionUnit.AspectRatio,
            };
        }
        return new CarriedMetadata
        {
            Icc = icc, Exif = exif, Xmp = xmp, Gamma = gamma, Chromaticities = chrm, SrgbIntent = srgb,
            ResolutionX = rx, ResolutionY = ry, Unit = unit, PngText = text,
        };
    }

    /// <summary>The EXIF profile as a TIFF-structured block (no <c>Exif\0\0</c> prefix), or null.</summary>
    private static byte[]? ExifBlock(ExifProfile? profile)
    {
        byte[]? bytes = profile?.ToByteArray();
        if (bytes is null || bytes.Length == 0)
        {
            return null;
        }
        return bytes.AsSpan().StartsWith("Exif\0\0"u8) ? bytes[6..] : bytes;
    }

    /// <summary>The ICC profile of an iCCP chunk (name, 0, method 0, zlib data), or null when damaged or over 16 MiB.</summary>
    private static byte[]? IccFromPng(byte[] chunk)
    {
        int zero = Array.IndexOf(chunk, (byte)0);
        if (zero < 1 || zero + 2 > chunk.Length || chunk[zero + 1] != 0)
        {
            return null;
        }
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(chunk, zero + 2, chunk.Length - zero - 2), CompressionMode.Decompress);
            using var result = new MemoryStream();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = zlib.Read(buffer)) > 0)
            {
                if (result.Length + n > MaxIccBytes)
                {
                    return null;
                }
                result.Write(buffer, 0, n);
            }
            return result.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Whether an iTXt chunk is an uncompressed XMP packet (keyword <c>XML:com.adobe.xmp</c>); gives the packet.</summary>
    private static bool IsXmp(byte[] chunk, out byte[] packet)
    {
        packet = Array.Empty<byte>();
        ReadOnlySpan<byte> keyword = "XML:com.adobe.xmp\0"u8;
        if (!chunk.AsSpan().StartsWith(keyword) || chunk.Length < keyword.Length + 2 || chunk[keyword.Length] != 0)
        {
            return false;
        }
        int at = keyword.Length + 2;
        for (int nul = 0; nul < 2; nul++)
        {
            int next = Array.IndexOf(chunk, (byte)0, at);
            if (next < 0)
            {
                return false;
            }
            at = next + 1;
        }
        packet = chunk[at..];
        return true;
    }

    private static string Extension(string format) => format switch
    {
        "PNG" => "png",
        "JPEG" => "jpg",
        "GIF" => "gif",
        "BMP" => "bmp",
        "TGA" => "tga",
        "TIFF" => "tif",
        "Webp" => "webp",
        _ => format.ToLowerInvariant(),
    };

    private static string Short(string message)
    {
        message = message.ReplaceLineEndings(" ").Trim();
        return message.Length <= 200 ? message : message[..200] + "...";
    }

    private static Configuration MakeConfiguration()
    {
        var config = Configuration.Default.Clone();
        // First frames only: the rest of an animation or a multi-page TIFF is never decoded (nor allocated).
        config.ImageFormatsManager.SetDecoder(SixLabors.ImageSharp.Formats.Gif.GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        config.ImageFormatsManager.SetDecoder(SixLabors.ImageSharp.Formats.Tiff.TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        // A second line behind the header check: no single buffer beyond 4 GiB, whatever a header claims.
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = 4096 });
        return config;
    }
}
