using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// <see cref="ImageFileWriter"/> read back with <see cref="ImageFile"/>: lossless formats give the same samples (16-bit
/// PNG too), JPEG within a few levels; the ICC profile, EXIF, XMP, PNG colour chunks and resolution come back where
/// the format holds them (WebP outputs carry none: see <see cref="ImageFileWriter"/>).
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
