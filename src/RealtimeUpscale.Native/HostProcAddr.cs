using System.Text;
using Silk.NET.Core.Contexts;

namespace RealtimeUpscale.Native;

/// <summary>
/// The function table of a <see cref="Silk.NET.Vulkan.Vk"/> built on the host's <c>vkGetInstanceProcAddr</c>:
/// every Vulkan function the library calls comes from it, resolved for the host's instance, so the library
/// goes through the host's loader, its layers and any wrapping the host put around it.
/// </summary>
internal sealed unsafe class HostProcAddr(nint getInstanceProcAddr, nint instance) : INativeContext
{
    private readonly delegate* unmanaged[Cdecl]<nint, byte*, nint> _getProc =
        (delegate* unmanaged[Cdecl]<nint, byte*, nint>)getInstanceProcAddr;

    public nint GetProcAddress(string proc, int? slot = null) =>
        TryGetProcAddress(proc, out nint address, slot) ? address : throw new EntryPointNotFoundException(proc);

    public bool TryGetProcAddress(string proc, out nint address, int? slot = null)
    {
        byte[] name = Encoding.ASCII.GetBytes(proc + "\0");
        fixed (byte* p = name)
        {
            address = _getProc(instance, p);
            if (address == 0)
            {
                // Global functions (vkEnumerateInstanceVersion, ...) resolve only without an instance.
                address = _getProc(0, p);
            }
        }
        return address != 0;
    }

    public void Dispose()
    {
    }
}
