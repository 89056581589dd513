using RealtimeUpscale.Network;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests.Native;

/// <summary>
/// The native library as C programs load it (tests/native): an engine host that lends its own device and
/// records frames into its own command buffers, a host that plays Unity, and a first call of every export in
/// a fresh process. The hosts run with the validation layer and synchronisation validation on and fail on
/// any message; their outputs must equal, byte for byte, what the C# <see cref="Upscaler"/> computes on the
/// same model and pixels.
/// </summary>
public sealed class NativeLibraryTests(GpuFixture gpu, NativeLibraryFixture native) : GpuTest(gpu), IClassFixture<NativeLibraryFixture>
{
    private static readonly TimeSpan HostTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void EngineHostGetsTheUpscalersBytesThroughRecordedFramesInFlightAndTheLibraryNeverSubmits()
    {
        var (in1, in2) = (RandomRgba(37, 29, 1), RandomRgba(23, 31, 2));
        string dir = native.Directory;
        string[] files = { "in1.rgba", "out1.rgba", "in2.rgba", "out2.rgba", "out3.rgba" };
        var path = files.ToDictionary(f => f, f => Path.Combine(dir, "engine-" + f));
        File.WriteAllBytes(path["in1.rgba"], in1);
        File.WriteAllBytes(path["in2.rgba"], in2);

        var (code, output) = NativeLibraryFixture.Run(native.Host, HostTimeout, "full", native.Library, native.Model,
            path["in1.rgba"], "37", "29", path["out1.rgba"], path["in2.rgba"], "23", "31", path["out2.rgba"], path["out3.rgba"]);

        Assert.True(code == 0, output);
        Assert.Contains("host: all ok", output);
        Assert.Contains("library calls: vkQueueSubmit 0, vkQueueWaitIdle 0, vkDeviceWaitIdle 0", output);
        Assert.DoesNotContain("validation:", output);
        // Every error path the host checks prints one line naming its code and message.
        Assert.True(output.Split('\n').Count(l => l.StartsWith("error ok: ", StringComparison.Ordinal)) == 36, output);
        // Float16 tensors on the device the host lent with RTUP_DEVICE_STORAGE_16BIT: within one 8-bit level.
        Assert.Contains("fp16 upscaler: largest difference 1 level(s)", output);
        var expected1 = Expected(in1, 37, 29);
        Assert.Equal(expected1, File.ReadAllBytes(path["out1.rgba"]));       // recorded frames, upscaler from the path
        Assert.Equal(Expected(in2, 23, 31), File.ReadAllBytes(path["out2.rgba"])); // from the bytes, recreated images
        Assert.Equal(expected1, File.ReadAllBytes(path["out3.rgba"]));       // the library's own context, run_rgba8
    }

    /// <summary>
    /// Without the validation layer the driver's handle values come back: inputs recreated as BGRA8 under the
    /// handles of destroyed RGBA8 images must get views of the new format (a stale view would read the new
    /// texels with red and blue swapped).
    /// </summary>
    [Fact]
    public void EngineHostImagesRecreatedUnderTheSameHandleValuesGetNewViews()
    {
        var input = RandomRgba(23, 31, 4);
        string inPath = Path.Combine(native.Directory, "reuse-in.rgba"), outPath = Path.Combine(native.Directory, "reuse-out.rgba");
        File.WriteAllBytes(inPath, input);

        var (code, output) = NativeLibraryFixture.Run(native.Host, HostTimeout, "reuse", native.Library, native.Model, inPath, "23", "31", outPath);

        Assert.True(code == 0, output);
        Assert.Contains("host: reuse ok", output);
        Assert.Equal(Expected(input, 23, 31), File.ReadAllBytes(outPath));
    }

    /// <summary>The README's C example is tests/native/example.c verbatim, and it compiles against the header.</summary>
    [Fact]
    public void ReadmeEngineExampleIsTheCompiledExample()
    {
        string example = File.ReadAllText(Path.Combine(native.Root, "tests", "native", "example.c"));
        string body = example[(example.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        Assert.Contains(body, File.ReadAllText(Path.Combine(native.Root, "README.md")), StringComparison.Ordinal);

        var (code, log) = NativeLibraryFixture.Run("gcc", HostTimeout, "-std=c99", "-Wall", "-Wextra", "-Werror", "-c",
            "-I", Path.Combine(native.Root, "include"), Path.Combine(native.Root, "tests", "native", "example.c"),
            "-o", Path.Combine(native.Directory, "example.o"));
        Assert.True(code == 0, log);
    }

    [Fact]
    public void UnityHostGetsTheUpscalersBytesThroughThePluginsRenderEvents()
    {
        var input = RandomRgba(37, 29, 3);
        string inPath = Path.Combine(native.Directory, "unity-in.rgba"), outPath = Path.Combine(native.Directory, "unity-out.rgba");
        File.WriteAllBytes(inPath, input);

        var (code, output) = NativeLibraryFixture.Run(native.UnityHost, HostTimeout, native.Library, native.Model, inPath, "37", "29", outPath);

        Assert.True(code == 0, output);
        Assert.Contains("unity host: all ok", output);
        Assert.Contains("vkQueueSubmit 0, vkQueueWaitIdle 0, vkDeviceWaitIdle 0; EnsureOutsideRenderPass 6, CommandRecordingState 6", output);
        Assert.DoesNotContain("validation:", output);
        Assert.Equal(Expected(input, 37, 29), File.ReadAllBytes(outPath));
    }

    /// <summary>
    /// The runtime starts inside whichever export is called first; an export whose own frame held a stack
    /// buffer would abort on return. Each export is the first call of a fresh process here.
    /// </summary>
    [Theory]
    [InlineData("rtup_get_api_version")]
    [InlineData("rtup_get_last_error")]
    [InlineData("rtup_vk_context_create")]
    [InlineData("rtup_context_create_default")]
    [InlineData("rtup_context_create_default_with_flags")]
    [InlineData("rtup_context_get_validation_message_count")]
    [InlineData("rtup_context_destroy")]
    [InlineData("rtup_upscaler_create")]
    [InlineData("rtup_upscaler_get_output_size")]
    [InlineData("rtup_vk_upscaler_record")]
    [InlineData("rtup_vk_upscaler_forget_images")]
    [InlineData("rtup_upscaler_run_rgba8")]
    [InlineData("rtup_upscaler_destroy")]
    [InlineData("rtup_unity_get_render_event_func")]
    [InlineData("rtup_unity_get_event_id")]
    [InlineData("rtup_unity_get_context")]
    [InlineData("rtup_unity_get_last_event_result")]
    [InlineData("UnityPluginUnload")]
    public void EveryExportWorksAsTheFirstCallIntoAFreshProcess(string export)
    {
        var (code, output) = NativeLibraryFixture.Run(native.Host, HostTimeout, "first", export, native.Library, native.Model);

        Assert.True(code == 0, $"{export} as the first call: exit {code}\n{output}");
        Assert.Contains($"first call ok: {export}", output);
    }

    /// <summary>What the C# upscaler makes of the same pixels, on the test run's validated context.</summary>
    private byte[] Expected(byte[] rgba, int width, int height)
    {
        using var upscaler = new Upscaler(Context, ModelDefinition.Load(native.Model), width, height);
        return upscaler.Upscale(rgba, PixelFormat.Rgba);
    }

    private static byte[] RandomRgba(int width, int height, int seed)
    {
        var bytes = new byte[width * height * 4];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
