using System.Reflection;
using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling.Kernels;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every kernel's descriptor against the SPIR-V it describes: the specialization-constant ids, the
/// push-constant block's size and the bindings each embedded shader declares must be exactly what its
/// descriptor sets, for the network's, the upscaling layer's and the demo's shaders, and for the float16-tensor
/// variant (NAME_f16, include/storage.glsl) every network and upscaling kernel has; and the typed constants become
/// the right specialization data and the right pipelines.
/// </summary>
public sealed class KernelDescriptorTests : GpuTest
{
    private static readonly Assembly[] KernelAssemblies =
    {
        typeof(Conv2dKernel).Assembly,
        typeof(ImageToTensorKernel).Assembly,
        typeof(RealtimeUpscale.Demo.DemoKernels).Assembly,
    };

    public KernelDescriptorTests(GpuFixture gpu) : base(gpu)
    {
    }

    /// <summary>Every static field of every type of the assembly that holds a kernel descriptor.</summary>
    private static List<IKernelDescriptor> Descriptors(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(f => typeof(IKernelDescriptor).IsAssignableFrom(f.FieldType))
            .Select(f => (IKernelDescriptor)f.GetValue(null)!)
            .ToList();

    private static List<string> EmbeddedKernels(Assembly assembly) =>
        assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("shaders/", StringComparison.Ordinal) && n.EndsWith(".spv", StringComparison.Ordinal))
            .Select(n => n["shaders/".Length..^".spv".Length])
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The assemblies whose kernels also come as float16-tensor variants.</summary>
    private static readonly Assembly[] HalfAssemblies = { typeof(Conv2dKernel).Assembly, typeof(ImageToTensorKernel).Assembly };

