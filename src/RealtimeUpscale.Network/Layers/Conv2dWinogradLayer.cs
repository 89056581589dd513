using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// Runs a 3x3 <see cref="Conv2dSpec"/> (stride 1, no dilation, no groups) by Winograd's F(4x4, 3x3) in three passes
/// over scratch buffers, as ncnn's Vulkan backend does: the input transform (shaders/winograd_input.comp), the 36
/// matrix products over the input channels (winograd_product.comp) and the output transform with bias and activation
/// (winograd_output.comp). 36 multiply-adds per 4x4 output tile, input and output channel, where the direct
/// convolution takes 144. The weights are transformed once here, U = G g G^T, in float64. The tiles run in bands of
/// tile rows whose transformed values fit <see cref="BandBytes"/> (one row at least), so the scratch stays small at any
/// image size.
/// The transformed values are float32 whatever the tensors' precision.
/// </summary>
public sealed class Conv2dWinogradLayer : GpuLayer
{
    /// <summary>
    /// Input channels from which the transforms pay for themselves (the products are a matrix product over the input
    /// channels; the transforms cost the same per channel whatever the count). On lavapipe, waifu2x upconv_7 at
    /// 480x270: its 16 -> 32 layer took 35.0 ms against 31.6 direct, its 32 -> 64 layer 80.2 against 122.5.
    /// </summary>
    internal const int MinInputChannels = 32;

    /// <summary>
    /// Bytes of each scratch buffer a band's transformed input or products may take, unless one tile row alone takes
    /// more (a band holds one row at least).
    /// </summary>
    internal const ulong BandBytes = 32UL << 20;

    /// <summary>
    /// Quads of tiles per invocation of the products on CPU devices: 16 tiles of 8 channels. On lavapipe upconv_7's
    /// 128 -> 256 products at 480x270 took 835, 661, 608, 625 and 637 ms with 2, 3, 4, 5 and 6 quads.
    /// </summary>
    internal const int CpuQuads = 4;

    private readonly Conv2dSpec _conv;
    private readonly GpuBuffer _weights;
    private readonly GpuBuffer _bias;
    private readonly ulong _bandBytes;
    private readonly int _cPad;
    private readonly int _ocStride;
    private readonly bool _subgroupWeights;

    internal Conv2dWinogradLayer(GpuContext context, Conv2dSpec conv, string name, KernelTuning tuning, ulong bandBytes = BandBytes)
        : base(context, conv, name, tuning)
    {
        if (!Applies(conv))
        {
            throw new ArgumentException($"Layer '{name}': Winograd F(4x4, 3x3) needs a 3x3 convolution with stride 1, no dilation and no groups.");
        }
        _conv = conv;
        _bandBytes = bandBytes;
        _cPad = RoundUp(conv.InChannels, 4);
        _ocStride = RoundUp(conv.OutChannels, WinogradProductKernel.ChannelBlock);
        var traits = context.Traits;
        _subgroupWeights = tuning.CpuStyle && traits.SubgroupBroadcast &&
                           traits.SubgroupSize == WinogradProductKernel.Descriptor.Workgroup.X;
        var u = TransformWeights(conv, _ocStride, _cPad);
        var act = conv.Activation;
        var bias = (conv.Bias ?? new float[conv.OutChannels])
            .Concat(act.Slopes ?? Array.Empty<float>()).ToArray();
        _weights = new GpuBuffer(context, (ulong)u.Length * sizeof(float));
        try
        {
            _weights.Write<float>(u);
            _bias = new GpuBuffer(context, (ulong)bias.Length * sizeof(float));
            _bias.Write<float>(bias);
        }
        catch
        {
            _weights.Dispose();
            _bias?.Dispose();
            throw;
        }
    }

    /// <summary>Whether the shape is one this kernel runs: 3x3, stride 1, dilation 1, one group.</summary>
    public static bool Applies(Conv2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return conv.KernelH == 3 && conv.KernelW == 3 && conv.StrideY == 1 && conv.StrideX == 1 &&
               conv.DilationY == 1 && conv.DilationX == 1 && conv.Groups == 1;
    }

