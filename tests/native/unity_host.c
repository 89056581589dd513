/*
 * A host that plays Unity for the native library's Unity plugin, as the tests run it
 * (tests/RealtimeUpscale.Tests/NativeLibraryTests.cs):
 *
 *   unity_host LIB MODEL IN W H OUT
 *
 * It declares IUnityInterfaces, IUnityGraphics and IUnityGraphicsVulkanV2 as Unity's public plugin headers
 * lay them out (IUnityInterface.h, IUnityGraphics.h, IUnityGraphicsVulkan.h), implements the functions the
 * plugin uses (the rest fail the run if called), dlopen()s LIB, calls UnityPluginLoad, creates its Vulkan
 * device (validation + synchronisation validation) and sends the Initialize device event. Then, as Unity's
 * render thread would, it runs six frames, three in flight, each issuing the plugin's render event with an
 * rtup_unity_event for its textures (input IN, RGBA8 W x H) inside its frame's command buffer, and writes
 * the output to OUT; the test compares it with the C# Upscaler's bytes. AccessTexture records the barriers
 * Unity would; the run checks the order of the plugin's calls (both textures accessed before the recording
 * state is taken), that the plugin never submits (its vkGetInstanceProcAddr counts), that every pipeline
 * is built through Unity's pipeline cache, error events, and Shutdown and UnityPluginUnload.
 */
#include "rtup_loader.h"
#include <stdbool.h>

/* ---- IUnityInterface.h ---- */
typedef struct UnityInterfaceGUID {
    unsigned long long m_GUIDHigh;
    unsigned long long m_GUIDLow;
} UnityInterfaceGUID;
typedef void IUnityInterface;
typedef struct IUnityInterfaces {
    IUnityInterface* (*GetInterface)(UnityInterfaceGUID guid);
    void (*RegisterInterface)(UnityInterfaceGUID guid, IUnityInterface* ptr);
    IUnityInterface* (*GetInterfaceSplit)(unsigned long long guidHigh, unsigned long long guidLow);
    void (*RegisterInterfaceSplit)(unsigned long long guidHigh, unsigned long long guidLow, IUnityInterface* ptr);
} IUnityInterfaces;

/* ---- IUnityGraphics.h ---- */
typedef enum UnityGfxRenderer { kUnityGfxRendererVulkan = 21 } UnityGfxRenderer;
typedef enum UnityGfxDeviceEventType {
    kUnityGfxDeviceEventInitialize = 0,
    kUnityGfxDeviceEventShutdown = 1,
    kUnityGfxDeviceEventBeforeReset = 2,
    kUnityGfxDeviceEventAfterReset = 3,
} UnityGfxDeviceEventType;
typedef void (*IUnityGraphicsDeviceEventCallback)(UnityGfxDeviceEventType eventType);
typedef struct IUnityGraphics {
    UnityGfxRenderer (*GetRenderer)(void);
    void (*RegisterDeviceEventCallback)(IUnityGraphicsDeviceEventCallback callback);
    void (*UnregisterDeviceEventCallback)(IUnityGraphicsDeviceEventCallback callback);
    int (*ReserveEventIDRange)(int count);
} IUnityGraphics;
typedef void (*UnityRenderingEventAndData)(int eventId, void* data);
#define GUID_GRAPHICS 0x7CBA0A9CA4DDB544ULL, 0x8C5AD4926EB17B11ULL

