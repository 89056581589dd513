namespace RealtimeUpscale.Network.Kernels;

/// <summary>
/// The shader code of each model-level setting. The codes themselves come from shaders/include/codes.glsl
/// (the generated enums); these switches only say which code a spec's setting means, so no enum's declaration
/// order is ever a shader code.
/// </summary>
internal static class Codes
{
    public static ActivationCode Of(Activation activation) => activation.Kind switch
    {
        ActivationKind.None => ActivationCode.None,
        ActivationKind.Relu => ActivationCode.Relu,
        ActivationKind.PRelu => activation.Slopes is null ? ActivationCode.PReluShared : ActivationCode.PReluPerChannel,
        ActivationKind.LeakyRelu => ActivationCode.LeakyRelu,
        ActivationKind.Tanh => ActivationCode.Tanh,
        ActivationKind.Sigmoid => ActivationCode.Sigmoid,
        ActivationKind.Clip => ActivationCode.Clip,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation.Kind, "Unknown activation."),
    };

    public static PadCode Of(PaddingMode mode) => mode switch
    {
        PaddingMode.Zeros => PadCode.Zeros,
        PaddingMode.Replicate => PadCode.Replicate,
        PaddingMode.Reflect => PadCode.Reflect,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown padding mode."),
    };

    public static UpsampleCode Of(UpsampleMode? mode) => mode switch
    {
        null => UpsampleCode.None,
        UpsampleMode.Nearest => UpsampleCode.Nearest,
        UpsampleMode.Bilinear => UpsampleCode.Bilinear,
        UpsampleMode.Bicubic => UpsampleCode.Bicubic,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown upsample mode."),
    };

    public static ShuffleCode Of(DepthToSpaceOrder? order) => order switch
    {
        null => ShuffleCode.None,
        DepthToSpaceOrder.Crd => ShuffleCode.Crd,
        DepthToSpaceOrder.Dcr => ShuffleCode.Dcr,
        _ => throw new ArgumentOutOfRangeException(nameof(order), order, "Unknown depth-to-space order."),
    };

    public static ElementwiseOp Of(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => ElementwiseOp.Add,
        BinaryOperator.Sub => ElementwiseOp.Sub,
        BinaryOperator.Mul => ElementwiseOp.Mul,
        BinaryOperator.Div => ElementwiseOp.Div,
        BinaryOperator.Max => ElementwiseOp.Max,
        BinaryOperator.Min => ElementwiseOp.Min,
        BinaryOperator.Pow => ElementwiseOp.Pow,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown binary operator."),
    };

    public static PoolCode Of(PoolMode mode) => mode switch
    {
        PoolMode.Max => PoolCode.Max,
        PoolMode.Average => PoolCode.Average,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown pooling mode."),
    };
}
