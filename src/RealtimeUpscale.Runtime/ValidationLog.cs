using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>One warning or error reported by the validation layer.</summary>
/// <param name="Severity">Warning or Error.</param>
/// <param name="MessageId">The layer's VUID or message name.</param>
/// <param name="Message">The full text.</param>
public sealed record ValidationMessage(string Severity, string MessageId, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"[{Severity}] {MessageId}: {Message}";
}

/// <summary>
/// Collects the warnings and errors of <c>VK_LAYER_KHRONOS_validation</c> for one context. The debug
/// callback runs on whatever thread made the Vulkan call, so the log is thread-safe. Info and verbose
/// messages are not subscribed to (the loader alone sends dozens of them).
/// </summary>
public sealed class ValidationLog
{
    private readonly ConcurrentQueue<ValidationMessage> _messages = new();

    /// <summary>Messages received so far, oldest first.</summary>
    public IReadOnlyList<ValidationMessage> Messages => _messages.ToArray();

    /// <summary>Number of messages received so far.</summary>
    public int Count => _messages.Count;

    /// <summary>Removes and returns everything received so far.</summary>
    public IReadOnlyList<ValidationMessage> Drain()
    {
        var list = new List<ValidationMessage>();
        while (_messages.TryDequeue(out var m))
        {
            list.Add(m);
        }
        return list;
    }

    internal void Add(ValidationMessage message) => _messages.Enqueue(message);

    /// <summary>
    /// A messenger create-info that routes warnings and errors into this log: chain it into
    /// <c>VkInstanceCreateInfo.pNext</c> and pass it to <c>vkCreateDebugUtilsMessengerEXT</c>. For engines that
    /// create their own instance. <paramref name="handle"/> keeps the log reachable from native code; free it
    /// after the messenger and the instance are destroyed.
    /// </summary>
    public unsafe DebugUtilsMessengerCreateInfoEXT CreateMessengerInfo(out GCHandle handle)
    {
        handle = GCHandle.Alloc(this);
        return new DebugUtilsMessengerCreateInfoEXT(
            messageSeverity: Severities,
            messageType: Types,
            pfnUserCallback: new PfnDebugUtilsMessengerCallbackEXT(
                (delegate* unmanaged[Cdecl]<DebugUtilsMessageSeverityFlagsEXT, DebugUtilsMessageTypeFlagsEXT,
                    DebugUtilsMessengerCallbackDataEXT*, void*, Silk.NET.Core.Bool32>)
                (delegate* unmanaged[Cdecl]<DebugUtilsMessageSeverityFlagsEXT, DebugUtilsMessageTypeFlagsEXT,
                    DebugUtilsMessengerCallbackDataEXT*, void*, uint>)&Callback),
            pUserData: (void*)GCHandle.ToIntPtr(handle));
    }

    internal static DebugUtilsMessageSeverityFlagsEXT Severities =>
        DebugUtilsMessageSeverityFlagsEXT.WarningBitExt | DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt;

    internal static DebugUtilsMessageTypeFlagsEXT Types =>
        DebugUtilsMessageTypeFlagsEXT.GeneralBitExt | DebugUtilsMessageTypeFlagsEXT.ValidationBitExt |
        DebugUtilsMessageTypeFlagsEXT.PerformanceBitExt;

    /// <summary>
    /// The debug-utils callback. <paramref name="userData"/> is a GCHandle to the log. It must never let
    /// an exception escape: that would terminate the process.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    internal static unsafe uint Callback(
        DebugUtilsMessageSeverityFlagsEXT severity,
        DebugUtilsMessageTypeFlagsEXT types,
        DebugUtilsMessengerCallbackDataEXT* data,
        void* userData)
    {
        try
        {
            if (userData != null && GCHandle.FromIntPtr((nint)userData).Target is ValidationLog log)
            {
                string id = Marshal.PtrToStringUTF8((nint)data->PMessageIdName) ?? "";
                string text = Marshal.PtrToStringUTF8((nint)data->PMessage) ?? "";
                string level = (severity & DebugUtilsMessageSeverityFlagsEXT.ErrorBitExt) != 0 ? "error" : "warning";
                log.Add(new ValidationMessage(level, id, text));
            }
        }
        catch
        {
            // Nothing may escape into the driver; a lost message is better than a killed process.
        }
        return Vk.False;
    }
}
