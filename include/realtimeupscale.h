/*
 * realtimeupscale.h: the C API of RealtimeUpscale, learned super-resolution as Vulkan compute shaders.
 * C99. Link against librealtimeupscale.so (realtimeupscale.dll on Windows), or dlopen() it.
 *
 * The library is a NativeAOT build that holds its whole runtime: load it once per process (one copy of
 * the .so; never two builds of it side by side).
 *
 * ---- Results and errors ----------------------------------------------------------------------------
 * Every function that can fail returns an rtup_result. On failure, rtup_get_last_error() returns a message
 * that names the problem (the argument, the format, the feature, the model file and node). It is the
 * calling thread's, valid until that thread's next call into the library; a successful call sets "".
 * No call ever lets an exception, a signal or an abort out of the library for a bad argument.
 *
 * ---- Structs --------------------------------------------------------------------------------------
 * Every struct with a struct_size field must have it set to sizeof(that struct) as declared here. Later
 * versions only append fields: a struct of an earlier version's size is accepted, its later fields read as
 * zero (rtup_upscaler_desc of API version 1: 40 bytes, without flags); a smaller value is
 * RTUP_ERROR_INVALID_ARGUMENT (it names struct_size).
 *
 * ---- Devices (rtup_vk_context_create) -------------------------------------------------------------
 * The host lends its instance, physical device, device and one queue. The library calls Vulkan only
 * through desc->get_instance_proc_addr (resolved for desc->instance), so it goes through the host's
 * loader, layers and any wrapping. It never destroys the host's handles and never waits for the device
 * to be idle. Needs: Vulkan 1.1; a queue family with VK_QUEUE_COMPUTE_BIT (any such family works); the
 * device feature shaderStorageImageWriteWithoutFormat, ENABLED at vkCreateDevice (a device that does
 * not support it gives RTUP_ERROR_UNSUPPORTED naming the feature). pipeline_cache may be
 * VK_NULL_HANDLE; otherwise the library builds its pipelines through it (it must stay alive until the
 * context is destroyed and must not be EXTERNALLY_SYNCHRONIZED).
 * One context per VkDevice.
 *
 * RTUP_DEVICE_NEVER_SUBMIT: the host submits everything. The library then never calls vkQueueSubmit,
 * vkQueueWaitIdle or vkDeviceWaitIdle: weight uploads that need a copy are recorded into the command
 * buffer of the next rtup_vk_upscaler_record, and nothing the GPU may still use is freed before the
 * frame indices say so. rtup_upscaler_run_rgba8 returns RTUP_ERROR_UNSUPPORTED.
 * Without the flag the library may submit to desc->queue inside rtup_upscaler_run_rgba8 (blocking): the
 * host must not use that queue from another thread meanwhile (Vulkan's external synchronisation).
 *
 * ---- Images (rtup_vk_upscaler_record) -------------------------------------------------------------
 * Usages each image needs (they cannot be queried from a VkImage, so they are not checked):
 *   input:  VK_IMAGE_USAGE_SAMPLED_BIT; a colour format with VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT
 *           (rgba8 unorm, bgra8 unorm, rgba16f, rgba32f, ...); 2D, mip 0, layer 0 is read.
 *   output: VK_IMAGE_USAGE_STORAGE_BIT; a format with VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT
 *           (rgba8 unorm, rgba16f, rgba32f). sRGB formats cannot be storage images: they give
 *           RTUP_ERROR_UNSUPPORTED naming the format (write an UNORM image or UNORM view instead).
 * Layouts: the input is in `layout` = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL or GENERAL and readable
 * by compute shaders (the host made its earlier writes visible to VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT /
 * VK_ACCESS_SHADER_READ_BIT); the output is in VK_IMAGE_LAYOUT_GENERAL and the host's earlier accesses of
 * it are ordered before compute-shader writes. Both are left in the layouts given. The library touches
 * the host's images only from compute shaders (no transfers, no layout changes of its own), so the
 * host's barriers around the call are all the synchronisation needed; the host synchronises its own later
 * use of the output (after VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT / VK_ACCESS_SHADER_WRITE_BIT).
 * The command buffer is in the recording state, outside a render pass, from a pool of the context's
 * queue family. The library binds its own compute pipelines and descriptor sets in it.
 * The first record of an upscaler also records its uploads into the same command buffer.
 * view may be VK_NULL_HANDLE: the library makes a 2D view (mip 0, layer 0, the image's format) and caches
 * it by (image, format, width, height). A new size or format under the same VkImage handle value (a
 * recreated image) gets a new view; the old one is freed once the frames that used it completed. A host
 * view is cached by (view, image, format, layout, size) likewise. An image recreated with the same handle
 * value, format and size cannot be told apart: call rtup_vk_upscaler_forget_images after recreating images.
 *
 * ---- Frames -----------------------------------------------------------------------------------------
 * frame_index is the host's frame counter for the context: it starts at 1 and never decreases (several
 * records may share a frame). completed_frame_index says every frame up to it has finished on the GPU
 * (0: none yet); it must be below frame_index. Objects the library retires (views of recreated images,
 * destroyed upscalers) are freed once a later call on the context reports the frames that used them
 * completed, or at rtup_context_destroy. rtup_upscaler_destroy may be called while frames are in flight.
 * The host may destroy its own images once the frames that used them completed.
 *
 * ---- Threading --------------------------------------------------------------------------------------
 * Calls on one context and its upscalers are serialised inside the library (any thread may call; they
 * run one at a time). An upscaler is recorded from one thread at a time, and a command buffer is the
 * host's to synchronise (Vulkan's rules). Contexts on different devices are independent.
 *
 * ---- Unity -------------------------------------------------------------------------------------------
 * The same library is a Unity native plugin (UnityPluginLoad / UnityPluginUnload). At Unity's
 * Initialize device event it makes a context on Unity's Vulkan device (NEVER_SUBMIT, Unity's pipeline
 * cache); rtup_unity_get_context returns it (do not destroy it: Unity's Shutdown event does). Make
 * upscalers on it, then issue rtup_unity_get_render_event_func() from a CommandBuffer with
 * rtup_unity_get_event_id() and a pointer to an rtup_unity_event kept alive until the render thread
 * has run the event. Each event accesses both textures through Unity (input for compute reads, output
 * in GENERAL for compute writes; Unity records the barriers), takes Unity's command buffer and records
 * the upscale; resources retire by Unity's safe frame number.
 */
