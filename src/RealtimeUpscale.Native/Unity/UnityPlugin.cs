using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace RealtimeUpscale.Native.Unity;

/// <summary>
/// Unity's side of the library: the plugin entry points, the graphics device events (a context on Unity's
/// device at Initialize, destroyed at Shutdown) and the render event that upscales one texture into another
/// inside Unity's command buffer. The context never submits (<c>RTUP_DEVICE_NEVER_SUBMIT</c>); its resources
/// retire by Unity's safe frame number.
/// </summary>
internal static unsafe class UnityPlugin
{
    private static readonly object Gate = new();
    private static IUnityInterfaces* _interfaces;
    private static IUnityGraphics* _graphics;
    private static IUnityGraphicsVulkanV2* _vulkan;
    private static int _eventId = -1;
    private static NativeContext? _context;
    private static int _lastCode;
    private static string _lastMessage = "";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Load(nint interfaces)
    {
        Guarded(() => Attach(interfaces));
        // The device may exist already (the plugin loaded after Unity's graphics started).
        DeviceEvent(UnityIds.DeviceEventInitialize);
    }

    private static void Attach(nint interfaces)
    {
        if (interfaces == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, "UnityPluginLoad was given no IUnityInterfaces.");
        }
        lock (Gate)
        {
            _interfaces = (IUnityInterfaces*)interfaces;
            _graphics = (IUnityGraphics*)_interfaces->GetInterfaceSplit(UnityIds.GraphicsHigh, UnityIds.GraphicsLow);
            _vulkan = (IUnityGraphicsVulkanV2*)_interfaces->GetInterfaceSplit(UnityIds.VulkanV2High, UnityIds.VulkanV2Low);
            if (_graphics == null)
            {
                throw new ApiException(RtupResult.Unsupported, "Unity offers no IUnityGraphics interface.");
            }
            _eventId = _graphics->ReserveEventIDRange(1);
            if (_vulkan != null)
            {
                // Outside a render pass (compute dispatches may not run inside one); the event binds its own
                // pipelines and descriptor sets, so Unity must restore its state afterwards.
                var config = new UnityVulkanPluginEventConfig
                {
                    RenderPassPrecondition = UnityIds.RenderPassEnsureOutside,
                    GraphicsQueueAccess = UnityIds.QueueAccessDontCare,
                    Flags = UnityIds.EventFlags,
                };
                _vulkan->ConfigureEvent(_eventId, &config);
            }
            _graphics->RegisterDeviceEventCallback(&OnDeviceEvent);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Unload() => Guarded(() =>
    {
        lock (Gate)
        {
            if (_graphics != null)
            {
                _graphics->UnregisterDeviceEventCallback(&OnDeviceEvent);
            }
            DestroyContext();
            _interfaces = null;
            _graphics = null;
            _vulkan = null;
        }
    });

    /// <summary>Whether <paramref name="context"/> is the one made on Unity's device (which only Shutdown destroys).</summary>
    public static bool Owns(NativeContext context)
    {
        lock (Gate)
        {
            return ReferenceEquals(context, _context);
        }
    }

    public static nint RenderEventFunc() => (nint)(delegate* unmanaged[Cdecl]<int, nint, void>)&OnRenderEvent;

    public static int EventId() => _eventId;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int GetContext(nint* result) => Api.Guard(() =>
    {
        if (result == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, "out is NULL.");
        }
        *result = 0;
        lock (Gate)
        {
            if (_context is null)
            {
                throw new ApiException(RtupResult.Unsupported, _graphics == null
                    ? "The plugin was not loaded by Unity (UnityPluginLoad was not called)."
                    : $"Unity's graphics device is not a Vulkan device (renderer {_graphics->GetRenderer()}), or it is not initialised.");
            }
            *result = Handles.Of(_context);
        }
    });

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int LastEventResult(byte* message, nuint size)
    {
        lock (Gate)
        {
            if (message != null && size > 0)
            {
                var bytes = Encoding.UTF8.GetBytes(_lastMessage);
                int n = (int)Math.Min((nuint)bytes.Length, size - 1);
                bytes.AsSpan(0, n).CopyTo(new Span<byte>(message, n));
                message[n] = 0;
            }
            return _lastCode;
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnDeviceEvent(int type) => DeviceEvent(type);

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnRenderEvent(int eventId, nint data) => RenderEvent(eventId, data);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DeviceEvent(int type) => Guarded(() =>
    {
        lock (Gate)
        {
            if (type == UnityIds.DeviceEventShutdown)
            {
                DestroyContext();
                return;
            }
            if (type != UnityIds.DeviceEventInitialize || _context is not null || _graphics == null || _vulkan == null ||
                _graphics->GetRenderer() != UnityIds.RendererVulkan)
            {
                return;
            }
            var instance = _vulkan->Instance();
            if (instance.Device == 0)
            {
                return;
            }
            var desc = new DeviceDesc
            {
                StructSize = NativeContext.DeviceDescSize,
                Instance = instance.Instance,
                PhysicalDevice = instance.PhysicalDevice,
                Device = instance.Device,
                Queue = instance.GraphicsQueue,
                QueueFamilyIndex = instance.QueueFamilyIndex,
                GetInstanceProcAddr = instance.GetInstanceProcAddr,
                PipelineCache = instance.PipelineCache,
                Flags = NativeContext.NeverSubmitFlag,
            };
            _context = NativeContext.Borrow(desc);
            Handles.Add(_context);
        }
    });

    /// <summary>
    /// One upscale: both textures are accessed through Unity (which records the barriers and layout changes:
    /// the input to shader-read-only for compute reads, the output to General for compute writes), then the
    /// recording state is taken (access calls invalidate it) and the upscale recorded into Unity's command
    /// buffer at Unity's frame number. Unity's frames count from 0; the library's from 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RenderEvent(int eventId, nint data) => Guarded(() =>
    {
        if (data == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, "The render event's data (rtup_unity_event) is NULL.");
        }
        var evt = *(UnityEventData*)data;
        if (evt.StructSize < (uint)sizeof(UnityEventData))
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_unity_event.struct_size is {evt.StructSize}; this version needs at least {sizeof(UnityEventData)}.");
        }
        if (evt.InputTexture == 0 || evt.OutputTexture == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_unity_event.{(evt.InputTexture == 0 ? "input_texture" : "output_texture")} is NULL.");
        }
        var up = Handles.Get<NativeUpscaler>(evt.Upscaler, "rtup_unity_event.upscaler");
        IUnityGraphicsVulkanV2* vulkan;
        lock (Gate)
        {
            vulkan = _vulkan;
            if (vulkan == null || _context is null || !ReferenceEquals(up.Context, _context))
            {
                throw new ApiException(RtupResult.InvalidArgument,
                    "rtup_unity_event.upscaler was not made on the context of Unity's device (rtup_unity_get_context).");
            }
        }
        vulkan->EnsureOutsideRenderPass();
        UnityVulkanImage input, output;
        const uint computeStage = 0x800; // VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
        if (vulkan->AccessTexture(evt.InputTexture, null, 5 /* SHADER_READ_ONLY_OPTIMAL */, computeStage,
                0x20 /* VK_ACCESS_SHADER_READ_BIT */, UnityIds.AccessPipelineBarrier, &input) == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, "Unity refused access to the input texture (AccessTexture failed).");
        }
        if (vulkan->AccessTexture(evt.OutputTexture, null, 1 /* GENERAL */, computeStage,
                0x40 /* VK_ACCESS_SHADER_WRITE_BIT */, UnityIds.AccessPipelineBarrier, &output) == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, "Unity refused access to the output texture (AccessTexture failed).");
        }
        UnityVulkanRecordingState state;
        if (vulkan->CommandRecordingState(&state, UnityIds.QueueAccessDontCare) == 0)
        {
            throw new ApiException(RtupResult.Internal, "Unity gave no command buffer (CommandRecordingState failed).");
        }
        if (state.SubPassIndex != -1)
        {
            throw new ApiException(RtupResult.Internal, "Unity's command buffer is inside a render pass; compute work cannot be recorded there.");
        }
        ulong frame = state.CurrentFrameNumber + 1;
        var dispatch = new DispatchDesc
        {
            StructSize = NativeUpscaler.DispatchDescSize,
            CommandBuffer = state.CommandBuffer,
            Input = new VkImageDesc
            {
                Image = input.Image, Format = input.Format, Layout = 5, Width = input.Width, Height = input.Height,
            },
            Output = new VkImageDesc
            {
                Image = output.Image, Format = output.Format, Layout = 1, Width = output.Width, Height = output.Height,
            },
            FrameIndex = frame,
            // Everything used in Unity's safe frame or before has finished on the GPU.
            CompletedFrameIndex = Math.Min(state.SafeFrameNumber + 1, frame - 1),
        };
        lock (up.Context.Lock)
        {
            up.Record(dispatch);
        }
    });

    private static void DestroyContext()
    {
        if (_context is not null)
        {
            lock (_context.Lock)
            {
                Handles.Remove(_context);
                _context.Dispose();
            }
            _context = null;
        }
    }

    /// <summary>Runs a callback Unity made; its outcome is kept for <c>rtup_unity_get_last_event_result</c>.</summary>
    private static void Guarded(Action work)
    {
        int code = Api.Guard(work);
        string message = code == 0 ? "" : Marshal.PtrToStringUTF8((nint)Api.GetLastError()) ?? "";
        lock (Gate)
        {
            _lastCode = code;
            _lastMessage = message;
        }
    }
}
