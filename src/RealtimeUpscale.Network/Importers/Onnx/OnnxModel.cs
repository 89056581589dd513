using Google.Protobuf;

namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>An ONNX tensor element type (TensorProto.DataType).</summary>
public enum OnnxDataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>float32.</summary>
    Float = 1,
    /// <summary>uint8.</summary>
    UInt8 = 2,
    /// <summary>int8.</summary>
    Int8 = 3,
    /// <summary>uint16.</summary>
    UInt16 = 4,
    /// <summary>int16.</summary>
    Int16 = 5,
    /// <summary>int32.</summary>
    Int32 = 6,
    /// <summary>int64.</summary>
    Int64 = 7,
    /// <summary>string.</summary>
    String = 8,
    /// <summary>bool.</summary>
    Bool = 9,
    /// <summary>float16.</summary>
    Float16 = 10,
    /// <summary>float64.</summary>
    Double = 11,
}

/// <summary>
/// A constant tensor from the file, decoded at load time: floating-point types (float32, float16, float64)
/// into <see cref="Floats"/>, integer and bool types into <see cref="Longs"/>.
/// </summary>
public sealed class OnnxTensor
{
    /// <summary>Creates a tensor; exactly one of the arrays is set and its length matches the shape.</summary>
    public OnnxTensor(string name, long[] dims, OnnxDataType type, float[]? floats, long[]? longs)
    {
        Name = name;
        Dims = dims;
        DataType = type;
        Floats = floats;
        Longs = longs;
    }

    /// <summary>The tensor's name (initializer name or node output).</summary>
    public string Name { get; }

    /// <summary>Dimensions; empty for a scalar.</summary>
    public long[] Dims { get; }

    /// <summary>The element type as stored in the file.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>Values of a floating-point tensor, else null.</summary>
    public float[]? Floats { get; }

    /// <summary>Values of an integer or bool tensor, else null.</summary>
    public long[]? Longs { get; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Whether the values are floating point.</summary>
    public bool IsFloat => Floats is not null;

    /// <summary>The values as float32 (integers converted).</summary>
    public float[] AsFloats() => Floats ?? Longs!.Select(v => (float)v).ToArray();

    /// <summary>The values as int64; floating-point values must be whole numbers.</summary>
    public long[] AsLongs() => Longs ?? Floats!.Select(v => (long)v).ToArray();

    /// <inheritdoc />
    public override string ToString() => $"'{Name}' {DataType}[{string.Join(",", Dims)}]";
}

/// <summary>An attribute of a node.</summary>
public sealed class OnnxAttribute
{
    internal OnnxAttribute(string name) => Name = name;

    /// <summary>The attribute name.</summary>
    public string Name { get; }

    /// <summary>A float value (type FLOAT).</summary>
    public float? Float { get; internal set; }

    /// <summary>An integer value (type INT).</summary>
    public long? Int { get; internal set; }

    /// <summary>A string value (type STRING), decoded as UTF-8.</summary>
    public string? String { get; internal set; }

    /// <summary>A tensor value (type TENSOR).</summary>
    public OnnxTensor? Tensor { get; internal set; }

    /// <summary>Float list (type FLOATS).</summary>
    public List<float> Floats { get; } = new();

    /// <summary>Integer list (type INTS).</summary>
    public List<long> Ints { get; } = new();

    /// <summary>True for graph-valued attributes (control flow), which are not supported.</summary>
    public bool IsGraph { get; internal set; }
}

/// <summary>One node of the graph.</summary>
public sealed class OnnxNode
{
    /// <summary>The node name (may be empty in the file; then the first output names it).</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The operator, e.g. Conv.</summary>
    public string OpType { get; internal set; } = "";

    /// <summary>The operator domain; empty or "ai.onnx" for standard operators.</summary>
    public string Domain { get; internal set; } = "";

    /// <summary>Input value names; an empty name is an omitted optional input.</summary>
    public List<string> Inputs { get; } = new();

    /// <summary>Output value names.</summary>
    public List<string> Outputs { get; } = new();

    /// <summary>Attributes by name.</summary>
    public Dictionary<string, OnnxAttribute> Attributes { get; } = new();

    /// <summary>How errors name the node: its name, or its first output.</summary>
    public string Label => Name.Length > 0 ? Name : Outputs.FirstOrDefault() ?? "?";
}

/// <summary>A graph input or output with its declared type.</summary>
public sealed class OnnxValueInfo
{
    /// <summary>The value name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>The element type.</summary>
    public OnnxDataType ElementType { get; internal set; }

    /// <summary>Each dimension: a fixed size, or null when symbolic (then <see cref="DimNames"/> holds its name).</summary>
    public List<long?> Dims { get; } = new();

    /// <summary>Symbolic dimension names (null for fixed ones).</summary>
    public List<string?> DimNames { get; } = new();
}

/// <summary>The main graph.</summary>
public sealed class OnnxGraph
{
    /// <summary>Graph name.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Nodes in file order (topological, as the format requires).</summary>
    public List<OnnxNode> Nodes { get; } = new();

    /// <summary>Constant tensors by name.</summary>
    public Dictionary<string, OnnxTensor> Initializers { get; } = new();

    /// <summary>Declared inputs (may include initializers in older files).</summary>
    public List<OnnxValueInfo> Inputs { get; } = new();

    /// <summary>Declared outputs.</summary>
    public List<OnnxValueInfo> Outputs { get; } = new();
}

/// <summary>
/// An ONNX model read with Google.Protobuf's <see cref="CodedInputStream"/> from the field numbers of the
/// public schema (onnx.proto: ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
/// ValueInfoProto). Unknown fields are skipped.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>The IR version.</summary>
    public long IrVersion { get; internal set; }

    /// <summary>Producer name, e.g. "pytorch".</summary>
    public string Producer { get; internal set; } = "";

    /// <summary>Operator set version per domain ("" is the default domain).</summary>
    public Dictionary<string, long> Opsets { get; } = new();

    /// <summary>metadata_props key/value pairs.</summary>
    public Dictionary<string, string> Metadata { get; } = new();

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; internal set; } = new();

    /// <summary>Where the model came from, for error messages.</summary>
    public string Source { get; internal set; } = "";

    /// <summary>The default-domain opset the graph is written against.</summary>
    public long Opset => Opsets.TryGetValue("", out var v) ? v : Opsets.TryGetValue("ai.onnx", out v) ? v : 0;

    /// <summary>Reads a file; throws <see cref="ModelFormatException"/> naming the file and the problem.</summary>
    public static OnnxModel Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read the model file: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses model bytes; <paramref name="source"/> names them in errors.</summary>
    public static OnnxModel Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw new ModelFormatException($"{source}: the file is empty.");
        }
        try
        {
            var model = OnnxReader.ReadModel(bytes, source);
            if (model.Graph.Nodes.Count == 0)
            {
                throw new ModelFormatException($"{source}: the model has no graph nodes (not an ONNX model, or truncated).");
            }
            return model;
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidDataException)
        {
            throw new ModelFormatException($"{source}: not a valid ONNX file (truncated or corrupt protobuf: {e.Message}).", e);
        }
    }
}
