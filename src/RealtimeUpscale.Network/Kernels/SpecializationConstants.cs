using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// Marks a field of a kernel's specialization-constants struct with the shader's <c>constant_id</c>.
/// Fields may be <see cref="int"/>, <see cref="uint"/>, <see cref="float"/>, <see cref="bool"/> or an enum
/// with an <see cref="int"/> underlying type (the codes of shaders/include/codes.glsl).
/// </summary>
/// <param name="id">The shader's <c>constant_id</c>; ids 0 to 2 are the workgroup size.</param>
[AttributeUsage(AttributeTargets.Field)]
public sealed class SpecIdAttribute(uint id) : Attribute
{
    /// <summary>The shader's <c>constant_id</c>.</summary>
    public uint Id { get; } = id;
}

/// <summary>The specialization constants of a kernel that has none besides its workgroup size.</summary>
public readonly struct NoConstants;

/// <summary>
/// Turns a kernel's workgroup size and its typed constants into the specialization data of
/// <see cref="Runtime.PipelineLibrary.Get"/>: element i is <c>constant_id</c> i, a 32-bit value (floats as their
/// bits, booleans as 0 or 1). Every shader declares its workgroup size as
/// <c>layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;</c>, so ids 0 to 2 are the
/// workgroup size and a kernel's own constants are numbered from 3 without gaps.
/// </summary>
public static class SpecializationConstants
{
    /// <summary>The first <c>constant_id</c> of a kernel's own constants (0 to 2 are the workgroup size).</summary>
    public const uint FirstKernelId = 3;

    /// <summary>The specialization data: the workgroup size, then each field of <paramref name="constants"/> at its id.</summary>
    public static uint[] Pack<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>(
        WorkgroupSize workgroup, in T constants) where T : struct
    {
        var fields = Fields<T>.ById;
        var values = new uint[FirstKernelId + fields.Length];
        values[0] = workgroup.X;
        values[1] = workgroup.Y;
        values[2] = workgroup.Z;
        object boxed = constants;
        for (int i = 0; i < fields.Length; i++)
        {
            values[FirstKernelId + i] = Bits(fields[i].GetValue(boxed)!);
        }
        return values;
    }

    /// <summary>The <c>constant_id</c>s a kernel with constants <typeparamref name="T"/> sets, in order (the workgroup size's included).</summary>
    public static IReadOnlyList<uint> Ids<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>()
        where T : struct =>
        Enumerable.Range(0, (int)FirstKernelId + Fields<T>.ById.Length).Select(i => (uint)i).ToArray();

    private static uint Bits(object value) => value switch
    {
        int i => unchecked((uint)i),
        uint u => u,
        float f => BitConverter.SingleToUInt32Bits(f),
        bool b => b ? 1u : 0u,
        Enum e when Enum.GetUnderlyingType(e.GetType()) == typeof(int) => unchecked((uint)Convert.ToInt32(e, null)),
        _ => throw new NotSupportedException($"A specialization constant cannot be a {value.GetType().Name}."),
    };

    /// <summary>The fields of <typeparamref name="T"/> in constant_id order, checked once per type.</summary>
    private static class Fields<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] T>
    {
        public static readonly FieldInfo[] ById = Collect();

        private static FieldInfo[] Collect()
        {
            var fields = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Instance);
            var byId = new FieldInfo[fields.Length];
            foreach (var field in fields)
            {
                uint id = field.GetCustomAttribute<SpecIdAttribute>()?.Id ??
                          throw new InvalidOperationException($"{typeof(T).FullName}.{field.Name} has no [SpecId].");
                // The runtime maps element i of the data to constant_id i, so the ids must run without gaps.
                long index = (long)id - FirstKernelId;
                if (index < 0 || index >= byId.Length || byId[index] is not null)
                {
                    throw new InvalidOperationException(
                        $"{typeof(T).FullName}: the [SpecId]s must run from {FirstKernelId} to {FirstKernelId + fields.Length - 1} " +
                        $"without gaps or repeats; {field.Name} has {id}.");
                }
                byId[index] = field;
            }
            return byId;
        }
    }
}
