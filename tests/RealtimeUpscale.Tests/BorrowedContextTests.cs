using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// A host engine's device lent to the library with <see cref="GpuContextOptions.NeverSubmit"/>: the test
/// makes its own instance, device, queue and command buffer, and gives the library a function table that
/// counts every vkQueueSubmit, vkQueueWaitIdle and vkDeviceWaitIdle. Device memory is forced unmapped, so
/// every upload needs a staging copy, as on a discrete GPU.
/// </summary>
public sealed unsafe class BorrowedContextTests : IDisposable
{
    private readonly VulkanInstance _instance;
    private readonly Device _device;
    private readonly Queue _queue;
    private readonly uint _family;
    private readonly PhysicalDevice _physical;
    private readonly CommandPool _pool;

    public BorrowedContextTests()
    {
        _instance = new InstanceBuilder { EnableValidation = true }.Build();
        var vk = _instance.Vk;
        var selection = new DeviceSelector().Select(vk, _instance.Handle);
        _physical = selection.Device;
        _family = selection.QueueFamily;
        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo(queueFamilyIndex: _family, queueCount: 1, pQueuePriorities: &priority);
        var features = new PhysicalDeviceFeatures { ShaderStorageImageWriteWithoutFormat = selection.Traits.StorageImageWriteWithoutFormat };
        var info = new DeviceCreateInfo(queueCreateInfoCount: 1, pQueueCreateInfos: &queueInfo, pEnabledFeatures: &features);
        vk.CreateDevice(_physical, in info, null, out _device).Check("vkCreateDevice");
        vk.GetDeviceQueue(_device, _family, 0, out _queue);
        var poolInfo = new CommandPoolCreateInfo(queueFamilyIndex: _family);
        vk.CreateCommandPool(_device, in poolInfo, null, out _pool).Check("vkCreateCommandPool");
    }

