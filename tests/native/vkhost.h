/*
 * What both test hosts of the native library share: a Vulkan instance and device of their own with the
 * validation layer and synchronisation validation on (every warning or error is counted and fails the
 * run), images and buffers, one-shot command buffers, and a vkGetInstanceProcAddr wrapper that counts every
 * vkQueueSubmit, vkQueueSubmit2, vkQueueWaitIdle and vkDeviceWaitIdle made through it (the library's calls:
 * the host itself calls the loader directly), and the pipelines created through it and with which cache; it
 * can also hide a device feature from the library.
 * Header-only; C99.
 */
#ifndef RTUP_TEST_VKHOST_H
#define RTUP_TEST_VKHOST_H

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

static inline void fail(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "host: FAIL: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(1);
}

#define VK_CHECK(call)                                                                   \
    do {                                                                                 \
        VkResult vk_check_result = (call);                                               \
        if (vk_check_result != VK_SUCCESS) fail("%s returned %d", #call, vk_check_result); \
    } while (0)

/* ---- validation messages ---- */
static int validation_messages;

static inline VKAPI_ATTR VkBool32 VKAPI_CALL on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
    VkDebugUtilsMessageTypeFlagsEXT types, const VkDebugUtilsMessengerCallbackDataEXT* data, void* user)
{
    (void)types;
    (void)user;
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        validation_messages++;
        fprintf(stderr, "validation: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

/* ---- the counting vkGetInstanceProcAddr handed to the library ---- */
static int library_submits, library_queue_waits, library_device_waits;
static PFN_vkQueueSubmit real_queue_submit;
static PFN_vkQueueSubmit2 real_queue_submit2;
static PFN_vkQueueWaitIdle real_queue_wait_idle;
static PFN_vkDeviceWaitIdle real_device_wait_idle;
static PFN_vkGetDeviceProcAddr real_get_device_proc_addr;
static PFN_vkCreateComputePipelines real_create_compute_pipelines;
/* Pipelines the library created, and how many of them through `expected_pipeline_cache`. */
static int library_pipelines, library_pipelines_through_cache;
static VkPipelineCache expected_pipeline_cache;

static inline VKAPI_ATTR VkResult VKAPI_CALL counted_queue_submit(VkQueue q, uint32_t n, const VkSubmitInfo* s, VkFence f)
{
    library_submits++;
    return real_queue_submit(q, n, s, f);
}

static inline VKAPI_ATTR VkResult VKAPI_CALL counted_queue_submit2(VkQueue q, uint32_t n, const VkSubmitInfo2* s, VkFence f)
{
    library_submits++;
    return real_queue_submit2(q, n, s, f);
}

static inline VKAPI_ATTR VkResult VKAPI_CALL counted_queue_wait_idle(VkQueue q)
{
    library_queue_waits++;
    return real_queue_wait_idle(q);
}

static inline VKAPI_ATTR VkResult VKAPI_CALL counted_device_wait_idle(VkDevice d)
{
    library_device_waits++;
    return real_device_wait_idle(d);
}

static inline VKAPI_ATTR VkResult VKAPI_CALL counted_create_compute_pipelines(VkDevice d, VkPipelineCache cache, uint32_t n,
    const VkComputePipelineCreateInfo* infos, const VkAllocationCallbacks* allocator, VkPipeline* pipelines)
{
    library_pipelines += (int)n;
    if (cache != VK_NULL_HANDLE && cache == expected_pipeline_cache) library_pipelines_through_cache += (int)n;
    return real_create_compute_pipelines(d, cache, n, infos, allocator, pipelines);
}

/* When set, the device reports no shaderStorageImageWriteWithoutFormat to the library (a device without it). */
static int hide_storage_write_without_format;
static PFN_vkGetPhysicalDeviceFeatures real_get_physical_device_features;

static inline VKAPI_ATTR void VKAPI_CALL filtered_get_physical_device_features(VkPhysicalDevice p, VkPhysicalDeviceFeatures* f)
{
    real_get_physical_device_features(p, f);
    if (hide_storage_write_without_format) f->shaderStorageImageWriteWithoutFormat = VK_FALSE;
}

static inline PFN_vkVoidFunction counted_function(const char* name)
{
    if (strcmp(name, "vkGetPhysicalDeviceFeatures") == 0) return (PFN_vkVoidFunction)filtered_get_physical_device_features;
    if (strcmp(name, "vkCreateComputePipelines") == 0) return (PFN_vkVoidFunction)counted_create_compute_pipelines;
    if (strcmp(name, "vkQueueSubmit") == 0) return (PFN_vkVoidFunction)counted_queue_submit;
    if (strcmp(name, "vkQueueSubmit2") == 0 || strcmp(name, "vkQueueSubmit2KHR") == 0) return (PFN_vkVoidFunction)counted_queue_submit2;
    if (strcmp(name, "vkQueueWaitIdle") == 0) return (PFN_vkVoidFunction)counted_queue_wait_idle;
    if (strcmp(name, "vkDeviceWaitIdle") == 0) return (PFN_vkVoidFunction)counted_device_wait_idle;
    return NULL;
}

static inline VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL counted_get_device_proc_addr(VkDevice device, const char* name)
{
    PFN_vkVoidFunction counted = counted_function(name);
    return counted ? counted : real_get_device_proc_addr(device, name);
}

static inline VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL counting_get_instance_proc_addr(VkInstance instance, const char* name)
{
    PFN_vkVoidFunction counted = counted_function(name);
    if (counted) return counted;
    if (strcmp(name, "vkGetDeviceProcAddr") == 0) return (PFN_vkVoidFunction)counted_get_device_proc_addr;
    return vkGetInstanceProcAddr(instance, name);
}

/* ---- the host's own device ---- */
typedef struct host {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice physical;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    VkCommandPool pool;
    VkPhysicalDeviceMemoryProperties memory;
    VkBool32 storage16;        /* storageBuffer16BitAccess, enabled when the device has it */
} host;

/* validation: the layer with synchronisation validation and a messenger; without it, handle values are the
 * driver's own (the layer wraps them in unique ids that never come back). */
static inline void host_create(host* h, int validation)
{
    memset(h, 0, sizeof *h);
    const char* layers[] = { "VK_LAYER_KHRONOS_validation" };
    const char* extensions[] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME };
    VkValidationFeatureEnableEXT enables[] = { VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT };
    VkDebugUtilsMessengerCreateInfoEXT messenger = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation,
    };
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT, .pNext = &messenger,
        .enabledValidationFeatureCount = 1, .pEnabledValidationFeatures = enables,
    };
    VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "rtup test host",
                              .apiVersion = VK_API_VERSION_1_1 };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pNext = validation ? &features : NULL, .pApplicationInfo = &app,
        .enabledLayerCount = validation ? 1 : 0, .ppEnabledLayerNames = layers,
        .enabledExtensionCount = validation ? 2 : 0, .ppEnabledExtensionNames = extensions,
    };
    VK_CHECK(vkCreateInstance(&info, NULL, &h->instance));
    if (validation) {
        PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(h->instance, "vkCreateDebugUtilsMessengerEXT");
        VK_CHECK(create_messenger(h->instance, &messenger, NULL, &h->messenger));
    }

    uint32_t count = 1;
    VkResult listed = vkEnumeratePhysicalDevices(h->instance, &count, &h->physical);
    if ((listed != VK_SUCCESS && listed != VK_INCOMPLETE) || count == 0) fail("no Vulkan device");
    uint32_t families = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(h->physical, &families, NULL);
    VkQueueFamilyProperties props[16];
    if (families > 16) families = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(h->physical, &families, props);
    h->family = UINT32_MAX;
    for (uint32_t i = 0; i < families && h->family == UINT32_MAX; i++)
        if (props[i].queueFlags & VK_QUEUE_COMPUTE_BIT) h->family = i;
    if (h->family == UINT32_MAX) fail("no compute queue family");
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = h->family,
                                      .queueCount = 1, .pQueuePriorities = &priority };
    VkPhysicalDeviceFeatures enabled = { .shaderStorageImageWriteWithoutFormat = VK_TRUE };
    /* 16-bit storage where the device has it, as an engine that wants float16 upscalers enables it. */
    VkPhysicalDevice16BitStorageFeatures sixteen = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES };
    VkPhysicalDeviceFeatures2 features2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &sixteen };
    vkGetPhysicalDeviceFeatures2(h->physical, &features2);
    h->storage16 = sixteen.storageBuffer16BitAccess;
    VkPhysicalDevice16BitStorageFeatures enable16 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
                                                      .storageBuffer16BitAccess = h->storage16 };
    VkDeviceCreateInfo device = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .pNext = &enable16, .queueCreateInfoCount = 1,
                                  .pQueueCreateInfos = &queue, .pEnabledFeatures = &enabled };
    VK_CHECK(vkCreateDevice(h->physical, &device, NULL, &h->device));
    vkGetDeviceQueue(h->device, h->family, 0, &h->queue);
    VkCommandPoolCreateInfo pool = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                     .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT, .queueFamilyIndex = h->family };
    VK_CHECK(vkCreateCommandPool(h->device, &pool, NULL, &h->pool));
    vkGetPhysicalDeviceMemoryProperties(h->physical, &h->memory);

    real_queue_submit = (PFN_vkQueueSubmit)vkGetInstanceProcAddr(h->instance, "vkQueueSubmit");
    real_queue_submit2 = (PFN_vkQueueSubmit2)vkGetInstanceProcAddr(h->instance, "vkQueueSubmit2");
    real_queue_wait_idle = (PFN_vkQueueWaitIdle)vkGetInstanceProcAddr(h->instance, "vkQueueWaitIdle");
    real_device_wait_idle = (PFN_vkDeviceWaitIdle)vkGetInstanceProcAddr(h->instance, "vkDeviceWaitIdle");
    real_get_device_proc_addr = (PFN_vkGetDeviceProcAddr)vkGetInstanceProcAddr(h->instance, "vkGetDeviceProcAddr");
    real_create_compute_pipelines = (PFN_vkCreateComputePipelines)vkGetInstanceProcAddr(h->instance, "vkCreateComputePipelines");
    real_get_physical_device_features = (PFN_vkGetPhysicalDeviceFeatures)vkGetInstanceProcAddr(h->instance, "vkGetPhysicalDeviceFeatures");
}

