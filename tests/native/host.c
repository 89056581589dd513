/*
 * A C engine host of the native library, as the tests run it (tests/RealtimeUpscale.Tests/NativeLibraryTests.cs).
 *
 *   host full LIB MODEL IN1 W1 H1 OUT1 IN2 W2 H2 OUT2 OUT3
 *     Makes its own instance and device (validation + synchronisation validation), dlopen()s LIB and lends
 *     the device with RTUP_DEVICE_NEVER_SUBMIT through a vkGetInstanceProcAddr that counts the library's
 *     submissions and waits (there must be none). Runs three frames in flight through
 *     rtup_vk_upscaler_record into its own command buffers on its own queue (upscaler from MODEL's path,
 *     input IN1, RGBA8 W1 x H1) and writes the output to OUT1; destroys that upscaler with frames in
 *     flight (every pipeline built through the host's VkPipelineCache); makes a second one from MODEL's bytes for IN2 (W2 x H2), recreates its images (the input
 *     as BGRA8 under a possibly reused handle, then the outputs with the same format and size) and writes
 *     OUT2. Checks every error path's code and message. Then a context of the library's own (validation
 *     on) upscales IN1 with rtup_upscaler_run_rgba8 into OUT3. The test compares OUT* with the C#
 *     Upscaler's bytes.
 *   host reuse LIB MODEL IN W H OUT
 *     Without the validation layer, so that the driver's handle values come back: frames on RGBA8 inputs,
 *     then on BGRA8 inputs recreated under the same handle values (at least one must come back); OUT must
 *     still be the upscale of IN.
 *   host first NAME LIB MODEL
 *     A fresh process whose first call into the library is NAME (every export is one).
 */
#include "rtup_loader.h"

#define SLOTS 3

typedef struct frame_slot {
    VkCommandBuffer cmd;
    VkFence fence;
    uint64_t frame;            /* the frame last submitted from this slot; 0 when none */
    host_buffer upload, readback;
    host_image input, output;
    VkImageView output_view;   /* the host's own view of the output (the input's is the library's) */
} frame_slot;

typedef struct run {
    host h;
    rtup_api api;
    rtup_context ctx;
    frame_slot slots[SLOTS];
    uint64_t next_frame, completed;
} run;