    private static SpirvModule Module(IKernelDescriptor kernel, string suffix = "")
    {
        using var stream = kernel.Assembly.GetManifestResourceStream($"shaders/{kernel.Name}{suffix}.spv")!;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return new SpirvModule(bytes);
    }

    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in KernelAssemblies.SelectMany(Descriptors))
        {
            data.Add($"{kernel.Assembly.GetName().Name}:{kernel.Name}");
            if (HalfAssemblies.Contains(kernel.Assembly))
            {
                data.Add($"{kernel.Assembly.GetName().Name}:{kernel.Name}{KernelDispatch.HalfSuffix}");
            }
            if (kernel.HasHalfArithmetic)
            {
                data.Add($"{kernel.Assembly.GetName().Name}:{kernel.Name}{KernelDispatch.HalfMathSuffix}");
            }
        }
        return data;
    }

    /// <summary>The descriptor of a key of <see cref="Kernels"/> and its module (the half variant's for NAME_f16).</summary>
    private static (IKernelDescriptor Kernel, SpirvModule Module) Find(string key)
    {
        string suffix = new[] { KernelDispatch.HalfSuffix, KernelDispatch.HalfMathSuffix }.FirstOrDefault(x => key.EndsWith(x, StringComparison.Ordinal)) ?? "";
        string name = key[..^suffix.Length];
        var kernel = KernelAssemblies.SelectMany(Descriptors).Single(k => $"{k.Assembly.GetName().Name}:{k.Name}" == name);
        return (kernel, Module(kernel, suffix));
    }

    /// <summary>The convolutions, and only they, come with float16 multiply-adds.</summary>
    [Fact]
    public void TheConvolutionsHaveFloat16ArithmeticVariants()
    {
        var names = KernelAssemblies.SelectMany(Descriptors).Where(d => d.HasHalfArithmetic).Select(d => d.Name).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { "conv2d", "conv_pointwise", "deconv2d" }, names);
    }

    [Fact]
    public void EveryEmbeddedKernelHasExactlyOneDescriptorAndEveryDescriptorItsKernel()
    {
        foreach (var assembly in KernelAssemblies)
        {
            var described = Descriptors(assembly).Select(d => d.Name).ToList();
            if (HalfAssemblies.Contains(assembly))
            {
                described.AddRange(described.Select(n => n + KernelDispatch.HalfSuffix).ToList());
            }
            described.AddRange(Descriptors(assembly).Where(d => d.HasHalfArithmetic).Select(d => d.Name + KernelDispatch.HalfMathSuffix));
            described.Sort(StringComparer.Ordinal);
            Assert.All(Descriptors(assembly), d => Assert.Same(assembly, d.Assembly));
            var embedded = EmbeddedKernels(assembly);
            Assert.NotEmpty(embedded);
            Assert.Equal(embedded, described);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SpecializationConstantIdsMatchTheShader(string key)
    {
        var (kernel, module) = Find(key);
        // Both ways: every id the shader declares is set, and nothing is set that the shader lacks.
        Assert.Equal(module.SpecIds, kernel.ConstantIds.Order().ToArray());
        Assert.Equal(new uint[] { 0, 1, 2 }, kernel.ConstantIds.Take(3));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void PushConstantSizeMatchesTheShader(string key)
    {
        var (kernel, module) = Find(key);
        Assert.Equal(module.PushConstantSize, kernel.Layout.PushConstantSize);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BindingsMatchTheShader(string key)
    {
        var (kernel, module) = Find(key);
        var declared = module.Bindings;
        var expected = kernel.Layout.Bindings.Select((kind, i) => ((uint)i, kind)).ToArray();
        Assert.Equal(expected, declared.OrderBy(b => b.Key).Select(b => (b.Key, b.Value)).ToArray());
    }

    [Fact]
    public void ReaderFindsWhatConv2dDeclares()
    {
        // The reader itself, on numbers written in shaders/conv2d.comp: constant ids 0..37, a push block of 26
        // four-byte members, eleven bindings of four kinds.
        var module = Module(Conv2dKernel.Descriptor);
        Assert.Equal(Enumerable.Range(0, 38).Select(i => (uint)i), module.SpecIds);
        Assert.Equal(104u, module.PushConstantSize);
        Assert.Equal(BindingKind.UniformBuffer, module.Bindings[3]);
        Assert.Equal(BindingKind.UniformTexelBuffer, module.Bindings[4]);
        Assert.Equal(BindingKind.StorageBuffer, module.Bindings[5]);
        Assert.Equal(BindingKind.UniformTexelBuffer, module.Bindings[6]);
        Assert.Equal(BindingKind.StorageBuffer, module.Bindings[8]);
        Assert.Equal(BindingKind.UniformTexelBuffer, module.Bindings[9]);
        Assert.Equal(BindingKind.UniformTexelBuffer, module.Bindings[10]);
        Assert.Equal(BindingKind.SampledImage, Module(ImageToTensorKernel.Descriptor).Bindings[0]);
        Assert.Equal(BindingKind.StorageImage, Module(TensorToImageKernel.Descriptor).Bindings[1]);
        // scene.comp's block is ivec2, vec2 and four floats: 8 + 8 + 16.
        Assert.Equal(32u, Module(RealtimeUpscale.Demo.DemoKernels.Scene).PushConstantSize);
    }

    [Fact]
    public void ConstantsPackAtTheirIdsAfterTheWorkgroupSize()
    {
        var constants = new Conv2dKernel.Constants
        {
            KernelH = 5, KernelW = 3, Padding = PadCode.BoundedReplicate, Activation = ActivationCode.Clip,
            ActivationA = -0.5f, ActivationB = 1.25f, AlignCorners = true, Shuffle = ShuffleCode.Dcr, PixelsPerInvocation = 16,
            Border = 2, Texels = true, ResidualUpsample = UpsampleCode.Bicubic, BlocksFastest = true, ResidualCrop = true,
            ResidualScale = true, InputExpand = 12, ExpandActivation = ActivationCode.LeakyRelu, ExpandActivationB = 0.75f,
            ResidualWindow = true, VectorTexels = true, InputScaleTexels = true,
        };
        var data = Conv2dKernel.Descriptor.Specialize(constants);
        Assert.Equal(38, data.Length);
        Assert.Equal(1u, data[37]);                                   // IN_SCALE_TEXELS
        Assert.Equal(1u, data[36]);                                   // VEC_TEXELS
        Assert.Equal(1u, data[35]);                                   // RES_WINDOW
        Assert.Equal(12u, data[31]);                                  // IN_EXPAND
        Assert.Equal((uint)ActivationCode.LeakyRelu, data[32]);       // EXP_ACT
        Assert.Equal(0u, data[33]);                                   // EXP_ACT_A
        Assert.Equal(BitConverter.SingleToUInt32Bits(0.75f), data[34]); // EXP_ACT_B
        Assert.Equal(1u, data[28]);                                   // RES_CROP
        Assert.Equal(0u, data[29]);                                   // IN_SCALE
        Assert.Equal(1u, data[30]);                                   // RES_SCALE
        Assert.Equal(0u, data[22]);                                   // RESIDUAL
        Assert.Equal(3u, data[23]);                                   // RES_UPSAMPLE: UPSAMPLE_BICUBIC
        Assert.Equal(0u, data[26]);                                   // SUBGROUP_WEIGHTS
        Assert.Equal(1u, data[27]);                                   // BLOCKS_FASTEST
        Assert.Equal(new uint[] { 8, 8, 1 }, data[..3]);
        Assert.Equal(5u, data[3]);                                    // KH
        Assert.Equal(3u, data[4]);                                    // KW
        Assert.Equal(3u, data[7]);                                    // PAD_MODE: PAD_BOUNDED_REPLICATE
        Assert.Equal(7u, data[9]);                                    // ACT: ACT_CLIP
        Assert.Equal(BitConverter.SingleToUInt32Bits(-0.5f), data[10]); // ACT_A
        Assert.Equal(BitConverter.SingleToUInt32Bits(1.25f), data[11]); // ACT_B
        Assert.Equal(1u, data[13]);                                   // ALIGN_CORNERS
        Assert.Equal(2u, data[14]);                                   // SHUFFLE: SHUFFLE_DCR
        Assert.Equal(16u, data[19]);                                  // PX
        Assert.Equal(2u, data[20]);                                   // BORDER
        Assert.Equal(1u, data[21]);                                   // TEXELS
        Assert.Equal(new uint[] { 64, 1, 1 }, ConcatKernel.Descriptor.Specialize(default));
    }

    private struct GappedConstants
    {
        [SpecId(3)] public int A;
        [SpecId(5)] public int B;
    }

    private struct UnmarkedConstants
    {
        [SpecId(3)] public int A;
        public int B;
    }

    [Fact]
    public void ConstantsWithGapsOrUnmarkedFieldsAreRefused()
    {
        var workgroup = new WorkgroupSize(1, 1, 1);
        var gap = Assert.Throws<TypeInitializationException>(() => SpecializationConstants.Pack(workgroup, new GappedConstants { A = 1, B = 2 }));
        Assert.Contains("without gaps", gap.InnerException!.Message);
        var unmarked = Assert.Throws<TypeInitializationException>(() => SpecializationConstants.Pack(workgroup, new UnmarkedConstants { A = 1, B = 2 }));
        Assert.Contains("has no [SpecId]", unmarked.InnerException!.Message);
    }

    [Fact]
    public void EachSpecializationGetsItsOwnPipelineAndEqualOnesShareOne()
    {
        var kernel = Conv2dKernel.Descriptor;
        var constants = new Conv2dKernel.Constants
        {
            KernelH = 3, KernelW = 3, StrideY = 1, StrideX = 1, ChannelBlock = 4, ShuffleScale = 1, DilationY = 1, DilationX = 1,
            PixelsPerInvocation = 4,
        };
        var basic = kernel.Pipeline(Context, constants);
        Assert.Same(basic, kernel.Pipeline(Context, constants with { }));
        var morePixels = kernel.Pipeline(Context, constants with { PixelsPerInvocation = 8 });
        var texels = kernel.Pipeline(Context, constants with { Texels = true });
        Assert.NotSame(basic, morePixels);
        Assert.NotSame(basic, texels);
        Assert.NotSame(morePixels, texels);
        Assert.Same(texels, kernel.Pipeline(Context, constants with { Texels = true }));
    }

    [Fact]
    public void GeneratedCodesCarryEveryConstantOfCodesGlsl()
    {
        // The generated enums against their source: every "const int NAME = value; // Member: ..." of the enum
        // block "// enum Name: ..." is member Member of enum Name with that value, and the enums have no others.
        var enums = typeof(ActivationCode).Assembly.GetTypes()
            .Where(t => t.IsEnum && t.Namespace == typeof(ActivationCode).Namespace).ToDictionary(t => t.Name);
        var seen = new Dictionary<string, List<(string, int)>>();
        string? current = null;
        foreach (string line in File.ReadLines(System.IO.Path.Combine(SharedData.RepositoryRoot, "shaders", "include", "codes.glsl")))
        {
            var open = System.Text.RegularExpressions.Regex.Match(line, @"^// enum (\w+):");
            var member = System.Text.RegularExpressions.Regex.Match(line, @"^const int \w+ = (-?\d+); *// (\w+):");
            if (open.Success)
            {
                current = open.Groups[1].Value;
                seen[current] = new();
            }
            else if (member.Success)
            {
                seen[current!].Add((member.Groups[2].Value, int.Parse(member.Groups[1].Value)));
            }
        }
        Assert.Equal(7, seen.Count);
        foreach (var (name, members) in seen)
        {
            var type = enums[name];
            var actual = Enum.GetValues(type).Cast<object>().Select(v => (Enum.GetName(type, v)!, Convert.ToInt32(v))).ToList();
            Assert.Equal(members.OrderBy(m => m.Item2), actual.OrderBy(m => m.Item2));
        }
    }
}
