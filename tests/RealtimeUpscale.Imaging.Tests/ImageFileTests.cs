using StbImageWriteSharp;
using Xunit;
using WriteComponents = StbImageWriteSharp.ColorComponents;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// <see cref="ImageFile"/> on files written by StbImageWriteSharp (and by hand for 16-bit PNG and GIF):
/// lossless formats must round-trip every byte, rows top first.
/// </summary>
public sealed class ImageFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("imaging-tests-").FullName;

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PngRoundTripsExactly(int channels)
    {
        var (pixels, width, height) = RandomImage(channels, seed: channels);
        string path = Write("round.png", (w, s) => w.WritePng(pixels, width, height, (WriteComponents)channels, s));

        var image = ImageFile.Load(path);

        AssertImage(image, width, height, channels, pixels);
        Assert.Equal(8, image.SourceBitsPerChannel);
        Assert.Equal(channels is 2 or 4, image.HasAlpha);
    }

    [Fact]
    public void BmpRoundTripsExactly()
    {
        var (pixels, width, height) = RandomImage(3, seed: 11);
        string path = Write("round.bmp", (w, s) => w.WriteBmp(pixels, width, height, WriteComponents.RedGreenBlue, s));
        AssertImage(ImageFile.Load(path), width, height, 3, pixels);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void TgaRoundTripsExactly(int channels)
    {
        var (pixels, width, height) = RandomImage(channels, seed: 20 + channels);
        string path = Write("round.tga", (w, s) => w.WriteTga(pixels, width, height, (WriteComponents)channels, s));
        AssertImage(ImageFile.Load(path), width, height, channels, pixels);
    }

    /// <summary>JPEG is lossy: a smooth gradient at quality 95 must come back within 4 levels everywhere.</summary>
    [Fact]
    public void JpegLoadsCloseToTheOriginal()
    {
        const int width = 48, height = 32;
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                pixels[i] = (byte)(x * 5);
                pixels[i + 1] = (byte)(y * 7);
                pixels[i + 2] = (byte)(128 + x - y);
            }
        }
        string path = Write("smooth.jpg", (w, s) => w.WriteJpg(pixels, width, height, WriteComponents.RedGreenBlue, s, 95));

        var image = ImageFile.Load(path);

        Assert.Equal((width, height, 3), (image.Width, image.Height, image.Channels));
        var loaded = image.Pixels.ToArray();
        int worst = pixels.Zip(loaded, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 4, $"largest JPEG error {worst} levels > 4");
    }

    /// <summary>Two 1x1 frames, white then black (GIF89a, 2-colour table, LZW minimum code size 2: clear code
    /// 4, the pixel's index, end code 5, packed 3 bits each). The first frame is loaded, as RGBA.</summary>
    [Fact]
    public void GifLoadsTheFirstFrame()
    {
        byte[] gif =
        [
            0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00,
            0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00,
            0x21, 0xF9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00,
            0x21, 0xF9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x4C, 0x01, 0x00,
            0x3B,
        ];
        string path = Path.Combine(_folder, "frames.gif");
        File.WriteAllBytes(path, gif);

        var image = ImageFile.Load(path);

        // Opaque white: the alpha the GIF decoder adds is dropped, since no pixel uses it.
        AssertImage(image, 1, 1, 3, [255, 255, 255]);
    }

    /// <summary>Read keeps every 16-bit sample; Load (for 8-bit tools) rounds them to 8 bits and reports the loss.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void SixteenBitPngIsReducedAndReported(int channels)
    {
        const int width = 5, height = 3;
        var samples = new ushort[width * height * channels];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (ushort)(i * 4099 + 0x0180);
        }
        string path = Path.Combine(_folder, "deep.png");
        File.WriteAllBytes(path, PngWriter16.Encode(samples, width, height, channels));

        var deep = ImageFile.Read(path).Image;
        Assert.Equal(16, deep.BitsPerChannel);
        Assert.Equal(samples, deep.Samples16.ToArray());

        var image = ImageFile.Load(path);
        Assert.Equal(16, image.SourceBitsPerChannel);
        Assert.Equal(8, image.BitsPerChannel);
        AssertImage(image, width, height, channels, samples.Select(v => (byte)Math.Round(v / 257.0)).ToArray());
    }

    [Fact]
    public void RowsComeTopFirst()
    {
        byte[] pixels = [10, 200];
        string path = Write("two-rows.png", (w, s) => w.WritePng(pixels, 1, 2, WriteComponents.Grey, s));
        AssertImage(ImageFile.Load(path), 1, 2, 1, pixels);
    }

    [Fact]
    public void CorruptFileGivesInvalidDataNamingTheFile()
    {
        string path = Path.Combine(_folder, "noise.png");
        var noise = new byte[300];
        new Random(5).NextBytes(noise);
        File.WriteAllBytes(path, noise);

        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TruncatedPngGivesInvalidDataNamingTheFile()
    {
        var (pixels, width, height) = RandomImage(3, seed: 9);
        string whole = Write("whole.png", (w, s) => w.WritePng(pixels, width, height, WriteComponents.RedGreenBlue, s));
        var bytes = File.ReadAllBytes(whole);
        string path = Path.Combine(_folder, "truncated.png");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RadianceHdrIsRefused()
    {
        string path = Path.Combine(_folder, "light.hdr");
        File.WriteAllText(path, "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n");
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MissingFileGivesFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ImageFile.Load(Path.Combine(_folder, "absent.png")));
    }

    [Fact]
    public void HostImageCopiesAndValidates()
    {
        var pixels = new byte[] { 1, 2, 3, 4, 5, 6 };
        var image = new HostImage(2, 1, 3, pixels);
        pixels[0] = 99;
        Assert.Equal(1, image.Pixels[0]);
        Assert.Throws<ArgumentException>(() => new HostImage(2, 2, 3, pixels));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HostImage(2, 1, 5, new byte[10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HostImage(2, 1, 3, pixels, sourceBitsPerChannel: 12));
    }

    private static (byte[] Pixels, int Width, int Height) RandomImage(int channels, int seed)
    {
        const int width = 13, height = 7;
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return (pixels, width, height);
    }

    private static void AssertImage(HostImage image, int width, int height, int channels, byte[] pixels)
    {
        Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(pixels, image.Pixels.ToArray());
    }

    private string Write(string name, Action<ImageWriter, Stream> write)
    {
        string path = Path.Combine(_folder, name);
        using (var stream = File.Create(path))
        {
            write(new ImageWriter(), stream);
        }
        return path;
    }
}
