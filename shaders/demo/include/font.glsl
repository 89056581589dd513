// The demo's 5x7 bitmap font (demo/RealtimeUpscale.Demo/BitmapFont.cs). Needs a buffer
// `glyphs` declared by the including shader: glyph g is words 2g (rows 0-3) and 2g + 1 (rows 4-6), one
// byte per row, bit c = column c from the left.

const int GLYPH_W = 5;
const int GLYPH_H = 7;

bool glyphInk(uint glyph, int col, int row)
{
    if (col < 0 || col >= GLYPH_W || row < 0 || row >= GLYPH_H || glyph >= 64u) {
        return false;
    }
    uint word = glyphs[glyph * 2u + uint(row >> 2)];
    return ((word >> uint((row & 3) * 8 + col)) & 1u) != 0u;
}
