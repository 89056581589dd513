using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using VkSemaphore = Silk.NET.Vulkan.Semaphore;

namespace RealtimeUpscale.Demo;

/// <summary>
/// The window's swapchain: images the demo blits its finished frame into, and one "render finished"
/// semaphore per image (a present may still wait on the semaphore of an image the next frame does not
/// use). <see cref="Recreate"/> rebuilds it after a resize or an out-of-date result; the caller waits for
/// the device to be idle first.
/// </summary>
internal sealed unsafe class Swapchain : IDisposable
{
    private readonly VulkanHost _host;
    private SwapchainKHR _handle;
    private OwnedSemaphore[] _renderFinished = Array.Empty<OwnedSemaphore>();

    public Swapchain(VulkanHost host, int width, int height, bool vsync)
    {
        _host = host;
        Vsync = vsync;
        Recreate(width, height);
    }

    public bool Vsync { get; }
    public Image[] Images { get; private set; } = Array.Empty<Image>();
    public Format Format { get; private set; }
    public int Width { get; private set; }
    public int Height { get; private set; }
    public PresentModeKHR PresentMode { get; private set; }

    public VkSemaphore RenderFinished(uint image) => _renderFinished[image].Handle;

    public void Recreate(int width, int height)
    {
        var vk = _host.Vk;
        SurfaceCapabilitiesKHR caps;
        _host.GetSurfaceCapabilities(_host.PhysicalDevice, _host.Surface, &caps).Check("vkGetPhysicalDeviceSurfaceCapabilitiesKHR");
        if ((caps.SupportedUsageFlags & ImageUsageFlags.TransferDstBit) == 0)
        {
            throw new GpuUnavailableException($"{_host.DeviceName}: the window surface cannot be a blit destination.");
        }
        var extent = caps.CurrentExtent.Width != uint.MaxValue ? caps.CurrentExtent
            : new Extent2D(Math.Clamp((uint)width, caps.MinImageExtent.Width, caps.MaxImageExtent.Width),
                           Math.Clamp((uint)height, caps.MinImageExtent.Height, caps.MaxImageExtent.Height));
        uint count = caps.MinImageCount + 1;
        if (caps.MaxImageCount != 0)
        {
            count = Math.Min(count, caps.MaxImageCount);
        }
        var surfaceFormat = ChooseFormat();
        PresentMode = ChoosePresentMode();
        var old = _handle;
        var info = new SwapchainCreateInfoKHR(
            surface: _host.Surface, minImageCount: count, imageFormat: surfaceFormat.Format,
            imageColorSpace: surfaceFormat.ColorSpace, imageExtent: extent, imageArrayLayers: 1,
            imageUsage: ImageUsageFlags.TransferDstBit, imageSharingMode: SharingMode.Exclusive,
            preTransform: caps.CurrentTransform, compositeAlpha: ChooseAlpha(caps.SupportedCompositeAlpha),
            presentMode: PresentMode, clipped: true, oldSwapchain: old);
        SwapchainKHR created;
        _host.CreateSwapchain(_host.Device, &info, null, &created).Check("vkCreateSwapchainKHR");
        DestroyHandles();
        if (old.Handle != 0)
        {
            _host.DestroySwapchain(_host.Device, old, null);
        }
        _handle = created;
        Format = surfaceFormat.Format;
        Width = (int)extent.Width;
        Height = (int)extent.Height;
        uint n = 0;
        _host.GetSwapchainImages(_host.Device, _handle, &n, null).Check("vkGetSwapchainImagesKHR");
        var images = new Image[n];
        fixed (Image* p = images)
        {
            _host.GetSwapchainImages(_host.Device, _handle, &n, p).Check("vkGetSwapchainImagesKHR");
        }
        Images = images;
        _renderFinished = new OwnedSemaphore[n];
        for (int i = 0; i < n; i++)
        {
            _renderFinished[i] = new OwnedSemaphore(vk, _host.Device);
        }
    }

