using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>What the network's input and output channels hold.</summary>
public enum ColorSpace
{
    /// <summary>One channel: BT.601 studio-range luma / 255 (the convention of SRCNN, FSRCNN and ESPCN).</summary>
    Y,

    /// <summary>Three channels: R, G, B in [0, 1].</summary>
    Rgb,
}

/// <summary>Facts about a model, from its metadata_props or inferred.</summary>
/// <param name="Source">Where the model was loaded from.</param>
/// <param name="ColorSpace">What the channels hold (metadata "colorspace"; else 1 channel means luma).</param>
/// <param name="InputChannels">Input channels.</param>
/// <param name="Scale">Upscaling factor (metadata "scale"; else measured from the graph's shapes).</param>
/// <param name="InputRange">Value range the model expects (metadata "input_range"; default "0-1").</param>
/// <param name="Metadata">Every metadata_props entry.</param>
public sealed record ModelInfo(
    string Source, ColorSpace ColorSpace, int InputChannels, double Scale, string InputRange,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>
    /// How the image is padded before the network and the result cropped after it, for models whose graph of
    /// valid (unpadded) convolutions shrinks its input (waifu2x, Real-CUGAN); null when the network maps an
    /// input of n pixels to Scale x n itself.
    /// </summary>
    public InputFraming? Framing { get; init; }
}

/// <summary>
/// The padding around a network of valid convolutions: the image is padded by <see cref="Margin"/> pixels on
/// every side (read as <see cref="Mode"/> says), plus on the bottom and right the fewest pixels that make its
/// height and width multiples of <see cref="Alignment"/> (what the network's strided layers need); the network
/// then gives Scale x (the aligned size), whose top-left Scale x (the image's size) is kept.
/// </summary>
/// <param name="Margin">Pixels added on each side; the network removes Scale x Margin from each side of its output.</param>
/// <param name="Mode">What the padding reads (edge or mirror, as the model's own tool pads).</param>
/// <param name="Alignment">The image's height and width are padded to a multiple of this (1: no alignment).</param>
public sealed record InputFraming(int Margin, PaddingMode Mode, int Alignment)
{
    /// <summary>
    /// The network predicts only a residual: the result is its cropped output plus the image upsampled by nearest
    /// neighbour (Real-CUGAN x4, whose tool adds the image in its post-processing).
    /// </summary>
    public bool AddsNearestUpsampledInput { get; init; }

    /// <summary>The extra pixels on the bottom or right for a size of <paramref name="size"/>.</summary>
    public int AlignmentPad(int size) => (Alignment - size % Alignment) % Alignment;

    /// <summary>The padding of an image of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public Padding PaddingFor(int width, int height) =>
        new(Margin, Margin, Margin + AlignmentPad(height), Margin + AlignmentPad(width));
}

/// <summary>One layer of a model: a typed spec, the values it reads and the value it writes.</summary>
/// <param name="Name">The layer name (from the model file's node; a fused layer keeps the name of the node it grew from).</param>
/// <param name="Spec">What it computes.</param>
/// <param name="Inputs">Names of the values it reads, in order.</param>
/// <param name="Output">Name of the value it writes.</param>
public sealed record ModelNode(string Name, LayerSpec Spec, IReadOnlyList<string> Inputs, string Output);

/// <summary>
/// A whole network as typed layer specs in execution order. An importer writes it unfused, one node per
/// operator of the file (<see cref="Import"/>); <see cref="GraphOptimizer"/> fuses and lowers it into the graph
/// that runs (<see cref="Load(string)"/>). Immutable; shape-agnostic in height and width.
/// </summary>
public sealed class ModelDefinition
{
    /// <summary>Creates a definition; nodes must be in an order where every input is produced before use.</summary>
    public ModelDefinition(ModelInfo info, string input, string output, IReadOnlyList<ModelNode> nodes)
    {
        Info = info;
        Input = input;
        Output = output;
        Nodes = nodes;
    }

    /// <summary>Model facts.</summary>
    public ModelInfo Info { get; }

    /// <summary>Name of the input value.</summary>
    public string Input { get; }

    /// <summary>Name of the output value.</summary>
    public string Output { get; }

    /// <summary>The layers in execution order.</summary>
    public IReadOnlyList<ModelNode> Nodes { get; }