static inline void host_destroy(host* h)
{
    vkDestroyCommandPool(h->device, h->pool, NULL);
    vkDestroyDevice(h->device, NULL);
    if (h->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(h->instance, "vkDestroyDebugUtilsMessengerEXT");
        destroy_messenger(h->instance, h->messenger, NULL);
    }
    vkDestroyInstance(h->instance, NULL);
}

static inline uint32_t memory_type(const host* h, uint32_t bits, VkMemoryPropertyFlags wanted)
{
    for (uint32_t i = 0; i < h->memory.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (h->memory.memoryTypes[i].propertyFlags & wanted) == wanted) return i;
    fail("no memory type for bits 0x%x", bits);
    return 0;
}

/* A host-visible buffer, mapped for its whole life. */
typedef struct host_buffer {
    VkBuffer buffer;
    VkDeviceMemory memory;
    void* mapped;
    VkDeviceSize size;
} host_buffer;

static inline host_buffer buffer_create(const host* h, VkDeviceSize size, VkBufferUsageFlags usage)
{
    host_buffer b = { .size = size };
    VkBufferCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .usage = usage };
    VK_CHECK(vkCreateBuffer(h->device, &info, NULL, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(h->device, b.buffer, &req);
    VkMemoryAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size,
        .memoryTypeIndex = memory_type(h, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) };
    VK_CHECK(vkAllocateMemory(h->device, &alloc, NULL, &b.memory));
    VK_CHECK(vkBindBufferMemory(h->device, b.buffer, b.memory, 0));
    VK_CHECK(vkMapMemory(h->device, b.memory, 0, VK_WHOLE_SIZE, 0, &b.mapped));
    return b;
}

