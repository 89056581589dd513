using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>The workgroup size of a kernel, which the host sets through specialization constants 0 to 2.</summary>
/// <param name="X">Invocations along x.</param>
/// <param name="Y">Invocations along y.</param>
/// <param name="Z">Invocations along z.</param>
public readonly record struct WorkgroupSize(uint X, uint Y, uint Z);

/// <summary>What a kernel declares, without its types: for tests and tools that check every kernel alike.</summary>
public interface IKernelDescriptor
{
    /// <summary>The shader's name: shaders/NAME.comp, embedded as shaders/NAME.spv.</summary>
    string Name { get; }

    /// <summary>The assembly the SPIR-V is embedded in.</summary>
    Assembly Assembly { get; }

    /// <summary>The workgroup size.</summary>
    WorkgroupSize Workgroup { get; }

    /// <summary>The <c>constant_id</c>s the kernel sets, the workgroup size's (0 to 2) included.</summary>
    IReadOnlyList<uint> ConstantIds { get; }

    /// <summary>The bindings of descriptor set 0 (binding i is element i) and the push-constant size.</summary>
    PipelineLayoutDescription Layout { get; }

    /// <summary>Whether the kernel also comes with float16 multiply-adds (NAME_f16m.spv).</summary>
    bool HasHalfArithmetic { get; }
}

/// <summary>
/// One compute shader as the host sees it: its embedded SPIR-V, its specialization constants
/// (<typeparamref name="TConstants"/>, a struct whose fields carry <see cref="SpecIdAttribute"/>), its push
/// constants (<typeparamref name="TPush"/>, laid out as the shader's <c>push_constant</c> block), its bindings and
/// its workgroup size. Every shader has exactly one, and a test checks each against the SPIR-V.
/// Immutable and thread-safe.
/// </summary>
/// <typeparam name="TConstants">The specialization constants beyond the workgroup size.</typeparam>
/// <typeparam name="TPush">The push constants.</typeparam>
public sealed class KernelDescriptor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] TConstants, TPush>
    : IKernelDescriptor
    where TConstants : struct
    where TPush : unmanaged
{
    private readonly Lazy<ShaderCode> _shader;
    private readonly Lazy<ShaderCode> _halfShader;
    private readonly Lazy<ShaderCode> _halfMathShader;

    /// <summary>Describes shaders/<paramref name="name"/>.comp, embedded in <paramref name="assembly"/>.</summary>
    public KernelDescriptor(Assembly assembly, string name, WorkgroupSize workgroup, params BindingKind[] bindings)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(bindings);
        Assembly = assembly;
        Name = name;
        Workgroup = workgroup;
        Layout = new PipelineLayoutDescription((BindingKind[])bindings.Clone(), (uint)Unsafe.SizeOf<TPush>());
        ConstantIds = SpecializationConstants.Ids<TConstants>();
        _shader = new Lazy<ShaderCode>(() => ShaderCode.FromEmbedded(assembly, name));
        _halfShader = new Lazy<ShaderCode>(() => ShaderCode.FromEmbedded(assembly, name + KernelDispatch.HalfSuffix));
        _halfMathShader = new Lazy<ShaderCode>(() => ShaderCode.FromEmbedded(assembly, name + KernelDispatch.HalfMathSuffix));
        HasHalfArithmetic = assembly.GetManifestResourceInfo($"shaders/{name}{KernelDispatch.HalfMathSuffix}.spv") is not null;
    }

    /// <inheritdoc />
    public bool HasHalfArithmetic { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Assembly Assembly { get; }

    /// <inheritdoc />
    public WorkgroupSize Workgroup { get; }

    /// <inheritdoc />
    public IReadOnlyList<uint> ConstantIds { get; }

    /// <inheritdoc />
    public PipelineLayoutDescription Layout { get; }

    /// <summary>The SPIR-V, loaded on first use.</summary>
    public ShaderCode Shader => _shader.Value;

    /// <summary>The SPIR-V of the variant whose tensors are float16, loaded on first use.</summary>
    public ShaderCode HalfShader => _halfShader.Value;

    /// <summary>The SPIR-V whose tensors are float16 and whose multiply-adds are float16, loaded on first use.</summary>
    public ShaderCode HalfArithmeticShader => _halfMathShader.Value;

    /// <summary>
    /// The SPIR-V whose tensors are stored at <paramref name="precision"/>, multiplying and adding in float16 when
    /// <paramref name="halfArithmetic"/> (the kernels that have that variant; the others compute in float32).
    /// </summary>
    public ShaderCode ShaderFor(TensorPrecision precision, bool halfArithmetic = false) =>
        precision != TensorPrecision.Float16 ? Shader : halfArithmetic && HasHalfArithmetic ? HalfArithmeticShader : HalfShader;

    /// <summary>The specialization data for <paramref name="constants"/> (see <see cref="SpecializationConstants.Pack"/>).</summary>
    public uint[] Specialize(in TConstants constants) => SpecializationConstants.Pack(Workgroup, constants);

    /// <summary>
    /// The pipeline for <paramref name="constants"/> whose tensors are stored at <paramref name="precision"/>, from the
    /// context's library: one per distinct shader and specialization, shared, owned by the library. Float16 needs
    /// <see cref="GpuContext.HalfStorage"/>.
    /// </summary>
    /// <remarks>With <paramref name="halfArithmetic"/> a kernel that has the variant multiplies and adds in float16
    /// (<see cref="HasHalfArithmetic"/>; it needs float16 tensors and <see cref="GpuContext.HalfArithmetic"/>).</remarks>
    public ComputePipeline Pipeline(GpuContext context, in TConstants constants, TensorPrecision precision = TensorPrecision.Float32,
        bool halfArithmetic = false)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (precision == TensorPrecision.Float16 && !context.HalfStorage)
        {
            throw new NotSupportedException(
                $"Kernel '{Name}': float16 tensors need storageBuffer16BitAccess, which is not enabled on {context.DeviceName}.");
        }
        if (halfArithmetic && HasHalfArithmetic)
        {
            if (precision != TensorPrecision.Float16)
            {
                throw new ArgumentException($"Kernel '{Name}': float16 multiply-adds run on float16 tensors only.", nameof(halfArithmetic));
            }
            if (!context.HalfArithmetic)
            {
                throw new NotSupportedException(
                    $"Kernel '{Name}': float16 multiply-adds need shaderFloat16, which is not enabled on {context.DeviceName}.");
            }
        }
        return context.Pipelines.Get(ShaderFor(precision, halfArithmetic), Specialize(constants), Layout);
    }
}

