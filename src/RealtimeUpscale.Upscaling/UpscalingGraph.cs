using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// One way to run a model on an image: a graph around the model's graph, and the layouts the image is
/// converted from (into the graph's input) and to (from the graph's output).
/// </summary>
/// <param name="Graph">The model's nodes with the colour, chroma and alpha nodes around them.</param>
/// <param name="Input">What the image -> tensor step writes into <see cref="ModelDefinition.Input"/> of the graph.</param>
/// <param name="Output">What the tensor -> image step reads from <see cref="ModelDefinition.Output"/> of the graph.</param>
public sealed record UpscalingPlan(ModelDefinition Graph, ChannelLayout Input, ChannelLayout Output);

/// <summary>
/// Builds the graphs that upscale images with one model, as <see cref="ModelNode"/>s around the model's own:
/// for a luma (<see cref="ColorSpace.Y"/>) model, 1x1 convolutions from RGB to BT.601 studio-range Y and CbCr
/// (MATLAB's rgb2ycbcr, as ../shared/EVAL.md states it), bicubic upsampling of CbCr, the network on
/// Y, a channel concatenation and the inverse matrix back to RGB; a grey image goes through the network
/// directly; an RGB model sees R, G, B. Alpha is upscaled bicubically beside the colour and kept. An exact
/// output size adds the final resample (<see cref="Resampler.Blur"/> when shrinking, then
/// <see cref="Resampler.Resample"/>) on every channel. Only the image -> tensor step before a graph and the
/// tensor -> image step after it are not nodes.
/// </summary>
/// <remarks>
/// The colour matrices and the resample's blurs are the only nodes here that carry weights; they do not depend
/// on the image size, so they are made once per model (<see cref="SharedNodes"/>) and every graph of every
/// size holds the same instances: a <see cref="Network.Network"/> given them shares their layers as it shares
/// the model's (building each on first use). The other nodes (crops, the bicubic upsample to the model's
/// output size, the concatenation, the bilinear resample) have no weights and are made per graph.
/// </remarks>
public sealed class UpscalingGraph
{
    // Value names of the nodes around the model; the model's own names are checked not to collide.
    private const string Image = "upscale/image";
    private const string Chroma = "upscale/chroma";
    private const string Alpha = "upscale/alpha";
    private const string ExtrasUp = "upscale/upsampled";
    private const string Joined = "upscale/joined";
    private const string Result = "upscale/result";
    private const string Blurred = "upscale/blurred";
    private const string Resized = "upscale/resized";
    private const string FrameIn = "upscale/unframed";
    private const string FrameOut = "upscale/framed";
    private const string FrameNet = "upscale/framed-network";
    private const string FrameResidual = "upscale/framed-image";

    // BT.601 studio range on [0, 1] values (8-bit value / 255), as MATLAB's rgb2ycbcr:
    // Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255, Cb = (128 - 37.797 R - 74.203 G + 112 B) / 255,
    // Cr = (128 + 112 R - 93.786 G - 18.214 B) / 255.
    private static readonly double[,] ToYcc =
    {
        { 65.481, 128.553, 24.966 },
        { -37.797, -74.203, 112.0 },
        { 112.0, -93.786, -18.214 },
    };

    private static readonly double[] YccOffset = { 16.0, 128.0, 128.0 };

    // Its inverse (MATLAB's ycbcr2rgb), applied to YCbCr minus the offsets above, / 255.
    private static readonly double[,] ToRgb =
    {
        { 1.164383561643836, 3.011243973926068e-07, 1.596026887335704 },
        { 1.164383561643836, -0.3917625399414500, -0.8129682921622053 },
        { 1.164383561643836, 2.017232639556459, 3.054261745313087e-06 },
    };

    private readonly ModelNode? _toY3, _toY4, _toChroma3, _toChroma4, _toRgb3, _toRgb4;
    // The blur before a shrink to an exact size, per (value blurred, its channels, filter size).
    private readonly Dictionary<(string Value, int Channels, int Filter), ModelNode> _blurs = new();