/* ---- IUnityGraphicsVulkan.h ---- */
typedef struct UnityVulkanInstance {
    VkPipelineCache pipelineCache;
    VkInstance instance;
    VkPhysicalDevice physicalDevice;
    VkDevice device;
    VkQueue graphicsQueue;
    PFN_vkGetInstanceProcAddr getInstanceProcAddr;
    unsigned int queueFamilyIndex;
    void* reserved[8];
} UnityVulkanInstance;
typedef struct UnityVulkanMemory {
    VkDeviceMemory memory;
    VkDeviceSize offset;
    VkDeviceSize size;
    void* mapped;
    VkMemoryPropertyFlags flags;
    unsigned int memoryTypeIndex;
    void* reserved[4];
} UnityVulkanMemory;
typedef enum UnityVulkanResourceAccessMode {
    kUnityVulkanResourceAccess_ObserveOnly,
    kUnityVulkanResourceAccess_PipelineBarrier,
    kUnityVulkanResourceAccess_Recreate,
} UnityVulkanResourceAccessMode;
typedef struct UnityVulkanImage {
    UnityVulkanMemory memory;
    VkImage image;
    VkImageLayout layout;
    VkImageAspectFlags aspect;
    VkImageUsageFlags usage;
    VkFormat format;
    VkExtent3D extent;
    VkImageTiling tiling;
    VkImageType type;
    VkSampleCountFlagBits samples;
    int layers;
    int mipCount;
    void* reserved[4];
} UnityVulkanImage;
typedef struct UnityVulkanRecordingState {
    VkCommandBuffer commandBuffer;
    VkCommandBufferLevel commandBufferLevel;
    VkRenderPass renderPass;
    VkFramebuffer framebuffer;
    int subPassIndex;
    unsigned long long currentFrameNumber;
    unsigned long long safeFrameNumber;
    void* reserved[4];
} UnityVulkanRecordingState;
typedef enum UnityVulkanEventRenderPassPreCondition {
    kUnityVulkanRenderPass_DontCare,
    kUnityVulkanRenderPass_EnsureInside,
    kUnityVulkanRenderPass_EnsureOutside,
} UnityVulkanEventRenderPassPreCondition;
typedef enum UnityVulkanGraphicsQueueAccess {
    kUnityVulkanGraphicsQueueAccess_DontCare,
    kUnityVulkanGraphicsQueueAccess_Allow,
} UnityVulkanGraphicsQueueAccess;
enum {
    kUnityVulkanEventConfigFlag_EnsurePreviousFrameSubmission = (1 << 0),
    kUnityVulkanEventConfigFlag_FlushCommandBuffers = (1 << 1),
    kUnityVulkanEventConfigFlag_SyncWorkerThreads = (1 << 2),
    kUnityVulkanEventConfigFlag_ModifiesCommandBuffersState = (1 << 3),
};
typedef struct UnityVulkanPluginEventConfig {
    UnityVulkanEventRenderPassPreCondition renderPassPrecondition;
    UnityVulkanGraphicsQueueAccess graphicsQueueAccess;
    uint32_t flags;
} UnityVulkanPluginEventConfig;
typedef PFN_vkGetInstanceProcAddr (*UnityVulkanInitCallback)(PFN_vkGetInstanceProcAddr getInstanceProcAddr, void* userdata);
typedef struct RenderSurfaceBase* UnityRenderBuffer;
typedef unsigned int UnityTextureID;
typedef struct UnityVulkanSwapchainConfiguration { int mode; } UnityVulkanSwapchainConfiguration;
typedef struct UnityVulkanBuffer UnityVulkanBuffer;
typedef struct IUnityGraphicsVulkanV2 {
    bool (*InterceptInitialization)(UnityVulkanInitCallback func, void* userdata);
    PFN_vkVoidFunction (*InterceptVulkanAPI)(const char* name, PFN_vkVoidFunction func);
    void (*ConfigureEvent)(int eventID, const UnityVulkanPluginEventConfig* pluginEventConfig);
    UnityVulkanInstance (*Instance)(void);
    bool (*CommandRecordingState)(UnityVulkanRecordingState* outCommandRecordingState, UnityVulkanGraphicsQueueAccess queueAccess);
    bool (*AccessTexture)(void* nativeTexture, const VkImageSubresource* subResource, VkImageLayout layout,
                          VkPipelineStageFlags pipelineStageFlags, VkAccessFlags accessFlags,
                          UnityVulkanResourceAccessMode accessMode, UnityVulkanImage* outImage);
    bool (*AccessRenderBufferTexture)(UnityRenderBuffer nativeRenderBuffer, const VkImageSubresource* subResource, VkImageLayout layout,
                                      VkPipelineStageFlags pipelineStageFlags, VkAccessFlags accessFlags,
                                      UnityVulkanResourceAccessMode accessMode, UnityVulkanImage* outImage);
    bool (*AccessRenderBufferResolveTexture)(UnityRenderBuffer nativeRenderBuffer, const VkImageSubresource* subResource, VkImageLayout layout,
                                             VkPipelineStageFlags pipelineStageFlags, VkAccessFlags accessFlags,
                                             UnityVulkanResourceAccessMode accessMode, UnityVulkanImage* outImage);
    bool (*AccessBuffer)(void* nativeBuffer, VkPipelineStageFlags pipelineStageFlags, VkAccessFlags accessFlags,
                         UnityVulkanResourceAccessMode accessMode, UnityVulkanBuffer* outBuffer);
    void (*EnsureOutsideRenderPass)(void);
    void (*EnsureInsideRenderPass)(void);
    void (*AccessQueue)(UnityRenderingEventAndData callback, int eventId, void* userData, bool flush);
    bool (*ConfigureSwapchain)(const UnityVulkanSwapchainConfiguration* swapChainConfig);
    bool (*AccessTextureByID)(UnityTextureID textureID, const VkImageSubresource* subResource, VkImageLayout layout,
                              VkPipelineStageFlags pipelineStageFlags, VkAccessFlags accessFlags,
                              UnityVulkanResourceAccessMode accessMode, UnityVulkanImage* outImage);
    bool (*AddInterceptInitialization)(UnityVulkanInitCallback func, void* userdata, int priority);
    bool (*RemoveInterceptInitialization)(UnityVulkanInitCallback func);
} IUnityGraphicsVulkanV2;
#define GUID_VULKAN_V2 0x329334C09DCA4787ULL, 0xB347DD92A0097FFCULL

