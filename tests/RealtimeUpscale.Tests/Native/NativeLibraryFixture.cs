using System.Diagnostics;
using Xunit;

namespace RealtimeUpscale.Tests.Native;

/// <summary>
/// The native library and its C test hosts, built once per test run: <c>scripts/native.sh</c> publishes
/// artifacts/native/linux-x64/librealtimeupscale.so (it skips the minute-long publish when no source changed
/// since the last one), and gcc compiles tests/native/host.c and unity_host.c against include/ and the
/// system's Vulkan headers into a temporary folder.
/// </summary>
public sealed class NativeLibraryFixture : IDisposable
{
    public NativeLibraryFixture()
    {
        Root = SharedData.RepositoryRoot;
        Run("bash", TimeSpan.FromMinutes(10), Path.Combine(Root, "scripts", "native.sh"));
        Library = Path.Combine(Root, "artifacts", "native", "linux-x64", "librealtimeupscale.so");
        Assert.True(File.Exists(Library), $"scripts/native.sh made no {Library}");
        Directory = System.IO.Directory.CreateTempSubdirectory("rtup-native-").FullName;
        Host = Compile("host");
        UnityHost = Compile("unity_host");
    }

    public string Root { get; }

    /// <summary>The published library.</summary>
    public string Library { get; }

    /// <summary>A scratch folder for the hosts and their files, removed at the end of the run.</summary>
    public string Directory { get; }

    /// <summary>The engine host (tests/native/host.c).</summary>
    public string Host { get; }

    /// <summary>The host that plays Unity (tests/native/unity_host.c).</summary>
    public string UnityHost { get; }

    /// <summary>The model both sides run: the bundled default.</summary>
    public string Model => Path.Combine(Root, "models", "subpixel_rgb_x2.onnx");

    /// <summary>Runs a program to its end and returns its exit code and its standard output and error.</summary>
    public static (int ExitCode, string Output) Run(string program, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran past {timeout}.");
        }
        string output = stdout.Result + stderr.Result;
        if (program == "bash")
        {
            Assert.True(process.ExitCode == 0, $"{string.Join(' ', args)} failed ({process.ExitCode}):\n{output}");
        }
        return (process.ExitCode, output);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private string Compile(string name)
    {
        string output = Path.Combine(Directory, name);
        var (code, log) = Run("gcc", TimeSpan.FromMinutes(2), "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1",
            "-I", Path.Combine(Root, "include"), Path.Combine(Root, "tests", "native", name + ".c"), "-o", output, "-ldl", "-lvulkan");
        Assert.True(code == 0, $"gcc {name}.c failed:\n{log}");
        return output;
    }
}
