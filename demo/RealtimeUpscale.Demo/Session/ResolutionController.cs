namespace RealtimeUpscale.Demo;

/// <summary>
/// The internal resolution, as a fraction of the window (the render scale): fixed, or chosen automatically to
/// hold a target frame rate. Once a second, from the median frame time since the last change, it shrinks the
/// canvas when the frame rate is under the target and grows it (more slowly) when well above.
/// </summary>
internal sealed class ResolutionController
{
    private readonly List<double> _windowMs = new();
    private int _framesSinceRebuild;
    private double _sinceChange;

    /// <param name="fixedScale">A fixed render scale, or null for automatic (starting at 1).</param>
    /// <param name="targetFps">The frame rate the automatic resolution holds.</param>
    public ResolutionController(double? fixedScale, double targetFps)
    {
        Automatic = fixedScale is null;
        RenderScale = fixedScale ?? 1.0;
        TargetFps = targetFps;
    }

    public bool Automatic { get; private set; }
    public double RenderScale { get; private set; }
    public double TargetFps { get; }

    /// <summary>The canvas size for a screen of <paramref name="width"/> x <paramref name="height"/>: at least 64 a side.</summary>
    public (int Width, int Height) Canvas(int width, int height) =>
        (Math.Max(64, (int)Math.Round(width * RenderScale)), Math.Max(64, (int)Math.Round(height * RenderScale)));

    /// <summary>R: automatic on or off; off returns to the full resolution. Returns whether the view must be rebuilt.</summary>
    public bool ToggleAutomatic()
    {
        Automatic = !Automatic;
        if (Automatic)
        {
            return false;
        }
        RenderScale = 1;
        return true;
    }

    /// <summary>The view was built again: frame times measured before do not describe it.</summary>
    public void ViewRebuilt()
    {
        _framesSinceRebuild = 0;
        _windowMs.Clear();
    }

    /// <summary>
    /// Takes the time of a frame (the first three after a rebuild are not measured: pipelines are still warming);
    /// returns true when the render scale changed and the view must be rebuilt.
    /// </summary>
    public bool FrameDone(double seconds)
    {
        _framesSinceRebuild++;
        if (_framesSinceRebuild > 3)
        {
            _windowMs.Add(seconds * 1000);
        }
        _sinceChange += seconds;
        if (!Automatic || _windowMs.Count < 3 || _windowMs.Sum() < 1000)
        {
            return false;
        }
        var sorted = _windowMs.OrderBy(x => x).ToArray();
        double fps = 1000 / sorted[sorted.Length / 2];
        double next = RenderScale;
        if (fps < TargetFps * 0.95 && RenderScale > 0.1)
        {
            next = Math.Max(0.1, RenderScale * Math.Clamp(Math.Sqrt(fps / TargetFps), 0.5, 0.92));
        }
        else if (fps > TargetFps * 1.5 && RenderScale < 1 && _sinceChange > 3)
        {
            next = Math.Min(1, RenderScale * 1.1);
        }
        _windowMs.Clear();
        if (Math.Abs(next - RenderScale) <= 1e-6)
        {
            return false;
        }
        RenderScale = next;
        _sinceChange = 0;
        return true;
    }
}
