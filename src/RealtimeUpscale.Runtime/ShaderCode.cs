using System.Reflection;

namespace RealtimeUpscale.Runtime;

/// <summary>A compiled SPIR-V compute shader with the name it is cached under.</summary>
/// <param name="Name">A unique name, e.g. <c>conv2d</c>.</param>
/// <param name="Spirv">The SPIR-V words as bytes.</param>
public sealed record ShaderCode(string Name, byte[] Spirv)
{
    /// <summary>
    /// Loads the embedded resource <c>shaders/{name}.spv</c> from <paramref name="assembly"/> (the build
    /// compiles every <c>shaders/*.comp</c> with glslc and embeds the result under that name).
    /// </summary>
    public static ShaderCode FromEmbedded(Assembly assembly, string name)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string resource = $"shaders/{name}.spv";
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"Shader '{name}' is not embedded in {assembly.GetName().Name} (looked for resource '{resource}'). " +
                "Is shaders/" + name + ".comp missing from the build?");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (bytes.Length < 20 || bytes.Length % 4 != 0 || BitConverter.ToUInt32(bytes, 0) != 0x07230203)
        {
            throw new InvalidOperationException($"Embedded shader '{name}' is not valid SPIR-V.");
        }
        return new ShaderCode(name, bytes);
    }
}
