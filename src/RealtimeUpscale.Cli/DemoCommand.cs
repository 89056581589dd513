using System.CommandLine;
using System.Text.Json;
using RealtimeUpscale.Demo;
using RealtimeUpscale.Imaging;

namespace RealtimeUpscale.Cli;

/// <summary><c>rtup demo</c>: the live side-by-side artifact demo (demo/), in a window or offscreen.</summary>
internal static class DemoCommand
{
    public static Command Create(Option<string?> device, Option<bool> validate, Option<bool> json)
    {
        var frames = new Option<int?>("--frames") { Description = "Render this many frames, then exit (animation advances 1/30 s a frame)" };
        var screenshot = new Option<string?>("--screenshot") { Description = "Save the last frame to this PNG file" };
        var view = new Option<int>("--view") { Description = "1 upsamplers, 2 downsampling, 3 wipe and loupe", DefaultValueFactory = _ => 1 };
        var offscreen = new Option<bool>("--offscreen") { Description = "No window (no display needed); needs --frames" };
        var image = new Option<string?>("--image") { Description = "Photograph to pan over (default: samples/sample.png)" };
        var init = new Option<bool>("--init") { Description = "Start with the learned panels at random initialisation" };
        var scale = new Option<int>("--scale") { Description = "Factor 2, 3 or 4", DefaultValueFactory = _ => 2 };
        var filter = new Option<int>("--filter") { Description = "Blur-before-downsample filter size 1..7 (view 2)", DefaultValueFactory = _ => 3 };
        var size = new Option<string>("--size") { Description = "Window size WxH", DefaultValueFactory = _ => "1280x720" };
        var renderScale = new Option<double?>("--render-scale") { Description = "Fixed internal resolution as a fraction of the window (default: automatic)" };
        var targetFps = new Option<double?>("--target-fps") { Description = "Frame rate the automatic resolution holds (default 60 on GPUs, 20 on CPU devices)" };
        var noHud = new Option<bool>("--no-hud") { Description = "Hide the HUD (panel labels stay)" };
        var vsync = new Option<bool>("--vsync") { Description = "Present with vertical sync (FIFO)" };
        var wipe = new Option<string>("--wipe") { Description = "View 3's methods LEFT,RIGHT (reference, nearest, bicubic, deconv, subpixel, resizeconv)", DefaultValueFactory = _ => "bicubic,subpixel" };
        var command = new Command("demo", "Live side-by-side comparison of upsamplers and downsamplers (checkerboard, aliasing)")
        {
            frames, screenshot, view, offscreen, image, init, scale, filter, size, renderScale, targetFps, noHud, vsync, wipe,
        };
        command.SetAction(r => CliErrors.Guard(r.GetValue(json), () =>
        {
            var (w, h) = ImageSize.Parse(r.GetValue(size)!);
            var pair = r.GetValue(wipe)!.Split(',', StringSplitOptions.TrimEntries);
            if (pair.Length != 2)
            {
                throw new ArgumentException($"--wipe {r.GetValue(wipe)}: expected two methods, LEFT,RIGHT.");
            }
            var options = new DemoOptions
            {
                Device = r.GetValue(device), Validate = r.GetValue(validate), Width = w, Height = h,
                Frames = r.GetValue(frames), Screenshot = r.GetValue(screenshot), View = r.GetValue(view),
                Offscreen = r.GetValue(offscreen), Image = r.GetValue(image), RandomInit = r.GetValue(init),
                Scale = r.GetValue(scale), Filter = r.GetValue(filter), RenderScale = r.GetValue(renderScale),
                TargetFps = r.GetValue(targetFps), Hud = !r.GetValue(noHud), Vsync = r.GetValue(vsync), Wipe = (pair[0], pair[1]),
                ModelDirectory = Path.Combine(AppContext.BaseDirectory, "models"),
                DefaultImage = Path.Combine(AppContext.BaseDirectory, "samples", "sample.png"),
            };
            // With --json, stdout carries only the summary object.
            var summary = DemoApp.Run(options, r.GetValue(json) ? Console.Error : Console.Out);
            Print(summary, r.GetValue(json));
            if (summary.ValidationMessages.Count > 0)
            {
                foreach (var m in summary.ValidationMessages)
                {
                    Console.Error.WriteLine($"validation: {m}");
                }
                return CliErrors.Failed;
            }
            return 0;
        }));
        return command;
    }

    private static void Print(DemoSummary s, bool json)
    {
        if (json)
        {
            var o = new Dictionary<string, object?>
            {
                ["device"] = s.Device, ["device_type"] = s.DeviceType, ["presentation"] = s.Presentation,
                ["frames"] = s.Frames, ["seconds"] = Math.Round(s.Seconds, 3), ["median_frame_ms"] = Math.Round(s.MedianFrameMs, 2),
                ["fps"] = Math.Round(s.Fps, 2), ["window"] = new[] { s.Window.Width, s.Window.Height },
                ["canvas"] = new[] { s.Canvas.Width, s.Canvas.Height }, ["render_scale"] = Math.Round(s.RenderScale, 3),
                ["automatic_resolution"] = s.AutomaticResolution,
                ["internal"] = new[] { s.Internal.Width, s.Internal.Height }, ["output"] = new[] { s.Output.Width, s.Output.Height },
                ["view"] = s.View, ["scale"] = s.Scale, ["weights"] = s.Weights, ["filter"] = s.Filter,
                ["panels"] = s.Panels.Select(p => new Dictionary<string, object> { ["label"] = p.Label, ["x"] = p.X, ["y"] = p.Y, ["width"] = p.Width, ["height"] = p.Height }),
                ["gpu_ms"] = s.GpuMs.ToDictionary(g => g.Pass, g => Math.Round(g.Ms, 3)),
                ["shift_consistency_db"] = s.ShiftConsistencyDb?.Select(v => Math.Round(v, 2)),
                ["validation_messages"] = s.ValidationMessages.Count, ["screenshot"] = s.Screenshot,
            };
            Console.WriteLine(JsonSerializer.Serialize(o));
            return;
        }
        Console.WriteLine($"{s.Frames} frames in {s.Seconds:F1} s on {s.Device} ({s.Presentation}): median {s.MedianFrameMs:F1} ms a frame " +
            $"({s.Fps:F1} fps); view {s.View}, x{s.Scale}, internal {s.Internal.Width}x{s.Internal.Height} -> output {s.Output.Width}x{s.Output.Height}, " +
            $"canvas {s.Canvas.Width}x{s.Canvas.Height} of window {s.Window.Width}x{s.Window.Height}");
        if (s.GpuMs.Count > 0)
        {
            Console.WriteLine("GPU ms per pass: " + string.Join(", ", s.GpuMs.Select(g => $"{g.Pass} {g.Ms:F2}")));
        }
        if (s.ShiftConsistencyDb is { } sc)
        {
            Console.WriteLine($"shift consistency: naive {sc[0]:F2} dB, blur-before-downsample {sc[1]:F2} dB");
        }
        if (s.Screenshot is not null)
        {
            Console.WriteLine($"screenshot: {s.Screenshot}");
        }
    }
}
