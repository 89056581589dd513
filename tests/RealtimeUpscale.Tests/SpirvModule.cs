using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Tests;

/// <summary>
/// What a compute shader's SPIR-V declares to the host: its specialization-constant ids, the size of its
/// push-constant block and its descriptor-set bindings. A small reader of the binary form (SPIR-V 1.x spec,
/// section 2.3): a 5-word header (magic 0x07230203, version, generator, id bound, schema), then instructions,
/// each starting with a word whose high 16 bits are its word count and low 16 bits its opcode.
/// </summary>
public sealed class SpirvModule
{
    private const uint Magic = 0x07230203;

    // Opcodes (SPIR-V spec, section 3.49).
    private const int OpTypeBool = 20, OpTypeInt = 21, OpTypeFloat = 22, OpTypeVector = 23, OpTypeMatrix = 24,
        OpTypeImage = 25, OpTypeSampledImage = 27, OpTypeArray = 28, OpTypeStruct = 30, OpTypePointer = 32,
        OpConstant = 43, OpVariable = 59, OpDecorate = 71, OpMemberDecorate = 72;

    // Decorations (section 3.20), storage classes (3.7) and image dimensions (3.8).
    private const uint Block = 2, BufferBlock = 3, ArrayStride = 6, SpecId = 1, Binding = 33, DescriptorSet = 34, Offset = 35;
    private const uint UniformConstant = 0, Uniform = 2, PushConstant = 9, StorageBuffer = 12;
    private const uint DimBuffer = 5;

    private readonly Dictionary<uint, uint[]> _types = new();     // result id -> the type instruction's words
    private readonly Dictionary<uint, uint> _constants = new();   // result id -> 32-bit value
    private readonly Dictionary<(uint Id, uint Decoration), uint> _decorations = new();
    private readonly HashSet<(uint Id, uint Decoration)> _flags = new();
    private readonly Dictionary<(uint Struct, uint Member), uint> _offsets = new();
    private readonly List<(uint Type, uint Id, uint Storage)> _variables = new();

    public SpirvModule(byte[] bytes)
    {
        if (bytes.Length < 20 || bytes.Length % 4 != 0)
        {
            throw new FormatException($"{bytes.Length} bytes are not a SPIR-V module.");
        }
        var words = new uint[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, words, 0, bytes.Length);
        if (words[0] != Magic)
        {
            throw new FormatException($"Bad SPIR-V magic 0x{words[0]:x8}.");
        }
        for (int at = 5; at < words.Length;)
        {
            int count = (int)(words[at] >> 16), op = (int)(words[at] & 0xFFFF);
            if (count == 0 || at + count > words.Length)
            {
                throw new FormatException($"Instruction at word {at} has a bad word count {count}.");
            }
            var w = words.AsSpan(at, count);
            switch (op)
            {
                case OpTypeBool or OpTypeInt or OpTypeFloat or OpTypeVector or OpTypeMatrix or OpTypeImage
                    or OpTypeSampledImage or OpTypeArray or OpTypeStruct or OpTypePointer:
                    _types[w[1]] = w.ToArray();
                    break;
                case OpConstant:
                    _constants[w[2]] = w[3];
                    break;
                case OpVariable:
                    _variables.Add((w[1], w[2], w[3]));
                    break;
                case OpDecorate when count >= 4:
                    _decorations[(w[1], w[2])] = w[3];
                    break;
                case OpDecorate:
                    _flags.Add((w[1], w[2]));
                    break;
                case OpMemberDecorate when w[3] == Offset:
                    _offsets[(w[1], w[2])] = w[4];
                    break;
            }
            at += count;
        }
    }

    /// <summary>The ids of every <c>SpecId</c> decoration (the workgroup size's included), ascending.</summary>
    public IReadOnlyList<uint> SpecIds =>
        _decorations.Where(d => d.Key.Decoration == SpecId).Select(d => d.Value).Order().ToArray();

    /// <summary>
    /// Bytes of the push-constant block: the end of its last member (member offset plus member size), or 0 when
    /// the shader has none.
    /// </summary>
    public uint PushConstantSize
    {
        get
        {
            var push = _variables.Where(v => v.Storage == PushConstant).ToList();
            return push.Count switch
            {
                0 => 0,
                1 => Size(Pointee(push[0].Type)),
                _ => throw new FormatException("More than one push-constant block."),
            };
        }
    }

    /// <summary>The bindings of descriptor set 0 by binding number, with what each holds.</summary>
    public IReadOnlyDictionary<uint, BindingKind> Bindings
    {
        get
        {
            var result = new Dictionary<uint, BindingKind>();
            foreach (var v in _variables)
            {
                if (!_decorations.TryGetValue((v.Id, Binding), out uint binding))
                {
                    continue;
                }
                uint set = _decorations.GetValueOrDefault((v.Id, DescriptorSet));
                if (set != 0)
                {
                    throw new FormatException($"Binding {binding} is in descriptor set {set}; the runtime uses set 0 only.");
                }
                result.Add(binding, Kind(v.Storage, Pointee(v.Type)));
            }
            return result;
        }
    }

    private uint Pointee(uint pointerType)
    {
        var t = _types[pointerType];
        return t[0] >> 16 == 4 && (t[0] & 0xFFFF) == OpTypePointer ? t[3] : throw new FormatException($"%{pointerType} is not a pointer type.");
    }

    private BindingKind Kind(uint storage, uint type)
    {
        var t = _types[type];
        int op = (int)(t[0] & 0xFFFF);
        return (storage, op) switch
        {
            (StorageBuffer, OpTypeStruct) => BindingKind.StorageBuffer,
            (Uniform, OpTypeStruct) when _flags.Contains((type, BufferBlock)) => BindingKind.StorageBuffer,
            (Uniform, OpTypeStruct) when _flags.Contains((type, Block)) => BindingKind.UniformBuffer,
            // OpTypeSampledImage's image is word 2; OpTypeImage's Dim is word 3 and Sampled (1 sampled, 2 storage) word 7.
            (UniformConstant, OpTypeSampledImage) => _types[t[2]][3] == DimBuffer ? BindingKind.UniformTexelBuffer : BindingKind.SampledImage,
            (UniformConstant, OpTypeImage) when t[7] == 2 && t[3] != DimBuffer => BindingKind.StorageImage,
            _ => throw new FormatException($"Unrecognised binding: storage class {storage}, type opcode {op}."),
        };
    }

    /// <summary>Bytes of a type as laid out in an explicitly laid-out block.</summary>
    private uint Size(uint type)
    {
        var t = _types[type];
        switch ((int)(t[0] & 0xFFFF))
        {
            case OpTypeBool:
                return 4;
            case OpTypeInt or OpTypeFloat:
                return t[2] / 8;
            case OpTypeVector or OpTypeMatrix:
                return t[3] * Size(t[2]);
            case OpTypeArray:
                uint length = _constants[t[3]];
                uint stride = _decorations.TryGetValue((type, ArrayStride), out uint s) ? s : Size(t[2]);
                return length * stride;
            case OpTypeStruct:
                uint end = 0;
                for (uint m = 0; m < t.Length - 2; m++)
                {
                    uint offset = _offsets.TryGetValue((type, m), out uint o) ? o : throw new FormatException($"Member {m} of %{type} has no Offset.");
                    end = Math.Max(end, offset + Size(t[2 + m]));
                }
                return end;
            default:
                throw new FormatException($"No size for type opcode {t[0] & 0xFFFF}.");
        }
    }
}
