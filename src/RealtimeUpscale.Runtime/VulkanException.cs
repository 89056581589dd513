using System.Runtime.CompilerServices;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>
/// A Vulkan call returned an error. The message names the call, its <see cref="Result"/>, the source
/// location that made the call and, when the failure happened while a network layer was being created
/// or recorded, that layer.
/// </summary>
public sealed class VulkanException : Exception
{
    /// <summary>Creates the exception for a failed call.</summary>
    public VulkanException(string call, Result result, string location, string? layer = null, Exception? inner = null)
        : base(Describe(call, result, location, layer), inner)
    {
        Call = call;
        Result = result;
        Location = location;
        Layer = layer;
    }

    /// <summary>The Vulkan entry point that failed, e.g. <c>vkCreateBuffer</c>.</summary>
    public string Call { get; }

    /// <summary>The result code the driver returned.</summary>
    public Result Result { get; }

    /// <summary>Source file and line of the call, e.g. <c>GpuBuffer.cs:42</c>.</summary>
    public string Location { get; }

    /// <summary>The network layer being created or recorded when the call failed, if any.</summary>
    public string? Layer { get; }

    /// <summary>True when the driver ran out of host or device memory.</summary>
    public bool IsOutOfMemory => Result is Result.ErrorOutOfDeviceMemory or Result.ErrorOutOfHostMemory;

    /// <summary>Returns a copy of this exception that also names <paramref name="layer"/>.</summary>
    public VulkanException InLayer(string layer) => new(Call, Result, Location, layer, this);

    private static string Describe(string call, Result result, string location, string? layer) =>
        layer is null
            ? $"{call} failed with {result} ({location})"
            : $"{call} failed with {result} ({location}, layer '{layer}')";
}

/// <summary>Checks every <see cref="Result"/>; active in every build configuration.</summary>
public static class VkCheck
{
    /// <summary>Throws <see cref="VulkanException"/> unless <paramref name="result"/> is Success.</summary>
    public static void Check(
        this Result result,
        string call,
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        if (result != Result.Success)
        {
            throw new VulkanException(call, result, $"{Path.GetFileName(file)}:{line}");
        }
    }
}
