using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Writes a file so that readers see either the old file or the whole new one, never a partial one: the bytes go
/// to a temporary file in the target's folder, which is flushed to disk and then renamed over the target in one
/// step. Used by the command line's outputs, the demo's screenshots and the pipeline-cache file.
/// </summary>
/// <remarks>
/// <para>The temporary file is <c>.NAME.PID.RANDOM.partial</c> beside the target (same file system, so the rename
/// is atomic): PID lets a later run recognise the leftovers of a process that was killed (SIGKILL cannot be
/// caught), RANDOM (64 bits from the system's cryptographic generator) makes the name unpredictable. It is created
/// exclusively (<see cref="FileMode.CreateNew"/>, <c>O_CREAT | O_EXCL</c>), which fails on anything already at the
/// name, a planted symbolic link included, instead of following it; another name is then tried.</para>
/// <para>Before each write, temporary files that dead processes left in the target's folder (of any name) are
/// deleted, so a run killed with SIGKILL leaves nothing that the next run into that folder does not clean.</para>
/// <para>On failure the temporary file is deleted and the target is left as it was. <see cref="AbandonAll"/>,
/// called from a SIGINT/SIGTERM handler just before the process exits, deletes the temporary files being written
/// and refuses new ones, so an interrupted process leaves no partial file either.</para>
/// </remarks>
public static class AtomicFile
{
    private const int Attempts = 8;

    // The temporary files being written, deleted by AbandonAll. The gate also covers _abandoned: once AbandonAll
    // has run, no temporary file is created, so none can appear after the deletion while the process exits.
    private static readonly HashSet<string> Writing = new();
    private static readonly object Gate = new();
    private static bool _abandoned;

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/>, which receives the temporary file's stream
    /// (it need not flush or close it). The target's folder is created when missing.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="overwrite">Replace an existing file; when false an existing file makes the call fail, before
    /// anything is written and again at the rename (which never replaces a file that appeared meanwhile).</param>
    /// <param name="write">Writes the content; an exception from it deletes the temporary file and propagates.</param>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or no temporary
    /// file could be created, or writing or renaming failed.</exception>
    /// <exception cref="OperationCanceledException">The process is being stopped (<see cref="AbandonAll"/> ran).</exception>
    public static void Write(string path, bool overwrite, Action<Stream> write) => Write(path, overwrite, write, RandomSuffix);

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> as <see cref="Write(string, bool, Action{Stream})"/> does.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool overwrite = true)
    {
        var copy = bytes.ToArray();
        Write(path, overwrite, stream => stream.Write(copy));
    }

    /// <summary>
    /// As <see cref="Write(string, bool, Action{Stream})"/>, with the random part of the temporary name drawn from
    /// <paramref name="suffix"/> (tests plant files at the names it gives).
    /// </summary>
    internal static void Write(string path, bool overwrite, Action<Stream> write, Func<string> suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new IOException($"{path} names no file.");
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new IOException($"{path} names a folder, not a file.");
        }
        Directory.CreateDirectory(dir);
        if (!overwrite && Exists(full))
        {
            throw new IOException($"{full} exists and is not replaced.");
        }
        DeleteStale(dir);

        var (temp, stream) = CreateTemporary(dir, name, suffix);
        try
        {
            using (stream)
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            // rename(2) over the target; without overwrite .NET links the temporary to the target (which fails when
            // the target exists) and unlinks it, so a file that appeared since the check above is not replaced.
            File.Move(temp, full, overwrite);
        }
        finally
        {
            lock (Gate)
            {
                Writing.Remove(temp);
            }
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Deletes every temporary file this process is writing and makes later writes fail with
    /// <see cref="OperationCanceledException"/>. For a signal handler, just before the process exits.
    /// </summary>
    public static void AbandonAll()
    {
        lock (Gate)
        {
            _abandoned = true;
            foreach (var temp in Writing)
            {
                TryDelete(temp);
            }
        }
    }

    /// <summary>
    /// Deletes the temporary files that dead processes left in <paramref name="dir"/>, for any target name: a run
    /// killed with SIGKILL (which cannot be caught) leaves its temporary file, and the next write into that folder,
    /// whatever file it writes, removes it. Temporary files of live processes are kept.
    /// </summary>
    internal static void DeleteStale(string dir)
    {
        // Exactly ".NAME.PID.RANDOM.partial", or ".NAME.PID.partial" as earlier versions named them.
        var pattern = new Regex(@"^\..+\.(\d+)(\.[0-9a-f]{16})?\.partial$", RegexOptions.CultureInvariant);
        foreach (var candidate in Directory.EnumerateFileSystemEntries(dir, ".*.partial"))
        {
            var m = pattern.Match(Path.GetFileName(candidate));
            if (m.Success && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) &&
                pid != Environment.ProcessId && !IsRunning(pid))
            {
                // A symbolic link is removed itself; File.Delete never deletes what it points to.
                TryDelete(candidate);
            }
        }
    }

    private static (string Path, FileStream Stream) CreateTemporary(string dir, string name, Func<string> suffix)
    {
        IOException? last = null;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            string temp = Path.Combine(dir, $".{name}.{Environment.ProcessId}.{suffix()}.partial");
            lock (Gate)
            {
                if (_abandoned)
                {
                    throw new OperationCanceledException("interrupted");
                }
                try
                {
                    var stream = new FileStream(temp, new FileStreamOptions
                    {
                        Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None,
                    });
                    Writing.Add(temp);
                    return (temp, stream);
                }
                catch (IOException e) when (Exists(temp))
                {
                    // Something is at this name (a planted file or link): leave it alone and draw another name.
                    last = e;
                }
            }
        }
        throw new IOException($"Could not create a temporary file for {Path.Combine(dir, name)} in {Attempts} attempts.", last);
    }

    /// <summary>Whether anything is at <paramref name="path"/>, a dangling symbolic link included.</summary>
    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return Directory.Exists($"/proc/{pid}");
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The caller's own error (or the interruption) is the one to report.
        }
    }
}
