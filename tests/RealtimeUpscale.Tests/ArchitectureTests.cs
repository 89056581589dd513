using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The layering the project declares, checked on the compiled assemblies: the GPU runtime knows nothing of
/// networks; the network (model formats, passes, kernels) knows nothing of image files, windows or the
/// command line; the upscaling layer knows nothing of windows or image files; the applications sit on top.
/// A reference the compiler keeps is a real use, so the assemblies' reference tables are the truth.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Runtime = typeof(GpuContext).Assembly;
    private static readonly Assembly Network = typeof(ModelDefinition).Assembly;
    private static readonly Assembly Upscaling = typeof(Upscaler).Assembly;
    private static readonly Assembly Imaging = typeof(Imaging.HostImage).Assembly;
    private static readonly Assembly Cli = typeof(Cli.CliErrors).Assembly;
    private static readonly Assembly Demo = typeof(Demo.DemoApp).Assembly;

    /// <summary>Assemblies that read or write image files, open windows, or make up the command line.</summary>
    private static readonly string[] ImageFileLibraries = { "StbImageSharp", "StbImageWriteSharp", "SixLabors.ImageSharp" };

    private static readonly string[] CommandLineLibraries = { "System.CommandLine", "Spectre.Console" };

    [Fact]
    public void RuntimeReferencesNoOtherProjectAssembly()
    {
        AssertReferencesNone(Runtime, ProjectAssemblies().Where(a => a != Runtime));
        AssertReferencesNoneByName(Runtime, ImageFileLibraries.Concat(CommandLineLibraries).Append("Google.Protobuf"));
    }

    [Fact]
    public void NetworkReferencesOnlyTheRuntime()
    {
        AssertReferencesNone(Network, new[] { Upscaling, Imaging, Cli, Demo });
        AssertReferencesNoneByName(Network, ImageFileLibraries.Concat(CommandLineLibraries));
        Assert.Contains(References(Network), name => name == Runtime.GetName().Name);
    }

    [Fact]
    public void UpscalingReferencesNoWindowImageFileOrCommandLine()
    {
        AssertReferencesNone(Upscaling, new[] { Imaging, Cli, Demo });
        AssertReferencesNoneByName(Upscaling, ImageFileLibraries.Concat(CommandLineLibraries));
    }

    [Fact]
    public void ImagingIsIndependentOfTheGpuLibrary()
    {
        AssertReferencesNone(Imaging, new[] { Runtime, Network, Upscaling, Cli, Demo });
        AssertReferencesNoneByName(Imaging, new[] { "Silk.NET.Vulkan" }.Concat(CommandLineLibraries));
    }

    [Fact]
    public void DemoDoesNotDependOnTheCommandLine()
    {
        AssertReferencesNone(Demo, new[] { Cli });
        AssertReferencesNoneByName(Demo, CommandLineLibraries);
    }

    [Fact]
    public void RuntimeAndUpscalingDoNoFileInputOrOutput()
    {
        // The library reads model files (the network's importers) and nothing else from disk: persistence
        // (pipeline caches, images) belongs to the applications.
        string[] fileTypes = { "System.IO.File", "System.IO.FileStream", "System.IO.FileInfo", "System.IO.Directory", "System.IO.DirectoryInfo" };
        foreach (var assembly in new[] { Runtime, Upscaling })
        {
            var used = ReferencedTypes(assembly).Where(fileTypes.Contains).ToArray();
            Assert.True(used.Length == 0, $"{assembly.GetName().Name} uses {string.Join(", ", used)}.");
        }
    }

    [Fact]
    public void LibraryNamespacesMatchTheirAssemblies()
    {
        foreach (var assembly in new[] { Runtime, Network, Upscaling, Imaging })
        {
            string root = assembly.GetName().Name!;
            var strays = assembly.GetTypes()
                .Where(t => t.Namespace is not null && !t.Namespace.StartsWith(root, StringComparison.Ordinal)
                            && !t.Namespace.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)
                            && !t.Namespace.StartsWith("System.", StringComparison.Ordinal))
                .Select(t => t.FullName).ToArray();
            Assert.True(strays.Length == 0, $"{root} holds types outside its namespace: {string.Join(", ", strays)}");
        }
    }

    [Fact]
    public void TestsFollowOneNamingConvention()
    {
        // Test classes are named XxxTests; test methods are PascalCase sentences without underscores.
        var testMethods = typeof(ArchitectureTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any())
            .ToArray();
        Assert.NotEmpty(testMethods);
        var badClasses = testMethods.Select(m => m.DeclaringType!).Distinct()
            .Where(t => !t.Name.EndsWith("Tests", StringComparison.Ordinal)).Select(t => t.Name).ToArray();
        var badMethods = testMethods.Where(m => m.Name.Contains('_', StringComparison.Ordinal) || !char.IsUpper(m.Name[0]))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToArray();
        Assert.True(badClasses.Length == 0, "Test classes not named XxxTests: " + string.Join(", ", badClasses));
        Assert.True(badMethods.Length == 0, "Test methods not in PascalCase: " + string.Join(", ", badMethods));
    }

    private static Assembly[] ProjectAssemblies() => new[] { Runtime, Network, Upscaling, Imaging, Cli, Demo };

    private static string[] References(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

    private static void AssertReferencesNone(Assembly assembly, IEnumerable<Assembly> forbidden) =>
        AssertReferencesNoneByName(assembly, forbidden.Select(a => a.GetName().Name!));

    private static void AssertReferencesNoneByName(Assembly assembly, IEnumerable<string> forbidden)
    {
        var found = References(assembly).Intersect(forbidden).ToArray();
        Assert.True(found.Length == 0, $"{assembly.GetName().Name} references {string.Join(", ", found)}.");
    }

    /// <summary>Full names of every type the assembly's code refers to in other assemblies (its TypeRef table).</summary>
    private static HashSet<string> ReferencedTypes(Assembly assembly)
    {
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in reader.TypeReferences)
        {
            var type = reader.GetTypeReference(handle);
            string ns = reader.GetString(type.Namespace);
            names.Add(ns.Length == 0 ? reader.GetString(type.Name) : $"{ns}.{reader.GetString(type.Name)}");
        }
        return names;
    }
}
