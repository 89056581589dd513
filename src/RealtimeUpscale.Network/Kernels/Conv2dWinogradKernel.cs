using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/conv2d_winograd.comp: a 3x3 convolution (stride 1, no dilation, no groups) by Winograd's F(2x2, 3x3),
/// with padding modes and activation. Invocation (x, y, z) computes <see cref="Constants.TilesPerInvocation"/>
/// 2x2 output tiles along x of tile row y for the channel block z.
/// </summary>
public static class Conv2dWinogradKernel
{
    /// <summary>
    /// The descriptor. Bindings: 0 input, 1 output, 2 and 3 the parameters (one buffer, as storage and as
    /// uniform block), 4 the input as R32F texels.
    /// </summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(Conv2dWinogradKernel).Assembly, "conv2d_winograd", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformBuffer,
        BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>Reads outside the input [PAD_MODE].</summary>
        [SpecId(3)] public PadCode Padding;

        /// <summary>Output channels per invocation [OC_BLOCK].</summary>
        [SpecId(4)] public int ChannelBlock;

        /// <summary>The activation [ACT].</summary>
        [SpecId(5)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(6)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(7)] public float ActivationB;

        /// <summary>Read the parameters from the uniform block, binding 3 [PARAMS_IN_UBO].</summary>
        [SpecId(8)] public bool ParamsInUniform;

        /// <summary>2x2 output tiles per invocation along x [PT].</summary>
        [SpecId(9)] public int TilesPerInvocation;

        /// <summary>For <see cref="PadCode.BoundedReplicate"/>: how far outside the input the edge repeats [BORDER].</summary>
        [SpecId(10)] public int Border;

        /// <summary>Read the input through binding 4 [TEXELS].</summary>
        [SpecId(11)] public bool Texels;
    }

    /// <summary>Push constants: shapes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The input's shape.</summary>
        public int InC, InH, InW;

        /// <summary>The output's shape.</summary>
        public int OutC, OutH, OutW;

        /// <summary>Padding before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>Output channels of the transformed weights, padded to a multiple of the channel block.</summary>
        public int OcStride;
    }
}
