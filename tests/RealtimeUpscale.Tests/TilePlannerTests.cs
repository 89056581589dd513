using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Tests.Ncnn;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The memory plan a binding allocates by, and automatic tiling sized from it: one tile where the image fits the
/// budget and the binding limit (no statistics passes for squeeze-excitation models), otherwise the fitting grid
/// that computes the fewest pixels, whose output still equals the untiled one.
/// </summary>
public sealed class TilePlannerTests : GpuTest
{
    public TilePlannerTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static Conv2dSpec Pointwise(int cin, int cout) => new()
    {
        InChannels = cin, OutChannels = cout, KernelH = 1, KernelW = 1, Weights = new float[cin * cout],
    };

    private static readonly ModelInfo ChainInfo = new("chain", ColorSpace.Y, 1, 1, "0-1", new Dictionary<string, string>());

    /// <summary>in (1 channel) -> a (8) -> b (4) -> c (8) -> out (2), 1x1 convolutions (zero weights unless given).</summary>
    private static ModelDefinition Chain(Func<int, int, float[]>? weights = null)
    {
        ModelNode Node(string name, int cin, int cout, string input) =>
            new(name, Pointwise(cin, cout) with { Weights = weights?.Invoke(cin, cout) ?? new float[cin * cout] }, new[] { input }, name);
        return new ModelDefinition(ChainInfo, "in", "out", new[] { Node("a", 1, 8, "in"), Node("b", 8, 4, "a"), Node("c", 4, 8, "b"), Node("out", 8, 2, "c") });
    }

    [Fact]
    public void MemoryPlanSharesBuffersOnceTheirLastReaderHasRun()
    {
        // in (1 channel) -> a (8) -> b (4) -> c (8) -> out (2): a's buffer is free once b has read it, so c takes it;
        // the output has a tensor of its own. Live at once: in, one 8-channel and one 4-channel buffer, out.
        var model = Chain();
        const int h = 30, w = 50;
        var plan = new MemoryPlan(model, new TensorShape(1, h, w));
        const ulong plane = h * w * sizeof(float);
        Assert.Equal((1 + 8 + 4 + 2) * plane, plan.Bytes);
        Assert.Equal(8 * plane, plan.LargestTensorBytes);
        Assert.Equal(new[] { 8 * plane, 4 * plane }, plan.BufferSizes);
        Assert.Equal(plan.Slot(0), plan.Slot(2));
        Assert.Equal(MemoryPlan.OwnTensor, plan.Slot(3));
        // The sum of all values, which sizing used to count, is half as much again.
        Assert.Equal((1 + 8 + 4 + 8 + 2) * plane, plan.Shapes.Values.Aggregate(0UL, (s, t) => s + t.ByteSize));
    }

