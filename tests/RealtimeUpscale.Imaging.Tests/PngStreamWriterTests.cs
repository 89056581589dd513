using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>The streaming PNG writer, read back by StbImageSharp: exact pixels for every channel count.</summary>
public sealed class PngStreamWriterTests
{
    [Theory]
    [InlineData(1, 37, 23)]
    [InlineData(2, 5, 41)]
    [InlineData(3, 64, 17)]
    [InlineData(4, 13, 13)]
    public void RowsWrittenInUnevenBatchesReadBackExactly(int channels, int width, int height)
    {
        var rng = new Random(channels * 100 + width);
        var pixels = new byte[width * height * channels];
        for (int i = 0; i < pixels.Length; i++)
        {
            // Smooth ramps (the filters predict them) mixed with noise (they cannot).
            pixels[i] = (byte)(i % 7 == 0 ? rng.Next(256) : (i / channels) % width * 3 + i % channels * 40);
        }
        using var stream = new MemoryStream();
        using (var png = new PngStreamWriter(stream, width, height, channels))
        {
            int row = 0;
            foreach (int batch in new[] { 1, 3, 2, 7 }.Concat(Enumerable.Repeat(5, height)))
            {
                int n = Math.Min(batch, height - row);
                if (n == 0)
                {
                    break;
                }
                png.WriteRows(pixels.AsSpan(row * width * channels, n * width * channels));
                row += n;
            }
            png.Finish();
        }
        var image = ImageFile.Decode(stream.ToArray(), "streamed.png").Image;
        Assert.Equal((width, height, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(pixels, image.Pixels.ToArray());
    }

    [Fact]
    public void WrongRowLengthsAndMissingRowsAreErrors()
    {
        using var stream = new MemoryStream();
        using var png = new PngStreamWriter(stream, 4, 3, 3);
        Assert.Throws<ArgumentException>(() => png.WriteRows(new byte[11]));
        png.WriteRows(new byte[12]);
        Assert.Contains("3 rows; 1 were written", Assert.Throws<InvalidOperationException>(() => png.Finish()).Message);
        Assert.Throws<ArgumentException>(() => png.WriteRows(new byte[36]));
    }
}
