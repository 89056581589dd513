using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests.Training;

/// <summary>
/// The trainer (training/train.py, Debian's python3-torch) in its smoke mode: a few hundred iterations on a
/// few patches, exported to ONNX, then loaded and run by the GPU pipeline against ONNX Runtime. And Odena's
/// point on the trainer's own untrained networks: the deconvolution head starts with far more checkerboard
/// energy than the resize-convolution head.
/// </summary>
public sealed class TrainingSmokeTests : GpuTest, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-train-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public TrainingSmokeTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    void IDisposable.Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Dispose();
    }

    private string Train(string family, string color, params string[] extra)
    {
        // Named by the options, which may hold paths: a hash keeps the name a plain file name.
        string export = Path.Combine(_dir, $"{family}_{color}_{(uint)string.Join(" ", extra).GetHashCode():x8}.onnx");
        string stdout = TrainerProcess.Run(TimeSpan.FromMinutes(5), new[] { "training/train.py", "--family", family, "--scale", "2",
            "--color", color, "--export", export, "--out", Path.Combine(_dir, family + color + extra.Length) }.Concat(extra).ToArray());
        _output.WriteLine(stdout.Split('\n').LastOrDefault(l => l.Contains("exported")) ?? "");
        return export;
    }

    [Theory]
    [InlineData("deconv", "y", "collapsible")]
    [InlineData("subpixel", "y", "collapsible")]
    [InlineData("resizeconv", "y", "collapsible")]
    [InlineData("subpixel", "rgb", "collapsible")]
    [InlineData("deconv", "y", "fsrcnn")]
    public void SmokeTrainingExportsAModelTheGpuRunsLikeOnnxRuntime(string family, string color, string arch)
    {
        string path = Train(family, color, "--smoke", "--arch", arch);
        var model = ModelDefinition.Load(path);
        Assert.Equal(family, model.Info.Metadata["family"]);
        Assert.StartsWith(arch == "fsrcnn" ? "d=" : "collapsible,", model.Info.Metadata["architecture"]);
        // FSRCNN's cost, 12.5 k multiply-adds per input pixel, bounds every collapsed luma network; the RGB one
        // stays within 1.5 times a luma model's.
        int macs = int.Parse(model.Info.Metadata["macs_per_input_pixel"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(macs <= (color == "y" ? 12_500 : 15_000), $"{macs} multiply-adds per input pixel");
        Assert.Equal(color == "y" ? ColorSpace.Y : ColorSpace.Rgb, model.Info.ColorSpace);
        Assert.Equal(2, model.Info.Scale);
        var x = HostTensor.Random(new Random(family.Length), model.Info.InputChannels, 13, 11, 0, 1);
        Compare.Close(OnnxRuntimeOracle.Run(path, x), OnnxImportTests.RunGpu(Context, model, x), OnnxImportTests.NetworkTolerance, path);
    }

    [Fact]
    public void UntrainedDeconvolutionHeadHasClearlyMoreCheckerboardThanResizeConvolution()
    {
        var analyzer = new Analyzer(Context);
        string set5 = SharedData.Path("datasets", "Set5");
        // The FSRCNN-shaped networks of models/init/ (the collapsible ones start from the bicubic residual).
        double deconv = analyzer.Analyze(ModelDefinition.Load(Train("deconv", "y", "--init-only", "--arch", "fsrcnn")), set5).CheckerboardDb;
        double resize = analyzer.Analyze(ModelDefinition.Load(Train("resizeconv", "y", "--init-only", "--arch", "fsrcnn")), set5).CheckerboardDb;
        double subpixel = analyzer.Analyze(ModelDefinition.Load(Train("subpixel", "y", "--init-only", "--arch", "fsrcnn")), set5).CheckerboardDb;
        _output.WriteLine($"untrained, checkerboard vs bicubic: deconv {deconv:F1} dB, sub-pixel (ICNR) {subpixel:F1} dB, resize-conv {resize:F1} dB");
        Assert.True(deconv > resize + 10, $"deconv {deconv:F1} dB vs resize-conv {resize:F1} dB");
    }

    [Fact]
    public void ARunContinuesFromItsCompactCheckpointAlone()
    {
        // 100 iterations; then a run in another directory (another session, another machine: no last.pt) resumes
        // from the compact checkpoint alone, which must stay small enough to commit.
        string compact = Path.Combine(_dir, "compact.pt");
        string first = Train("subpixel", "y", "--smoke", "--iterations", "100", "--checkpoint", compact);
        Assert.Equal("100", ModelDefinition.Load(first).Info.Metadata["iterations"]);
        Assert.InRange(new FileInfo(compact).Length, 1, 400_000);
        string second = Train("subpixel", "y", "--smoke", "--iterations", "200", "--checkpoint", compact, "--resume");
        var metadata = ModelDefinition.Load(second).Info.Metadata;
        Assert.Equal("200", metadata["iterations"]);
        Assert.Contains("resumed from", File.ReadAllText(Path.Combine(_dir, "subpixely" + 6, "log.txt")));
        using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(compact, ".json")));
        var rows = record.RootElement.GetProperty("curve").GetProperty("rows").EnumerateArray().ToList();
        // Validations at 0, 50, 100 before the loss, then 150 and 200 after it; one record.
        Assert.Equal(new[] { 0, 50, 100, 150, 200 }, rows.Select(r => r[0].GetInt32()));
        Assert.Equal(2, record.RootElement.GetProperty("sessions").GetArrayLength());

        // The best weights so far, exported without training: the record's best, and the checkpoint untouched.
        var before = File.ReadAllBytes(compact);
        string interim = Train("subpixel", "y", "--smoke", "--iterations", "200", "--checkpoint", compact, "--resume", "--export-only");
        var best = record.RootElement.GetProperty("best");
        var exported = ModelDefinition.Load(interim).Info.Metadata;
        Assert.Equal("200", exported["iterations"]);
        Assert.Equal(best.GetProperty("iteration").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), exported["best_iteration"]);
        Assert.Equal(best.GetProperty("psnr").GetDouble(), double.Parse(exported["val_psnr"], System.Globalization.CultureInfo.InvariantCulture), 3);
        Assert.Equal(before, File.ReadAllBytes(compact));

        // Back to the best weights (best.pt of the second run's directory) with a fresh optimizer, under a
        // gradient bound (the later --out wins).
        string secondRun = Path.Combine(_dir, "subpixely" + 6);
        string third = Train("subpixel", "y", "--smoke", "--iterations", "250", "--checkpoint", compact, "--resume",
            "--rollback", "--clip-grad", "0.05", "--out", secondRun);
        Assert.Equal("250", ModelDefinition.Load(third).Info.Metadata["iterations"]);
        string log = File.ReadAllText(Path.Combine(secondRun, "log.txt"));
        Assert.Contains($"rolled back to the weights of iteration {best.GetProperty("iteration").GetInt32()} ", log);
        using var after = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(compact, ".json")));
        Assert.Equal(0.05, after.RootElement.GetProperty("schedule").GetProperty("clip_grad").GetDouble());
    }

    [Fact]
    public void TeacherDistillationL2PhaseAndWarmStartBetweenScalesRunEndToEnd()
    {
        string teacher = Path.Combine(_dir, "teacher.pt");
        string student = Path.Combine(_dir, "student.pt");
        Train("subpixel", "y", "--smoke", "--features", "24", "-m", "2", "--block", "linear", "--expansion", "24", "--checkpoint", teacher);
        var distilled = ModelDefinition.Load(Train("deconv", "y", "--smoke", "--teacher", teacher, "--l2-after", "0.5", "--checkpoint", student));
        Assert.Equal("teacher.pt, weight 0.5", distilled.Info.Metadata["teacher"]);
        Assert.Equal("l1, mse after 0.5 of the run", distilled.Info.Metadata["loss"]);

        // x3 from the x2 student's body, another head: it must still export a model the GPU runs like ONNX Runtime.
        string path = Train("resizeconv", "y", "--smoke", "--scale", "3", "--init-from", student, "--checkpoint", Path.Combine(_dir, "x3.pt"));
        var model = ModelDefinition.Load(path);
        Assert.Equal(3, model.Info.Scale);
        Assert.Equal("student.pt", model.Info.Metadata["body_init"]);
        var x = HostTensor.Random(new Random(3), 1, 11, 9, 0, 1);
        Compare.Close(OnnxRuntimeOracle.Run(path, x), OnnxImportTests.RunGpu(Context, model, x), OnnxImportTests.NetworkTolerance, path);
    }
}