/* ---- the fake Unity ---- */
#define SLOTS 3
#define EVENT_BASE 4100

/* A texture as Unity tracks it: its image and the state the last access left it in. */
typedef struct texture {
    host_image image;
    VkImageUsageFlags usage;
    VkImageLayout layout;
    VkPipelineStageFlags stage;
    VkAccessFlags access;
} texture;

static host h;
static bool device_ready;
static VkPipelineCache unity_cache;
static IUnityGraphicsDeviceEventCallback device_callback;
static UnityVulkanPluginEventConfig event_config;
static int configured_event = -1, reserved_events;
static VkCommandBuffer current_cmd;
static unsigned long long current_frame, safe_frame;
static int accesses_since_state, ensure_outside_calls, state_calls;
static char call_log[256];

static void log_call(char c)
{
    size_t n = strlen(call_log);
    if (n + 1 < sizeof call_log) { call_log[n] = c; call_log[n + 1] = '\0'; }
}

static UnityGfxRenderer get_renderer(void) { return kUnityGfxRendererVulkan; }
static void register_device_callback(IUnityGraphicsDeviceEventCallback cb) { device_callback = cb; }
static void unregister_device_callback(IUnityGraphicsDeviceEventCallback cb)
{
    if (cb != device_callback) fail("UnregisterDeviceEventCallback with another callback");
    device_callback = NULL;
}
static int reserve_event_ids(int count) { int first = EVENT_BASE + reserved_events; reserved_events += count; return first; }

