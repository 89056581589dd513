using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>One physical device seen during selection, and why it was or was not chosen.</summary>
/// <param name="Index">Position in <c>vkEnumeratePhysicalDevices</c> order.</param>
/// <param name="Name">The driver's device name.</param>
/// <param name="Type">Discrete, integrated, virtual or CPU.</param>
/// <param name="ApiVersion">The Vulkan version the device supports, as "1.3.239".</param>
/// <param name="Usable">Whether the device meets the library's requirements at all.</param>
/// <param name="Chosen">Whether this is the device the context uses.</param>
/// <param name="Reason">Why it was chosen, passed over or rejected.</param>
public sealed record DeviceCandidate(
    int Index,
    string Name,
    PhysicalDeviceType Type,
    string ApiVersion,
    bool Usable,
    bool Chosen,
    string Reason)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"#{Index} {Name} ({Type}, Vulkan {ApiVersion}): {(Chosen ? "chosen" : "not chosen")}, {Reason}";
}
