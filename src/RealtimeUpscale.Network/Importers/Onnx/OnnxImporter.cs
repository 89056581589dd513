namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// Translates an ONNX graph, operator by operator, into a plain <see cref="ModelDefinition"/>: one node per
/// operator with a typed spec (Conv, ConvTranspose, Pad, activations, BatchNormalization and constant
/// Add/Sub/Mul/Div as a per-channel affine, Resize/Upsample, DepthToSpace, Slice, Concat). Constant-only
/// subgraphs are folded first and Identity, Dropout and float Cast name the value they read. Nothing is fused
/// here; <see cref="Passes.GraphOptimizer"/> does that. Anything it cannot run is a
/// <see cref="ModelFormatException"/> naming the file, the node, the op and why.
/// </summary>
public sealed class OnnxImporter : IModelImporter
{
    /// <summary>The operators the importer runs (plus any constant-only subgraph of the folding operators).</summary>
    public static IReadOnlyList<string> SupportedOps { get; } = new[]
    {
        "Conv", "ConvTranspose", "DepthToSpace", "Resize", "Upsample", "Pad", "Slice", "Relu", "PRelu", "LeakyRelu",
        "Tanh", "Sigmoid", "Clip", "Add", "Sub", "Mul", "Div", "Identity", "Dropout", "Constant", "Concat",
        "BatchNormalization", "Cast",
    };

    /// <inheritdoc />
    public string Format => "ONNX";

    /// <inheritdoc />
    public bool Claims(string path) => string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public ModelDefinition Import(string path) => Import(OnnxModel.Load(path));

    /// <summary>Translates a parsed model into its unfused graph.</summary>
    public static ModelDefinition Import(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new OnnxGraphTranslator(model).Translate();
    }
}
