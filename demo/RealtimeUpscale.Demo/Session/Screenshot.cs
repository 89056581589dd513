using RealtimeUpscale.Imaging;
using RealtimeUpscale.Runtime;
using StbImageWriteSharp;

namespace RealtimeUpscale.Demo;

/// <summary>Saves the screen image as an RGB PNG file, written atomically (a failed save leaves no partial file).</summary>
internal static class Screenshot
{
    /// <summary>Saves <paramref name="screen"/> (rgba8) to <paramref name="path"/>, replacing it; the device must be idle of it.</summary>
    public static void Save(GpuImage screen, string path)
    {
        byte[] rgba = screen.Download();
        int n = screen.Width * screen.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
        AtomicFile.Write(path, overwrite: true, stream =>
            new ImageWriter().WritePng(rgb, screen.Width, screen.Height, ColorComponents.RedGreenBlue, stream));
    }

    /// <summary>The name of a screenshot taken with F12: the time and the frame number, in the working folder.</summary>
    public static string NameFor(int frame) => $"rtup-demo-{DateTime.Now:yyyyMMdd-HHmmss}-{frame}.png";
}
