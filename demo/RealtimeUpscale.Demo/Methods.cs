using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;

namespace RealtimeUpscale.Demo;

/// <summary>The ways the demo makes an output-resolution picture from the low-resolution render.</summary>
internal enum Method
{
    /// <summary>The scene rendered directly at the output resolution: what the upscalers try to reach.</summary>
    Reference,
    Nearest,
    Bicubic,
    Deconv,
    Subpixel,
    ResizeConv,
}

/// <summary>Names, model files and model definitions of the methods; learned models are loaded once and kept.</summary>
internal sealed class ModelLibrary
{
    private readonly string _directory;
    private readonly Dictionary<string, ModelDefinition> _loaded = new();
    private readonly Dictionary<string, string> _failed = new();

    public ModelLibrary(string directory) => _directory = directory;

    public static readonly Method[] All = Enum.GetValues<Method>();

    public static bool IsLearned(Method m) => m is Method.Deconv or Method.Subpixel or Method.ResizeConv;

    public static string Name(Method m) => m switch
    {
        Method.Reference => "reference (native render)",
        Method.Nearest => "nearest",
        Method.Bicubic => "bicubic",
        Method.Deconv => "deconv",
        Method.Subpixel => "sub-pixel",
        _ => "resize-conv",
    };

    public static string Family(Method m) => m switch
    {
        Method.Deconv => "deconv",
        Method.Subpixel => "subpixel",
        Method.ResizeConv => "resizeconv",
        _ => throw new ArgumentException($"{m} is not a learned method."),
    };

    /// <summary>
    /// <c>{dir}/{family}_x{s}.onnx</c>, or <c>{dir}/init/{family}_x{s}.onnx</c> at random initialisation. The trained
    /// sub-pixel panel takes the RGB model, <c>{dir}/subpixel_rgb_x{s}.onnx</c>, where one is bundled: the engines'
    /// default, which beats the luma model with bicubic chroma on Y and on RGB (models/README.md).
    /// </summary>
    public string PathOf(Method m, int scale, bool init)
    {
        if (init)
        {
            return Path.Combine(_directory, "init", $"{Family(m)}_x{scale}.onnx");
        }
        string rgb = Path.Combine(_directory, $"{Family(m)}_rgb_x{scale}.onnx");
        return m == Method.Subpixel && File.Exists(rgb) ? rgb : Path.Combine(_directory, $"{Family(m)}_x{scale}.onnx");
    }

    /// <summary>The model for a method, or null with <paramref name="problem"/> saying why it cannot be shown.</summary>
    public ModelDefinition? Model(Method m, int scale, bool init, out string? problem)
    {
        problem = null;
        if (!IsLearned(m))
        {
            return m == Method.Reference ? null : Interpolation(m == Method.Nearest ? UpsampleMode.Nearest : UpsampleMode.Bicubic, scale);
        }
        string path = PathOf(m, scale, init);
        if (_loaded.TryGetValue(path, out var model))
        {
            return model;
        }
        if (_failed.TryGetValue(path, out problem))
        {
            return null;
        }
        try
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{Path.GetFileName(path)} not found");
            }
            model = ModelDefinition.Load(path);
            if (Math.Abs(model.Info.Scale - scale) > 1e-9)
            {
                throw new InvalidDataException($"{Path.GetFileName(path)} upscales x{model.Info.Scale}, not x{scale}");
            }
            _loaded[path] = model;
            return model;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ModelFormatException or ArgumentException)
        {
            problem = e.Message;
            _failed[path] = problem;
            return null;
        }
    }

    /// <summary>PyTorch-style nearest or bicubic upsampling of RGB by an integer factor.</summary>
    public static ModelDefinition Interpolation(UpsampleMode mode, int scale) => Single(
        mode.ToString().ToLowerInvariant(), new UpsampleSpec { Mode = mode, ScaleY = scale, ScaleX = scale }, scale);

    /// <summary>BlurPool on RGB: binomial filter <paramref name="filter"/> (1 = naive subsampling), stride <paramref name="stride"/>.</summary>
    public static ModelDefinition Downsample(int filter, int stride) => Single(
        filter == 1 ? "naive subsample" : $"blurpool {filter}",
        filter == 1 ? BlurPoolSpec.Naive(3, stride) : new BlurPoolSpec(3, filter, stride, PaddingMode.Reflect), 1.0 / stride);

    private static ModelDefinition Single(string name, LayerSpec spec, double scale)
    {
        var info = new ModelInfo(name, ColorSpace.Rgb, 3, scale, "0-1", new Dictionary<string, string>());
        return new ModelDefinition(info, "x", "y", new[] { new ModelNode(name, spec, new[] { "x" }, "y") });
    }
}
