using System.Runtime.InteropServices;

namespace RealtimeUpscale.Demo;

/// <summary>
/// The few GLFW 3.3 entry points the demo uses, bound to the system's <c>libglfw.so.3</c> (Debian's
/// libglfw3). Every call must come from the main thread; callbacks fire inside <see cref="PollEvents"/>.
/// </summary>
internal static unsafe partial class Glfw
{
    private const string Library = "libglfw.so.3";

    public const int ClientApi = 0x00022001;
    public const int NoApi = 0;
    public const int Resizable = 0x00020003;
    public const int Iconified = 0x00020002;
    public const int Press = 1;
    public const int Repeat = 2;

    /// <summary>GLFW key codes the demo binds (printable keys are their upper-case ASCII code).</summary>
    public static class Keys
    {
        public const int Space = 32, Period = 46, D1 = 49, D2 = 50, D3 = 51;
        public const int A = 65, B = 66, F = 70, H = 72, I = 73, M = 77, N = 78, P = 80, R = 82, S = 83, W = 87;
        public const int Escape = 256, Tab = 258, F1 = 290, F12 = 301;
    }

    [LibraryImport(Library, EntryPoint = "glfwInit")]
    public static partial int Init();

    [LibraryImport(Library, EntryPoint = "glfwTerminate")]
    public static partial void Terminate();

    [LibraryImport(Library, EntryPoint = "glfwWindowHint")]
    public static partial void WindowHint(int hint, int value);

    [LibraryImport(Library, EntryPoint = "glfwCreateWindow", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint CreateWindow(int width, int height, string title, nint monitor, nint share);

    [LibraryImport(Library, EntryPoint = "glfwDestroyWindow")]
    public static partial void DestroyWindow(nint window);

    [LibraryImport(Library, EntryPoint = "glfwWindowShouldClose")]
    public static partial int WindowShouldClose(nint window);

    [LibraryImport(Library, EntryPoint = "glfwSetWindowShouldClose")]
    public static partial void SetWindowShouldClose(nint window, int value);

    [LibraryImport(Library, EntryPoint = "glfwSetWindowTitle", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void SetWindowTitle(nint window, string title);

    [LibraryImport(Library, EntryPoint = "glfwPollEvents")]
    public static partial void PollEvents();

    [LibraryImport(Library, EntryPoint = "glfwWaitEventsTimeout")]
    public static partial void WaitEventsTimeout(double seconds);

    [LibraryImport(Library, EntryPoint = "glfwGetFramebufferSize")]
    public static partial void GetFramebufferSize(nint window, out int width, out int height);

    [LibraryImport(Library, EntryPoint = "glfwGetWindowAttrib")]
    public static partial int GetWindowAttrib(nint window, int attribute);

    [LibraryImport(Library, EntryPoint = "glfwGetCursorPos")]
    public static partial void GetCursorPos(nint window, out double x, out double y);

    [LibraryImport(Library, EntryPoint = "glfwSetWindowSize")]
    public static partial void SetWindowSize(nint window, int width, int height);

    [LibraryImport(Library, EntryPoint = "glfwGetWindowSize")]
    public static partial void GetWindowSize(nint window, out int width, out int height);

    [LibraryImport(Library, EntryPoint = "glfwVulkanSupported")]
    public static partial int VulkanSupported();

    [LibraryImport(Library, EntryPoint = "glfwGetRequiredInstanceExtensions")]
    public static partial byte** GetRequiredInstanceExtensions(out uint count);

    /// <summary>Returns a VkResult; the surface handle is written to <paramref name="surface"/>.</summary>
    [LibraryImport(Library, EntryPoint = "glfwCreateWindowSurface")]
    public static partial int CreateWindowSurface(nint instance, nint window, nint allocator, out ulong surface);

    [LibraryImport(Library, EntryPoint = "glfwSetKeyCallback")]
    public static partial nint SetKeyCallback(nint window, delegate* unmanaged[Cdecl]<nint, int, int, int, int, void> callback);

    [LibraryImport(Library, EntryPoint = "glfwSetErrorCallback")]
    public static partial nint SetErrorCallback(delegate* unmanaged[Cdecl]<int, byte*, void> callback);

    /// <summary>The last error GLFW reported (its description), or null.</summary>
    public static string? LastError { get; private set; }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(System.Runtime.CompilerServices.CallConvCdecl) })]
    public static void OnError(int code, byte* description)
    {
        LastError = $"GLFW error 0x{code:X}: {Marshal.PtrToStringUTF8((nint)description)}";
    }
}
