using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/concat.comp: channel concatenation of two tensors; one invocation per output element.</summary>
public static class ConcatKernel
{
    /// <summary>The descriptor. Bindings: 0 a, 1 b, 2 output.</summary>
    public static readonly KernelDescriptor<NoConstants, Push> Descriptor = new(
        typeof(ConcatKernel).Assembly, "concat", new WorkgroupSize(64, 1, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer);

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Channels of a and of b.</summary>
        public int AChannels, BChannels;

        /// <summary>Elements per channel (height x width).</summary>
        public int PlaneSize;
    }
}
