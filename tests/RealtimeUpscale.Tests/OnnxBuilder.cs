using Google.Protobuf;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Writes small ONNX files field by field (onnx.proto field numbers), so tests can make exactly the malformed
/// models they need: wrong tensor sizes, NaN weights, unknown operators, unsupported attributes.
/// </summary>
public sealed class OnnxBuilder
{
    private readonly List<byte[]> _nodes = new();
    private readonly List<byte[]> _initializers = new();
    private readonly Dictionary<string, string> _metadata = new();

    public int Opset { get; set; } = 13;
    public int InputChannels { get; set; } = 1;
    public string Output { get; set; } = "output";

    public OnnxBuilder Node(string op, string[] inputs, string output, Action<CodedOutputStream>? attributes = null, string? name = null)
    {
        _nodes.Add(Message(o =>
        {
            foreach (var i in inputs)
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(i);
            }
            o.WriteTag(2, WireFormat.WireType.LengthDelimited);
            o.WriteString(output);
            o.WriteTag(3, WireFormat.WireType.LengthDelimited);
            o.WriteString(name ?? output);
            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteString(op);
            attributes?.Invoke(o);
        }));
        return this;
    }

    /// <summary>A float initializer stored as raw_data; <paramref name="rawBytes"/> overrides its length.</summary>
    public OnnxBuilder Initializer(string name, long[] dims, float[] values, int? rawBytes = null)
    {
        _initializers.Add(Message(o =>
        {
            foreach (var d in dims)
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt64(d);
            }
            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt32(1);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            var raw = new byte[rawBytes ?? values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, Math.Min(raw.Length, values.Length * 4));
            o.WriteTag(9, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return this;
    }

    public OnnxBuilder Metadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    public static Action<CodedOutputStream> IntsAttribute(string name, params long[] values) => o =>
    {
        o.WriteTag(5, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(a =>
        {
            a.WriteTag(1, WireFormat.WireType.LengthDelimited);
            a.WriteString(name);
            foreach (var v in values)
            {
                a.WriteTag(8, WireFormat.WireType.Varint);
                a.WriteInt64(v);
            }
            a.WriteTag(20, WireFormat.WireType.Varint);
            a.WriteInt32(7);
        })));
    };

    public static Action<CodedOutputStream> IntAttribute(string name, long value) => o =>
    {
        o.WriteTag(5, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(a =>
        {
            a.WriteTag(1, WireFormat.WireType.LengthDelimited);
            a.WriteString(name);
            a.WriteTag(3, WireFormat.WireType.Varint);
            a.WriteInt64(value);
            a.WriteTag(20, WireFormat.WireType.Varint);
            a.WriteInt32(2);
        })));
    };

    public static Action<CodedOutputStream> StringAttribute(string name, string value) => o =>
    {
        o.WriteTag(5, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(a =>
        {
            a.WriteTag(1, WireFormat.WireType.LengthDelimited);
            a.WriteString(name);
            a.WriteTag(4, WireFormat.WireType.LengthDelimited);
            a.WriteBytes(ByteString.CopyFromUtf8(value));
            a.WriteTag(20, WireFormat.WireType.Varint);
            a.WriteInt32(3);
        })));
    };

    public byte[] Build() => Message(m =>
    {
        m.WriteTag(1, WireFormat.WireType.Varint);
        m.WriteInt64(8);
        m.WriteTag(7, WireFormat.WireType.LengthDelimited);
        m.WriteBytes(ByteString.CopyFrom(Message(g =>
        {
            foreach (var n in _nodes)
            {
                g.WriteTag(1, WireFormat.WireType.LengthDelimited);
                g.WriteBytes(ByteString.CopyFrom(n));
            }
            g.WriteTag(2, WireFormat.WireType.LengthDelimited);
            g.WriteString("test");
            foreach (var i in _initializers)
            {
                g.WriteTag(5, WireFormat.WireType.LengthDelimited);
                g.WriteBytes(ByteString.CopyFrom(i));
            }
            g.WriteTag(11, WireFormat.WireType.LengthDelimited);
            g.WriteBytes(ByteString.CopyFrom(ValueInfo("input", InputChannels)));
            g.WriteTag(12, WireFormat.WireType.LengthDelimited);
            g.WriteBytes(ByteString.CopyFrom(ValueInfo(Output, null)));
        })));
        m.WriteTag(8, WireFormat.WireType.LengthDelimited);
        m.WriteBytes(ByteString.CopyFrom(Message(s =>
        {
            s.WriteTag(2, WireFormat.WireType.Varint);
            s.WriteInt64(Opset);
        })));
        foreach (var (k, v) in _metadata)
        {
            m.WriteTag(14, WireFormat.WireType.LengthDelimited);
            m.WriteBytes(ByteString.CopyFrom(Message(e =>
            {
                e.WriteTag(1, WireFormat.WireType.LengthDelimited);
                e.WriteString(k);
                e.WriteTag(2, WireFormat.WireType.LengthDelimited);
                e.WriteString(v);
            })));
        }
    });

    private static byte[] ValueInfo(string name, int? channels) => Message(v =>
    {
        v.WriteTag(1, WireFormat.WireType.LengthDelimited);
        v.WriteString(name);
        v.WriteTag(2, WireFormat.WireType.LengthDelimited);
        v.WriteBytes(ByteString.CopyFrom(Message(type =>
        {
            type.WriteTag(1, WireFormat.WireType.LengthDelimited);
            type.WriteBytes(ByteString.CopyFrom(Message(tensor =>
            {
                tensor.WriteTag(1, WireFormat.WireType.Varint);
                tensor.WriteInt32(1);
                tensor.WriteTag(2, WireFormat.WireType.LengthDelimited);
                tensor.WriteBytes(ByteString.CopyFrom(Message(shape =>
                {
                    foreach (var (value, param) in new (long?, string?)[] { (1, null), (channels, channels is null ? "c" : null), (null, "h"), (null, "w") })
                    {
                        shape.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        shape.WriteBytes(ByteString.CopyFrom(Message(dim =>
                        {
                            if (value is not null)
                            {
                                dim.WriteTag(1, WireFormat.WireType.Varint);
                                dim.WriteInt64(value.Value);
                            }
                            else
                            {
                                dim.WriteTag(2, WireFormat.WireType.LengthDelimited);
                                dim.WriteString(param!);
                            }
                        })));
                    }
                })));
            })));
        })));
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        write(o);
        o.Flush();
        return ms.ToArray();
    }
}
