using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RealtimeUpscale.Imaging;

/// <summary>What a directory entry is.</summary>
public enum FileNodeKind
{
    /// <summary>A regular file: the only kind whose content is read.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (seen only when links are not followed).</summary>
    SymbolicLink,

    /// <summary>A named pipe: opening it for reading would wait for a writer.</summary>
    Fifo,

    /// <summary>A character device (a terminal, /dev/zero, ...).</summary>
    CharacterDevice,

    /// <summary>A block device (a disk).</summary>
    BlockDevice,

    /// <summary>A Unix socket.</summary>
    Socket,
}

/// <summary>
/// The identity and kind of a file: the device and inode that name it whatever path reaches it (symbolic and hard
/// links, <c>..</c>, bind mounts), and its size. Two paths name the same file exactly when their
/// <see cref="Device"/> and <see cref="Inode"/> are equal.
/// </summary>
/// <param name="Kind">What the entry is.</param>
/// <param name="Device">The device holding it (<c>st_dev</c>).</param>
/// <param name="Inode">Its inode number (<c>st_ino</c>).</param>
/// <param name="Size">Its size in bytes.</param>
public readonly record struct FileNode(FileNodeKind Kind, ulong Device, ulong Inode, long Size)
{
    // statx(2), whose struct layout is the same on every Linux architecture (unlike struct stat).
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000, ONoCtty = 0x100;
    private const int WOk = 2, XOk = 1;
    private const int AtEaccess = 0x200;

    /// <summary>Whether two nodes are the same file.</summary>
    public bool SameFileAs(FileNode other) => Device == other.Device && Inode == other.Inode;

    /// <summary>
    /// The node at <paramref name="path"/>, following symbolic links (the final one too) when
    /// <paramref name="followLinks"/>; null when nothing is there (or a link dangles while following).
    /// </summary>
    /// <exception cref="IOException">The path cannot be examined (a permission, a loop of links).</exception>
    public static FileNode? Stat(string path, bool followLinks = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!OperatingSystem.IsLinux())
        {
            return PortableStat(path, followLinks);
        }
        Span<byte> buffer = stackalloc byte[StatxSize];
        int rc = Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer));
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is 2 or 20) // ENOENT, ENOTDIR: nothing there
            {
                return null;
            }
            throw new IOException($"{path}: cannot examine it ({Marshal.GetPInvokeErrorMessage(errno)}).");
        }
        return FromStatx(buffer);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading if, and only if, it is a regular file: a named pipe is opened
    /// without waiting for a writer and refused, as are devices and sockets, so no read can hang on one.
    /// <paramref name="node"/> is the opened file's identity (taken from the open descriptor, so it cannot differ
    /// from what is read).
    /// </summary>
    /// <exception cref="InvalidDataException">It is not a regular file.</exception>
    /// <exception cref="IOException">It cannot be opened (<see cref="FileNotFoundException"/> when absent).</exception>
    /// <exception cref="UnauthorizedAccessException">Reading it is not permitted.</exception>
    public static FileStream OpenRegular(string path, out FileNode node)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!OperatingSystem.IsLinux())
        {
            node = PortableStat(path, followLinks: true) ?? throw new FileNotFoundException($"{path}: no such file.", path);
            if (node.Kind != FileNodeKind.Regular)
            {
                throw NotRegular(path, node.Kind);
            }
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        // Refuse special files before opening them (opening some devices has effects), then again on the open
        // descriptor, in case the entry was replaced in between.
        var before = Stat(path) ?? throw new FileNotFoundException($"{path}: no such file.", path);
        if (before.Kind != FileNodeKind.Regular)
        {
            throw NotRegular(path, before.Kind);
        }
        int fd = Open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string reason = Marshal.GetPInvokeErrorMessage(errno);
            throw errno switch
            {
                2 => new FileNotFoundException($"{path}: no such file.", path),
                13 or 1 => new UnauthorizedAccessException($"{path}: cannot read it ({reason})."),
                _ => new IOException($"{path}: cannot open it ({reason})."),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            Span<byte> buffer = stackalloc byte[StatxSize];
            if (Statx(fd, "", AtEmptyPath, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                throw new IOException($"{path}: cannot examine it ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}).");
            }
            node = FromStatx(buffer);
            if (node.Kind != FileNodeKind.Regular)
            {
                throw NotRegular(path, node.Kind);
            }
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether this process may create files in the folder <paramref name="directory"/> (write and search
    /// permission for the effective user, as the kernel would decide).
    /// </summary>
    public static bool CanCreateIn(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!OperatingSystem.IsLinux())
        {
            return System.IO.Directory.Exists(directory);
        }
        return FAccessAt(AtFdCwd, directory, WOk | XOk, AtEaccess) == 0;
    }

    /// <summary>"a named pipe", "a folder", ... for messages.</summary>
    public static string Describe(FileNodeKind kind) => kind switch
    {
        FileNodeKind.Regular => "a regular file",
        FileNodeKind.Directory => "a folder",
        FileNodeKind.SymbolicLink => "a symbolic link",
        FileNodeKind.Fifo => "a named pipe (FIFO)",
        FileNodeKind.CharacterDevice => "a character device",
        FileNodeKind.BlockDevice => "a block device",
        _ => "a socket",
    };

    private static InvalidDataException NotRegular(string path, FileNodeKind kind) =>
        new($"{path}: not a regular file ({Describe(kind)}); only regular files are read.");

    // struct statx: stx_mode (u16) at 28, stx_ino (u64) at 32, stx_size (u64) at 40, stx_dev_major/minor (u32)
    // at 136 and 140. The kernel's dev_t for them is makedev(major, minor); any injective combination serves here.
    private static FileNode FromStatx(ReadOnlySpan<byte> b)
    {
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(b[28..]);
        ulong ino = BinaryPrimitives.ReadUInt64LittleEndian(b[32..]);
        long size = (long)BinaryPrimitives.ReadUInt64LittleEndian(b[40..]);
        ulong dev = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[140..]);
        if (!BitConverter.IsLittleEndian)
        {
            mode = BinaryPrimitives.ReverseEndianness((ushort)mode);
            ino = BinaryPrimitives.ReverseEndianness(ino);
            size = BinaryPrimitives.ReverseEndianness(size);
            dev = ((ulong)BinaryPrimitives.ReverseEndianness((uint)(dev >> 32)) << 32) | BinaryPrimitives.ReverseEndianness((uint)dev);
        }
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileNodeKind.Regular,
            0x4000 => FileNodeKind.Directory,
            0xA000 => FileNodeKind.SymbolicLink,
            0x1000 => FileNodeKind.Fifo,
            0x2000 => FileNodeKind.CharacterDevice,
            0x6000 => FileNodeKind.BlockDevice,
            _ => FileNodeKind.Socket,
        };
        return new FileNode(kind, dev, ino, size);
    }

    /// <summary>Elsewhere than Linux: the kind from .NET, and the fully resolved path standing in for the inode.</summary>
    private static FileNode? PortableStat(string path, bool followLinks)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && !followLinks)
        {
            return new FileNode(FileNodeKind.SymbolicLink, 0, (ulong)StringComparer.Ordinal.GetHashCode(Path.GetFullPath(path)), 0);
        }
        string resolved = (followLinks ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName : null) ?? info.FullName;
        if (File.Exists(resolved))
        {
            return new FileNode(FileNodeKind.Regular, 0, (ulong)StringComparer.Ordinal.GetHashCode(resolved), new FileInfo(resolved).Length);
        }
        return System.IO.Directory.Exists(resolved)
            ? new FileNode(FileNodeKind.Directory, 0, (ulong)StringComparer.Ordinal.GetHashCode(resolved), 0)
            : null;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "faccessat", SetLastError = true)]
    private static extern int FAccessAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode, int flags);
}
