using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/deconv2d.comp: transposed convolution by gathering. Invocations are phase-major: z is
/// (channel block, output phase), and (x, y) step over the positions of that phase.
/// </summary>
public static class Deconv2dKernel
{
    /// <summary>
    /// The descriptor. Bindings: 0 input, 1 output, 2 and 3 the parameters (one buffer, as storage and as
    /// uniform block), 4 the input as R32F texels.
    /// </summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(Deconv2dKernel).Assembly, "deconv2d", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformBuffer,
        BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>Kernel height [KH].</summary>
        [SpecId(3)] public int KernelH;

        /// <summary>Kernel width [KW].</summary>
        [SpecId(4)] public int KernelW;

        /// <summary>Vertical stride [SY].</summary>
        [SpecId(5)] public int StrideY;

        /// <summary>Horizontal stride [SX].</summary>
        [SpecId(6)] public int StrideX;

        /// <summary>Output channels per invocation [OC_BLOCK].</summary>
        [SpecId(7)] public int ChannelBlock;

        /// <summary>The activation [ACT].</summary>
        [SpecId(8)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(9)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(10)] public float ActivationB;

        /// <summary>The fused padding of the input (zeros, replicate or reflect) [IN_PAD_MODE].</summary>
        [SpecId(11)] public PadCode InputPadding;

        /// <summary>Read the parameters from the uniform block, binding 3 [PARAMS_IN_UBO].</summary>
        [SpecId(12)] public bool ParamsInUniform;

        /// <summary>Output pixels per invocation along x [PX].</summary>
        [SpecId(13)] public int PixelsPerInvocation;

        /// <summary>Read the input through binding 4 [TEXELS].</summary>
        [SpecId(14)] public bool Texels;
    }

    /// <summary>Push constants: shapes and paddings.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The stored input's shape.</summary>
        public int InC, InH, InW;

        /// <summary>The output's shape.</summary>
        public int OutC, OutH, OutW;

        /// <summary>The transposed convolution's padding (output crop) before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>Convolution groups.</summary>
        public int Groups;

        /// <summary>The fused input padding before the first row and column, and the padded input's size.</summary>
        public int InPadTop, InPadLeft, InPadH, InPadW;

        /// <summary>Output channels per group of the weights, padded to a multiple of the channel block.</summary>
        public int OcStride;
    }
}
