using UnityEngine;
using UnityEngine.Rendering;

namespace RealtimeUpscale.Unity
{
    /// <summary>
    /// Upscales <see cref="input"/> into <see cref="output"/> every frame with the ONNX model at
    /// <see cref="modelPath"/> (relative to StreamingAssets), through a CommandBuffer the component executes
    /// after the camera has rendered. Leave <see cref="output"/> empty to have one made at the model's size.
    /// </summary>
    public sealed class RealtimeUpscaleBehaviour : MonoBehaviour
    {
        public string modelPath = "subpixel_rgb_x2.onnx";

        public RenderTexture input;

        public RenderTexture output;

        private RealtimeUpscaler _upscaler;
        private CommandBuffer _commands;
        private bool _ownsOutput;

        private void OnEnable()
        {
            string path = System.IO.Path.Combine(Application.streamingAssetsPath, modelPath);
            _upscaler = new RealtimeUpscaler(path, input.width, input.height);
            if (output == null)
            {
                output = _upscaler.CreateOutputTexture();
                _ownsOutput = true;
            }
            _commands = new CommandBuffer { name = "RealtimeUpscale" };
            _upscaler.Record(_commands, input, output);
        }

        private void LateUpdate()
        {
            Graphics.ExecuteCommandBuffer(_commands);
            RealtimeUpscaler.ReleasePending();
            string error = RealtimeUpscaler.LastEventError();
            if (error != null)
            {
                Debug.LogError("RealtimeUpscale: " + error);
            }
        }

        private void OnDisable()
        {
            _commands?.Release();
            _commands = null;
            _upscaler?.Dispose();
            _upscaler = null;
            if (_ownsOutput)
            {
                output.Release();
                output = null;
                _ownsOutput = false;
            }
        }
    }
}
