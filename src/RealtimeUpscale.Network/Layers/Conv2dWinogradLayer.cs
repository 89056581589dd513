using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Layers;

/// <summary>
/// Runs a 3x3 <see cref="Conv2dSpec"/> (stride 1, no dilation, no groups) through shaders/conv2d_winograd.comp,
/// Winograd's F(2x2, 3x3): 16 multiply-adds per 2x2 output tile, input and output channel, where the direct
/// convolution takes 36. The weights are transformed once here, U = G g G^T, in float64.
/// </summary>
public sealed class Conv2dWinogradLayer : GpuLayer
{
    /// <summary>Input channels from which the transforms pay for themselves.</summary>
    internal const int MinInputChannels = 8;

    private readonly Conv2dSpec _conv;
    private readonly GpuBuffer _params;
    private readonly int _block;
    private readonly int _stride;
    private readonly int _maxTiles;
    private readonly Conv2dWinogradKernel.Constants _constants;
    private readonly ComputePipeline _pipeline;

    internal Conv2dWinogradLayer(GpuContext context, Conv2dSpec conv, string name, KernelTuning tuning) : base(context, conv, name, tuning)
    {
        if (!Applies(conv))
        {
            throw new ArgumentException($"Layer '{name}': Winograd F(2x2, 3x3) needs a 3x3 convolution with stride 1, no dilation and no groups.");
        }
        _conv = conv;
        bool cpu = tuning.CpuStyle;
        (_block, _stride) = ChannelBlocking(conv.OutChannels, 1, cpu ? CpuMaxBlock : GpuMaxBlock);
        var act = conv.Activation;
        var values = TransformWeights(conv, _stride)
            .Concat(PadTo(conv.Bias, _stride))
            .Concat(act.Slopes is null ? Array.Empty<float>() : PadTo(act.Slopes, _stride)).ToArray();
        _params = UploadParameterBlock(values, out bool uniform);
        // 16 accumulators per tile and channel: up to 256 on CPU devices (as conv2d's pixels), 64 on GPUs.
        _maxTiles = Math.Max(1, (cpu ? 256 : 64) / (16 * _block));
        try
        {
            _constants = new Conv2dWinogradKernel.Constants
            {
                Padding = conv.ReplicateBorder > 0 ? PadCode.BoundedReplicate : Codes.Of(conv.PaddingMode),
                Border = conv.ReplicateBorder, ChannelBlock = _block,
                Activation = Codes.Of(act), ActivationA = act.A, ActivationB = act.B,
                ParamsInUniform = uniform, TilesPerInvocation = _maxTiles, Texels = false,
            };
            _pipeline = Conv2dWinogradKernel.Descriptor.Pipeline(context, _constants, Precision);
        }
        catch
        {
            _params.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Output channels per invocation on CPU devices, at most. On lavapipe (3x3, 32 -> 32, 480x270) 2 channels of
    /// 8 tiles ran in 136 ms, 1 of 16 in 142, 4 of 4 in 163, 8 of 2 in 268, all slower than the direct
    /// convolution's 60 to 65 ms: there the gathers and the transforms' additions, not the multiply-adds, set the
    /// time, which is why <see cref="KernelTuning.ForDevice"/> leaves Winograd off on CPU devices.
    /// </summary>
    internal const int CpuMaxBlock = 2;

    /// <summary>Output channels per invocation on GPUs, at most.</summary>
    internal const int GpuMaxBlock = 4;

    /// <summary>Whether the shape is one this kernel runs: 3x3, stride 1, dilation 1, one group.</summary>
    public static bool Applies(Conv2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return conv.KernelH == 3 && conv.KernelW == 3 && conv.StrideY == 1 && conv.StrideX == 1 &&
               conv.DilationY == 1 && conv.DilationX == 1 && conv.Groups == 1;
    }

    /// <summary>Whether the layer runs <paramref name="conv"/> and should: a shape it runs with enough input channels.</summary>
    internal static bool Suits(Conv2dSpec conv) => Applies(conv) && conv.InChannels >= MinInputChannels;

    /// <summary>
    /// The transformed weights U = G g G^T of every (output, input) channel pair, [stride][inC][16] (element
    /// 4 * row + column), in float64 before the one rounding to float32; output channels past the layer's are zero.
    /// G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
    /// </summary>
    internal static float[] TransformWeights(Conv2dSpec conv, int stride)
    {
        double[,] g = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        int inC = conv.InChannels;
        var u = new float[stride * inC * 16];
        var gg = new double[4, 3];
        for (int oc = 0; oc < conv.OutChannels; oc++)
        {
            for (int ic = 0; ic < inC; ic++)
            {
                int w = (oc * inC + ic) * 9;
                for (int i = 0; i < 4; i++)
                {
                    for (int k = 0; k < 3; k++)
                    {
                        gg[i, k] = g[i, 0] * conv.Weights[w + k] + g[i, 1] * conv.Weights[w + 3 + k] + g[i, 2] * conv.Weights[w + 6 + k];
                    }
                }
                int o = (oc * inC + ic) * 16;
                for (int i = 0; i < 4; i++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        u[o + i * 4 + j] = (float)(gg[i, 0] * g[j, 0] + gg[i, 1] * g[j, 1] + gg[i, 2] * g[j, 2]);
                    }
                }
            }
        }
        return u;
    }

    /// <inheritdoc />
    protected override ComputeDispatch CreateDispatch(IReadOnlyList<GpuTensor> inputs, GpuTensor output)
    {
        var input = inputs[0].Shape;
        var o = output.Shape;
        var push = new Conv2dWinogradKernel.Push
        {
            InC = input.Channels, InH = input.Height, InW = input.Width, OutC = o.Channels, OutH = o.Height, OutW = o.Width,
            PadTop = _conv.Padding.Top, PadLeft = _conv.Padding.Left, OcStride = _stride,
        };
        bool texels = ReadsTexels(inputs[0].Buffer, input.ElementCount);
        int tilesWide = (o.Width + 1) / 2;
        // As conv2d's pixels: CPU devices fit the tiles per invocation to the width (a tile is two pixels).
        int tiles = Tuning.CpuStyle ? Math.Max(1, Conv2dLayer.PixelsForWidth(_maxTiles, tilesWide)) : _maxTiles;
        var pipeline = _pipeline;
        if (texels || tiles != _maxTiles)
        {
            pipeline = Conv2dWinogradKernel.Descriptor.Pipeline(Context, _constants with { TilesPerInvocation = tiles, Texels = texels }, Precision);
        }
        return NewDispatch(pipeline, d => ConvolutionBindings(d, inputs[0], output, _params, texels, push)
            .Cover((tilesWide + tiles - 1) / tiles, (o.Height + 1) / 2, _stride / _block, Conv2dWinogradKernel.Descriptor.Workgroup));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => _params.Dispose();
}
