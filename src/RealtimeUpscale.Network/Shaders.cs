using System.Collections.Concurrent;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>The SPIR-V shaders embedded in this assembly, one per operation (see shaders/*.comp).</summary>
internal static class Shaders
{
    private static readonly ConcurrentDictionary<string, ShaderCode> Cache = new();

    public static ShaderCode Get(string name) =>
        Cache.GetOrAdd(name, n => ShaderCode.FromEmbedded(typeof(Shaders).Assembly, n));

    public static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);

    public static uint Bits(bool value) => value ? 1u : 0u;
}
