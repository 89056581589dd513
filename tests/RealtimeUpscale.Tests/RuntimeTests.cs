using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>The GPU runtime: device selection, ownership, memory, pipelines, barriers, timing, errors.</summary>
public sealed unsafe class RuntimeTests : GpuTest
{
    public RuntimeTests(GpuFixture gpu) : base(gpu)
    {
    }

    [Fact]
    public void PassTimingsOfOneLayerSumOnlyWhileConsecutive()
    {
        var merged = PassTiming.PerLabel(new[]
        {
            new PassTiming("a", 1), new PassTiming("b", 2), new PassTiming("b", 3.5), new PassTiming("b", 0.5), new PassTiming("a", 4),
        });
        Assert.Equal(new[] { new PassTiming("a", 1), new PassTiming("b", 6), new PassTiming("a", 4) }, merged);
        Assert.Empty(PassTiming.PerLabel(Array.Empty<PassTiming>()));
    }

    [Fact]
    public void DeviceReportExplainsTheChoice()
    {
        var chosen = Assert.Single(Context.Candidates, c => c.Chosen);
        Assert.Equal(Context.DeviceName, chosen.Name);
        Assert.True(chosen.Usable);
        Assert.All(Context.Candidates, c => Assert.False(string.IsNullOrWhiteSpace(c.Reason)));
        Assert.Contains("preferred", chosen.Reason);
    }

    [Fact]
    public void DeviceCanBeChosenByNameAndByIndex()
    {
        string fragment = Context.DeviceName.Split(' ')[0].ToUpperInvariant();
        using (var byName = GpuContext.Create(new GpuContextOptions { EnableValidation = true, Device = fragment }))
        {
            Assert.Equal(Context.DeviceName, byName.DeviceName);
            Assert.Contains("matches", byName.Candidates.Single(c => c.Chosen).Reason);
            Assert.Equal(0, byName.Validation!.Count);
        }
        int index = Context.Candidates.Single(c => c.Chosen).Index;
        using var byIndex = GpuContext.Create(new GpuContextOptions { EnableValidation = true, Device = index.ToString() });
        Assert.Equal(Context.DeviceName, byIndex.DeviceName);
    }

    [Fact]
    public void UnknownDeviceIsAClearErrorListingEveryDevice()
    {
        var e = Assert.Throws<GpuUnavailableException>(() =>
            GpuContext.Create(new GpuContextOptions { Device = "no-such-gpu-anywhere" }));
        Assert.Contains("no-such-gpu-anywhere", e.Message);
        Assert.Contains(Context.DeviceName, e.Message);
    }

    [Fact]
    public void BorrowedContextNeverDestroysTheEnginesDevice()
    {
        var spec = new ScaleBiasSpec(new[] { 2f }, new[] { 1f });
        var x = HostTensor.Random(new Random(1), 1, 5, 3);
        using (var borrowed = GpuContext.Borrow(Context.Vk, Context.Instance, Context.PhysicalDevice, Context.Device,
                   Context.Queue, Context.QueueFamilyIndex,
                   new GpuContextOptions { NeverSubmit = false }))
        {
            using var layer = GpuLayer.Create(borrowed, spec);
            using var input = new GpuTensor(borrowed, x.Shape, x.ToFloat());
            using var output = new GpuTensor(borrowed, x.Shape);
            using var dispatch = layer.Bind(input, output);
            borrowed.Execute(r => r.Dispatch(dispatch));
            Compare.Close(CpuReference.ScaleBias(x, spec), HostTensor.FromFloat(x.Shape, output.Download()));
        }
        // The engine's device must still work after the borrowed context is gone.
        Compare.Close(CpuReference.ScaleBias(x, spec), Gpu.Run(spec, x));
    }

