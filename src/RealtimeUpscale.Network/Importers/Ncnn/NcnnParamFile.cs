using System.Globalization;

namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// One layer line of an ncnn .param file: <c>Type Name bottoms tops b1 .. t1 .. key=value ...</c>. A key of 0 or
/// more holds one number; a key below -23300 holds an array, its id <c>-key - 23300</c> and its value
/// <c>count,v1,...,vcount</c>.
/// </summary>
internal sealed class NcnnLayerLine
{
    private readonly Dictionary<int, double> _values;
    private readonly Dictionary<int, double[]> _arrays;

    public NcnnLayerLine(string type, string name, int line, IReadOnlyList<string> bottoms, IReadOnlyList<string> tops,
                         Dictionary<int, double> values, Dictionary<int, double[]> arrays)
    {
        Type = type;
        Name = name;
        Line = line;
        Bottoms = bottoms;
        Tops = tops;
        _values = values;
        _arrays = arrays;
    }

    public string Type { get; }

    public string Name { get; }

    /// <summary>The 1-based line number in the file.</summary>
    public int Line { get; }

    public IReadOnlyList<string> Bottoms { get; }

    public IReadOnlyList<string> Tops { get; }

    public bool Has(int id) => _values.ContainsKey(id);

    /// <summary>Parameter <paramref name="id"/> as an integer; a non-integral value is an error.</summary>
    public int Int(int id, int fallback, Func<string, ModelFormatException> error)
    {
        if (!_values.TryGetValue(id, out double v))
        {
            return fallback;
        }
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
        {
            throw error($"parameter {id}={v.ToString(CultureInfo.InvariantCulture)} must be an integer");
        }
        return (int)v;
    }

    public float Float(int id, float fallback) => _values.TryGetValue(id, out double v) ? (float)v : fallback;

    public double[] Array(int id) => _arrays.GetValueOrDefault(id) ?? System.Array.Empty<double>();
}

/// <summary>
/// Reads ncnn's text parameter format (docs/developer-guide/param-and-model-file-structure.md): the magic number
/// 7767517, the layer and blob counts, then one layer per line. Every failure is a
/// <see cref="ModelFormatException"/> naming the file and line.
/// </summary>
internal static class NcnnParamFile
{
    /// <summary>The first line of every text .param file.</summary>
    public const int Magic = 7767517;

    /// <summary>Files larger than this are not .param files (the largest known ones are tens of KB).</summary>
    private const long MaxBytes = 16 << 20;

    /// <summary>Layer and blob counts beyond this are refused before anything is allocated for them.</summary>
    private const int MaxCount = 100_000;

