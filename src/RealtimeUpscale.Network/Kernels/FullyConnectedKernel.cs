using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>shaders/fully_connected.comp: a fully connected layer with its activation; one invocation per output.</summary>
public static class FullyConnectedKernel
{
    /// <summary>The descriptor. Bindings: 0 input, 1 parameters (weights, biases, slopes), 2 output.</summary>
    public static readonly KernelDescriptor<Constants, Push> Descriptor = new(
        typeof(FullyConnectedKernel).Assembly, "fully_connected", new WorkgroupSize(64, 1, 1),
        BindingKind.StorageBuffer, BindingKind.StorageBuffer, BindingKind.StorageBuffer);

    /// <summary>Specialization constants (the shader's names in brackets).</summary>
    public struct Constants
    {
        /// <summary>The activation [ACT].</summary>
        [SpecId(3)] public ActivationCode Activation;

        /// <summary>The activation's first parameter [ACT_A].</summary>
        [SpecId(4)] public float ActivationA;

        /// <summary>The activation's second parameter [ACT_B].</summary>
        [SpecId(5)] public float ActivationB;
    }

    /// <summary>Push constants.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Push
    {
        /// <summary>Input values and outputs.</summary>
        public int InFeatures, OutFeatures;

        /// <summary>Index of the first bias and of the first per-output PReLU slope in the parameters.</summary>
        public int BiasBase, SlopeBase;
    }
}
