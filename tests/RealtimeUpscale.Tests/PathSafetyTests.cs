using System.Diagnostics;
using RealtimeUpscale.Cli;
using RealtimeUpscale.Cli.Batch;
using RealtimeUpscale.Imaging;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Nothing the user had is lost or overwritten, checked on the planning of a batch (no GPU): outputs that are inputs
/// through symbolic links, hard links, <c>..</c> and bind mounts are refused even with --overwrite; folders are
/// walked without following links unless asked, loops end, special files are skipped and never opened for reading;
/// existing outputs are refused or skipped; output folders that are files or cannot be written are refused, the
/// latter run as a non-root user (nobody, through setpriv). rtup itself is run as nobody against a bind mount that
/// nobody makes in a user and mount namespace of its own (unshare), so no mount outlives the test.
/// </summary>
public sealed class PathSafetyTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-paths-" + Guid.NewGuid().ToString("N"));

    public PathSafetyTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        Shell($"chmod -R u+rwx '{_dir}'");
        Directory.Delete(_dir, recursive: true);
    }

    private string P(string relative) => Path.Combine(_dir, relative);

    private string Image(string relative)
    {
        string path = P(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = File.Create(path);
        ImageFileWriter.Write(stream, new HostImage(3, 2, 3, new byte[18]), "png");
        return path;
    }

    private static UpscaleRequest Request(string output, params string[] inputs) => new() { Inputs = inputs, Output = output };

    private static JobPlan Plan(UpscaleRequest request) => BatchUpscaler.Prepare(request);

    private static void Shell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{command}: {err}");
    }

    [Fact]
    public void AnOutputFolderThatIsASymbolicLinkToTheInputFolderIsRefusedEvenWithOverwrite()
    {
        string a = Image("in/a.png");
        Directory.CreateSymbolicLink(P("out"), P("in"));
        var plan = Plan(Request(P("out"), P("in")) with { Overwrite = true });
        Assert.Empty(plan.Jobs);
        Assert.Contains(plan.Refused, r => r.Path == a && r.Reason.Contains("is an input", StringComparison.Ordinal));
    }

    [Fact]
    public void HardLinksDotDotAndLinkedFilesToAnInputAreRefusedEvenWithOverwrite()
    {
        string a = Image("in/a.png");
        Shell($"mkdir '{P("out")}' && ln '{a}' '{P("out/a.png")}'");
        Assert.Contains("is an input", Plan(Request(P("out"), P("in")) with { Overwrite = true }).Refused.Single().Reason);
        Assert.Contains("is an input", Plan(Request(P("in/../in"), P("in")) with { Overwrite = true }).Refused.Single().Reason);
        File.CreateSymbolicLink(P("link.png"), a);
        Assert.Contains("is an input", Plan(Request(P("link.png"), a) with { Overwrite = true }).Refused.Single().Reason);
        Assert.Contains("is an input", Plan(Request(P("in/./a.png"), a) with { Overwrite = true }).Refused.Single().Reason);
    }

    [Fact]
    public void AnOutputReachedThroughABindMountIsTheInputAndIsRefused()
    {
        string a = Image("in/a.png");
        Directory.CreateDirectory(P("mnt"));
        Shell($"mount --bind '{P("in")}' '{P("mnt")}'");
        try
        {
            Assert.NotEqual(Path.GetFullPath(P("mnt/a.png")), Path.GetFullPath(a));
            var plan = Plan(Request(P("mnt"), P("in")) with { Overwrite = true });
            Assert.Contains("is an input", plan.Refused.Single().Reason);
        }
        finally
        {
            Shell($"umount '{P("mnt")}'");
        }
    }

    [Fact]
    public void FolderLinksAreNotFollowedUnlessAskedAndLoopsEnd()
    {
        Image("in/a.png");
        Image("elsewhere/b.png");
        Directory.CreateSymbolicLink(P("in/linked"), P("elsewhere"));
        Directory.CreateSymbolicLink(P("in/loop"), P("in"));
        File.CreateSymbolicLink(P("in/c.png"), P("elsewhere/b.png"));
        var plan = Plan(Request(P("out"), P("in")));
        Assert.Equal(["a.png"], plan.Jobs.Select(j => Path.GetFileName(j.Output)));
        Assert.Equal(3, plan.Skipped.Count(s => s.Reason.Contains("--follow-symlinks", StringComparison.Ordinal)));

        var followed = Plan(Request(P("out"), P("in")) with { FollowSymlinks = true });
        Assert.Equal(["a.png", "c.png", "linked/b.png"], followed.Jobs.Select(j => Path.GetRelativePath(P("out"), j.Output)).Order(StringComparer.Ordinal));
        Assert.Contains(followed.Skipped, s => s.Path == P("in/loop") && s.Reason.Contains("already visited", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnlyRegularFilesAreReadAndEveryOtherEntryIsListedAsSkipped()
    {
        Image("in/a.png");
        File.WriteAllText(P("in/notes.txt"), "not an image");
        Shell($"mkfifo '{P("in/pipe.png")}'");
        var plan = Plan(Request(P("out"), P("in")));
        Assert.Single(plan.Jobs);
        Assert.Contains(plan.Skipped, s => s.Path == P("in/notes.txt") && s.Reason.Contains("not an image type", StringComparison.Ordinal));
        Assert.Contains(plan.Skipped, s => s.Path == P("in/pipe.png") && s.Reason.Contains("named pipe", StringComparison.Ordinal));
        // Named on the command line, a FIFO is refused; read directly, it fails at once instead of waiting for a writer.
        Assert.Contains("named pipe", Plan(Request(P("o.png"), P("in/pipe.png"))).Refused.Single().Reason);
        var read = Task.Run(() => Assert.Throws<InvalidDataException>(() => ImageFile.Read(P("in/pipe.png"))));
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Contains("not a regular file", (await read).Message);
        Assert.Throws<InvalidDataException>(() => ImageFile.Read("/dev/zero"));
    }

    [Fact]
    public void TheOutputFolderInsideTheInputFolderIsNotReadAsInput()
    {
        Image("in/a.png");
        Image("in/out/a.png");
        var plan = Plan(Request(P("in/out"), P("in")) with { Overwrite = true });
        Assert.Equal([P("in/a.png")], plan.Jobs.Select(j => j.Input));
        Assert.Contains(plan.Skipped, s => s.Path == P("in/out") && s.Reason.Contains("output folder", StringComparison.Ordinal));
    }

    [Fact]
    public void ExistingOutputsAreRefusedOrSkippedAndBothAtOnceIsAnError()
    {
        Image("in/a.png");
        Image("in/b.png");
        Image("out/a.png");
        var refused = Plan(Request(P("out"), P("in")));
        Assert.Contains("--skip-existing", refused.Refused.Single().Reason);
        var skipped = Plan(Request(P("out"), P("in")) with { SkipExisting = true });
        Assert.Empty(skipped.Refused);
        Assert.Equal([P("out/b.png")], skipped.Jobs.Select(j => j.Output));
        Assert.Contains(skipped.Skipped, s => s.Path == P("in/a.png"));
        Assert.Throws<ArgumentException>(() => Plan(Request(P("out"), P("in")) with { SkipExisting = true, Overwrite = true }));
    }

    [Theory]
    [InlineData("x.jpeg")]
    [InlineData("x.tif")]
    [InlineData("x.tiff")]
    [InlineData("x.webp")]
    [InlineData("x.tga")]
    public void EveryWrittenExtensionNamesAnOutputFile(string name)
    {
        string a = Image("a.png");
        Assert.Equal(P(name), Plan(Request(P(name), a)).Jobs.Single().Output);
    }

    [Fact]
    public void EmptyOutputsConflictingFormatsAndOutputFoldersThatAreFilesAreRefused()
    {
        string a = Image("a.png");
        Assert.Throws<ArgumentException>(() => Plan(Request("", a)));
        Assert.Throws<ArgumentException>(() => Plan(Request(" ", a)));
        Assert.Contains("--format", Assert.Throws<ArgumentException>(() => Plan(Request(P("x.png"), a) with { Format = "jpg" })).Message);
        Assert.Single(Plan(Request(P("x.jpeg"), a) with { Format = "jpg" }).Jobs);
        File.WriteAllText(P("file"), "a file");
        Assert.Contains("is a regular file", Plan(Request(P("file/sub/x.png"), a)).Refused.Single().Reason);
        Image("in/b.png");
        Directory.CreateDirectory(P("out/b.png"));
        Assert.Contains("is a folder", Plan(Request(P("out"), P("in")) with { Overwrite = true }).Refused.Single().Reason);
    }

    [Fact]
    public void AnUnwritableFolderIsRefusedBeforeAnyWorkWhenRunAsAnotherUser()
    {
        // The permission checks only mean something for a user other than root: run rtup as nobody.
        string a = Image("in/a.png");
        File.WriteAllText(P("in/secret.png"), "root only");
        Shell($"chmod 600 '{P("in/secret.png")}' && mkdir '{P("locked")}' && chmod 555 '{P("locked")}' && chmod 755 '{_dir}'");
        var (code, output, error) = RunAsNobody("upscale", a, "-o", P("locked/out.png"), "--json");
        Assert.Equal(1, code);
        Assert.Contains("cannot create files in " + P("locked"), output);
        Assert.Contains("\"summary\"", output);
        Assert.Contains("no device (nothing to process)", output);
        Assert.Empty(error);
        Assert.False(File.Exists(P("locked/out.png")));

        // A file nobody may read fails alone, named, and the batch goes on.
        Shell($"mkdir '{P("open")}' && chmod 777 '{P("open")}'");
        var (code2, output2, error2) = RunAsNobody("upscale", P("in/secret.png"), a, "-o", P("open"));
        Assert.Equal(1, code2);
        Assert.Contains($"error  {P("in/secret.png")}: {P("in/secret.png")}: cannot read it", error2);
        Assert.Contains("1 of 2 images processed", output2);
        Assert.True(File.Exists(P("open/a.png")));
    }

    [Fact]
    public void RtupRefusesAnOutputReachingItsInputThroughABindMountMadeWithoutRoot()
    {
        // A real bind mount made by an unprivileged user: nobody enters a user namespace of its own (mapped to root
        // there) with a mount namespace of its own, binds in/ onto mnt/ and runs rtup, which sees the input again
        // under mnt/. The mount exists only for that process tree and ends with it.
        string a = Image("in/a.png");
        Directory.CreateDirectory(P("mnt"));
        Shell($"chmod -R a+rwX '{_dir}'");
        byte[] before = File.ReadAllBytes(a);
        string[] bind =
        [
            "unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
            // $1 onto $2, then the same inode under both names, then rtup with the remaining arguments.
            "mount --bind \"$1\" \"$2\" && stat -c 'inode %i' \"$1/a.png\" \"$2/a.png\" >&2 && shift 2 && exec \"$@\"", "sh", P("in"), P("mnt"),
        ];
        foreach (var output in new[] { P("mnt/a.png"), P("mnt") })
        {
            var (code, stdout, stderr) = RunAsNobody(bind, "upscale", a, "-o", output, "--overwrite");
            var inodes = stderr.Split('\n').Where(l => l.StartsWith("inode ", StringComparison.Ordinal)).ToList();
            Assert.True(inodes.Count == 2 && inodes[0] == inodes[1], stderr);
            Assert.Equal(1, code);
            Assert.Contains("is an input", stdout + stderr);
            Assert.Contains("no device (nothing to process)", stdout);
            Assert.Equal(before, File.ReadAllBytes(a));
            Assert.Equal([a], Directory.GetFiles(P("in")));
        }
        // Outside that namespace there is no mount: mnt/ is the empty folder it was.
        Assert.Empty(Directory.GetFileSystemEntries(P("mnt")));
    }

    private (int Code, string Out, string Err) RunAsNobody(params string[] args) => RunAsNobody([], args);

    /// <summary>rtup run as nobody with <paramref name="args"/>, through <paramref name="wrapper"/> (a command that execs the rest) when given.</summary>
    private (int Code, string Out, string Err) RunAsNobody(string[] wrapper, params string[] args)
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups" }.Concat(wrapper)
                     .Concat(["env", "HOME=" + Path.GetTempPath(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet", Path.Combine(AppContext.BaseDirectory, "rtup.dll")])
                     .Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "rtup did not finish");
        return (p.ExitCode, stdout.Result, stderr);
    }
}
