using System.Diagnostics;
using System.Text.Json;
using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Mutation fuzzing of the image loader (seeds: the generated corpus's valid files), the ONNX importer (seeds: the
/// conformance models and the FSRCNN release) and the ncnn importer (seeds: waifu2x and Real-CUGAN models; and
/// structured edits of cunet's lines, tokens and weight tags). Every case must end, within 10 seconds, in a result or
/// in the error the caller handles (<see cref="InvalidDataException"/>, <see cref="ModelFormatException"/>); anything
/// else is a crash. Bounded in time: <c>RTUP_FUZZ_SECONDS</c> per target (4 by default, for CI). <c>scripts/fuzz.sh</c>
/// runs longer, in rounds (<c>RTUP_FUZZ_ROUND</c> picks the random sequence, so a later round tries new cases), and
/// takes the counts from <c>RTUP_FUZZ_REPORT</c> (one JSON line per target) and the cases worth keeping from
/// <c>RTUP_FUZZ_CASES</c>.
/// </summary>
public sealed class FuzzTests
{
    private readonly ITestOutputHelper _log;

    public FuzzTests(ITestOutputHelper log) => _log = log;

    private static double Seconds => double.TryParse(Environment.GetEnvironmentVariable("RTUP_FUZZ_SECONDS"), out var s) && s > 0 ? s : 4;

    private static int Round => int.TryParse(Environment.GetEnvironmentVariable("RTUP_FUZZ_ROUND"), out var r) && r >= 0 ? r : 0;

    [Fact]
    public void TheImageLoaderNeverCrashesOrHangs()
    {
        string folder = Path.Combine(SharedData.RepositoryRoot, "tests", "corpus");
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        var seeds = manifest.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("expect").GetString() == "ok")
            .Select(e => File.ReadAllBytes(Path.Combine(folder, "files", e.GetProperty("file").GetString()!)))
            .ToList();
        var options = new ImageReadOptions { MaxPixels = 4_000_000 };
        var result = Fuzzer.Run("image loader", seeds, Seconds, 1, bytes =>
        {
            var image = ImageFile.Decode(bytes, "fuzz.img", options).Image;
            Assert.True((long)image.Width * image.Height <= options.MaxPixels);
        }, e =>
        {
            // The loader's own checks (ImageStructure, the header checks) throw InvalidDataException; a decoder's
            // exception is wrapped in one.
            var cause = e;
            while (cause.InnerException is { } inner)
            {
                cause = inner;
            }
            return e is InvalidDataException ? Fuzzer.RefusalKind(cause, cause is InvalidDataException ? "checked" : "decoder") : null;
        });
        Report(result);
    }

    [Fact]
    public void TheOnnxImporterNeverCrashesOrHangs()
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Models"), "*.onnx").Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).Append(File.ReadAllBytes(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"))).ToList();
        var result = Fuzzer.Run("onnx importer", seeds, Seconds, 2, bytes =>
        {
            var model = ModelDefinition.Parse(bytes, "fuzz.onnx");
            // What the command line does with a model before any GPU work must not throw anything unlisted either.
            try
            {
                model.InferShapes(new TensorShape(model.Info.InputChannels, 16, 16));
            }
            catch (ArgumentException)
            {
                // "cannot take input": reported to the user as a usage of the wrong model.
            }
            model.ReceptiveRadius();
            model.DownsamplingStride();
        }, ModelRefusal);
        Report(result);
    }

    [Fact]
    public void TheNcnnImporterNeverCrashesOrHangs()
    {
        // Seeds: waifu2x's upconv_7 and Real-CUGAN's 2x model; each case damages the .param text or the .bin weights.
        var pairs = new[]
        {
            Path.Combine(SharedData.Path("peers", "waifu2x", "models", "models-upconv_7_anime_style_art_rgb"), "scale2.0x_model"),
            Path.Combine(SharedData.Path("peers", "realcugan", "models", "models-se"), "up2x-no-denoise"),
        }.Select(p => (Param: File.ReadAllBytes(p + ".param"), Bin: File.ReadAllBytes(p + ".bin"))).ToList();
        string dir = Path.Combine(Path.GetTempPath(), "rtup-fuzz-ncnn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string param = Path.Combine(dir, "fuzz.param"), bin = Path.Combine(dir, "fuzz.bin");
        // The fuzzer mutates one byte string: the seed is the pair joined, split again at the seed's own boundary
        // marker, so a mutation lands in the text or in the weights.
        var marker = "\n#RTUP-FUZZ-BIN#\n"u8.ToArray();
        var seeds = pairs.Select(p => p.Param.Concat(marker).Concat(p.Bin).ToArray()).ToList();
        try
        {
            var result = Fuzzer.Run("ncnn importer", seeds, Seconds, 3, bytes =>
            {
                int split = bytes.AsSpan().IndexOf(marker);
                File.WriteAllBytes(param, split < 0 ? bytes : bytes[..split]);
                File.WriteAllBytes(bin, split < 0 ? [] : bytes[(split + marker.Length)..]);
                var model = ModelDefinition.Load(param, bin);
                try
                {
                    model.InferShapes(new TensorShape(model.Info.InputChannels, 16, 16));
                }
                catch (ArgumentException)
                {
                    // "cannot take input": reported to the user as a usage of the wrong model.
                }
                model.ReceptiveRadius();
                model.DownsamplingStride();
            }, ModelRefusal);
            Report(result);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }


    // Structured damage the byte mutations above rarely make: tokens, values, lines and blob names of cunet's .param
    // edited, and its .bin truncated, bit-flipped or given another tag word. Loading succeeds or throws
    // ModelFormatException with a one-line message.
    private static string CunetParam => SharedData.Path("peers", "waifu2x", "models", "models-cunet", "scale2.0x_model.param");

    private static void NcnnLoadsOrFailsCleanly(string[] lines, byte[] weights, string what)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtup-fuzz-ncnn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string param = Path.Combine(dir, "fuzz.param");
            File.WriteAllLines(param, lines);
            File.WriteAllBytes(Path.Combine(dir, "fuzz.bin"), weights);
            var model = ModelDefinition.Load(param);
            Assert.NotEmpty(model.Nodes);
        }
        catch (ModelFormatException e)
        {
            Assert.DoesNotContain('\n', e.Message);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{what}: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheNcnnImporterRefusesDamagedParamLinesCleanly()
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
            NcnnLoadsOrFailsCleanly(lines.ToArray(), weights, $"round {round}");
        }
    }

    [Fact]
    public void TheNcnnImporterRefusesDamagedWeightTagsCleanly()
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
            NcnnLoadsOrFailsCleanly(lines, bytes, $"round {round}");
        }
    }

    /// <summary>
    /// A model refusal's kind: "checked" when an importer's own check refused the file, or the exception and the
    /// method it came from when only <see cref="ModelDefinition"/>'s last-resort guard turned it into a
    /// <see cref="ModelFormatException"/> (a site that wants a check of its own).
    /// </summary>
    private static string? ModelRefusal(Exception e)
    {
        if (e is not ModelFormatException)
        {
            return null;
        }
        if (e.Message.Contains(": not a model this project can run (", StringComparison.Ordinal))
        {
            return Fuzzer.RefusalKind(e.InnerException ?? e, "last-resort guard");
        }
        // The importer's own exception, under any rewording that only shortened its message or named the file.
        while (e.InnerException is ModelFormatException inner)
        {
            e = inner;
        }
        return Fuzzer.RefusalKind(e, "checked");
    }

    private void Report(Fuzzer.Result r)
    {
        string kinds = string.Join("; ", r.Kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Value} {k.Key}"));
        string line = $"{r.Target}: {r.Cases} cases in {r.Seconds:F1} s: {r.Accepted} accepted, {r.Refused} refused with the handled error ({kinds}), " +
                      $"{r.Crashes} crashes, {r.Hangs} hangs";
        _log.WriteLine(line);
        if (Environment.GetEnvironmentVariable("RTUP_FUZZ_REPORT") is { Length: > 0 } report)
        {
            File.AppendAllText(report, JsonSerializer.Serialize(new
            {
                target = r.Target, round = Round, seconds = Math.Round(r.Seconds, 1), cases = r.Cases, accepted = r.Accepted, refused = r.Refused,
                kinds = r.Kinds, crashes = r.Crashes, hangs = r.Hangs, failures = r.Failures.Take(20),
            }) + Environment.NewLine);
        }
        Assert.True(r.Failures.Count == 0, $"{line}\n{string.Join("\n", r.Failures.Take(5))}");
        Assert.Equal(0, r.Hangs);
        Assert.True(r.Cases > 20, line);
    }
}

