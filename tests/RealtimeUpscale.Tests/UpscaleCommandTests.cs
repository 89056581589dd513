using System.Text.Json;
using RealtimeUpscale.Cli;
using RealtimeUpscale.Imaging;
using StbImageWriteSharp;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>rtup upscale on generated images: formats, channels, folders, clashes, failures, JSON, sizes.</summary>
public sealed class UpscaleCommandTests : GpuTest, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-upscale-" + Guid.NewGuid().ToString("N"));
    private readonly string _model = SharedData.FsrcnnModel("FSRCNN-s_x2.onnx");

    public UpscaleCommandTests(GpuFixture gpu) : base(gpu) => Directory.CreateDirectory(_dir);

    void IDisposable.Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Dispose();
    }

    private string WriteImage(string relative, int w, int h, ColorComponents components, int seed)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int c = (int)components;
        var pixels = new byte[w * h * c];
        var rng = new Random(seed);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(128 + 100 * Math.Sin(i * 0.01 + seed) + rng.Next(-20, 20));
        }
        using var stream = File.Create(path);
        new ImageWriter().WritePng(pixels, w, h, components, stream);
        return path;
    }

    private (int Code, string Out, string Err) Run(UpscaleRequest request)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new BatchUpscaler(Context, output, error).Run(request);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void FolderKeepsRelativePathsChannelsAndAlpha()
    {
        WriteImage("in/grey.png", 23, 17, ColorComponents.Grey, 1);
        WriteImage("in/sub/rgb.png", 19, 21, ColorComponents.RedGreenBlue, 2);
        WriteImage("in/sub/deeper/rgba.png", 17, 13, ColorComponents.RedGreenBlueAlpha, 3);
        var (code, _, err) = Run(new UpscaleRequest { Inputs = new[] { Path.Combine(_dir, "in") }, Output = Path.Combine(_dir, "out"), Model = _model });
        Assert.True(code == 0, err);
        var grey = ImageFile.Load(Path.Combine(_dir, "out/grey.png"));
        var rgb = ImageFile.Load(Path.Combine(_dir, "out/sub/rgb.png"));
        var rgba = ImageFile.Load(Path.Combine(_dir, "out/sub/deeper/rgba.png"));
        Assert.Equal((46, 34, 1), (grey.Width, grey.Height, grey.Channels));
        Assert.Equal((38, 42, 3), (rgb.Width, rgb.Height, rgb.Channels));
        Assert.Equal((34, 26, 4), (rgba.Width, rgba.Height, rgba.Channels));
    }

    /// <summary>--precision fp16: the tensors between layers float16, the 8-bit output within one level of float32's.</summary>
    [Fact]
    public void Float16TensorsStayWithinOneLevelOfFloat32()
    {
        string input = WriteImage("in.png", 41, 27, ColorComponents.RedGreenBlue, 5);
        var request = new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "fp32.png"), Model = _model };
        Assert.Equal(0, Run(request).Code);
        Assert.Equal(0, Run(request with { Output = Path.Combine(_dir, "fp16.png"), Precision = Runtime.TensorPrecision.Float16 }).Code);
        var a = ImageFile.Load(Path.Combine(_dir, "fp32.png")).Pixels.ToArray();
        var b = ImageFile.Load(Path.Combine(_dir, "fp16.png")).Pixels.ToArray();
        Assert.Equal(a.Length, b.Length);
        Assert.True(a.Zip(b, (p, q) => Math.Abs(p - q)).Max() <= 1, "float16 tensors moved the output by more than one level");
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void CorruptFileInTheMiddleFailsAloneAndTheExitCodeSaysSo()
    {
        WriteImage("in/a.png", 16, 16, ColorComponents.RedGreenBlue, 1);
        File.WriteAllText(Path.Combine(_dir, "in/b.png"), "not an image");
        WriteImage("in/c.png", 16, 16, ColorComponents.RedGreenBlue, 2);
        var (code, _, err) = Run(new UpscaleRequest { Inputs = new[] { Path.Combine(_dir, "in") }, Output = Path.Combine(_dir, "out"), Model = _model });
        Assert.Equal(1, code);
        Assert.Contains("b.png", err);
        Assert.True(File.Exists(Path.Combine(_dir, "out/a.png")));
        Assert.True(File.Exists(Path.Combine(_dir, "out/c.png")));
        Assert.False(File.Exists(Path.Combine(_dir, "out/b.png")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "out"), "*.partial"));
    }

    [Fact]
    public void ExistingOutputsAndInputsAreNeverOverwrittenUnlessAsked()
    {
        string input = WriteImage("in/a.png", 16, 16, ColorComponents.RedGreenBlue, 1);
        string output = Path.Combine(_dir, "out.png");
        File.WriteAllText(output, "keep me");
        var (code, _, err) = Run(new UpscaleRequest { Inputs = new[] { input }, Output = output, Model = _model });
        Assert.Equal(1, code);
        Assert.Contains("--overwrite", err);
        Assert.Equal("keep me", File.ReadAllText(output));

        var self = Run(new UpscaleRequest { Inputs = new[] { input }, Output = input, Model = _model, Overwrite = true });
        Assert.Equal(1, self.Code);
        Assert.Contains("never overwritten", self.Err);

        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = output, Model = _model, Overwrite = true }).Code);
        Assert.Equal(32, ImageFile.Load(output).Width);
    }

    [Fact]
    public void NameClashesAreReported()
    {
        WriteImage("in/a.png", 16, 16, ColorComponents.RedGreenBlue, 1);
        string other = WriteImage("in2/a.png", 16, 16, ColorComponents.RedGreenBlue, 2);
        var (code, _, err) = Run(new UpscaleRequest
        {
            Inputs = new[] { Path.Combine(_dir, "in/a.png"), other }, Output = Path.Combine(_dir, "out"), Model = _model,
        });
        Assert.Equal(1, code);
        Assert.Contains("already the output of", err);
    }

    [Fact]
    public void AlphaIsRefusedForJpegUnlessDropped()
    {
        string input = WriteImage("in/a.png", 16, 16, ColorComponents.RedGreenBlueAlpha, 1);
        var refused = Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "a.jpg"), Model = _model });
        Assert.Equal(1, refused.Code);
        Assert.Contains("alpha", refused.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "a.jpg")));
        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "a.jpg"), Model = _model, DropAlpha = true }).Code);
        Assert.Equal(3, ImageFile.Load(Path.Combine(_dir, "a.jpg")).Channels);
    }

    [Theory]
    [InlineData(ColorComponents.RedGreenBlueAlpha, 9)]
    [InlineData(ColorComponents.Grey, 16)]
    public void LargeOutputsStreamedBandByBandEqualTheWholeImage(ColorComponents components, int tile)
    {
        string input = WriteImage("big.png", 37, 29, components, 11);
        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "whole.png"), Model = _model }).Code);
        // Every output over 0 bytes is streamed: band by band into the PNG file, never held whole.
        var (code, _, err) = Run(new UpscaleRequest
        {
            Inputs = new[] { input }, Output = Path.Combine(_dir, "streamed.png"), Model = _model, Tile = tile, StreamAboveBytes = 0,
        });
        Assert.True(code == 0, err);
        var whole = ImageFile.Load(Path.Combine(_dir, "whole.png"));
        var streamed = ImageFile.Load(Path.Combine(_dir, "streamed.png"));
        Assert.Equal((74, 58, (int)components), (streamed.Width, streamed.Height, streamed.Channels));
        Assert.Equal(whole.Pixels.ToArray(), streamed.Pixels.ToArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.partial"));
    }

    [Fact]
    public void ExactSizeAndTiledOutputs()
    {
        string input = WriteImage("in/a.png", 37, 23, ColorComponents.RedGreenBlue, 4);
        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "sized.png"), Model = _model, Width = 101, Height = 50 }).Code);
        var sized = ImageFile.Load(Path.Combine(_dir, "sized.png"));
        Assert.Equal((101, 50), (sized.Width, sized.Height));

        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "whole.png"), Model = _model, Tile = 64 }).Code);
        Assert.Equal(0, Run(new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "tiled.png"), Model = _model, Tile = 9 }).Code);
        Assert.Equal(ImageFile.Load(Path.Combine(_dir, "whole.png")).Pixels.ToArray(), ImageFile.Load(Path.Combine(_dir, "tiled.png")).Pixels.ToArray());
    }

    [Fact]
    public void JsonGivesOneLinePerFileAndASummary()
    {
        WriteImage("in/a.png", 16, 16, ColorComponents.RedGreenBlue, 1);
        File.WriteAllText(Path.Combine(_dir, "in/b.png"), "broken");
        var (code, output, _) = Run(new UpscaleRequest
        {
            Inputs = new[] { Path.Combine(_dir, "in") }, Output = Path.Combine(_dir, "out"), Model = _model, Json = true,
        });
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Contains(lines, l => l.TryGetProperty("status", out var s) && s.GetString() == "ok" && l.GetProperty("out_width").GetInt32() == 32);
        Assert.Contains(lines, l => l.TryGetProperty("status", out var s) && s.GetString() == "error");
        var summary = lines.Last().GetProperty("summary");
        Assert.Equal(1, summary.GetProperty("ok").GetInt32());
        Assert.Equal(1, summary.GetProperty("failed").GetInt32());
    }

    [Fact]
    public void DownscaleNaiveTakesEveryFactorPixelAndBlurPoolSmooths()
    {
        string input = WriteImage("in/a.png", 31, 20, ColorComponents.RedGreenBlue, 5);
        var source = ImageFile.Load(input);
        var request = new UpscaleRequest { Inputs = new[] { input }, Output = Path.Combine(_dir, "naive.png") };
        Assert.Equal(0, new BatchUpscaler(Context, TextWriter.Null, TextWriter.Null).Downscale(request, 3, 1));
        var naive = ImageFile.Load(Path.Combine(_dir, "naive.png"));
        Assert.Equal((11, 7), (naive.Width, naive.Height));
        for (int y = 0; y < 7; y++)
        {
            for (int x = 0; x < 11; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    Assert.Equal(source.Pixels[((y * 3) * 31 + x * 3) * 3 + c], naive.Pixels[(y * 11 + x) * 3 + c]);
                }
            }
        }
        var blurred = request with { Output = Path.Combine(_dir, "blur.png") };
        Assert.Equal(0, new BatchUpscaler(Context, TextWriter.Null, TextWriter.Null).Downscale(blurred, 3, 5));
        var blur = ImageFile.Load(Path.Combine(_dir, "blur.png"));
        Assert.Equal((11, 7), (blur.Width, blur.Height));
        Assert.NotEqual(naive.Pixels.ToArray(), blur.Pixels.ToArray());
    }

    [Fact]
    public void KilledRunLeavesNoPartialFiles()
    {
        for (int i = 0; i < 6; i++)
        {
            WriteImage($"in/img{i}.png", 400, 300, ColorComponents.RedGreenBlue, i);
        }
        string output = Path.Combine(_dir, "out");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "rtup.dll"), "upscale", Path.Combine(_dir, "in"), "-o", output, "--model", _model })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = System.Diagnostics.Process.Start(psi)!;
        // Stop it (SIGTERM, as kill does) once the first image is written: later ones are being computed or encoded.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && !(Directory.Exists(output) && Directory.GetFiles(output, "*.png").Length > 0))
        {
            Thread.Sleep(20);
        }
        using (var kill = System.Diagnostics.Process.Start("kill", new[] { "-TERM", process.Id.ToString() }))
        {
            kill.WaitForExit();
        }
        Assert.True(process.WaitForExit(30_000), "rtup did not stop on SIGTERM");
        Assert.Equal(130, process.ExitCode);
        Assert.True(Directory.GetFiles(output, "*.png").Length is > 0 and < 6, "the run should have been stopped part way");
        Assert.Empty(Directory.GetFiles(output, "*.partial"));
        foreach (var file in Directory.GetFiles(output, "*.png"))
        {
            var image = ImageFile.Load(file); // every file present is complete
            Assert.Equal((800, 600), (image.Width, image.Height));
        }
    }
}
