namespace RealtimeUpscale.Network;

/// <summary>The activation a layer applies to its outputs before storing them.</summary>
public enum ActivationKind
{
    /// <summary>Identity.</summary>
    None,

    /// <summary>max(x, 0).</summary>
    Relu,

    /// <summary>x for x &gt;= 0, else slope * x; one shared slope or one per channel.</summary>
    PRelu,

    /// <summary>x for x &gt;= 0, else alpha * x.</summary>
    LeakyRelu,

    /// <summary>tanh(x).</summary>
    Tanh,

    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid,

    /// <summary>min(max(x, Min), Max).</summary>
    Clip,
}

/// <summary>An activation with its parameters. Immutable.</summary>
public sealed record Activation
{
    private Activation(ActivationKind kind, float a = 0, float b = 0, float[]? slopes = null)
    {
        Kind = kind;
        A = a;
        B = b;
        Slopes = slopes;
    }

    /// <summary>Which function.</summary>
    public ActivationKind Kind { get; }

    /// <summary>The shared PReLU slope, the LeakyReLU alpha, or the clip minimum.</summary>
    public float A { get; }

    /// <summary>The clip maximum.</summary>
    public float B { get; }

    /// <summary>Per-channel PReLU slopes, or null when one slope is shared.</summary>
    public float[]? Slopes { get; }

    /// <summary>Identity.</summary>
    public static Activation None { get; } = new(ActivationKind.None);

    /// <summary>ReLU.</summary>
    public static Activation Relu { get; } = new(ActivationKind.Relu);

    /// <summary>Tanh.</summary>
    public static Activation Tanh { get; } = new(ActivationKind.Tanh);

    /// <summary>Sigmoid.</summary>
    public static Activation Sigmoid { get; } = new(ActivationKind.Sigmoid);

    /// <summary>PReLU with one slope shared by all channels.</summary>
    public static Activation PRelu(float slope) => new(ActivationKind.PRelu, a: slope);

    /// <summary>PReLU with a slope per channel.</summary>
    public static Activation PRelu(float[] slopes) => new(ActivationKind.PRelu, slopes: (float[])slopes.Clone());

    /// <summary>LeakyReLU (PyTorch's default alpha is 0.01).</summary>
    public static Activation LeakyRelu(float alpha = 0.01f) => new(ActivationKind.LeakyRelu, a: alpha);

    /// <summary>Clip to [min, max].</summary>
    public static Activation Clip(float min, float max) => new(ActivationKind.Clip, min, max);

    internal void Validate(int? channels, string layer)
    {
        if (!float.IsFinite(A) || !float.IsFinite(B))
        {
            throw new ArgumentException($"{layer}: activation parameters must be finite, got {A}, {B}.");
        }
        if (Kind == ActivationKind.Clip && A > B)
        {
            throw new ArgumentException($"{layer}: clip minimum {A} exceeds maximum {B}.");
        }
        if (Slopes is not null)
        {
            if (channels is not null && Slopes.Length != channels)
            {
                throw new ArgumentException($"{layer}: {Slopes.Length} PReLU slopes for {channels} channels.");
            }
            if (Slopes.Any(s => !float.IsFinite(s)))
            {
                throw new ArgumentException($"{layer}: PReLU slopes must be finite.");
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ActivationKind.PRelu when Slopes is not null => $"PRelu[{Slopes.Length}]",
        ActivationKind.PRelu or ActivationKind.LeakyRelu => $"{Kind}({A})",
        ActivationKind.Clip => $"Clip({A}, {B})",
        _ => Kind.ToString(),
    };
}
