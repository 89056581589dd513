using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RealtimeUpscale.Demo;

/// <summary>
/// The demo's GLFW window: GLFW itself (initialised here, terminated on dispose), the window, and the key presses
/// its callback queues for the render loop. All of it on the main thread; callbacks fire inside <see cref="PollEvents"/>.
/// </summary>
internal sealed unsafe class DemoWindow : IDisposable
{
    // The key callback is a static function pointer; one window is open at a time.
    private static readonly ConcurrentQueue<int> PendingKeys = new();
    private bool _disposed;

    private DemoWindow(nint handle) => Handle = handle;

    /// <summary>The GLFW window handle (for the Vulkan surface).</summary>
    public nint Handle { get; }

    /// <summary>Initialises GLFW and opens a resizable window without a client API (Vulkan draws into it).</summary>
    /// <exception cref="InvalidOperationException">There is no display, no Vulkan loader, or no window could be made.</exception>
    public static DemoWindow Open(int width, int height)
    {
        Glfw.SetErrorCallback(&Glfw.OnError);
        if (Glfw.Init() == 0)
        {
            throw new InvalidOperationException("Could not open a window: " + (Glfw.LastError ?? "glfwInit failed") +
                ". Without a display, run with --offscreen (or start Xvfb and set DISPLAY).");
        }
        if (Glfw.VulkanSupported() == 0)
        {
            Glfw.Terminate();
            throw new InvalidOperationException("GLFW finds no Vulkan loader (install libvulkan1).");
        }
        Glfw.WindowHint(Glfw.ClientApi, Glfw.NoApi);
        Glfw.WindowHint(Glfw.Resizable, 1);
        nint window = Glfw.CreateWindow(width, height, "RealtimeUpscale demo", 0, 0);
        if (window == 0)
        {
            string error = Glfw.LastError ?? "glfwCreateWindow failed";
            Glfw.Terminate();
            throw new InvalidOperationException("Could not open a window: " + error);
        }
        Glfw.SetKeyCallback(window, &OnKey);
        return new DemoWindow(window);
    }

    /// <summary>Takes the next queued key press (GLFW key code), if any.</summary>
    public static bool TryTakeKey(out int key) => PendingKeys.TryDequeue(out key);

    /// <summary>Drops key presses queued before a session started.</summary>
    public static void ClearKeys() => PendingKeys.Clear();

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnKey(nint window, int key, int scancode, int action, int mods)
    {
        if (action == Glfw.Press || (action == Glfw.Repeat && key is Glfw.Keys.N or Glfw.Keys.Period))
        {
            PendingKeys.Enqueue(key);
        }
    }

    /// <summary>Handles pending window events (key callbacks run here).</summary>
    public void PollEvents() => Glfw.PollEvents();

    /// <summary>Whether the user closed the window.</summary>
    public bool ShouldClose => Glfw.WindowShouldClose(Handle) != 0;

    /// <summary>The drawable size in pixels.</summary>
    public (int Width, int Height) FramebufferSize
    {
        get
        {
            Glfw.GetFramebufferSize(Handle, out int w, out int h);
            return (w, h);
        }
    }

    /// <summary>Whether the window is minimised (nothing to present).</summary>
    public bool IsMinimised => Glfw.GetWindowAttrib(Handle, Glfw.Iconified) != 0;

    /// <summary>Sleeps until an event arrives or <paramref name="seconds"/> pass.</summary>
    public static void WaitEvents(double seconds) => Glfw.WaitEventsTimeout(seconds);

    /// <summary>Asks for a new window size; the framebuffer follows.</summary>
    public void Resize(int width, int height) => Glfw.SetWindowSize(Handle, width, height);

    /// <summary>The cursor mapped onto a <paramref name="width"/> x <paramref name="height"/> canvas covering the window, or null when outside.</summary>
    public (int X, int Y)? CursorOn(int width, int height)
    {
        Glfw.GetCursorPos(Handle, out double x, out double y);
        Glfw.GetWindowSize(Handle, out int ww, out int wh);
        if (ww <= 0 || wh <= 0 || x < 0 || y < 0 || x >= ww || y >= wh)
        {
            return null;
        }
        return ((int)(x / ww * width), (int)(y / wh * height));
    }

    /// <summary>Destroys the window and terminates GLFW (after the surface made from it is gone).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Glfw.DestroyWindow(Handle);
        Glfw.Terminate();
    }
}