    [Fact]
    public void RecordsIntoACommandBufferTheCallerOwns()
    {
        var spec = new ScaleBiasSpec(new[] { -1f, 3f }, new[] { 0.5f, 0f });
        var x = HostTensor.Random(new Random(2), 2, 7, 9);
        var vk = Context.Vk;
        var poolInfo = new CommandPoolCreateInfo(queueFamilyIndex: Context.QueueFamilyIndex);
        Assert.Equal(Result.Success, vk.CreateCommandPool(Context.Device, in poolInfo, null, out var pool));
        try
        {
            var alloc = new CommandBufferAllocateInfo(commandPool: pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
            Assert.Equal(Result.Success, vk.AllocateCommandBuffers(Context.Device, in alloc, out var cmd));
            using var layer = GpuLayer.Create(Context, spec);
            using var input = new GpuTensor(Context, x.Shape, x.ToFloat());
            using var output = new GpuTensor(Context, x.Shape);
            using var dispatch = layer.Bind(input, output);

            var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
            Assert.Equal(Result.Success, vk.BeginCommandBuffer(cmd, in begin));
            new CommandRecorder(Context, cmd).Dispatch(dispatch);
            Assert.Equal(Result.Success, vk.EndCommandBuffer(cmd));
            var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
            Assert.Equal(Result.Success, vk.QueueSubmit(Context.Queue, 1, in submit, default));
            Assert.Equal(Result.Success, vk.QueueWaitIdle(Context.Queue));
            Compare.Close(CpuReference.ScaleBias(x, spec), HostTensor.FromFloat(x.Shape, output.Download()));
        }
        finally
        {
            vk.DestroyCommandPool(Context.Device, pool, null);
        }
    }

    [Fact]
    public void BuffersShareMemoryBlocksAndKeepDedicatedOnesAsSpares()
    {
        int before = Context.MemoryStatistics.Blocks;
        var buffers = Enumerable.Range(0, 200).Select(i => new GpuBuffer(Context, 1000 + (ulong)i * 16)).ToList();
        int after = Context.MemoryStatistics.Blocks;
        Assert.True(after <= before + 1, $"200 small buffers took {after - before} new blocks.");
        for (int i = 0; i < buffers.Count; i++)
        {
            buffers[i].Write<float>(new[] { i + 0.5f });
        }
        for (int i = 0; i < buffers.Count; i++)
        {
            var value = new float[1];
            buffers[i].Read<float>(value);
            Assert.Equal(i + 0.5f, value[0]); // no two buffers overlap
        }
        buffers.ForEach(b => b.Dispose());

        // Dedicated blocks, in a context of their own (the shared one holds other tests' spares).
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        int blocks = context.MemoryStatistics.Blocks;
        using (var big = new GpuBuffer(context, 100UL << 20))
        {
            Assert.Equal(blocks + 1, context.MemoryStatistics.Blocks);
        }
        // The empty block stays as a spare, and the next request of about its size (at most a quarter less) takes it.
        Assert.Equal(blocks + 1, context.MemoryStatistics.Blocks);
        Assert.Equal(100UL << 20, context.Memory.SpareBytes);
        using (var again = new GpuBuffer(context, 90UL << 20))
        {
            Assert.Equal(blocks + 1, context.MemoryStatistics.Blocks);
            Assert.Equal(0UL, context.Memory.SpareBytes);
            using var other = new GpuBuffer(context, 70UL << 20); // far smaller than the spare: a block of its own
            Assert.Equal(blocks + 2, context.MemoryStatistics.Blocks);
        }
        Assert.Equal(170UL << 20, context.Memory.SpareBytes);
        using (var third = new GpuBuffer(context, 70UL << 20))
        {
            Assert.Equal(blocks + 2, context.MemoryStatistics.Blocks);
            Assert.Equal(100UL << 20, context.Memory.SpareBytes);
        }

        // Without spares (a borrowed device's default), an empty dedicated block is freed at once.
        using var without = GpuContext.Create(new GpuContextOptions { EnableValidation = true, SpareMemory = 0 });
        int none = without.MemoryStatistics.Blocks;
        using (var big = new GpuBuffer(without, 100UL << 20))
        {
            Assert.Equal(none + 1, without.MemoryStatistics.Blocks);
        }
        Assert.Equal(none, without.MemoryStatistics.Blocks);
        Assert.Equal(0UL, without.Memory.SpareBytes);
    }

    [Fact]
    public void PipelinesAreBuiltOncePerShaderAndConstants()
    {
        var spec = new PixelShuffleSpec(5, DepthToSpaceOrder.Dcr);
        using var a = GpuLayer.Create(Context, spec);
        int count = Context.Pipelines.Count;
        using var b = GpuLayer.Create(Context, spec);
        Assert.Equal(count, Context.Pipelines.Count);
        using var c = GpuLayer.Create(Context, new PixelShuffleSpec(5, DepthToSpaceOrder.Crd));
        Assert.Equal(count + 1, Context.Pipelines.Count);
    }

    [Fact]
    public void PipelineCacheBytesComeOutAndGoBackIn()
    {
        byte[] data;
        uint vendor;
        using (var first = GpuContext.Create(new GpuContextOptions { EnableValidation = true }))
        {
            using var layer = GpuLayer.Create(first, new PixelShuffleSpec(2));
            data = first.GetPipelineCacheData();
            vendor = first.Properties.VendorID;
        }
        // The bytes start with the driver's cache header: its length (at least 32), version one, the vendor.
        Assert.True(data.Length >= 32, $"{data.Length} bytes");
        Assert.True(BitConverter.ToUInt32(data, 0) >= 32);
        Assert.Equal(1u, BitConverter.ToUInt32(data, 4));
        Assert.Equal(vendor, BitConverter.ToUInt32(data, 8));
        using var second = GpuContext.Create(new GpuContextOptions { EnableValidation = true, PipelineCacheData = data });
        using var again = GpuLayer.Create(second, new PixelShuffleSpec(2));
        Assert.True(second.GetPipelineCacheData().Length >= data.Length);
        Assert.Equal(0, second.Validation!.Count);
    }

    [Fact]
    public void BarriersOnlyWhereAPassDependsOnAnEarlierOne()
    {
        var x = HostTensor.Random(new Random(3), 2, 5, 5);
        var spec = new ScaleBiasSpec(new[] { 2f, 2f }, new[] { 0f, 0f });
        using var layer = GpuLayer.Create(Context, spec);
        using var input = new GpuTensor(Context, x.Shape, x.ToFloat());
        using var t1 = new GpuTensor(Context, x.Shape);
        using var t2 = new GpuTensor(Context, x.Shape);
        using var t3 = new GpuTensor(Context, x.Shape);
        using var a = layer.Bind(input, t1);   // reads input
        using var b = layer.Bind(input, t2);   // independent of a
        using var c = layer.Bind(t1, t3);      // reads what a wrote
        int independent = -1, dependent = -1;
        Context.Execute(r =>
        {
            r.Dispatch(a);
            r.Dispatch(b);
            independent = r.BarrierCount;
            r.Dispatch(c);
            dependent = r.BarrierCount;
        });
        Assert.Equal(0, independent);
        Assert.Equal(1, dependent);
        var result = HostTensor.FromFloat(x.Shape, t3.Download());
        for (int i = 0; i < x.Data.Length; i++)
        {
            Assert.Equal(4 * x.Data[i], result.Data[i], 6);
        }
    }

    [Fact]
    public void WriteAfterReadGetsABarrier()
    {
        var x = HostTensor.Random(new Random(4), 1, 3, 3);
        using var layer = GpuLayer.Create(Context, new ScaleBiasSpec(new[] { 1f }, new[] { 1f }));
        using var t0 = new GpuTensor(Context, x.Shape, x.ToFloat());
        using var t1 = new GpuTensor(Context, x.Shape);
        using var read = layer.Bind(t0, t1);
        using var overwrite = layer.Bind(t1, t0); // writes t0, which `read` reads
        int barriers = -1;
        Context.Execute(r =>
        {
            r.Dispatch(read);
            r.Dispatch(overwrite);
            barriers = r.BarrierCount;
        });
        Assert.Equal(1, barriers);
        var result = t0.Download();
        for (int i = 0; i < x.Data.Length; i++)
        {
            Assert.Equal(x.Data[i] + 2, result[i], 5);
        }
    }

    [Fact]
    public void TimestampsGiveTimePerPass()
    {
        var x = HostTensor.Random(new Random(5), 8, 64, 64);
        var conv = new Conv2dSpec
        {
            InChannels = 8, OutChannels = 8, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(new Random(6), 8 * 8 * 9),
        };
        using var layer = GpuLayer.Create(Context, conv, "conv");
        using var input = new GpuTensor(Context, x.Shape, x.ToFloat());
        using var mid = new GpuTensor(Context, x.Shape);
        using var output = new GpuTensor(Context, x.Shape);
        using var first = layer.Bind(input, mid);
        using var second = layer.Bind(mid, output);
        using var timer = new GpuTimer(Context);
        Context.Execute(r =>
        {
            r.BeginTiming(timer);
            r.Dispatch(first);
            r.Dispatch(second);
        });
        var times = timer.Read();
        Assert.Equal(2, times.Count);
        Assert.All(times, t => Assert.Equal("conv", t.Label));
        Assert.All(times, t => Assert.InRange(t.Milliseconds, 1e-4, 10_000));
    }

    [Fact]
    public void VulkanErrorsNameTheCallResultAndLocation()
    {
        var e = Assert.Throws<VulkanException>(() => Result.ErrorOutOfDeviceMemory.Check("vkAllocateMemory"));
        Assert.Equal("vkAllocateMemory", e.Call);
        Assert.True(e.IsOutOfMemory);
        Assert.Contains("vkAllocateMemory failed with ErrorOutOfDeviceMemory", e.Message);
        Assert.Contains("RuntimeTests.cs:", e.Message);
        var inLayer = e.InLayer("deconv");
        Assert.Contains("layer 'deconv'", inLayer.Message);
    }

    [Fact]
    public void ValidationMessagesAreCaught()
    {
        // Proves the harness: a deliberately invalid call (a zero-sized buffer) must be reported.
        using var ctx = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var info = new BufferCreateInfo(size: 0, usage: BufferUsageFlags.StorageBufferBit);
        Silk.NET.Vulkan.Buffer buffer;
        ctx.Vk.CreateBuffer(ctx.Device, &info, null, &buffer);
        if (buffer.Handle != 0)
        {
            ctx.Vk.DestroyBuffer(ctx.Device, buffer, null);
        }
        var messages = ctx.Validation!.Drain();
        Assert.Contains(messages, m => m.Severity == "error" && m.Message.Contains("size", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void OversizedTensorIsRefusedWithTheLimit()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GpuTensor(Context, new TensorShape(64, 4096, 4096)));
        Assert.Contains("maxStorageBufferRange", e.Message);
    }

    [Fact]
    public void MismatchedOutputShapeNamesTheLayer()
    {
        using var layer = GpuLayer.Create(Context, new PixelShuffleSpec(2), "shuffle1");
        using var input = new GpuTensor(Context, new TensorShape(8, 3, 5));
        using var wrong = new GpuTensor(Context, new TensorShape(2, 3, 5));
        var e = Assert.Throws<ArgumentException>(() => layer.Bind(input, wrong));
        Assert.Contains("shuffle1", e.Message);
        Assert.Contains("2x6x10", e.Message);
    }

    [Fact]
    public void InvalidSpecsAreRejectedWithTheReason()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuLayer.Create(Context, new Conv2dSpec
        {
            InChannels = 3, OutChannels = 4, KernelH = 3, KernelW = 3, Weights = new float[10],
        }, "conv1"));
        Assert.Contains("conv1", e.Message);
        Assert.Contains("needs 108", e.Message);

        var nan = Assert.Throws<ArgumentException>(() => GpuLayer.Create(Context, new Conv2dSpec
        {
            InChannels = 1, OutChannels = 1, KernelH = 1, KernelW = 1, Weights = new[] { float.NaN },
        }));
        Assert.Contains("finite", nan.Message);

        Assert.Throws<ArgumentException>(() => GpuLayer.Create(Context, new ConvTranspose2dSpec
        {
            InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, StrideY = 2, StrideX = 2, OutputPaddingY = 2,
            Weights = new float[9],
        }));
        Assert.Throws<ArgumentException>(() => GpuLayer.Create(Context, new BlurPoolSpec(3, 8)));
    }