    /// <summary>Acquires the next image; returns false when the swapchain is out of date and must be recreated.</summary>
    public bool Acquire(VkSemaphore signal, out uint index)
    {
        uint i = 0;
        var r = _host.AcquireNextImage(_host.Device, _handle, ulong.MaxValue, signal, default, &i);
        index = i;
        if (r == Result.ErrorOutOfDateKhr)
        {
            return false;
        }
        if (r != Result.SuboptimalKhr)
        {
            r.Check("vkAcquireNextImageKHR");
        }
        return true;
    }

    /// <summary>Presents image <paramref name="index"/>; returns false when the swapchain should be recreated.</summary>
    public bool Present(uint index)
    {
        var wait = _renderFinished[index].Handle;
        var handle = _handle;
        var info = new PresentInfoKHR(waitSemaphoreCount: 1, pWaitSemaphores: &wait, swapchainCount: 1,
            pSwapchains: &handle, pImageIndices: &index);
        var r = _host.QueuePresent(_host.Queue, &info);
        if (r is Result.ErrorOutOfDateKhr or Result.SuboptimalKhr)
        {
            return false;
        }
        r.Check("vkQueuePresentKHR");
        return true;
    }

    private SurfaceFormatKHR ChooseFormat()
    {
        uint n = 0;
        _host.GetSurfaceFormats(_host.PhysicalDevice, _host.Surface, &n, null).Check("vkGetPhysicalDeviceSurfaceFormatsKHR");
        var formats = new SurfaceFormatKHR[n];
        fixed (SurfaceFormatKHR* p = formats)
        {
            _host.GetSurfaceFormats(_host.PhysicalDevice, _host.Surface, &n, p).Check("vkGetPhysicalDeviceSurfaceFormatsKHR");
        }
        // The frame holds display-encoded 8-bit values, so a UNORM target shows them as they are.
        foreach (var wanted in new[] { Format.B8G8R8A8Unorm, Format.R8G8B8A8Unorm })
        {
            foreach (var f in formats)
            {
                if (f.Format == wanted && f.ColorSpace == ColorSpaceKHR.SpaceSrgbNonlinearKhr)
                {
                    return f;
                }
            }
        }
        return formats.Length > 0 ? formats[0] : throw new GpuUnavailableException("The window surface offers no formats.");
    }

    private PresentModeKHR ChoosePresentMode()
    {
        if (Vsync)
        {
            return PresentModeKHR.FifoKhr;
        }
        uint n = 0;
        _host.GetPresentModes(_host.PhysicalDevice, _host.Surface, &n, null).Check("vkGetPhysicalDeviceSurfacePresentModesKHR");
        var modes = new PresentModeKHR[n];
        fixed (PresentModeKHR* p = modes)
        {
            _host.GetPresentModes(_host.PhysicalDevice, _host.Surface, &n, p).Check("vkGetPhysicalDeviceSurfacePresentModesKHR");
        }
        // Unthrottled modes show the demo's real frame rate; FIFO is always there.
        foreach (var wanted in new[] { PresentModeKHR.MailboxKhr, PresentModeKHR.ImmediateKhr })
        {
            if (Array.IndexOf(modes, wanted) >= 0)
            {
                return wanted;
            }
        }
        return PresentModeKHR.FifoKhr;
    }

    private static CompositeAlphaFlagsKHR ChooseAlpha(CompositeAlphaFlagsKHR supported) =>
        (supported & CompositeAlphaFlagsKHR.OpaqueBitKhr) != 0 ? CompositeAlphaFlagsKHR.OpaqueBitKhr
        : (supported & CompositeAlphaFlagsKHR.InheritBitKhr) != 0 ? CompositeAlphaFlagsKHR.InheritBitKhr
        : (CompositeAlphaFlagsKHR)((int)supported & -(int)supported);

    private void DestroyHandles()
    {
        foreach (var s in _renderFinished)
        {
            s?.Dispose();
        }
        _renderFinished = Array.Empty<OwnedSemaphore>();
    }

    public void Dispose()
    {
        DestroyHandles();
        if (_handle.Handle != 0)
        {
            _host.DestroySwapchain(_host.Device, _handle, null);
            _handle = default;
        }
    }
}