    /// <summary>
    /// Imports a model file and optimises it (<see cref="GraphOptimizer.Optimize"/>): the graph a
    /// <see cref="Network"/> runs. Throws <see cref="ModelFormatException"/> naming what cannot be run, and nothing
    /// else for any content of the file (I/O errors aside).
    /// </summary>
    public static ModelDefinition Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Guarded(() => GraphOptimizer.Optimize(Import(path)), path);
    }

    /// <summary>
    /// An ncnn model from its graph (<paramref name="paramPath"/>, a text .param file) and weights
    /// (<paramref name="binPath"/>, a .bin file), optimised as <see cref="Load(string)"/> does;
    /// <see cref="Load(string)"/> of a .param reads the .bin beside it.
    /// </summary>
    public static ModelDefinition Load(string paramPath, string binPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(paramPath);
        ArgumentException.ThrowIfNullOrEmpty(binPath);
        return Guarded(() => GraphOptimizer.Optimize(Importers.Ncnn.NcnnImporter.Import(paramPath, binPath)), paramPath);
    }

    /// <summary>
    /// The model file's plain graph, one node per operator, as its format's importer
    /// (<see cref="ModelImporters.For"/>) writes it; not every node of it has a GPU layer before optimisation.
    /// </summary>
    public static ModelDefinition Import(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Guarded(() => ModelImporters.Import(path), path);
    }

    /// <summary>
    /// Parses, imports and optimises an ONNX model held in memory, as <see cref="Load(string)"/> does a file;
    /// <paramref name="source"/> names it in messages.
    /// </summary>
    /// <exception cref="ModelFormatException">The bytes are not a model this project runs.</exception>
    public static ModelDefinition Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return Guarded(() => GraphOptimizer.Optimize(Importers.Onnx.OnnxImporter.Import(Importers.Onnx.OnnxModel.Parse(bytes, source))), source);
    }

    private static ModelDefinition Guarded(Func<ModelDefinition> read, string source)
    {
        try
        {
            return read();
        }
        catch (ModelFormatException e)
        {
            string message = Shorten(e.Message);
            if (message == e.Message && e.Message.Contains(source, StringComparison.Ordinal))
            {
                // Rethrown as it is, with the stack trace of the check that made it.
                throw;
            }
            throw new ModelFormatException(message.Contains(source, StringComparison.Ordinal) ? message : $"{source}: {message}", e);
        }
        catch (Exception e) when (e is not (IOException or UnauthorizedAccessException))
        {
            // Anything else from a hostile or damaged file (an overflow in a declared size, an index out of range in
            // constant folding, a tensor too large to allocate) means the same: it is not a model this project runs.
            throw new ModelFormatException($"{source}: not a model this project can run ({Shorten(e.Message)})", e);
        }
    }

    /// <summary>A message cut to 300 characters: attribute values and tensor dumps can make megabytes of text.</summary>
    private static string Shorten(string message)
    {
        message = message.ReplaceLineEndings(" ");
        return message.Length <= 300 ? message : message[..300] + "...";
    }

    /// <summary>Shapes of every value for an input shape; throws when the input does not fit a layer.</summary>
    public IReadOnlyDictionary<string, TensorShape> InferShapes(TensorShape input)
    {
        var shapes = new Dictionary<string, TensorShape> { [Input] = input };
        foreach (var node in Nodes)
        {
            try
            {
                shapes[node.Output] = node.Spec.OutputShape(node.Inputs.Select(i => shapes[i]).ToArray());
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Info.Source}: layer '{node.Name}' cannot take input {input}: {e.Message}", e);
            }
        }
        return shapes;
    }

    /// <summary>
    /// How many input pixels on each side can influence an output pixel, rounded up, plus one: a tile whose input
    /// overlaps its neighbours by this much computes exactly the pixels an untiled run computes. Each value's reach
    /// (how far from a pixel's own extent, in input pixels, the input pixels it depends on lie) is followed through
    /// the graph: a window of k taps (dilation d) every s pixels adds ((k - 1) d / 2 + 1/2 - s/2) of its input's
    /// pixels (a 3x3 convolution one, a 2x2 stride-2 one none), resampling its interpolation's reach, and a node
    /// of several inputs takes the largest of theirs; whole-image statistics (global pooling and what is made of
    /// it) reach nowhere, since a tiled run gives every tile the image's. A network of valid convolutions, such as
    /// Real-CUGAN's U-Nets, reaches exactly as far as it shrinks its input (18 pixels for Real-CUGAN x2, where
    /// summing every layer's radius, <see cref="ConservativeRadius"/>, counts 46). A layer this does not know
    /// makes it fall back to that sum.
    /// </summary>
    public int ReceptiveRadius()
    {
        var step = new Dictionary<string, double> { [Input] = 1 };
        var reach = new Dictionary<string, double> { [Input] = 0 };
        var global = new HashSet<string>();
        foreach (var node in Nodes)
        {
            if (node.Spec is Pool2dSpec { Global: true } or FullyConnectedSpec ||
                (node.Inputs.Count > 0 && node.Inputs.All(global.Contains)))
            {
                global.Add(node.Output);
                continue;
            }
            var spatial = node.Inputs.Where(v => !global.Contains(v)).ToList();
            if (spatial.Count == 0 || !spatial.All(step.ContainsKey))
            {
                return ConservativeRadius();
            }
            double st = step[spatial[0]];
            double r = spatial.Max(v => reach[v]);
            // A window of k taps (dilation d) every s of its input's pixels, on the input's pixel size st.
            static double Window(int k, int d, int s, double st) => st * Math.Max(0, (k - 1) * d / 2.0 + 0.5 - s / 2.0);
            static double Conv(Conv2dSpec c, double st) =>
                Math.Max(Window(c.KernelH, c.DilationY, c.StrideY, st), Window(c.KernelW, c.DilationX, c.StrideX, st));
            static double Interpolation(UpsampleSpec u, double st) => st * (u.Mode switch
            {
                UpsampleMode.Nearest => 1,
                UpsampleMode.Bilinear => 1.5,
                _ => 2.5,
            });
            // A fused channel scale (its factors are global) changes no reach.
            var unscaled = ChannelScaledConvSpec.Unscaled(node.Spec);
            // A fused 1x1 convolution before the convolution (stride 1, no padding) reaches no further.
            LayerSpec spec = PointwiseConvSpec.Unfused(unscaled is ResidualConvSpec fused ? fused.Conv : unscaled);
            double? residual = unscaled is ResidualConvSpec residualConv && node.Inputs.Count > 1 && !global.Contains(node.Inputs[1])
                ? reach[node.Inputs[1]] + (residualConv.Upsample is { } ru ? Interpolation(ru, step[node.Inputs[1]]) : 0) : null;
            if (residual is not null)
            {
                r = reach[node.Inputs[0]]; // the convolution's input; the residual's reach joins below
            }
            (double add, double factor)? layer = spec switch
            {
                Conv2dSpec c => (Conv(c, st), Math.Max(c.StrideY, c.StrideX)),
                ConvPointwiseSpec cp => (Conv(cp.Conv, st), Math.Max(cp.Conv.StrideY, cp.Conv.StrideX)),
                SubPixelConvSpec sp => (Conv(sp.Conv, st), Math.Max(sp.Conv.StrideY, sp.Conv.StrideX) / (double)sp.Shuffle.Scale),
                ResizeConvSpec rc => (Interpolation(rc.Upsample, st) + Conv(rc.Conv, st / rc.Upsample.ScaleY),
                    Math.Max(rc.Conv.StrideY, rc.Conv.StrideX) / rc.Upsample.ScaleY),
                UpsampleSpec u => (Interpolation(u, st), 1 / u.ScaleY),
                PixelShuffleSpec p => (0, 1.0 / p.Scale),
                ConvTranspose2dSpec t => (st * Math.Ceiling((double)Math.Max(t.KernelH, t.KernelW) / Math.Min(t.StrideY, t.StrideX)), 1.0 / t.StrideY),
                BlurPoolSpec b => (Window(b.FilterSize, 1, b.Stride, st), b.Stride),
                Pool2dSpec { Global: false } p => (Math.Max(Window(p.KernelH, 1, p.StrideY, st), Window(p.KernelW, 1, p.StrideX, st)), Math.Max(p.StrideY, p.StrideX)),
                // Moving or copying pixels, or combining values pixel by pixel: no reach of their own (a pad reads
                // only what the pixels beside it read).
                CropSpec or CropToSpec or PadSpec or BinarySpec or ScaleBiasSpec or ConcatSpec or ActivationSpec => (0, 1),
                _ => null,
            };
            // Sizes given outright, and scales or strides that differ between the axes, have no one pixel size.
            bool anisotropic = spec switch
            {
                UpsampleSpec u => u.OutputHeight is not null || u.OutputWidth is not null || u.ScaleY != u.ScaleX,
                ResizeConvSpec rc => rc.Upsample.OutputHeight is not null || rc.Upsample.OutputWidth is not null ||
                    rc.Upsample.ScaleY != rc.Upsample.ScaleX || rc.Conv.StrideY != rc.Conv.StrideX,
                Conv2dSpec c => c.StrideY != c.StrideX,
                ConvPointwiseSpec cp => cp.Conv.StrideY != cp.Conv.StrideX,
                SubPixelConvSpec sp => sp.Conv.StrideY != sp.Conv.StrideX,
                ConvTranspose2dSpec t => t.StrideY != t.StrideX,
                Pool2dSpec p => p.StrideY != p.StrideX,
                _ => false,
            };
            if (layer is not { } l || anisotropic)
            {
                return ConservativeRadius();
            }
            step[node.Output] = st * l.factor;
            reach[node.Output] = Math.Max(r + l.add, residual ?? 0);
        }
        return reach.TryGetValue(Output, out double total) ? (int)Math.Ceiling(total - 1e-9) + 1 : ConservativeRadius();
    }

    /// <summary>
    /// A bound on <see cref="ReceptiveRadius"/> that needs no knowledge of the graph's shape: the radii of all
    /// layers summed (parallel branches included), each converted to input pixels by the scale at that layer.
    /// </summary>
    public int ConservativeRadius()
    {
        var scaleAt = new Dictionary<string, double> { [Input] = 1 };
        double radius = 0;
        foreach (var node in Nodes)
        {
            double scale = node.Inputs.Select(i => scaleAt[i]).Min();
            // A fused residual: the convolution's radius, plus its residual resize's (conservative, as the sum is).
            var unscaled = ChannelScaledConvSpec.Unscaled(node.Spec);
            var spec = unscaled is ResidualConvSpec fused ? fused.Conv : unscaled;
            // A fused 1x1 convolution before the convolution: its radius, then the convolution's.
            if (spec is PointwiseConvSpec pointwise)
            {
                radius += ConvRadius(pointwise.Pointwise) / scale;
                spec = pointwise.Conv;
            }
            double residualRadius = unscaled is ResidualConvSpec { Upsample: { } ru } ? UpsampleRadius(ru) : 0;
            (double r, double factor) = spec switch
            {
                Conv2dSpec c => (ConvRadius(c), 1.0 / c.StrideY),
                ResizeConvSpec rc => (UpsampleRadius(rc.Upsample) + ConvRadius(rc.Conv) / rc.Upsample.ScaleY, rc.Upsample.ScaleY / rc.Conv.StrideY),
                ConvPointwiseSpec cp => (ConvRadius(cp.Conv) + ConvRadius(cp.Pointwise), 1.0),
                SubPixelConvSpec sp => (ConvRadius(sp.Conv), (double)sp.Shuffle.Scale / sp.Conv.StrideY),
                BlurPoolSpec b => (b.FilterSize / 2.0, 1.0 / b.Stride),
                ConvTranspose2dSpec t => (Math.Ceiling((double)Math.Max(t.KernelH, t.KernelW) / Math.Min(t.StrideY, t.StrideX)) + 1, t.StrideY),
                UpsampleSpec u => (UpsampleRadius(u), u.ScaleY),
                PixelShuffleSpec p => (0, p.Scale),
                PadSpec p => (Math.Max(Math.Max(p.Padding.Top, p.Padding.Bottom), Math.Max(p.Padding.Left, p.Padding.Right)), 1.0),
                _ => (0, 1),
            };
            radius += (r + residualRadius) / scale;
            scaleAt[node.Output] = scale * factor;
        }
        return (int)Math.Ceiling(radius) + 1;

        static double ConvRadius(Conv2dSpec c) =>
            Math.Max(Math.Max(c.KernelH - 1, c.KernelW - 1) * Math.Max(c.DilationY, c.DilationX),
                     2 * Math.Max(Math.Max(c.Padding.Top, c.Padding.Bottom), Math.Max(c.Padding.Left, c.Padding.Right))) / 2.0 + 1;

        static double UpsampleRadius(UpsampleSpec u) => u.Mode switch
        {
            UpsampleMode.Nearest => 1,
            UpsampleMode.Bilinear => 2,
            _ => 3,
        };
    }

    /// <summary>
    /// The product of the strides of every downsampling layer (strided convolutions, blur-pools): tile origins
    /// that are multiples of it sample the same phase as an untiled run.
    /// </summary>
    public int DownsamplingStride()
    {
        long product = 1;
        foreach (var node in Nodes)
        {
            var unscaled = ChannelScaledConvSpec.Unscaled(node.Spec);
            product *= PointwiseConvSpec.Unfused(unscaled is ResidualConvSpec fused ? fused.Conv : unscaled) switch
            {
                Conv2dSpec c => Math.Max(c.StrideY, c.StrideX),
                ResizeConvSpec r => Math.Max(r.Conv.StrideY, r.Conv.StrideX),
                SubPixelConvSpec s => Math.Max(s.Conv.StrideY, s.Conv.StrideX),
                BlurPoolSpec b => b.Stride,
                _ => 1,
            };
        }
        return (int)Math.Min(product, 64);
    }

    /// <summary>
    /// Whether an output pixel depends on the whole image, not only on a neighbourhood (a global pooling, as in
    /// squeeze-excitation blocks, or a fully connected layer): such a model cannot be tiled exactly by overlaps.
    /// </summary>
    public bool HasWholeImageStatistics => Nodes.Any(n => n.Spec is Pool2dSpec { Global: true } or FullyConnectedSpec);

    /// <summary>Output shape for an input shape.</summary>
    public TensorShape OutputShape(TensorShape input) => InferShapes(input)[Output];
}
