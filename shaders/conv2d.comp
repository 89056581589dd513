#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "include/storage.glsl"
// 2D convolution (cross-correlation, as PyTorch and ONNX define it) with optional fused stages:
//   [x per-channel scale (IN_SCALE)] or [1x1 convolution -> bias -> activation (IN_EXPAND)]
//   -> [upsample (resize-convolution)] -> pad -> conv -> bias -> activation
//   -> [pixel shuffle (sub-pixel conv)] -> [+ residual, or + the residual source upsampled (RESIDUAL),
//   x per-channel scale (RES_SCALE)]
//
// Memory layout: every tensor is planar (float32, or float16: include/storage.glsl), element (c, y, x) at (c * H + y) * W + x.
//   binding 0: input,  inC x inH x inW (before the fused upsample)
//   binding 1: output, outC x outH x outW, or with SHUFFLE (outC / r^2) x (outH * r) x (outW * r)
//   bindings 2 and 3: parameters (include/params.glsl): weights, then bias [ocStride], then, for
//              ACT_PRELU_CHANNEL, one PReLU slope per output channel [ocStride]. ocStride is outC rounded up to a
//              multiple of OC_BLOCK; the padding channels hold zeros and are never stored. Weights are
//              [ocStride][inC / groups][KH][KW].
//   binding 4: the input again, as R32F (or R16F) texels (read when TEXELS = 1)
//   binding 5: the residual source (read when RESIDUAL = 1): with RES_UPSAMPLE = UPSAMPLE_NONE a tensor of the
//              stored output's shape, added element by element; else outC' x resH x resW (outC' the stored
//              output's channels), resampled at each output pixel (include/resample.glsl) and added; with
//              RES_CROP a larger tensor (any channels) x resH x resW, whose window at channel resChannel, row
//              resTop and column resLeft is added
//   binding 6: the residual source again, as R32F (or R16F) texels (read when RES_TEXELS = 1)
//   binding 7: one factor per input channel, inC x 1 x 1 (read when IN_SCALE = 1): the input is the stored
//              input times its channel's factor (a squeeze-excitation's scale, never stored on its own)
//   binding 8: one factor per channel of the residual source (read when RES_SCALE = 1), likewise for the residual
//   binding 9: the input again, as RGBA32F texels (read when VEC_TEXELS = 1)
//   binding 10: the input's channel factors of binding 7 again, as R32F (or R16F) texels (read when IN_SCALE_TEXELS = 1)
// With IN_EXPAND > 0 the stored input has IN_EXPAND channels and the convolution's inC input channels are a 1x1
// convolution of them (PointwiseConvSpec): input channel c at (y, x) is activation EXP_ACT of bias[c] plus the sum over
// k of weight[c][k] times stored channel k at (y, x), from the parameters at pc.expBase: weights [inC][IN_EXPAND],
// bias [inC], then for EXP_ACT = ACT_PRELU_CHANNEL slopes [inC]. Each window row of the IN_EXPAND channels is loaded
// once and every input channel computed from it as the channel loop reaches it, so the inC-channel tensor is never
// stored (no upsample, input scale or groups with it). A zero-padding position reads zero; other padding modes read
// the value computed at the position they map to, as the stored tensor would give.
// Invocation (x, y, z) computes output pixels (x * PX + j, y), j < PX, of output channels
// z * OC_BLOCK .. + OC_BLOCK - 1. With BLOCKS_FASTEST the channel block is instead the fastest-varying workgroup
// index: workgroup x = tile * blocks + z, so the workgroups that read the same input tile run one after another
// and find its rows in the caches, where with z outermost every channel block streams the whole input again.
// The host picks OC_BLOCK so that a block never straddles two groups; the block then shares every input
// load across OC_BLOCK accumulators.
//
// On CPU devices the input is read through a texel buffer (TEXELS): the driver then fetches a SIMD
// register's worth of elements with one gather, where a storage-buffer read with per-lane addresses costs a
// loop over the lanes. GPUs read the storage buffer.
// With VEC_TEXELS the input is also read as RGBA32F texels (binding 9, four consecutive elements per fetch): each
// window row is then (WIDTH + 6) / 4 fetches where R32F texels take WIDTH, the window shifted out of them by the row's
// offset within a vec4 (lavapipe at 960x540, paired runs: FSRCNN's 3x3 12 -> 12 layers 31.6-33.3 -> 25.6-26.6 ms, the
// bundled models' 16 -> 16 layers 52-58 -> 40-45 ms). Padding positions take
// zero or, for the replicating modes, the element at the edge the window reaches past (one R32F fetch per row), so every
// lane runs the same code: a lane at the image's edge reads past its row (or its tensor, clamped to the view) only where
// padding replaces it.
// The host sets it for float32 tensors without a fused upsample or 1x1 convolution, dilation 1 along x, no reflect
// padding, windows narrower than the input, and a buffer holding whole vec4s. (The held rows of a fused 1x1 read this way
// measured slower: FSRCNN x2's head 84 -> 138 ms.)
// The loops whose indices address the accumulators and the window are unrolled, so those arrays stay in
// registers (a dynamically indexed array lives in memory on CPU drivers).
// With SUBGROUP_WEIGHTS each lane of a subgroup reads the weight of one output channel of the block, and
// subgroupBroadcast hands it to the others: one load per tap for the whole block where each invocation would
// read OC_BLOCK weights at offsets the driver cannot prove uniform (a gather from the uniform block, a loop over
// the lanes from the storage buffer on lavapipe). The host sets it only where a subgroup is one row of a
// workgroup (all its lanes share the channel block and the row, so they run the loops together) and holds at
// least OC_BLOCK lanes; lanes past the output then compute too and only skip the stores.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SY = 1;
layout(constant_id = 6) const int SX = 1;
layout(constant_id = 7) const int PAD_MODE = PAD_ZEROS;
layout(constant_id = 8) const int OC_BLOCK = 1;
layout(constant_id = 9) const int ACT = ACT_NONE;
layout(constant_id = 10) const float ACT_A = 0.0;
layout(constant_id = 11) const float ACT_B = 0.0;
layout(constant_id = 12) const int UPSAMPLE = UPSAMPLE_NONE;
layout(constant_id = 13) const int ALIGN_CORNERS = 0;
layout(constant_id = 14) const int SHUFFLE = SHUFFLE_NONE;
layout(constant_id = 15) const int SHUFFLE_R = 1;
layout(constant_id = 16) const int DY = 1;           // dilation
layout(constant_id = 17) const int DX = 1;
layout(constant_id = 18) const int PARAMS_IN_UBO = 0;
layout(constant_id = 19) const int PX = 1;            // output pixels per invocation along x; > 1 only if DX = 1
layout(constant_id = 20) const int BORDER = 0;        // PAD_BOUNDED_REPLICATE: how far outside the input the edge repeats
layout(constant_id = 21) const int TEXELS = 0;        // 1: read the input through binding 4
layout(constant_id = 22) const int RESIDUAL = 0;      // 1: add the residual of binding 5 to every stored output
layout(constant_id = 23) const int RES_UPSAMPLE = UPSAMPLE_NONE; // the residual source's resize, or none
layout(constant_id = 24) const int RES_ALIGN_CORNERS = 0;
layout(constant_id = 25) const int RES_TEXELS = 0;    // 1: read the residual source through binding 6
layout(constant_id = 26) const int SUBGROUP_WEIGHTS = 0; // 1: one weight load per subgroup lane, broadcast
layout(constant_id = 27) const int BLOCKS_FASTEST = 0; // 1: the channel block is the fastest workgroup index
layout(constant_id = 28) const int RES_CROP = 0;      // 1: the residual is a window of binding 5 (resTop ...)
layout(constant_id = 29) const int IN_SCALE = 0;      // 1: scale each input channel by binding 7
layout(constant_id = 30) const int RES_SCALE = 0;     // 1: scale each residual source channel by binding 8
layout(constant_id = 31) const int IN_EXPAND = 0;     // > 0: the input channels are a 1x1 convolution of this many stored ones
layout(constant_id = 32) const int EXP_ACT = ACT_NONE; // that 1x1 convolution's activation
layout(constant_id = 33) const float EXP_ACT_A = 0.0;
layout(constant_id = 34) const float EXP_ACT_B = 0.0;
// 1: a sub-pixel head (SHUFFLE, PX > 1) adding its residual source upsampled by bicubic (align_corners 0) at exactly the
// shuffle's factor (pc.resPeriodY = pc.resPeriodX = SHUFFLE_R; the residual of subpixel_x2). Output pixel j of a
// channel then reads source column ix0 + j + tap with the weights of its phase alone, so the PX outputs resample from
// one window of PX + 3 columns per source row, 4 (PX + 3) reads where each output would read its own 16; the sums run
// in resampleAt's order, so both give the same bits.
layout(constant_id = 35) const int RES_WINDOW = 0;
layout(constant_id = 36) const int VEC_TEXELS = 0;     // 1: read the input's window rows through binding 9 as well
// 1: read IN_SCALE's factors through binding 10 (CPU devices): a texel gather where a storage-buffer read of a channel's
// factor loops over the lanes (lavapipe, Real-CUGAN se x2 at 256x256, paired runs: its input-scaled 1x1 sub-pixel and
// stride-2 layers 7 to 16% faster).
layout(constant_id = 37) const int IN_SCALE_TEXELS = 0;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };
layout(std430, binding = 5) readonly buffer Residual { TENSOR_T resData[]; };
layout(std430, binding = 7) readonly buffer InScale { TENSOR_T inScale[]; };
layout(std430, binding = 8) readonly buffer ResScale { TENSOR_T resScale[]; };

