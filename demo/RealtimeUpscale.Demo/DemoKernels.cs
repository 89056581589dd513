using System.Runtime.InteropServices;
using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Demo;

/// <summary>The demo's own shaders (shaders/demo/*.comp), one descriptor each; none has constants besides its workgroup size.</summary>
internal static class DemoKernels
{
    /// <summary>scene.comp: the animated scene. Bindings: 0 the photograph (sampled), 1 the font, 2 the target (storage image).</summary>
    public static readonly KernelDescriptor<NoConstants, ScenePush> Scene = new(
        typeof(DemoKernels).Assembly, "scene", new WorkgroupSize(8, 8, 1),
        BindingKind.SampledImage, BindingKind.StorageBuffer, BindingKind.StorageImage);

    /// <summary>overlay.comp: one HUD text box. Bindings: 0 the font, 1 the text, 2 the target (storage image).</summary>
    public static readonly KernelDescriptor<NoConstants, OverlayPush> Overlay = new(
        typeof(DemoKernels).Assembly, "overlay", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageImage);

    /// <summary>wipe.comp: the split-screen wipe and loupe. Bindings: 0 left, 1 right (sampled), 2 the target (storage image).</summary>
    public static readonly KernelDescriptor<NoConstants, WipePush> Wipe = new(
        typeof(DemoKernels).Assembly, "wipe", new WorkgroupSize(8, 8, 1),
        BindingKind.SampledImage, BindingKind.SampledImage, BindingKind.StorageImage);

    /// <summary>
    /// ssd.comp: sums of squared differences, one per workgroup (its invocation count must be a power of two).
    /// Bindings: 0 and 1 the two images (sampled), 2 the sums.
    /// </summary>
    public static readonly KernelDescriptor<NoConstants, SsdPush> Ssd = new(
        typeof(DemoKernels).Assembly, "ssd", new WorkgroupSize(16, 16, 1),
        BindingKind.SampledImage, BindingKind.SampledImage, BindingKind.StorageBuffer);
}

/// <summary>Push constants of scene.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ScenePush
{
    public int Width, Height;
    public float ShiftX, ShiftY, Time, Pad0, Pad1, Pad2;
}

/// <summary>Push constants of overlay.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OverlayPush
{
    public int X, Y, Width, Height, TextOffset, Columns, Rows, Scale;
    public float Shade, Pad0, Pad1, Pad2;
}

/// <summary>Push constants of wipe.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WipePush
{
    public int Width, Height, CursorX, CursorY, Divider, Radius, Zoom, Pad0;
}

/// <summary>Push constants of ssd.comp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SsdPush
{
    public int Width, Height, Slot, Pad0;
}
