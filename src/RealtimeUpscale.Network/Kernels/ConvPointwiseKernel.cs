using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/conv_pointwise.comp: a convolution and the 1x1 convolution that reads it, in one pass, the
/// intermediate channels held in registers. Invocation (x, y) computes <see cref="Constants.PixelsPerInvocation"/>
/// pixels along x of row y, every output channel.
/// </summary>
public static class ConvPointwiseKernel
{
    /// <summary>
    /// The descriptor. Bindings: 0 input, 1 output, 2 and 3 the parameters (one buffer, as storage and as
    /// uniform block), 4 the input as R32F texels.
    /// </summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(ConvPointwiseKernel).Assembly, "conv_pointwise", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformBuffer,
        BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The convolution's kernel height [KH].</summary>
        [SpecId(3)] public int KernelH;

        /// <summary>The convolution's kernel width [KW].</summary>
        [SpecId(4)] public int KernelW;

        /// <summary>Reads outside the input [PAD_MODE].</summary>
        [SpecId(5)] public PadCode Padding;

        /// <summary>For <see cref="PadCode.BoundedReplicate"/>: how far outside the input the edge repeats [BORDER].</summary>
        [SpecId(6)] public int Border;

        /// <summary>Intermediate channels computed at a time [MID_BLOCK].</summary>
        [SpecId(7)] public int MidBlock;

        /// <summary>Output channels accumulated at a time [OUT_BLOCK].</summary>
        [SpecId(8)] public int OutBlock;

        /// <summary>The convolution's activation [ACT].</summary>
        [SpecId(9)] public ActivationCode Activation;

        /// <summary>Its first parameter [ACT_A].</summary>
        [SpecId(10)] public float ActivationA;

        /// <summary>Its second parameter [ACT_B].</summary>
        [SpecId(11)] public float ActivationB;

        /// <summary>The 1x1 convolution's activation [PW_ACT].</summary>
        [SpecId(12)] public ActivationCode PointwiseActivation;

        /// <summary>Its first parameter [PW_ACT_A].</summary>
        [SpecId(13)] public float PointwiseActivationA;

        /// <summary>Its second parameter [PW_ACT_B].</summary>
        [SpecId(14)] public float PointwiseActivationB;

        /// <summary>Read the parameters from the uniform block, binding 3 [PARAMS_IN_UBO].</summary>
        [SpecId(15)] public bool ParamsInUniform;

        /// <summary>Output pixels per invocation along x [PX].</summary>
        [SpecId(16)] public int PixelsPerInvocation;

        /// <summary>Read the input through binding 4 [TEXELS].</summary>
        [SpecId(17)] public bool Texels;

        /// <summary>HOLD_INPUT: one input channel, whose KH window rows are loaded once and read by every mid block.</summary>
        [SpecId(18)] public bool HoldInput;
    }

    /// <summary>Push constants: shapes and where each part of the parameters starts.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The input's shape.</summary>
        public int InC, InH, InW;

        /// <summary>The output's shape.</summary>
        public int OutC, OutH, OutW;

        /// <summary>The convolution's padding before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>Intermediate and output channels, each padded to a multiple of its block.</summary>
        public int MidStride, OutStride;

        /// <summary>Offsets in floats of the convolution's bias and PReLU slopes in the parameters.</summary>
        public int ConvBias, ConvSlopes;

        /// <summary>Offsets in floats of the 1x1 convolution's weights, bias and PReLU slopes.</summary>
        public int PointwiseWeights, PointwiseBias, PointwiseSlopes;
    }
}
