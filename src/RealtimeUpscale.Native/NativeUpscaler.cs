using System.Text;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers.Onnx;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Native;

/// <summary>
/// What an <c>rtup_upscaler</c> is: an <see cref="Upscaler"/> and the image views it made for the host's
/// images. Views and cached bindings are keyed by more than a handle value (a destroyed image's handle may
/// come back for another image): a library-made view by (image, format, size), a host view by (view, image,
/// format, layout, size); when the rest of the key changes under the same handle the old view and bindings
/// retire at the last frame that used them, and new ones are made.
/// </summary>
internal sealed unsafe class NativeUpscaler : IDisposable
{
    /// <summary>rtup_upscaler_desc's size in this API version.</summary>
    public const uint UpscalerDescSize = 40;

    /// <summary>RTUP_UPSCALER_FP16.</summary>
    public const uint Fp16Flag = 1;

    /// <summary>rtup_vk_dispatch_desc's size in this API version.</summary>
    public const uint DispatchDescSize = 104;

    private readonly Dictionary<ulong, OwnedView> _views = new();                   // image -> view made here
    private readonly Dictionary<ulong, (VkImageDesc Desc, ulong Frame)> _hostViews = new(); // view -> last use
    private ulong _lastFrame;

    private NativeUpscaler(NativeContext context, Upscaler upscaler)
    {
        Context = context;
        Upscaler = upscaler;
    }

    public NativeContext Context { get; }

    public Upscaler Upscaler { get; }