static void slots_create(run* r, uint32_t w, uint32_t h, uint32_t ow, uint32_t oh, VkFormat input_format)
{
    for (int i = 0; i < SLOTS; i++) {
        frame_slot* s = &r->slots[i];
        s->upload = buffer_create(&r->h, (VkDeviceSize)w * h * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        s->readback = buffer_create(&r->h, (VkDeviceSize)ow * oh * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT);
        s->input = image_create(&r->h, w, h, input_format, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
        s->output = image_create(&r->h, ow, oh, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
        s->output_view = view_create(&r->h, &s->output);
        if (!s->cmd) {
            VkCommandBufferAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = r->h.pool,
                                                  .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1 };
            VK_CHECK(vkAllocateCommandBuffers(r->h.device, &alloc, &s->cmd));
            VkFenceCreateInfo fence = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
            VK_CHECK(vkCreateFence(r->h.device, &fence, NULL, &s->fence));
        }
    }
}

/* Waits for every slot's frame (the host's frame loop at a resize), so its images may be destroyed. */
static void slots_wait(run* r)
{
    for (int i = 0; i < SLOTS; i++) {
        frame_slot* s = &r->slots[i];
        if (s->frame) {
            VK_CHECK(vkWaitForFences(r->h.device, 1, &s->fence, VK_TRUE, UINT64_MAX));
            VK_CHECK(vkResetFences(r->h.device, 1, &s->fence));
            if (s->frame > r->completed) r->completed = s->frame;
            s->frame = 0;
        }
    }
}

static void slots_destroy_images(run* r, int inputs, int outputs)
{
    for (int i = 0; i < SLOTS; i++) {
        frame_slot* s = &r->slots[i];
        if (inputs) {
            image_destroy(&r->h, &s->input);
            buffer_destroy(&r->h, &s->upload);
        }
        if (outputs) {
            vkDestroyImageView(r->h.device, s->output_view, NULL);
            image_destroy(&r->h, &s->output);
            buffer_destroy(&r->h, &s->readback);
        }
    }
}

/* Fills every slot's upload buffer with the input texels; BGRA swaps red and blue into the image's order. */
static void slots_fill(run* r, const unsigned char* rgba, size_t size, int bgra)
{
    for (int i = 0; i < SLOTS; i++) {
        unsigned char* dst = r->slots[i].upload.mapped;
        if (r->slots[i].upload.size != size) fail("input file of %zu bytes for a %llu-byte image", size, (unsigned long long)r->slots[i].upload.size);
        for (size_t p = 0; p < size; p += 4) {
            dst[p + 0] = rgba[p + (bgra ? 2 : 0)];
            dst[p + 1] = rgba[p + 1];
            dst[p + 2] = rgba[p + (bgra ? 0 : 2)];
            dst[p + 3] = rgba[p + 3];
        }
    }
}

static rtup_vk_dispatch_desc dispatch_of(const frame_slot* s, uint64_t frame, uint64_t completed)
{
    rtup_vk_dispatch_desc d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.command_buffer = s->cmd;
    d.input = (rtup_vk_image){ s->input.image, VK_NULL_HANDLE, s->input.format, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                               s->input.width, s->input.height };
    d.output = (rtup_vk_image){ s->output.image, s->output_view, s->output.format, VK_IMAGE_LAYOUT_GENERAL,
                                s->output.width, s->output.height };
    d.frame_index = frame;
    d.completed_frame_index = completed;
    return d;
}

/* One frame as an engine records it: upload, the upscale, read-back; submitted with the slot's fence. */
static void run_frame(run* r, rtup_upscaler up)
{
    uint64_t frame = ++r->next_frame;
    frame_slot* s = &r->slots[(frame - 1) % SLOTS];
    if (s->frame) { /* the frame this slot held three frames ago */
        VK_CHECK(vkWaitForFences(r->h.device, 1, &s->fence, VK_TRUE, UINT64_MAX));
        VK_CHECK(vkResetFences(r->h.device, 1, &s->fence));
        if (s->frame > r->completed) r->completed = s->frame;
    }
    VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT };
    VK_CHECK(vkBeginCommandBuffer(s->cmd, &begin));
    barrier(s->cmd, s->input.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    copy_buffer_to_image(s->cmd, &s->upload, &s->input);
    barrier(s->cmd, s->input.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
            VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT);
    barrier(s->cmd, s->output.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_GENERAL,
            VK_PIPELINE_STAGE_TRANSFER_BIT, 0, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT);
    rtup_vk_dispatch_desc d = dispatch_of(s, frame, r->completed);
    expect_ok(&r->api, r->api.vk_upscaler_record(up, &d), "rtup_vk_upscaler_record");
    barrier(s->cmd, s->output.image, VK_IMAGE_LAYOUT_GENERAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
    copy_image_to_buffer(s->cmd, &s->output, &s->readback);
    VkBufferMemoryBarrier to_host = { .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT, .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .buffer = s->readback.buffer, .size = VK_WHOLE_SIZE };
    vkCmdPipelineBarrier(s->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL, 1, &to_host, 0, NULL);
    VK_CHECK(vkEndCommandBuffer(s->cmd));
    VkSubmitInfo submit = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &s->cmd };
    VK_CHECK(vkQueueSubmit(r->h.queue, 1, &submit, s->fence));
    s->frame = frame;
}

/* After slots_wait: every slot read back the same bytes; writes them to `path`. */
static void write_output(run* r, const char* path)
{
    size_t size = (size_t)r->slots[0].readback.size;
    for (int i = 1; i < SLOTS; i++)
        if (memcmp(r->slots[i].readback.mapped, r->slots[0].readback.mapped, size) != 0)
            fail("frames in flight read back different bytes (slot %d)", i);
    write_file(path, r->slots[0].readback.mapped, size);
}

static void check_errors(run* r, rtup_upscaler up, const char* model)
{
    const rtup_api* api = &r->api;
    rtup_context ctx = NULL;
    rtup_upscaler bad = NULL;
    expect_error(api, api->vk_context_create(NULL, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "desc", "context: NULL desc");
    rtup_vk_device_desc dd = { sizeof dd, r->h.instance, r->h.physical, r->h.device, r->h.queue, r->h.family,
                               counting_get_instance_proc_addr, VK_NULL_HANDLE, RTUP_DEVICE_NEVER_SUBMIT };
    expect_error(api, api->vk_context_create(&dd, NULL), RTUP_ERROR_INVALID_ARGUMENT, "out", "context: NULL out");
    dd.struct_size = 16;
    expect_error(api, api->vk_context_create(&dd, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "struct_size", "context: small struct_size");
    dd.struct_size = sizeof dd;
    dd.device = VK_NULL_HANDLE;
    expect_error(api, api->vk_context_create(&dd, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "device", "context: NULL device");
    dd.device = r->h.device;
    dd.queue_family_index = 99;
    expect_error(api, api->vk_context_create(&dd, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "queue_family_index", "context: bad queue family");
    dd.queue_family_index = r->h.family;
    hide_storage_write_without_format = 1;
    expect_error(api, api->vk_context_create(&dd, &ctx), RTUP_ERROR_UNSUPPORTED, "shaderStorageImageWriteWithoutFormat", "context: a missing feature");
    hide_storage_write_without_format = 0;
    if (ctx) fail("a failed rtup_vk_context_create left a context in *out");

    static const char garbage[] = "this is not an ONNX model";
    rtup_upscaler_desc ud = { sizeof ud, NULL, garbage, sizeof garbage, 16, 16, 0 };
    expect_error(api, api->upscaler_create(r->ctx, &ud, &bad), RTUP_ERROR_MODEL, "model bytes", "upscaler: bad model bytes");
    ud = (rtup_upscaler_desc){ sizeof ud, "/nonexistent/model.onnx", NULL, 0, 16, 16, 0 };
    expect_error(api, api->upscaler_create(r->ctx, &ud, &bad), RTUP_ERROR_MODEL, "/nonexistent/model.onnx", "upscaler: missing model file");
    ud = (rtup_upscaler_desc){ sizeof ud, model, NULL, 0, 16, 16, 0 };
    expect_error(api, api->upscaler_create(NULL, &ud, &bad), RTUP_ERROR_INVALID_ARGUMENT, "ctx", "upscaler: NULL ctx");
    expect_error(api, api->upscaler_create(r->ctx, NULL, &bad), RTUP_ERROR_INVALID_ARGUMENT, "desc", "upscaler: NULL desc");
    ud.struct_size = 8;
    expect_error(api, api->upscaler_create(r->ctx, &ud, &bad), RTUP_ERROR_INVALID_ARGUMENT, "struct_size", "upscaler: small struct_size");
    ud = (rtup_upscaler_desc){ sizeof ud, model, garbage, sizeof garbage, 16, 16, 0 };
    expect_error(api, api->upscaler_create(r->ctx, &ud, &bad), RTUP_ERROR_INVALID_ARGUMENT, "exactly one", "upscaler: path and bytes");
    ud = (rtup_upscaler_desc){ sizeof ud, model, NULL, 0, 0, 16, 0 };
    expect_error(api, api->upscaler_create(r->ctx, &ud, &bad), RTUP_ERROR_INVALID_ARGUMENT, "0x16", "upscaler: zero width");
    if (bad) fail("a failed rtup_upscaler_create left an upscaler in *out");

    uint32_t w, h;
    expect_error(api, api->upscaler_get_output_size(up, NULL, &h), RTUP_ERROR_INVALID_ARGUMENT, "width", "output size: NULL width");
    expect_error(api, api->upscaler_get_output_size(NULL, &w, &h), RTUP_ERROR_INVALID_ARGUMENT, "up", "output size: NULL upscaler");
    expect_error(api, api->upscaler_get_output_size((rtup_upscaler)(uintptr_t)0x1234, &w, &h), RTUP_ERROR_INVALID_ARGUMENT,
                 "not a live", "output size: a pointer the library never made");

    frame_slot* s = &r->slots[0];
    rtup_vk_dispatch_desc d = dispatch_of(s, r->next_frame + 1, r->completed);
    expect_error(api, api->vk_upscaler_record(up, NULL), RTUP_ERROR_INVALID_ARGUMENT, "desc", "record: NULL desc");
    expect_error(api, api->vk_upscaler_record(NULL, &d), RTUP_ERROR_INVALID_ARGUMENT, "up", "record: NULL upscaler");
    d.struct_size = 64;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "struct_size", "record: small struct_size");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.output.format = VK_FORMAT_R8G8B8A8_SRGB;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_UNSUPPORTED, "VK_FORMAT_R8G8B8A8_SRGB", "record: sRGB output");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.output.format = VK_FORMAT_D32_SFLOAT;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_UNSUPPORTED, "VK_FORMAT_D32_SFLOAT", "record: depth output");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.output.layout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "VK_IMAGE_LAYOUT_GENERAL", "record: output not GENERAL");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.input.width += 1;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "input image", "record: wrong input size");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.input.image = VK_NULL_HANDLE;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "input.image", "record: NULL input image");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.command_buffer = VK_NULL_HANDLE;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "command_buffer", "record: NULL command buffer");
    d = dispatch_of(s, r->next_frame + 1, r->completed);
    d.flags = 1;
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "flags", "record: flags");
    d = dispatch_of(s, 0, 0);
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "frame_index", "record: frame 0");
    d = dispatch_of(s, r->next_frame + 1, r->next_frame + 1);
    expect_error(api, api->vk_upscaler_record(up, &d), RTUP_ERROR_INVALID_ARGUMENT, "completed_frame_index", "record: completed not below frame");

    unsigned char pixel[4] = { 0 };
    expect_error(api, api->upscaler_run_rgba8(up, pixel, 0, pixel, 0), RTUP_ERROR_UNSUPPORTED, "NEVER_SUBMIT", "run_rgba8 under NEVER_SUBMIT");
    expect_error(api, api->vk_upscaler_forget_images(NULL), RTUP_ERROR_INVALID_ARGUMENT, "up", "forget images: NULL upscaler");
    expect_error(api, api->context_get_validation_message_count(r->ctx, NULL), RTUP_ERROR_INVALID_ARGUMENT, "count", "validation count: NULL count");
    expect_error(api, api->context_create_default_with_flags(0x80, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "flags", "default context: unknown flags");
    char unity_message[256];
    expect_error(api, api->unity_get_context(&ctx), RTUP_ERROR_UNSUPPORTED, "UnityPluginLoad", "unity context without Unity");
    if (api->unity_get_last_event_result(unity_message, sizeof unity_message) != RTUP_OK) fail("an event result without any event");
    api->upscaler_destroy(NULL);
    api->context_destroy(NULL);
}

