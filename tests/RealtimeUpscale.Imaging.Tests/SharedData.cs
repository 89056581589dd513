using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// The data folder beside the repository, <c>&lt;repository root&gt;/../shared</c> (see DATA.md there). Tests
/// that need it fail, never skip, when it is absent, saying what to supply.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>The folder holding RealtimeUpscale.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>The shared data folder, whether it exists or not.</summary>
    public static string Folder => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    /// <summary>The sorted files matching <paramref name="pattern"/> in a folder under shared/datasets; fails
    /// the test unless there are exactly <paramref name="expectedCount"/>.</summary>
    public static string[] DatasetFiles(string folder, string pattern, int expectedCount)
    {
        string path = Path.Combine(Folder, "datasets", folder);
        if (!Directory.Exists(path))
        {
            Assert.Fail(
                $"Test data missing: {path} does not exist. Supply the shared data folder beside the repository " +
                $"({Folder}) with datasets/Set5, datasets/Set14 and datasets/Set5_matlab_bicubic, as DATA.md in " +
                "that folder describes. These tests compare against that data and are not skipped without it.");
        }
        var files = Directory.GetFiles(path, pattern).Order(StringComparer.Ordinal).ToArray();
        if (files.Length != expectedCount)
        {
            Assert.Fail(
                $"Test data incomplete: expected {expectedCount} files matching {pattern} in {path}, found " +
                $"{files.Length}. Supply the complete data set described in {Path.Combine(Folder, "DATA.md")}.");
        }
        return files;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RealtimeUpscale.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException(
            $"No folder above {AppContext.BaseDirectory} holds RealtimeUpscale.sln; run the tests from the repository.");
    }
}
