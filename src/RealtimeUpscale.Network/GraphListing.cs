using System.Globalization;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>
/// A model graph as text, one line per node: its name, what it computes (kernel, stride, channels,
/// activation), the values it reads and writes, and their shapes at one input size.
/// </summary>
public static class GraphListing
{
    /// <summary>One line per node of <paramref name="definition"/>, with shapes for an input of <paramref name="input"/>.</summary>
    public static IReadOnlyList<string> Lines(ModelDefinition definition, TensorShape input)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var shapes = definition.InferShapes(input);
        int nameWidth = definition.Nodes.Select(n => n.Name.Length).DefaultIfEmpty(0).Max();
        var lines = new List<string> { $"input {definition.Input} {Shape(input)}" };
        foreach (var node in definition.Nodes)
        {
            string reads = string.Join(", ", node.Inputs.Select(v => $"{v} {Shape(shapes[v])}"));
            lines.Add($"{node.Name.PadRight(nameWidth)}  {Describe(node.Spec)}  {reads} -> {node.Output} {Shape(shapes[node.Output])}");
        }
        lines.Add($"output {definition.Output} {Shape(shapes[definition.Output])}");
        return lines;
    }

    /// <summary>What a spec computes, in one phrase: "Conv2d 3x3 s1 56->12 pad 1,1,1,1 zeros PRelu[12]".</summary>
    public static string Describe(LayerSpec spec) => spec switch
    {
        Conv2dSpec c => $"Conv2d {Conv(c)}",
        ConvTranspose2dSpec t => $"ConvTranspose2d {t.KernelH}x{t.KernelW} s{t.StrideY}{(t.StrideX != t.StrideY ? $",{t.StrideX}" : "")} " +
                                 $"{t.InChannels}->{t.OutChannels}{Groups(t.Groups)} crop {Pad(t.Padding)}" +
                                 (t.OutputPaddingY + t.OutputPaddingX > 0 ? $" output-pad {t.OutputPaddingY},{t.OutputPaddingX}" : "") +
                                 (t.InputPadding != default ? $" input-pad {Pad(t.InputPadding)} {t.InputPaddingMode}" : "") + Act(t.Activation),
        ConvPointwiseSpec cp => $"ConvPointwise {Conv(cp.Conv)} then {Conv(cp.Pointwise)}",
        PointwiseConvSpec pc => $"PointwiseConv {Conv(pc.Pointwise)} then {Describe(pc.Conv)}",
        SubPixelConvSpec s => $"SubPixelConv {Conv(s.Conv)} shuffle x{s.Shuffle.Scale} {s.Shuffle.Order}",
        ResizeConvSpec r => $"ResizeConv {Upsample(r.Upsample)} then {Conv(r.Conv)}",
        ResidualConvSpec rc => $"{Describe(rc.Conv)} + residual" + (rc.Upsample is { } u ? $" upsampled {Upsample(u)}" : "") +
            (rc.Crop is { } c ? $" cropped {c.Top},{c.Left},{c.Bottom},{c.Right}" + (c.ChannelStart > 0 || c.ChannelCount is not null ? $" channels {c.ChannelStart}+" : "") : ""),
        ChannelScaledConvSpec cs => Describe(cs.Conv) + (cs.ScalesInput ? " input" : "") + (cs.ScalesInput && cs.ScalesResidual ? " and" : "") +
            (cs.ScalesResidual ? " residual" : "") + " scaled per channel",
        PixelShuffleSpec p => $"PixelShuffle x{p.Scale} {p.Order}",
        UpsampleSpec u => $"Upsample {Upsample(u)}",
        BlurPoolSpec b => $"BlurPool {b.FilterSize}x{b.FilterSize} s{b.Stride} {b.Channels} channels {b.PaddingMode}",
        ScaleBiasSpec sb => $"ScaleBias {sb.Channels} channels{Act(sb.Activation)}",
        BinarySpec bin => $"{bin.Operator}{Act(bin.Activation)}",
        CropSpec c => $"Crop {c.Top},{c.Left},{c.Bottom},{c.Right}" + (c.ChannelStart != 0 || c.ChannelCount is not null ? $" channels {c.ChannelStart}+{c.ChannelCount?.ToString(CultureInfo.InvariantCulture) ?? "all"}" : ""),
        ConcatSpec => "Concat",
        CropToSpec c => $"CropTo {c.Top},{c.Left}" + (c.ChannelStart != 0 ? $" from channel {c.ChannelStart}" : ""),
        Pool2dSpec p when p.Global => $"GlobalPool {p.Mode}",
        Pool2dSpec p => $"Pool {p.Mode} {p.KernelH}x{p.KernelW} s{p.StrideY}{(p.StrideX != p.StrideY ? $",{p.StrideX}" : "")}" +
                        (p.Padding != default ? $" pad {Pad(p.Padding)}{(p.CountIncludePad ? " counted" : "")}" : ""),
        FullyConnectedSpec f => $"FullyConnected {f.InFeatures}->{f.OutFeatures}{Act(f.Activation)}",
        PadSpec p => $"Pad {Pad(p.Padding)} {p.Mode} {p.Channels} channels",
        ActivationSpec a => $"Activation {a.Activation}",
        _ => spec.GetType().Name,
    };

    private static string Conv(Conv2dSpec c) =>
        $"{c.KernelH}x{c.KernelW} s{c.StrideY}{(c.StrideX != c.StrideY ? $",{c.StrideX}" : "")}" +
        (c.DilationY * c.DilationX > 1 ? $" d{c.DilationY},{c.DilationX}" : "") +
        $" {c.InChannels}->{c.OutChannels}{Groups(c.Groups)}" +
        (c.Padding != default ? $" pad {Pad(c.Padding)} {c.PaddingMode}" : "") + Act(c.Activation);

    private static string Upsample(UpsampleSpec u) =>
        (u.OutputHeight is { } h && u.OutputWidth is { } w ? $"to {w}x{h}" : $"x{u.ScaleX.ToString(CultureInfo.InvariantCulture)},{u.ScaleY.ToString(CultureInfo.InvariantCulture)}") +
        $" {u.Mode}{(u.AlignCorners ? " align-corners" : "")}";

    private static string Groups(int groups) => groups > 1 ? $" groups {groups}" : "";

    private static string Pad(Padding p) => $"{p.Top},{p.Left},{p.Bottom},{p.Right}";

    private static string Act(Activation a) => a.Kind == ActivationKind.None ? "" : $" {a}";

    private static string Shape(TensorShape s) => $"[{s.Channels}x{s.Height}x{s.Width}]";
}