    /// <summary>Prepares the graphs of <paramref name="model"/>; throws when its value names collide with the graph's own.</summary>
    public UpscalingGraph(ModelDefinition model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Info.ColorSpace == ColorSpace.Rgb && model.Info.InputChannels != 3)
        {
            throw new ArgumentException($"{model.Info.Source}: an RGB upscaler needs a model with 3 input channels, not {model.Info.InputChannels}.");
        }
        var names = model.Nodes.Select(n => n.Output).Append(model.Input).ToHashSet();
        var taken = new[] { Image, Chroma, Alpha, ExtrasUp, Joined, Result, Blurred, Resized, FrameIn, FrameOut, FrameNet, FrameResidual }.Where(names.Contains).ToList();
        if (taken.Count > 0)
        {
            throw new ArgumentException($"{model.Info.Source}: the model names a value {taken[0]}, which the upscaling graph uses.");
        }
        Model = model;
        // With a framing, the graph's nodes read and write the framed model's ends (see Framed).
        string modelIn = model.Info.Framing is null ? model.Input : FrameIn;
        string modelOut = model.Info.Framing is null ? model.Output : FrameOut;
        if (model.Info.ColorSpace == ColorSpace.Y)
        {
            _toY3 = new ModelNode("to Y", Matrix(ToYcc, YccOffset, rows: 0..1, inputs: 3, passAlpha: false), new[] { Image }, modelIn);
            _toY4 = new ModelNode("to Y", Matrix(ToYcc, YccOffset, rows: 0..1, inputs: 4, passAlpha: false), new[] { Image }, modelIn);
            _toChroma3 = new ModelNode("to CbCr", Matrix(ToYcc, YccOffset, rows: 1..3, inputs: 3, passAlpha: false), new[] { Image }, Chroma);
            _toChroma4 = new ModelNode("to CbCr", Matrix(ToYcc, YccOffset, rows: 1..3, inputs: 4, passAlpha: true), new[] { Image }, Chroma);
            _toRgb3 = new ModelNode("to RGB", Inverse(inputs: 3), new[] { Joined }, Result);
            _toRgb4 = new ModelNode("to RGB", Inverse(inputs: 4), new[] { Joined }, Result);
        }
        // What a graph's last value can be: the joined result of 2 to 4 channels, or the model's own output.
        var finals = new[] { (Result, 2), (Result, 3), (Result, 4), (modelOut, model.Info.InputChannels) };
        foreach (var (value, channels) in finals)
        {
            for (int filter = 2; filter <= 7; filter++)
            {
                _blurs[(value, channels, filter)] = new ModelNode("blur", Resampler.Blur(channels, filter), new[] { value }, Blurred);
            }
        }
        SharedNodes = new[] { _toY3, _toY4, _toChroma3, _toChroma4, _toRgb3, _toRgb4 }.OfType<ModelNode>().Concat(_blurs.Values).ToArray();
    }

    /// <summary>The model.</summary>
    public ModelDefinition Model { get; }

    /// <summary>
    /// The nodes with weights that graphs of this model hold whatever their size: the colour matrices and the
    /// resample's blurs. Give them to the <see cref="Network.Network"/> the graphs are bound on.
    /// </summary>
    public IReadOnlyList<ModelNode> SharedNodes { get; }

    /// <summary>
    /// The graph for inputs of <paramref name="inputWidth"/> x <paramref name="inputHeight"/>.
    /// <paramref name="keepAlpha"/> upscales alpha beside the colour (otherwise the output's alpha is 1);
    /// <paramref name="grey"/> treats the image as grey (r = g = b) and writes grey (luma models only: an RGB
    /// model sees the grey image's R, G, B). <paramref name="exactSize"/>, when given, is the output's size
    /// (otherwise the model's).
    /// </summary>
    public UpscalingPlan Build(int inputWidth, int inputHeight, bool keepAlpha, bool grey, (int Width, int Height)? exactSize = null)
    {
        var model = Framed(Model, inputWidth, inputHeight);
        int c = model.Info.InputChannels;
        var outShape = model.OutputShape(new TensorShape(c, inputHeight, inputWidth));
        if (outShape.Channels != c)
        {
            throw new ArgumentException($"{model.Info.Source}: the model maps {c} channels to {outShape.Channels}; an upscaler needs the same count.");
        }
        // Chroma and alpha go straight to the model's output size (which a model that strides inside may make
        // a little smaller than the input times the scale).
        var bicubic = new UpsampleSpec { Mode = UpsampleMode.Bicubic, OutputHeight = outShape.Height, OutputWidth = outShape.Width };
        bool luma = model.Info.ColorSpace == ColorSpace.Y;
        var before = new List<ModelNode>();
        var after = new List<ModelNode>();
        string input = Image, output = Result;
        ChannelLayout inLayout, outLayout;
        if (luma && !grey)
        {
            // RGB(A) -> Y into the model and CbCr(A) beside it, bicubic; then Y, CbCr(A) -> YCbCr(A) -> RGB(A).
            inLayout = outLayout = keepAlpha ? ChannelLayout.Rgba : ChannelLayout.Rgb;
            before.Add(keepAlpha ? _toY4! : _toY3!);
            before.Add(keepAlpha ? _toChroma4! : _toChroma3!);
            before.Add(new ModelNode("upsample CbCr", bicubic, new[] { Chroma }, ExtrasUp));
            after.Add(new ModelNode("join", new ConcatSpec(), new[] { model.Output, ExtrasUp }, Joined));
            after.Add(keepAlpha ? _toRgb4! : _toRgb3!);
        }
        else if (keepAlpha)
        {
            // RGBA -> the model's channels (grey: R) and alpha beside them, bicubic; then joined.
            inLayout = ChannelLayout.Rgba;
            outLayout = luma ? ChannelLayout.GreyAlpha : ChannelLayout.Rgba;
            before.Add(new ModelNode("take colour", new CropSpec(0, 0, 0, 0, 0, c), new[] { Image }, model.Input));
            before.Add(new ModelNode("take alpha", new CropSpec(0, 0, 0, 0, 3, 1), new[] { Image }, Alpha));
            before.Add(new ModelNode("upsample alpha", bicubic, new[] { Alpha }, ExtrasUp));
            after.Add(new ModelNode("join alpha", new ConcatSpec(), new[] { model.Output, ExtrasUp }, Result));
        }
        else
        {
            // The model alone.
            (input, output) = (model.Input, model.Output);
            inLayout = outLayout = luma ? ChannelLayout.Grey : ChannelLayout.Rgb;
        }
        if (exactSize is var (width, height) && (width, height) != (outShape.Width, outShape.Height))
        {
            if (width <= 0 || height <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(exactSize), $"An output size must be positive, got {width}x{height}.");
            }
            int filter = Resampler.FilterFor(Math.Max(outShape.Width / (double)width, outShape.Height / (double)height));
            if (filter > 1)
            {
                var blur = _blurs[(output, ImageToTensor.ChannelCount(outLayout), filter)];
                after.Add(blur);
                output = blur.Output;
            }
            after.Add(new ModelNode("resample", Resampler.Resample(width, height), new[] { output }, Resized));
            output = Resized;
        }
        var nodes = before.Concat(model.Nodes).Concat(after).ToList();
        return new UpscalingPlan(new ModelDefinition(model.Info, input, output, nodes), inLayout, outLayout);
    }

    /// <summary>
    /// The model with its <see cref="ModelInfo.Framing"/> applied for an input of this size: a padding node before
    /// it (a 1x1 depthwise identity convolution with the padding, as the graph passes lower a pad) and a crop of
    /// the alignment's extra output after it, so that n pixels become Scale x n (plus the image upsampled by
    /// nearest neighbour, for a network that predicts a residual). The model itself when it has no framing.
    /// </summary>
    internal static ModelDefinition Framed(ModelDefinition model, int width, int height)
    {
        if (model.Info.Framing is not { } framing)
        {
            return model;
        }
        int c = model.Info.InputChannels;
        int s = (int)Math.Round(model.Info.Scale);
        var padding = framing.PaddingFor(width, height);
        var pad = new ModelNode("frame: pad", PadIntoConvolution.IdentityConvolution(new PadSpec(c, padding, framing.Mode)),
                                new[] { FrameIn }, model.Input);
        var crop = new ModelNode("frame: crop", new CropSpec(0, 0, s * framing.AlignmentPad(height), s * framing.AlignmentPad(width)),
                                 new[] { model.Output }, FrameOut);
        var nodes = model.Nodes.Prepend(pad).Append(crop).ToList();
        if (framing.AddsNearestUpsampledInput)
        {
            crop = crop with { Output = FrameNet };
            nodes[^1] = crop;
            nodes.Add(new ModelNode("frame: upsample image", UpsampleSpec.By(UpsampleMode.Nearest, s), new[] { FrameIn }, FrameResidual));
            nodes.Add(new ModelNode("frame: add image", new BinarySpec(BinaryOperator.Add), new[] { FrameNet, FrameResidual }, FrameOut));
        }
        return new ModelDefinition(model.Info with { Framing = null }, FrameIn, FrameOut, nodes);
    }

    /// <summary>
    /// A 1x1 convolution computing rows <paramref name="rows"/> of <paramref name="matrix"/> (on [0, 1] values,
    /// with the offsets, both / 255) from <paramref name="inputs"/> channels (a fourth is alpha, weight 0),
    /// followed by alpha itself when <paramref name="passAlpha"/> (weight 1, exact).
    /// </summary>
    private static Conv2dSpec Matrix(double[,] matrix, double[] offset, Range rows, int inputs, bool passAlpha)
    {
        var (first, count) = rows.GetOffsetAndLength(3);
        int outputs = count + (passAlpha ? 1 : 0);
        var weights = new float[outputs * inputs];
        var bias = new float[outputs];
        for (int o = 0; o < count; o++)
        {
            for (int i = 0; i < 3; i++)
            {
                weights[o * inputs + i] = (float)(matrix[first + o, i] / 255.0);
            }
            bias[o] = (float)(offset[first + o] / 255.0);
        }
        if (passAlpha)
        {
            weights[count * inputs + 3] = 1f;
        }
        return Conv1x1(inputs, outputs, weights, bias);
    }

    /// <summary>YCbCr (and alpha, passed through when <paramref name="inputs"/> is 4) to RGB: M (v - offset / 255) = M v - M offset / 255.</summary>
    private static Conv2dSpec Inverse(int inputs)
    {
        var weights = new float[inputs * inputs];
        var bias = new float[inputs];
        for (int o = 0; o < 3; o++)
        {
            double shift = 0;
            for (int i = 0; i < 3; i++)
            {
                weights[o * inputs + i] = (float)ToRgb[o, i];
                shift += ToRgb[o, i] * YccOffset[i] / 255.0;
            }
            bias[o] = (float)-shift;
        }
        if (inputs == 4)
        {
            weights[3 * inputs + 3] = 1f;
        }
        return Conv1x1(inputs, inputs, weights, bias);
    }

    private static Conv2dSpec Conv1x1(int inputs, int outputs, float[] weights, float[] bias) => new()
    {
        InChannels = inputs,
        OutChannels = outputs,
        KernelH = 1,
        KernelW = 1,
        Weights = weights,
        Bias = bias,
    };
}
