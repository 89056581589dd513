namespace RealtimeUpscale.Cli.Batch;

/// <summary>One file of a batch: where it is read from and where its result goes (full paths).</summary>
internal sealed record BatchJob(string Input, string Output);

/// <summary>The files a batch will process, and the inputs refused before any work, each with its reason.</summary>
internal sealed record JobPlan(IReadOnlyList<BatchJob> Jobs, IReadOnlyList<(string Path, string Reason)> Refused);

/// <summary>
/// Turns a request's inputs (files, and folders searched recursively) into jobs: output names under the output
/// folder with the input's relative path kept (or the output file itself for one input file), the output format,
/// and the refusals: a missing input, an output that is an input, two inputs with one output, an existing output
/// without <c>--overwrite</c>.
/// </summary>
internal static class JobPlanner
{
    /// <summary>The extensions read from folders.</summary>
    public static readonly string[] Readable = { ".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif" };

    /// <summary>The output formats.</summary>
    public static readonly string[] Writable = { "png", "jpg", "bmp", "tga" };

    /// <summary>Whether the output's format stores alpha.</summary>
    public static bool KeepsAlpha(string output) => Path.GetExtension(output).ToLowerInvariant() is ".png" or ".tga";

    /// <summary>Plans the request.</summary>
    /// <exception cref="ArgumentException">--format names a format that is not written.</exception>
    public static JobPlan Plan(UpscaleRequest request)
    {
        var errors = new List<(string, string)>();
        var found = new List<(string Path, string Relative)>();
        foreach (var input in request.Inputs)
        {
            if (File.Exists(input))
            {
                found.Add((Path.GetFullPath(input), Path.GetFileName(input)));
            }
            else if (Directory.Exists(input))
            {
                foreach (var f in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                             .Where(f => Readable.Contains(Path.GetExtension(f).ToLowerInvariant())).OrderBy(f => f, StringComparer.Ordinal))
                {
                    found.Add((Path.GetFullPath(f), Path.GetRelativePath(input, f)));
                }
            }
            else
            {
                errors.Add((input, "no such file or folder"));
            }
        }
        if (request.Format is not null && !Writable.Contains(request.Format))
        {
            throw new ArgumentException($"--format {request.Format} is not one of {string.Join(", ", Writable)}.");
        }
        bool singleFile = found.Count == 1 && request.Inputs.Count == 1 && File.Exists(request.Inputs[0]) &&
                          Writable.Contains(Path.GetExtension(request.Output).TrimStart('.').ToLowerInvariant()) &&
                          !Directory.Exists(request.Output);
        var inputs = found.Select(f => f.Path).ToHashSet();
        var claimed = new Dictionary<string, string>();
        var jobs = new List<BatchJob>();
        foreach (var (path, relative) in found)
        {
            string output;
            if (singleFile)
            {
                output = Path.GetFullPath(request.Output);
            }
            else
            {
                string ext = request.Format ?? Path.GetExtension(relative).TrimStart('.').ToLowerInvariant() switch
                {
                    "jpeg" => "jpg",
                    "gif" => "png",
                    var e => e,
                };
                output = Path.GetFullPath(Path.Combine(request.Output, Path.ChangeExtension(relative, ext)));
            }
            if (inputs.Contains(output))
            {
                errors.Add((path, $"its output {output} is an input; inputs are never overwritten"));
            }
            else if (claimed.TryGetValue(output, out var other))
            {
                errors.Add((path, $"its output {output} is already the output of {other}; rename one or use another --format"));
            }
            else if (File.Exists(output) && !request.Overwrite)
            {
                errors.Add((path, $"{output} exists; pass --overwrite to replace it"));
            }
            else
            {
                claimed[output] = path;
                jobs.Add(new BatchJob(path, output));
            }
        }
        return new JobPlan(jobs, errors);
    }
}