static inline void buffer_destroy(const host* h, host_buffer* b)
{
    vkDestroyBuffer(h->device, b->buffer, NULL);
    vkFreeMemory(h->device, b->memory, NULL);
    memset(b, 0, sizeof *b);
}

/* A 2D image of one mip and layer in device memory. */
typedef struct host_image {
    VkImage image;
    VkDeviceMemory memory;
    VkFormat format;
    uint32_t width, height;
} host_image;

static inline host_image image_create(const host* h, uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage)
{
    host_image im = { .format = format, .width = width, .height = height };
    VkImageCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO, .imageType = VK_IMAGE_TYPE_2D, .format = format,
        .extent = { width, height, 1 }, .mipLevels = 1, .arrayLayers = 1, .samples = VK_SAMPLE_COUNT_1_BIT,
        .tiling = VK_IMAGE_TILING_OPTIMAL, .usage = usage, .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
    };
    VK_CHECK(vkCreateImage(h->device, &info, NULL, &im.image));
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(h->device, im.image, &req);
    VkMemoryAllocateInfo alloc = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = req.size,
        .memoryTypeIndex = memory_type(h, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) };
    VK_CHECK(vkAllocateMemory(h->device, &alloc, NULL, &im.memory));
    VK_CHECK(vkBindImageMemory(h->device, im.image, im.memory, 0));
    return im;
}

static inline void image_destroy(const host* h, host_image* im)
{
    vkDestroyImage(h->device, im->image, NULL);
    vkFreeMemory(h->device, im->memory, NULL);
    memset(im, 0, sizeof *im);
}

static inline VkImageView view_create(const host* h, const host_image* im)
{
    VkImageViewCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO, .image = im->image, .viewType = VK_IMAGE_VIEW_TYPE_2D,
        .format = im->format, .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
    };
    VkImageView view;
    VK_CHECK(vkCreateImageView(h->device, &info, NULL, &view));
    return view;
}

static inline void barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to,
                    VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkImageMemoryBarrier b = {
        .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER, .srcAccessMask = src_access, .dstAccessMask = dst_access,
        .oldLayout = from, .newLayout = to, .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
        .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .image = image,
        .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
    };
    vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 0, NULL, 0, NULL, 1, &b);
}

static inline void copy_buffer_to_image(VkCommandBuffer cmd, const host_buffer* b, const host_image* im)
{
    VkBufferImageCopy region = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                 .imageExtent = { im->width, im->height, 1 } };
    vkCmdCopyBufferToImage(cmd, b->buffer, im->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
}

static inline void copy_image_to_buffer(VkCommandBuffer cmd, const host_image* im, const host_buffer* b)
{
    VkBufferImageCopy region = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                 .imageExtent = { im->width, im->height, 1 } };
    vkCmdCopyImageToBuffer(cmd, im->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, b->buffer, 1, &region);
}

/* ---- files ---- */
static inline unsigned char* read_file(const char* path, size_t* size)
{
    FILE* f = fopen(path, "rb");
    if (!f) fail("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char* bytes = malloc((size_t)n + 1);
    if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) fail("cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return bytes;
}

static inline void write_file(const char* path, const void* bytes, size_t size)
{
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, size, f) != size || fclose(f) != 0) fail("cannot write %s", path);
}

#endif
