// The codes the host passes to the shaders as specialization constants. This file is their only source:
// the build turns it into ShaderCodes.g.cs (build/ShaderCodes.targets), enums of the same names and values
// in RealtimeUpscale.Network.Kernels, so C# and GLSL cannot disagree.
//
// What the generator reads: "// enum Name: summary" opens an enum; each following
// "const int NAME = value; // Member: summary" adds a member; a blank line closes the enum. Every
// `const int` of this file belongs to an enum; other lines are comments or the include guard.
#ifndef CODES_GLSL
#define CODES_GLSL

// enum ActivationCode: The ACT constant of conv2d, deconv2d and elementwise (include/activation.glsl).
const int ACT_NONE = 0;          // None: identity.
const int ACT_RELU = 1;          // Relu: max(v, 0).
const int ACT_PRELU_SHARED = 2;  // PReluShared: PReLU with one slope for every channel, ACT_A.
const int ACT_PRELU_CHANNEL = 3; // PReluPerChannel: PReLU with one slope per output channel, read from the parameters.
const int ACT_LEAKY_RELU = 4;    // LeakyRelu: LeakyReLU with slope ACT_A.
const int ACT_TANH = 5;          // Tanh: tanh(v).
const int ACT_SIGMOID = 6;       // Sigmoid: 1 / (1 + exp(-v)).
const int ACT_CLIP = 7;          // Clip: clamp(v, ACT_A, ACT_B).

// enum PadCode: How a convolution reads outside its input: PAD_MODE of conv2d, IN_PAD_MODE of deconv2d.
const int PAD_ZEROS = 0;             // Zeros: zeros.
const int PAD_REPLICATE = 1;         // Replicate: the edge pixel repeats.
const int PAD_REFLECT = 2;           // Reflect: mirrored without repeating the edge (-1 reads 1).
const int PAD_BOUNDED_REPLICATE = 3; // BoundedReplicate: the edge repeats within BORDER pixels, zeros beyond (conv2d only).

// enum UpsampleCode: The UPSAMPLE constant of conv2d (a fused resize) and upsample (include/resample.glsl).
const int UPSAMPLE_NONE = 0;     // None: no resize (conv2d only).
const int UPSAMPLE_NEAREST = 1;  // Nearest: PyTorch's nearest.
const int UPSAMPLE_BILINEAR = 2; // Bilinear: PyTorch's bilinear.
const int UPSAMPLE_BICUBIC = 3;  // Bicubic: PyTorch's bicubic, cubic convolution with A = -0.75.

// enum ShuffleCode: Depth-to-space order: SHUFFLE of conv2d (a fused pixel shuffle) and ORDER of pixel_shuffle.
const int SHUFFLE_NONE = 0; // None: no pixel shuffle (conv2d only).
const int SHUFFLE_CRD = 1;  // Crd: input channel c * r^2 + i * r + j (PyTorch pixel_shuffle, ONNX "CRD").
const int SHUFFLE_DCR = 2;  // Dcr: input channel (i * r + j) * C + c (ONNX DepthToSpace's default).

// enum ElementwiseOp: The OP constant of elementwise.
const int OP_ADD = 0;        // Add: a + b.
const int OP_SCALE_BIAS = 1; // ScaleBias: a * p[c] + p[C + c], a per-channel affine map.
const int OP_SUB = 2;        // Sub: a - b.
const int OP_MUL = 3;        // Mul: a * b.
const int OP_DIV = 4;        // Div: a / b.
const int OP_MAX = 5;        // Max: max(a, b).
const int OP_MIN = 6;        // Min: min(a, b).
const int OP_POW = 7;        // Pow: a to the power b (powf).

// enum PoolCode: The MODE constant of pool2d.
const int POOL_MAX = 0;     // Max: the largest value of the window.
const int POOL_AVERAGE = 1; // Average: the mean of the window.

// enum ColorCode: The planes of a tensor converted from or to an image: COLOR of image_to_tensor and tensor_to_image.
const int COLOR_RGB = 0;        // Rgb: R, G, B (alpha 1 when written to an image).
const int COLOR_RGBA = 1;       // Rgba: R, G, B, A.
const int COLOR_GREY = 2;       // Grey: one plane, read from red, written to red, green and blue.
const int COLOR_GREY_ALPHA = 3; // GreyAlpha: grey, then alpha (tensor to image only).

#endif
