using RealtimeUpscale.Demo;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The demo's session parts on the CPU: teardown in reverse creation order (on past a failure), replaceable slots,
/// and the automatic resolution controller's steps.
/// </summary>
public sealed class DemoPartsTests
{
    private sealed class Probe(List<string> log, string name, bool fail = false) : IDisposable
    {
        public void Dispose()
        {
            log.Add(name);
            if (fail)
            {
                throw new InvalidOperationException(name + " failed");
            }
        }
    }

    [Fact]
    public void TheDisposalStackDisposesInReverseCreationOrderAndGoesOnPastAFailure()
    {
        var log = new List<string>();
        var stack = new DisposalStack();
        stack.Push(new Probe(log, "instance"));
        stack.Push(new Probe(log, "device", fail: true));
        stack.Push(new Probe(log, "fence"));
        var e = Assert.Throws<InvalidOperationException>(stack.Dispose);
        Assert.Equal("device failed", e.Message);
        Assert.Equal(new[] { "fence", "device", "instance" }, log);
        stack.Dispose(); // once only
        Assert.Equal(3, log.Count);
    }

    [Fact]
    public void AReplaceableSlotDisposesWhatItReplacesAndKeepsItsPlace()
    {
        var log = new List<string>();
        var stack = new DisposalStack();
        stack.Push(new Probe(log, "device"));
        var slot = stack.Push(new Replaceable<Probe>());
        stack.Push(new Probe(log, "swapchain"));
        slot.Replace(new Probe(log, "view 1"));
        slot.Replace(new Probe(log, "view 2"));
        Assert.Equal(new[] { "view 1" }, log);
        stack.Dispose();
        Assert.Equal(new[] { "view 1", "swapchain", "view 2", "device" }, log);
    }

    [Fact]
    public void AutomaticResolutionShrinksBelowTheTargetGrowsWellAboveAndAFixedOneStays()
    {
        // 10 fps against a target of 20: one second of frames shrinks by sqrt(10 / 20) = 0.707.
        var auto = new ResolutionController(null, 20);
        Assert.Equal(1.0, auto.RenderScale);
        bool changed = false;
        for (int i = 0; i < 20 && !changed; i++)
        {
            changed = auto.FrameDone(0.1);
        }
        Assert.True(changed);
        Assert.Equal(Math.Sqrt(0.5), auto.RenderScale, 1e-9);
        Assert.Equal((905, 509), auto.Canvas(1280, 720));

        // 100 fps, over 1.5 x the target and more than 3 s after the last change: grows by 10 %.
        auto.ViewRebuilt();
        changed = false;
        for (int i = 0; i < 400 && !changed; i++)
        {
            changed = auto.FrameDone(0.01);
        }
        Assert.True(changed);
        Assert.Equal(Math.Sqrt(0.5) * 1.1, auto.RenderScale, 1e-9);

        var fixedScale = new ResolutionController(0.25, 20);
        for (int i = 0; i < 100; i++)
        {
            Assert.False(fixedScale.FrameDone(0.5));
        }
        Assert.Equal(0.25, fixedScale.RenderScale);
        Assert.Equal((64, 64), fixedScale.Canvas(200, 100)); // never under 64 a side
        Assert.True(fixedScale.ToggleAutomatic() is false && fixedScale.Automatic);
        Assert.True(fixedScale.ToggleAutomatic());
        Assert.Equal(1.0, fixedScale.RenderScale);
    }
}