static int full(int argc, char** argv)
{
    if (argc != 13) fail("usage: host full LIB MODEL IN1 W1 H1 OUT1 IN2 W2 H2 OUT2 OUT3");
    const char* model = argv[3];
    uint32_t w1 = (uint32_t)atoi(argv[5]), h1 = (uint32_t)atoi(argv[6]);
    uint32_t w2 = (uint32_t)atoi(argv[9]), h2 = (uint32_t)atoi(argv[10]);
    static run r;
    r.api = rtup_load(argv[2]);
    if (r.api.get_api_version() != RTUP_API_VERSION) fail("API version %u, header %d", r.api.get_api_version(), RTUP_API_VERSION);
    host_create(&r.h, 1);
    VkPipelineCacheCreateInfo cache_info = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };
    VK_CHECK(vkCreatePipelineCache(r.h.device, &cache_info, NULL, &expected_pipeline_cache));

    rtup_vk_device_desc dd = { sizeof dd, r.h.instance, r.h.physical, r.h.device, r.h.queue, r.h.family,
                               counting_get_instance_proc_addr, expected_pipeline_cache, RTUP_DEVICE_NEVER_SUBMIT };
    expect_ok(&r.api, r.api.vk_context_create(&dd, &r.ctx), "rtup_vk_context_create");

    /* Upscaler 1, from the model's path: three frames in flight, twice round the slots. */
    rtup_upscaler up1 = NULL;
    rtup_upscaler_desc ud = { sizeof ud, model, NULL, 0, w1, h1, 0 };
    expect_ok(&r.api, r.api.upscaler_create(r.ctx, &ud, &up1), "rtup_upscaler_create (path)");
    uint32_t ow, oh;
    expect_ok(&r.api, r.api.upscaler_get_output_size(up1, &ow, &oh), "rtup_upscaler_get_output_size");
    printf("upscaler 1: %ux%u -> %ux%u\n", w1, h1, ow, oh);
    slots_create(&r, w1, h1, ow, oh, VK_FORMAT_R8G8B8A8_UNORM);
    size_t size;
    unsigned char* in1 = read_file(argv[4], &size);
    slots_fill(&r, in1, size, 0);
    check_errors(&r, up1, model);
    for (int f = 0; f < 6; f++) run_frame(&r, up1);
    /* Destroyed while its last three frames are in flight: freed by a later call's completed_frame_index. */
    r.api.upscaler_destroy(up1);
    expect_error(&r.api, r.api.upscaler_get_output_size(up1, &ow, &oh), RTUP_ERROR_INVALID_ARGUMENT, "not a live", "a destroyed upscaler");
    slots_wait(&r);
    write_output(&r, argv[7]);
    slots_destroy_images(&r, 1, 1);

    /* Upscaler 2, from the model's bytes, at another size, on recreated images. */
    size_t model_size;
    unsigned char* model_bytes = read_file(model, &model_size);
    rtup_upscaler up2 = NULL;
    ud = (rtup_upscaler_desc){ sizeof ud, NULL, model_bytes, model_size, w2, h2, 0 };
    expect_ok(&r.api, r.api.upscaler_create(r.ctx, &ud, &up2), "rtup_upscaler_create (bytes)");
    free(model_bytes);
    expect_ok(&r.api, r.api.upscaler_get_output_size(up2, &ow, &oh), "rtup_upscaler_get_output_size");
    printf("upscaler 2: %ux%u -> %ux%u\n", w2, h2, ow, oh);
    unsigned char* in2 = read_file(argv[8], &size);
    slots_create(&r, w2, h2, ow, oh, VK_FORMAT_R8G8B8A8_UNORM);
    slots_fill(&r, in2, size, 0);
    for (int f = 0; f < 3; f++) run_frame(&r, up2);
    slots_wait(&r);
    /* The inputs again as BGRA8: a handle value that comes back must get a view of the new format. */
    VkImage old_inputs[SLOTS];
    for (int i = 0; i < SLOTS; i++) old_inputs[i] = r.slots[i].input.image;
    slots_destroy_images(&r, 1, 0);
    for (int i = 0; i < SLOTS; i++) {
        r.slots[i].input = image_create(&r.h, w2, h2, VK_FORMAT_B8G8R8A8_UNORM, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
        r.slots[i].upload = buffer_create(&r.h, (VkDeviceSize)w2 * h2 * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        int reused = 0;
        for (int j = 0; j < SLOTS; j++) reused |= r.slots[i].input.image == old_inputs[j];
        printf("recreated input %d as BGRA8: handle %s\n", i, reused ? "reused" : "new");
    }
    slots_fill(&r, in2, size, 1);
    for (int f = 0; f < 3; f++) run_frame(&r, up2);
    slots_wait(&r);
    /* The outputs and their views recreated with the same format and size: announced to the library. */
    for (int i = 0; i < SLOTS; i++) {
        vkDestroyImageView(r.h.device, r.slots[i].output_view, NULL);
        image_destroy(&r.h, &r.slots[i].output);
        r.slots[i].output = image_create(&r.h, ow, oh, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_USAGE_STORAGE_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
        r.slots[i].output_view = view_create(&r.h, &r.slots[i].output);
    }
    expect_ok(&r.api, r.api.vk_upscaler_forget_images(up2), "rtup_vk_upscaler_forget_images");
    for (int f = 0; f < 3; f++) run_frame(&r, up2);
    r.api.upscaler_destroy(up2);
    slots_wait(&r);
    write_output(&r, argv[11]);
    slots_destroy_images(&r, 1, 1);
    r.api.context_destroy(r.ctx);
    for (int i = 0; i < SLOTS; i++) {
        vkFreeCommandBuffers(r.h.device, r.h.pool, 1, &r.slots[i].cmd);
        vkDestroyFence(r.h.device, r.slots[i].fence, NULL);
    }
    vkDestroyPipelineCache(r.h.device, expected_pipeline_cache, NULL);
    printf("library calls: vkQueueSubmit %d, vkQueueWaitIdle %d, vkDeviceWaitIdle %d; pipelines %d, %d through the host's cache\n",
           library_submits, library_queue_waits, library_device_waits, library_pipelines, library_pipelines_through_cache);
    if (library_submits || library_queue_waits || library_device_waits) fail("the library submitted or waited on the host's queue or device");
    if (library_pipelines == 0 || library_pipelines_through_cache != library_pipelines) fail("pipelines were built outside the host's pipeline cache");

    /* The counter counts: the same device lent without NEVER_SUBMIT may submit, in rtup_upscaler_run_rgba8. */
    rtup_context submitting = NULL;
    dd = (rtup_vk_device_desc){ sizeof dd, r.h.instance, r.h.physical, r.h.device, r.h.queue, r.h.family,
                                counting_get_instance_proc_addr, VK_NULL_HANDLE, 0 };
    expect_ok(&r.api, r.api.vk_context_create(&dd, &submitting), "rtup_vk_context_create (may submit)");
    rtup_upscaler up4 = NULL;
    ud = (rtup_upscaler_desc){ sizeof ud, model, NULL, 0, w1, h1, 0 };
    expect_ok(&r.api, r.api.upscaler_create(submitting, &ud, &up4), "rtup_upscaler_create (may submit)");
    size_t out1_size;
    unsigned char* out1 = read_file(argv[7], &out1_size);
    unsigned char* submitted_out = malloc(out1_size);
    expect_ok(&r.api, r.api.upscaler_run_rgba8(up4, in1, 0, submitted_out, 0), "rtup_upscaler_run_rgba8 (borrowed)");
    if (memcmp(out1, submitted_out, out1_size) != 0) fail("run_rgba8 on the borrowed device differs from the recorded frames");

    /* Float16 tensors: refused where the host did not say it enabled 16-bit storage; on a context that says so,
     * within one 8-bit level of the float32 frames. A desc of the header before flags (40 bytes) runs float32. */
    rtup_upscaler half = NULL;
    ud = (rtup_upscaler_desc){ sizeof ud, model, NULL, 0, w1, h1, RTUP_UPSCALER_FP16 };
    expect_error(&r.api, r.api.upscaler_create(submitting, &ud, &half), RTUP_ERROR_UNSUPPORTED, "storageBuffer16BitAccess",
                 "fp16 upscaler without RTUP_DEVICE_STORAGE_16BIT");
    ud.flags = 4;
    expect_error(&r.api, r.api.upscaler_create(submitting, &ud, &half), RTUP_ERROR_INVALID_ARGUMENT, "flags", "unknown upscaler flags");
    if (!r.h.storage16) fail("the device lacks storageBuffer16BitAccess");
    rtup_context sixteen = NULL;
    dd.flags = RTUP_DEVICE_STORAGE_16BIT;
    expect_ok(&r.api, r.api.vk_context_create(&dd, &sixteen), "rtup_vk_context_create (16-bit storage)");
    ud.flags = RTUP_UPSCALER_FP16;
    expect_ok(&r.api, r.api.upscaler_create(sixteen, &ud, &half), "rtup_upscaler_create (fp16)");
    unsigned char* half_out = malloc(out1_size);
    expect_ok(&r.api, r.api.upscaler_run_rgba8(half, in1, 0, half_out, 0), "rtup_upscaler_run_rgba8 (fp16)");
    int largest = 0;
    size_t equal = 0;
    for (size_t i = 0; i < out1_size; i++) {
        int d = abs((int)out1[i] - (int)half_out[i]);
        if (d > largest) largest = d;
        equal += d == 0;
    }
    printf("fp16 upscaler: largest difference %d level(s), %.1f%% of the bytes equal\n", largest, 100.0 * equal / out1_size);
    if (largest > 1) fail("float16 tensors moved the output by %d levels", largest);
    if (equal == out1_size) fail("the float16 upscaler gave the float32 bytes exactly");
    r.api.upscaler_destroy(half);
    half = NULL;
    ud.struct_size = 40;
    expect_ok(&r.api, r.api.upscaler_create(sixteen, &ud, &half), "rtup_upscaler_create (40-byte desc)");
    expect_ok(&r.api, r.api.upscaler_run_rgba8(half, in1, 0, half_out, 0), "rtup_upscaler_run_rgba8 (40-byte desc)");
    if (memcmp(out1, half_out, out1_size) != 0) fail("a 40-byte desc (no flags) did not run float32");
    r.api.upscaler_destroy(half);
    r.api.context_destroy(sixteen);
    free(half_out);
    r.api.upscaler_destroy(up4);
    r.api.context_destroy(submitting);
    printf("a context that may submit: vkQueueSubmit %d\n", library_submits);
    if (library_submits == 0) fail("the counting vkGetInstanceProcAddr saw no submission from a context allowed to submit");
    free(out1);
    free(submitted_out);
    host_destroy(&r.h);

    /* A context of the library's own: host memory in and out. */
    rtup_context own = NULL;
    expect_ok(&r.api, r.api.context_create_default_with_flags(RTUP_CONTEXT_VALIDATION, &own), "rtup_context_create_default_with_flags");
    rtup_upscaler up3 = NULL;
    ud = (rtup_upscaler_desc){ sizeof ud, model, NULL, 0, w1, h1, 0 };
    expect_ok(&r.api, r.api.upscaler_create(own, &ud, &up3), "rtup_upscaler_create (own context)");
    expect_ok(&r.api, r.api.upscaler_get_output_size(up3, &ow, &oh), "rtup_upscaler_get_output_size");
    /* Padded rows on both sides: strides are honoured. */
    uint32_t in_stride = w1 * 4 + 12, out_stride = ow * 4 + 20;
    unsigned char* padded_in = calloc((size_t)in_stride * h1, 1);
    unsigned char* padded_out = calloc((size_t)out_stride * oh, 1);
    unsigned char* packed_out = malloc((size_t)ow * oh * 4);
    for (uint32_t y = 0; y < h1; y++) memcpy(padded_in + (size_t)y * in_stride, in1 + (size_t)y * w1 * 4, (size_t)w1 * 4);
    expect_ok(&r.api, r.api.upscaler_run_rgba8(up3, padded_in, in_stride, padded_out, out_stride), "rtup_upscaler_run_rgba8");
    for (uint32_t y = 0; y < oh; y++) memcpy(packed_out + (size_t)y * ow * 4, padded_out + (size_t)y * out_stride, (size_t)ow * 4);
    write_file(argv[12], packed_out, (size_t)ow * oh * 4);
    uint32_t own_messages = 1;
    expect_ok(&r.api, r.api.context_get_validation_message_count(own, &own_messages), "rtup_context_get_validation_message_count");
    r.api.upscaler_destroy(up3);
    r.api.context_destroy(own);
    if (own_messages) fail("the library's own context saw %u validation messages", own_messages);
    free(in1);
    free(in2);
    free(padded_in);
    free(padded_out);
    free(packed_out);
    if (validation_messages) fail("%d validation messages", validation_messages);
    printf("host: all ok\n");
    return 0;
}

/*
 * Without the validation layer (which gives every object a unique id), the driver's handle values come back:
 * the inputs are recreated as BGRA8 under the same handle values, and the library must make views of the new
 * format, not use the old ones (whose images are gone).
 */
static int reuse(int argc, char** argv)
{
    if (argc != 8) fail("usage: host reuse LIB MODEL IN W H OUT");
    uint32_t w = (uint32_t)atoi(argv[5]), hgt = (uint32_t)atoi(argv[6]);
    static run r;
    r.api = rtup_load(argv[2]);
    host_create(&r.h, 0);
    rtup_vk_device_desc dd = { sizeof dd, r.h.instance, r.h.physical, r.h.device, r.h.queue, r.h.family,
                               counting_get_instance_proc_addr, VK_NULL_HANDLE, RTUP_DEVICE_NEVER_SUBMIT };
    expect_ok(&r.api, r.api.vk_context_create(&dd, &r.ctx), "rtup_vk_context_create");
    rtup_upscaler up = NULL;
    rtup_upscaler_desc ud = { sizeof ud, argv[3], NULL, 0, w, hgt, 0 };
    expect_ok(&r.api, r.api.upscaler_create(r.ctx, &ud, &up), "rtup_upscaler_create");
    uint32_t ow, oh;
    expect_ok(&r.api, r.api.upscaler_get_output_size(up, &ow, &oh), "rtup_upscaler_get_output_size");
    size_t size;
    unsigned char* pixels = read_file(argv[4], &size);
    slots_create(&r, w, hgt, ow, oh, VK_FORMAT_R8G8B8A8_UNORM);
    slots_fill(&r, pixels, size, 0);
    for (int f = 0; f < SLOTS; f++) run_frame(&r, up);
    slots_wait(&r);
    VkImage old_inputs[SLOTS];
    for (int i = 0; i < SLOTS; i++) old_inputs[i] = r.slots[i].input.image;
    slots_destroy_images(&r, 1, 0);
    int reused = 0;
    for (int i = 0; i < SLOTS; i++) {
        r.slots[i].input = image_create(&r.h, w, hgt, VK_FORMAT_B8G8R8A8_UNORM, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
        r.slots[i].upload = buffer_create(&r.h, (VkDeviceSize)w * hgt * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT);
        for (int j = 0; j < SLOTS; j++) reused += r.slots[i].input.image == old_inputs[j];
    }
    printf("input handles that came back for the BGRA8 images: %d of %d\n", reused, SLOTS);
    if (reused == 0) fail("no image handle value came back; the case this run checks did not happen");
    slots_fill(&r, pixels, size, 1);
    for (int f = 0; f < SLOTS; f++) run_frame(&r, up);
    slots_wait(&r);
    write_output(&r, argv[7]);
    r.api.upscaler_destroy(up);
    slots_destroy_images(&r, 1, 1);
    r.api.context_destroy(r.ctx);
    for (int i = 0; i < SLOTS; i++) {
        vkFreeCommandBuffers(r.h.device, r.h.pool, 1, &r.slots[i].cmd);
        vkDestroyFence(r.h.device, r.slots[i].fence, NULL);
    }
    host_destroy(&r.h);
    free(pixels);
    if (library_submits || library_queue_waits || library_device_waits) fail("the library submitted or waited");
    printf("host: reuse ok\n");
    return 0;
}

/* A fresh process whose first call into the library is `name`. */
static int first(const char* name, const char* lib, const char* model)
{
    rtup_api api = rtup_load(lib);
    rtup_context ctx = NULL;
    rtup_upscaler up = NULL;
    uint32_t w, h;
    if (strcmp(name, "rtup_get_api_version") == 0) {
        if (api.get_api_version() != RTUP_API_VERSION) fail("API version");
    } else if (strcmp(name, "rtup_get_last_error") == 0) {
        const char* m = api.get_last_error();
        if (!m || m[0]) fail("a fresh thread's last error is not empty");
    } else if (strcmp(name, "rtup_vk_context_create") == 0) {
        host hh;
        host_create(&hh, 1);
        rtup_vk_device_desc dd = { sizeof dd, hh.instance, hh.physical, hh.device, hh.queue, hh.family,
                                   counting_get_instance_proc_addr, VK_NULL_HANDLE, RTUP_DEVICE_NEVER_SUBMIT };
        expect_ok(&api, api.vk_context_create(&dd, &ctx), name);
        rtup_upscaler_desc ud = { sizeof ud, model, NULL, 0, 8, 8, 0 };
        expect_ok(&api, api.upscaler_create(ctx, &ud, &up), "rtup_upscaler_create");
        api.upscaler_destroy(up);
        api.context_destroy(ctx);
        host_destroy(&hh);
        if (validation_messages) fail("%d validation messages", validation_messages);
    } else if (strcmp(name, "rtup_context_create_default") == 0) {
        expect_ok(&api, api.context_create_default(&ctx), name);
        api.context_destroy(ctx);
    } else if (strcmp(name, "rtup_context_create_default_with_flags") == 0) {
        expect_error(&api, api.context_create_default_with_flags(0x80, &ctx), RTUP_ERROR_INVALID_ARGUMENT, "flags", name);
    } else if (strcmp(name, "rtup_context_get_validation_message_count") == 0) {
        expect_error(&api, api.context_get_validation_message_count(NULL, &w), RTUP_ERROR_INVALID_ARGUMENT, "ctx", name);
    } else if (strcmp(name, "rtup_context_destroy") == 0) {
        api.context_destroy(NULL);
    } else if (strcmp(name, "rtup_upscaler_create") == 0) {
        rtup_upscaler_desc ud = { sizeof ud, model, NULL, 0, 8, 8, 0 };
        expect_error(&api, api.upscaler_create(NULL, &ud, &up), RTUP_ERROR_INVALID_ARGUMENT, "ctx", name);
    } else if (strcmp(name, "rtup_upscaler_get_output_size") == 0) {
        expect_error(&api, api.upscaler_get_output_size(NULL, &w, &h), RTUP_ERROR_INVALID_ARGUMENT, "up", name);
    } else if (strcmp(name, "rtup_vk_upscaler_record") == 0) {
        expect_error(&api, api.vk_upscaler_record(NULL, NULL), RTUP_ERROR_INVALID_ARGUMENT, "up", name);
    } else if (strcmp(name, "rtup_vk_upscaler_forget_images") == 0) {
        expect_error(&api, api.vk_upscaler_forget_images(NULL), RTUP_ERROR_INVALID_ARGUMENT, "up", name);
    } else if (strcmp(name, "rtup_upscaler_run_rgba8") == 0) {
        expect_error(&api, api.upscaler_run_rgba8(NULL, NULL, 0, NULL, 0), RTUP_ERROR_INVALID_ARGUMENT, "up", name);
    } else if (strcmp(name, "rtup_upscaler_destroy") == 0) {
        api.upscaler_destroy(NULL);
    } else if (strcmp(name, "rtup_unity_get_render_event_func") == 0) {
        if (!api.unity_get_render_event_func()) fail("no render event function");
    } else if (strcmp(name, "rtup_unity_get_event_id") == 0) {
        if (api.unity_get_event_id() != -1) fail("an event id before UnityPluginLoad");
    } else if (strcmp(name, "rtup_unity_get_context") == 0) {
        expect_error(&api, api.unity_get_context(&ctx), RTUP_ERROR_UNSUPPORTED, "UnityPluginLoad", name);
    } else if (strcmp(name, "rtup_unity_get_last_event_result") == 0) {
        char m[64];
        if (api.unity_get_last_event_result(m, sizeof m) != RTUP_OK || m[0]) fail("an event result before any event");
    } else if (strcmp(name, "UnityPluginUnload") == 0) {
        void (*unload)(void) = (void (*)(void))resolve(api.library, "UnityPluginUnload");
        unload();
    } else {
        fail("unknown first call %s", name);
    }
    printf("first call ok: %s\n", name);
    return 0;
}

int main(int argc, char** argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && strcmp(argv[1], "full") == 0) return full(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "reuse") == 0) return reuse(argc, argv);
    if (argc == 5 && strcmp(argv[1], "first") == 0) return first(argv[2], argv[3], argv[4]);
    fail("usage: host full ... | host reuse ... | host first NAME LIB MODEL");
    return 2;
}
