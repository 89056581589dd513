using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>The one <c>WxH</c> parser: accepted forms, rejected forms, range checks, overflow, and 64-bit counts.</summary>
public sealed class ImageSizeTests
{
    [Theory]
    [InlineData("1280x720", 1280, 720)]
    [InlineData("960X540", 960, 540)]
    [InlineData("1x1", 1, 1)]
    [InlineData("0007x09", 7, 9)]
    [InlineData("1048576x1048576", 1 << 20, 1 << 20)]
    public void ParsesWidthAndHeight(string text, int width, int height) =>
        Assert.Equal(new ImageSize(width, height), ImageSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("1280")]
    [InlineData("1280x")]
    [InlineData("x720")]
    [InlineData("1280x720x3")]
    [InlineData("-1280x720")]
    [InlineData("+1280x720")]
    [InlineData(" 1280x720")]
    [InlineData("1280 x 720")]
    [InlineData("1,280x720")]
    [InlineData("12.5x720")]
    [InlineData("1280*720")]
    [InlineData("99999999999x720")]
    [InlineData("2147483648x1")]
    public void RejectsAnythingElseNamingTheOption(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ImageSize.Parse(text, "--size"));
        Assert.Contains("--size", e.Message);
        Assert.Contains("WxH", e.Message);
    }

    [Theory]
    [InlineData("0x720")]
    [InlineData("1280x0")]
    [InlineData("63x720")]
    [InlineData("1280x16385")]
    public void ChecksTheRange(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => ImageSize.Parse(text, "--window", 64, 16384));
        Assert.Contains("--window", e.Message);
        Assert.Contains("64 to 16384", e.Message);
    }

    [Fact]
    public void TheDefaultRangeIsOneTo2To20()
    {
        Assert.Throws<ArgumentException>(() => ImageSize.Parse("1048577x1"));
        Assert.Throws<ArgumentException>(() => ImageSize.Parse("0x1"));
        Assert.Throws<ArgumentException>(() => new ImageSize(5, -1).Check("--size"));
    }

    [Fact]
    public void CountsDoNotOverflow()
    {
        var size = new ImageSize(1 << 20, 1 << 20);
        Assert.Equal(1L << 40, size.PixelCount);
        Assert.Equal(4L << 40, size.ByteCount(4));
        Assert.Equal(24000L * 24000 * 4, new ImageSize(24000, 24000).ByteCount(4));
        Assert.Throws<OverflowException>(() => new ImageSize(int.MaxValue, int.MaxValue).ByteCount(1 << 30));
        Assert.Equal("960x540", new ImageSize(960, 540).ToString());
    }
}
