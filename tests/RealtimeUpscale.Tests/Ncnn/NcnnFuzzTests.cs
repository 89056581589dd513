using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>
/// Seeded random damage to real ncnn files (cunet's .param and .bin): whatever the damage, loading either
/// succeeds or throws <see cref="ModelFormatException"/> with a one-line message; no other exception escapes.
/// </summary>
public sealed class NcnnFuzzTests : IDisposable
{
    private readonly NcnnFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string CunetParam => NcnnImportTests.PeerModel("waifu2x", "models-cunet", "scale2.0x_model.param");

    private void LoadsOrFailsCleanly(string[] lines, byte[] weights, string what)
    {
        string param = _files.Write("fuzz", Array.Empty<string>(), weights);
        File.WriteAllLines(param, lines);
        try
        {
            var model = ModelDefinition.Load(param);
            Assert.NotEmpty(model.Nodes);
        }
        catch (ModelFormatException e)
        {
            Assert.DoesNotContain('\n', e.Message);
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}");
        }
    }

    [Fact]
    public void DamagedParamFilesNeverEscapeAsOtherExceptions()
    {
        var original = File.ReadAllLines(CunetParam);
        var weights = File.ReadAllBytes(Path.ChangeExtension(CunetParam, ".bin"));
        var rng = new Random(14);
        string[] junk = { "0", "-1", "-233", "99999999999", "2147483647", "1e30", "nan", "-23310=0", "0=0", "7=0", "3=0", "x", "=", "1,2" };
        for (int round = 0; round < 300; round++)
        {
            var lines = original.ToList();
            int edits = 1 + rng.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int li = 2 + rng.Next(lines.Count - 2);
                var tokens = lines[li].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                switch (rng.Next(6))
                {
                    case 0: // a token replaced, or a value replaced keeping its key
                        int ti = rng.Next(tokens.Count);
                        int eq = tokens[ti].IndexOf('=', StringComparison.Ordinal);
                        tokens[ti] = eq > 0 && rng.Next(2) == 0 ? tokens[ti][..(eq + 1)] + junk[rng.Next(junk.Length)] : junk[rng.Next(junk.Length)];
                        lines[li] = string.Join(' ', tokens);
                        break;
                    case 1: // a token removed
                        tokens.RemoveAt(rng.Next(tokens.Count));
                        lines[li] = string.Join(' ', tokens);
                        break;
                    case 2: // a line removed
                        lines.RemoveAt(li);
                        break;
                    case 3: // a line repeated
                        lines.Insert(li, lines[li]);
                        break;
                    case 4: // two lines swapped
                        int lj = 2 + rng.Next(lines.Count - 2);
                        (lines[li], lines[lj]) = (lines[lj], lines[li]);
                        break;
                    default: // a blob name replaced by another line's
                        var other = lines[2 + rng.Next(lines.Count - 2)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (tokens.Count > 4 && other.Length > 4)
                        {
                            tokens[4 + rng.Next(Math.Min(2, tokens.Count - 4))] = other[4];
                            lines[li] = string.Join(' ', tokens);
                        }
                        break;
                }
            }
            LoadsOrFailsCleanly(lines.ToArray(), weights, $"round {round}");
        }
    }

    [Fact]
    public void DamagedWeightFilesNeverEscapeAsOtherExceptions()
    {
        var lines = File.ReadAllLines(CunetParam);
        var original = File.ReadAllBytes(Path.ChangeExtension(CunetParam, ".bin"));
        var rng = new Random(41);
        for (int round = 0; round < 60; round++)
        {
            var bytes = (byte[])original.Clone();
            switch (rng.Next(3))
            {
                case 0:
                    bytes = bytes[..rng.Next(bytes.Length)];
                    break;
                case 1:
                    for (int i = 0; i < 1 + rng.Next(8); i++)
                    {
                        bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                    }
                    break;
                default:
                    // A tag word overwritten with another tag or garbage.
                    int at = rng.Next(bytes.Length / 4) * 4;
                    BitConverter.GetBytes(rng.Next(4) switch { 0 => 0u, 1 => 0x000D4B38u, 2 => 0x0002C056u, _ => (uint)rng.Next() }).CopyTo(bytes, at);
                    break;
            }
            LoadsOrFailsCleanly(lines, bytes, $"round {round}");
        }
    }
}
