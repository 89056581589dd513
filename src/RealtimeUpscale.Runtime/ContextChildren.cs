namespace RealtimeUpscale.Runtime;

/// <summary>
/// An object a <see cref="GpuContext"/> made and destroys before its device if the owner has not: buffers,
/// images, dispatches, timers.
/// </summary>
internal interface IContextChild
{
    /// <summary>Whether the object is destroyed (by its owner or by the context).</summary>
    bool IsDisposed { get; }

    /// <summary>Destroys the Vulkan objects and marks the object disposed. Called once, under the registry lock.</summary>
    void Destroy();
}

/// <summary>
/// The context's registry of live children, objects waiting for a frame to complete before they are
/// destroyed, and uploads and transitions waiting to be recorded into the host's next command buffer.
/// Thread-safe: one lock orders registration, destruction and the context's teardown.
/// </summary>
internal sealed class ContextChildren
{
    private readonly object _lock = new();
    private readonly Dictionary<IContextChild, long> _live = new();
    private readonly List<(ulong Frame, IDisposable Item)> _retired = new();
    private readonly List<(IContextChild Target, GpuBuffer? Staging, Action<CommandRecorder> Record)> _pending = new();
    private long _order;
    private long _completed = -1;
    private bool _closed;

    public ulong NewestFrame { get; private set; }

    public int LiveCount
    {
        get
        {
            lock (_lock)
            {
                return _live.Count;
            }
        }
    }

    public int RetiredCount
    {
        get
        {
            lock (_lock)
            {
                return _retired.Count;
            }
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Adds a child; throws <see cref="ObjectDisposedException"/> once the context is gone.</summary>
    public void Add(IContextChild child, GpuContext context)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, context);
            _live.Add(child, _order++);
        }
    }

    /// <summary>Destroys <paramref name="child"/> unless the context already has (then nothing happens).</summary>
    public void Remove(IContextChild child)
    {
        lock (_lock)
        {
            if (_live.Remove(child))
            {
                child.Destroy();
            }
        }
    }

    public void NoteFrame(ulong frame)
    {
        lock (_lock)
        {
            NewestFrame = Math.Max(NewestFrame, frame);
        }
    }

    public void Retire(IDisposable item, ulong frame)
    {
        lock (_lock)
        {
            if (!_closed && (long)frame > _completed)
            {
                _retired.Add((frame, item));
                return;
            }
        }
        item.Dispose();
    }

    public void Complete(ulong frame)
    {
        var due = new List<IDisposable>();
        lock (_lock)
        {
            _completed = Math.Max(_completed, (long)Math.Min(frame, long.MaxValue));
            _retired.RemoveAll(r =>
            {
                if ((long)r.Frame > _completed)
                {
                    return false;
                }
                due.Add(r.Item);
                return true;
            });
        }
        due.ForEach(d => d.Dispose());
    }

    public void Enqueue(IContextChild target, GpuBuffer? staging, Action<CommandRecorder> record)
    {
        lock (_lock)
        {
            _pending.Add((target, staging, record));
        }
    }

    /// <summary>
    /// Records every pending transfer whose target still exists, in the order they were asked for, and
    /// retires their staging buffers at the recorder's frame.
    /// </summary>
    public int RecordPending(CommandRecorder recorder)
    {
        List<(IContextChild Target, GpuBuffer? Staging, Action<CommandRecorder> Record)> pending;
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                return 0;
            }
            pending = new(_pending);
            _pending.Clear();
        }
        int recorded = 0;
        foreach (var (target, staging, record) in pending)
        {
            if (!target.IsDisposed)
            {
                record(recorder);
                recorded++;
            }
            if (staging is not null)
            {
                Retire(staging, recorder.Frame);
            }
        }
        return recorded;
    }

    /// <summary>
    /// Closes the registry: retired objects are disposed, then every live child is destroyed newest first
    /// (dispatches before the buffers they view). Later registrations throw.
    /// </summary>
    public void Close()
    {
        List<IDisposable> retired;
        lock (_lock)
        {
            retired = _retired.Select(r => r.Item).ToList();
            _retired.Clear();
            _pending.Clear();
        }
        retired.ForEach(r => r.Dispose());
        lock (_lock)
        {
            _closed = true;
            foreach (var child in _live.OrderByDescending(c => c.Value).Select(c => c.Key).ToList())
            {
                child.Destroy();
            }
            _live.Clear();
        }
    }
}
