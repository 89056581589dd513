namespace RealtimeUpscale.Demo;

/// <summary>What the HUD says about the run besides the view: the device and how frames reach the screen.</summary>
internal sealed record HudFacts(string Device, string DeviceType, string Presentation);

/// <summary>
/// The text on the screen, as boxes for <see cref="HudRenderer"/>: each panel's label (and live figure), the HUD
/// (frame rate, device, resolutions, weights, GPU milliseconds per pass) and the key help.
/// </summary>
internal static class HudText
{
    /// <summary>The boxes for a <paramref name="screenWidth"/> x <paramref name="screenHeight"/> screen showing <paramref name="plan"/>.</summary>
    public static List<TextBox> Boxes(ViewPlan plan, int screenWidth, int screenHeight, DemoSettings settings,
        ResolutionController resolution, FrameStatistics statistics, HudFacts facts)
    {
        var boxes = new List<TextBox>();
        double sx = screenWidth / (double)plan.Canvas.Width, sy = screenHeight / (double)plan.Canvas.Height;
        int scale = HudRenderer.ScaleFor(screenHeight);
        foreach (var p in plan.Panels)
        {
            int x = (int)((p.AlignRight ? p.X + p.Width : p.X) * sx) + (p.AlignRight ? -4 : 4);
            // Labels stay inside their panel.
            int columns = Math.Max(4, (int)(p.Width * sx / (BitmapFont.CellWidth * scale)) - 3);
            string Fit(string text) => text.Length <= columns ? text : text[..(columns - 2)] + "..";
            var box = new TextBox(x, (int)(p.Y * sy) + 4, p.AlignRight) { Shade = 0.55f };
            box.Add(Fit(p.Label), p.Label.Contains("random init") ? Ink.Red : Ink.Yellow);
            if (p.Detail.Length > 0)
            {
                box.Add(Fit(p.Detail), p.Detail.Contains("dB") ? Ink.Green : Ink.Red);
            }
            boxes.Add(box);
        }
        if (settings.HudOn)
        {
            boxes.Add(Hud(plan, screenWidth, screenHeight, scale, settings, resolution, statistics, facts));
        }
        if (settings.Help)
        {
            boxes.Add(Help(screenWidth, screenHeight));
        }
        return boxes;
    }

    private static TextBox Hud(ViewPlan plan, int screenWidth, int screenHeight, int scale, DemoSettings settings,
        ResolutionController resolution, FrameStatistics statistics, HudFacts facts)
    {
        var hud = new TextBox(4, 0);
        double fps = statistics.RecentFps();
        double target = resolution.TargetFps;
        hud.Add($"RealtimeUpscale demo - {plan.Title}   [H] help", Ink.Cyan);
        hud.Add($"device: {facts.Device} ({facts.DeviceType}), {facts.Presentation}", Ink.White);
        hud.Add($"{fps:F1} fps, {(fps > 0 ? 1000 / fps : 0):F1} ms a frame{(settings.Paused ? ", paused" : "")}", fps >= target ? Ink.Green : Ink.Yellow);
        hud.Add($"internal {plan.Internal.Width}x{plan.Internal.Height} -> output {plan.Output.Width}x{plan.Output.Height}" +
            $" (canvas {plan.Canvas.Width}x{plan.Canvas.Height}, {resolution.RenderScale * 100:F0}% of {screenWidth}x{screenHeight}, " +
            (resolution.Automatic ? $"automatic for {target:F0} fps)" : "fixed)"), Ink.White);
        hud.Add($"weights: {settings.Weights}   scale x{settings.Scale}   filter {settings.Filter}", settings.RandomInit ? Ink.Red : Ink.White);
        var line = "GPU ms:";
        foreach (var (name, ms) in statistics.LatestGpuMs)
        {
            string item = $" {name} {ms:F2}";
            if (line.Length + item.Length > 90)
            {
                hud.Add(line, Ink.Grey);
                line = "       ";
            }
            line += item;
        }
        hud.Add(line + $"  (total {statistics.LatestGpuMs.Sum(g => g.Ms):F1})", Ink.Grey);
        // Bottom-left, above the panel labels of the lower row.
        int height = (hud.Lines.Count * BitmapFont.CellHeight + 6) * scale;
        return new TextBox(4, screenHeight - height - 4) { Shade = 0.7f }.AddAll(hud);
    }

    private static TextBox Help(int screenWidth, int screenHeight) =>
        new TextBox(screenWidth - 4, (int)(screenHeight * 0.3), alignRight: true) { Shade = 0.8f }
            .Add("keys", Ink.Cyan)
            .Add("1 2 3   view: upsamplers / downsampling / wipe")
            .Add("I or M  trained weights <-> random initialisation")
            .Add("S       scale x2 -> x3 -> x4")
            .Add("F       blur filter size 1..7 (view 2)")
            .Add("A  B    method left / right of the wipe (view 3)")
            .Add("mouse   wipe position and loupe (view 3)")
            .Add("P space pause      N .  step one frame")
            .Add("R       automatic resolution on / off")
            .Add("Tab     HUD        F12  screenshot")
            .Add("W       window size 960x540 / 1280x720 / 1920x1080")
            .Add("H F1    this help  Esc  quit");
}
