namespace RealtimeUpscale.Network.Importers;

/// <summary>
/// Reads one model file format into a plain, unfused <see cref="ModelDefinition"/>: one node per operator of
/// the file, each with a typed spec. Fusion and lowering are not an importer's job; <see cref="Passes.GraphOptimizer"/>
/// does them for every format alike.
/// </summary>
public interface IModelImporter
{
    /// <summary>The format's name in messages, e.g. "ONNX".</summary>
    string Format { get; }

    /// <summary>Whether <paramref name="path"/> names a file of this format (judged from its name, not read).</summary>
    bool Claims(string path);

    /// <summary>Reads and translates the model; throws <see cref="ModelFormatException"/> naming what cannot be run.</summary>
    ModelDefinition Import(string path);
}
