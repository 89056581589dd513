using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>
/// A <see cref="ModelDefinition"/> on the GPU: one <see cref="GpuLayer"/> per node of an optimised graph
/// (<see cref="ModelDefinition.Load(string)"/> or <see cref="Passes.GraphOptimizer.Optimize"/>), its weights uploaded and
/// its pipeline built once. <see cref="Bind(TensorShape, GpuTensor?)"/> prepares it for one input size;
/// <see cref="Bind(ModelDefinition, TensorShape, GpuTensor?, IReadOnlyCollection{string}, IReadOnlyCollection{string})"/> binds a larger graph built around the model
/// (pre- and post-processing), still on the same layers. However many sizes and graphs are bound, the weights
/// are on the GPU once. Owns its layers; dispose it after every <see cref="NetworkBinding"/> made from it.
/// </summary>
public sealed class Network : IDisposable
{
    // Layers by node instance (not by value: two nodes may hold equal specs and must still be two layers).
    private readonly Dictionary<ModelNode, GpuLayer> _layers = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<ModelNode> _shared = new(ReferenceEqualityComparer.Instance);
    private readonly object _lock = new();
    private bool _disposed;

    /// <summary>
    /// Creates the layers of <paramref name="definition"/>; a layer the device cannot build fails with its name.
    /// <paramref name="sharedNodes"/> are nodes of graphs built around the model that carry weights of their
    /// own (a colour matrix, say): each is built the first time a graph that holds it is bound, then kept and
    /// shared by every later binding like the model's layers. Every layer's kernels are tuned by
    /// <paramref name="tuning"/> (null: for the device).
    /// </summary>
    public Network(GpuContext context, ModelDefinition definition, IEnumerable<ModelNode>? sharedNodes = null,
        KernelTuning? tuning = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definition);
        Context = context;
        Tuning = tuning ?? KernelTuning.ForDevice(context.Traits);
        Definition = definition;
        try
        {
            foreach (var node in definition.Nodes)
            {
                _layers.Add(node, GpuLayer.Create(context, node.Spec, node.Name, Tuning));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        foreach (var node in sharedNodes ?? Array.Empty<ModelNode>())
        {
            _shared.Add(node);
        }
    }

    /// <summary>The context the layers live on.</summary>
    public GpuContext Context { get; }

    /// <summary>How the layers' kernels are configured.</summary>
    public KernelTuning Tuning { get; }

    /// <summary>The model.</summary>
    public ModelDefinition Definition { get; }

    /// <summary>
    /// Allocates the tensors for an input of <paramref name="inputShape"/> and binds every layer to them.
    /// Intermediate tensors share buffers once their last reader has run (the recorder's barriers order the
    /// reuse). The input tensor, when given, is borrowed; otherwise the binding allocates one.
    /// </summary>
    public NetworkBinding Bind(TensorShape inputShape, GpuTensor? input = null) => Bind(Definition, inputShape, input);

    /// <summary>
    /// Binds <paramref name="graph"/>, a graph that holds this network's nodes (the same <see cref="ModelNode"/>
    /// instances) among nodes of its own, at an input of <paramref name="inputShape"/>: the network's nodes and
    /// its shared nodes run on the network's layers; every other node gets a layer owned by the binding, so
    /// such nodes should carry no weights. Tensors are planned over the whole graph as in
    /// <see cref="Bind(TensorShape, GpuTensor?)"/>. The values named in <paramref name="supplied"/> are not
    /// computed: their nodes do not run, and the caller writes each one's tensor
    /// (<see cref="NetworkBinding.Supplied"/>) before the work runs (a tiled run gives a squeeze-excitation block
    /// the whole image's means this way, instead of the tile's), and the nodes only they would have read do not run
    /// either. The values named in <paramref name="kept"/> get tensors of their own that the caller reads after the
    /// work ran (<see cref="NetworkBinding.Kept"/>; a tiled run keeps a tile's values between its passes this way).
    /// </summary>
    public NetworkBinding Bind(ModelDefinition graph, TensorShape inputShape, GpuTensor? input = null,
        IReadOnlyCollection<string>? supplied = null, IReadOnlyCollection<string>? kept = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new NetworkBinding(Context, this, graph, inputShape, input, supplied ?? Array.Empty<string>(), kept ?? Array.Empty<string>());
    }

    /// <summary>The layer of a node this network runs (building a shared node's on first use), or null for a node it does not hold.</summary>
    internal GpuLayer? LayerFor(ModelNode node)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_layers.TryGetValue(node, out var layer))
            {
                return layer;
            }
            if (!_shared.Contains(node))
            {
                return null;
            }
            layer = GpuLayer.Create(Context, node.Spec, node.Name, Tuning);
            _layers.Add(node, layer);
            return layer;
        }
    }

    /// <summary>Disposes the layers.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var layer in _layers.Values)
            {
                layer.Dispose();
            }
            _layers.Clear();
        }
    }
}

