using System.Text;
using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// The atomic file writer: whole files or nothing, exclusive creation of the temporary file (a file or symbolic
/// link planted at its name is neither followed nor replaced), the target untouched on failure, overwrite off and
/// on, and the temporaries of dead runs removed.
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-atomic-" + Guid.NewGuid().ToString("N"));

    public AtomicFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string TemporaryName(string target, string suffix) =>
        Path.Combine(_dir, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{suffix}.partial");

    private string[] Temporaries() => Directory.GetFileSystemEntries(_dir, "*.partial");

    private static Action<Stream> Text(string text) => stream => stream.Write(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void WritesTheWholeFileAndLeavesNoTemporary()
    {
        string target = Path.Combine(_dir, "sub", "out.bin");
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        AtomicFile.WriteAllBytes(target, bytes);
        Assert.Equal(bytes, File.ReadAllBytes(target));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dir, "sub"), "*.partial"));
    }

    [Fact]
    public void OverwriteOffRefusesAnExistingTargetBeforeWriting()
    {
        string target = Path.Combine(_dir, "out.txt");
        File.WriteAllText(target, "old");
        bool called = false;
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, overwrite: false, _ => called = true));
        Assert.Contains("exists", e.Message);
        Assert.False(called);
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Empty(Temporaries());
    }

    [Fact]
    public void OverwriteOnReplacesTheTarget()
    {
        string target = Path.Combine(_dir, "out.txt");
        File.WriteAllText(target, "old");
        AtomicFile.Write(target, overwrite: true, Text("new"));
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Empty(Temporaries());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AFailingWriteLeavesTheTargetAsItWasAndNoTemporary(bool targetExists)
    {
        string target = Path.Combine(_dir, "out.txt");
        if (targetExists)
        {
            File.WriteAllText(target, "old");
        }
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, overwrite: true, stream =>
        {
            stream.Write(new byte[4096]);
            throw new InvalidOperationException("encoder failed");
        }));
        Assert.Equal("encoder failed", e.Message);
        Assert.Equal(targetExists, File.Exists(target));
        if (targetExists)
        {
            Assert.Equal("old", File.ReadAllText(target));
        }
        Assert.Empty(Temporaries());
    }

    [Fact]
    public void ASymbolicLinkPlantedAtTheTemporaryNameIsNotFollowed()
    {
        string target = Path.Combine(_dir, "out.txt");
        string victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "precious");
        string planted = TemporaryName(target, "00000000000000aa");
        File.CreateSymbolicLink(planted, victim);
        var names = new Queue<string>(new[] { "00000000000000aa", "00000000000000bb" });
        AtomicFile.Write(target, overwrite: false, Text("content"), names.Dequeue);
        Assert.Equal("content", File.ReadAllText(target));
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(planted).LinkTarget);
        Assert.Empty(names); // the planted name was skipped, the second one used
        Assert.False(File.Exists(TemporaryName(target, "00000000000000bb")));
    }

    [Fact]
    public void ADanglingSymbolicLinkIsNotFollowedToCreateItsTarget()
    {
        string target = Path.Combine(_dir, "out.txt");
        string elsewhere = Path.Combine(_dir, "created-through-link.txt");
        File.CreateSymbolicLink(TemporaryName(target, "00000000000000cc"), elsewhere);
        Assert.Throws<IOException>(() => AtomicFile.Write(target, overwrite: true, Text("content"), () => "00000000000000cc"));
        Assert.False(File.Exists(elsewhere));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void APlantedFileAtEveryTemporaryNameFailsTheWriteAndIsLeftAlone()
    {
        string target = Path.Combine(_dir, "out.txt");
        File.WriteAllText(target, "old");
        string planted = TemporaryName(target, "00000000000000dd");
        File.WriteAllText(planted, "someone else's");
        bool called = false;
        Assert.Throws<IOException>(() => AtomicFile.Write(target, overwrite: true, _ => called = true, () => "00000000000000dd"));
        Assert.False(called);
        Assert.Equal("someone else's", File.ReadAllText(planted));
        Assert.Equal("old", File.ReadAllText(target));
    }

    [Fact]
    public void TemporariesOfDeadProcessesAreRemovedWhateverTheirNameAndLiveOnesKept()
    {
        string target = Path.Combine(_dir, "out.txt");
        // pid_max is at most 2^22 on Linux: this process cannot exist. Pid 1 always does.
        string dead = Path.Combine(_dir, ".out.txt.2147483000.0123456789abcdef.partial");
        string deadOldStyle = Path.Combine(_dir, ".out.txt.2147483001.partial");
        string live = Path.Combine(_dir, ".out.txt.1.0123456789abcdef.partial");
        string mine = TemporaryName(target, "fedcba9876543210");
        // A run of another name killed with SIGKILL left this one; a live process of another name writes the next.
        string unrelated = Path.Combine(_dir, ".other.txt.2147483000.0123456789abcdef.partial");
        string unrelatedLive = Path.Combine(_dir, ".other.txt.1.0123456789abcdef.partial");
        string notOurs = Path.Combine(_dir, ".other.txt.2147483000.partial-not");
        foreach (var f in new[] { dead, deadOldStyle, live, mine, unrelated, unrelatedLive, notOurs })
        {
            File.WriteAllText(f, "x");
        }
        AtomicFile.Write(target, overwrite: false, Text("content"));
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(deadOldStyle));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(mine));
        Assert.False(File.Exists(unrelated));
        Assert.True(File.Exists(unrelatedLive));
        Assert.True(File.Exists(notOurs));
        Assert.Equal("content", File.ReadAllText(target));
    }
}