layout(push_constant) uniform Push
{
    int inC, inH, inW;   // stored input
    int upH, upW;        // convolution input: the upsampled size, or inH, inW without upsampling
    int outC, outH, outW;
    int padTop, padLeft;
    int groups;
    float scaleY, scaleX; // upsample: source pixels per upsampled pixel (see resample.glsl)
    int ocStride;
    int periodY, periodX; // upsample: the integer factor, or 0 (see resample.glsl)
    int resH, resW;       // residual source's size (RES_UPSAMPLE), and its resize as scaleY ... periodX above
    float resScaleY, resScaleX;
    int resPeriodY, resPeriodX;
    int resTop, resLeft, resChannel; // RES_CROP: the window's origin in the residual source
    int expBase;          // IN_EXPAND: where the 1x1 convolution's parameters start
} pc;

layout(binding = 4) uniform samplerBuffer inTexels;
layout(binding = 6) uniform samplerBuffer resTexels;
layout(binding = 9) uniform samplerBuffer inVectors;  // the input as RGBA32F texels (read when VEC_TEXELS = 1)
layout(binding = 10) uniform samplerBuffer inScaleTexels; // binding 7 as texels (read when IN_SCALE_TEXELS = 1)

#define SRC(i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))
#define RES_SRC(i) (RES_TEXELS == 1 ? texelFetch(resTexels, i).r : LOAD(resData[i]))
#define RESAMPLE_SRC(s, i) ((s) == 0 ? SRC(i) : RES_SRC(i))
#include "include/activation.glsl"
#include "include/resample.glsl"
#include "include/params.glsl"
#include "include/pad.glsl"

