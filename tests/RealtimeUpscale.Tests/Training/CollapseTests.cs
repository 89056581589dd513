using System.Runtime.InteropServices;
using System.Text.Json;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests.Training;

/// <summary>
/// The trainer's over-parameterised networks (training/collapsible.py: SESR's collapsible linear blocks, ECBSR's
/// edge-oriented blocks, the three heads with their 1x1 expansions, the bicubic input residual) collapse exactly:
/// training/test_collapse.py builds each with random weights, exports the collapsed network to ONNX, checks the
/// graph in PyTorch and writes, for a random float32 input of odd size, the over-parameterised network's output
/// computed branch by branch in float64 and a first-order bound on float32 rounding of the exported network,
/// element by element (the bound is derived in that script). Here every exported model runs on the GPU pipeline
/// and must stay within that bound at every output element.
/// </summary>
public sealed class CollapseTests : GpuTest, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-collapse-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public CollapseTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu)
    {
        _output = output;
    }

    void IDisposable.Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
        Dispose();
    }

    private static T[] Read<T>(string path) where T : struct => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();

    [Fact]
    public void CollapsedNetworksOnTheGpuMatchTheirBranchesWithinTheFloat32Bound()
    {
        _output.WriteLine(TrainerProcess.Run(TimeSpan.FromMinutes(3), "training/test_collapse.py", "--out", _dir));
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "cases.json")));
        int checkedCases = 0;
        foreach (var c in cases.RootElement.GetProperty("cases").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            var model = ModelDefinition.Load(Path.Combine(_dir, c.GetProperty("model").GetString()!));
            foreach (var input in c.GetProperty("inputs").EnumerateArray())
            {
                string stem = Path.Combine(_dir, input.GetProperty("stem").GetString()!);
                int channels = input.GetProperty("channels").GetInt32();
                var x = HostTensor.FromFloat(new TensorShape(channels, input.GetProperty("height").GetInt32(), input.GetProperty("width").GetInt32()),
                    Read<float>(stem + ".input.f32"));
                double[] reference = Read<double>(stem + ".reference.f64");
                double[] bound = Read<double>(stem + ".bound.f64");
                var y = OnnxImportTests.RunGpu(Context, model, x);
                Assert.Equal(new TensorShape(channels, input.GetProperty("out_height").GetInt32(), input.GetProperty("out_width").GetInt32()), y.Shape);
                Assert.Equal(reference.Length, y.Data.Length);
                double worst = 0, largest = 0;
                for (int i = 0; i < reference.Length; i++)
                {
                    double error = Math.Abs(y.Data[i] - reference[i]);
                    Assert.True(error <= bound[i], $"{name}: element {i} errs by {error:E3}, bound {bound[i]:E3}");
                    worst = Math.Max(worst, error / bound[i]);
                    largest = Math.Max(largest, error);
                }
                _output.WriteLine($"{name}: GPU within {worst:E2} of the bound (largest error {largest:E2})");
                checkedCases++;
            }
        }
        Assert.Equal(10, checkedCases);
    }
}
