/* The README's engine example (section "Engines: the C API"), compiled by the tests so it stays correct. */
#include <stdio.h>
#include "realtimeupscale.h"

/* Called once the engine has its device; the engine created it with shaderStorageImageWriteWithoutFormat. */
rtup_upscaler make_upscaler(VkInstance instance, VkPhysicalDevice physical, VkDevice device, VkQueue queue,
                            uint32_t family, PFN_vkGetInstanceProcAddr get_proc, rtup_context* ctx)
{
    rtup_vk_device_desc desc = {
        .struct_size = sizeof desc, .instance = instance, .physical_device = physical, .device = device,
        .queue = queue, .queue_family_index = family, .get_instance_proc_addr = get_proc,
        .pipeline_cache = VK_NULL_HANDLE, .flags = RTUP_DEVICE_NEVER_SUBMIT,
    };
    if (rtup_vk_context_create(&desc, ctx) != RTUP_OK) {
        fprintf(stderr, "rtup: %s\n", rtup_get_last_error());
        return NULL;
    }
    rtup_upscaler_desc model = { .struct_size = sizeof model, .model_path = "subpixel_rgb_x2.onnx",
                                 .input_width = 960, .input_height = 540 };
    rtup_upscaler up = NULL;
    if (rtup_upscaler_create(*ctx, &model, &up) != RTUP_OK) fprintf(stderr, "rtup: %s\n", rtup_get_last_error());
    return up; /* rtup_upscaler_get_output_size(up, &w, &h) gives 1920x1080 for this x2 model */
}

/* Every frame, inside the engine's command buffer, outside a render pass. */
void record_frame(rtup_upscaler up, VkCommandBuffer cmd, VkImage low_res, VkImage output,
                  uint64_t frame, uint64_t completed)
{
    /* The engine's barrier: its render of low_res visible to compute reads, output ready for compute writes. */
    VkImageMemoryBarrier barriers[2] = {
        { .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT, .oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
          .newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
          .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .image = low_res,
          .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 } },
        { .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER, .srcAccessMask = 0,
          .dstAccessMask = VK_ACCESS_SHADER_WRITE_BIT, .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
          .newLayout = VK_IMAGE_LAYOUT_GENERAL, .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
          .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED, .image = output,
          .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 } },
    };
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 0, NULL, 0, NULL, 2, barriers);

    rtup_vk_dispatch_desc d = {
        .struct_size = sizeof d, .command_buffer = cmd,
        .input = { low_res, VK_NULL_HANDLE, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, 960, 540 },
        .output = { output, VK_NULL_HANDLE, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_LAYOUT_GENERAL, 1920, 1080 },
        .frame_index = frame,              /* the engine's frame counter, from 1 */
        .completed_frame_index = completed /* the newest frame whose fence has signalled (0: none) */
    };
    if (rtup_vk_upscaler_record(up, &d) != RTUP_OK) fprintf(stderr, "rtup: %s\n", rtup_get_last_error());

    /* The engine's next barrier orders its use of output after VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT /
     * VK_ACCESS_SHADER_WRITE_BIT; it submits cmd itself. At shutdown, once the device is idle:
     * rtup_upscaler_destroy(up); rtup_context_destroy(ctx); */
}
