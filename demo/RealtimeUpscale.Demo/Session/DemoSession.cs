using System.Diagnostics;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// One run of the demo: makes its parts (window, Vulkan host, the library's borrowed context, frames in flight,
/// swapchain, screen image, view) and runs the render loop over them. Every part is owned by one
/// <see cref="DisposalStack"/>, so teardown is disposal in reverse creation order once the device is idle.
/// </summary>
internal sealed unsafe class DemoSession : IDisposable
{
    private const int FramesInFlight = 2;

    private readonly DemoOptions _o;
    private readonly TextWriter _log;
    private readonly DisposalStack _owned = new();
    private readonly DemoWindow? _window;
    private readonly VulkanHost _host = null!;
    private readonly Swapchain? _swap;
    private readonly GpuContext _gpu = null!;
    private readonly DemoGpu _demo = null!;
    private readonly ModelLibrary _library;
    private readonly HudRenderer _hud = null!;
    private readonly FrameSlot[] _frames = new FrameSlot[FramesInFlight];
    private readonly Replaceable<GpuImage> _screen = new();
    private readonly Replaceable<ViewPlan> _plan = new();
    private readonly DemoSettings _settings;
    private readonly ResolutionController _resolution = null!;
    private readonly FrameStatistics _statistics = new();
    private readonly FrameRecorder _recorder = null!;
    private int _planVersion;
    private (int Width, int Height) _framebuffer;
    private bool _disposed;

