using RealtimeUpscale.Imaging;

namespace RealtimeUpscale.Demo;

/// <summary>How <see cref="DemoApp.Run"/> runs: window or offscreen, view, models, resolution, frame count.</summary>
public sealed record DemoOptions
{
    /// <summary>The smallest window side, in pixels.</summary>
    public const int MinSide = 64;

    /// <summary>The largest window side, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Vulkan device by index or name substring; null takes the best (the CLI passes <c>RTUP_DEVICE</c> here).</summary>
    public string? Device { get; init; }

    /// <summary>Enables the validation layer; any message it reports makes the run fail.</summary>
    public bool Validate { get; init; }

    /// <summary>Window (or offscreen frame) width in pixels.</summary>
    public int Width { get; init; } = 1280;

    /// <summary>Window (or offscreen frame) height in pixels.</summary>
    public int Height { get; init; } = 720;

    /// <summary>Stop after this many frames (the animation clock then advances 1/30 s a frame).</summary>
    public int? Frames { get; init; }

    /// <summary>Save the last frame to this PNG file.</summary>
    public string? Screenshot { get; init; }

    /// <summary>First view: 1 upsamplers, 2 downsampling, 3 wipe and loupe.</summary>
    public int View { get; init; } = 1;

    /// <summary>Render without a window (no display needed); needs <see cref="Frames"/>.</summary>
    public bool Offscreen { get; init; }

    /// <summary>The photograph to pan over (default: <see cref="DefaultImage"/>).</summary>
    public string? Image { get; init; }

    /// <summary>The bundled picture used when <see cref="Image"/> is not given.</summary>
    public required string DefaultImage { get; init; }

    /// <summary>Folder of the bundled models (<c>{family}_x{s}.onnx</c>, and <c>init/</c> for random initialisation).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>Start with the learned panels at random initialisation instead of trained weights.</summary>
    public bool RandomInit { get; init; }

    /// <summary>Upscaling (view 1 and 3) and downsampling (view 2) factor: 2, 3 or 4.</summary>
    public int Scale { get; init; } = 2;

    /// <summary>Binomial filter size of the blur-before-downsample panel, 1 to 7.</summary>
    public int Filter { get; init; } = 3;

    /// <summary>A fixed internal resolution as a fraction of the window (0.1 to 1); null lets the demo choose.</summary>
    public double? RenderScale { get; init; }

    /// <summary>Frame rate the automatic resolution holds (default: 60 on GPUs, 20 on CPU devices).</summary>
    public double? TargetFps { get; init; }

    /// <summary>Show the HUD (frame rate, timings, resolution); panel labels are always shown.</summary>
    public bool Hud { get; init; } = true;

    /// <summary>The two methods of view 3, left and right: reference, nearest, bicubic, deconv, subpixel or resizeconv.</summary>
    public (string Left, string Right) Wipe { get; init; } = ("bicubic", "subpixel");

    /// <summary>Present with FIFO (vertical sync) instead of the fastest mode the surface offers.</summary>
    public bool Vsync { get; init; }

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Check()
    {
        new ImageSize(Width, Height).Check("--size", MinSide, MaxSide);
        if (Frames is <= 0)
        {
            throw new ArgumentException("--frames must be positive.");
        }
        if (Offscreen && Frames is null)
        {
            throw new ArgumentException("--offscreen needs --frames N (there is no window to close).");
        }
        if (View is < 1 or > 3)
        {
            throw new ArgumentException($"--view {View}: the views are 1 (upsamplers), 2 (downsampling) and 3 (wipe).");
        }
        if (Scale is < 2 or > 4)
        {
            throw new ArgumentException($"--scale {Scale}: the demo shows x2, x3 and x4.");
        }
        if (Filter is < 1 or > 7)
        {
            throw new ArgumentException($"--filter {Filter}: the binomial filter size is 1 to 7.");
        }
        if (RenderScale is not null && (RenderScale < 0.1 || RenderScale > 1))
        {
            throw new ArgumentException($"--render-scale {RenderScale}: a fraction of the window from 0.1 to 1.");
        }
        if (TargetFps is not null && (TargetFps < 1 || TargetFps > 1000))
        {
            throw new ArgumentException($"--target-fps {TargetFps}: 1 to 1000.");
        }
        foreach (var name in new[] { Wipe.Left, Wipe.Right })
        {
            if (!Enum.TryParse<Method>(name, ignoreCase: true, out _))
            {
                throw new ArgumentException($"--wipe {name}: the methods are reference, nearest, bicubic, deconv, subpixel and resizeconv.");
            }
        }
        if (Screenshot is not null && !Screenshot.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--screenshot {Screenshot}: screenshots are PNG files (*.png).");
        }
    }
}
