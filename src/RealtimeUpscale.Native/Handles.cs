using System.Runtime.InteropServices;

namespace RealtimeUpscale.Native;

/// <summary>
/// The opaque handles the C API hands out (<c>rtup_context</c>, <c>rtup_upscaler</c>): a GC handle per live
/// object, kept in a table so that a null, destroyed or foreign pointer is reported as an invalid argument
/// instead of being dereferenced.
/// </summary>
internal static class Handles
{
    private static readonly Dictionary<nint, object> Live = new();

    public static nint Add(object target)
    {
        var handle = GCHandle.ToIntPtr(GCHandle.Alloc(target));
        lock (Live)
        {
            Live.Add(handle, target);
        }
        return handle;
    }

    /// <summary>The object behind <paramref name="handle"/>, or an invalid-argument error naming <paramref name="what"/>.</summary>
    public static T Get<T>(nint handle, string what) where T : class
    {
        if (handle == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"{what} is NULL.");
        }
        lock (Live)
        {
            if (Live.TryGetValue(handle, out var target) && target is T typed)
            {
                return typed;
            }
        }
        throw new ApiException(RtupResult.InvalidArgument, $"{what} is not a live {typeof(T).Name switch
        {
            nameof(NativeContext) => "rtup_context",
            _ => "rtup_upscaler",
        }} (destroyed, or never made by this library).");
    }

    /// <summary>Forgets <paramref name="target"/>'s handle; later calls with it are invalid arguments.</summary>
    public static void Remove(object target)
    {
        lock (Live)
        {
            foreach (var (handle, value) in Live)
            {
                if (ReferenceEquals(value, target))
                {
                    Live.Remove(handle);
                    GCHandle.FromIntPtr(handle).Free();
                    return;
                }
            }
        }
    }

    /// <summary>The handle of a live object (0 when it has none).</summary>
    public static nint Of(object target)
    {
        lock (Live)
        {
            foreach (var (handle, value) in Live)
            {
                if (ReferenceEquals(value, target))
                {
                    return handle;
                }
            }
        }
        return 0;
    }
}
