using System;
using System.Runtime.InteropServices;

namespace RealtimeUpscale.Unity
{
    /// <summary>
    /// The plugin's C functions this package calls (include/realtimeupscale.h). Unity resolves "realtimeupscale"
    /// to Plugins/x86_64/librealtimeupscale.so on Linux and realtimeupscale.dll on Windows.
    /// </summary>
    internal static class RealtimeUpscaleNative
    {
        private const string Library = "realtimeupscale";

        /// <summary>rtup_upscaler_desc; struct_size is its size on 64-bit players (40 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct UpscalerDesc
        {
            public uint StructSize;
            public IntPtr ModelPath;
            public IntPtr ModelData;
            public UIntPtr ModelSize;
            public uint InputWidth;
            public uint InputHeight;
        }

        /// <summary>rtup_unity_event (32 bytes): what the render event reads on Unity's render thread.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct UnityEvent
        {
            public uint StructSize;
            public IntPtr Upscaler;
            public IntPtr InputTexture;
            public IntPtr OutputTexture;
        }

        [DllImport(Library, EntryPoint = "rtup_get_last_error")]
        private static extern IntPtr GetLastErrorPointer();

        [DllImport(Library, EntryPoint = "rtup_unity_get_context")]
        internal static extern int GetContext(out IntPtr context);

        [DllImport(Library, EntryPoint = "rtup_unity_get_render_event_func")]
        internal static extern IntPtr GetRenderEventFunc();

        [DllImport(Library, EntryPoint = "rtup_unity_get_event_id")]
        internal static extern int GetEventId();

        [DllImport(Library, EntryPoint = "rtup_unity_get_last_event_result")]
        internal static extern int GetLastEventResult(byte[] message, UIntPtr size);

        [DllImport(Library, EntryPoint = "rtup_upscaler_create")]
        internal static extern int CreateUpscaler(IntPtr context, ref UpscalerDesc desc, out IntPtr upscaler);

        [DllImport(Library, EntryPoint = "rtup_upscaler_get_output_size")]
        internal static extern int GetOutputSize(IntPtr upscaler, out uint width, out uint height);

        [DllImport(Library, EntryPoint = "rtup_upscaler_destroy")]
        internal static extern void DestroyUpscaler(IntPtr upscaler);

        /// <summary>Throws with the plugin's message when <paramref name="result"/> is not RTUP_OK.</summary>
        internal static void Check(int result, string call)
        {
            if (result != 0)
            {
                throw new InvalidOperationException(
                    $"{call} failed ({result}): {Marshal.PtrToStringAnsi(GetLastErrorPointer())}");
            }
        }
    }
}
