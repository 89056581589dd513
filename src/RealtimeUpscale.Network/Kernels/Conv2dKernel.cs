using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/conv2d.comp: convolution with optional fused upsample, padding modes, activation, pixel shuffle and
/// residual addition (of a tensor, or of a tensor upsampled at each output pixel), and per-channel scales of the input
/// and of the residual.
/// Invocation (x, y, z) computes <see cref="Constants.PixelsPerInvocation"/> pixels along x of row y for the
/// channel block z (or, with <see cref="Constants.BlocksFastest"/>, for the block the workgroup's x names).
/// </summary>
public static class Conv2dKernel
{
    /// <summary>
    /// The descriptor. Bindings: 0 input, 1 output, 2 and 3 the parameters (one buffer, as storage and as
    /// uniform block), 4 the input as R32F texels, 5 the residual source, 6 the residual source as R32F texels,
    /// 7 the input's channel scales, 8 the residual source's channel scales, 9 the input as RGBA32F texels, 10 the input's
    /// channel scales as R32F texels.
    /// </summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(Conv2dKernel).Assembly, "conv2d", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformBuffer,
        BindingKind.UniformTexelBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer,
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer, BindingKind.UniformTexelBuffer);

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

        /// <summary>Reads outside the input [PAD_MODE].</summary>
        [SpecId(7)] public PadCode Padding;

        /// <summary>Output channels per invocation [OC_BLOCK].</summary>
        [SpecId(8)] public int ChannelBlock;

        /// <summary>The activation [ACT].</summary>
        [SpecId(9)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(10)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(11)] public float ActivationB;

        /// <summary>The fused resize of the input [UPSAMPLE].</summary>
        [SpecId(12)] public UpsampleCode Upsample;

        /// <summary>The resize's align_corners [ALIGN_CORNERS].</summary>
        [SpecId(13)] public bool AlignCorners;

        /// <summary>The fused pixel shuffle of the output [SHUFFLE].</summary>
        [SpecId(14)] public ShuffleCode Shuffle;

        /// <summary>The pixel shuffle's factor [SHUFFLE_R].</summary>
        [SpecId(15)] public int ShuffleScale;

        /// <summary>Vertical dilation [DY].</summary>
        [SpecId(16)] public int DilationY;

        /// <summary>Horizontal dilation [DX].</summary>
        [SpecId(17)] public int DilationX;

        /// <summary>Read the parameters from the uniform block, binding 3 [PARAMS_IN_UBO].</summary>
        [SpecId(18)] public bool ParamsInUniform;

        /// <summary>Output pixels per invocation along x; above 1 only with stride and dilation 1 along x [PX].</summary>
        [SpecId(19)] public int PixelsPerInvocation;

        /// <summary>For <see cref="PadCode.BoundedReplicate"/>: how far outside the input the edge repeats [BORDER].</summary>
        [SpecId(20)] public int Border;

        /// <summary>Read the input through binding 4 [TEXELS].</summary>
        [SpecId(21)] public bool Texels;

        /// <summary>Add the residual of binding 5 to every stored output [RESIDUAL].</summary>
        [SpecId(22)] public bool Residual;

        /// <summary>The resize of the residual source, or <see cref="UpsampleCode.None"/> to add it as it is [RES_UPSAMPLE].</summary>
        [SpecId(23)] public UpsampleCode ResidualUpsample;

        /// <summary>The residual resize's align_corners [RES_ALIGN_CORNERS].</summary>
        [SpecId(24)] public bool ResidualAlignCorners;

        /// <summary>Read the residual source through binding 6 [RES_TEXELS].</summary>
        [SpecId(25)] public bool ResidualTexels;

        /// <summary>
        /// Each subgroup lane reads one block channel's weights and broadcasts them to the others [SUBGROUP_WEIGHTS].
        /// Only where a subgroup is one row of the workgroup with at least <see cref="ChannelBlock"/> lanes.
        /// </summary>
        [SpecId(26)] public bool SubgroupWeights;

        /// <summary>
        /// The channel block is the fastest-varying workgroup index [BLOCKS_FASTEST]: the dispatch's x counts
        /// (column tiles) x (channel blocks) workgroups, and z one.
        /// </summary>
        [SpecId(27)] public bool BlocksFastest;

        /// <summary>The residual is a window of its source, at <see cref="Push.ResTop"/> .. [RES_CROP].</summary>
        [SpecId(28)] public bool ResidualCrop;

        /// <summary>Scale each input channel by the factor binding 7 holds for it [IN_SCALE].</summary>
        [SpecId(29)] public bool InputScale;

        /// <summary>Scale each channel of the residual source by the factor binding 8 holds for it [RES_SCALE].</summary>
        [SpecId(30)] public bool ResidualScale;

        /// <summary>
        /// Above 0: the stored input has this many channels and the convolution's input channels are a 1x1 convolution
        /// of them, computed as each window is read, from the parameters at <see cref="Push.ExpBase"/> [IN_EXPAND].
        /// </summary>
        [SpecId(31)] public int InputExpand;

        /// <summary>That 1x1 convolution's activation [EXP_ACT].</summary>
        [SpecId(32)] public ActivationCode ExpandActivation;

        /// <summary>Its first parameter [EXP_ACT_A].</summary>
        [SpecId(33)] public float ExpandActivationA;

        /// <summary>Its second parameter [EXP_ACT_B].</summary>
        [SpecId(34)] public float ExpandActivationB;

        /// <summary>
        /// The residual is the residual source upsampled by bicubic (no align_corners) at exactly the pixel shuffle's
        /// integer factor, and more than one pixel per invocation: each channel's outputs resample from one shared
        /// window of source rows [RES_WINDOW].
        /// </summary>
        [SpecId(35)] public bool ResidualWindow;

        /// <summary>
        /// Read the input's window rows as RGBA32F texels through binding 9, four elements per fetch [VEC_TEXELS]. Needs
        /// <see cref="Texels"/>, float32 tensors, no <see cref="Upsample"/> or <see cref="InputExpand"/>, <see cref="DilationX"/> 1,
        /// no reflect padding, a window ((PX - 1) x stride + kernel width) no wider than the input (the shader replicates one
        /// edge per window), and a view of binding 9 that covers every element.
        /// </summary>
        [SpecId(36)] public bool VectorTexels;

        /// <summary>Read the <see cref="InputScale"/> factors through binding 10 as texels [IN_SCALE_TEXELS].</summary>
        [SpecId(37)] public bool InputScaleTexels;
    }

    /// <summary>Push constants: shapes and per-size settings.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The stored input's shape.</summary>
        public int InC, InH, InW;

        /// <summary>The convolution's input size: the upsampled size, or the input's without upsampling.</summary>
        public int UpH, UpW;

        /// <summary>The convolution's output shape (before the fused pixel shuffle).</summary>
        public int OutC, OutH, OutW;

        /// <summary>Padding before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>Convolution groups.</summary>
        public int Groups;

        /// <summary>Upsample: source pixels per upsampled pixel (include/resample.glsl).</summary>
        public float ScaleY, ScaleX;

        /// <summary>Output channels of the weights, padded to a multiple of the channel block.</summary>
        public int OcStride;

        /// <summary>Upsample: the integer factor, or 0 (include/resample.glsl).</summary>
        public int PeriodY, PeriodX;

        /// <summary>The residual source's height and width (read with a residual resize or crop).</summary>
        public int ResH, ResW;

        /// <summary>The residual resize: source pixels per output pixel (include/resample.glsl).</summary>
        public float ResScaleY, ResScaleX;

        /// <summary>The residual resize: the integer factor, or 0 (include/resample.glsl).</summary>
        public int ResPeriodY, ResPeriodX;

        /// <summary>The residual crop: the window's first row, column and channel in the residual source.</summary>
        public int ResTop, ResLeft, ResChannel;

        /// <summary>
        /// With <see cref="Constants.InputExpand"/>: the parameter offset, in floats, of the 1x1 convolution's weights
        /// [inC][InputExpand], then its bias [inC] and PReLU slopes [inC] (InC here is the convolution's input channels).
        /// </summary>
        public int ExpBase;
    }
}
