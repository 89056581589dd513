using RealtimeUpscale.Imaging;
using StbImageWriteSharp;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>Encodes a finished image in its output's format (png, jpg, bmp, tga) and writes it atomically.</summary>
internal static class OutputEncoder
{
    /// <summary>
    /// Writes <paramref name="pixels"/> (<paramref name="channels"/> bytes a pixel) to <paramref name="output"/>
    /// through <see cref="AtomicFile"/>: an interrupted or failed write leaves no partial file.
    /// </summary>
    public static void Write(string output, byte[] pixels, int width, int height, int channels, UpscaleRequest request)
    {
        string ext = Path.GetExtension(output).ToLowerInvariant();
        AtomicFile.Write(output, request.Overwrite, stream =>
        {
            var (data, components) = ForWriter(pixels, width, height, channels, ext);
            var writer = new ImageWriter();
            switch (ext)
            {
                case ".png": writer.WritePng(data, width, height, components, stream); break;
                case ".jpg" or ".jpeg": writer.WriteJpg(data, width, height, components, stream, request.Quality); break;
                case ".bmp": writer.WriteBmp(data, width, height, components, stream); break;
                case ".tga": writer.WriteTga(data, width, height, components, stream); break;
                default: throw new ArgumentException($"cannot write {ext} files (png, jpg, bmp, tga)");
            }
        });
    }

    /// <summary>The pixels as the writer takes them; alpha dropped for formats without it (the planner refused them unless asked).</summary>
    private static (byte[] Pixels, ColorComponents Components) ForWriter(byte[] pixels, int width, int height, int c, string ext)
    {
        bool alphaOk = ext is ".png" or ".tga";
        if (alphaOk || c is 1 or 3)
        {
            return (pixels, c switch
            {
                1 => ColorComponents.Grey,
                2 => ColorComponents.GreyAlpha,
                3 => ColorComponents.RedGreenBlue,
                _ => ColorComponents.RedGreenBlueAlpha,
            });
        }
        int n = width * height, keep = c - 1;
        var stripped = new byte[n * keep];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < keep; k++)
            {
                stripped[i * keep + k] = pixels[i * c + k];
            }
        }
        return (stripped, keep == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
    }
}