    [Fact]
    public void MemoryPlanRunsOnlyWhatTheOutputAndKeptValuesNeed()
    {
        // in -> a -> b -> c -> out with b supplied: a is read by nothing that runs, so it neither runs nor has a
        // tensor; c is kept, so it has a tensor of its own; b, supplied, has one and does not run.
        var model = Chain();
        const int h = 30, w = 50;
        const ulong plane = h * w * sizeof(float);
        var plan = new MemoryPlan(model, new TensorShape(1, h, w), supplied: new[] { "b" }, kept: new[] { "c" });
        Assert.Equal(new[] { false, false, true, true }, Enumerable.Range(0, 4).Select(plan.Runs));
        Assert.Equal(new[] { MemoryPlan.Absent, MemoryPlan.OwnTensor, MemoryPlan.OwnTensor, MemoryPlan.OwnTensor },
            Enumerable.Range(0, 4).Select(plan.Slot));
        Assert.Empty(plan.BufferSizes);
        Assert.Equal((1 + 4 + 8 + 2) * plane, plan.Bytes);

        // Bound on the GPU: the supplied value in, the kept value and the output read back, computed from b alone.
        var weights = new Random(3);
        var real = Chain((cin, cout) => HostTensor.RandomFloats(weights, cin * cout, -1, 1));
        using var network = new RealtimeUpscale.Network.Network(Context, real);
        using var binding = network.Bind(real, new TensorShape(1, 5, 7), supplied: new[] { "b" }, kept: new[] { "c" });
        var b = HostTensor.RandomFloats(weights, 4 * 35, -1, 1);
        binding.Supplied("b").Upload(b);
        Context.Execute(binding.Record);
        var bTensor = new HostTensor(4, 5, 7);
        for (int i = 0; i < b.Length; i++)
        {
            bTensor.Data[i] = b[i];
        }
        var c = CpuReference.Run(new ModelDefinition(ChainInfo, "b", "c", new[] { real.Nodes[2] }), bTensor);
        var output = CpuReference.Run(new ModelDefinition(ChainInfo, "b", "out", new[] { real.Nodes[2], real.Nodes[3] }), bTensor);
        AssertClose(c.Data, binding.Kept("c").Download());
        AssertClose(output.Data, binding.Output.Download());
        Assert.Throws<ArgumentException>(() => binding.Supplied("a"));
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst < 1e-5, $"differs from the CPU reference by {worst:E2}");
    }

    [Fact]
    public void ResumedPassesComputeEveryValueOnceAndTakeBackOnlyWhatEarlierPassesSaved()
    {
        foreach (var model in new[]
        {
            SqueezeExcitationTilingTests.Synthetic(1),
            ModelDefinition.Load(NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param")),
            ModelDefinition.Load(NcnnImportTests.PeerModel("waifu2x", "models-cunet", "scale2.0x_model.param")),
        })
        {
            var graph = new UpscalingGraph(model).Build(64, 64, keepAlpha: true, grey: false).Graph;
            var blocks = WholeImageStatistics.Blocks(graph);
            var passes = WholeImageStatistics.Resumed(graph)!;
            Assert.Equal(blocks.Count + 1, passes.Count);
            var means = blocks.Select(b => b.Mean).ToHashSet();
            var computed = new List<string>();
            var saved = new HashSet<string>();
            for (int k = 0; k < passes.Count; k++)
            {
                var pass = passes[k];
                var plan = new MemoryPlan(pass.Graph, new TensorShape(4, 64, 64),
                    pass.Means.Select(b => blocks[b].Mean).Concat(pass.Restored).ToArray(), pass.Saved);
                var runs = pass.Graph.Nodes.Where((n, i) => plan.Runs(i)).Select(n => n.Output).ToList();
                // A pass takes back only what an earlier pass saved, and is given only the means of earlier blocks.
                Assert.All(pass.Restored, v => Assert.Contains(v, saved));
                Assert.All(pass.Means, b => Assert.True(b < k, $"pass {k} is given block {b}'s means"));
                Assert.Equal(k < blocks.Count ? blocks[k].Pooled : graph.Output, pass.Graph.Output);
                computed.AddRange(runs);
                saved.UnionWith(pass.Saved);
                Assert.All(pass.Saved, v => Assert.Contains(v, runs));
            }
            // Every node of the graph but the tiles' own means runs exactly once over the passes.
            var expected = graph.Nodes.Select(n => n.Output).Where(v => !means.Contains(v)).OrderBy(v => v, StringComparer.Ordinal);
            Assert.Equal(expected, computed.OrderBy(v => v, StringComparer.Ordinal));
            // The recomputing passes run each block's prefix again: more node runs than the graph has.
            int recomputed = blocks.Select((_, k) => WholeImageStatistics.UpTo(graph, k).Nodes.Count).Sum() + graph.Nodes.Count;
            Assert.True(recomputed > computed.Count + graph.Nodes.Count / 2, $"{model.Info.Source}: {recomputed} node runs recomputing, {computed.Count} kept");
        }
    }

    [Fact]
    public void MemoryPlanIsWhatTheBindingAllocates()
    {
        var model = SqueezeExcitationTilingTests.Synthetic(1);
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        using var network = new UpscalingNetwork(context, model);
        // What the binding allocates beyond the plan at two sizes: the same few buffers of its own layers, whatever
        // the size, so every byte that grows with the size is the plan's.
        (ulong Allocated, MemoryPlan Plan) Bind(int w, int h)
        {
            var graph = network.Graphs.Build(w, h, keepAlpha: true, grey: false);
            var shape = new TensorShape(ImageToTensor.ChannelCount(graph.Input), h, w);
            // What a context makes once, on first use, is made before measuring.
            network.Network.Bind(graph.Graph, shape).Dispose();
            ulong before = context.MemoryStatistics.BytesAllocated;
            using var binding = network.Network.Bind(graph.Graph, shape);
            return (context.MemoryStatistics.BytesAllocated - before, new MemoryPlan(graph.Graph, shape));
        }
        var small = Bind(45, 37);
        var large = Bind(203, 151);
        Assert.True(large.Plan.Bytes > 10 * small.Plan.Bytes);
        // The allocator rounds each buffer's size up a little (well under a kilobyte).
        long slack = (large.Plan.BufferSizes.Count + 8) * 1024L;
        Assert.InRange((long)(large.Allocated - large.Plan.Bytes) - (long)(small.Allocated - small.Plan.Bytes), -slack, slack);
        Assert.InRange(small.Allocated, small.Plan.Bytes, small.Plan.Bytes + (1UL << 20));
        Assert.True(large.Plan.Bytes < large.Plan.Shapes.Values.Aggregate(0UL, (s, t) => s + t.ByteSize),
            $"the plan's {large.Plan.Bytes} bytes should be below the sum of the values");
        Assert.Empty(context.Validation!.Drain());
    }

    private static byte[] Picture(int w, int h, int seed)
    {
        var pixels = new byte[w * h * 3];
        var rng = new Random(seed);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    // Halves that differ, so that a tile's own averages are not the image's.
                    pixels[(y * w + x) * 3 + c] = (byte)Math.Clamp((x < w / 2 ? 60 : 190) + 40 * Math.Sin((x + 2 * y + c) * 0.4) + rng.Next(-20, 21), 0, 255);
                }
            }
        }
        return pixels;
    }

    private byte[] Untiled(ModelDefinition model, byte[] pixels, int w, int h)
    {
        using var upscaler = new Upscaler(Context, model, w, h);
        return upscaler.Upscale(pixels, PixelFormat.Rgb);
    }

    [Fact]
    public void SqueezeExcitationModelThatFitsRunsAsOneTileWithoutStatisticsPasses()
    {
        var model = SqueezeExcitationTilingTests.Synthetic(1);
        const int w = 120, h = 37;
        var pixels = Picture(w, h, 2);
        using var tiler = TiledUpscaler.WithBudget(Context, model, 1UL << 30);
        var needs = tiler.Planner!.TileNeeds(w, h);
        Assert.True(needs.Bytes < 1UL << 30);
        Assert.Equal((120, 38), tiler.Planner.Choose(w, h)); // the side rounded up to the model's stride of 2
        var progress = new List<double>();
        var result = tiler.Upscale(pixels, w, h, PixelFormat.Rgb, progress.Add);
        // One pass: the image's own averages, so the very bytes of an untiled run, and no statistics passes.
        Assert.Equal(Untiled(model, pixels, w, h), result);
        Assert.Equal(new[] { 1.0 }, progress);
        Assert.Equal(1, tiler.UpscalerCount);
    }

    [Fact]
    public void ImageBeyondTheBudgetTakesTheFittingGridOfLeastCostAndEqualsUntiled()
    {
        var model = SqueezeExcitationTilingTests.Synthetic(1);
        const int w = 120, h = 37;
        var pixels = Picture(w, h, 3);
        ulong whole;
        using (var probe = TiledUpscaler.WithBudget(Context, model, 1UL << 30))
        {
            whole = probe.Planner!.TileNeeds(w, h).Bytes;
        }
        // One byte short of the whole image. Two columns compute fewer pixels than two bands (their seam is 37
        // rows long, not 120 columns): each column 60 of its own plus the overlap on one side. Their rows of 60
        // and more fill a CPU device's SIMD lanes about as well as rows of 120 (see GridCostWeighsRowsByTheirWidth
        // for an image where they do not).
        using var tiler = TiledUpscaler.WithBudget(Context, model, whole - 1);
        var expected = (60, 38);
        Assert.Equal(expected, tiler.Planner!.Choose(w, h));
        Assert.True(tiler.Planner.TileNeeds(Math.Min(w, expected.Item1 + tiler.Overlap), Math.Min(h, expected.Item2 + tiler.Overlap)).Bytes <= whole - 1);
        var progress = new List<double>();
        var result = tiler.Upscale(pixels, w, h, PixelFormat.Rgb, progress.Add);
        Assert.Equal(expected, (tiler.TileWidth, tiler.TileHeight));
        // Two statistics passes (one per block) before the final one.
        Assert.True(progress.Count > 2 && progress[0] < 1.0 / 3 + 1e-9, $"progress {string.Join(", ", progress)}");
        var untiled = Untiled(model, pixels, w, h);
        int worst = Enumerable.Range(0, untiled.Length).Max(i => Math.Abs(untiled[i] - result[i]));
        Assert.True(worst <= 1, $"tiled output differs from untiled by {worst} levels");
    }

    [Fact]
    public void ValueBeyondOneBindingSplitsTheImage()
    {
        var model = SqueezeExcitationTilingTests.Synthetic(1);
        const int w = 120, h = 37;
        using var probe = TiledUpscaler.WithBudget(Context, model, 1UL << 30);
        ulong largest = probe.Planner!.TileNeeds(w, h).Largest;
        using var tiler = TiledUpscaler.WithBudget(Context, model, 1UL << 30, bindingLimit: largest - 1);
        var (tw, th) = tiler.Planner!.Choose(w, h);
        Assert.Equal((60, 38), (tw, th));
        Assert.True(tiler.Planner.TileNeeds(Math.Min(w, tw + tiler.Overlap), Math.Min(h, th + tiler.Overlap)).Largest < largest); // the first tile's input
    }

    [Fact]
    public void RealCuganAtQuarterHdRunsInTwoTilesWhereItsLargestValueExceedsTheBinding()
    {
        // Real-CUGAN se x2 at 480x270: the second U-Net's 64-channel value at twice the framed input's size is
        // over 128 MiB (lavapipe's maxStorageBufferRange), everything else fits a 1 GiB budget. Two columns of 240
        // compute the fewest multiply-adds, and their rows fill a CPU device's SIMD lanes nearly as well as rows
        // of 480 (lavapipe, one tile each: 259x270 in 4.26 s of GPU time, 480x155 in 4.07 s), so they are chosen
        // on every device (the old sizing, from the sum of every value, made six tiles of 176).
        var model = ModelDefinition.Load(NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param"));
        using var tiler = TiledUpscaler.WithBudget(Context, model, 1UL << 30, bindingLimit: 128UL << 20);
        var whole = tiler.Planner!.TileNeeds(480, 270);
        Assert.True(whole.Largest > 128UL << 20 && whole.Bytes < 1UL << 30, $"{whole}");
        Assert.Equal((240, 272), tiler.Planner.Choose(480, 270));
    }

    [Fact]
    public void GridCostWeighsRowsByTheirWidth()
    {
        // The same planner with every row alike (a GPU's cost) and with CPU devices' width cost: narrow rows fill
        // fewer SIMD lanes, so the CPU cost turns two columns of 46 into two bands of 90, and a row's cost falls
        // with its width.
        var model = SqueezeExcitationTilingTests.Synthetic(1);
        var graphs = new UpscalingGraph(model);
        using var probe = TiledUpscaler.WithBudget(Context, model, 1UL << 30);
        ulong largest = probe.Planner!.TileNeeds(90, 37).Largest;
        var cpu = new KernelTuning { CpuStyle = true };
        var flat = new TilePlanner(graphs, probe.Overlap, 8, 2, 2, 1UL << 30, largest - 1);
        var weighed = new TilePlanner(graphs, probe.Overlap, 8, 2, 2, 1UL << 30, largest - 1, cpu.WidthCost);
        Assert.Equal((46, 38), flat.Choose(90, 37));
        Assert.Equal((90, 20), weighed.Choose(90, 37));
        Assert.Equal(1.0, new KernelTuning { CpuStyle = false }.WidthCost(37));
        Assert.True(cpu.WidthCost(37) > cpu.WidthCost(500) && cpu.WidthCost(500) >= 1.0 && cpu.WidthCost(4096) < 1.05,
            $"width costs {cpu.WidthCost(37)}, {cpu.WidthCost(500)}, {cpu.WidthCost(4096)}");
    }
}
