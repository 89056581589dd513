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
    private readonly bool[] _runs;

    /// <summary>
    /// Plans <paramref name="definition"/> at <paramref name="inputShape"/>, the values in <paramref name="supplied"/>
    /// given by the caller and those in <paramref name="kept"/> read back by the caller after the run. Only the
    /// nodes the output or a kept value needs run (<see cref="Runs"/>): a supplied value's node does not, nor do
    /// the nodes only it would have read. Tensors are stored at <paramref name="precision"/>. The layers that
    /// <paramref name="tuning"/> (null: none) runs as several passes over scratch buffers share those
    /// (<see cref="ScratchSizes"/>).
    /// </summary>
    public MemoryPlan(ModelDefinition definition, TensorShape inputShape, IReadOnlyCollection<string>? supplied = null,
        IReadOnlyCollection<string>? kept = null, TensorPrecision precision = TensorPrecision.Float32, KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        supplied ??= Array.Empty<string>();
        kept ??= Array.Empty<string>();
        Shapes = definition.InferShapes(inputShape);
        int count = definition.Nodes.Count;
        // From the output back: a value is needed when the output or a kept value depends on it through nodes
        // that run; a needed supplied value is written by the caller, so its node's inputs are not needed.
        var needed = new HashSet<string>(kept) { definition.Output };
        var runs = new bool[count];
        var present = new bool[count];
        for (int i = count - 1; i >= 0; i--)
        {
            var node = definition.Nodes[i];
            if (!needed.Contains(node.Output))
            {
                continue;
            }
            present[i] = true;
            if (!supplied.Contains(node.Output))
            {
                runs[i] = true;
                needed.UnionWith(node.Inputs);
            }
        }
        _runs = runs;
        var lastUse = new Dictionary<string, int>();
        for (int i = 0; i < count; i++)
        {
            if (!runs[i])
            {
                continue; // a node that does not run reads nothing
            }
            foreach (var v in definition.Nodes[i].Inputs)
            {
                lastUse[v] = i;
            }
        }
        var slots = new int[count];
        var sizes = new List<ulong>();
        var slotOf = new Dictionary<string, int>();
        // Free buffers by index, kept sorted by size so that the first large enough is the smallest.
        var free = new List<int>();
        var scratch = new List<ulong>();
        ulong own = inputShape.BytesAt(precision);
        for (int i = 0; i < count; i++)
        {
            var node = definition.Nodes[i];
            var shape = Shapes[node.Output];
            if (!present[i])
            {
                slots[i] = Absent;
                continue;
            }
            ulong bytes = shape.BytesAt(precision);
            LargestTensorBytes = Math.Max(LargestTensorBytes, bytes);
            if (runs[i] && tuning is not null)
            {
                var needs = Layers.GpuLayer.ScratchSizes(node.Spec, node.Inputs.Select(v => Shapes[v]).ToArray(), tuning);
                for (int k = 0; k < needs.Count; k++)
                {
                    if (k == scratch.Count)
                    {
                        scratch.Add(0);
                    }
                    scratch[k] = Math.Max(scratch[k], needs[k]);
                    LargestTensorBytes = Math.Max(LargestTensorBytes, needs[k]);
                }
            }
            if (!runs[i] || node.Output == definition.Output || kept.Contains(node.Output))
            {
                // Supplied values are written by the caller before the run, the output and kept values are read
                // after it: each has a tensor of its own, never a buffer another value uses.
                slots[i] = OwnTensor;
                own += bytes;
                if (!runs[i])
                {
                    continue;
                }
            }
            else
            {
                int at = free.FindIndex(b => sizes[b] >= bytes);
                if (at >= 0)
                {
                    slots[i] = free[at];
                    free.RemoveAt(at);
                }
                else
                {
                    slots[i] = sizes.Count;
                    sizes.Add(bytes);
                }
                slotOf[node.Output] = slots[i];
            }
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
        ScratchSizes = scratch.ToArray();
        Bytes = own + sizes.Concat(scratch).Aggregate(0UL, (sum, s) => sum + s);
    }

    /// <summary>The slot of a value that has a tensor of its own (the output, a supplied or kept value).</summary>
    public const int OwnTensor = -1;

    /// <summary>The slot of a value the run neither computes nor reads: it has no tensor.</summary>
    public const int Absent = -2;

    /// <summary>Whether node <paramref name="node"/> runs (it is needed and its value is not supplied).</summary>
    public bool Runs(int node) => _runs[node];

    /// <summary>Every value's shape at this input size.</summary>
    public IReadOnlyDictionary<string, TensorShape> Shapes { get; }

    /// <summary>
    /// The shared buffer node <paramref name="node"/> writes (an index into <see cref="BufferSizes"/>),
    /// <see cref="OwnTensor"/> or <see cref="Absent"/>.
    /// </summary>
    public int Slot(int node) => _slots[node];

    /// <summary>Bytes of each shared buffer, in the order they are first used.</summary>
    public IReadOnlyList<ulong> BufferSizes => _bufferSizes;

    /// <summary>
    /// Bytes of each scratch buffer the layers that run as several passes share (<see cref="Layers.GpuLayer.BindPasses"/>):
    /// the largest any of them needs at each position; empty when none does.
    /// </summary>
    public IReadOnlyList<ulong> ScratchSizes { get; }

    /// <summary>
    /// Bytes a binding of the plan allocates: the shared buffers, the scratch buffers, the input tensor, the output
    /// and the supplied and kept values.
    /// </summary>
    public ulong Bytes { get; }

    /// <summary>Bytes of the largest value or scratch buffer, which has to fit one storage-buffer binding.</summary>
    public ulong LargestTensorBytes { get; private set; }
}