    /// <summary>Loads the model (a path or bytes) and prepares it for the input size.</summary>
    public static NativeUpscaler Create(NativeContext context, in UpscalerDesc desc)
    {
        if (desc.StructSize < UpscalerDescSize)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_upscaler_desc.struct_size is {desc.StructSize}; this version needs at least {UpscalerDescSize}.");
        }
        if ((desc.ModelPath == 0) == (desc.ModelData == 0))
        {
            throw new ApiException(RtupResult.InvalidArgument,
                "rtup_upscaler_desc needs exactly one of model_path and model_data (with model_size).");
        }
        if (desc.InputWidth == 0 || desc.InputHeight == 0 || desc.InputWidth > 16384 || desc.InputHeight > 16384)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_upscaler_desc input size {desc.InputWidth}x{desc.InputHeight} is not within 1..16384.");
        }
        // The flags before the model: a bad flag costs no model load.
        if ((desc.Flags & ~Fp16Flag) != 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"rtup_upscaler_desc.flags has unknown bits 0x{desc.Flags & ~Fp16Flag:x}.");
        }
        var tuning = KernelTuning.ForDevice(context.Gpu.Traits);
        if ((desc.Flags & Fp16Flag) != 0)
        {
            if (!context.Gpu.HalfStorage)
            {
                throw new ApiException(RtupResult.Unsupported,
                    $"RTUP_UPSCALER_FP16 needs storageBuffer16BitAccess on {context.Gpu.DeviceName}: the device lacks it, or the host did not " +
                    "enable it and say so with RTUP_DEVICE_STORAGE_16BIT.");
            }
            tuning = tuning with { Precision = TensorPrecision.Float16 };
        }
        ModelDefinition model;
        if (desc.ModelPath != 0)
        {
            string path = new((sbyte*)desc.ModelPath);
            model = ModelDefinition.Load(path);
        }
        else
        {
            if (desc.ModelSize == 0 || desc.ModelSize > int.MaxValue)
            {
                throw new ApiException(RtupResult.InvalidArgument, $"rtup_upscaler_desc.model_size is {desc.ModelSize}.");
            }
            var bytes = new ReadOnlySpan<byte>((void*)desc.ModelData, (int)desc.ModelSize).ToArray();
            model = GraphOptimizer.Optimize(OnnxImporter.Import(OnnxModel.Parse(bytes, "the model bytes in memory")));
        }
        var upscaler = new Upscaler(context.Gpu, model, (int)desc.InputWidth, (int)desc.InputHeight, tuning);
        return new NativeUpscaler(context, upscaler);
    }

    /// <summary>Records one upscale into the host's command buffer (see the header for the contract).</summary>
    public void Record(in DispatchDesc desc)
    {
        if (desc.StructSize < DispatchDescSize)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_vk_dispatch_desc.struct_size is {desc.StructSize}; this version needs at least {DispatchDescSize}.");
        }
        if (desc.CommandBuffer == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, "rtup_vk_dispatch_desc.command_buffer is NULL.");
        }
        if (desc.Flags != 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"rtup_vk_dispatch_desc.flags is 0x{desc.Flags:x}; it must be 0 in this version.");
        }
        var gpu = Context.Gpu;
        if (desc.FrameIndex == 0 || desc.FrameIndex < gpu.NewestFrame || desc.CompletedFrameIndex >= desc.FrameIndex)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"rtup_vk_dispatch_desc frame_index {desc.FrameIndex} / completed_frame_index {desc.CompletedFrameIndex}: " +
                $"frame_index must be at least 1 and at least the newest frame recorded ({gpu.NewestFrame}), and completed_frame_index below it.");
        }
        CheckImage(desc.Input, "input", Upscaler.InputWidth, Upscaler.InputHeight, output: false);
        CheckImage(desc.Output, "output", Upscaler.OutputWidth, Upscaler.OutputHeight, output: true);
        gpu.CompleteFrames(desc.CompletedFrameIndex);
        ulong frame = desc.FrameIndex;
        var input = Bind(desc.Input, frame);
        var output = Bind(desc.Output, frame);
        var recorder = new CommandRecorder(gpu, new CommandBuffer(desc.CommandBuffer), frame);
        Upscaler.Record(recorder, input, output, keepAlpha: true);
        _lastFrame = frame;
    }

    /// <summary>Retires every view and binding made for the host's images at the frame that last used them.</summary>
    public void ForgetImages()
    {
        foreach (var view in _views.Values)
        {
            Retire(view);
        }
        _views.Clear();
        foreach (var (view, state) in _hostViews)
        {
            Upscaler.RetireBindings(new ImageView(view), state.Frame);
        }
        _hostViews.Clear();
    }

    /// <summary>Host memory in and out through a blocking submission (refused under NEVER_SUBMIT).</summary>
    public void RunRgba8(byte* input, uint inputStride, byte* output, uint outputStride)
    {
        if (Context.Gpu.NeverSubmit)
        {
            throw new ApiException(RtupResult.Unsupported,
                "rtup_upscaler_run_rgba8 submits to the queue, which a context made with RTUP_DEVICE_NEVER_SUBMIT may not do; use rtup_vk_upscaler_record.");
        }
        if (input == null || output == null)
        {
            throw new ApiException(RtupResult.InvalidArgument, input == null ? "input is NULL." : "output is NULL.");
        }
        int inRow = Upscaler.InputWidth * 4, outRow = Upscaler.OutputWidth * 4;
        inputStride = inputStride == 0 ? (uint)inRow : inputStride;
        outputStride = outputStride == 0 ? (uint)outRow : outputStride;
        if (inputStride < inRow || outputStride < outRow)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"input_stride {inputStride} / output_stride {outputStride} are below a row of {inRow} / {outRow} bytes.");
        }
        var packed = new byte[inRow * Upscaler.InputHeight];
        for (int y = 0; y < Upscaler.InputHeight; y++)
        {
            new ReadOnlySpan<byte>(input + (long)y * inputStride, inRow).CopyTo(packed.AsSpan(y * inRow, inRow));
        }
        var result = Upscaler.Upscale(packed, PixelFormat.Rgba);
        for (int y = 0; y < Upscaler.OutputHeight; y++)
        {
            result.AsSpan(y * outRow, outRow).CopyTo(new Span<byte>(output + (long)y * outputStride, outRow));
        }
    }

    /// <summary>rtup_upscaler_destroy: freed once the frames that used it are reported complete.</summary>
    public void Dispose()
    {
        if (_lastFrame == 0)
        {
            DisposeNow(); // never recorded: nothing of the GPU's uses it
        }
        else
        {
            Context.Gpu.DisposeAfterFrame(new Deferred(this), _lastFrame);
        }
    }

    /// <summary>Frees everything now (the GPU is done with it).</summary>
    public void DisposeNow()
    {
        foreach (var view in _views.Values)
        {
            view.Dispose();
        }
        _views.Clear();
        Upscaler.Dispose();
    }

    /// <summary>
    /// VK_FORMAT_R8G8B8A8_SRGB from Silk's R8G8B8A8Srgb: a token is a capital with its lower-case letters and
    /// digits; components (one capital and digits: R8, G8, D24) run together, words (Srgb, Unorm, Pack32) get
    /// an underscore before them.
    /// </summary>
    internal static string FormatName(Format format)
    {
        string name = format.ToString();
        if (!Enum.IsDefined(format))
        {
            return $"VkFormat {(int)format}";
        }
        var s = new StringBuilder("VK_FORMAT");
        bool previousComponent = false;
        for (int i = 0; i < name.Length;)
        {
            int end = i + 1;
            while (end < name.Length && char.IsLower(name[end]))
            {
                end++;
            }
            bool component = end == i + 1;
            while (end < name.Length && (char.IsDigit(name[end]) || name[end] == 'x'))
            {
                end++;
            }
            component &= end > i + 1;
            if (!(component && previousComponent))
            {
                s.Append('_');
            }
            s.Append(name.AsSpan(i, end - i).ToString().ToUpperInvariant());
            previousComponent = component;
            i = end;
        }
        return s.ToString();
    }

    private void CheckImage(in VkImageDesc image, string which, int width, int height, bool output)
    {
        if (image.Image == 0)
        {
            throw new ApiException(RtupResult.InvalidArgument, $"rtup_vk_dispatch_desc.{which}.image is VK_NULL_HANDLE.");
        }
        if (image.Width != width || image.Height != height)
        {
            throw new ApiException(RtupResult.InvalidArgument,
                $"The {which} image is {image.Width}x{image.Height}; this upscaler {(output ? "writes" : "reads")} {width}x{height}.");
        }
        var format = (Format)image.Format;
        var layout = (ImageLayout)image.Layout;
        var gpu = Context.Gpu;
        gpu.Vk.GetPhysicalDeviceFormatProperties(gpu.PhysicalDevice, format, out var props);
        if (output)
        {
            if (FormatName(format).Contains("SRGB"))
            {
                throw new ApiException(RtupResult.Unsupported,
                    $"The output format {FormatName(format)} is sRGB, which cannot be a storage image; use an UNORM image (or an UNORM view of a mutable-format image) and convert when presenting.");
            }
            if ((props.OptimalTilingFeatures & FormatFeatureFlags.StorageImageBit) == 0)
            {
                throw new ApiException(RtupResult.Unsupported,
                    $"The output format {FormatName(format)} cannot be a storage image on this device (no VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT).");
            }
            if (layout != ImageLayout.General)
            {
                throw new ApiException(RtupResult.InvalidArgument,
                    $"The output image's layout is {layout}; it must be VK_IMAGE_LAYOUT_GENERAL (a storage image).");
            }
        }
        else
        {
            if ((props.OptimalTilingFeatures & FormatFeatureFlags.SampledImageBit) == 0)
            {
                throw new ApiException(RtupResult.Unsupported,
                    $"The input format {FormatName(format)} cannot be sampled on this device (no VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT).");
            }
            if (layout is not (ImageLayout.General or ImageLayout.ShaderReadOnlyOptimal))
            {
                throw new ApiException(RtupResult.InvalidArgument,
                    $"The input image's layout is {layout}; it must be VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL or VK_IMAGE_LAYOUT_GENERAL.");
            }
        }
    }

    /// <summary>The binding of one of the host's images, with a view made (or reused) here when it gave none.</summary>
    private ImageBinding Bind(in VkImageDesc image, ulong frame)
    {
        var layout = (ImageLayout)image.Layout;
        ImageView view;
        if (image.View == 0)
        {
            if (_views.TryGetValue(image.Image, out var owned) &&
                (owned.Format != image.Format || owned.Width != image.Width || owned.Height != image.Height))
            {
                // The handle came back for another image (or the image was recreated): a new view.
                Retire(owned);
                _views.Remove(image.Image);
                owned = null;
            }
            if (owned is null)
            {
                owned = new OwnedView(Context.Gpu, image);
                _views.Add(image.Image, owned);
            }
            owned.Frame = frame;
            view = owned.View;
        }
        else
        {
            if (_hostViews.TryGetValue(image.View, out var seen) && !seen.Desc.Equals(image))
            {
                // The same view handle for another image, format, layout or size: bind afresh.
                Upscaler.RetireBindings(new ImageView(image.View), seen.Frame);
            }
            _hostViews[image.View] = (image, frame);
            view = new ImageView(image.View);
        }
        return new ImageBinding(new Image(image.Image), view, layout, (int)image.Width, (int)image.Height);
    }

    private void Retire(OwnedView owned)
    {
        Upscaler.RetireBindings(owned.View, owned.Frame);
        Context.Gpu.DisposeAfterFrame(owned, owned.Frame);
    }

    /// <summary>The upscaler's resources, destroyed by the context once its last frame completed.</summary>
    private sealed class Deferred(NativeUpscaler upscaler) : IDisposable
    {
        public void Dispose() => upscaler.DisposeNow();
    }

    /// <summary>A 2D colour view of mip 0, layer 0 of a host image, made and destroyed by the library.</summary>
    private sealed class OwnedView : IDisposable
    {
        private readonly GpuContext _gpu;

        public OwnedView(GpuContext gpu, in VkImageDesc image)
        {
            _gpu = gpu;
            Format = image.Format;
            Width = image.Width;
            Height = image.Height;
            var info = new ImageViewCreateInfo(
                image: new Image(image.Image), viewType: ImageViewType.Type2D, format: (Format)image.Format,
                subresourceRange: new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1));
            gpu.Vk.CreateImageView(gpu.Device, in info, null, out var view).Check("vkCreateImageView");
            View = view;
        }

        public int Format { get; }

        public uint Width { get; }

        public uint Height { get; }

        public ImageView View { get; private set; }

        public ulong Frame { get; set; }

        public void Dispose()
        {
            if (View.Handle != 0)
            {
                _gpu.Vk.DestroyImageView(_gpu.Device, View, null);
                View = default;
            }
        }
    }
}