float inputAt(int c, int y, int x)
{
    if (UPSAMPLE == UPSAMPLE_NONE) return SRC((c * pc.inH + y) * pc.inW + x);
    return resampleAt(0, UPSAMPLE, ALIGN_CORNERS, c * pc.inH * pc.inW, pc.inH, pc.inW, y, x, pc.scaleY, pc.scaleX, pc.periodY, pc.periodX);
}

// The residual at element (c, y, x) of the stored output, flat index i (before RES_SCALE).
float residualAt(int c, int y, int x, int i)
{
    if (RES_CROP == 1) return RES_SRC(((c + pc.resChannel) * pc.resH + y + pc.resTop) * pc.resW + x + pc.resLeft);
    if (RES_UPSAMPLE == UPSAMPLE_NONE) return RES_SRC(i);
    return resampleAt(1, RES_UPSAMPLE, RES_ALIGN_CORNERS, c * pc.resH * pc.resW, pc.resH, pc.resW, y, x,
                      pc.resScaleY, pc.resScaleX, pc.resPeriodY, pc.resPeriodX);
}

void main()
{
    int xi = int(gl_GlobalInvocationID.x);
    int zb = int(gl_GlobalInvocationID.z);
    if (BLOCKS_FASTEST == 1)
    {
        int blocks = pc.ocStride / OC_BLOCK;
        zb = int(gl_WorkGroupID.x) % blocks;
        xi = int(gl_WorkGroupID.x) / blocks * int(gl_WorkGroupSize.x) + int(gl_LocalInvocationID.x);
    }
    int ox0 = xi * PX;
    int oy = int(gl_GlobalInvocationID.y);
    int oc0 = zb * OC_BLOCK;
    bool inside = ox0 < pc.outW && oy < pc.outH;
    if (oc0 >= pc.outC || (SUBGROUP_WEIGHTS == 0 && !inside)) return;
    // A lane past the output (SUBGROUP_WEIGHTS) reads the last row: its loads stay inside the input.
    oy = min(oy, pc.outH - 1);
    // The block channel whose weights this lane reads for the subgroup.
    int lane = min(int(gl_SubgroupInvocationID), OC_BLOCK - 1);

    int icPerGroup = pc.inC / pc.groups;
    int ocPerGroup = pc.outC / pc.groups;
    int icBase = (oc0 / ocPerGroup) * icPerGroup;
    int wPerOc = icPerGroup * KH * KW;

    MATH_T acc[OC_BLOCK * PX];
    [[unroll]] for (int i = 0; i < OC_BLOCK * PX; i++) acc[i] = MATH_T(0);

    // Padded input columns this invocation reads: col(m) = ox0 * SX - padLeft + m * STEP. With PX = 1 the
    // window is the KW taps (STEP = DX); with PX > 1 the host guarantees DX = 1 and output j (column ox0 + j)
    // reads window column j * SX + kx through tap kx, so the PX outputs share one window of (PX - 1) * SX + KW
    // columns (overlapping where SX < KW), loaded once per row and input channel, and each weight load feeds PX
    // multiply-adds.
    const int STEP = PX == 1 ? DX : 1;
    const int WIDTH = (PX - 1) * SX + KW;
    int cols[WIDTH];
    [[unroll]] for (int m = 0; m < WIDTH; m++)
    {
        cols[m] = padIndex(ox0 * SX - pc.padLeft + m * STEP, pc.upW);
    }

    // VEC_TEXELS: the first window column, and whether window position m reads its own column (else padding: zero, or
    // for the replicating modes the edge element, column 0 to the left and upW - 1 to the right).
    int x0 = ox0 * SX - pc.padLeft;
    bool own[WIDTH];
    // With zero padding a padding position maps to -1, which x0 + m can equal; with the replicating modes column -1 maps to 0
    // (BORDER >= 1), so there only a position's own column maps to itself. One comparison either way.
    [[unroll]] for (int m = 0; m < WIDTH; m++) own[m] = PAD_MODE == PAD_ZEROS ? cols[m] >= 0 : cols[m] == x0 + m;
    int lastVector = VEC_TEXELS == 1 ? textureSize(inVectors) - 1 : 0;
    const bool replicates = PAD_MODE == PAD_REPLICATE || PAD_MODE == PAD_BOUNDED_REPLICATE;

    // IN_EXPAND: the 1x1 convolution's bias and slopes.
    int expBias = pc.expBase + pc.inC * IN_EXPAND;
    int expSlopes = expBias + pc.inC;

    for (int ky = 0; ky < KH; ky++)
    {
        int iy = padIndex(oy * SY - pc.padTop + ky * DY, pc.upH);
        if (iy < 0) continue;
        // IN_EXPAND: the window's row of every stored channel, held while the channel loop computes from it.
        float held[IN_EXPAND > 0 ? IN_EXPAND * WIDTH : 1];
        if (IN_EXPAND > 0)
        {
            [[unroll]] for (int k = 0; k < IN_EXPAND; k++)
            {
                [[unroll]] for (int m = 0; m < WIDTH; m++) held[k * WIDTH + m] = SRC((k * pc.inH + iy) * pc.inW + max(cols[m], 0));
            }
        }
        for (int icg = 0; icg < icPerGroup; icg++)
        {
            // The input channel's factor scales its weights: KW * OC_BLOCK multiplications where scaling the
            // window would take WIDTH (lavapipe, Real-CUGAN at 256x256: its strided and 1x1 sub-pixel layers up to 6%
            // slower that way).
            float scale = IN_SCALE == 1 ? (IN_SCALE_TEXELS == 1 ? texelFetch(inScaleTexels, icBase + icg).r : LOAD(inScale[icBase + icg])) : 1.0;
            MATH_T win[WIDTH];
            if (IN_EXPAND > 0)
            {
                float we[IN_EXPAND > 0 ? IN_EXPAND : 1];
                [[unroll]] for (int k = 0; k < IN_EXPAND; k++) we[k] = param(pc.expBase + icg * IN_EXPAND + k);
                float eb = param(expBias + icg);
                float es = EXP_ACT == ACT_PRELU_CHANNEL ? param(expSlopes + icg) : 0.0;
                [[unroll]] for (int m = 0; m < WIDTH; m++)
                {
                    float t = eb;
                    [[unroll]] for (int k = 0; k < IN_EXPAND; k++) t += we[k] * held[k * WIDTH + m];
                    win[m] = MATH_T(cols[m] >= 0 ? activation(EXP_ACT, EXP_ACT_A, EXP_ACT_B, t, es) : 0.0);
                }
            }
            else if (VEC_TEXELS == 1)
            {
                // The vec4s holding elements e0 .. e0 + WIDTH - 1 of the window row (e0 may be negative or its vec4s
                // past the view at the tensor's ends: clamped, they feed only padding positions), then the window
                // shifted out of them.
                const int VECTORS = (WIDTH + 6) / 4;
                int rowBase = ((icBase + icg) * pc.inH + iy) * pc.inW;
                int e0 = rowBase + x0;
                int shift = e0 & 3;
                int first = e0 >> 2;
                float f[VECTORS * 4];
                [[unroll]] for (int k = 0; k < VECTORS; k++)
                {
                    vec4 t = texelFetch(inVectors, clamp(first + k, 0, lastVector));
                    f[4 * k] = t.x;
                    f[4 * k + 1] = t.y;
                    f[4 * k + 2] = t.z;
                    f[4 * k + 3] = t.w;
                }
                // The shift in two steps of selects: by 2, then by 1.
                float g[WIDTH + 1];
                [[unroll]] for (int m = 0; m <= WIDTH; m++) g[m] = (shift & 2) != 0 ? f[m + 2] : f[m];
                // A window that pads reaches past one edge of the row: its replicated element is column 0 or upW - 1.
                float edge = replicates ? SRC(rowBase + (x0 < 0 ? 0 : pc.upW - 1)) : 0.0;
                [[unroll]] for (int m = 0; m < WIDTH; m++)
                {
                    float v = (shift & 1) != 0 ? g[m + 1] : g[m];
                    win[m] = MATH_T(own[m] ? v : PAD_MODE == PAD_BOUNDED_REPLICATE && cols[m] < 0 ? 0.0 : edge);
                }
            }
            else
            {
                [[unroll]] for (int m = 0; m < WIDTH; m++)
                {
                    // No branch around the read: a zero-padding position reads column 0 and is zeroed.
                    float v = inputAt(icBase + icg, iy, max(cols[m], 0));
                    win[m] = MATH_T(cols[m] >= 0 ? v : 0.0);
                }
            }
            int w = (icg * KH + ky) * KW;
            // SUBGROUP_WEIGHTS: wl[kx * 8 + b] is the weight of tap kx for block channel b (OC_BLOCK <= 8).
            MATH_T wl[KW * 8];
            if (SUBGROUP_WEIGHTS == 1)
            {
                [[unroll]] for (int kx = 0; kx < KW; kx++)
                {
                    float wv = param((oc0 + lane) * wPerOc + w + kx);
                    wl[kx * 8 + 0] = MATH_T(subgroupBroadcast(wv, 0));
                    wl[kx * 8 + 1] = MATH_T(OC_BLOCK > 1 ? subgroupBroadcast(wv, 1) : 0.0);
                    wl[kx * 8 + 2] = MATH_T(OC_BLOCK > 2 ? subgroupBroadcast(wv, 2) : 0.0);
                    wl[kx * 8 + 3] = MATH_T(OC_BLOCK > 3 ? subgroupBroadcast(wv, 3) : 0.0);
                    wl[kx * 8 + 4] = MATH_T(OC_BLOCK > 4 ? subgroupBroadcast(wv, 4) : 0.0);
                    wl[kx * 8 + 5] = MATH_T(OC_BLOCK > 5 ? subgroupBroadcast(wv, 5) : 0.0);
                    wl[kx * 8 + 6] = MATH_T(OC_BLOCK > 6 ? subgroupBroadcast(wv, 6) : 0.0);
                    wl[kx * 8 + 7] = MATH_T(OC_BLOCK > 7 ? subgroupBroadcast(wv, 7) : 0.0);
                }
            }
            // Per accumulator, all KW taps in a row: on CPU devices it then stays in a register for KW
            // multiply-adds where the order kx, b, j reloads and stores it once per tap (lavapipe, FSRCNN x2 at
            // 960x540: 5 to 13% less time than that order in the same runs).
            [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
            {
                [[unroll]] for (int j = 0; j < PX; j++)
                {
                    [[unroll]] for (int kx = 0; kx < KW; kx++)
                    {
                        MATH_T wt = SUBGROUP_WEIGHTS == 1 ? wl[kx * 8 + min(b, 7)] : MATH_T(param((oc0 + b) * wPerOc + w + kx));
                        if (IN_SCALE == 1) wt *= MATH_T(scale);
                        acc[b * PX + j] += win[j * SX + kx] * wt;
                    }
                }
            }
        }
    }
    if (!inside) return;
    int biasBase = pc.ocStride * wPerOc;

    [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
    {
        int oc = oc0 + b;
        if (oc >= pc.outC) break;
        float bias = param(biasBase + oc);
        float slope = ACT == ACT_PRELU_CHANNEL ? param(biasBase + pc.ocStride + oc) : 0.0;
        // The stored output's channel c, and with SHUFFLE the sub-pixel ij (row ij / r, column ij % r) that conv
        // channel oc becomes in an r-times larger image; the PX outputs share both.
        int c = oc, ij = 0;
        if (SHUFFLE != SHUFFLE_NONE)
        {
            int rr = SHUFFLE_R * SHUFFLE_R;
            if (SHUFFLE == SHUFFLE_CRD) { c = oc / rr; ij = oc % rr; }              // CRD: oc = c * r^2 + i * r + j
            else { c = oc % (pc.outC / rr); ij = oc / (pc.outC / rr); }   // DCR: oc = (i * r + j) * C + c
        }
        // RES_SCALE: the factor of the residual source's channel, once for the PX outputs.
        float resFactor = RES_SCALE == 1 ? LOAD(resScale[RES_CROP == 1 ? c + pc.resChannel : c]) : 1.0;
        float resRow[PX];
        if (RES_WINDOW == 1)
        {
            int iy, ix0;
            float ty, tx;
            sourcePosition(UPSAMPLE_BICUBIC, 0, oy * SHUFFLE_R + ij / SHUFFLE_R, pc.resScaleY, pc.resPeriodY, iy, ty);
            sourcePosition(UPSAMPLE_BICUBIC, 0, ox0 * SHUFFLE_R + ij % SHUFFLE_R, pc.resScaleX, pc.resPeriodX, ix0, tx);
            float wy[4] = cubicWeights(ty);
            float wx[4] = cubicWeights(tx);
            int plane = c * pc.resH * pc.resW;
            [[unroll]] for (int j = 0; j < PX; j++) resRow[j] = 0.0;
            [[unroll]] for (int u = 0; u < 4; u++)
            {
                int rowBase = plane + clamp(iy - 1 + u, 0, pc.resH - 1) * pc.resW;
                float src[PX + 3];
                [[unroll]] for (int m = 0; m < PX + 3; m++) src[m] = RES_SRC(rowBase + clamp(ix0 - 1 + m, 0, pc.resW - 1));
                [[unroll]] for (int j = 0; j < PX; j++)
                {
                    float row = 0.0;
                    [[unroll]] for (int t = 0; t < 4; t++) row += wx[t] * src[j + t];
                    resRow[j] += wy[u] * row;
                }
            }
        }
        [[unroll]] for (int j = 0; j < PX; j++)
        {
            int ox = ox0 + j;
            if (ox >= pc.outW) break;
            float v = activate(float(acc[b * PX + j]) + bias, slope);
            // (c, y, x): the element of the stored output; i: its flat index (SHUFFLE_R is 1 without a shuffle).
            int y = oy * SHUFFLE_R + ij / SHUFFLE_R;
            int x = ox * SHUFFLE_R + ij % SHUFFLE_R;
            int i = (c * pc.outH * SHUFFLE_R + y) * (pc.outW * SHUFFLE_R) + x;
            if (RESIDUAL == 1)
            {
                float r = RES_WINDOW == 1 ? resRow[j] : residualAt(c, y, x, i);
                v += RES_SCALE == 1 ? r * resFactor : r;
            }
            outData[i] = STORE(v);
        }
    }
}
