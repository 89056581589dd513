using System.Runtime.CompilerServices;

namespace RealtimeUpscale.Native;

/// <summary>
/// The work behind each export of <see cref="Exports"/>. Each method is kept out of line
/// (<see cref="MethodImplOptions.NoInlining"/>): the first call into the library starts the runtime inside the
/// export, so the export's own frame must hold nothing the runtime's stack cookie guards (a stack buffer);
/// every local lives here instead. Nothing escapes: every exception becomes a result code and the calling
/// thread's last-error message.
/// </summary>
internal static unsafe class Api
{
    public const uint Version = 2;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint GetApiVersion() => Version;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static byte* GetLastError() => (byte*)Errors.LastMessage;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int VkContextCreate(DeviceDesc* desc, nint* result) => Guard(() =>
    {
        Out(result, "out");
        *result = 0;
        if (desc == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, "desc (rtup_vk_device_desc) is NULL.");
        }
        *result = Handles.Add(NativeContext.Borrow(*desc));
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ContextCreateDefault(uint flags, nint* result) => Guard(() =>
    {
        Out(result, "out");
        *result = 0;
        if ((flags & ~ContextValidationFlag) != 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"flags has unknown bits 0x{flags & ~ContextValidationFlag:x}.");
        }
        *result = Handles.Add(NativeContext.CreateDefault((flags & ContextValidationFlag) != 0));
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ContextDestroy(nint context) => Guard(() =>
    {
        if (context == 0)
        {
            return;
        }
        var ctx = Handles.Get<NativeContext>(context, "ctx");
        if (Unity.UnityPlugin.Owns(ctx))
        {
            throw new ApiException(RtupResult.InvalidArgument,
                "ctx is the context on Unity's device; Unity's Shutdown device event destroys it, rtup_context_destroy does not.");
        }
        lock (ctx.Lock)
        {
            Handles.Remove(ctx);
            ctx.Dispose();
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int ContextGetValidationMessageCount(nint context, uint* count) => Guard(() =>
    {
        Out(count, "count");
        var ctx = Handles.Get<NativeContext>(context, "ctx");
        *count = (uint)(ctx.Gpu.Validation?.Count ?? 0);
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int UpscalerCreate(nint context, UpscalerDesc* desc, nint* result) => Guard(() =>
    {
        Out(result, "out");
        *result = 0;
        var ctx = Handles.Get<NativeContext>(context, "ctx");
        if (desc == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, "desc (rtup_upscaler_desc) is NULL.");
        }
        // A host built against an older header passes the struct without its later fields: they read as zero.
        var copy = default(UpscalerDesc);
        uint size = Math.Min(*(uint*)desc, (uint)sizeof(UpscalerDesc));
        Buffer.MemoryCopy(desc, &copy, sizeof(UpscalerDesc), size);
        lock (ctx.Lock)
        {
            var upscaler = NativeUpscaler.Create(ctx, copy);
            ctx.Add(upscaler);
            *result = Handles.Add(upscaler);
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int UpscalerGetOutputSize(nint upscaler, uint* width, uint* height) => Guard(() =>
    {
        Out(width, "width");
        Out(height, "height");
        var up = Handles.Get<NativeUpscaler>(upscaler, "up");
        *width = (uint)up.Upscaler.OutputWidth;
        *height = (uint)up.Upscaler.OutputHeight;
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int VkUpscalerRecord(nint upscaler, DispatchDesc* desc) => Guard(() =>
    {
        var up = Handles.Get<NativeUpscaler>(upscaler, "up");
        if (desc == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, "desc (rtup_vk_dispatch_desc) is NULL.");
        }
        lock (up.Context.Lock)
        {
            up.Record(*desc);
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int VkUpscalerForgetImages(nint upscaler) => Guard(() =>
    {
        var up = Handles.Get<NativeUpscaler>(upscaler, "up");
        lock (up.Context.Lock)
        {
            up.ForgetImages();
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int UpscalerRunRgba8(nint upscaler, byte* input, uint inputStride, byte* output, uint outputStride) => Guard(() =>
    {
        var up = Handles.Get<NativeUpscaler>(upscaler, "up");
        lock (up.Context.Lock)
        {
            up.RunRgba8(input, inputStride, output, outputStride);
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void UpscalerDestroy(nint upscaler) => Guard(() =>
    {
        if (upscaler == 0)
        {
            return;
        }
        var up = Handles.Get<NativeUpscaler>(upscaler, "up");
        lock (up.Context.Lock)
        {
            Handles.Remove(up);
            up.Context.Forget(up);
            up.Dispose();
        }
    });

    /// <summary>RTUP_CONTEXT_VALIDATION.</summary>
    public const uint ContextValidationFlag = 1;

    /// <summary>Runs <paramref name="work"/>, turning any exception into its code and message.</summary>
    public static int Guard(Action work)
    {
        try
        {
            Errors.Clear();
            work();
            return (int)RtupResult.Ok;
        }
        catch (Exception e)
        {
            try
            {
                return (int)Errors.From(e);
            }
            catch
            {
                return (int)RtupResult.Internal; // even the message could not be made (out of memory)
            }
        }
    }

    private static void Out(void* pointer, string name)
    {
        if (pointer == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"{name} is NULL.");
        }
    }
}
