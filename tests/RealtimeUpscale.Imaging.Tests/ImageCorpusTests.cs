using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// Every file of the generated corpus (<c>tests/corpus/generate.py</c>) read by <see cref="ImageFile"/> against its
/// expected outcome in <c>tests/corpus/manifest.json</c>: exact samples (SHA-256) for lossless files, channel means
/// within 4 levels for lossy ones, quadrant colours within 40 levels after EXIF orientation, carried metadata and
/// warnings; and for truncated, bit-flipped, bomb and non-image files an <see cref="InvalidDataException"/> that
/// names the file and what is wrong.
/// </summary>
public sealed class ImageCorpusTests
{
    private static readonly string Folder = Path.Combine(SharedData.RepositoryRoot, "tests", "corpus");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var entry in Manifest())
        {
            data.Add(entry.GetProperty("file").GetString()!);
        }
        return data;
    }

    [Fact]
    public void TheCorpusCoversEveryCaseTheReaderMustHandle()
    {
        var names = Manifest().Select(e => e.GetProperty("file").GetString()!).ToList();
        foreach (var prefix in new[] { "png_truncated_", "jpeg_truncated_", "png_bitflip_", "jpeg_bitflip_", "bomb_", "jpeg_orientation8",
                     "png_icc", "png_gamma", "png_grey16", "png_rgb16", "png_rgba16", "webp_", "tiff_", "gif_animated", "jpeg_cmyk", "jpeg_progressive" })
        {
            Assert.Contains(names, n => n.StartsWith(prefix, StringComparison.Ordinal));
        }
        Assert.True(names.Count(n => n.StartsWith("png_truncated_", StringComparison.Ordinal)) >= 15);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EachFileGivesItsExpectedOutcome(string name)
    {
        var entry = Manifest().Single(e => e.GetProperty("file").GetString() == name);
        string path = Path.Combine(Folder, "files", name);
        var options = new ImageReadOptions
        {
            MaxPixels = entry.TryGetProperty("max_pixels", out var mp) ? mp.GetInt64() : ImageFile.DefaultMaxPixels,
        };
        string expect = entry.GetProperty("expect").GetString()!;
        DecodedImage? result = null;
        InvalidDataException? error = null;
        try
        {
            result = ImageFile.Read(path, options);
        }
        catch (InvalidDataException e)
        {
            error = e;
        }
        if (expect == "any")
        {
            Assert.True(result is not null || error!.Message.StartsWith(path + ":", StringComparison.Ordinal));
            return;
        }
        if (expect == "error")
        {
            Assert.True(error is not null, $"{name} was read as {result?.Image.Width}x{result?.Image.Height}; it must be refused");
            Assert.StartsWith(path + ": ", error!.Message);
            Assert.Contains(entry.GetProperty("message").GetString()!, error.Message);
            Assert.Equal(1, CountOf(error.Message, path));
            return;
        }
        Assert.True(error is null, error?.Message);
        var image = result!.Image;
        Assert.Equal(entry.GetProperty("width").GetInt32(), image.Width);
        Assert.Equal(entry.GetProperty("height").GetInt32(), image.Height);
        Assert.Equal(entry.GetProperty("channels").GetInt32(), image.Channels);
        Assert.Equal(entry.GetProperty("bits").GetInt32(), image.BitsPerChannel);
        if (entry.TryGetProperty("sha256", out var hash))
        {
            var bytes = image.BitsPerChannel == 16 ? MemoryMarshal.AsBytes(image.Samples16).ToArray() : image.Pixels.ToArray();
            Assert.Equal(hash.GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
        if (entry.TryGetProperty("mean", out var mean))
        {
            double tolerance = entry.GetProperty("tolerance").GetDouble();
            var expected = mean.EnumerateArray().Select(m => m.GetDouble()).ToArray();
            for (int c = 0; c < image.Channels; c++)
            {
                double sum = 0;
                for (int i = c; i < image.Pixels.Length; i += image.Channels)
                {
                    sum += image.Pixels[i];
                }
                Assert.InRange(sum / (image.Width * image.Height), expected[c] - tolerance, expected[c] + tolerance);
            }
        }
        if (entry.TryGetProperty("corners", out var corners))
        {
            var points = new[] { (12, 8), (36, 8), (12, 24), (36, 24) };
            int k = 0;
            foreach (var colour in corners.EnumerateArray())
            {
                var (x, y) = points[k++];
                int c = 0;
                foreach (var level in colour.EnumerateArray())
                {
                    Assert.InRange(image.Pixels[(y * image.Width + x) * 3 + c++], level.GetInt32() - 40, level.GetInt32() + 40);
                }
            }
        }
        if (entry.TryGetProperty("metadata", out var metadata))
        {
            var present = result.Metadata.Present();
            foreach (var m in metadata.EnumerateArray())
            {
                Assert.Contains(m.GetString()!, present);
            }
        }
        if (entry.TryGetProperty("icc_sha256", out var icc))
        {
            Assert.Equal(icc.GetString(), Convert.ToHexStringLower(SHA256.HashData(result.Metadata.Icc!)));
        }
        if (entry.TryGetProperty("gamma", out var gamma))
        {
            Assert.Equal(gamma.GetUInt32(), result.Metadata.Gamma);
        }
        if (entry.TryGetProperty("warning", out var warning))
        {
            Assert.Contains(result.Warnings, w => w.Contains(warning.GetString()!, StringComparison.Ordinal));
        }
        else
        {
            Assert.Empty(result.Warnings);
        }
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static List<JsonElement> Manifest()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