#ifndef REALTIMEUPSCALE_H
#define REALTIMEUPSCALE_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define RTUP_API __declspec(dllimport)
#else
#  define RTUP_API
#endif

/* 2: rtup_upscaler_desc.flags (RTUP_UPSCALER_FP16) and RTUP_DEVICE_STORAGE_16BIT. A library of version 1 ignores
 * both: check rtup_get_api_version() >= 2 before relying on them. */
#define RTUP_API_VERSION 2

typedef struct rtup_context_t* rtup_context;
typedef struct rtup_upscaler_t* rtup_upscaler;

typedef enum rtup_result {
    RTUP_OK = 0,
    RTUP_ERROR_INVALID_ARGUMENT = -1, /* a NULL, a bad size, struct_size, flags, frame index, layout */
    RTUP_ERROR_MODEL = -2,            /* the model file is missing or cannot be read or run */
    RTUP_ERROR_UNSUPPORTED = -3,      /* a device feature, format or operation this build cannot do */
    RTUP_ERROR_OUT_OF_MEMORY = -4,    /* host or device memory */
    RTUP_ERROR_VULKAN = -5,           /* a Vulkan call failed (the message names it and its VkResult) */
    RTUP_ERROR_INTERNAL = -6
} rtup_result;

/* RTUP_API_VERSION of the library loaded (compare with the header's). */
RTUP_API uint32_t rtup_get_api_version(void);
/* This thread's last error message ("" after a success); valid until this thread's next call. */
RTUP_API const char* rtup_get_last_error(void);

#define RTUP_DEVICE_NEVER_SUBMIT 1u   /* the host submits everything */
#define RTUP_DEVICE_STORAGE_16BIT 2u  /* the host enabled storageBuffer16BitAccess (RTUP_UPSCALER_FP16 may run) */

typedef struct rtup_vk_device_desc {
    uint32_t struct_size;                       /* sizeof(rtup_vk_device_desc) */
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    VkQueue queue;                              /* used only by rtup_upscaler_run_rgba8 without NEVER_SUBMIT */
    uint32_t queue_family_index;                /* the family of queue and of the command buffers recorded */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    VkPipelineCache pipeline_cache;             /* may be VK_NULL_HANDLE */
    uint32_t flags;                             /* RTUP_DEVICE_NEVER_SUBMIT | RTUP_DEVICE_STORAGE_16BIT, or 0 */
} rtup_vk_device_desc;

/* A context on the host's device (see "Devices"). */
RTUP_API rtup_result rtup_vk_context_create(const rtup_vk_device_desc* desc, rtup_context* out);
/* A context on an instance and device of the library's own (the best device: discrete first). */
RTUP_API rtup_result rtup_context_create_default(rtup_context* out);
#define RTUP_CONTEXT_VALIDATION 1u /* rtup_context_create_default_with_flags: VK_LAYER_KHRONOS_validation on */
RTUP_API rtup_result rtup_context_create_default_with_flags(uint32_t flags, rtup_context* out);
/* Validation warnings and errors seen so far by a context made with RTUP_CONTEXT_VALIDATION (else 0). */
RTUP_API rtup_result rtup_context_get_validation_message_count(rtup_context ctx, uint32_t* count);
/* Destroys the context and every upscaler still alive on it; the host guarantees the GPU is done with
 * all of them. NULL is ignored; Unity's context (rtup_unity_get_context) is not destroyed here (the last
 * error says so): Unity's Shutdown event destroys it. */
