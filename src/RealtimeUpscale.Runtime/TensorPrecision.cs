namespace RealtimeUpscale.Runtime;

/// <summary>
/// How a tensor's elements are stored. Arithmetic is float32 either way: a float16 tensor is converted on every
/// load and rounded to nearest on every store, which halves its memory and the traffic of every pass that
/// reads or writes it. Float16 storage needs the device's <c>storageBuffer16BitAccess</c> feature
/// (<see cref="GpuContext.HalfStorage"/>).
/// </summary>
public enum TensorPrecision
{
    /// <summary>IEEE 754 binary32, 4 bytes per element.</summary>
    Float32,

    /// <summary>IEEE 754 binary16, 2 bytes per element (11 significant bits; largest finite value 65504).</summary>
    Float16,
}

/// <summary>Sizes and names of <see cref="TensorPrecision"/> values.</summary>
public static class TensorPrecisions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementBytes(this TensorPrecision precision) => precision switch
    {
        TensorPrecision.Float32 => 4,
        TensorPrecision.Float16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown tensor precision."),
    };

    /// <summary>"fp32" or "fp16", as the command line and the benchmark's JSON write it.</summary>
    public static string ShortName(this TensorPrecision precision) => precision switch
    {
        TensorPrecision.Float32 => "fp32",
        TensorPrecision.Float16 => "fp16",
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown tensor precision."),
    };
}