/// <summary>A small mutation fuzzer: random edits of seed files, each case run with a time limit.</summary>
internal static class Fuzzer
{
    /// <summary>The counts of a run; <paramref name="Failures"/> describes each crash and hang.</summary>
    internal sealed record Result(string Target, long Cases, long Accepted, long Refused, Dictionary<string, long> Kinds, List<string> Failures, int Hangs,
        double Seconds)
    {
        public int Crashes => Failures.Count - Hangs;
    }

    /// <summary>
    /// Mutates <paramref name="seeds"/> for <paramref name="seconds"/>, with the random sequence of
    /// <paramref name="seed"/> and <c>RTUP_FUZZ_ROUND</c>. <paramref name="refusal"/> gives the kind of an expected
    /// exception (counted by kind), or null for a crash. Crashes, hangs and the first cases of each kind not made by
    /// the code's own checks are saved to <c>RTUP_FUZZ_CASES</c> when it names a folder.
    /// </summary>
    /// <remarks>A case that hangs is left running and the run stops there (so cases that reuse files never overlap).</remarks>
    public static Result Run(string target, IReadOnlyList<byte[]> seeds, double seconds, int seed, Action<byte[]> body, Func<Exception, string?> refusal)
    {
        int round = int.TryParse(Environment.GetEnvironmentVariable("RTUP_FUZZ_ROUND"), out var r) && r >= 0 ? r : 0;
        string? keep = Environment.GetEnvironmentVariable("RTUP_FUZZ_CASES") is { Length: > 0 } folder ? folder : null;
        var rng = new Random(seed * 1_000_003 + round);
        var clock = Stopwatch.StartNew();
        long cases = 0, accepted = 0, refused = 0;
        var kinds = new Dictionary<string, long>();
        var crashes = new List<string>();
        int hangs = 0;
        while (clock.Elapsed.TotalSeconds < seconds && hangs == 0)
        {
            var bytes = Mutate(seeds[rng.Next(seeds.Count)], rng);
            cases++;
            var run = Task.Run(() => body(bytes));
            try
            {
                if (!run.Wait(TimeSpan.FromSeconds(10)))
                {
                    hangs++;
                    crashes.Add($"hang on a {bytes.Length}-byte case: {Save(keep, target, "hang", cases, bytes)}");
                    break;
                }
                accepted++;
            }
            catch (AggregateException e) when (e.InnerException is { } inner && refusal(inner) is { } kind)
            {
                refused++;
                long seen = kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                if (!kind.StartsWith("checked", StringComparison.Ordinal) && seen <= 3)
                {
                    Save(keep, target, kind, cases, bytes);
                }
            }
            catch (AggregateException e)
            {
                crashes.Add($"{e.InnerException?.GetType().Name}: {e.InnerException?.Message} (case of {bytes.Length} bytes, " +
                            $"{Save(keep, target, "crash", cases, bytes)})\n{e.InnerException?.StackTrace}");
            }
        }
        return new Result(target, cases, accepted, refused, kinds, crashes, hangs, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// A refusal's kind for the counts: <paramref name="label"/>, the exception's type and the method that threw it,
    /// e.g. "checked: ModelFormatException in ConstantFolder.Count" or "decoder: ImageFormatException in WebpThrowHelper.ThrowImageFormatException".
    /// </summary>
    public static string RefusalKind(Exception thrown, string label)
    {
        // The first method outside the runtime's own libraries: where the project (or ImageSharp) threw.
        var frames = new StackTrace(thrown).GetFrames();
        var method = frames.Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.Assembly.GetName().Name?.StartsWith("System", StringComparison.Ordinal) == false)
                     ?? frames.FirstOrDefault()?.GetMethod();
        string site = method is null ? "?" : $"{method.DeclaringType?.Name}.{method.Name}";
        return $"{label}: {thrown.GetType().Name} in {site}";
    }

    private static string Save(string? folder, string target, string kind, long index, byte[] bytes)
    {
        if (folder is null)
        {
            return "not saved (RTUP_FUZZ_CASES unset)";
        }
        Directory.CreateDirectory(folder);
        string name = $"{target}-{new string(kind.Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray())}-{index}.bin".Replace(' ', '-');
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>One to four edits: bit flips, interesting bytes and 32-bit values (sizes, lengths), truncation, insertion, duplication.</summary>
    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = new List<byte>(seed);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int at = rng.Next(data.Count);
            switch (rng.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    data[at] = new byte[] { 0, 1, 0x7F, 0x80, 0xFF }[rng.Next(5)];
                    break;
                case 2:
                    uint value = new uint[] { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 65535, 65536, 100000 }[rng.Next(8)];
                    for (int k = 0; k < 4 && at + k < data.Count; k++)
                    {
                        data[at + k] = (byte)(rng.Next(2) == 0 ? value >> (8 * k) : value >> (24 - 8 * k));
                    }
                    break;
                case 3:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 4:
                    data.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(16)).Select(_ => (byte)rng.Next(256)));
                    break;
                case 5:
                    int length = Math.Min(data.Count - at, 1 + rng.Next(64));
                    data.InsertRange(rng.Next(data.Count), data.GetRange(at, length));
                    break;
                default:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + rng.Next(16)));
                    break;
            }
        }
        return data.ToArray();
    }
}
