using RealtimeUpscale.Network.Kernels;

namespace RealtimeUpscale.Upscaling.Kernels;

/// <summary>
/// The shader code of each channel layout (COLOR of image_to_tensor and tensor_to_image; the codes come from
/// shaders/include/codes.glsl), so the enum's declaration order is never a shader code.
/// </summary>
internal static class ColorCodes
{
    public static ColorCode Of(ChannelLayout layout) => layout switch
    {
        ChannelLayout.Rgb => ColorCode.Rgb,
        ChannelLayout.Rgba => ColorCode.Rgba,
        ChannelLayout.Grey => ColorCode.Grey,
        ChannelLayout.GreyAlpha => ColorCode.GreyAlpha,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown channel layout."),
    };
}
