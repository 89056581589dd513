using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// One Vulkan context for the whole test run, with the validation layer and a debug messenger on. There is
/// no skip: without a Vulkan device every GPU test fails with the device report.
/// </summary>
public sealed class GpuFixture : IDisposable
{
    public GpuFixture()
    {
        Context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
    }

    public GpuContext Context { get; }

    /// <summary>Runs one layer on host data and returns its output.</summary>
    public HostTensor Run(LayerSpec spec, params HostTensor[] inputs)
    {
        using var layer = GpuLayer.Create(Context, spec);
        var tensors = inputs.Select(i => new GpuTensor(Context, i.Shape, i.ToFloat())).ToList();
        try
        {
            using var output = new GpuTensor(Context, layer.OutputShape(inputs.Select(i => i.Shape).ToArray()));
            using var dispatch = layer.Bind(tensors, output);
            Context.Execute(r => r.Dispatch(dispatch));
            return HostTensor.FromFloat(output.Shape, output.Download());
        }
        finally
        {
            tensors.ForEach(t => t.Dispose());
        }
    }

    /// <summary>Fails the current test if the validation layer reported anything since the last check.</summary>
    public void AssertValidationSilent()
    {
        var messages = Context.Validation!.Drain();
        Assert.True(messages.Count == 0,
            "The Vulkan validation layer reported:" + Environment.NewLine + string.Join(Environment.NewLine, messages));
    }

    public void Dispose()
    {
        Context.Dispose();
    }
}

/// <summary>Runs one layer in a given kernel tuning on a test's own context.</summary>
public static class TunedLayer
{
    /// <summary>
    /// Runs <paramref name="spec"/> built with <paramref name="tuning"/> on host <paramref name="inputs"/> and returns
    /// its output; any validation message on <paramref name="context"/> since the last check fails the test. The
    /// tensors are of the tuning's precision (float16 ones round the inputs to nearest on upload).
    /// </summary>
    public static HostTensor Run(GpuContext context, KernelTuning tuning, LayerSpec spec, params HostTensor[] inputs)
    {
        var tensors = inputs.Select(x => new GpuTensor(context, x.Shape, x.ToFloat(), tuning.Precision)).ToList();
        try
        {
            using var layer = GpuLayer.Create(context, spec, tuning: tuning);
            using var output = new GpuTensor(context, layer.OutputShape(inputs.Select(x => x.Shape).ToArray()), tuning.Precision);
            using var dispatch = layer.Bind(tensors, output);
            context.Execute(r => r.Dispatch(dispatch));
            var result = HostTensor.FromFloat(output.Shape, output.Download());
            var messages = context.Validation!.Drain();
            Assert.True(messages.Count == 0, "The Vulkan validation layer reported:" + Environment.NewLine + string.Join(Environment.NewLine, messages));
            return result;
        }
        finally
        {
            tensors.ForEach(t => t.Dispose());
        }
    }
}

[CollectionDefinition("Gpu")]
public sealed class GpuCollection : ICollectionFixture<GpuFixture>
{
}

/// <summary>Base of GPU test classes: after every test, any validation message fails it.</summary>
[Collection("Gpu")]
public abstract class GpuTest : IDisposable
{
    protected GpuTest(GpuFixture gpu)
    {
        Gpu = gpu;
        Gpu.Context.Validation!.Drain();
    }

    protected GpuFixture Gpu { get; }

    protected GpuContext Context => Gpu.Context;

    public void Dispose()
    {
        Gpu.AssertValidationSilent();
        GC.SuppressFinalize(this);
    }
}
