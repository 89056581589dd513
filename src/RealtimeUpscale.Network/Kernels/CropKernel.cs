using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/crop.comp: a crop or channel slice; one invocation per output element.</summary>
public static class CropKernel
{
    /// <summary>The descriptor. Bindings: 0 input, 1 output.</summary>
    public static readonly KernelDescriptor<NoConstants, Push> Descriptor = new(
        typeof(CropKernel).Assembly, "crop", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer);

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Input height and width.</summary>
        public int InH, InW;

        /// <summary>The first channel, row and column kept.</summary>
        public int C0, Y0, X0;

        /// <summary>The output's shape.</summary>
        public int OutC, OutH, OutW;
    }
}
