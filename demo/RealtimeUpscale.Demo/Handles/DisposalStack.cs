namespace RealtimeUpscale.Demo;

/// <summary>
/// What a session owns, in creation order; disposed in reverse creation order, so everything goes before what it
/// was made from (a frame's fence before the device, the device before the instance). Disposal goes on past a
/// failing item and rethrows the first failure at the end.
/// </summary>
internal sealed class DisposalStack : IDisposable
{
    private readonly Stack<IDisposable> _items = new();

    /// <summary>Takes ownership of <paramref name="item"/> and returns it.</summary>
    public T Push<T>(T item) where T : IDisposable
    {
        _items.Push(item);
        return item;
    }

    public void Dispose()
    {
        Exception? first = null;
        while (_items.TryPop(out var item))
        {
            try
            {
                item.Dispose();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null)
        {
            throw first;
        }
    }
}

/// <summary>
/// A slot for an object the session replaces while it runs (the screen image after a resize, the view after a
/// key press): it owns the current object, disposes it when it is replaced, and the last one on dispose. Pushed
/// onto a <see cref="DisposalStack"/> when the session starts, so the slot keeps its place in the teardown order.
/// </summary>
internal sealed class Replaceable<T> : IDisposable where T : class, IDisposable
{
    /// <summary>The current object, or null.</summary>
    public T? Current { get; private set; }

    /// <summary>Disposes the current object and holds <paramref name="next"/> (null leaves the slot empty).</summary>
    public T? Replace(T? next)
    {
        var old = Current;
        Current = null;
        old?.Dispose();
        Current = next;
        return next;
    }

    public void Dispose() => Replace(null);
}
