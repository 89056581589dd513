using RealtimeUpscale.Network.Importers.Ncnn;
using RealtimeUpscale.Network.Importers.Onnx;

namespace RealtimeUpscale.Network.Importers;

/// <summary>The model formats the library reads, and the choice among them by file name.</summary>
public static class ModelImporters
{
    /// <summary>Every importer, in the order they are asked to claim a file. A new format adds its importer here.</summary>
    public static IReadOnlyList<IModelImporter> All { get; } = new IModelImporter[] { new OnnxImporter(), new NcnnImporter() };

    /// <summary>
    /// The importer for <paramref name="path"/>: the first that claims it, else ONNX (the project's own format,
    /// whose parser then names the file in its error when it is something else).
    /// </summary>
    public static IModelImporter For(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return All.FirstOrDefault(i => i.Claims(path)) ?? All[0];
    }

    /// <summary>The unfused graph of the model at <paramref name="path"/>, as its format's importer writes it.</summary>
    public static ModelDefinition Import(string path) => For(path).Import(path);
}
