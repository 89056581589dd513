using Silk.NET.Core.Native;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>One physical device as a requirement sees it.</summary>
/// <param name="Handle">The physical device.</param>
/// <param name="Index">Position in <c>vkEnumeratePhysicalDevices</c> order.</param>
/// <param name="Name">The driver's device name.</param>
/// <param name="Properties">Properties and limits.</param>
/// <param name="Features">Supported core features.</param>
/// <param name="QueueFamilies">Its queue families, in index order.</param>
/// <param name="Extensions">Names of the device extensions it supports.</param>
public sealed record PhysicalDeviceInfo(
    PhysicalDevice Handle,
    int Index,
    string Name,
    PhysicalDeviceProperties Properties,
    PhysicalDeviceFeatures Features,
    IReadOnlyList<QueueFamilyProperties> QueueFamilies,
    IReadOnlySet<string> Extensions);

/// <summary>The device a <see cref="DeviceSelector"/> chose, its queue family, and the report on every candidate.</summary>
/// <param name="Device">The chosen physical device.</param>
/// <param name="QueueFamily">The queue family to create the queue from.</param>
/// <param name="Traits">The chosen device's traits.</param>
/// <param name="Candidates">Every device seen, with why it was chosen, passed over or rejected.</param>
public sealed record DeviceSelection(
    PhysicalDevice Device,
    uint QueueFamily,
    DeviceTraits Traits,
    IReadOnlyList<DeviceCandidate> Candidates);

/// <summary>
/// Chooses a physical device and a queue family against a list of requirements, and says for every
/// candidate why it was chosen, passed over or rejected (as vk-bootstrap does). The library's own
/// requirements (Vulkan 1.1, a compute queue family) are always checked; applications add theirs with
/// <see cref="Require"/> and <see cref="RequireQueueFamily"/> (a window's present support, an extension).
/// Among the devices that meet every requirement, <see cref="Requested"/> picks one, else the preferred type.
/// </summary>
public sealed unsafe class DeviceSelector
{
    private readonly List<(string Problem, Func<PhysicalDeviceInfo, bool> Met)> _requirements = new();
    private readonly List<(string Problem, Func<PhysicalDeviceInfo, uint, bool> Met)> _familyRequirements = new();

    /// <summary>
    /// A whole number is an index into the enumeration order, anything else a case-insensitive substring of
    /// the device name; null or blank lets the device type decide.
    /// </summary>
    public string? Requested { get; set; }

    /// <summary>The lowest acceptable Vulkan version of a device (1.1 by default; the library needs no less).</summary>
    public uint MinimumApiVersion { get; set; } = Vk.Version11;