/// <summary>Pipelines and dispatch sizes from kernel descriptors.</summary>
public static class KernelDispatch
{
    /// <summary>The suffix of a shader's float16-tensor variant (shaders/include/storage.glsl): NAME_f16.spv.</summary>
    public const string HalfSuffix = "_f16";

    /// <summary>The suffix of a convolution's variant with float16 tensors and float16 multiply-adds: NAME_f16m.spv.</summary>
    public const string HalfMathSuffix = "_f16m";

    /// <summary>The pipeline of a kernel without constants of its own besides its workgroup size.</summary>
    public static ComputePipeline Pipeline<TPush>(this KernelDescriptor<NoConstants, TPush> kernel, GpuContext context,
        TensorPrecision precision = TensorPrecision.Float32)
        where TPush : unmanaged
    {
        ArgumentNullException.ThrowIfNull(kernel);
        return kernel.Pipeline(context, default, precision);
    }

    /// <summary>Enough workgroups of <paramref name="workgroup"/> to cover <paramref name="x"/> x <paramref name="y"/> x <paramref name="z"/> invocations.</summary>
    public static ComputeDispatch Cover(this ComputeDispatch dispatch, long x, long y, long z, WorkgroupSize workgroup)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        return dispatch.Cover(x, y, z, workgroup.X, workgroup.Y, workgroup.Z);
    }

    /// <summary>
    /// Enough one-dimensional workgroups of <paramref name="workgroup"/> for <paramref name="count"/> invocations,
    /// spilling into y past the device's limit (see <see cref="ComputeDispatch.CoverLinear"/>).
    /// </summary>
    public static ComputeDispatch CoverLinear(this ComputeDispatch dispatch, long count, WorkgroupSize workgroup)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        if (workgroup.Y != 1 || workgroup.Z != 1)
        {
            throw new ArgumentException($"A linear dispatch needs a one-dimensional workgroup, not {workgroup}.", nameof(workgroup));
        }
        return dispatch.CoverLinear(count, workgroup.X);
    }
}
