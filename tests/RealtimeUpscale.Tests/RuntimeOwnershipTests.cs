using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The context owns what it makes: live children are destroyed before the device, they refuse use
/// afterwards without touching Vulkan, retired objects wait for the frame the host reports, and memory
/// statistics follow every allocation.
/// </summary>
public sealed unsafe class RuntimeOwnershipTests
{
    [Fact]
    public void DisposingTheContextDestroysLiveChildrenFirstAndTheyThrowAfterwards()
    {
        var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var spec = new ScaleBiasSpec(new[] { 2f, -1f }, new[] { 0.5f, 0f });
        var x = HostTensor.Random(new Random(21), 2, 5, 6);
        var layer = GpuLayer.Create(context, spec);
        var input = new GpuTensor(context, x.Shape, x.ToFloat());
        var output = new GpuTensor(context, x.Shape);
        var dispatch = layer.Bind(input, output);
        var image = new GpuImage(context, 4, 3, Format.R8G8B8A8Unorm);
        var timer = new GpuTimer(context);
        var spare = new GpuBuffer(context, 256);
        context.Execute(r =>
        {
            r.BeginTiming(timer);
            r.Dispatch(dispatch);
        });
        Compare.Close(CpuReference.ScaleBias(x, spec), HostTensor.FromFloat(x.Shape, output.Download()));
        Assert.True(context.MemoryStatistics.Device.Allocations >= 5);
        var log = context.Validation!;
        Assert.Equal(0, log.Count);

        // Nothing above is disposed: the context must destroy it all before vkDestroyDevice, which the
        // validation layer checks (a leaked child is reported there as an error).
        context.Dispose();
        Assert.Empty(log.Drain());

        Assert.True(spare.IsDisposed && input.Buffer.IsDisposed && image.IsDisposed && dispatch.IsDisposed && timer.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => spare.Write<float>(new[] { 1f }));
        Assert.Throws<ObjectDisposedException>(() => input.Upload(x.ToFloat()));
        Assert.Throws<ObjectDisposedException>(() => output.Download());
        Assert.Throws<ObjectDisposedException>(() => image.Upload(new byte[4 * 3 * 4]));
        Assert.Throws<ObjectDisposedException>(() => image.Binding);
        Assert.Throws<ObjectDisposedException>(() => dispatch.Buffer(0, spare, write: false));
        Assert.Throws<ObjectDisposedException>(() => timer.Read());
        Assert.Throws<ObjectDisposedException>(() => new GpuBuffer(context, 16));
        Assert.Throws<ObjectDisposedException>(() => GpuLayer.Create(context, spec));
        Assert.Throws<ObjectDisposedException>(() => context.Execute(_ => { }));

        // Disposing after the context is a no-op that touches no destroyed device.
        dispatch.Dispose();
        input.Dispose();
        output.Dispose();
        image.Dispose();
        timer.Dispose();
        spare.Dispose();
        layer.Dispose();
        Assert.Empty(log.Drain());
    }

