using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>
/// Where each value of a graph bound at one input size lives: the liveness plan a <see cref="NetworkBinding"/>
/// allocates by. Intermediate values share buffers once their last reader has run (the smallest free buffer that
/// is large enough; otherwise a new buffer of the value's size), so the plan's <see cref="Bytes"/> is the
/// binding's peak, far below the sum of all its values. Computed on the CPU from the shapes alone, so a caller
/// can size its work (tiles) before allocating anything.
/// </summary>
public sealed class MemoryPlan
{
    private readonly int[] _slots;
    private readonly ulong[] _bufferSizes;

    /// <summary>Plans <paramref name="definition"/> at <paramref name="inputShape"/>, the values in <paramref name="supplied"/> given by the caller.</summary>
    public MemoryPlan(ModelDefinition definition, TensorShape inputShape, IReadOnlyCollection<string>? supplied = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        supplied ??= Array.Empty<string>();
        Shapes = definition.InferShapes(inputShape);
        var lastUse = new Dictionary<string, int>();
        for (int i = 0; i < definition.Nodes.Count; i++)
        {
            if (supplied.Contains(definition.Nodes[i].Output))
            {
                continue; // a node that does not run reads nothing
            }
            foreach (var v in definition.Nodes[i].Inputs)
            {
                lastUse[v] = i;
            }
        }
        var slots = new int[definition.Nodes.Count];
        var sizes = new List<ulong>();
        var slotOf = new Dictionary<string, int>();
        // Free buffers by index, kept sorted by size so that the first large enough is the smallest.
        var free = new List<int>();
        ulong own = inputShape.ByteSize;
        for (int i = 0; i < definition.Nodes.Count; i++)
        {
            var node = definition.Nodes[i];
            var shape = Shapes[node.Output];
            LargestTensorBytes = Math.Max(LargestTensorBytes, shape.ByteSize);
            if (supplied.Contains(node.Output) || node.Output == definition.Output)
            {
                // Supplied values are written by the caller before the run and the output is read after it: each
                // has a tensor of its own, never a buffer another value uses.
                slots[i] = OwnTensor;
                own += shape.ByteSize;
                continue;
            }
            int at = free.FindIndex(b => sizes[b] >= shape.ByteSize);
            if (at >= 0)
            {
                slots[i] = free[at];
                free.RemoveAt(at);
            }
            else
            {
                slots[i] = sizes.Count;
                sizes.Add(shape.ByteSize);
            }
            slotOf[node.Output] = slots[i];
            foreach (var v in node.Inputs.Distinct())
            {
                if (lastUse[v] == i && slotOf.TryGetValue(v, out int slot))
                {
                    free.Add(slot);
                    free.Sort((a, b) => sizes[a].CompareTo(sizes[b]));
                }
            }
        }
        _slots = slots;
        _bufferSizes = sizes.ToArray();
        Bytes = own + sizes.Aggregate(0UL, (sum, s) => sum + s);
    }

    /// <summary>The slot of a value that has a tensor of its own (the output, a supplied value).</summary>
    public const int OwnTensor = -1;

    /// <summary>Every value's shape at this input size.</summary>
    public IReadOnlyDictionary<string, TensorShape> Shapes { get; }

    /// <summary>The shared buffer node <paramref name="node"/> writes (an index into <see cref="BufferSizes"/>), or <see cref="OwnTensor"/>.</summary>
    public int Slot(int node) => _slots[node];

    /// <summary>Bytes of each shared buffer, in the order they are first used.</summary>
    public IReadOnlyList<ulong> BufferSizes => _bufferSizes;

    /// <summary>
    /// Bytes a binding of the plan allocates: the shared buffers, the input tensor, the output and the supplied
    /// values.
    /// </summary>
    public ulong Bytes { get; }

    /// <summary>Bytes of the largest value, which has to fit one storage-buffer binding.</summary>
    public ulong LargestTensorBytes { get; private set; }
}
