using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>
/// A <see cref="ModelDefinition"/> on the GPU: one <see cref="GpuLayer"/> per node of an optimised graph
/// (<see cref="ModelDefinition.Load"/> or <see cref="Passes.GraphOptimizer.Optimize"/>), its weights uploaded and
/// its pipeline built once. <see cref="Bind"/> prepares it for one input size. Owns its layers; dispose it
/// after every <see cref="NetworkBinding"/> made from it.
/// </summary>
public sealed class Network : IDisposable
{
    private readonly GpuContext _context;
    private readonly List<GpuLayer> _layers = new();

    /// <summary>Creates the layers; a layer the device cannot build fails with its name.</summary>
    public Network(GpuContext context, ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(definition);
        _context = context;
        Definition = definition;
        try
        {
            foreach (var node in definition.Nodes)
            {
                _layers.Add(GpuLayer.Create(context, node.Spec, node.Name));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model.</summary>
    public ModelDefinition Definition { get; }

    /// <summary>
    /// Allocates the tensors for an input of <paramref name="inputShape"/> and binds every layer to them.
    /// Intermediate tensors share buffers once their last reader has run (the recorder's barriers order the
    /// reuse). The input tensor, when given, is borrowed; otherwise the binding allocates one.
    /// </summary>
    public NetworkBinding Bind(TensorShape inputShape, GpuTensor? input = null) =>
        new(_context, this, _layers, inputShape, input);

    /// <summary>Disposes the layers.</summary>
    public void Dispose()
    {
        foreach (var layer in _layers)
        {
            layer.Dispose();
        }
        _layers.Clear();
    }
}

/// <summary>
/// A network bound to one input size: its tensors and one dispatch per layer. Record it every frame with
/// <see cref="Record"/>; write <see cref="Input"/> before and read <see cref="Output"/> after the work runs.
/// Owns its tensors (except a borrowed input) and dispatches.
/// </summary>
public sealed class NetworkBinding : IDisposable
{
    private readonly List<ComputeDispatch> _dispatches = new();
    private readonly List<GpuBuffer> _buffers = new();
    private readonly List<GpuTensor> _tensors = new();

    internal NetworkBinding(GpuContext context, Network network, IReadOnlyList<GpuLayer> layers, TensorShape inputShape, GpuTensor? input)
    {
        var definition = network.Definition;
        var shapes = definition.InferShapes(inputShape);
        if (input is not null && input.Shape != inputShape)
        {
            throw new ArgumentException($"The input tensor is {input.Shape}, not {inputShape}.");
        }
        try
        {
            Input = input ?? Track(new GpuTensor(context, inputShape));
            var values = new Dictionary<string, GpuTensor> { [definition.Input] = Input };
            var lastUse = new Dictionary<string, int>();
            for (int i = 0; i < definition.Nodes.Count; i++)
            {
                foreach (var v in definition.Nodes[i].Inputs)
                {
                    lastUse[v] = i;
                }
            }
            var free = new List<GpuBuffer>();
            ulong limit = context.Properties.Limits.MaxStorageBufferRange;
            for (int i = 0; i < definition.Nodes.Count; i++)
            {
                var node = definition.Nodes[i];
                var shape = shapes[node.Output];
                if (shape.ByteSize > limit)
                {
                    throw new ArgumentOutOfRangeException(nameof(inputShape),
                        $"Layer '{node.Name}' needs a {shape} tensor ({shape.ByteSize >> 20} MiB) at input {inputShape}, more than the device " +
                        $"binds as one buffer (maxStorageBufferRange {limit >> 20} MiB); process the image in smaller tiles.");
                }
                GpuTensor output;
                if (node.Output == definition.Output)
                {
                    output = Track(new GpuTensor(context, shape));
                }
                else
                {
                    int at = free.FindIndex(b => b.Size >= shape.ByteSize);
                    GpuBuffer buffer;
                    if (at >= 0)
                    {
                        buffer = free[at];
                        free.RemoveAt(at);
                    }
                    else
                    {
                        buffer = new GpuBuffer(context, shape.ByteSize);
                        _buffers.Add(buffer);
                    }
                    output = Track(new GpuTensor(buffer, shape));
                }
                values[node.Output] = output;
                _dispatches.Add(layers[i].Bind(node.Inputs.Select(v => values[v]).ToArray(), output));
                foreach (var v in node.Inputs.Distinct())
                {
                    if (lastUse[v] == i && v != definition.Input && v != definition.Output)
                    {
                        free.Add(values[v].Buffer);
                        free.Sort((a, b) => a.Size.CompareTo(b.Size));
                    }
                }
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

    /// <summary>Every value's shape at this input size.</summary>
    public IReadOnlyDictionary<string, TensorShape> Shapes { get; } = new Dictionary<string, TensorShape>();

    /// <summary>Bytes of GPU buffers this binding allocated.</summary>
    public ulong BytesAllocated => (ulong)_buffers.Sum(b => (decimal)b.Size) + (ulong)_tensors.Where(t => !_buffers.Contains(t.Buffer)).Sum(t => (decimal)t.Shape.ByteSize);

    /// <summary>Records every layer in order; the recorder inserts the barriers between them.</summary>
    public void Record(CommandRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        foreach (var d in _dispatches)
        {
            recorder.Dispatch(d);
        }
    }

    /// <summary>Releases dispatches, tensors and buffers.</summary>
    public void Dispose()
    {
        _dispatches.ForEach(d => d.Dispose());
        _dispatches.Clear();
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
