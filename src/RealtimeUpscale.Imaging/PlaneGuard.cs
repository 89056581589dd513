namespace RealtimeUpscale.Imaging;

/// <summary>Argument checks shared by the plane functions.</summary>
internal static class PlaneGuard
{
    /// <summary>Throws unless both sizes are positive and the buffer holds exactly height * width * channels.</summary>
    public static void CheckLength(long length, int height, int width, int channels, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        long expected = (long)height * width * channels;
        if (length != expected)
        {
            throw new ArgumentException(
                $"Expected {height} x {width} x {channels} = {expected} elements, got {length}.", paramName);
        }
    }
}