static bool not_used_intercept(UnityVulkanInitCallback f, void* u) { (void)f; (void)u; fail("InterceptInitialization called"); return false; }
static PFN_vkVoidFunction not_used_intercept_api(const char* n, PFN_vkVoidFunction f) { (void)n; (void)f; fail("InterceptVulkanAPI called"); return NULL; }
static bool not_used_render_buffer(UnityRenderBuffer b, const VkImageSubresource* s, VkImageLayout l, VkPipelineStageFlags p,
                                   VkAccessFlags a, UnityVulkanResourceAccessMode m, UnityVulkanImage* o)
{ (void)b; (void)s; (void)l; (void)p; (void)a; (void)m; (void)o; fail("AccessRenderBuffer* called"); return false; }
static bool not_used_buffer(void* b, VkPipelineStageFlags p, VkAccessFlags a, UnityVulkanResourceAccessMode m, UnityVulkanBuffer* o)
{ (void)b; (void)p; (void)a; (void)m; (void)o; fail("AccessBuffer called"); return false; }
static void not_used_inside(void) { fail("EnsureInsideRenderPass called"); }
static void not_used_queue(UnityRenderingEventAndData c, int e, void* u, bool f) { (void)c; (void)e; (void)u; (void)f; fail("AccessQueue called"); }
static bool not_used_swapchain(const UnityVulkanSwapchainConfiguration* c) { (void)c; fail("ConfigureSwapchain called"); return false; }
static bool not_used_by_id(UnityTextureID t, const VkImageSubresource* s, VkImageLayout l, VkPipelineStageFlags p,
                           VkAccessFlags a, UnityVulkanResourceAccessMode m, UnityVulkanImage* o)
{ (void)t; (void)s; (void)l; (void)p; (void)a; (void)m; (void)o; fail("AccessTextureByID called"); return false; }
static bool not_used_add(UnityVulkanInitCallback f, void* u, int p) { (void)f; (void)u; (void)p; fail("AddInterceptInitialization called"); return false; }
static bool not_used_remove(UnityVulkanInitCallback f) { (void)f; fail("RemoveInterceptInitialization called"); return false; }

static void configure_event(int id, const UnityVulkanPluginEventConfig* config)
{
    configured_event = id;
    event_config = *config;
}

static UnityVulkanInstance instance(void)
{
    UnityVulkanInstance i;
    memset(&i, 0, sizeof i);
    if (device_ready) { /* before the device exists Unity returns an empty instance */
        i.pipelineCache = unity_cache;
        i.instance = h.instance;
        i.physicalDevice = h.physical;
        i.device = h.device;
        i.graphicsQueue = h.queue;
        i.getInstanceProcAddr = counting_get_instance_proc_addr;
        i.queueFamilyIndex = h.family;
    }
    return i;
}

static bool command_recording_state(UnityVulkanRecordingState* out, UnityVulkanGraphicsQueueAccess access)
{
    if (access != kUnityVulkanGraphicsQueueAccess_DontCare) fail("CommandRecordingState with queue access %d", access);
    if (!current_cmd) return false;
    memset(out, 0, sizeof *out);
    out->commandBuffer = current_cmd;
    out->commandBufferLevel = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    out->subPassIndex = -1;
    out->currentFrameNumber = current_frame;
    out->safeFrameNumber = safe_frame;
    accesses_since_state = 0;
    state_calls++;
    log_call('S');
    return true;
}

/* As Unity: a barrier from the texture's last access to the one asked for, then the image's description. */
static bool access_texture(void* native, const VkImageSubresource* sub, VkImageLayout layout, VkPipelineStageFlags stage,
                           VkAccessFlags access, UnityVulkanResourceAccessMode mode, UnityVulkanImage* out)
{
    if (sub != NULL) fail("AccessTexture of a subresource; the plugin uses whole images");
    if (mode != kUnityVulkanResourceAccess_PipelineBarrier) fail("AccessTexture mode %d", mode);
    if (!current_cmd || !native) return false;
    texture* t = native;
    barrier(current_cmd, t->image.image, t->layout, layout, t->stage, t->access, stage, access);
    t->layout = layout;
    t->stage = stage;
    t->access = access;
    memset(out, 0, sizeof *out);
    out->image = t->image.image;
    out->layout = layout;
    out->aspect = VK_IMAGE_ASPECT_COLOR_BIT;
    out->usage = t->usage;
    out->format = t->image.format;
    out->extent = (VkExtent3D){ t->image.width, t->image.height, 1 };
    out->tiling = VK_IMAGE_TILING_OPTIMAL;
    out->type = VK_IMAGE_TYPE_2D;
    out->samples = VK_SAMPLE_COUNT_1_BIT;
    out->layers = 1;
    out->mipCount = 1;
    accesses_since_state++;
    log_call(layout == VK_IMAGE_LAYOUT_GENERAL ? 'O' : 'I');
    return true;
}