    [Fact]
    public void NeverSubmitContextRecordsUploadsIntoTheHostsCommandBufferAndNeverSubmits()
    {
        var rng = new Random(31);
        var x = HostTensor.Random(rng, 3, 11, 13);
        var conv = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 5, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, 5 * 3 * 9), Bias = HostTensor.RandomFloats(rng, 5),
            Activation = Activation.PRelu(HostTensor.RandomFloats(rng, 5, -0.5, 0.5)),
        };
        var model = new ModelDefinition(new ModelInfo("test conv", ColorSpace.Rgb, 3, 1, "0-1", new Dictionary<string, string>()),
            "x", "y", new[] { new ModelNode("conv", conv, new[] { "x" }, "y") });
        var texels = new byte[4 * 3 * 4];
        rng.NextBytes(texels);

        using var counting = new CountingVulkan();
        var options = new GpuContextOptions { NeverSubmit = true, MapDeviceMemory = false };
        var context = GpuContext.Borrow(counting.Vk, _instance.Handle, _physical, _device, _queue, _family, options);
        Assert.False(context.DeviceMemoryIsMapped);

        // Weights, the input and an image upload all need copies; the image also its first transition.
        var network = new Network.Network(context, model);
        var binding = network.Bind(x.Shape);
        binding.Input.Upload(x.ToFloat());
        var image = new GpuImage(context, 4, 3, Format.R8G8B8A8Unorm);
        image.Upload(texels);
        Assert.False(binding.Input.Buffer.IsMapped);
        Assert.Equal(4, context.PendingTransferCount); // weights, input, image transition, image texels
        Assert.True(context.MemoryStatistics.Upload.BytesAllocated >= (ulong)(x.Data.Length * 4 + texels.Length));
        var download = new GpuBuffer(context, binding.Output.Shape.ByteSize, MemoryUsage.Download, BufferUsageFlags.TransferDstBit);
        var imageBack = new GpuBuffer(context, (ulong)texels.Length, MemoryUsage.Download, BufferUsageFlags.TransferDstBit);

        // Reads that need a copy, and blocking execution, are refused rather than submitted.
        Assert.Throws<InvalidOperationException>(() => binding.Output.Download());
        Assert.Throws<InvalidOperationException>(() => image.Download());
        var refused = Assert.Throws<InvalidOperationException>(() => context.Execute(_ => { }));
        Assert.Contains("NeverSubmit", refused.Message);

        // The host's frame 1: the recorder takes the pending transfers first, then the network and read-backs.
        var vk = _instance.Vk;
        var alloc = new CommandBufferAllocateInfo(commandPool: _pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        vk.AllocateCommandBuffers(_device, in alloc, out var cmd).Check("vkAllocateCommandBuffers");
        var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
        vk.BeginCommandBuffer(cmd, in begin).Check("vkBeginCommandBuffer");
        var recorder = new CommandRecorder(context, cmd, frameIndex: 1);
        Assert.Equal(0, context.PendingTransferCount);
        binding.Record(recorder);
        recorder.CopyBuffer(binding.Output.Buffer, download, binding.Output.Shape.ByteSize);
        recorder.CopyImageToBuffer(image, imageBack);
        recorder.BarrierToHost();
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
        var fenceInfo = new FenceCreateInfo(flags: FenceCreateFlags.None);
        vk.CreateFence(_device, in fenceInfo, null, out var fence).Check("vkCreateFence");
        var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
        vk.QueueSubmit(_queue, 1, in submit, fence).Check("vkQueueSubmit");

        // The staging buffers are retired at frame 1 and live until the host reports it complete.
        Assert.Equal(3, context.RetiredCount); // weights, input, image texels
        vk.WaitForFences(_device, 1, in fence, true, ulong.MaxValue).Check("vkWaitForFences");
        vk.DestroyFence(_device, fence, null);
        context.CompleteFrames(1);
        Assert.Equal(0, context.RetiredCount);
        Assert.Equal(0UL, context.MemoryStatistics.Upload.BytesAllocated);

        var result = new float[binding.Output.Shape.ElementCount];
        download.Read<float>(result);
        Compare.Close(CpuReference.Conv2d(x, conv), HostTensor.FromFloat(binding.Output.Shape, result));
        var back = new byte[texels.Length];
        imageBack.Read<byte>(back);
        Assert.Equal(texels, back);

        binding.Dispose();
        network.Dispose();
        image.Dispose();
        download.Dispose();
        imageBack.Dispose();
        context.Dispose();

        Assert.Equal(0, counting.Submits);
        Assert.Equal(0, counting.QueueWaits);
        Assert.Equal(0, counting.DeviceWaits);
        Assert.DoesNotContain(counting.Resolved, name => name.StartsWith("vkQueueSubmit", StringComparison.Ordinal));
        Assert.Empty(_instance.Validation!.Drain());
    }

    [Fact]
    public void UploadsAskedForWhileRecordingComeBeforeTheDispatchThatUsesThem()
    {
        // An upscaler builds some layers the first time it records: their weights must be copied before use.
        var x = HostTensor.Random(new Random(33), 2, 7, 5);
        var spec = new ScaleBiasSpec(new[] { 3f, -2f }, new[] { 0.25f, 1f });
        using var counting = new CountingVulkan();
        var context = GpuContext.Borrow(counting.Vk, _instance.Handle, _physical, _device, _queue, _family,
            new GpuContextOptions { NeverSubmit = true, MapDeviceMemory = false });
        var vk = _instance.Vk;
        var alloc = new CommandBufferAllocateInfo(commandPool: _pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        vk.AllocateCommandBuffers(_device, in alloc, out var cmd).Check("vkAllocateCommandBuffers");
        var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
        vk.BeginCommandBuffer(cmd, in begin).Check("vkBeginCommandBuffer");
        var recorder = new CommandRecorder(context, cmd, frameIndex: 4);

        var layer = Network.Layers.GpuLayer.Create(context, spec);
        var input = new GpuTensor(context, x.Shape, x.ToFloat());
        var output = new GpuTensor(context, x.Shape);
        var dispatch = layer.Bind(input, output);
        var download = new GpuBuffer(context, x.Shape.ByteSize, MemoryUsage.Download, BufferUsageFlags.TransferDstBit);
        Assert.Equal(2, context.PendingTransferCount);
        recorder.Dispatch(dispatch);
        Assert.Equal(0, context.PendingTransferCount);
        recorder.CopyBuffer(output.Buffer, download, x.Shape.ByteSize);
        recorder.BarrierToHost();
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
        var fenceInfo = new FenceCreateInfo(flags: FenceCreateFlags.None);
        vk.CreateFence(_device, in fenceInfo, null, out var fence).Check("vkCreateFence");
        var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
        vk.QueueSubmit(_queue, 1, in submit, fence).Check("vkQueueSubmit");
        vk.WaitForFences(_device, 1, in fence, true, ulong.MaxValue).Check("vkWaitForFences");
        vk.DestroyFence(_device, fence, null);
        context.CompleteFrames(4);

        var result = new float[x.Data.Length];
        download.Read<float>(result);
        Compare.Close(CpuReference.ScaleBias(x, spec), HostTensor.FromFloat(x.Shape, result));
        layer.Dispose();
        context.Dispose(); // the rest is the context's to destroy
        Assert.Equal(0, counting.Submits);
        Assert.Equal(0, counting.DeviceWaits);
        Assert.Empty(_instance.Validation!.Drain());
    }

    [Fact]
    public void ABorrowedContextNeverSubmitsUnlessTheHostAllowsIt()
    {
        using var counting = new CountingVulkan();
        using (var context = GpuContext.Borrow(counting.Vk, _instance.Handle, _physical, _device, _queue, _family))
        {
            Assert.True(context.NeverSubmit);
            var refused = Assert.Throws<InvalidOperationException>(() => context.Execute(_ => { }));
            Assert.Contains("NeverSubmit", refused.Message);
        }
        Assert.Equal(0, counting.Submits);
        Assert.Equal(0, counting.DeviceWaits);
    }

    [Fact]
    public void ABorrowedContextKeepsNoSpareMemoryUnlessAsked()
    {
        // The engine's memory is the engine's: an empty dedicated block is freed at once, unless the host allows
        // spares (GpuContextOptions.SpareMemory).
        foreach (var (options, spare) in new[] { (new GpuContextOptions(), 0UL), (new GpuContextOptions { SpareMemory = 256UL << 20 }, 100UL << 20) })
        {
            using var counting = new CountingVulkan();
            using var context = GpuContext.Borrow(counting.Vk, _instance.Handle, _physical, _device, _queue, _family, options);
            int blocks = context.MemoryStatistics.Blocks;
            new GpuBuffer(context, 100UL << 20).Dispose();
            Assert.Equal(spare, context.Memory.SpareBytes);
            Assert.Equal(blocks + (spare > 0 ? 1 : 0), context.MemoryStatistics.Blocks);
        }
    }

    [Fact]
    public void TheCountingTableSeesASubmissionWhenOneIsMade()
    {
        // The control for the test above: the same table counts the submission of a context that may submit.
        using var counting = new CountingVulkan();
        using (var context = GpuContext.Borrow(counting.Vk, _instance.Handle, _physical, _device, _queue, _family,
                   new GpuContextOptions { NeverSubmit = false }))
        {
            using var buffer = new GpuBuffer(context, 64);
            context.Execute(r => r.FillBuffer(buffer, 0x40000000u));
            var value = new float[1];
            buffer.Read<float>(value);
            Assert.Equal(2f, value[0]);
        }
        Assert.Equal(1, counting.Submits);
        Assert.Equal(0, counting.DeviceWaits);
        Assert.Empty(_instance.Validation!.Drain());
    }

    public void Dispose()
    {
        var vk = _instance.Vk;
        vk.DeviceWaitIdle(_device);
        vk.DestroyCommandPool(_device, _pool, null);
        vk.DestroyDevice(_device, null);
        var messages = _instance.Validation!.Drain();
        _instance.Dispose();
        Assert.True(messages.Count == 0, string.Join(Environment.NewLine, messages));
    }
}
