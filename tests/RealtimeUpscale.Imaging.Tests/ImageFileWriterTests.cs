using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// <see cref="ImageFileWriter"/> read back with <see cref="ImageFile"/>: lossless formats give the same samples (16-bit
/// PNG too), JPEG within a few levels; the ICC profile, EXIF, XMP, PNG colour chunks and resolution come back where
/// the format holds them; WebP's container is checked chunk by chunk, read back by ImageSharp's decoder, and by libwebp's
/// <c>webpinfo</c> (installed by <c>scripts/test.sh</c> through <c>scripts/setup.sh</c>).
/// </summary>
public sealed class ImageFileWriterTests
{
    private static readonly string Corpus = Path.Combine(SharedData.RepositoryRoot, "tests", "corpus", "files");

    [Theory]
    [InlineData("png", 1)]
    [InlineData("png", 2)]
    [InlineData("png", 3)]
    [InlineData("png", 4)]
    [InlineData("tga", 3)]
    [InlineData("tga", 4)]
    [InlineData("bmp", 3)]
    [InlineData("tif", 1)]
    [InlineData("tif", 3)]
    [InlineData("webp", 3)]
    [InlineData("webp", 4)]
    public void LosslessFormatsGiveBackTheSamePixels(string format, int channels)
    {
        var image = Random8(17, 9, channels, seed: channels);
        var back = RoundTrip(image, format).Image;
        Assert.Equal((image.Width, image.Height, image.Channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(image.Pixels.ToArray(), back.Pixels.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SixteenBitPngKeepsEverySample(int channels)
    {
        var samples = new ushort[15 * 7 * channels];
        var random = new Random(channels);
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (ushort)random.Next(65536);
        }
        var back = RoundTrip(new HostImage(15, 7, channels, samples), "png").Image;
        Assert.Equal(16, back.BitsPerChannel);
        Assert.Equal(samples, back.Samples16.ToArray());
    }

    [Fact]
    public void JpegIsCloseAndDropsAlpha()
    {
        var image = Smooth(32, 24);
        var back = RoundTrip(image, "jpg").Image;
        Assert.Equal(3, back.Channels);
        for (int i = 0; i < back.Pixels.Length; i++)
        {
            Assert.InRange(back.Pixels[i], image.Pixels[i / 3 * 4 + i % 3] - 6, image.Pixels[i / 3 * 4 + i % 3] + 6);
        }
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    [InlineData("tif")]
    public void IccExifAndXmpAreCarried(string format)
    {
        var source = ImageFile.Read(Path.Combine(Corpus, "jpeg_orientation6.jpg"));
        var icc = ImageFile.Read(Path.Combine(Corpus, "png_icc.png")).Metadata.Icc!;
        var xmp = Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>");
        var metadata = new CarriedMetadata { Icc = icc, Exif = source.Metadata.Exif, Xmp = xmp };
        var back = RoundTrip(source.Image, format, metadata);
        Assert.Equal(SHA256.HashData(icc), SHA256.HashData(back.Metadata.Icc!));
        Assert.NotNull(back.Metadata.Exif);
        // The orientation was applied when the source was read and its tag reset, so the copy is not turned again.
        Assert.DoesNotContain(back.Warnings, w => w.Contains("orientation", StringComparison.Ordinal));
        if (format != "tif")
        {
            Assert.Equal(xmp, back.Metadata.Xmp);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void WebpCarriesIccExifAndXmpInItsExtendedContainer(int channels)
    {
        var image = Random8(17, 9, channels, seed: 7);
        var icc = ImageFile.Read(Path.Combine(Corpus, "png_icc.png")).Metadata.Icc!;
        var exif = ImageFile.Read(Path.Combine(Corpus, "jpeg_orientation6.jpg")).Metadata.Exif!;
        // An odd length, so the XMP chunk needs its padding byte.
        var xmp = Encoding.UTF8.GetBytes("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF /></x:xmpmeta>");
        Assert.Equal(1, xmp.Length % 2);
        using var stream = new MemoryStream();
        ImageFileWriter.Write(stream, image, "webp", metadata: new CarriedMetadata { Icc = icc, Exif = exif, Xmp = xmp });
        var file = stream.ToArray();

        // The container, read by hand: RIFF size, chunk order, VP8X's flags and canvas, payloads byte for byte.
        Assert.Equal("RIFFWEBP", Encoding.ASCII.GetString(file, 0, 4) + Encoding.ASCII.GetString(file, 8, 4));
        Assert.Equal(file.Length - 8, BitConverter.ToInt32(file, 4));
        var chunks = new List<(string Type, byte[] Payload)>();
        for (int at = 12; at < file.Length;)
        {
            int length = BitConverter.ToInt32(file, at + 4);
            chunks.Add((Encoding.ASCII.GetString(file, at, 4), file[(at + 8)..(at + 8 + length)]));
            if (length % 2 == 1)
            {
                Assert.Equal(0, file[at + 8 + length]);
            }
            at += 8 + length + length % 2;
        }
        Assert.Equal(["VP8X", "ICCP", "VP8L", "EXIF", "XMP "], chunks.Select(c => c.Type));
        var vp8x = chunks[0].Payload;
        Assert.Equal(0x20 | 0x08 | 0x04 | (channels == 4 ? 0x10 : 0), vp8x[0]);
        Assert.Equal((16, 8), (vp8x[4] | vp8x[5] << 8 | vp8x[6] << 16, vp8x[7] | vp8x[8] << 8 | vp8x[9] << 16));
        Assert.Equal(icc, chunks[1].Payload);
        Assert.Equal(exif, chunks[3].Payload);
        Assert.Equal(xmp, chunks[4].Payload);

        // ImageSharp's own decoder finds all three, and the pixels.
        using (var decoded = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(file))
        {
            Assert.Equal(icc, decoded.Metadata.IccProfile!.ToByteArray());
            // ImageSharp 2.1.13's WebP decoder keeps the padding byte of an odd-sized XMP chunk (the reader of inputs
            // takes the chunks from the container itself; below).
            var decodedXmp = decoded.Metadata.XmpProfile!.ToByteArray();
            Assert.Equal(xmp, decodedXmp[..xmp.Length]);
            Assert.Equal([0], decodedXmp[xmp.Length..]);
            Assert.NotNull(decoded.Metadata.ExifProfile);
            var rgba = new byte[17 * 9 * 4];
            decoded.CopyPixelDataTo(rgba);
            for (int i = 0; i < 17 * 9; i++)
            {
                Assert.Equal(image.Pixels.Slice(i * channels, 3).ToArray(), rgba[(i * 4)..(i * 4 + 3)]);
            }
        }
        // The reader of inputs gives back the same samples and the same three blocks.
        var back = ImageFile.Decode(file, "written.webp");
        Assert.Equal(image.Pixels.ToArray(), back.Image.Pixels.ToArray());
        Assert.Equal(icc, back.Metadata.Icc);
        Assert.Equal(exif, back.Metadata.Exif);
        Assert.Equal(xmp, back.Metadata.Xmp);

        // libwebp's own checker.
        string path = Path.Combine(Path.GetTempPath(), $"rtup-webp-{Guid.NewGuid():N}.webp");
        File.WriteAllBytes(path, file);
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("webpinfo", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            string report = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, report);
            Assert.Contains("No error detected", report);
            foreach (var line in new[] { "ICCP: 1", $"Alpha: {(channels == 4 ? 1 : 0)}", "EXIF: 1", "XMP: 1", "Canvas size 17 x 9", "Chunk ICCP", "Chunk EXIF", "Chunk XMP " })
            {
                Assert.Contains(line, report);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PngColourChunksResolutionAndTextAreCarried()
    {
        var source = ImageFile.Read(Path.Combine(Corpus, "png_gamma_chrm.png"));
        var back = RoundTrip(source.Image, "png", source.Metadata).Metadata;
        Assert.Equal(45455u, back.Gamma);
        Assert.Equal(source.Metadata.Chromaticities, back.Chromaticities);
        Assert.Equal((11811.0, 11811.0, ResolutionUnit.PerMetre), (back.ResolutionX!.Value, back.ResolutionY!.Value, back.Unit));
        Assert.Equal(source.Metadata.PngText.Single().Data, back.PngText.Single().Data);
        var srgb = ImageFile.Read(Path.Combine(Corpus, "png_srgb.png"));
        Assert.Equal((byte)0, RoundTrip(srgb.Image, "png", srgb.Metadata).Metadata.SrgbIntent);
    }

    [Fact]
    public void UnknownFormatsAndBadQualityAreRefused()
    {
        var image = Random8(2, 2, 3, 1);
        Assert.Throws<ArgumentException>(() => ImageFileWriter.Write(Stream.Null, image, "gif"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFileWriter.Write(Stream.Null, image, "jpg", quality: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFileWriter.Write(Stream.Null, image, "jpg", quality: 101));
    }

    private static DecodedImage RoundTrip(HostImage image, string format, CarriedMetadata? metadata = null)
    {
        using var stream = new MemoryStream();
        ImageFileWriter.Write(stream, image, format, 95, metadata);
        return ImageFile.Decode(stream.ToArray(), "written." + format);
    }

    private static HostImage Random8(int w, int h, int channels, int seed)
    {
        var pixels = new byte[w * h * channels];
        new Random(seed).NextBytes(pixels);
        return new HostImage(w, h, channels, pixels);
    }

    private static HostImage Smooth(int w, int h)
    {
        var pixels = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]) = ((byte)(x * 8), (byte)(y * 10), 128, 200);
            }
        }
        return new HostImage(w, h, 4, pixels);
    }
}
