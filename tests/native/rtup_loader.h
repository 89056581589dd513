/*
 * Loads the native library with dlopen() and resolves every function of include/realtimeupscale.h into a
 * table whose entries have the header's own types (so a prototype that changes breaks the test hosts'
 * build). Also checks that a message names the problem. Header-only; C99 with GCC's __typeof__.
 */
#ifndef RTUP_TEST_LOADER_H
#define RTUP_TEST_LOADER_H

#include "realtimeupscale.h"
#include "vkhost.h"

typedef struct rtup_api {
    void* library;
    __typeof__(&rtup_get_api_version) get_api_version;
    __typeof__(&rtup_get_last_error) get_last_error;
    __typeof__(&rtup_vk_context_create) vk_context_create;
    __typeof__(&rtup_context_create_default) context_create_default;
    __typeof__(&rtup_context_create_default_with_flags) context_create_default_with_flags;
    __typeof__(&rtup_context_get_validation_message_count) context_get_validation_message_count;
    __typeof__(&rtup_context_destroy) context_destroy;
    __typeof__(&rtup_upscaler_create) upscaler_create;
    __typeof__(&rtup_upscaler_get_output_size) upscaler_get_output_size;
    __typeof__(&rtup_vk_upscaler_record) vk_upscaler_record;
    __typeof__(&rtup_vk_upscaler_forget_images) vk_upscaler_forget_images;
    __typeof__(&rtup_upscaler_run_rgba8) upscaler_run_rgba8;
    __typeof__(&rtup_upscaler_destroy) upscaler_destroy;
    __typeof__(&rtup_unity_get_render_event_func) unity_get_render_event_func;
    __typeof__(&rtup_unity_get_event_id) unity_get_event_id;
    __typeof__(&rtup_unity_get_context) unity_get_context;
    __typeof__(&rtup_unity_get_last_event_result) unity_get_last_event_result;
} rtup_api;

static inline void* resolve(void* library, const char* name)
{
    void* f = dlsym(library, name);
    if (!f) fail("the library does not export %s", name);
    return f;
}

#define RTUP_RESOLVE(api, field, name) ((api)->field = (__typeof__((api)->field))resolve((api)->library, name))

static inline rtup_api rtup_load(const char* path)
{
    rtup_api api;
    memset(&api, 0, sizeof api);
    api.library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!api.library) fail("dlopen(%s): %s", path, dlerror());
    RTUP_RESOLVE(&api, get_api_version, "rtup_get_api_version");
    RTUP_RESOLVE(&api, get_last_error, "rtup_get_last_error");
    RTUP_RESOLVE(&api, vk_context_create, "rtup_vk_context_create");
    RTUP_RESOLVE(&api, context_create_default, "rtup_context_create_default");
    RTUP_RESOLVE(&api, context_create_default_with_flags, "rtup_context_create_default_with_flags");
    RTUP_RESOLVE(&api, context_get_validation_message_count, "rtup_context_get_validation_message_count");
    RTUP_RESOLVE(&api, context_destroy, "rtup_context_destroy");
    RTUP_RESOLVE(&api, upscaler_create, "rtup_upscaler_create");
    RTUP_RESOLVE(&api, upscaler_get_output_size, "rtup_upscaler_get_output_size");
    RTUP_RESOLVE(&api, vk_upscaler_record, "rtup_vk_upscaler_record");
    RTUP_RESOLVE(&api, vk_upscaler_forget_images, "rtup_vk_upscaler_forget_images");
    RTUP_RESOLVE(&api, upscaler_run_rgba8, "rtup_upscaler_run_rgba8");
    RTUP_RESOLVE(&api, upscaler_destroy, "rtup_upscaler_destroy");
    RTUP_RESOLVE(&api, unity_get_render_event_func, "rtup_unity_get_render_event_func");
    RTUP_RESOLVE(&api, unity_get_event_id, "rtup_unity_get_event_id");
    RTUP_RESOLVE(&api, unity_get_context, "rtup_unity_get_context");
    RTUP_RESOLVE(&api, unity_get_last_event_result, "rtup_unity_get_last_event_result");
    return api;
}

/* Fails unless `result` is `expected` and the thread's message contains `needle`; prints the message. */
static inline void expect_error(const rtup_api* api, rtup_result result, rtup_result expected, const char* needle, const char* what)
{
    const char* message = api->get_last_error();
    if (result != expected) fail("%s: returned %d, expected %d (message: %s)", what, result, expected, message);
    if (!message || !strstr(message, needle)) fail("%s: the message \"%s\" does not name \"%s\"", what, message ? message : "(null)", needle);
    printf("error ok: %s -> %d: %s\n", what, result, message);
}

static inline void expect_ok(const rtup_api* api, rtup_result result, const char* what)
{
    if (result != RTUP_OK) fail("%s: returned %d: %s", what, result, api->get_last_error());
    const char* message = api->get_last_error();
    if (!message || message[0] != '\0') fail("%s: succeeded but the last error is \"%s\", not empty", what, message ? message : "(null)");
}

#endif
