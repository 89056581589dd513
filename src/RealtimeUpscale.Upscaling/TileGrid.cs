namespace RealtimeUpscale.Upscaling;

/// <summary>
/// One tile: its own region [X0, X1) x [Y0, Y1) of the image, and the input it reads, widened by the overlap
/// and starting at (InputX0, InputY0).
/// </summary>
internal readonly record struct Tile(int X0, int X1, int Y0, int Y1, int InputX0, int InputX1, int InputY0, int InputY1)
{
    public int InputWidth => InputX1 - InputX0;

    public int InputHeight => InputY1 - InputY0;
}

/// <summary>
/// The tiles of a <see cref="Width"/> x <see cref="Height"/> image: own regions of <see cref="TileWidth"/> x
/// <see cref="TileHeight"/> input pixels from the top left (the last column and row take what is left), each
/// reading <see cref="Overlap"/> pixels of context on every side that has image there. Input origins are aligned
/// down to (<see cref="AlignX"/>, <see cref="AlignY"/>): on the convolution's workgroup columns and every strided
/// layer's sampling phase, so that each pixel is computed as in an untiled run (see <see cref="TiledUpscaler"/>).
/// The grid is separable: every tile of a column has the column's input columns, every tile of a band the band's
/// input rows.
/// </summary>
internal readonly record struct TileGrid(int Width, int Height, int TileWidth, int TileHeight, int Overlap, int AlignX, int AlignY)
{
    /// <summary>Whether the image is one tile.</summary>
    public bool IsSingle => TileWidth >= Width && TileHeight >= Height;

    /// <summary>The tiles of every band of the image, top to bottom, left to right.</summary>
    public IEnumerable<Tile> All()
    {
        for (int y0 = 0; y0 < Height; y0 += TileHeight)
        {
            foreach (var tile in Band(y0))
            {
                yield return tile;
            }
        }
    }

    /// <summary>The tiles of the band starting at input row <paramref name="y0"/>, left to right.</summary>
    public IEnumerable<Tile> Band(int y0)
    {
        var rows = Span(y0, TileHeight, Height, AlignY);
        for (int x0 = 0; x0 < Width; x0 += TileWidth)
        {
            // Input origins are aligned to the width of the convolution's workgroups. On GPUs a
            // convolution computes a fixed 1, 2 or 4 neighbouring pixels per invocation, so every pixel keeps
            // the slot it has in an untiled run. On CPU devices the count (up to 32) follows the width, so a
            // pixel may sit in another slot; every slot runs the same operations in the same order, and the
            // tests check on lavapipe that tiled and untiled outputs agree to the bit.
            var columns = Span(x0, TileWidth, Width, AlignX);
            yield return new Tile(columns.Start, columns.End, rows.Start, rows.End, columns.InputStart, columns.InputEnd, rows.InputStart, rows.InputEnd);
        }
    }

    /// <summary>The input widths of the columns, left to right.</summary>
    public IEnumerable<int> InputWidths()
    {
        for (int x0 = 0; x0 < Width; x0 += TileWidth)
        {
            var s = Span(x0, TileWidth, Width, AlignX);
            yield return s.InputEnd - s.InputStart;
        }
    }

    /// <summary>The input heights of the bands, top to bottom.</summary>
    public IEnumerable<int> InputHeights()
    {
        for (int y0 = 0; y0 < Height; y0 += TileHeight)
        {
            var s = Span(y0, TileHeight, Height, AlignY);
            yield return s.InputEnd - s.InputStart;
        }
    }

    /// <summary>One column's or band's own span from <paramref name="start"/> and the input span it reads.</summary>
    private (int Start, int End, int InputStart, int InputEnd) Span(int start, int tile, int size, int align)
    {
        int end = Math.Min(size, start + tile);
        return (start, end, Math.Max(0, (start - Overlap) / align * align), Math.Min(size, end + Overlap));
    }
}
