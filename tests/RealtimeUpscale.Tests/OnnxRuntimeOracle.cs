using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Tests;

/// <summary>Runs a model on ONNX Runtime's CPU provider: the outside oracle for whole networks.</summary>
public static class OnnxRuntimeOracle
{
    public static HostTensor Run(string modelPath, HostTensor input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(modelPath, options);
        string name = session.InputMetadata.Keys.First();
        var tensor = new DenseTensor<float>(input.ToFloat(), new[] { 1, input.C, input.H, input.W });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(name, tensor) });
        var output = results.First().AsTensor<float>();
        var dims = output.Dimensions.ToArray();
        return HostTensor.FromFloat(new TensorShape(dims[1], dims[2], dims[3]), output.ToArray());
    }
}
