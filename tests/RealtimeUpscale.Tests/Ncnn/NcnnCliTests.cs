using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>The rtup commands with ncnn files: models takes a .param; a bad one ends in one line.</summary>
public sealed class NcnnCliTests : IDisposable
{
    private readonly NcnnFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ModelsListsAnNcnnGraphAndABadFileEndsInOneLine()
    {
        string param = NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param");
        var listing = CliErrorTests.Rtup("models", "--graph", param, "--size", "64x64");
        Assert.True(listing.Code == 0, listing.Err);
        Assert.Contains("GlobalPool Average", listing.Out);
        Assert.Contains("FullyConnected 64->8 Relu", listing.Out);

        string bad = _files.Write("bad", new[] { "Input in 0 1 in 2=3", "Mish act 1 1 in out" }, Array.Empty<byte>());
        var run = CliErrorTests.Rtup("models", "--graph", bad);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && run.Code != 0, run.Err);
        Assert.Contains("layer 'act' (Mish) is not supported", lines[0]);
    }
}
