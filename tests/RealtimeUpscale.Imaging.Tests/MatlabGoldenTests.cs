using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// Bit-exact check against MATLAB itself: shared/datasets/Set5_matlab_bicubic/x{s} holds Set5 crops
/// (labels/*_HR.png, uint8 RGB) and what MATLAB's <c>imresize(HR, 1/s, 'bicubic')</c> made of them
/// (data/*_LR.png). MATLAB resizes each channel of an RGB array on its own, so the interleaved uint8
/// resize must reproduce every byte. Tolerance: none.
/// </summary>
public sealed class MatlabGoldenTests
{
    private readonly ITestOutputHelper _output;

    public MatlabGoldenTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ByteResizeReproducesMatlabLowResolutionImages(int scale)
    {
        var labels = SharedData.DatasetFiles(Path.Combine("Set5_matlab_bicubic", $"x{scale}", "labels"), "*_HR.png", 5);
        long total = 0;
        var failures = new List<string>();
        foreach (string labelPath in labels)
        {
            string name = Path.GetFileName(labelPath);
            string dataPath = Path.Combine(
                Path.GetDirectoryName(Path.GetDirectoryName(labelPath))!, "data", name.Replace("_HR.png", "_LR.png"));
            var hr = ImageFile.Load(labelPath);
            var expected = ImageFile.Load(dataPath);
            Assert.Equal(3, hr.Channels);
            Assert.Equal(3, expected.Channels);

            var actual = MatlabResize.ResizeInterleaved(
                hr.Pixels, hr.Height, hr.Width, hr.Channels, 1.0 / scale, out int height, out int width);

            Assert.Equal((expected.Height, expected.Width), (height, width));
            var reference = expected.Pixels;
            int differing = 0;
            int largest = 0;
            for (int i = 0; i < actual.Length; i++)
            {
                int d = Math.Abs(actual[i] - reference[i]);
                if (d != 0)
                {
                    differing++;
                    largest = Math.Max(largest, d);
                }
            }
            total += actual.Length;
            _output.WriteLine($"x{scale} {name}: {hr.Width}x{hr.Height} -> {width}x{height}, {differing} bytes differ");
            if (differing != 0)
            {
                failures.Add($"{name}: {differing} of {actual.Length} bytes differ, by up to {largest}");
            }
        }
        _output.WriteLine($"x{scale}: {total} bytes compared");
        Assert.True(failures.Count == 0, string.Join("; ", failures));
    }
}
