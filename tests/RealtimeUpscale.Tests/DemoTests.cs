using System.Diagnostics;
using System.Text.Json;
using RealtimeUpscale.Demo;
using RealtimeUpscale.Imaging;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The live demo, headless: offscreen in-process and in a real GLFW window on an Xvfb display. The
/// pictures are checked for what the panels must show: at random initialisation the deconvolution panel
/// carries a stride-periodic (checkerboard) pattern that the resize-convolution panel does not; blur
/// before downsampling is more shift-consistent than naive subsampling; and the validation layer stays silent.
/// </summary>
public sealed partial class DemoTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-demo-" + Guid.NewGuid().ToString("N"));

    public DemoTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DemoOptions Options(string screenshot) => new()
    {
        Offscreen = true, Frames = 2, Validate = true, RenderScale = 1, Hud = false, Width = 390, Height = 260,
        Screenshot = screenshot, ModelDirectory = Path.Combine(AppContext.BaseDirectory, "models"),
        DefaultImage = Path.Combine(AppContext.BaseDirectory, "samples", "sample.png"),
    };

    /// <summary>
    /// Energy of the stride-periodic part of a panel: the variance, over the s x s output phases, of the
    /// mean grey level at each phase (what repeats every s pixels: a checkerboard). Nearest upsampling and
    /// any shift-invariant filter after it leave the phase means equal; a transposed convolution whose
    /// phases use different kernel taps does not. The top rows (under the label) are skipped.
    /// </summary>
    private static double PeriodicEnergy(HostImage image, int x0, int y0, int width, int height, int s)
    {
        int skip = (28 + s - 1) / s * s;
        var sums = new double[s, s];
        var counts = new int[s, s];
        var px = image.Pixels;
        for (int y = y0 + skip; y < y0 + height - height % s; y++)
        {
            for (int x = x0; x < x0 + width - width % s; x++)
            {
                int i = (y * image.Width + x) * image.Channels;
                sums[(y - y0) % s, (x - x0) % s] += (px[i] + px[i + 1] + px[i + 2]) / 3.0;
                counts[(y - y0) % s, (x - x0) % s]++;
            }
        }
        double mean = 0;
        for (int a = 0; a < s; a++)
        {
            for (int b = 0; b < s; b++)
            {
                mean += sums[a, b] / counts[a, b] / (s * s);
            }
        }
        double energy = 0;
        for (int a = 0; a < s; a++)
        {
            for (int b = 0; b < s; b++)
            {
                double d = sums[a, b] / counts[a, b] - mean;
                energy += d * d / (s * s);
            }
        }
        return energy;
    }

    private static double MeanAbsoluteDifference(HostImage image, DemoPanel a, DemoPanel b)
    {
        double sum = 0;
        int n = 0;
        for (int y = 28; y < Math.Min(a.Height, b.Height); y++)
        {
            for (int x = 0; x < Math.Min(a.Width, b.Width); x++)
            {
                int i = ((a.Y + y) * image.Width + a.X + x) * image.Channels, j = ((b.Y + y) * image.Width + b.X + x) * image.Channels;
                for (int c = 0; c < 3; c++)
                {
                    sum += Math.Abs(image.Pixels[i + c] - image.Pixels[j + c]);
                    n++;
                }
            }
        }
        return sum / n;
    }

    /// <summary>The panel checks shared by the offscreen and the windowed runs (view 1, x2, random initialisation).</summary>
    private static void CheckUpsamplerPanels(HostImage shot, IReadOnlyList<DemoPanel> panels)
    {
        Assert.Equal(6, panels.Count);
        DemoPanel Find(string start) => panels.Single(p => p.Label.StartsWith(start, StringComparison.Ordinal));
        var reference = Find("reference");
        var nearest = Find("nearest");
        var bicubic = Find("bicubic");
        var deconv = Find("deconv x2 random init");
        var resize = Find("resize-conv x2 random init");
        double deconvEnergy = PeriodicEnergy(shot, deconv.X, deconv.Y, deconv.Width, deconv.Height, 2);
        double resizeEnergy = PeriodicEnergy(shot, resize.X, resize.Y, resize.Width, resize.Height, 2);
        double nearestEnergy = PeriodicEnergy(shot, nearest.X, nearest.Y, nearest.Width, nearest.Height, 2);
        // Odena et al.'s point, on the screen: untrained deconvolution already has a checkerboard.
        Assert.True(deconvEnergy > 10 * resizeEnergy + 0.5,
            $"deconv at init: periodic energy {deconvEnergy:F3}, resize-conv {resizeEnergy:F3}");
        Assert.True(nearestEnergy < 0.05, $"nearest upsampling has no periodic pattern, measured {nearestEnergy:F4}");
        // The panels show different methods, not copies of one picture.
        Assert.True(MeanAbsoluteDifference(shot, nearest, bicubic) > 1, "nearest and bicubic panels are the same");
        Assert.True(MeanAbsoluteDifference(shot, reference, nearest) > 1, "reference and nearest panels are the same");
    }

    [Fact]
    public void OffscreenUpsamplersViewShowsTheCheckerboardOfUntrainedDeconvolution()
    {
        string shot = Path.Combine(_dir, "view1.png");
        var summary = DemoApp.Run(Options(shot) with { RandomInit = true }, TextWriter.Null);
        Assert.Empty(summary.ValidationMessages);
        Assert.Equal("offscreen", summary.Presentation);
        Assert.Equal(2, summary.Frames);
        Assert.Equal((390, 260), summary.Canvas);
        Assert.Equal((65, 65), summary.Internal);
        Assert.Equal((130, 130), summary.Output);
        Assert.Contains(summary.GpuMs, g => g.Pass == "deconv" && g.Ms > 0);
        CheckUpsamplerPanels(ImageFile.Load(shot), summary.Panels);
    }

    [Fact]
    public void OffscreenDownsamplingViewBlurBeforeDownsampleIsMoreShiftConsistent()
    {
        string shot = Path.Combine(_dir, "view2.png");
        var summary = DemoApp.Run(Options(shot) with { View = 2, Filter = 5 }, TextWriter.Null);
        Assert.Empty(summary.ValidationMessages);
        Assert.Equal((195, 260), summary.Output);
        Assert.Equal((390, 520), summary.Internal);
        var sc = summary.ShiftConsistencyDb!;
        // Zhang 2019: the naive subsample aliases, so a one-pixel move of the scene changes it more.
        Assert.True(sc[1] > sc[0] + 3, $"shift consistency: naive {sc[0]:F2} dB, blurred {sc[1]:F2} dB");
        Assert.True(File.Exists(shot));
    }

    [Fact]
    public void OffscreenWipeViewRunsTwoMethodsWithTheLoupe()
    {
        string shot = Path.Combine(_dir, "view3.png");
        var summary = DemoApp.Run(Options(shot) with { View = 3, Scale = 3 }, TextWriter.Null);
        Assert.Empty(summary.ValidationMessages);
        Assert.Equal((390, 258), summary.Output);
        Assert.Equal(2, summary.Panels.Count);
        Assert.Contains(summary.GpuMs, g => g.Pass == "wipe");
        var image = ImageFile.Load(shot);
        // The loupe ring is drawn white around the centre of the canvas (no cursor offscreen).
        int ring = 0;
        for (int x = 0; x < image.Width; x++)
        {
            int i = (image.Height / 2 * image.Width + x) * image.Channels;
            ring += image.Pixels[i] == 255 && image.Pixels[i + 1] == 255 && image.Pixels[i + 2] == 255 ? 1 : 0;
        }
        Assert.True(ring >= 2, "no loupe ring on the middle row");
    }

    [Fact]
    public void OptionsAreCheckedWithClearMessages()
    {
        var o = Options("x.png");
        Assert.Contains("--frames", Assert.Throws<ArgumentException>(() => (o with { Frames = null }).Check()).Message);
        Assert.Contains("--scale", Assert.Throws<ArgumentException>(() => (o with { Scale = 5 }).Check()).Message);
        Assert.Contains("--filter", Assert.Throws<ArgumentException>(() => (o with { Filter = 0 }).Check()).Message);
        Assert.Contains("--view", Assert.Throws<ArgumentException>(() => (o with { View = 4 }).Check()).Message);
        Assert.Contains("PNG", Assert.Throws<ArgumentException>(() => (o with { Screenshot = "x.jpg" }).Check()).Message);
    }

    [Fact]
    public void FontPacksEachGlyphRowIntoOneByte()
    {
        var words = BitmapFont.Pack();
        uint a = BitmapFont.GlyphOf('a');
        Assert.Equal(BitmapFont.GlyphOf('A'), a);
        // 'A' row 3 is "#####": bits 0-4 of byte 3 of the glyph's first word; row 0 is ".###.".
        Assert.Equal(0x1Fu, (words[a * 2] >> 24) & 0xFF);
        Assert.Equal(0x0Eu, words[a * 2] & 0xFF);
        Assert.Equal((uint)('?' - 32), BitmapFont.GlyphOf('~'));
    }

    /// <summary>
    /// The CI smoke test: the real command in a GLFW window on an Xvfb display this test starts, with the
    /// validation layer on; the saved frame is checked like the offscreen one.
    /// </summary>
    [Fact]
    public async Task WindowUnderXvfbRendersPresentsAndExitsCleanly()
    {
        using var display = XvfbDisplay.Start();
        string shot = Path.Combine(_dir, "window.png");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rtup.dll"), "demo", "--frames", "3", "--screenshot", shot,
                     "--size", "390x260", "--render-scale", "1", "--init", "--no-hud", "--validate", "--json" })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DISPLAY"] = display.Name;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout, errors = await stderr;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {errors} {output}");
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        Assert.Equal(0, root.GetProperty("validation_messages").GetInt32());
        Assert.NotEqual("offscreen", root.GetProperty("presentation").GetString());
        Assert.Equal(3, root.GetProperty("frames").GetInt32());
        var panels = root.GetProperty("panels").EnumerateArray().Select(p => new DemoPanel(
            p.GetProperty("label").GetString()!, p.GetProperty("x").GetInt32(), p.GetProperty("y").GetInt32(),
            p.GetProperty("width").GetInt32(), p.GetProperty("height").GetInt32())).ToList();
        CheckUpsamplerPanels(ImageFile.Load(shot), panels);
    }

    /// <summary>
    /// Keys reach the window: with the demo running (no frame limit), XTEST presses 2 (downsampling view),
    /// S (scale x3), F (filter 3 -> 4), W (window 320x200 -> 960x540: swapchain, frame and view recreated), then
    /// Esc, which must end the run cleanly with the validation layer silent.
    /// </summary>
    [Fact]
    public async Task WindowKeysSwitchViewScaleFilterAndSizeAndEscapeQuits()
    {
        using var display = XvfbDisplay.Start();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rtup.dll"), "demo", "--size", "320x200",
                     "--render-scale", "1", "--validate", "--json" })
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DISPLAY"] = display.Name;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // The demo says on stderr when its first frame is on screen.
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("window open", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line);
        var stderr = process.StandardError.ReadToEndAsync();
        using (var keyboard = new XTestKeyboard(display.Name))
        {
            keyboard.MovePointer(100, 100);
            foreach (uint key in new uint[] { '2', 's', 'f', 'w' })
            {
                keyboard.Press(key);
                await Task.Delay(300);
            }
            await Task.Delay(1500);
            keyboard.Press(0xff1b); // Escape
        }
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout, errors = await stderr;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {errors} {output}");
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("view").GetInt32());
        Assert.Equal(3, root.GetProperty("scale").GetInt32());
        Assert.Equal(4, root.GetProperty("filter").GetInt32());
        Assert.Equal(new[] { 960, 540 }, root.GetProperty("window").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(0, root.GetProperty("validation_messages").GetInt32());
        Assert.True(root.GetProperty("frames").GetInt32() >= 2);
    }

    /// <summary>Fake key presses and pointer motion through XTEST on its own X connection.</summary>
    private sealed partial class XTestKeyboard : IDisposable
    {
        private readonly nint _display;

        public XTestKeyboard(string name)
        {
            _display = XOpenDisplay(name);
            Assert.True(_display != 0, $"cannot connect to X display {name}");
        }

        public void MovePointer(int x, int y)
        {
            XTestFakeMotionEvent(_display, -1, x, y, 0);
            XFlush(_display);
        }

        public void Press(uint keysym)
        {
            byte code = XKeysymToKeycode(_display, keysym);
            Assert.True(code != 0, $"no keycode for keysym 0x{keysym:X}");
            XTestFakeKeyEvent(_display, code, 1, 0);
            XTestFakeKeyEvent(_display, code, 0, 0);
            XFlush(_display);
        }

        public void Dispose() => XCloseDisplay(_display);

        [System.Runtime.InteropServices.LibraryImport("libX11.so.6", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        private static partial nint XOpenDisplay(string name);

        [System.Runtime.InteropServices.LibraryImport("libX11.so.6")]
        private static partial int XCloseDisplay(nint display);

        [System.Runtime.InteropServices.LibraryImport("libX11.so.6")]
        private static partial int XFlush(nint display);

        [System.Runtime.InteropServices.LibraryImport("libX11.so.6")]
        private static partial byte XKeysymToKeycode(nint display, nuint keysym);

        [System.Runtime.InteropServices.LibraryImport("libXtst.so.6")]
        private static partial int XTestFakeKeyEvent(nint display, uint keycode, int isPress, nuint delay);

        [System.Runtime.InteropServices.LibraryImport("libXtst.so.6")]
        private static partial int XTestFakeMotionEvent(nint display, int screen, int x, int y, nuint delay);
    }

    /// <summary>An Xvfb server on a free display number, killed on dispose.</summary>
    private sealed class XvfbDisplay : IDisposable
    {
        private readonly Process _process;

        private XvfbDisplay(Process process, string name)
        {
            _process = process;
            Name = name;
        }

        public string Name { get; }

        public static XvfbDisplay Start()
        {
            for (int n = 90; n < 140; n++)
            {
                if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
                {
                    continue;
                }
                Process process;
                try
                {
                    process = Process.Start(new ProcessStartInfo("Xvfb", $":{n} -screen 0 1024x768x24 -nolisten tcp")
                    {
                        RedirectStandardError = true, RedirectStandardOutput = true,
                    })!;
                }
                catch (System.ComponentModel.Win32Exception e)
                {
                    throw new InvalidOperationException("Xvfb is not installed (scripts/test.sh installs the xvfb package).", e);
                }
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromSeconds(15) && !process.HasExited)
                {
                    if (File.Exists($"/tmp/.X11-unix/X{n}"))
                    {
                        return new XvfbDisplay(process, $":{n}");
                    }
                    Thread.Sleep(50);
                }
                if (!process.HasExited)
                {
                    process.Kill();
                }
                process.Dispose();
            }
            throw new InvalidOperationException("Could not start Xvfb on any display from :90 to :139.");
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
            _process.Dispose();
            // Kill is SIGKILL, after which Xvfb cannot remove its lock file and socket; left behind, they
            // would keep this display number taken for every later run until none of the fifty is free.
            string number = Name.TrimStart(':');
            File.Delete($"/tmp/.X{number}-lock");
            File.Delete($"/tmp/.X11-unix/X{number}");
        }
    }
}
