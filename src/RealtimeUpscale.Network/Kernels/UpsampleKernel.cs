using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/upsample.comp: nearest, bilinear or bicubic resize of every plane; one invocation per output element.</summary>
public static class UpsampleKernel
{
    /// <summary>The descriptor. Bindings: 0 input, 1 output, 2 the input as R32F texels.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(UpsampleKernel).Assembly, "upsample", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The filter; not <see cref="UpsampleCode.None"/> [UPSAMPLE].</summary>
        [SpecId(3)] public UpsampleCode Mode;

        /// <summary>align_corners [ALIGN_CORNERS].</summary>
        [SpecId(4)] public bool AlignCorners;

        /// <summary>Read the input through binding 2 [TEXELS].</summary>
        [SpecId(5)] public bool Texels;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Channels.</summary>
        public int Channels;

        /// <summary>Input and output sizes.</summary>
        public int InH, InW, OutH, OutW;

        /// <summary>Source pixels per output pixel (include/resample.glsl).</summary>
        public float ScaleY, ScaleX;

        /// <summary>The integer factor, or 0 (include/resample.glsl).</summary>
        public int PeriodY, PeriodX;
    }
}
