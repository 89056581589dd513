using RealtimeUpscale.Imaging;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>One file of a batch: where it is read from and where its result goes (full paths).</summary>
internal sealed record BatchJob(string Input, string Output);

/// <summary>
/// The files a batch will process; the inputs refused before any work (failures, each with its reason); the entries
/// skipped (not failures: unsupported types, special files, links not followed, outputs kept by
/// <c>--skip-existing</c>); and the identities (device, inode) of every input, which no output may ever be.
/// </summary>
internal sealed record JobPlan(
    IReadOnlyList<BatchJob> Jobs,
    IReadOnlyList<(string Path, string Reason)> Refused,
    IReadOnlyList<(string Path, string Reason)> Skipped,
    IReadOnlySet<(ulong Device, ulong Inode)> Inputs);

/// <summary>
/// Turns a request's inputs (files, and folders searched recursively) into jobs, before any GPU work: output names
/// under the output folder with the input's relative path kept (or the output file itself for one input file), and
/// everything that would lose or overwrite something refused.
/// </summary>
/// <remarks>
/// <para>Folders: only regular files are read (named pipes, devices and sockets are skipped, so none can hang the
/// batch); symbolic links are not followed unless <c>--follow-symlinks</c>, and then each folder is entered once (by
/// device and inode), so link loops end; the output folder is never read as input; files whose type is not read
/// are listed as skipped.</para>
/// <para>Outputs: one that is an input (the same device and inode, whatever path reaches it: symbolic or hard
/// links, <c>..</c>, bind mounts) is refused, with or without <c>--overwrite</c>; so is one claimed by two inputs,
/// one that is a folder, one whose folder is a file or cannot be written, and an existing one without
/// <c>--overwrite</c> (or skipped with <c>--skip-existing</c>).</para>
/// </remarks>
internal static class JobPlanner
{
    /// <summary>The extensions read from folders.</summary>
    public static readonly string[] Readable = { ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".tif", ".tiff", ".webp" };

    /// <summary>Whether the output's format stores alpha.</summary>
    public static bool KeepsAlpha(string output) => ImageFileWriter.KeepsAlpha(Path.GetExtension(output).TrimStart('.'));

    /// <summary>Plans the request (which <see cref="UpscaleRequest.Validate"/> has checked).</summary>
    public static JobPlan Plan(UpscaleRequest request)
    {
        var refused = new List<(string, string)>();
        var skipped = new List<(string, string)>();
        var found = new List<(string Path, string Relative, FileNode Node)>();
        string outputRoot = Path.GetFullPath(request.Output);
        var outputNode = FileNode.Stat(outputRoot);
        foreach (var input in request.Inputs)
        {
            var node = FileNode.Stat(input);
            if (node is null)
            {
                refused.Add((input, FileNode.Stat(input, followLinks: false) is null ? "no such file or folder" : "a broken symbolic link"));
            }
            else if (node.Value.Kind == FileNodeKind.Directory)
            {
                Walk(Path.GetFullPath(input), "", request.FollowSymlinks, outputNode, new HashSet<(ulong, ulong)> { (node.Value.Device, node.Value.Inode) },
                    found, skipped);
            }
            else if (node.Value.Kind != FileNodeKind.Regular)
            {
                refused.Add((input, $"not a regular file ({FileNode.Describe(node.Value.Kind)}); only regular files are read"));
            }
            else
            {
                found.Add((Path.GetFullPath(input), Path.GetFileName(input), node.Value));
            }
        }

        var identities = found.Select(f => (f.Node.Device, f.Node.Inode)).ToHashSet();
        string outputExt = Path.GetExtension(request.Output).TrimStart('.').ToLowerInvariant();
        bool singleFile = found.Count == 1 && request.Inputs.Count == 1 && outputNode?.Kind != FileNodeKind.Directory &&
                          ImageFileWriter.Formats.Contains(outputExt) && found[0].Relative == Path.GetFileName(request.Inputs[0]);
        var claimed = new Dictionary<string, string>();
        var folders = new Dictionary<string, string?>();
        var jobs = new List<BatchJob>();
        foreach (var (path, relative, node) in found)
        {
            if (node.Size > ImageFile.DefaultMaxBytes)
            {
                refused.Add((path, $"file too large ({node.Size} bytes; the limit is {ImageFile.DefaultMaxBytes})"));
                continue;
            }
            string output = singleFile ? outputRoot : Path.GetFullPath(Path.Combine(outputRoot, Path.ChangeExtension(relative, OutputExtension(relative, request))));
            var existing = FileNode.Stat(output);
            string? problem = existing is { } e && identities.Contains((e.Device, e.Inode))
                ? $"its output {output} is an input (the same file); inputs are never overwritten"
                : existing?.Kind == FileNodeKind.Directory ? $"its output {output} is a folder"
                : FolderProblem(Path.GetDirectoryName(output)!, folders);
            string key = Key(output, existing);
            if (problem is null && claimed.TryGetValue(key, out var other))
            {
                problem = $"its output {output} is already the output of {other}; rename one or use another --format";
            }
            if (problem is null && existing is not null && !request.Overwrite)
            {
                if (request.SkipExisting)
                {
                    skipped.Add((path, $"{output} exists (--skip-existing)"));
                    continue;
                }
                problem = $"{output} exists; pass --overwrite to replace it, or --skip-existing to keep it";
            }
            if (problem is not null)
            {
                refused.Add((path, problem));
                continue;
            }
            claimed[key] = path;
            jobs.Add(new BatchJob(path, output));
        }
        return new JobPlan(jobs, refused, skipped, identities);
    }

