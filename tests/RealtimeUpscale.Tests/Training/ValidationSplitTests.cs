using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RealtimeUpscale.Imaging;
using Xunit;

namespace RealtimeUpscale.Tests.Training;

/// <summary>
/// The held-out validation images (<c>training/validation_general100.txt</c>) are what their documented rule
/// picks, none of them is a test image, and the trainer trains on none of them nor on any test image. Images are
/// compared by the content of their decoded pixels (RGB, grey expanded, alpha dropped, with the size), so a
/// renamed or re-encoded copy is caught as well as a shared name.
/// </summary>
public sealed class ValidationSplitTests
{
    private static readonly string[] TestSets = { "Set5", "Set14", "BSD100" };
    private static readonly ConcurrentDictionary<string, string> Hashes = new(StringComparer.Ordinal);
    private static readonly Lazy<Dictionary<string, string>> TestSetHashes = new(() =>
        TestSets.SelectMany(set => Directory.GetFiles(SharedData.Path("datasets", set)))
            .ToDictionary(f => f, PixelHash));

    private static string ListPath => Path.Combine(SharedData.RepositoryRoot, "training", "validation_general100.txt");

    private static List<string> HeldOutNames() => File.ReadAllLines(ListPath)
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

    /// <summary>SHA-256 of the width, height and RGB bytes of the decoded image (computed once a file).</summary>
    private static string PixelHash(string path) => Hashes.GetOrAdd(Path.GetFullPath(path), ComputePixelHash);

    private static string ComputePixelHash(string path)
    {
        var image = ImageFile.Load(path);
        var rgb = new byte[image.Width * image.Height * 3];
        var pixels = image.Pixels;
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                // 1 or 2 channels: grey (then alpha); 3 or 4: RGB (then alpha).
                rgb[i * 3 + c] = pixels[i * image.Channels + (image.Channels >= 3 ? c : 0)];
            }
        }
        using var sha = SHA256.Create();
        sha.TransformBlock(BitConverter.GetBytes(image.Width), 0, 4, null, 0);
        sha.TransformBlock(BitConverter.GetBytes(image.Height), 0, 4, null, 0);
        sha.TransformFinalBlock(rgb, 0, rgb.Length);
        return Convert.ToHexString(sha.Hash!);
    }

    [Fact]
    public void HeldOutListIsTheTenGeneral100NamesWithTheSmallestSaltedHash()
    {
        // The rule of training/splits.py, recomputed independently.
        var names = Directory.GetFiles(SharedData.Path("datasets", "General100")).Select(Path.GetFileName).Select(n => n!);
        var expected = names
            .OrderBy(n => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("rtup-validation-general100:" + n))).ToLowerInvariant(),
                StringComparer.Ordinal)
            .Take(10).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, HeldOutNames());
    }

    [Fact]
    public void NoHeldOutImageIsInATestSet()
    {
        var heldOut = HeldOutNames().Select(n => SharedData.Path("datasets", "General100", n)).ToList();
        Assert.Equal(10, heldOut.Count);
        var testHashes = TestSetHashes.Value;
        Assert.Equal(5 + 14 + 100, testHashes.Count);
        foreach (string path in heldOut)
        {
            string hash = PixelHash(path);
            var same = testHashes.Where(t => t.Value == hash).Select(t => t.Key).ToList();
            Assert.True(same.Count == 0, $"{path} has the pixels of {string.Join(", ", same)}");
        }
    }

    [Theory]
    [InlineData("subpixel", "2", false)]
    [InlineData("deconv", "4", false)]
    [InlineData("resizeconv", "3", true)]
    public void TrainerTrainsOnNeitherHeldOutNorTestImagesAndValidatesOnHeldOutOnly(string family, string scale, bool smoke)
    {
        var args = new List<string> { "training/train.py", "--family", family, "--scale", scale, "--list-data" };
        if (smoke)
        {
            args.Add("--smoke");
        }
        using var listed = JsonDocument.Parse(TrainerProcess.Run(TimeSpan.FromMinutes(1), args.ToArray()));
        var training = listed.RootElement.GetProperty("training").EnumerateArray().Select(e => Path.GetFullPath(e.GetString()!)).ToList();
        var validation = listed.RootElement.GetProperty("validation").EnumerateArray().Select(e => Path.GetFullPath(e.GetString()!)).ToList();
        var heldOut = HeldOutNames().Select(n => Path.GetFullPath(SharedData.Path("datasets", "General100", n))).ToList();

        if (smoke)
        {
            Assert.Equal(4, training.Count);
            Assert.Equal(2, validation.Count);
            Assert.Subset(heldOut.ToHashSet(), validation.ToHashSet());
        }
        else
        {
            // T91 and General100, less exactly the held-out ten.
            Assert.Equal(91 + 100 - 10, training.Count);
            Assert.Equal(heldOut, validation);
        }

        var heldOutHashes = heldOut.ToDictionary(PixelHash, p => p);
        var testHashes = TestSetHashes.Value.GroupBy(t => t.Value, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
        foreach (string path in training)
        {
            Assert.DoesNotContain(path, heldOut);
            string hash = PixelHash(path);
            Assert.False(heldOutHashes.TryGetValue(hash, out string? h), $"training image {path} has the pixels of held-out {h}");
            Assert.False(testHashes.TryGetValue(hash, out string? t), $"training image {path} has the pixels of test image {t}");
        }
        foreach (string path in validation)
        {
            Assert.False(testHashes.ContainsKey(PixelHash(path)), $"validation image {path} is a test image");
        }
    }
}