/// <summary>
/// A network, or a graph built around one, bound to one input size: its tensors and the dispatches of each node
/// (one, or several over shared scratch buffers for a layer that runs in passes).
/// Record it every frame with <see cref="Record"/>; write <see cref="Input"/> before and read
/// <see cref="Output"/> after the work runs. Owns its tensors (except a borrowed input), its dispatches and the
/// layers of the graph's nodes that the network does not hold; the network keeps the others.
/// </summary>
public sealed class NetworkBinding : IDisposable
{
    private readonly List<ComputeDispatch> _dispatches = new();
    private readonly List<GpuBuffer> _buffers = new();
    private readonly List<GpuTensor> _tensors = new();
    private readonly List<GpuLayer> _layers = new();
    private readonly Dictionary<string, GpuTensor> _supplied = new();
    private readonly Dictionary<string, GpuTensor> _kept = new();

    internal NetworkBinding(GpuContext context, Network network, ModelDefinition definition, TensorShape inputShape, GpuTensor? input,
        IReadOnlyCollection<string> supplied, IReadOnlyCollection<string> kept)
    {
        var precision = network.Tuning.Precision;
        var plan = new MemoryPlan(definition, inputShape, supplied, kept, precision, network.Tuning);
        var shapes = plan.Shapes;
        if (input is not null && input.Shape != inputShape)
        {
            throw new ArgumentException($"The input tensor is {input.Shape}, not {inputShape}.");
        }
        if (input is not null && input.Precision != precision)
        {
            throw new ArgumentException($"The input tensor is {input.Precision.ShortName()}, but the network runs on {precision.ShortName()} tensors.");
        }
        try
        {
            Input = input ?? Track(new GpuTensor(context, inputShape, precision));
            var values = new Dictionary<string, GpuTensor> { [definition.Input] = Input };
            var unknown = supplied.Where(v => !definition.Nodes.Any(n => n.Output == v)).ToList();
            if (unknown.Count > 0 || supplied.Contains(definition.Output))
            {
                throw new ArgumentException($"A supplied value must be one a node of the graph computes, not the output: {unknown.Append(definition.Output).First()}.");
            }
            if (kept.FirstOrDefault(v => supplied.Contains(v) || !definition.Nodes.Any(n => n.Output == v)) is { } wrong)
            {
                throw new ArgumentException($"A kept value must be one a node of the graph computes and not a supplied one: {wrong}.");
            }
            // The plan's shared buffers, allocated when first used.
            var buffers = new GpuBuffer?[plan.BufferSizes.Count];
            ulong limit = context.Properties.Limits.MaxStorageBufferRange;
            // The scratch buffers of the layers that run as several passes, shared by all of them.
            var scratch = new List<GpuBuffer>();
            foreach (ulong size in plan.ScratchSizes)
            {
                if (size > limit)
                {
                    throw new ArgumentOutOfRangeException(nameof(inputShape),
                        $"A layer needs {size >> 20} MiB of scratch at input {inputShape}, more than the device binds as one buffer " +
                        $"(maxStorageBufferRange {limit >> 20} MiB); process the image in smaller tiles.");
                }
                var buffer = new GpuBuffer(context, size);
                _buffers.Add(buffer);
                scratch.Add(buffer);
            }
            for (int i = 0; i < definition.Nodes.Count; i++)
            {
                var node = definition.Nodes[i];
                var shape = shapes[node.Output];
                int slot = plan.Slot(i);
                if (slot == MemoryPlan.Absent)
                {
                    continue; // neither computed nor read
                }
                if (shape.BytesAt(precision) > limit)
                {
                    throw new ArgumentOutOfRangeException(nameof(inputShape),
                        $"Layer '{node.Name}' needs a {shape} tensor ({shape.BytesAt(precision) >> 20} MiB) at input {inputShape}, more than the device " +
                        $"binds as one buffer (maxStorageBufferRange {limit >> 20} MiB); process the image in smaller tiles.");
                }
                GpuTensor output;
                if (slot == MemoryPlan.OwnTensor)
                {
                    output = Track(new GpuTensor(context, shape, precision));
                }
                else
                {
                    if (buffers[slot] is not { } buffer)
                    {
                        buffer = new GpuBuffer(context, plan.BufferSizes[slot]);
                        buffers[slot] = buffer;
                        _buffers.Add(buffer);
                    }
                    output = Track(new GpuTensor(buffer, shape, precision));
                }
                values[node.Output] = output;
                if (kept.Contains(node.Output))
                {
                    _kept[node.Output] = output;
                }
                if (!plan.Runs(i))
                {
                    // Written by the caller before the run: its node does not run.
                    _supplied[node.Output] = output;
                    continue;
                }
                var layer = network.LayerFor(node);
                if (layer is null)
                {
                    layer = GpuLayer.Create(context, node.Spec, node.Name, network.Tuning);
                    _layers.Add(layer);
                }
                _dispatches.AddRange(layer.BindPasses(node.Inputs.Select(v => values[v]).ToArray(), output, scratch));
            }
            Output = values[definition.Output];
            Shapes = shapes;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The input tensor.</summary>
    public GpuTensor Input { get; } = null!;

    /// <summary>The output tensor.</summary>
    public GpuTensor Output { get; } = null!;

    /// <summary>The tensor of a value the caller supplies (see <see cref="Network.Bind(ModelDefinition, TensorShape, GpuTensor?, IReadOnlyCollection{string}, IReadOnlyCollection{string})"/>).</summary>
    public GpuTensor Supplied(string value) =>
        _supplied.TryGetValue(value, out var tensor) ? tensor : throw new ArgumentException($"'{value}' is not a supplied value of this binding.");

    /// <summary>Whether the caller writes <paramref name="value"/> (a supplied value that something the binding runs reads).</summary>
    public bool Supplies(string value) => _supplied.ContainsKey(value);

    /// <summary>The tensor of a value the caller reads after the run (see <see cref="Network.Bind(ModelDefinition, TensorShape, GpuTensor?, IReadOnlyCollection{string}, IReadOnlyCollection{string})"/>).</summary>
    public GpuTensor Kept(string value) =>
        _kept.TryGetValue(value, out var tensor) ? tensor : throw new ArgumentException($"'{value}' is not a kept value of this binding.");

    /// <summary>Every value's shape at this input size.</summary>
    public IReadOnlyDictionary<string, TensorShape> Shapes { get; } = new Dictionary<string, TensorShape>();

    /// <summary>Dispatches <see cref="Record"/> records: one per node that runs, more for layers that run in passes.</summary>
    public int PassCount => _dispatches.Count;

    /// <summary>Bytes of GPU buffers this binding allocated.</summary>
    public ulong BytesAllocated => (ulong)_buffers.Sum(b => (decimal)b.Size) + (ulong)_tensors.Where(t => !_buffers.Contains(t.Buffer)).Sum(t => (decimal)t.ByteSize);

    /// <summary>Records every layer in order; the recorder inserts the barriers between them.</summary>
    public void Record(CommandRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        foreach (var d in _dispatches)
        {
            recorder.Dispatch(d);
        }
    }

    /// <summary>Releases dispatches, tensors, buffers and the binding's own layers.</summary>
    public void Dispose()
    {
        _dispatches.ForEach(d => d.Dispose());
        _dispatches.Clear();
        _layers.ForEach(l => l.Dispose());
        _layers.Clear();
        _tensors.ForEach(t => t.Dispose());
        _tensors.Clear();
        _buffers.ForEach(b => b.Dispose());
        _buffers.Clear();
    }

    private GpuTensor Track(GpuTensor t)
    {
        _tensors.Add(t);
        return t;
    }
}