static void ensure_outside(void) { ensure_outside_calls++; log_call('E'); }

static IUnityGraphics graphics = { get_renderer, register_device_callback, unregister_device_callback, reserve_event_ids };
static IUnityGraphicsVulkanV2 vulkan = {
    not_used_intercept, not_used_intercept_api, configure_event, instance, command_recording_state, access_texture,
    not_used_render_buffer, not_used_render_buffer, not_used_buffer, ensure_outside, not_used_inside, not_used_queue,
    not_used_swapchain, not_used_by_id, not_used_add, not_used_remove,
};

static IUnityInterface* get_interface_split(unsigned long long high, unsigned long long low)
{
    const unsigned long long g[2] = { GUID_GRAPHICS }, v[2] = { GUID_VULKAN_V2 };
    if (high == g[0] && low == g[1]) return &graphics;
    if (high == v[0] && low == v[1]) return &vulkan;
    return NULL;
}
static IUnityInterface* get_interface(UnityInterfaceGUID guid) { return get_interface_split(guid.m_GUIDHigh, guid.m_GUIDLow); }
static void register_interface(UnityInterfaceGUID guid, IUnityInterface* p) { (void)guid; (void)p; }
static void register_interface_split(unsigned long long a, unsigned long long b, IUnityInterface* p) { (void)a; (void)b; (void)p; }
static IUnityInterfaces interfaces = { get_interface, register_interface, get_interface_split, register_interface_split };

typedef struct slot {
    VkCommandBuffer cmd;
    VkFence fence;
    bool busy;
    host_buffer readback;
    texture output;
} slot;

