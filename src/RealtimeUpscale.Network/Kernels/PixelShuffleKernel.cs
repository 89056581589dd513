using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/pixel_shuffle.comp: depth to space; one invocation per output element.</summary>
public static class PixelShuffleKernel
{
    /// <summary>The descriptor. Bindings: 0 input, 1 output.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(PixelShuffleKernel).Assembly, "pixel_shuffle", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The factor [R].</summary>
        [SpecId(3)] public int Scale;

        /// <summary>The channel order, <see cref="ShuffleCode.Crd"/> or <see cref="ShuffleCode.Dcr"/> [ORDER].</summary>
        [SpecId(4)] public ShuffleCode Order;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Output channels.</summary>
        public int OutC;

        /// <summary>Input height and width.</summary>
        public int InH, InW;
    }
}
