// Fused kernels for steps that no library provides as one operation.
//
// conv → 2×2 max pool → ReLU for a network's first block (LeNet-5's conv1/pool1/relu1):
// convolution with few input and output channels, stride 1, then 2×2 max pooling with stride 2,
// then ReLU. oneDNN computes each step on its own and pads the few channels to blocks of 16;
// here the pooled, rectified output is written directly in plain NCHW, with a 2-bit code per
// output saying which of the 4 window positions won, and the weight gradient is computed from the
// pooled gradient (three quarters of the convolution's output gradient are zero after pooling).
//
// Each function handles images [n0, n1) so that callers can split a batch across threads; an
// AVX-512 version is used when `use_avx512` is nonzero (check fk_cpu_has_avx512 first), else
// plain C. Both compute the same function, with floating-point sums in different orders.
#ifndef CFUSEDKERNELS_H
#define CFUSEDKERNELS_H

#include <stddef.h>

/// Shapes: input [batch, in_channels, height, width], weight [out_channels, in_channels,
/// kernel_h, kernel_w], padding pad_h/pad_w on each side. The convolution output is
/// conv_h × conv_w = (height + 2·pad_h − kernel_h + 1) × (width + 2·pad_w − kernel_w + 1), the
/// pooled output pooled_h × pooled_w = ⌊conv_h/2⌋ × ⌊conv_w/2⌋.
typedef struct {
    int batch, in_channels, height, width;
    int out_channels, kernel_h, kernel_w, pad_h, pad_w;
} fk_block_geometry;

/// Nonzero when any of the `count` floats at x is NaN (one pass, vectorised).
int fk_contains_nan(const float *x, size_t count);

/// Nonzero when any of the `count` floats at x is NaN or ±infinity.
int fk_contains_nonfinite(const float *x, size_t count);

/// Nonzero when this CPU runs AVX-512 (F, BW, VL, DQ) code.
int fk_cpu_has_avx512(void);

/// Floats of scratch memory one thread needs (a multiple of 16); it must be 64-byte aligned.
size_t fk_scratch_floats(const fk_block_geometry *g);

/// y = relu(maxpool2×2(conv(x, w) + b)) for images [n0, n1); y is [batch, out_channels,
/// pooled_h, pooled_w]; code gets, per output, the winning window position (2·row + column;
/// the first maximum in row-major order, as PyTorch).
void fk_conv_pool_relu_forward(const fk_block_geometry *g, const float *x, const float *w, const float *b,
                               float *y, unsigned char *code, int n0, int n1, int use_avx512, float *scratch);

/// Adds to dw [out_channels, in_channels, kernel_h, kernel_w] and db [out_channels] the
/// gradients of images [n0, n1), from dy (the gradient of y), y and code of the forward pass.
void fk_conv_pool_relu_backward_weights(const fk_block_geometry *g, const float *x, const float *y,
                                        const unsigned char *code, const float *dy, float *dw, float *db,
                                        int n0, int n1, int use_avx512, float *scratch);

#endif