RTUP_API void rtup_context_destroy(rtup_context ctx);

typedef struct rtup_upscaler_desc {
    uint32_t struct_size;      /* sizeof(rtup_upscaler_desc) */
    const char* model_path;    /* an ONNX file (UTF-8 path), or NULL with model_data */
    const void* model_data;    /* the ONNX file's bytes in memory (copied), or NULL with model_path */
    size_t model_size;
    uint32_t input_width, input_height;
    uint32_t flags;            /* RTUP_UPSCALER_FP16 or 0 (read only when struct_size covers it) */
} rtup_upscaler_desc;

/* Tensors between the layers stored as float16: half their memory and traffic, arithmetic still float32 (the
 * output moves by at most one 8-bit level). Needs storageBuffer16BitAccess: a context of the library's own enables
 * it where the device has it; a host's device says so with RTUP_DEVICE_STORAGE_16BIT. Else RTUP_ERROR_UNSUPPORTED. */
#define RTUP_UPSCALER_FP16 1u

/* Loads the model and prepares it for inputs of input_width x input_height. Another input size needs
 * another upscaler. */
RTUP_API rtup_result rtup_upscaler_create(rtup_context ctx, const rtup_upscaler_desc* desc, rtup_upscaler* out);
RTUP_API rtup_result rtup_upscaler_get_output_size(rtup_upscaler up, uint32_t* width, uint32_t* height);

typedef struct rtup_vk_image {
    VkImage image;
    VkImageView view;          /* may be VK_NULL_HANDLE: the library makes and caches one */
    VkFormat format;
    VkImageLayout layout;      /* the layout the image is in when the recorded work runs */
    uint32_t width, height;
} rtup_vk_image;

typedef struct rtup_vk_dispatch_desc {
    uint32_t struct_size;              /* sizeof(rtup_vk_dispatch_desc) */
    VkCommandBuffer command_buffer;    /* recording, outside a render pass */
    rtup_vk_image input, output;       /* input_width x input_height; the output size of the upscaler */
    uint64_t frame_index;              /* >= 1, never decreasing per context */
    uint64_t completed_frame_index;    /* every frame up to it has finished on the GPU; < frame_index */
    uint32_t flags;                    /* 0 in this version */
} rtup_vk_dispatch_desc;

/* Records the upscale of desc->input into desc->output (see "Images" and "Frames"); submits nothing. */
RTUP_API rtup_result rtup_vk_upscaler_record(rtup_upscaler up, const rtup_vk_dispatch_desc* desc);
/* Drops the views and bindings made for the host's images (freed once their frames completed): call it
 * after recreating images whose handle value, format and size may all be unchanged. */
RTUP_API rtup_result rtup_vk_upscaler_forget_images(rtup_upscaler up);
/* Host memory in and out (RGBA, 8 bits a channel; strides in bytes, 0 for tightly packed rows); blocking.
 * RTUP_ERROR_UNSUPPORTED on a RTUP_DEVICE_NEVER_SUBMIT context. */
RTUP_API rtup_result rtup_upscaler_run_rgba8(rtup_upscaler up, const uint8_t* input, uint32_t input_stride,
                                             uint8_t* output, uint32_t output_stride);
/* Freed once completed_frame_index passes the last frame that recorded it (or at context destroy).
 * NULL is ignored. */
RTUP_API void rtup_upscaler_destroy(rtup_upscaler up);

/* ---- Unity (see "Unity" above) ---- */
typedef struct rtup_unity_event {
    uint32_t struct_size;      /* sizeof(rtup_unity_event) */
    rtup_upscaler upscaler;    /* made on rtup_unity_get_context's context */
    void* input_texture;       /* Texture.GetNativeTexturePtr() */
    void* output_texture;      /* a RenderTexture with enableRandomWrite, UNORM (not sRGB) */
} rtup_unity_event;

/* The UnityRenderingEventAndData callback: void (*)(int eventId, void* data), data an rtup_unity_event*. */
RTUP_API void* rtup_unity_get_render_event_func(void);
/* The event id to issue it with (reserved from Unity at load; -1 before UnityPluginLoad). */
RTUP_API int rtup_unity_get_event_id(void);
/* The context on Unity's Vulkan device; RTUP_ERROR_UNSUPPORTED when Unity's device is not Vulkan. */
RTUP_API rtup_result rtup_unity_get_context(rtup_context* out);
/* The outcome of the last render or device event (events cannot return one); its message is copied
 * into message (size bytes, NUL-terminated) when message is not NULL. */
RTUP_API rtup_result rtup_unity_get_last_event_result(char* message, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* REALTIMEUPSCALE_H */