    [Fact]
    public void ReflectPaddingWiderThanTheInputIsRefused()
    {
        var spec = new Conv2dSpec
        {
            InChannels = 1, OutChannels = 1, KernelH = 9, KernelW = 9, Padding = Padding.All(4),
            PaddingMode = PaddingMode.Reflect, Weights = new float[81],
        };
        using var layer = GpuLayer.Create(Context, spec);
        using var input = new GpuTensor(Context, new TensorShape(1, 3, 20));
        using var output = new GpuTensor(Context, new TensorShape(1, 3, 20));
        var e = Assert.Throws<ArgumentException>(() => layer.Bind(input, output));
        Assert.Contains("reflect", e.Message);
    }

    [Fact]
    public void StagingPathMatchesDirectMapping()
    {
        // Discrete GPUs have no host-visible device memory; this forces their upload/download path here.
        using var staged = GpuContext.Create(new GpuContextOptions { EnableValidation = true, MapDeviceMemory = false });
        Assert.False(staged.DeviceMemoryIsMapped);
        var rng = new Random(8);
        var x = HostTensor.Random(rng, 3, 13, 7);
        var spec = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 4, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, 4 * 27), Bias = HostTensor.RandomFloats(rng, 4),
        };
        using (var layer = GpuLayer.Create(staged, spec))
        using (var input = new GpuTensor(staged, x.Shape, x.ToFloat()))
        using (var output = new GpuTensor(staged, layer.OutputShape(x.Shape)))
        using (var dispatch = layer.Bind(input, output))
        {
            Assert.False(input.Buffer.IsMapped);
            staged.Execute(r => r.Dispatch(dispatch));
            Compare.Close(CpuReference.Conv2d(x, spec), HostTensor.FromFloat(output.Shape, output.Download()));
            var partial = new float[5];
            input.Buffer.Read<float>(partial, byteOffset: 8);
            Assert.Equal(x.ToFloat().Skip(2).Take(5), partial);
        }
        Assert.Empty(staged.Validation!.Drain());
    }

    [Fact]
    public void LibraryReadsNoDeviceEnvironmentVariable()
    {
        // An embedding engine's device choice must not be overridden by the CLI's variable.
        string? before = Environment.GetEnvironmentVariable("RTUP_DEVICE");
        try
        {
            Environment.SetEnvironmentVariable("RTUP_DEVICE", "no-such-device-by-env");
            using var chosen = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
            Assert.Equal(Context.DeviceName, chosen.DeviceName);
            Assert.DoesNotContain("no-such-device-by-env", string.Join(" ", chosen.Candidates));
        }
        finally
        {
            Environment.SetEnvironmentVariable("RTUP_DEVICE", before);
        }
    }
}
