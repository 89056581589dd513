using RealtimeUpscale.Imaging;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>Encodes a finished image in its output's format, with the input's metadata, and writes it atomically.</summary>
internal static class OutputEncoder
{
    /// <summary>
    /// Writes <paramref name="image"/> to <paramref name="output"/> through <see cref="AtomicFile"/> (an interrupted
    /// or failed write leaves no partial file), after checking again that the output is none of
    /// <paramref name="inputs"/>: the file system may have changed since the batch was planned.
    /// </summary>
    public static void Write(string output, HostImage image, CarriedMetadata metadata, UpscaleRequest request, IReadOnlySet<(ulong, ulong)> inputs)
    {
        string ext = Path.GetExtension(output).TrimStart('.').ToLowerInvariant();
        CheckNotAnInput(output, inputs);
        AtomicFile.Write(output, request.Overwrite, stream => ImageFileWriter.Write(stream, image, ext, request.Quality, metadata));
    }

    /// <summary>Throws when <paramref name="output"/> is (through any path) one of <paramref name="inputs"/>.</summary>
    /// <exception cref="IOException">It is an input.</exception>
    public static void CheckNotAnInput(string output, IReadOnlySet<(ulong, ulong)> inputs)
    {
        if (FileNode.Stat(output) is { } node && inputs.Contains((node.Device, node.Inode)))
        {
            throw new IOException($"its output {output} is an input (the same file); inputs are never overwritten");
        }
    }
}
