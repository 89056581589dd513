using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/pool2d.comp: max or average pooling; global (one workgroup per channel over the whole plane or a region of it, a tree
/// reduction in shared memory) or windowed (one invocation per output element).
/// </summary>
public static class Pool2dKernel
{
    /// <summary>
    /// The descriptor. Bindings: 0 input, 1 output, 2 the input as R32F (or R16F) texels. The workgroup size is a power of two
    /// (the global reduction's tree).
    /// </summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(Pool2dKernel).Assembly, "pool2d", new WorkgroupSize(64, 1, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>Max or average [MODE].</summary>
        [SpecId(3)] public PoolCode Mode;

        /// <summary>Pool whole planes [GLOBAL].</summary>
        [SpecId(4)] public bool Global;

        /// <summary>Averages divide by the window's area, padding included [COUNT_PAD].</summary>
        [SpecId(5)] public bool CountPad;

        /// <summary>Read the input through binding 2 [TEXELS].</summary>
        [SpecId(6)] public bool Texels;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Channels.</summary>
        public int Channels;

        /// <summary>Input height and width.</summary>
        public int InH, InW;

        /// <summary>Output height and width.</summary>
        public int OutH, OutW;

        /// <summary>Window height and width.</summary>
        public int KernelH, KernelW;

        /// <summary>Strides.</summary>
        public int StrideY, StrideX;

        /// <summary>Padding before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>Global pooling: the first row and column of the region pooled.</summary>
        public int RegionTop, RegionLeft;

        /// <summary>Global pooling: the height and width of the region pooled.</summary>
        public int RegionH, RegionW;
    }
}