    /// <summary>
    /// Adds a device requirement: a device for which <paramref name="met"/> is false is rejected with
    /// "rejected: <paramref name="problem"/>" (e.g. "no VK_KHR_swapchain").
    /// </summary>
    public DeviceSelector Require(string problem, Func<PhysicalDeviceInfo, bool> met)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(problem);
        ArgumentNullException.ThrowIfNull(met);
        _requirements.Add((problem, met));
        return this;
    }

    /// <summary>
    /// Adds a queue-family requirement (e.g. presents to a surface): only families with compute for which
    /// <paramref name="met"/> holds are considered; a device with none is rejected with
    /// "rejected: <paramref name="problem"/>".
    /// </summary>
    public DeviceSelector RequireQueueFamily(string problem, Func<PhysicalDeviceInfo, uint, bool> met)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(problem);
        ArgumentNullException.ThrowIfNull(met);
        _familyRequirements.Add((problem, met));
        return this;
    }

    /// <summary>
    /// Chooses a device. Throws <see cref="GpuUnavailableException"/>, listing every candidate and why, when
    /// no device meets the requirements or none matches <see cref="Requested"/>.
    /// </summary>
    public DeviceSelection Select(Vk vk, Instance instance)
    {
        ArgumentNullException.ThrowIfNull(vk);
        string? requested = string.IsNullOrWhiteSpace(Requested) ? null : Requested;
        uint count = 0;
        vk.EnumeratePhysicalDevices(instance, ref count, null).Check("vkEnumeratePhysicalDevices");
        var devices = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = devices)
        {
            vk.EnumeratePhysicalDevices(instance, ref count, p).Check("vkEnumeratePhysicalDevices");
        }

        var infos = new List<(PhysicalDeviceInfo Info, int Family, string? Problem)>();
        for (int i = 0; i < devices.Length; i++)
        {
            var info = Describe(vk, devices[i], i);
            int family = -1;
            string? problem = Check(info, ref family);
            infos.Add((info, family, problem));
        }

        int pick = -1;
        string pickReason = "";
        bool byIndex = int.TryParse(requested, out int index);
        for (int i = 0; i < infos.Count; i++)
        {
            if (infos[i].Problem is not null)
            {
                continue;
            }
            if (requested is not null)
            {
                bool match = byIndex ? i == index : infos[i].Info.Name.Contains(requested, StringComparison.OrdinalIgnoreCase);
                if (match && pick < 0)
                {
                    pick = i;
                    pickReason = byIndex ? $"requested by index {index}" : $"name matches '{requested}'";
                }
            }
            else if (pick < 0 || TypeRank(infos[i].Info.Properties.DeviceType) > TypeRank(infos[pick].Info.Properties.DeviceType))
            {
                pick = i;
                pickReason = $"preferred type ({infos[i].Info.Properties.DeviceType}; discrete > integrated > virtual > CPU)";
            }
        }

        var candidates = new List<DeviceCandidate>();
        for (int i = 0; i < infos.Count; i++)
        {
            var (info, _, problem) = infos[i];
            string reason = problem is not null ? "rejected: " + problem
                : i == pick ? pickReason
                : requested is not null ? $"does not match the requested device '{requested}'"
                : $"a {infos[pick].Info.Properties.DeviceType} device is preferred over {info.Properties.DeviceType}";
            candidates.Add(new DeviceCandidate(i, info.Name, info.Properties.DeviceType,
                FormatVersion(info.Properties.ApiVersion), problem is null, i == pick, reason));
        }

        if (pick < 0)
        {
            string list = candidates.Count == 0
                ? "  (the Vulkan loader found no devices; install mesa-vulkan-drivers for the lavapipe CPU device)"
                : string.Join(Environment.NewLine, candidates.Select(c => "  " + c));
            string what = requested is null ? "No usable Vulkan device was found"
                : $"No usable Vulkan device matches '{requested}'";
            throw new GpuUnavailableException($"{what}. Devices seen:{Environment.NewLine}{list}");
        }
        uint chosenFamily = (uint)infos[pick].Family;
        var device = infos[pick].Info.Handle;
        return new DeviceSelection(device, chosenFamily, DeviceTraits.Query(vk, device, chosenFamily), candidates);
    }

    /// <summary>How much a device type is preferred when none is requested: discrete 4, integrated 3, virtual 2, CPU 1.</summary>
    public static int TypeRank(PhysicalDeviceType t) => t switch
    {
        PhysicalDeviceType.DiscreteGpu => 4,
        PhysicalDeviceType.IntegratedGpu => 3,
        PhysicalDeviceType.VirtualGpu => 2,
        PhysicalDeviceType.Cpu => 1,
        _ => 0,
    };

    /// <summary>Formats a packed Vulkan version as "major.minor.patch".</summary>
    public static string FormatVersion(uint v) => $"{v >> 22 & 0x7F}.{v >> 12 & 0x3FF}.{v & 0xFFF}";

    internal static IReadOnlyList<QueueFamilyProperties> QueueFamilies(Vk vk, PhysicalDevice device)
    {
        uint count = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* p = families)
        {
            vk.GetPhysicalDeviceQueueFamilyProperties(device, ref count, p);
        }
        return families;
    }

    /// <summary>The first problem with <paramref name="info"/>, or null; sets the family to use when there is none.</summary>
    private string? Check(PhysicalDeviceInfo info, ref int family)
    {
        if (info.Properties.ApiVersion < MinimumApiVersion)
        {
            return $"supports only Vulkan {FormatVersion(info.Properties.ApiVersion)}, {FormatVersion(MinimumApiVersion)} is required";
        }
        foreach (var (problem, met) in _requirements)
        {
            if (!met(info))
            {
                return problem;
            }
        }
        // Prefers a family with graphics and compute (what engines share), else any with compute.
        int computeOnly = -1;
        int shared = -1;
        string? familyProblem = "no queue family supports compute";
        for (int i = 0; i < info.QueueFamilies.Count; i++)
        {
            var flags = info.QueueFamilies[i].QueueFlags;
            if ((flags & QueueFlags.ComputeBit) == 0 || info.QueueFamilies[i].QueueCount == 0)
            {
                continue;
            }
            var unmet = _familyRequirements.FirstOrDefault(r => !r.Met(info, (uint)i));
            if (unmet.Met is not null)
            {
                familyProblem = unmet.Problem;
                continue;
            }
            if ((flags & QueueFlags.GraphicsBit) != 0 && shared < 0)
            {
                shared = i;
            }
            if (computeOnly < 0)
            {
                computeOnly = i;
            }
        }
        family = shared >= 0 ? shared : computeOnly;
        return family < 0 ? familyProblem : null;
    }

    private static PhysicalDeviceInfo Describe(Vk vk, PhysicalDevice device, int index)
    {
        vk.GetPhysicalDeviceProperties(device, out var props);
        vk.GetPhysicalDeviceFeatures(device, out var features);
        uint count = 0;
        vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref count, null).Check("vkEnumerateDeviceExtensionProperties");
        var extensions = new ExtensionProperties[count];
        fixed (ExtensionProperties* p = extensions)
        {
            vk.EnumerateDeviceExtensionProperties(device, (byte*)null, ref count, p).Check("vkEnumerateDeviceExtensionProperties");
        }
        var names = new HashSet<string>();
        foreach (var e in extensions)
        {
            var copy = e;
            names.Add(SilkMarshal.PtrToString((nint)copy.ExtensionName) ?? "");
        }
        return new PhysicalDeviceInfo(device, index, SilkMarshal.PtrToString((nint)props.DeviceName) ?? "unknown",
            props, features, QueueFamilies(vk, device), names);
    }
}
