namespace RealtimeUpscale.Network.Importers;

/// <summary>A model file could not be read or run; the message names the file, the node or tensor, and why.</summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
