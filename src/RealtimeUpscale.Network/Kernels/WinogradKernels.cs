using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// shaders/winograd_input.comp: the input transform V = B^T d B of a 3x3 convolution by Winograd's F(4x4, 3x3), for
/// one band of tile rows. Invocation (q, r, c) transforms input channel c of the four tiles of quad q in band row r.
/// </summary>
public static class WinogradInputKernel
{
    /// <summary>The descriptor. Bindings: 0 input, 1 the transformed input V (float32 vec4s), 2 the input as R32F texels.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(WinogradInputKernel).Assembly, "winograd_input", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>Reads outside the input [PAD_MODE].</summary>
        [SpecId(3)] public PadCode Padding;

        /// <summary>For <see cref="PadCode.BoundedReplicate"/>: how far outside the input the edge repeats [BORDER].</summary>
        [SpecId(4)] public int Border;

        /// <summary>Read the input through binding 2 [TEXELS].</summary>
        [SpecId(5)] public bool Texels;
    }

    /// <summary>Push constants: the input's shape, the padding and the band.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The input's shape.</summary>
        public int InC, InH, InW;

        /// <summary>Padding before the first row and column.</summary>
        public int PadTop, PadLeft;

        /// <summary>The band's first tile row and its rows.</summary>
        public int TileRow0, Rows;

        /// <summary>Quads of tiles per tile row.</summary>
        public int Quads;

        /// <summary>Input channels rounded up to 4.</summary>
        public int CPad;

        /// <summary>Vec4s per element and channel: the band's rows times its quads.</summary>
        public int Plane;
    }
}

/// <summary>
/// shaders/winograd_product.comp: the 36 matrix products M[e] = U[e] V[e] of Winograd's F(4x4, 3x3) over the input
/// channels, for one band. Invocation (x, y, e) computes <see cref="Constants.QuadsPerInvocation"/> quads of tiles of
/// element e for the output channels 8y .. 8y + 7.
/// </summary>
public static class WinogradProductKernel
{
    /// <summary>The descriptor. Bindings: 0 V, 1 M, 2 the transformed weights U, 3 V and 4 U as RGBA32F texels.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(WinogradProductKernel).Assembly, "winograd_product", new WorkgroupSize(8, 4, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer,
        BindingKind.UniformTexelBuffer);

    /// <summary>Output channels per invocation.</summary>
    public const int ChannelBlock = 8;

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>Quads of tiles per invocation [PX4].</summary>
        [SpecId(3)] public int QuadsPerInvocation;

        /// <summary>Read V and U through bindings 3 and 4 [TEXELS].</summary>
        [SpecId(4)] public bool Texels;

        /// <summary>One weight load per subgroup lane, broadcast to the block [SUBGROUP_WEIGHTS].</summary>
        [SpecId(5)] public bool SubgroupWeights;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Input channels rounded up to 4.</summary>
        public int CPad;

        /// <summary>Output channels.</summary>
        public int OutC;

        /// <summary>Output channels rounded up to <see cref="ChannelBlock"/>.</summary>
        public int OcStride;

        /// <summary>Vec4s per element and channel.</summary>
        public int Plane;
    }
}

/// <summary>
/// shaders/winograd_output.comp: the output transform Y = A^T M A of Winograd's F(4x4, 3x3), bias and activation, for
/// one band. Invocation (q, r, oc) finishes the four tiles of quad q in band row r of output channel oc.
/// </summary>
public static class WinogradOutputKernel
{
    /// <summary>The descriptor. Bindings: 0 M, 1 output, 2 bias (and slopes), 3 M as RGBA32F texels.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(WinogradOutputKernel).Assembly, "winograd_output", new WorkgroupSize(8, 8, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.UniformTexelBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The activation [ACT].</summary>
        [SpecId(3)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(4)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(5)] public float ActivationB;

        /// <summary>Read M through binding 3 [TEXELS].</summary>
        [SpecId(6)] public bool Texels;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>The output's shape.</summary>
        public int OutC, OutH, OutW;

        /// <summary>The band's first tile row and its rows.</summary>
        public int TileRow0, Rows;

        /// <summary>Quads of tiles per tile row.</summary>
        public int Quads;

        /// <summary>Vec4s per element and channel.</summary>
        public int Plane;
    }
}