    [Fact]
    public void RetiredObjectsAreDestroyedOnlyAfterTheReportedFrame()
    {
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var vk = context.Vk;
        var poolInfo = new CommandPoolCreateInfo(queueFamilyIndex: context.QueueFamilyIndex);
        Assert.Equal(Result.Success, vk.CreateCommandPool(context.Device, in poolInfo, null, out var pool));
        try
        {
            var alloc = new CommandBufferAllocateInfo(commandPool: pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
            Assert.Equal(Result.Success, vk.AllocateCommandBuffers(context.Device, in alloc, out var cmd));
            var used = new GpuBuffer(context, 4096);
            var late = new GpuBuffer(context, 4096);
            ulong before = context.MemoryStatistics.Device.BytesAllocated;

            // The host records frame 7, which writes `used`, and submits it.
            var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
            Assert.Equal(Result.Success, vk.BeginCommandBuffer(cmd, in begin));
            var recorder = new CommandRecorder(context, cmd, frameIndex: 7);
            recorder.FillBuffer(used, 0x3F800000u);
            recorder.BarrierToHost();
            Assert.Equal(Result.Success, vk.EndCommandBuffer(cmd));
            var fenceInfo = new FenceCreateInfo(flags: FenceCreateFlags.None);
            Assert.Equal(Result.Success, vk.CreateFence(context.Device, in fenceInfo, null, out var fence));
            var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
            Assert.Equal(Result.Success, vk.QueueSubmit(context.Queue, 1, in submit, fence));
            Assert.Equal(7UL, context.NewestFrame);

            // Retired while frame 7 may still run: kept until the host reports frame 7 complete.
            context.DisposeWhenIdle(used);
            context.DisposeAfterFrame(late, 9);
            Assert.Equal(2, context.RetiredCount);
            context.CompleteFrames(6);
            Assert.False(used.IsDisposed);
            Assert.Equal(before, context.MemoryStatistics.Device.BytesAllocated);

            Assert.Equal(Result.Success, vk.WaitForFences(context.Device, 1, in fence, true, ulong.MaxValue));
            vk.DestroyFence(context.Device, fence, null);
            context.CompleteFrames(7);
            Assert.True(used.IsDisposed);
            Assert.False(late.IsDisposed);
            Assert.Equal(1, context.RetiredCount);
            Assert.True(context.MemoryStatistics.Device.BytesAllocated <= before - 4096);

            // A frame reported already: destroyed at once.
            var done = new GpuBuffer(context, 64);
            context.DisposeAfterFrame(done, 3);
            Assert.True(done.IsDisposed);
            // `late` waits for frame 9, which never comes: the context destroys it at dispose.
        }
        finally
        {
            vk.DestroyCommandPool(context.Device, pool, null);
        }
        Assert.Empty(context.Validation!.Drain());
    }

    [Fact]
    public void BlockingExecuteCompletesEarlierFramesOnAnOwnedDevice()
    {
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var buffer = new GpuBuffer(context, 256);
        context.DisposeWhenIdle(buffer);
        Assert.False(buffer.IsDisposed);
        context.Execute(_ => { });
        Assert.True(buffer.IsDisposed);
        Assert.Equal(0, context.RetiredCount);
        Assert.Empty(context.Validation!.Drain());
    }

    [Fact]
    public void MemoryStatisticsFollowAllocationsPerKind()
    {
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var start = context.MemoryStatistics;
        using (var big = new GpuBuffer(context, 3UL << 20))
        using (var staging = new GpuBuffer(context, 1UL << 20, MemoryUsage.Upload, BufferUsageFlags.TransferSrcBit))
        {
            var during = context.MemoryStatistics;
            Assert.InRange(during.Device.BytesAllocated - start.Device.BytesAllocated, 3UL << 20, (3UL << 20) + 4096);
            Assert.InRange(during.Upload.BytesAllocated - start.Upload.BytesAllocated, 1UL << 20, (1UL << 20) + 4096);
            Assert.Equal(start.Device.Allocations + 1, during.Device.Allocations);
            Assert.Equal(start.Upload.Allocations + 1, during.Upload.Allocations);
            Assert.True(during.Upload.Blocks >= 1 && during.Upload.BytesReserved >= during.Upload.BytesAllocated);
            Assert.Equal(during.Device.BytesAllocated + during.Upload.BytesAllocated + during.Download.BytesAllocated,
                during.BytesAllocated);
        }
        var end = context.MemoryStatistics;
        Assert.Equal(start.Device.BytesAllocated, end.Device.BytesAllocated);
        Assert.Equal(start.Upload.BytesAllocated, end.Upload.BytesAllocated);
        Assert.True(end.Device.PeakBytesAllocated >= start.Device.BytesAllocated + (3UL << 20));
        Assert.True(end[MemoryUsage.Upload].PeakBytesAllocated >= 1UL << 20);
    }
}