    public DemoSession(DemoOptions o, TextWriter log)
    {
        _o = o;
        _log = log;
        DemoWindow.ClearKeys(); // presses meant for an earlier session in this process
        _settings = new DemoSettings(o);
        _library = new ModelLibrary(o.ModelDirectory);
        try
        {
            if (!o.Offscreen)
            {
                _window = _owned.Push(DemoWindow.Open(o.Width, o.Height));
            }
            _host = _owned.Push(VulkanHost.Create(_window?.Handle ?? 0, o.Validate, o.Device));
            _resolution = new ResolutionController(o.RenderScale, o.TargetFps ?? (_host.DeviceType == PhysicalDeviceType.Cpu ? 20 : 60));
            _gpu = _owned.Push(GpuContext.Borrow(_host.Vk, _host.Instance, _host.PhysicalDevice, _host.Device, _host.Queue, _host.QueueFamily,
                new GpuContextOptions { NeverSubmit = false }));
            _demo = _owned.Push(new DemoGpu(_gpu, o.Image ?? o.DefaultImage));
            _owned.Push(_screen);
            _hud = _owned.Push(new HudRenderer(_demo, FramesInFlight));
            var pool = _owned.Push(new OwnedCommandPool(_host.Vk, _host.Device, _host.QueueFamily));
            for (int i = 0; i < FramesInFlight; i++)
            {
                _frames[i] = _owned.Push(new FrameSlot(_host, _gpu, pool, i));
            }
            int width = o.Width, height = o.Height;
            if (_window is not null)
            {
                (width, height) = _framebuffer = _window.FramebufferSize;
                _swap = _owned.Push(new Swapchain(_host, Math.Max(width, 1), Math.Max(height, 1), o.Vsync));
                width = _swap.Width;
                height = _swap.Height;
            }
            _owned.Push(_plan);
            _recorder = new FrameRecorder(_host, _gpu, _demo, _hud, _swap);
            CreateScreen(width, height);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private GpuImage Screen => _screen.Current!;

    private ViewPlan Plan => _plan.Current!;

    private HudFacts Facts => new(_host.DeviceName, _host.DeviceType.ToString(), _swap is null ? "offscreen" : _swap.PresentMode.ToString());

    private void CreateScreen(int width, int height)
    {
        _screen.Replace(null);
        _hud.Rebind(_screen.Replace(_demo.Image(width, height))!);
    }

    /// <summary>Builds the view again for the current settings and canvas size (after the device is idle).</summary>
    private void Rebuild()
    {
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        _plan.Replace(null);
        var (w, h) = _resolution.Canvas(Screen.Width, Screen.Height);
        var s = _settings;
        // A view owns what it made once built; the list holds it while the constructor runs, to undo a failure.
        var owned = new List<IDisposable>();
        try
        {
            _plan.Replace(s.View switch
            {
                1 => new UpsamplersView(_demo, owned, _library, w, h, s.Scale, s.RandomInit),
                2 => new DownsamplingView(_demo, owned, w, h, s.Scale, s.Filter, FramesInFlight),
                _ => new WipeView(_demo, owned, _library, w, h, s.Scale, s.RandomInit, s.WipeLeft, s.WipeRight),
            });
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--)
            {
                owned[i].Dispose();
            }
            throw;
        }
        _planVersion++;
        _resolution.ViewRebuilt();
        _statistics.ViewRebuilt();
    }

    public DemoSummary Loop()
    {
        var clock = Stopwatch.StartNew();
        double last = 0, time = 0;
        int frame = 0;
        Rebuild();
        while (true)
        {
            if (_window is not null)
            {
                _window.PollEvents();
                if (_window.ShouldClose)
                {
                    break;
                }
                var (fbw, fbh) = _window.FramebufferSize;
                if (fbw == 0 || fbh == 0 || _window.IsMinimised)
                {
                    // Minimised: nothing to present until the window comes back.
                    DemoWindow.WaitEvents(0.1);
                    last = clock.Elapsed.TotalSeconds;
                    continue;
                }
                if ((fbw, fbh) != _framebuffer)
                {
                    RecreateSwapchain(fbw, fbh);
                }
            }
            if (_o.Frames is { } limit && frame >= limit)
            {
                break;
            }
            var keys = DemoControls.Apply(_settings, _resolution, Screen.Width, _window is not null);
            if (keys.Quit)
            {
                break;
            }
            if (keys.WindowSize is { } size)
            {
                _window!.Resize(size.Width, size.Height);
            }
            if (keys.Rebuild)
            {
                Rebuild();
            }

            var f = _frames[frame % FramesInFlight];
            f.Fence.Wait();
            Collect(f);

            uint imageIndex = 0;
            if (_swap is not null && !_swap.Acquire(f.ImageAvailable, out imageIndex))
            {
                RecreateSwapchain(_framebuffer.Width, _framebuffer.Height);
                continue;
            }
            f.Fence.Reset();

            double now = clock.Elapsed.TotalSeconds;
            double dt = now - last;
            last = now;
            if (_o.Frames is not null)
            {
                time = frame / 30.0;
            }
            else if (!_settings.Paused || keys.Step)
            {
                time += keys.Step ? 1 / 30.0 : dt;
            }

            var plan = Plan;
            var boxes = HudText.Boxes(plan, Screen.Width, Screen.Height, _settings, _resolution, _statistics, Facts);
            _recorder.Record(f, imageIndex, plan, Screen, new FrameInput((float)time, CursorOnCanvas(plan), f.Index), boxes);
            _recorder.Submit(f, imageIndex);
            f.Submitted = true;
            f.PlanVersion = _planVersion;
            if (_swap is not null && !_swap.Present(imageIndex))
            {
                var (pw, ph) = _window!.FramebufferSize;
                RecreateSwapchain(pw, ph);
            }
            if (frame == 0 && _swap is not null)
            {
                _log.WriteLine($"window open: {_swap.Width}x{_swap.Height} on {_host.DeviceName} ({_swap.PresentMode}); H for help, Esc to quit");
            }
            if (keys.Screenshot)
            {
                string name = Screenshot.NameFor(frame);
                try
                {
                    SaveScreenshot(name);
                    _log.WriteLine($"screenshot: {name}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.WriteLine($"screenshot failed: {e.Message}");
                }
            }
            frame++;
            if (frame > 1)
            {
                _statistics.FrameDone(dt);
            }
            if (_resolution.FrameDone(dt))
            {
                Rebuild();
            }
        }
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        double seconds = clock.Elapsed.TotalSeconds;
        for (int i = 0; i < FramesInFlight; i++)
        {
            // The frames still in flight at the end, oldest first.
            Collect(_frames[(frame + i) % FramesInFlight]);
        }
        if (_o.Screenshot is not null)
        {
            SaveScreenshot(_o.Screenshot);
        }
        return Summarize(frame, seconds);
    }

    /// <summary>Reads the GPU times and view results of a completed frame, once, if it ran the current view.</summary>
    private void Collect(FrameSlot f)
    {
        if (!f.Submitted || f.PlanVersion != _planVersion)
        {
            return;
        }
        f.Submitted = false;
        _statistics.GpuDone(f.Groups, f.Timer.Read());
        Plan.ReadResults(f.Index);
    }

    private void RecreateSwapchain(int width, int height)
    {
        _framebuffer = (width, height);
        if (width <= 0 || height <= 0)
        {
            return; // minimised: the loop waits for the window to come back, then recreates
        }
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        _swap!.Recreate(width, height);
        foreach (var f in _frames)
        {
            f.RenewImageAvailable();
        }
        CreateScreen(_swap.Width, _swap.Height);
        Rebuild();
    }

    private (int X, int Y)? CursorOnCanvas(ViewPlan plan) => _window?.CursorOn(plan.Canvas.Width, plan.Canvas.Height);

    private void SaveScreenshot(string path)
    {
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        Screenshot.Save(Screen, path);
    }

    private DemoSummary Summarize(int frames, double seconds)
    {
        var plan = Plan;
        var screen = Screen;
        double sx = screen.Width / (double)plan.Canvas.Width, sy = screen.Height / (double)plan.Canvas.Height;
        var panels = plan.Panels.Select(p => new DemoPanel(p.Label, (int)Math.Round(p.X * sx), (int)Math.Round(p.Y * sy),
            (int)Math.Round(p.Width * sx), (int)Math.Round(p.Height * sy))).ToList();
        double median = _statistics.MedianFrameMs();
        var messages = _host.Validation?.Messages.Select(m => m.ToString()).ToList() ?? new List<string>();
        var facts = Facts;
        return new DemoSummary(facts.Device, facts.DeviceType, facts.Presentation,
            frames, seconds, median, median > 0 ? 1000 / median : 0, (screen.Width, screen.Height),
            (plan.Canvas.Width, plan.Canvas.Height), _resolution.RenderScale, _resolution.Automatic, plan.Internal, plan.Output,
            _settings.View, _settings.Scale, _settings.Weights, _settings.Filter, panels, _statistics.MeanGpuMs(),
            plan is DownsamplingView d ? d.ShiftConsistency.ToArray() : null, messages,
            _o.Screenshot is null ? null : Path.GetFullPath(_o.Screenshot));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_host is not null && _host.Device.Handle != 0)
        {
            // Teardown goes on whatever this returns: a lost device still has objects to destroy.
            _host.Vk.DeviceWaitIdle(_host.Device);
        }
        _owned.Dispose();
    }
}