    /// <summary>
    /// Whether <see cref="GpuLayer.Create"/> runs <paramref name="conv"/> by this layer under <paramref name="tuning"/>:
    /// Winograd is on, and the shape is one it runs with enough input channels.
    /// </summary>
    internal static bool Suits(Conv2dSpec conv, KernelTuning tuning) =>
        tuning.Winograd && Applies(conv) && conv.InChannels >= MinInputChannels;

    /// <summary>The tile grid of an output and its bands: 4x4 tiles, in quads of four along a row, rows per band.</summary>
    internal static (int TilesY, int Quads, int Rows) Bands(Conv2dSpec conv, TensorShape output, ulong bandBytes = BandBytes)
    {
        int tilesY = (output.Height + 3) / 4;
        int quads = ((output.Width + 3) / 4 + 3) / 4;
        ulong perRow = 36UL * (ulong)Math.Max(RoundUp(conv.InChannels, 4), conv.OutChannels) * (ulong)quads * 16;
        int most = (int)Math.Clamp(bandBytes / perRow, 1, (ulong)Math.Max(tilesY, 1));
        int bands = (tilesY + most - 1) / most;
        return (tilesY, quads, (tilesY + bands - 1) / bands);
    }

    /// <summary>
    /// Bytes of the two scratch buffers: a band's transformed input (36 x input channels rounded up to 4) and its
    /// products (36 x output channels), float32 vec4s of four tiles.
    /// </summary>
    internal static IReadOnlyList<ulong> ScratchSizes(Conv2dSpec conv, TensorShape input, TensorShape output, ulong bandBytes = BandBytes)
    {
        var (_, quads, rows) = Bands(conv, output, bandBytes);
        ulong plane = (ulong)rows * (ulong)quads * 16;
        return new[] { 36UL * (ulong)RoundUp(conv.InChannels, 4) * plane, 36UL * (ulong)conv.OutChannels * plane };
    }

    /// <summary>
    /// The transformed weights U = G g G^T of every (output, input) channel pair, [36][ocStride][cPad] (element
    /// 6 * row + column), in float64 before the one rounding to float32; padded channels are zero.
    /// G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1].
    /// </summary>
    internal static float[] TransformWeights(Conv2dSpec conv, int ocStride, int cPad)
    {
        double[,] g =
        {
            { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
            { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
        };
        int inC = conv.InChannels;
        var u = new float[36 * ocStride * cPad];
        var gg = new double[6, 3];
        for (int oc = 0; oc < conv.OutChannels; oc++)
        {
            for (int ic = 0; ic < inC; ic++)
            {
                int w = (oc * inC + ic) * 9;
                for (int i = 0; i < 6; i++)
                {
                    for (int k = 0; k < 3; k++)
                    {
                        gg[i, k] = g[i, 0] * conv.Weights[w + k] + g[i, 1] * conv.Weights[w + 3 + k] + g[i, 2] * conv.Weights[w + 6 + k];
                    }
                }
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 6; j++)
                    {
                        u[((i * 6 + j) * ocStride + oc) * cPad + ic] = (float)(gg[i, 0] * g[j, 0] + gg[i, 1] * g[j, 1] + gg[i, 2] * g[j, 2]);
                    }
                }
            }
        }
        return u;
    }

    /// <inheritdoc />
    public override IReadOnlyList<ulong> ScratchSizes(IReadOnlyList<TensorShape> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ScratchSizes(_conv, inputs[0], _conv.OutputShape(inputs), _bandBytes);
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output) =>
        throw new InvalidOperationException($"Layer '{Name}' runs as several passes: bind it with BindPasses.");

