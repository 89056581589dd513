namespace RealtimeUpscale.Demo;

/// <summary>What the keys change: the view and what it shows, pause, help and HUD.</summary>
internal sealed class DemoSettings
{
    public DemoSettings(DemoOptions o)
    {
        View = o.View;
        Scale = o.Scale;
        Filter = o.Filter;
        RandomInit = o.RandomInit;
        HudOn = o.Hud;
        WipeLeft = Enum.Parse<Method>(o.Wipe.Left, ignoreCase: true);
        WipeRight = Enum.Parse<Method>(o.Wipe.Right, ignoreCase: true);
    }

    public int View { get; set; }
    public int Scale { get; set; }
    public int Filter { get; set; }
    public bool RandomInit { get; set; }
    public bool Paused { get; set; }
    public bool Help { get; set; }
    public bool HudOn { get; set; }
    public Method WipeLeft { get; set; }
    public Method WipeRight { get; set; }

    /// <summary>The weights' name for the HUD and the summary.</summary>
    public string Weights => RandomInit ? "random init" : "trained";
}

/// <summary>What the key presses of one frame ask the session to do.</summary>
/// <param name="Quit">Esc: end the run (keys after it wait).</param>
/// <param name="Rebuild">The view must be built again (view, weights, scale, filter, wipe methods, fixed resolution).</param>
/// <param name="Screenshot">F12: save this frame.</param>
/// <param name="Step">N or '.': advance the paused animation one frame.</param>
/// <param name="WindowSize">W: the window size to switch to.</param>
internal readonly record struct KeyActions(bool Quit, bool Rebuild, bool Screenshot, bool Step, (int Width, int Height)? WindowSize);

/// <summary>The demo's key bindings (listed in the help box of <see cref="HudText"/>).</summary>
internal static class DemoControls
{
    private static readonly (int Width, int Height)[] WindowSizes = { (960, 540), (1280, 720), (1920, 1080) };

    /// <summary>
    /// Applies the queued key presses to <paramref name="settings"/> and <paramref name="resolution"/>;
    /// <paramref name="screenWidth"/> picks the next window size, which only a window (<paramref name="windowed"/>) has.
    /// </summary>
    public static KeyActions Apply(DemoSettings settings, ResolutionController resolution, int screenWidth, bool windowed)
    {
        bool rebuild = false, screenshot = false, step = false;
        (int, int)? windowSize = null;
        while (DemoWindow.TryTakeKey(out int key))
        {
            switch (key)
            {
                case Glfw.Keys.Escape:
                    return new KeyActions(true, false, screenshot, step, windowSize);
                case Glfw.Keys.D1 or Glfw.Keys.D2 or Glfw.Keys.D3:
                    settings.View = key - Glfw.Keys.D1 + 1;
                    rebuild = true;
                    break;
                case Glfw.Keys.I or Glfw.Keys.M:
                    settings.RandomInit = !settings.RandomInit;
                    rebuild = true;
                    break;
                case Glfw.Keys.S:
                    settings.Scale = settings.Scale == 4 ? 2 : settings.Scale + 1;
                    rebuild = true;
                    break;
                case Glfw.Keys.F:
                    settings.Filter = settings.Filter == 7 ? 1 : settings.Filter + 1;
                    rebuild |= settings.View == 2;
                    break;
                case Glfw.Keys.A:
                    settings.WipeLeft = Next(settings.WipeLeft);
                    rebuild |= settings.View == 3;
                    break;
                case Glfw.Keys.B:
                    settings.WipeRight = Next(settings.WipeRight);
                    rebuild |= settings.View == 3;
                    break;
                case Glfw.Keys.P or Glfw.Keys.Space:
                    settings.Paused = !settings.Paused;
                    break;
                case Glfw.Keys.N or Glfw.Keys.Period:
                    settings.Paused = true;
                    step = true;
                    break;
                case Glfw.Keys.H or Glfw.Keys.F1:
                    settings.Help = !settings.Help;
                    break;
                case Glfw.Keys.Tab:
                    settings.HudOn = !settings.HudOn;
                    break;
                case Glfw.Keys.R:
                    rebuild |= resolution.ToggleAutomatic();
                    break;
                case Glfw.Keys.F12:
                    screenshot = true;
                    break;
                case Glfw.Keys.W when windowed:
                    // The next of the common sizes; the swapchain follows when the framebuffer changes.
                    windowSize = WindowSizes.FirstOrDefault(z => z.Width > screenWidth, WindowSizes[0]);
                    break;
            }
        }
        return new KeyActions(false, rebuild, screenshot, step, windowSize);
    }

    private static Method Next(Method m) => ModelLibrary.All[(Array.IndexOf(ModelLibrary.All, m) + 1) % ModelLibrary.All.Length];
}
