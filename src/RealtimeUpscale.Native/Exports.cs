using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RealtimeUpscale.Native.Unity;

namespace RealtimeUpscale.Native;

/// <summary>
/// The C entry points of include/realtimeupscale.h and Unity's plugin entry points. Each is one line that
/// forwards to a worker (<see cref="Api"/>, <see cref="UnityPlugin"/>) kept out of line: the first call into the
/// library starts the runtime inside it, and an export whose own frame held a stack buffer would abort on
/// return (the runtime sets its stack cookie after that frame saved the old one).
/// </summary>
internal static unsafe class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "rtup_get_api_version", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static uint GetApiVersion() => Api.GetApiVersion();

    [UnmanagedCallersOnly(EntryPoint = "rtup_get_last_error", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static byte* GetLastError() => Api.GetLastError();

    [UnmanagedCallersOnly(EntryPoint = "rtup_vk_context_create", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int VkContextCreate(DeviceDesc* desc, nint* result) => Api.VkContextCreate(desc, result);

    [UnmanagedCallersOnly(EntryPoint = "rtup_context_create_default", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int ContextCreateDefault(nint* result) => Api.ContextCreateDefault(0, result);

    [UnmanagedCallersOnly(EntryPoint = "rtup_context_create_default_with_flags", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int ContextCreateDefaultWithFlags(uint flags, nint* result) => Api.ContextCreateDefault(flags, result);

    [UnmanagedCallersOnly(EntryPoint = "rtup_context_get_validation_message_count", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int ContextGetValidationMessageCount(nint context, uint* count) => Api.ContextGetValidationMessageCount(context, count);

    [UnmanagedCallersOnly(EntryPoint = "rtup_context_destroy", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static void ContextDestroy(nint context) => Api.ContextDestroy(context);

    [UnmanagedCallersOnly(EntryPoint = "rtup_upscaler_create", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UpscalerCreate(nint context, UpscalerDesc* desc, nint* result) => Api.UpscalerCreate(context, desc, result);

    [UnmanagedCallersOnly(EntryPoint = "rtup_upscaler_get_output_size", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UpscalerGetOutputSize(nint upscaler, uint* width, uint* height) => Api.UpscalerGetOutputSize(upscaler, width, height);

    [UnmanagedCallersOnly(EntryPoint = "rtup_vk_upscaler_record", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int VkUpscalerRecord(nint upscaler, DispatchDesc* desc) => Api.VkUpscalerRecord(upscaler, desc);

    [UnmanagedCallersOnly(EntryPoint = "rtup_vk_upscaler_forget_images", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int VkUpscalerForgetImages(nint upscaler) => Api.VkUpscalerForgetImages(upscaler);

    [UnmanagedCallersOnly(EntryPoint = "rtup_upscaler_run_rgba8", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UpscalerRunRgba8(nint upscaler, byte* input, uint inputStride, byte* output, uint outputStride) =>
        Api.UpscalerRunRgba8(upscaler, input, inputStride, output, outputStride);

    [UnmanagedCallersOnly(EntryPoint = "rtup_upscaler_destroy", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static void UpscalerDestroy(nint upscaler) => Api.UpscalerDestroy(upscaler);

    [UnmanagedCallersOnly(EntryPoint = "UnityPluginLoad", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static void UnityPluginLoad(nint interfaces) => UnityPlugin.Load(interfaces);

    [UnmanagedCallersOnly(EntryPoint = "UnityPluginUnload", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static void UnityPluginUnload() => UnityPlugin.Unload();

    [UnmanagedCallersOnly(EntryPoint = "rtup_unity_get_render_event_func", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static nint UnityGetRenderEventFunc() => UnityPlugin.RenderEventFunc();

    [UnmanagedCallersOnly(EntryPoint = "rtup_unity_get_event_id", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UnityGetEventId() => UnityPlugin.EventId();

    [UnmanagedCallersOnly(EntryPoint = "rtup_unity_get_context", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UnityGetContext(nint* result) => UnityPlugin.GetContext(result);

    [UnmanagedCallersOnly(EntryPoint = "rtup_unity_get_last_event_result", CallConvs = new[] { typeof(CallConvCdecl) })]
    public static int UnityGetLastEventResult(byte* message, nuint size) => UnityPlugin.LastEventResult(message, size);
}
