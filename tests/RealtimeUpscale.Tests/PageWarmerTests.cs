using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>The background touching of fresh host arrays' pages, and the arrays' reuse across a tile's values.</summary>
public sealed class PageWarmerTests : GpuTest
{
    public PageWarmerTests(GpuFixture gpu) : base(gpu)
    {
    }

    [Fact]
    public void WarmingEndsBeforeTheOwnerWritesAndTouchesEveryPageWhenLeftToFinish()
    {
        var first = GC.AllocateUninitializedArray<float>(3 << 20);
        var second = GC.AllocateUninitializedArray<float>((5 << 20) + 3);
        Assert.True(PageWarmer.Worthwhile(first));
        Assert.False(PageWarmer.Worthwhile(new float[1000]));
        var a = PageWarmer.Warm(first);
        var b = PageWarmer.Warm(second);
        // The worker takes them in order: once the second is finished, the first was touched to its end.
        b.Finish();
        Assert.True(a.Complete);
        a.Finish();
        Array.Fill(first, 7f);
        Array.Fill(second, 9f);
        // Another array warmed and finished after them: the worker has moved on and left both as written.
        PageWarmer.Warm(GC.AllocateUninitializedArray<float>(2 << 20)).Finish();
        Assert.All(first, v => Assert.Equal(7f, v));
        Assert.All(second, v => Assert.Equal(9f, v));
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
    }
}
