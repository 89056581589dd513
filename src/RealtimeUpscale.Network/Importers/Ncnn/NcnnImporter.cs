namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// Reads ncnn models: a text .param file (the graph) and its .bin file (the weights; float16, float32, int8 with
/// scales, or a quantisation table), by ncnn's docs/developer-guide/param-and-model-file-structure.md and the
/// parameter ids of its src/layer/*.cpp, into a plain <see cref="ModelDefinition"/> with the same typed specs the
/// ONNX importer writes; the graph passes then fuse it. Models of valid convolutions (waifu2x, Real-CUGAN) get the
/// <see cref="InputFraming"/> their tools apply (<see cref="NcnnFraming"/>).
/// </summary>
public sealed class NcnnImporter : IModelImporter
{
    /// <summary>The layer types the importer translates.</summary>
    public static IReadOnlyList<string> SupportedLayers { get; } = new[]
    {
        "Input", "Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise", "Pooling", "InnerProduct",
        "Scale", "BatchNorm", "BinaryOp", "Eltwise", "Crop", "Split", "Concat", "Interp", "PixelShuffle", "Padding", "ReLU",
        "PReLU", "Sigmoid", "TanH", "Clip", "Dropout", "Noop",
    };

    /// <inheritdoc />
    public string Format => "ncnn";

    /// <inheritdoc />
    public bool Claims(string path) => string.Equals(Path.GetExtension(path), ".param", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public ModelDefinition Import(string path) => Import(path, WeightsPathFor(path));

    /// <summary>The .bin beside a .param: the same name with the extension .bin.</summary>
    public static string WeightsPathFor(string paramPath)
    {
        ArgumentNullException.ThrowIfNull(paramPath);
        return Path.ChangeExtension(paramPath, ".bin");
    }

    /// <summary>Reads <paramref name="paramPath"/> with the weights in <paramref name="binPath"/>.</summary>
    public static ModelDefinition Import(string paramPath, string binPath)
    {
        ArgumentNullException.ThrowIfNull(paramPath);
        ArgumentNullException.ThrowIfNull(binPath);
        var (layers, _) = NcnnParamFile.Read(paramPath);
        var weights = NcnnWeights.Open(binPath);
        return new NcnnGraphTranslator(paramPath, weights).Translate(layers);
    }
}
