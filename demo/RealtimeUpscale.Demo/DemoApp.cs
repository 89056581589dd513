namespace RealtimeUpscale.Demo;

/// <summary>What a demo run did, for the CLI's summary and <c>--json</c>.</summary>
public sealed record DemoSummary(
    string Device, string DeviceType, string Presentation, int Frames, double Seconds, double MedianFrameMs,
    double Fps, (int Width, int Height) Window, (int Width, int Height) Canvas, double RenderScale, bool AutomaticResolution,
    (int Width, int Height) Internal, (int Width, int Height) Output, int View, int Scale, string Weights, int Filter,
    IReadOnlyList<DemoPanel> Panels, IReadOnlyList<(string Pass, double Ms)> GpuMs, double[]? ShiftConsistencyDb,
    IReadOnlyList<string> ValidationMessages, string? Screenshot);

/// <summary>A panel of the last frame: its label and where it is in the window (screenshot pixels).</summary>
public sealed record DemoPanel(string Label, int X, int Y, int Width, int Height);

/// <summary>
/// The live demo: a render loop that draws an animated scene at low resolution with a compute shader,
/// upscales it with the library's engine call (<see cref="RealtimeUpscale.Upscaling.Upscaler.Record"/>) on
/// the demo's own device, and presents, as a game would. Also runs without a window (offscreen).
/// </summary>
public static class DemoApp
{
    /// <summary>Runs the demo until the window closes, Esc, or <see cref="DemoOptions.Frames"/>.</summary>
    public static DemoSummary Run(DemoOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        using var session = new DemoSession(options, log);
        return session.Loop();
    }
}