    /// <summary>The output's extension: --format, else the input's (jpeg becomes jpg; gif and any type not written become png).</summary>
    private static string OutputExtension(string relative, UpscaleRequest request) =>
        request.Format ?? Path.GetExtension(relative).TrimStart('.').ToLowerInvariant() switch
        {
            "jpeg" => "jpg",
            var e when ImageFileWriter.Formats.Contains(e) => e,
            _ => "png",
        };

    /// <summary>
    /// Walks <paramref name="dir"/> in name order: regular files of a readable type are found; everything else is
    /// skipped with its reason. <paramref name="visited"/> holds the folders entered (device, inode), so a link
    /// loop followed with <c>--follow-symlinks</c> ends.
    /// </summary>
    private static void Walk(string dir, string relative, bool follow, FileNode? outputNode, HashSet<(ulong, ulong)> visited,
        List<(string, string, FileNode)> found, List<(string, string)> skipped)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add((dir, $"cannot list the folder ({e.Message})"));
            return;
        }
        foreach (var entry in entries)
        {
            string rel = Path.Combine(relative, Path.GetFileName(entry));
            FileNode? node;
            try
            {
                node = FileNode.Stat(entry, followLinks: false);
                if (node?.Kind == FileNodeKind.SymbolicLink)
                {
                    if (!follow)
                    {
                        skipped.Add((entry, "a symbolic link, not followed (pass --follow-symlinks)"));
                        continue;
                    }
                    node = FileNode.Stat(entry);
                    if (node is null)
                    {
                        skipped.Add((entry, "a broken symbolic link"));
                        continue;
                    }
                }
            }
            catch (IOException e)
            {
                skipped.Add((entry, e.Message));
                continue;
            }
            if (node is not { } n)
            {
                continue; // removed while the folder was read
            }
            if (n.Kind == FileNodeKind.Directory)
            {
                if (outputNode is { } o && n.SameFileAs(o))
                {
                    skipped.Add((entry, "the output folder, not read as input"));
                }
                else if (!visited.Add((n.Device, n.Inode)))
                {
                    skipped.Add((entry, "a folder already visited (a symbolic-link loop or a second link to it)"));
                }
                else
                {
                    Walk(entry, rel, follow, outputNode, visited, found, skipped);
                }
            }
            else if (n.Kind != FileNodeKind.Regular)
            {
                skipped.Add((entry, $"not a regular file ({FileNode.Describe(n.Kind)})"));
            }
            else if (!Readable.Contains(Path.GetExtension(entry).ToLowerInvariant()))
            {
                skipped.Add((entry, $"not an image type that is read ({ImageFile.SupportedFormats})"));
            }
            else
            {
                found.Add((Path.GetFullPath(entry), rel, n));
            }
        }
    }

    /// <summary>
    /// Why files cannot be created in <paramref name="folder"/>: its nearest existing ancestor is a file, or is a
    /// folder this user cannot write. Null when it can. Remembered per folder.
    /// </summary>
    private static string? FolderProblem(string folder, Dictionary<string, string?> cache)
    {
        if (cache.TryGetValue(folder, out var known))
        {
            return known;
        }
        string probe = folder;
        FileNode? node;
        while ((node = FileNode.Stat(probe)) is null && Path.GetDirectoryName(probe) is { } parent)
        {
            probe = parent;
        }
        string? problem = node is null ? $"no existing folder above {folder}"
            : node.Value.Kind != FileNodeKind.Directory ? $"the output folder {folder} cannot be made: {probe} is {FileNode.Describe(node.Value.Kind)}"
            : !FileNode.CanCreateIn(probe) ? $"cannot create files in {probe} (permission denied)"
            : null;
        cache[folder] = problem;
        return problem;
    }

    /// <summary>
    /// What identifies an output across paths: the existing file's device and inode, or for a new file the device
    /// and inode of its nearest existing folder plus the rest of the path.
    /// </summary>
    private static string Key(string output, FileNode? existing)
    {
        if (existing is { } e)
        {
            return $"{e.Device}:{e.Inode}";
        }
        string rest = Path.GetFileName(output);
        string? dir = Path.GetDirectoryName(output);
        while (dir is not null)
        {
            if (FileNode.Stat(dir) is { } d)
            {
                return $"{d.Device}:{d.Inode}/{rest}";
            }
            rest = Path.Combine(Path.GetFileName(dir), rest);
            dir = Path.GetDirectoryName(dir);
        }
        return output;
    }
}
