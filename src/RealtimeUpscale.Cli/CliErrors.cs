using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>
/// The one list of failures every <c>rtup</c> command reports as a single line, <c>rtup: MESSAGE</c> on standard
/// error (with <c>--json</c>, one JSON object on standard output: <c>error</c>, <c>kind</c>, <c>exit_code</c>),
/// instead of a stack trace. Anything not listed is a defect and keeps its stack trace.
/// </summary>
public static class CliErrors
{
    /// <summary>Exit code of a command that failed.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command given a bad option or argument (<see cref="ArgumentException"/>).</summary>
    public const int Usage = 2;

    /// <summary>Exit code of a run stopped by SIGINT or SIGTERM.</summary>
    public const int Interrupted = 130;

    // First match wins: more derived types before their bases.
    private static readonly (Type Type, string Kind, int ExitCode)[] Known =
    {
        (typeof(ArgumentException), "usage", Usage),
        (typeof(ModelFormatException), "model", Failed),
        (typeof(GpuUnavailableException), "gpu", Failed),
        (typeof(VulkanException), "vulkan", Failed),
        (typeof(OnnxRuntimeException), "onnxruntime", Failed),
        (typeof(InvalidDataException), "data", Failed),
        (typeof(IOException), "io", Failed),
        (typeof(UnauthorizedAccessException), "io", Failed),
        (typeof(DllNotFoundException), "library", Failed),
        (typeof(InvalidOperationException), "failed", Failed),
    };

    /// <summary>Whether <paramref name="e"/> is on the list (reported as one line) rather than a defect.</summary>
    public static bool IsReported(Exception e) => Classify(e) is not null;

    /// <summary>The kind and exit code of a listed failure, or null for anything else.</summary>
    public static (string Kind, int ExitCode)? Classify(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e is ObjectDisposedException)
        {
            return null; // an InvalidOperationException, but always a defect
        }
        foreach (var (type, kind, code) in Known)
        {
            if (type.IsInstanceOfType(e))
            {
                return (kind, code);
            }
        }
        return null;
    }

    /// <summary>The message shown for a listed failure: the exception's own, or what to install for a missing library.</summary>
    public static string Message(Exception e) => e is DllNotFoundException && e.Message.Contains("glfw", StringComparison.OrdinalIgnoreCase)
        ? "the demo needs GLFW (libglfw.so.3): 'apt-get install libglfw3', or run with --offscreen"
        : e.Message.ReplaceLineEndings(" ").Trim();

    /// <summary>Writes the one-line report of a listed failure and returns its exit code.</summary>
    /// <exception cref="ArgumentException"><paramref name="e"/> is not on the list.</exception>
    public static int Report(Exception e, bool json, TextWriter output, TextWriter error)
    {
        var (kind, code) = Classify(e) ?? throw new ArgumentException($"{e.GetType().Name} is not a reported failure.", nameof(e));
        string message = Message(e);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { error = message, kind, exit_code = code }));
        }
        else
        {
            error.WriteLine($"rtup: {message}");
        }
        return code;
    }

    /// <summary>Runs a command's <paramref name="body"/>, turning listed failures into their one-line report.</summary>
    public static int Guard(bool json, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (Exception e) when (IsReported(e))
        {
            return Report(e, json, Console.Out, Console.Error);
        }
    }
}