    public static (IReadOnlyList<NcnnLayerLine> Layers, int BlobCount) Read(string path)
    {
        string[] lines;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ModelFormatException($"{path}: file not found.");
            }
            if (info.Length > MaxBytes)
            {
                throw new ModelFormatException($"{path}: {info.Length} bytes is too large for an ncnn .param file.");
            }
            lines = File.ReadAllLines(path);
        }
        catch (IOException e)
        {
            throw new ModelFormatException($"{path}: cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelFormatException($"{path}: cannot be read: {e.Message}", e);
        }
        return Parse(path, lines);
    }

    public static (IReadOnlyList<NcnnLayerLine> Layers, int BlobCount) Parse(string path, IReadOnlyList<string> lines)
    {
        int n = 0;
        string? Next(out int lineNo)
        {
            while (n < lines.Count)
            {
                string line = lines[n++].Trim();
                if (line.Length > 0)
                {
                    lineNo = n;
                    return line;
                }
            }
            lineNo = n;
            return null;
        }

        string? magic = Next(out int magicLine);
        if (magic is null)
        {
            throw new ModelFormatException($"{path}: empty file; an ncnn .param file starts with {Magic}.");
        }
        if (magic != Magic.ToString(CultureInfo.InvariantCulture))
        {
            throw new ModelFormatException($"{path}:{magicLine}: starts with '{Clip(magic)}', not the ncnn magic number {Magic} " +
                                           "(binary .param.bin files are not read; convert them to text).");
        }
        string? counts = Next(out int countLine);
        var parts = counts?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: 2 } || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int layerCount) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int blobCount))
        {
            throw new ModelFormatException($"{path}:{countLine}: expected the layer and blob counts, got '{Clip(counts ?? "end of file")}'.");
        }
        if (layerCount is <= 0 or > MaxCount || blobCount is <= 0 or > MaxCount)
        {
            throw new ModelFormatException($"{path}:{countLine}: {layerCount} layers and {blobCount} blobs is outside 1 to {MaxCount}.");
        }
        var layers = new List<NcnnLayerLine>(Math.Min(layerCount, 1024));
        while (Next(out int lineNo) is { } line)
        {
            if (layers.Count == layerCount)
            {
                throw new ModelFormatException($"{path}:{lineNo}: the file declares {layerCount} layers but has more lines.");
            }
            layers.Add(ParseLayer(path, lineNo, line));
        }
        if (layers.Count != layerCount)
        {
            throw new ModelFormatException($"{path}: the file declares {layerCount} layers but has {layers.Count} (truncated?).");
        }
        int tops = layers.Sum(l => l.Tops.Count);
        if (tops > blobCount)
        {
            throw new ModelFormatException($"{path}: the file declares {blobCount} blobs but its layers make {tops}.");
        }
        return (layers, blobCount);
    }

    private static NcnnLayerLine ParseLayer(string path, int lineNo, string line)
    {
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string where = $"{path}:{lineNo}";
        if (tokens.Length < 4)
        {
            throw new ModelFormatException($"{where}: expected 'type name bottom_count top_count ...', got '{Clip(line)}'.");
        }
        string type = tokens[0], name = tokens[1];
        if (!int.TryParse(tokens[2], NumberStyles.None, CultureInfo.InvariantCulture, out int bottomCount) ||
            !int.TryParse(tokens[3], NumberStyles.None, CultureInfo.InvariantCulture, out int topCount) ||
            bottomCount > 64 || topCount > 64)
        {
            throw new ModelFormatException($"{where}: layer '{name}' ({type}): bottom and top counts '{tokens[2]} {tokens[3]}' are not counts from 0 to 64.");
        }
        if (tokens.Length < 4 + bottomCount + topCount)
        {
            throw new ModelFormatException($"{where}: layer '{name}' ({type}) declares {bottomCount} inputs and {topCount} outputs but names only {tokens.Length - 4}.");
        }
        var bottoms = tokens.Skip(4).Take(bottomCount).ToArray();
        var tops = tokens.Skip(4 + bottomCount).Take(topCount).ToArray();
        var values = new Dictionary<int, double>();
        var arrays = new Dictionary<int, double[]>();
        foreach (string token in tokens.Skip(4 + bottomCount + topCount))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(token.AsSpan(0, eq), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int key))
            {
                throw new ModelFormatException($"{where}: layer '{name}' ({type}): '{Clip(token)}' is not a key=value parameter.");
            }
            string value = token[(eq + 1)..];
            if (key <= -23300)
            {
                int id = -key - 23300;
                var items = value.Split(',');
                if (!int.TryParse(items[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != items.Length - 1)
                {
                    throw new ModelFormatException($"{where}: layer '{name}' ({type}): array parameter {key} '{Clip(value)}' does not start with the count of its values.");
                }
                arrays[id] = items.Skip(1).Select(v => Number(v, key)).ToArray();
            }
            else if (key >= 0)
            {
                values[key] = Number(value, key);
            }
            else
            {
                throw new ModelFormatException($"{where}: layer '{name}' ({type}): parameter key {key} is negative but not an array key (-23300 and below).");
            }
        }
        return new NcnnLayerLine(type, name, lineNo, bottoms, tops, values, arrays);

        double Number(string text, int key)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new ModelFormatException($"{where}: layer '{name}' ({type}): parameter {key} value '{Clip(text)}' is not a finite number " +
                                               "(string parameters are not supported).");
            }
            return v;
        }
    }

    private static string Clip(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
