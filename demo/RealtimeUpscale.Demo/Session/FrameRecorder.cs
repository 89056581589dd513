using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>
/// Records and submits one frame into a frame slot's command buffer: the view's passes (timed by pass group), the
/// canvas blitted onto the screen image, the HUD text, and with a window the screen blitted into the acquired
/// swapchain image, which the submission waits for and presents from.
/// </summary>
internal sealed unsafe class FrameRecorder
{
    private readonly VulkanHost _host;
    private readonly GpuContext _gpu;
    private readonly DemoGpu _demo;
    private readonly HudRenderer _hud;
    private readonly Swapchain? _swap;

    public FrameRecorder(VulkanHost host, GpuContext gpu, DemoGpu demo, HudRenderer hud, Swapchain? swap)
    {
        _host = host;
        _gpu = gpu;
        _demo = demo;
        _hud = hud;
        _swap = swap;
    }

    /// <summary>Records the frame; the slot's fence has signalled, so its command buffer and HUD text are free.</summary>
    public void Record(FrameSlot f, uint imageIndex, ViewPlan plan, GpuImage screen, FrameInput input, IReadOnlyList<TextBox> boxes)
    {
        var vk = _host.Vk;
        var cmd = f.Command.Handle;
        vk.ResetCommandBuffer(cmd, 0).Check("vkResetCommandBuffer");
        var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
        vk.BeginCommandBuffer(cmd, in begin).Check("vkBeginCommandBuffer");
        var r = new CommandRecorder(_gpu, cmd);
        // The views' images are shared by the frames in flight: order this frame after the previous one.
        r.Barrier();
        f.Groups.Start(r);
        r.BeginTiming(f.Timer);
        plan.Record(r, f.Groups, input);
        f.Groups.Run(r, "blit", () => _demo.Blit(r, plan.Canvas, screen));
        f.Groups.Run(r, "hud", () => _hud.Record(r, input.Slot, boxes));
        r.EndTiming();
        r.Barrier();
        if (_swap is not null)
        {
            var target = _swap.Images[imageIndex];
            Transition(cmd, target, ImageLayout.Undefined, ImageLayout.TransferDstOptimal, 0, AccessFlags.TransferWriteBit,
                PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit);
            _demo.Blit(r, screen, target, _swap.Width, _swap.Height);
            Transition(cmd, target, ImageLayout.TransferDstOptimal, ImageLayout.PresentSrcKhr, AccessFlags.TransferWriteBit, 0,
                PipelineStageFlags.TransferBit, PipelineStageFlags.BottomOfPipeBit);
        }
        r.BarrierToHost();
        vk.EndCommandBuffer(cmd).Check("vkEndCommandBuffer");
    }

    private void Transition(CommandBuffer cmd, Image image, ImageLayout from, ImageLayout to, AccessFlags srcAccess,
        AccessFlags dstAccess, PipelineStageFlags srcStage, PipelineStageFlags dstStage)
    {
        var barrier = new ImageMemoryBarrier(srcAccessMask: srcAccess, dstAccessMask: dstAccess, oldLayout: from, newLayout: to,
            srcQueueFamilyIndex: Vk.QueueFamilyIgnored, dstQueueFamilyIndex: Vk.QueueFamilyIgnored, image: image,
            subresourceRange: new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1));
        _host.Vk.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 0, null, 0, null, 1, &barrier);
    }

    /// <summary>Submits the recorded frame, signalling the slot's fence; with a window, after the image is acquired.</summary>
    public void Submit(FrameSlot f, uint imageIndex)
    {
        var cmd = f.Command.Handle;
        if (_swap is null)
        {
            var plain = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
            _host.Vk.QueueSubmit(_host.Queue, 1, in plain, f.Fence.Handle).Check("vkQueueSubmit");
            return;
        }
        var wait = f.ImageAvailable;
        var signal = _swap.RenderFinished(imageIndex);
        var stage = PipelineStageFlags.TransferBit;
        var info = new SubmitInfo(waitSemaphoreCount: 1, pWaitSemaphores: &wait, pWaitDstStageMask: &stage,
            commandBufferCount: 1, pCommandBuffers: &cmd, signalSemaphoreCount: 1, pSignalSemaphores: &signal);
        _host.Vk.QueueSubmit(_host.Queue, 1, in info, f.Fence.Handle).Check("vkQueueSubmit");
    }
}