int main(int argc, char** argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 7) fail("usage: unity_host LIB MODEL IN W H OUT");
    uint32_t w = (uint32_t)atoi(argv[4]), hgt = (uint32_t)atoi(argv[5]);
    rtup_api api = rtup_load(argv[1]);
    void (*plugin_load)(IUnityInterfaces*) = (void (*)(IUnityInterfaces*))resolve(api.library, "UnityPluginLoad");
    void (*plugin_unload)(void) = (void (*)(void))resolve(api.library, "UnityPluginUnload");

    /* Unity loads plugins before its device exists; the Initialize event comes once it does. */
    plugin_load(&interfaces);
    if (!device_callback) fail("the plugin registered no device event callback");
    int event_id = api.unity_get_event_id();
    if (event_id != EVENT_BASE || configured_event != EVENT_BASE) fail("event id %d, configured %d, reserved from %d", event_id, configured_event, EVENT_BASE);
    if (event_config.renderPassPrecondition != kUnityVulkanRenderPass_EnsureOutside ||
        event_config.graphicsQueueAccess != kUnityVulkanGraphicsQueueAccess_DontCare ||
        !(event_config.flags & kUnityVulkanEventConfigFlag_ModifiesCommandBuffersState))
        fail("the event is configured as precondition %d, queue access %d, flags 0x%x", event_config.renderPassPrecondition,
             event_config.graphicsQueueAccess, event_config.flags);
    rtup_context ctx = NULL;
    expect_error(&api, api.unity_get_context(&ctx), RTUP_ERROR_UNSUPPORTED, "not initialised", "context before Initialize");

    host_create(&h, 1);
    VkPipelineCacheCreateInfo cache = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };
    VK_CHECK(vkCreatePipelineCache(h.device, &cache, NULL, &unity_cache));
    expected_pipeline_cache = unity_cache;
    device_ready = true;
    device_callback(kUnityGfxDeviceEventInitialize);
    char message[512];
    if (api.unity_get_last_event_result(message, sizeof message) != RTUP_OK) fail("Initialize: %s", message);
    expect_ok(&api, api.unity_get_context(&ctx), "rtup_unity_get_context");

    api.context_destroy(ctx); /* refused: Unity's Shutdown event owns it */
    if (!strstr(api.get_last_error(), "Shutdown")) fail("rtup_context_destroy of Unity's context: \"%s\"", api.get_last_error());
    rtup_upscaler up = NULL;
    rtup_upscaler_desc ud = { sizeof ud, argv[2], NULL, 0, w, hgt, 0 };
    expect_ok(&api, api.upscaler_create(ctx, &ud, &up), "rtup_upscaler_create");
    uint32_t ow, oh;
    expect_ok(&api, api.upscaler_get_output_size(up, &ow, &oh), "rtup_upscaler_get_output_size");

    /* One input texture (uploaded each frame, as a render target would be drawn), an output per frame. */
    size_t size;
    unsigned char* pixels = read_file(argv[3], &size);
    if (size != (size_t)w * hgt * 4) fail("input file of %zu bytes", size);
    host_buffer upload = buffer_create(&h, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
    memcpy(upload.mapped, pixels, size);
    texture input = { image_create(&h, w, hgt, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT),
                      VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT, VK_IMAGE_LAYOUT_UNDEFINED, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0 };
    slot slots[SLOTS];
    memset(slots, 0, sizeof slots);
    for (int i = 0; i < SLOTS; i++) {
        VkImageUsageFlags usage = VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
        slots[i].output = (texture){ image_create(&h, ow, oh, VK_FORMAT_R8G8B8A8_UNORM, usage), usage,
                                     VK_IMAGE_LAYOUT_UNDEFINED, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0 };
        slots[i].readback = buffer_create(&h, (VkDeviceSize)ow * oh * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        VkCommandBufferAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = h.pool,
                                              .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1 };
        VK_CHECK(vkAllocateCommandBuffers(h.device, &alloc, &slots[i].cmd));
        VkFenceCreateInfo fence = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
        VK_CHECK(vkCreateFence(h.device, &fence, NULL, &slots[i].fence));
    }

    UnityRenderingEventAndData render_event = (UnityRenderingEventAndData)api.unity_get_render_event_func();
    /* Kept alive until the render thread ran the event, as the C# side pins it. */
    static rtup_unity_event events[SLOTS];
    const unsigned long long first_frame = 1000; /* Unity's counters do not start at the library's 1 */
    for (int f = 0; f < 6; f++) {
        slot* s = &slots[f % SLOTS];
        if (s->busy) {
            VK_CHECK(vkWaitForFences(h.device, 1, &s->fence, VK_TRUE, UINT64_MAX));
            VK_CHECK(vkResetFences(h.device, 1, &s->fence));
        }
        current_frame = first_frame + (unsigned long long)f;
        safe_frame = current_frame - SLOTS; /* every frame three back has finished */
        VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                           .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT };
        VK_CHECK(vkBeginCommandBuffer(s->cmd, &begin));
        current_cmd = s->cmd;
        /* Unity's own work before the event: the input drawn (here: copied) this frame. */
        barrier(s->cmd, input.image.image, input.layout, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, input.stage, input.access,
                VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
        copy_buffer_to_image(s->cmd, &upload, &input.image);
        input.layout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
        input.stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        input.access = VK_ACCESS_TRANSFER_WRITE_BIT;
        s->output.layout = VK_IMAGE_LAYOUT_UNDEFINED; /* last frame's contents are not kept */
        events[f % SLOTS] = (rtup_unity_event){ sizeof(rtup_unity_event), up, &input, &s->output };
        call_log[0] = '\0';
        render_event(event_id, &events[f % SLOTS]);
        if (api.unity_get_last_event_result(message, sizeof message) != RTUP_OK) fail("render event: %s", message);
        if (strcmp(call_log, "EIOS") != 0) fail("the plugin called Unity in the order %s, not EIOS (ensure outside, input, output, state)", call_log);
        /* Unity's work after the event: the output read back. */
        barrier(s->cmd, s->output.image.image, s->output.layout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, s->output.stage, s->output.access,
                VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
        s->output.layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
        s->output.stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
        s->output.access = VK_ACCESS_TRANSFER_READ_BIT;
        copy_image_to_buffer(s->cmd, &s->output.image, &s->readback);
        VkBufferMemoryBarrier to_host = { .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
            .dstAccessMask = VK_ACCESS_HOST_READ_BIT, .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
            .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .buffer = s->readback.buffer, .size = VK_WHOLE_SIZE };
        vkCmdPipelineBarrier(s->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &to_host, 0, NULL);
        /* The next frame's upload waits for this frame's compute reads of the input. */
        input.stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
        input.access = 0;
        current_cmd = VK_NULL_HANDLE;
        VK_CHECK(vkEndCommandBuffer(s->cmd));
        VkSubmitInfo submit = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &s->cmd };
        VK_CHECK(vkQueueSubmit(h.queue, 1, &submit, s->fence));
        s->busy = true;
    }

    /* Error events: the render thread cannot be answered, so the outcome is kept for the script. */
    current_cmd = slots[0].cmd;
    render_event(event_id, NULL);
    expect_error(&api, (rtup_result)api.unity_get_last_event_result(message, sizeof message), RTUP_ERROR_INVALID_ARGUMENT, "", "render event: NULL data");
    if (!strstr(message, "rtup_unity_event")) fail("NULL event data: the message \"%s\" does not name rtup_unity_event", message);
    rtup_unity_event small = { 8, up, &input, &slots[0].output };
    render_event(event_id, &small);
    expect_error(&api, (rtup_result)api.unity_get_last_event_result(message, sizeof message), RTUP_ERROR_INVALID_ARGUMENT, "", "render event: small struct_size");
    if (!strstr(message, "struct_size")) fail("small event: the message \"%s\" does not name struct_size", message);
    current_cmd = VK_NULL_HANDLE;

    api.upscaler_destroy(up); /* frames in flight: freed at Shutdown (Unity's device is idle then) */
    for (int i = 0; i < SLOTS; i++) VK_CHECK(vkWaitForFences(h.device, 1, &slots[i].fence, VK_TRUE, UINT64_MAX));
    for (int i = 1; i < SLOTS; i++)
        if (memcmp(slots[i].readback.mapped, slots[0].readback.mapped, (size_t)ow * oh * 4) != 0) fail("frames read back different bytes");
    write_file(argv[6], slots[0].readback.mapped, (size_t)ow * oh * 4);

    printf("pipelines: %d created by the plugin, %d through Unity's pipeline cache\n", library_pipelines, library_pipelines_through_cache);
    if (library_pipelines == 0 || library_pipelines_through_cache != library_pipelines) fail("pipelines were built outside Unity's pipeline cache");

    device_callback(kUnityGfxDeviceEventShutdown);
    if (api.unity_get_last_event_result(message, sizeof message) != RTUP_OK) fail("Shutdown: %s", message);
    expect_error(&api, api.unity_get_context(&ctx), RTUP_ERROR_UNSUPPORTED, "not initialised", "context after Shutdown");
    plugin_unload();
    if (device_callback) fail("UnityPluginUnload left its device event callback registered");

    for (int i = 0; i < SLOTS; i++) {
        vkDestroyFence(h.device, slots[i].fence, NULL);
        vkFreeCommandBuffers(h.device, h.pool, 1, &slots[i].cmd);
        image_destroy(&h, &slots[i].output.image);
        buffer_destroy(&h, &slots[i].readback);
    }
    image_destroy(&h, &input.image);
    buffer_destroy(&h, &upload);
    vkDestroyPipelineCache(h.device, unity_cache, NULL);
    host_destroy(&h);
    free(pixels);
    printf("library calls: vkQueueSubmit %d, vkQueueWaitIdle %d, vkDeviceWaitIdle %d; EnsureOutsideRenderPass %d, CommandRecordingState %d\n",
           library_submits, library_queue_waits, library_device_waits, ensure_outside_calls, state_calls);
    if (library_submits || library_queue_waits || library_device_waits) fail("the plugin submitted or waited on Unity's queue or device");
    if (validation_messages) fail("%d validation messages", validation_messages);
    printf("unity host: all ok\n");
    return 0;
}
