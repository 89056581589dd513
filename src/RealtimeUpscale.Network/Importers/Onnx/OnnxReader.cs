using System.Buffers.Binary;
using Google.Protobuf;

namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// Decodes the ONNX protobuf messages field by field. Field numbers are from onnx/onnx.proto; a comment names
/// each. Repeated scalar fields are accepted packed and unpacked.
/// </summary>
internal static class OnnxReader
{
    // Wire types
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    /// <summary>The most elements a stored tensor may declare (2^28: a gigabyte of float32).</summary>
    private const long MaxTensorElements = 1 << 28;

    public static OnnxModel ReadModel(byte[] bytes, string source)
    {
        var model = new OnnxModel { Source = source };
        var input = new CodedInputStream(bytes);
        uint tag;
        bool sawGraph = false;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: model.IrVersion = input.ReadInt64(); break;                   // ir_version
                case 2: model.Producer = input.ReadString(); break;                   // producer_name
                case 7: model.Graph = ReadGraph(input.ReadBytes(), source); sawGraph = true; break; // graph
                case 8: ReadOpset(input.ReadBytes(), model); break;                   // opset_import
                case 14: ReadMetadata(input.ReadBytes(), model); break;               // metadata_props
                default: input.SkipLastField(); break;
            }
        }
        if (!sawGraph)
        {
            throw new ModelFormatException($"{source}: no graph found (not an ONNX model).");
        }
        return model;
    }

    private static void ReadOpset(ByteString bytes, OnnxModel model)
    {
        var input = bytes.CreateCodedInput();
        string domain = "";
        long version = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: domain = input.ReadString(); break;   // domain
                case 2: version = input.ReadInt64(); break;   // version
                default: input.SkipLastField(); break;
            }
        }
        model.Opsets[domain] = version;
    }

    private static void ReadMetadata(ByteString bytes, OnnxModel model)
    {
        var input = bytes.CreateCodedInput();
        string key = "", value = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;      // key
                case 2: value = input.ReadString(); break;    // value
                default: input.SkipLastField(); break;
            }
        }
        model.Metadata[key] = value;
    }

    private static OnnxGraph ReadGraph(ByteString bytes, string source)
    {
        var graph = new OnnxGraph();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: graph.Nodes.Add(ReadNode(input.ReadBytes(), source, graph.Nodes.Count)); break; // node
                case 2: graph.Name = input.ReadString(); break;                                         // name
                case 5:                                                                                 // initializer
                    var t = ReadTensor(input.ReadBytes(), source, $"initializer #{graph.Initializers.Count}");
                    graph.Initializers[t.Name] = t;
                    break;
                case 11: graph.Inputs.Add(ReadValueInfo(input.ReadBytes())); break;                     // input
                case 12: graph.Outputs.Add(ReadValueInfo(input.ReadBytes())); break;                    // output
                default: input.SkipLastField(); break;                                                  // value_info, doc_string...
            }
        }
        return graph;
    }

    private static OnnxNode ReadNode(ByteString bytes, string source, int index)
    {
        var node = new OnnxNode();
        var input = bytes.CreateCodedInput();
        var attributes = new List<ByteString>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: node.Inputs.Add(input.ReadString()); break;    // input
                case 2: node.Outputs.Add(input.ReadString()); break;   // output
                case 3: node.Name = input.ReadString(); break;         // name
                case 4: node.OpType = input.ReadString(); break;       // op_type
                case 5: attributes.Add(input.ReadBytes()); break;      // attribute
                case 7: node.Domain = input.ReadString(); break;       // domain
                default: input.SkipLastField(); break;
            }
        }
        if (node.OpType.Length == 0)
        {
            throw new ModelFormatException($"{source}: node #{index} has no op_type.");
        }
        foreach (var a in attributes)
        {
            var attr = ReadAttribute(a, source, node);
            node.Attributes[attr.Name] = attr;
        }
        return node;
    }

    private static OnnxAttribute ReadAttribute(ByteString bytes, string source, OnnxNode node)
    {
        var input = bytes.CreateCodedInput();
        string name = "";
        float? f = null;
        long? i = null;
        string? s = null;
        OnnxTensor? t = null;
        bool graph = false;
        var floats = new List<float>();
        var ints = new List<long>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int wire = (int)WireFormat.GetTagWireType(tag);
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;                                    // name
                case 2: f = input.ReadFloat(); break;                                        // f
                case 3: i = input.ReadInt64(); break;                                        // i
                case 4: s = input.ReadBytes().ToStringUtf8(); break;                         // s
                case 5: t = ReadTensor(input.ReadBytes(), source, $"attribute of node '{node.Label}'"); break; // t
                case 6: graph = true; input.SkipLastField(); break;                          // g
                case 7: ReadFloats(input, wire, floats); break;                              // floats
                case 8: ReadInt64s(input, wire, ints); break;                                // ints
                case 11: graph = true; input.SkipLastField(); break;                         // graphs
                default: input.SkipLastField(); break;
            }
        }
        var attr = new OnnxAttribute(name) { Float = f, Int = i, String = s, Tensor = t, IsGraph = graph };
        attr.Floats.AddRange(floats);
        attr.Ints.AddRange(ints);
        return attr;
    }

    private static OnnxValueInfo ReadValueInfo(ByteString bytes)
    {
        var info = new OnnxValueInfo();
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: info.Name = input.ReadString(); break;           // name
                case 2: ReadType(input.ReadBytes(), info); break;        // type
                default: input.SkipLastField(); break;
            }
        }
        return info;
    }

    private static void ReadType(ByteString bytes, OnnxValueInfo info)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1)                   // tensor_type
            {
                input.SkipLastField();
                continue;
            }
            var tensorType = input.ReadBytes().CreateCodedInput();
            uint t2;
            while ((t2 = tensorType.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t2))
                {
                    case 1: info.ElementType = (OnnxDataType)tensorType.ReadInt32(); break;   // elem_type
                    case 2: ReadShape(tensorType.ReadBytes(), info); break;                   // shape
                    default: tensorType.SkipLastField(); break;
                }
            }
        }
    }

    private static void ReadShape(ByteString bytes, OnnxValueInfo info)
    {
        var input = bytes.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1)                   // dim
            {
                input.SkipLastField();
                continue;
            }
            var dim = input.ReadBytes().CreateCodedInput();
            long? value = null;
            string? param = null;
            uint t2;
            while ((t2 = dim.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(t2))
                {
                    case 1: value = dim.ReadInt64(); break;              // dim_value
                    case 2: param = dim.ReadString(); break;             // dim_param
                    default: dim.SkipLastField(); break;
                }
            }
            info.Dims.Add(value);
            info.DimNames.Add(param);
        }
    }

    public static OnnxTensor ReadTensor(ByteString bytes, string source, string where)
    {
        var input = bytes.CreateCodedInput();
        var dims = new List<long>();
        var floatData = new List<float>();
        var int32Data = new List<long>();
        var int64Data = new List<long>();
        var doubleData = new List<double>();
        ByteString? raw = null;
        string name = "";
        int type = 0;
        bool external = false;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int wire = (int)WireFormat.GetTagWireType(tag);
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadInt64s(input, wire, dims); break;                 // dims
                case 2: type = input.ReadInt32(); break;                      // data_type
                case 4: ReadFloats(input, wire, floatData); break;            // float_data
                case 5: ReadInt64s(input, wire, int32Data); break;            // int32_data (also float16 bits, bool, int8...)
                case 7: ReadInt64s(input, wire, int64Data); break;            // int64_data
                case 8: name = input.ReadString(); break;                     // name
                case 9: raw = input.ReadBytes(); break;                       // raw_data
                case 10: ReadDoubles(input, wire, doubleData); break;         // double_data
                case 13: external = true; input.SkipLastField(); break;       // external_data
                default: input.SkipLastField(); break;
            }
        }
        string label = (name.Length > 0 ? $"tensor '{name}'" : where) + $" [{string.Join(",", dims)}]";
        if (external)
        {
            throw new ModelFormatException($"{source}: {label} stores its data in an external file, which is not supported; " +
                                           "save the model with all tensors embedded.");
        }
        var dt = (OnnxDataType)type;
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new ModelFormatException($"{source}: {label} has a negative dimension in [{string.Join(",", dims)}].");
            }
            // Checked against the limit before multiplying, so no product of declared dimensions can overflow.
            if (d > 0 && count > MaxTensorElements / d)
            {
                throw new ModelFormatException($"{source}: {label} has more than {MaxTensorElements} elements, more than this reader accepts.");
            }
            count *= d;
        }
        var shape = dims.ToArray();
        float[]? floats = null;
        long[]? longs = null;
        int n = (int)count;
        switch (dt)
        {
            case OnnxDataType.Float:
                floats = raw is not null ? FromRaw(raw, n, 4, label, source, s => BinaryPrimitives.ReadSingleLittleEndian(s))
                                         : floatData.ToArray();
                break;
            case OnnxDataType.Float16:
                floats = raw is not null ? FromRaw(raw, n, 2, label, source, s => (float)BinaryPrimitives.ReadHalfLittleEndian(s))
                                         : int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray();
                break;
            case OnnxDataType.Double:
                floats = raw is not null ? FromRaw(raw, n, 8, label, source, s => (float)BinaryPrimitives.ReadDoubleLittleEndian(s))
                                         : doubleData.Select(v => (float)v).ToArray();
                break;
            case OnnxDataType.Int64:
                longs = raw is not null ? FromRaw(raw, n, 8, label, source, s => BinaryPrimitives.ReadInt64LittleEndian(s))
                                        : int64Data.ToArray();
                break;
            case OnnxDataType.Int32:
                longs = raw is not null ? FromRaw(raw, n, 4, label, source, s => (long)BinaryPrimitives.ReadInt32LittleEndian(s))
                                        : int32Data.ToArray();
                break;
            case OnnxDataType.Int8:
                longs = raw is not null ? FromRaw(raw, n, 1, label, source, s => (long)(sbyte)s[0]) : int32Data.ToArray();
                break;
            case OnnxDataType.UInt8:
            case OnnxDataType.Bool:
                longs = raw is not null ? FromRaw(raw, n, 1, label, source, s => (long)s[0]) : int32Data.ToArray();
                break;
            default:
                throw new ModelFormatException($"{source}: {label} has element type {dt}, which is not supported " +
                                               "(float32, float16, float64, int64, int32, int8, uint8 and bool are).");
        }
        int length = floats?.Length ?? longs!.Length;
        if (length != count)
        {
            throw new ModelFormatException($"{source}: {label} holds {length} values but its shape [{string.Join(",", dims)}] " +
                                           $"needs {count} (truncated or inconsistent tensor).");
        }
        if (floats is not null)
        {
            for (int i = 0; i < floats.Length; i++)
            {
                if (!float.IsFinite(floats[i]))
                {
                    throw new ModelFormatException($"{source}: {label} contains {floats[i]} at index {i}; weights must be finite.");
                }
            }
        }
        return new OnnxTensor(name, shape, dt, floats, longs);
    }

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes);

    private static T[] FromRaw<T>(ByteString raw, int count, int size, string label, string source, Decode<T> decode)
    {
        var span = raw.Span;
        if (span.Length != (long)count * size)
        {
            throw new ModelFormatException($"{source}: {label} has {span.Length} bytes of raw data, but its {count} elements " +
                                           $"of {size} bytes need {(long)count * size} (truncated or inconsistent tensor).");
        }
        var result = new T[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = decode(span.Slice(i * size, size));
        }
        return result;
    }

    private static void ReadFloats(CodedInputStream input, int wire, List<float> into)
    {
        if (wire == LengthDelimited)
        {
            var bytes = input.ReadBytes().Span;
            if (bytes.Length % 4 != 0)
            {
                throw new InvalidDataException("packed float field length is not a multiple of 4");
            }
            for (int i = 0; i < bytes.Length; i += 4)
            {
                into.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i)));
            }
        }
        else if (wire == Fixed32)
        {
            into.Add(input.ReadFloat());
        }
        else
        {
            throw new InvalidDataException($"float field with wire type {wire}");
        }
    }

    private static void ReadDoubles(CodedInputStream input, int wire, List<double> into)
    {
        if (wire == LengthDelimited)
        {
            var bytes = input.ReadBytes().Span;
            if (bytes.Length % 8 != 0)
            {
                throw new InvalidDataException("packed double field length is not a multiple of 8");
            }
            for (int i = 0; i < bytes.Length; i += 8)
            {
                into.Add(BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(i)));
            }
        }
        else if (wire == Fixed64)
        {
            into.Add(input.ReadDouble());
        }
        else
        {
            throw new InvalidDataException($"double field with wire type {wire}");
        }
    }

    private static void ReadInt64s(CodedInputStream input, int wire, List<long> into)
    {
        if (wire == LengthDelimited)
        {
            var packed = input.ReadBytes().CreateCodedInput();
            while (!packed.IsAtEnd)
            {
                into.Add(packed.ReadInt64());
            }
        }
        else if (wire == Varint)
        {
            into.Add(input.ReadInt64());
        }
        else
        {
            throw new InvalidDataException($"integer field with wire type {wire}");
        }
    }

    private static CodedInputStream CreateCodedInput(this ByteString bytes) => new(bytes.ToByteArray());
}
