namespace RealtimeUpscale.Tests;

/// <summary>
/// The data beside the checkout (../shared: datasets, the FSRCNN authors' weights). Never committed; when it
/// is missing the tests that need it fail and say what to supply.
/// </summary>
public static class SharedData
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "RealtimeUpscale.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException(
                $"No RealtimeUpscale.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
        }
    }

    public static string Path(params string[] parts)
    {
        string shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared"));
        string path = System.IO.Path.Combine(new[] { shared }.Concat(parts).ToArray());
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test data '{path}' is missing. These tests need the project's shared data folder beside the checkout " +
                $"({shared}): datasets/Set5, datasets/Set14, datasets/Set5_matlab_bicubic and reference/fsrcnn-official.");
        }
        return path;
    }

    public static string FsrcnnModel(string name) => Path("reference", "fsrcnn-official", name);
}
