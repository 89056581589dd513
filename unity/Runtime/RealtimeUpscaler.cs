using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using UnityEngine;
using UnityEngine.Rendering;

namespace RealtimeUpscale.Unity
{
    /// <summary>
    /// Upscales one RenderTexture into another on the GPU with a learned model, inside Unity's own command
    /// buffer (Vulkan only): the plugin accesses both textures through Unity (which records the barriers) and
    /// records its compute dispatches into the frame being recorded. Make it once per input size; call
    /// <see cref="Record"/> from a CommandBuffer each frame.
    /// </summary>
    /// <remarks>
    /// The render event reads an rtup_unity_event on Unity's render thread, which runs behind the main thread;
    /// the event data therefore lives in native memory owned by this object, and after <see cref="Dispose"/> it
    /// is freed only once <see cref="ReleaseFrames"/> frames have passed (<see cref="ReleasePending"/>, which
    /// <see cref="RealtimeUpscaleBehaviour"/> calls every frame). The plugin frees the upscaler's GPU objects by
    /// Unity's safe frame number.
    /// </remarks>
    public sealed class RealtimeUpscaler : IDisposable
    {
        /// <summary>Frames after which a disposed upscaler's event data is no longer read by the render thread.</summary>
        public const int ReleaseFrames = 4;

        private static readonly List<(int Frame, IntPtr Memory)> Pending = new List<(int, IntPtr)>();
        private readonly Dictionary<(IntPtr, IntPtr), IntPtr> _events = new Dictionary<(IntPtr, IntPtr), IntPtr>();
        private IntPtr _upscaler;

        /// <summary>
        /// Loads <paramref name="modelPath"/> (an ONNX file, e.g. under Application.streamingAssetsPath) for
        /// inputs of <paramref name="inputWidth"/> x <paramref name="inputHeight"/> on Unity's Vulkan device.
        /// Throws <see cref="InvalidOperationException"/> with the plugin's message when the device is not
        /// Vulkan, the model cannot be loaded, or the size is refused.
        /// </summary>
        public RealtimeUpscaler(string modelPath, int inputWidth, int inputHeight)
        {
            RealtimeUpscaleNative.Check(RealtimeUpscaleNative.GetContext(out IntPtr context), "rtup_unity_get_context");
            IntPtr path = Marshal.StringToCoTaskMemUTF8(modelPath);
            try
            {
                var desc = new RealtimeUpscaleNative.UpscalerDesc
                {
                    StructSize = (uint)Marshal.SizeOf<RealtimeUpscaleNative.UpscalerDesc>(),
                    ModelPath = path,
                    InputWidth = (uint)inputWidth,
                    InputHeight = (uint)inputHeight,
                };
                RealtimeUpscaleNative.Check(RealtimeUpscaleNative.CreateUpscaler(context, ref desc, out _upscaler), "rtup_upscaler_create");
            }
            finally
            {
                Marshal.FreeCoTaskMem(path);
            }
            RealtimeUpscaleNative.Check(RealtimeUpscaleNative.GetOutputSize(_upscaler, out uint width, out uint height),
                "rtup_upscaler_get_output_size");
            InputWidth = inputWidth;
            InputHeight = inputHeight;
            OutputWidth = (int)width;
            OutputHeight = (int)height;
        }

        public int InputWidth { get; }

        public int InputHeight { get; }

        /// <summary>The size the output RenderTexture must have (the model's scale times the input).</summary>
        public int OutputWidth { get; }

        public int OutputHeight { get; }

        /// <summary>
        /// A RenderTexture the upscaler can write: <see cref="OutputWidth"/> x <see cref="OutputHeight"/>, ARGB32
        /// in linear (not sRGB: an sRGB image cannot be a storage image), random write enabled.
        /// </summary>
        public RenderTexture CreateOutputTexture()
        {
            var texture = new RenderTexture(OutputWidth, OutputHeight, 0, RenderTextureFormat.ARGB32, RenderTextureReadWrite.Linear)
            {
                enableRandomWrite = true,
            };
            texture.Create();
            return texture;
        }

        /// <summary>
        /// Adds the upscale of <paramref name="input"/> into <paramref name="output"/> to <paramref name="commands"/>.
        /// The event data for a pair of textures is made once and kept until <see cref="Dispose"/> (a recreated
        /// texture is a new pair).
        /// </summary>
        public void Record(CommandBuffer commands, RenderTexture input, RenderTexture output)
        {
            if (_upscaler == IntPtr.Zero)
            {
                throw new ObjectDisposedException(nameof(RealtimeUpscaler));
            }
            if (input.width != InputWidth || input.height != InputHeight || output.width != OutputWidth || output.height != OutputHeight)
            {
                throw new ArgumentException($"The upscaler takes {InputWidth}x{InputHeight} to {OutputWidth}x{OutputHeight}; " +
                                            $"got {input.width}x{input.height} and {output.width}x{output.height}.");
            }
            if (!output.enableRandomWrite || output.sRGB)
            {
                throw new ArgumentException("The output RenderTexture needs enableRandomWrite and a linear (not sRGB) format.");
            }
            // GetNativeTexturePtr waits for the render thread; it is asked once per texture pair.
            var key = (input.GetNativeTexturePtr(), output.GetNativeTexturePtr());
            if (!_events.TryGetValue(key, out IntPtr data))
            {
                data = Marshal.AllocHGlobal(Marshal.SizeOf<RealtimeUpscaleNative.UnityEvent>());
                Marshal.StructureToPtr(new RealtimeUpscaleNative.UnityEvent
                {
                    StructSize = (uint)Marshal.SizeOf<RealtimeUpscaleNative.UnityEvent>(),
                    Upscaler = _upscaler,
                    InputTexture = key.Item1,
                    OutputTexture = key.Item2,
                }, data, false);
                _events.Add(key, data);
            }
            commands.IssuePluginEventAndData(RealtimeUpscaleNative.GetRenderEventFunc(), RealtimeUpscaleNative.GetEventId(), data);
        }

        /// <summary>The outcome of the plugin's last render event (events cannot return one): null when it succeeded.</summary>
        public static string LastEventError()
        {
            var message = new byte[512];
            int result = RealtimeUpscaleNative.GetLastEventResult(message, (UIntPtr)message.Length);
            return result == 0 ? null : $"{result}: {Encoding.UTF8.GetString(message, 0, Array.IndexOf(message, (byte)0))}";
        }

        /// <summary>
        /// Destroys the upscaler (its GPU objects are freed by the plugin once Unity's safe frame passes the frames
        /// that used it) and queues the event data for release after <see cref="ReleaseFrames"/> frames.
        /// </summary>
        public void Dispose()
        {
            if (_upscaler == IntPtr.Zero)
            {
                return;
            }
            RealtimeUpscaleNative.DestroyUpscaler(_upscaler);
            _upscaler = IntPtr.Zero;
            foreach (var data in _events.Values)
            {
                Pending.Add((Time.frameCount, data));
            }
            _events.Clear();
        }

        /// <summary>Frees the event data of upscalers disposed at least <see cref="ReleaseFrames"/> frames ago.</summary>
        public static void ReleasePending()
        {
            Pending.RemoveAll(p =>
            {
                if (Time.frameCount - p.Frame < ReleaseFrames)
                {
                    return false;
                }
                Marshal.FreeHGlobal(p.Memory);
                return true;
            });
        }
    }
}
