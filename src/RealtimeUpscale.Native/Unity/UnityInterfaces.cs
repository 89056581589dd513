using System.Runtime.InteropServices;

namespace RealtimeUpscale.Native.Unity;

// Declarations of Unity's native plugin interface, written from the layouts of its public headers
// (IUnityInterface.h, IUnityGraphics.h, IUnityGraphicsVulkan.h). Interfaces are tables of function pointers,
// read here by slot; structs are field for field on 64-bit platforms.

/// <summary>Interface GUIDs and constants.</summary>
internal static class UnityIds
{
    public const ulong GraphicsHigh = 0x7CBA0A9CA4DDB544UL, GraphicsLow = 0x8C5AD4926EB17B11UL;
    public const ulong VulkanV2High = 0x329334C09DCA4787UL, VulkanV2Low = 0xB347DD92A0097FFCUL;

    /// <summary>kUnityGfxRendererVulkan.</summary>
    public const int RendererVulkan = 21;

    /// <summary>kUnityGfxDeviceEventInitialize, kUnityGfxDeviceEventShutdown.</summary>
    public const int DeviceEventInitialize = 0, DeviceEventShutdown = 1;

    /// <summary>kUnityVulkanResourceAccess_PipelineBarrier.</summary>
    public const int AccessPipelineBarrier = 1;

    /// <summary>kUnityVulkanGraphicsQueueAccess_DontCare.</summary>
    public const int QueueAccessDontCare = 0;

    /// <summary>kUnityVulkanRenderPass_EnsureOutside.</summary>
    public const int RenderPassEnsureOutside = 2;

    /// <summary>kUnityVulkanEventConfigFlag_EnsurePreviousFrameSubmission | kUnityVulkanEventConfigFlag_ModifiesCommandBuffersState.</summary>
    public const uint EventFlags = (1u << 0) | (1u << 3);
}

/// <summary>IUnityInterfaces: GetInterface, RegisterInterface, GetInterfaceSplit, RegisterInterfaceSplit.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IUnityInterfaces
{
    public nint GetInterface;
    public nint RegisterInterface;
    public delegate* unmanaged[Cdecl]<ulong, ulong, nint> GetInterfaceSplit;
    public nint RegisterInterfaceSplit;
}

/// <summary>IUnityGraphics.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IUnityGraphics
{
    public delegate* unmanaged[Cdecl]<int> GetRenderer;
    public delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<int, void>, void> RegisterDeviceEventCallback;
    public delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<int, void>, void> UnregisterDeviceEventCallback;
    public delegate* unmanaged[Cdecl]<int, int> ReserveEventIDRange;
}

/// <summary>
/// IUnityGraphicsVulkanV2: IUnityGraphicsVulkan's fourteen functions, then AddInterceptInitialization and
/// RemoveInterceptInitialization. C's <c>bool</c> is one byte.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IUnityGraphicsVulkanV2
{
    public nint InterceptInitialization;
    public nint InterceptVulkanApi;
    public delegate* unmanaged[Cdecl]<int, UnityVulkanPluginEventConfig*, void> ConfigureEvent;
    public delegate* unmanaged[Cdecl]<UnityVulkanInstance> Instance;
    public delegate* unmanaged[Cdecl]<UnityVulkanRecordingState*, int, byte> CommandRecordingState;
    public delegate* unmanaged[Cdecl]<nint, void*, int, uint, uint, int, UnityVulkanImage*, byte> AccessTexture;
    public nint AccessRenderBufferTexture;
    public nint AccessRenderBufferResolveTexture;
    public nint AccessBuffer;
    public delegate* unmanaged[Cdecl]<void> EnsureOutsideRenderPass;
    public nint EnsureInsideRenderPass;
    public nint AccessQueue;
    public nint ConfigureSwapchain;
    public nint AccessTextureById;
    public nint AddInterceptInitialization;
    public nint RemoveInterceptInitialization;
}

/// <summary>UnityVulkanInstance: 120 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnityVulkanInstance
{
    public ulong PipelineCache;
    public nint Instance;
    public nint PhysicalDevice;
    public nint Device;
    public nint GraphicsQueue;
    public nint GetInstanceProcAddr;
    public uint QueueFamilyIndex;
    public nint Reserved0, Reserved1, Reserved2, Reserved3, Reserved4, Reserved5, Reserved6, Reserved7;
}

/// <summary>UnityVulkanRecordingState: 88 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnityVulkanRecordingState
{
    public nint CommandBuffer;
    public int CommandBufferLevel;
    public ulong RenderPass;
    public ulong Framebuffer;
    public int SubPassIndex;
    public ulong CurrentFrameNumber;
    public ulong SafeFrameNumber;
    public nint Reserved0, Reserved1, Reserved2, Reserved3;
}

/// <summary>UnityVulkanImage (with its UnityVulkanMemory): 160 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnityVulkanImage
{
    public ulong Memory;
    public ulong MemoryOffset;
    public ulong MemorySize;
    public nint Mapped;
    public uint MemoryFlags;
    public uint MemoryTypeIndex;
    public nint MemoryReserved0, MemoryReserved1, MemoryReserved2, MemoryReserved3;
    public ulong Image;
    public int Layout;
    public uint Aspect;
    public uint Usage;
    public int Format;
    public uint Width, Height, Depth;
    public int Tiling;
    public int Type;
    public int Samples;
    public int Layers;
    public int MipCount;
    public nint Reserved0, Reserved1, Reserved2, Reserved3;
}

/// <summary>UnityVulkanPluginEventConfig: 12 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UnityVulkanPluginEventConfig
{
    public int RenderPassPrecondition;
    public int GraphicsQueueAccess;
    public uint Flags;
}
