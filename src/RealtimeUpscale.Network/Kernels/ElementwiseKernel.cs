using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/elementwise.comp: a binary operator or a per-channel affine map, then an activation; one invocation per element.</summary>
public static class ElementwiseKernel
{
    /// <summary>The descriptor. Bindings: 0 a, 1 b, 2 parameters (scales, biases, slopes), 3 output.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(ElementwiseKernel).Assembly, "elementwise", new WorkgroupSize(64, 1, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The operation [OP].</summary>
        [SpecId(3)] public ElementwiseOp Op;

        /// <summary>The activation [ACT].</summary>
        [SpecId(4)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(5)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(6)] public float ActivationB;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Channels of the tensors.</summary>
        public int Channels;

        /// <summary>Elements per channel (height x width).</summary>
        public int PlaneSize;

        /// <summary>Index of the first per-channel PReLU slope in the parameters.</summary>
        public int SlopeBase;

        /// <summary>a's strides per output channel and per output pixel (0 where a is broadcast; see the shader).</summary>
        public int AChannelStride, APixelStride;

        /// <summary>b's strides per output channel and per output pixel.</summary>
        public int BChannelStride, BPixelStride;
    }
}
