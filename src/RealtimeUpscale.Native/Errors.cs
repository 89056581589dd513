using System.Runtime.InteropServices;
using System.Text;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Native;

/// <summary>An error the C API reports with a chosen code; its message names the problem.</summary>
internal sealed class ApiException(RtupResult code, string message) : Exception(message)
{
    public RtupResult Code { get; } = code;
}

/// <summary>
/// Turns exceptions into result codes and keeps each thread's last error message as a NUL-terminated UTF-8
/// string in native memory, valid until that thread's next call into the library.
/// </summary>
internal static unsafe class Errors
{
    [ThreadStatic]
    private static nint _message;

    /// <summary>The calling thread's last message ("" when its last call succeeded).</summary>
    public static nint LastMessage
    {
        get
        {
            if (_message == 0)
            {
                Set("");
            }
            return _message;
        }
    }

    /// <summary>Clears the message at the start of a call.</summary>
    public static void Clear() => Set("");

    /// <summary>Sets the message and returns <paramref name="code"/>.</summary>
    public static RtupResult Fail(RtupResult code, string message)
    {
        Set(message);
        return code;
    }

    /// <summary>The code and message of an exception that reached an export.</summary>
    public static RtupResult From(Exception e)
    {
        var code = e switch
        {
            ApiException api => api.Code,
            ModelFormatException or FileNotFoundException or DirectoryNotFoundException => RtupResult.Model,
            VulkanException { IsOutOfMemory: true } => RtupResult.OutOfMemory,
            VulkanException => RtupResult.Vulkan,
            OutOfMemoryException or InsufficientExecutionStackException => RtupResult.OutOfMemory,
            NotSupportedException or GpuUnavailableException => RtupResult.Unsupported,
            ArgumentException or ObjectDisposedException => RtupResult.InvalidArgument,
            _ => RtupResult.Internal,
        };
        string prefix = code == RtupResult.Internal ? $"internal error ({e.GetType().Name}): " : "";
        return Fail(code, prefix + e.Message);
    }

    private static void Set(string message)
    {
        if (_message != 0)
        {
            NativeMemory.Free((void*)_message);
            _message = 0;
        }
        int length = Encoding.UTF8.GetByteCount(message);
        byte* p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(message, new Span<byte>(p, length));
        p[length] = 0;
        _message = (nint)p;
    }
}
