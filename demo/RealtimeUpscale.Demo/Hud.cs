using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Demo;

/// <summary>Text colours of the overlay shader's palette.</summary>
internal enum Ink
{
    White = 0,
    Yellow = 1,
    Green = 2,
    Red = 3,
    Cyan = 4,
    Grey = 5,
}

/// <summary>A box of text on the screen: lines (each with its colour), top-left or top-right anchored.</summary>
internal sealed class TextBox
{
    public TextBox(int x, int y, bool alignRight = false)
    {
        X = x;
        Y = y;
        AlignRight = alignRight;
    }

    public int X { get; }
    public int Y { get; }
    public bool AlignRight { get; }
    public float Shade { get; init; } = 0.65f;
    public List<(string Text, Ink Ink)> Lines { get; } = new();

    public TextBox Add(string text, Ink ink = Ink.White)
    {
        Lines.Add((text, ink));
        return this;
    }

    public TextBox AddAll(TextBox other)
    {
        Lines.AddRange(other.Lines);
        return this;
    }
}

/// <summary>
/// Draws text boxes onto the screen image with overlay.comp, one dispatch per box. Each frame in flight
/// has its own host-visible character buffer, written only after that frame's fence has signalled.
/// </summary>
internal sealed class HudRenderer : IDisposable
{
    private const int MaxChars = 1 << 16;
    private readonly DemoGpu _gpu;
    private readonly GpuBuffer[] _text;
    private readonly List<ComputeDispatch>[] _dispatches;
    private GpuImage? _screen;

    public HudRenderer(DemoGpu gpu, int slots)
    {
        _gpu = gpu;
        _text = new GpuBuffer[slots];
        _dispatches = new List<ComputeDispatch>[slots];
        for (int i = 0; i < slots; i++)
        {
            _text[i] = new GpuBuffer(gpu.Context, MaxChars * 4, MemoryUsage.Upload, BufferUsageFlags.StorageBufferBit);
            _dispatches[i] = new List<ComputeDispatch>();
        }
    }

    /// <summary>Font pixels per glyph pixel for a screen of this height.</summary>
    public static int ScaleFor(int screenHeight) => screenHeight >= 1000 ? 2 : 1;

    /// <summary>Pixel width of a box of <paramref name="columns"/> characters at <paramref name="scale"/>.</summary>
    public static int BoxWidth(int columns, int scale) => (columns * BitmapFont.CellWidth + 8) * scale;

    /// <summary>Drops the dispatches bound to the old screen image (call after the device is idle).</summary>
    public void Rebind(GpuImage screen)
    {
        foreach (var list in _dispatches)
        {
            list.ForEach(d => d.Dispose());
            list.Clear();
        }
        _screen = screen;
    }

    public void Record(CommandRecorder r, int slot, IReadOnlyList<TextBox> boxes)
    {
        var screen = _screen ?? throw new InvalidOperationException("HudRenderer.Rebind was not called.");
        int scale = ScaleFor(screen.Height);
        var chars = new List<uint>();
        var list = _dispatches[slot];
        int n = 0;
        for (int b = 0; b < boxes.Count; b++)
        {
            var box = boxes[b];
            if (box.Lines.Count == 0)
            {
                continue;
            }
            int columns = box.Lines.Max(l => l.Text.Length);
            int rows = box.Lines.Count;
            if (chars.Count + columns * rows > MaxChars)
            {
                break;
            }
            int offset = chars.Count;
            foreach (var (text, ink) in box.Lines)
            {
                for (int c = 0; c < columns; c++)
                {
                    uint glyph = c < text.Length ? BitmapFont.GlyphOf(text[c]) : 0;
                    chars.Add(glyph | (uint)ink << 8);
                }
            }
            int width = BoxWidth(columns, scale), height = (rows * BitmapFont.CellHeight + 6) * scale;
            int x = box.AlignRight ? box.X - width : box.X;
            if (list.Count <= n)
            {
                list.Add(new ComputeDispatch(_gpu.Context, _gpu.Overlay, "hud")
                    .Buffer(0, _gpu.Font, write: false).Buffer(1, _text[slot], write: false).Image(2, screen.Binding));
            }
            list[n].Push(new OverlayPush
            {
                X = x, Y = box.Y, Width = width, Height = height, TextOffset = offset, Columns = columns, Rows = rows,
                Scale = scale, Shade = box.Shade,
            }).Cover(width, height, 1, DemoKernels.Overlay.Workgroup);
            r.Dispatch(list[n]);
            n++;
        }
        _text[slot].Write<uint>(chars.ToArray());
    }

    public void Dispose()
    {
        foreach (var list in _dispatches)
        {
            list.ForEach(d => d.Dispose());
        }
        foreach (var t in _text)
        {
            t.Dispose();
        }
    }
}
