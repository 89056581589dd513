using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>The background mapping of fresh host arrays' pages, and the arrays' reuse across a tile's values.</summary>
public sealed class PageWarmerTests : GpuTest
{
    public PageWarmerTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void WarmingMapsEveryPageAndNeverChangesWhatTheOwnerWrites()
    {
        Assert.True(PageWarmer.Worthwhile(3 << 20));
        Assert.False(PageWarmer.Worthwhile(1000));
        // Written while the worker maps it: every value the owner wrote is there afterwards.
        var racing = GC.AllocateUninitializedArray<float>((6 << 20) + 5);
        var a = PageWarmer.Warm(racing);
        for (int i = 0; i < racing.Length; i++)
        {
            racing[i] = i % 1009 + 0.5f;
        }
        Assert.True(a.Wait(Patience));
        Assert.True(a.Complete);
        for (int i = 0; i < racing.Length; i++)
        {
            Assert.Equal(i % 1009 + 0.5f, racing[i]);
        }
        // Written before: the mapping leaves it as it was.
        var written = GC.AllocateUninitializedArray<float>((3 << 20) + 7);
        Array.Fill(written, -3.25f);
        var b = PageWarmer.Warm(written);
        Assert.True(b.Wait(Patience));
        Assert.All(written, v => Assert.Equal(-3.25f, v));
        // Stopped at once: the worker lets it go without mapping it all, and the contents are the owner's.
        var stopped = GC.AllocateUninitializedArray<float>(16 << 20);
        var c = PageWarmer.Warm(stopped);
        c.Stop();
        Array.Fill(stopped, 2f);
        Assert.True(c.Wait(Patience));
        Assert.All(stopped, v => Assert.Equal(2f, v));
    }

    [Fact]
    public void TileValuesKeepATensorInTheArrayReservedForItAndHandItOnOnceDropped()
    {
        var shape = new TensorShape(5, 301, 713); // a warmed array's size (over 4 MiB), odd sides
        var expected = new float[shape.ElementCount];
        var random = new Random(17);
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = (float)(random.NextDouble() * 2 - 1);
        }
        using var tensor = new GpuTensor(Context, shape, expected);
        var arrays = new HostArrays();
        var values = new TileValues(arrays);
        values.Reserve("a", shape.ElementCount);
        Assert.Empty(values.Names); // reserved, not yet a value
        values.Keep("a", tensor);
        values.Keep("b", tensor); // kept without a reservation
        Assert.True(values.TryGetValue("a", out var a));
        Assert.True(values.TryGetValue("b", out var b));
        Assert.Equal(expected, a);
        Assert.Equal(expected, b);
        Assert.NotSame(a, b);
        // A dropped value's array serves the next rent of its length.
        values.Drop("a");
        Assert.False(values.TryGetValue("a", out _));
        Assert.Same(a, arrays.Rent(a.Length));
        values.Clear();
        Assert.Empty(values.Names);
        Assert.Same(b, arrays.Rent(b.Length));
        arrays.StopWarming();
    }
}
