using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>The device selector: requirements, a reason for every candidate, traits of the chosen device.</summary>
public sealed unsafe class DeviceSelectorTests : IDisposable
{
    private readonly VulkanInstance _instance = new InstanceBuilder { EnableValidation = true }.Build();

    [Fact]
    public void ChosenDeviceHasItsReasonAndTraits()
    {
        var selection = new DeviceSelector().Select(_instance.Vk, _instance.Handle);
        var chosen = Assert.Single(selection.Candidates, c => c.Chosen);
        Assert.Contains("preferred type", chosen.Reason);
        Assert.All(selection.Candidates, c => Assert.False(string.IsNullOrWhiteSpace(c.Reason)));
        var vk = _instance.Vk;
        vk.GetPhysicalDeviceProperties(selection.Device, out var props);
        Assert.Equal(props.DeviceType, selection.Traits.Type);
        Assert.Equal(chosen.Name, selection.Traits.Name);
        uint count = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(selection.Device, ref count, null);
        var families = new QueueFamilyProperties[count];
        fixed (QueueFamilyProperties* p = families)
        {
            vk.GetPhysicalDeviceQueueFamilyProperties(selection.Device, ref count, p);
        }
        Assert.NotEqual(0u, (uint)(families[selection.QueueFamily].QueueFlags & QueueFlags.ComputeBit));
        Assert.Equal(families[selection.QueueFamily].TimestampValidBits, selection.Traits.TimestampValidBits);
        Assert.Equal(props.Limits.TimestampPeriod, selection.Traits.TimestampPeriod);
        Assert.True(selection.Traits.SubgroupSize >= 1 && (selection.Traits.SubgroupSize & (selection.Traits.SubgroupSize - 1)) == 0);
        vk.GetPhysicalDeviceMemoryProperties(selection.Device, out var memory);
        bool mappable = Enumerable.Range(0, (int)memory.MemoryTypeCount).Any(i =>
            memory.MemoryTypes[i].PropertyFlags.HasFlag(MemoryPropertyFlags.DeviceLocalBit | MemoryPropertyFlags.HostVisibleBit |
                                                        MemoryPropertyFlags.HostCoherentBit));
        Assert.Equal(mappable, selection.Traits.HostVisibleDeviceMemory);
    }

    [Fact]
    public void RejectedCandidatesSayWhichRequirementFailed()
    {
        var device = Assert.Throws<GpuUnavailableException>(() => new DeviceSelector()
            .Require("no imaginary feature", d => !d.Name.Contains(d.Name, StringComparison.Ordinal))
            .Select(_instance.Vk, _instance.Handle));
        Assert.Contains("rejected: no imaginary feature", device.Message);

        var family = Assert.Throws<GpuUnavailableException>(() => new DeviceSelector()
            .RequireQueueFamily("no queue family presents to the test's window", (_, _) => false)
            .Select(_instance.Vk, _instance.Handle));
        Assert.Contains("rejected: no queue family presents to the test's window", family.Message);

        var version = Assert.Throws<GpuUnavailableException>(() =>
            new DeviceSelector { MinimumApiVersion = Vk.MakeVersion(9, 0) }.Select(_instance.Vk, _instance.Handle));
        Assert.Contains("9.0.0 is required", version.Message);
    }

    [Fact]
    public void ARequestedNameThatMatchesNothingIsRefusedWithEveryCandidate()
    {
        var selection = new DeviceSelector().Select(_instance.Vk, _instance.Handle);
        var e = Assert.Throws<GpuUnavailableException>(() =>
            new DeviceSelector { Requested = "no-such-gpu-anywhere" }.Select(_instance.Vk, _instance.Handle));
        Assert.Contains("no-such-gpu-anywhere", e.Message);
        Assert.Contains(selection.Traits.Name, e.Message);
        var byName = new DeviceSelector { Requested = selection.Traits.Name.ToUpperInvariant() }.Select(_instance.Vk, _instance.Handle);
        Assert.Contains("matches", Assert.Single(byName.Candidates, c => c.Chosen).Reason);
    }

    public void Dispose()
    {
        var messages = _instance.Validation!.Drain();
        _instance.Dispose();
        Assert.True(messages.Count == 0, string.Join(Environment.NewLine, messages));
    }
}