    /// <inheritdoc />
    protected override IReadOnlyList<ComputeDispatch> CreatePasses(IReadOnlyList<GpuTensor> inputs, GpuTensor output, IReadOnlyList<GpuBuffer> scratch)
    {
        var input = inputs[0];
        var i = input.Shape;
        var o = output.Shape;
        var (tilesY, quads, rows) = Bands(_conv, o, _bandBytes);
        GpuBuffer v = scratch[0], m = scratch[1];
        bool cpu = Tuning.CpuStyle;
        bool inputTexels = ReadsTexels(input.Buffer, i.ElementCount);
        long largest = 36L * Math.Max(_cPad, _ocStride) * rows * quads;
        bool texels = cpu && ComputeDispatch.CanViewAsVectorTexels(Context, Math.Max(largest, (long)(_weights.Size / 16))) &&
                      new[] { v, m, _weights }.All(b => b.Usage.HasFlag(Silk.NET.Vulkan.BufferUsageFlags.UniformTexelBufferBit));
        var act = _conv.Activation;
        var inputPipeline = WinogradInputKernel.Descriptor.Pipeline(Context, new WinogradInputKernel.Constants
        {
            Padding = _conv.ReplicateBorder > 0 ? PadCode.BoundedReplicate : Codes.Of(_conv.PaddingMode),
            Border = _conv.ReplicateBorder, Texels = inputTexels,
        }, Precision);
        int px4 = cpu ? CpuQuads : 1;
        var productPipeline = WinogradProductKernel.Descriptor.Pipeline(Context, new WinogradProductKernel.Constants
        {
            QuadsPerInvocation = px4, Texels = texels, SubgroupWeights = _subgroupWeights,
        });
        var outputPipeline = WinogradOutputKernel.Descriptor.Pipeline(Context, new WinogradOutputKernel.Constants
        {
            Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B, Texels = texels,
        }, Precision);

        var passes = new List<ComputeDispatch>();
        try
        {
            for (int row0 = 0; row0 < tilesY; row0 += rows)
            {
                int bandRows = Math.Min(rows, tilesY - row0);
                int plane = bandRows * quads;
                long vVectors = 36L * _cPad * plane, mVectors = 36L * o.Channels * plane;
                passes.Add(NewDispatch(inputPipeline, d => InputTexels(d, 2, input, inputTexels)
                    .Buffer(0, input.Buffer, write: false)
                    .Buffer(1, v, write: true)
                    .Push(new WinogradInputKernel.Push
                    {
                        InC = i.Channels, InH = i.Height, InW = i.Width, PadTop = _conv.Padding.Top, PadLeft = _conv.Padding.Left,
                        TileRow0 = row0, Rows = bandRows, Quads = quads, CPad = _cPad, Plane = plane,
                    })
                    .Cover(quads, bandRows, _cPad, WinogradInputKernel.Descriptor.Workgroup)));
                passes.Add(NewDispatch(productPipeline, d => (texels
                        ? d.VectorTexelBuffer(3, v, vVectors).VectorTexelBuffer(4, _weights, (long)(_weights.Size / 16))
                        : d.UnusedTexelBuffer(3).UnusedTexelBuffer(4))
                    .Buffer(0, v, write: false)
                    .Buffer(1, m, write: true)
                    .Buffer(2, _weights, write: false)
                    .Push(new WinogradProductKernel.Push { CPad = _cPad, OutC = o.Channels, OcStride = _ocStride, Plane = plane })
                    .Cover((plane + px4 - 1) / px4, _ocStride / WinogradProductKernel.ChannelBlock, 36, WinogradProductKernel.Descriptor.Workgroup)));
                passes.Add(NewDispatch(outputPipeline, d => (texels ? d.VectorTexelBuffer(3, m, mVectors) : d.UnusedTexelBuffer(3))
                    .Buffer(0, m, write: false)
                    .Buffer(1, output.Buffer, write: true)
                    .Buffer(2, _bias, write: false)
                    .Push(new WinogradOutputKernel.Push
                    {
                        OutC = o.Channels, OutH = o.Height, OutW = o.Width, TileRow0 = row0, Rows = bandRows, Quads = quads, Plane = plane,
                    })
                    .Cover(quads, bandRows, o.Channels, WinogradOutputKernel.Descriptor.Workgroup)));
            }
        }
        catch
        {
            passes.ForEach(p => p.Dispose());
            throw;
        }
        return passes;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        _weights.Dispose();
        _bias.Dispose();
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
