// conv → 2×2 max pool → ReLU, forward and weight gradient (see CFusedKernels.h).
#include "CFusedKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define FK_X86 1
#endif

// Largest kernel the AVX-512 backward has specialised row loops for (the plain C code has no limit).
enum { FK_MAX_KERNEL = 7 };

static int conv_h(const fk_block_geometry *g) { return g->height + 2 * g->pad_h - g->kernel_h + 1; }
static int conv_w(const fk_block_geometry *g) { return g->width + 2 * g->pad_w - g->kernel_w + 1; }
static int pooled_h(const fk_block_geometry *g) { return conv_h(g) / 2; }
static int pooled_w(const fk_block_geometry *g) { return conv_w(g) / 2; }

// The padded image: rows of `row_stride` floats, zero outside the input, with room for the
// 16-float loads (32 for the backward's stride-2 gathers) that start anywhere a window of the last
// output column reaches; rows start on 64-byte boundaries.
static int padded_rows(const fk_block_geometry *g) { return g->height + 2 * g->pad_h + 1; }
static int row_stride(const fk_block_geometry *g) {
    int needed = 2 * pooled_w(g) + g->kernel_w + 32;
    int wide = g->width + 2 * g->pad_w;
    int s = needed > wide ? needed : wide;
    return (s + 15) / 16 * 16;
}
static size_t plane_floats(const fk_block_geometry *g) { return (size_t)padded_rows(g) * (size_t)row_stride(g); }

// Images the AVX-512 backward prepares at a time (its accumulators stay in registers over a block;
// the block's prepared rows stay in the first-level cache).
enum { FK_BLOCK = 2 };

static int pooled_chunks(const fk_block_geometry *g) { return (pooled_w(g) + 15) / 16; }

/// Floats per image of the backward's column-shifted rows: per input channel, padded row, chunk
/// of 16 pooled columns and column offset t ≤ kernel_w, the 16 values at columns 2q + t.
static size_t shifted_floats(const fk_block_geometry *g) {
    return (size_t)g->in_channels * padded_rows(g) * pooled_chunks(g) * (g->kernel_w + 1) * 16;
}

size_t fk_scratch_floats(const fk_block_geometry *g) {
    // One padded image, then the shifted rows of a block of images, then per 16 pooled positions
    // of the block the masked gradient and the winner bits (128 bytes each), then one vector sum
    // per weight and per bias.
    size_t positions = FK_BLOCK * (size_t)pooled_h(g) * pooled_chunks(g);
    size_t sums = ((size_t)g->out_channels * g->in_channels * g->kernel_h * g->kernel_w + g->out_channels) * 16;
    size_t total = (size_t)g->in_channels * plane_floats(g) + FK_BLOCK * shifted_floats(g) + positions * 32 + sums + 64;
    return (total + 15) / 16 * 16;  // 64-byte multiples, so per-thread scratch areas stay aligned
}

/// Copies image n into `padded` ([in_channels][padded_rows][row_stride], zero border).
static void pad_image(const fk_block_geometry *g, const float *x, int n, float *padded) {
    size_t plane = plane_floats(g);
    int stride = row_stride(g);
    memset(padded, 0, sizeof(float) * plane * (size_t)g->in_channels);
    for (int c = 0; c < g->in_channels; c++) {
        const float *src = x + ((size_t)n * g->in_channels + c) * (size_t)g->height * g->width;
        float *dst = padded + (size_t)c * plane;
        for (int r = 0; r < g->height; r++) {
            memcpy(dst + (size_t)(r + g->pad_h) * stride + g->pad_w, src + (size_t)r * g->width, sizeof(float) * g->width);
        }
    }
}

// MARK: - Plain C

static void forward_plain(const fk_block_geometry *g, const float *x, const float *w, const float *b, float *y,
                          unsigned char *code, int n0, int n1, float *padded) {
    int ph = pooled_h(g), pw = pooled_w(g), stride = row_stride(g);
    int kh = g->kernel_h, kw = g->kernel_w, cin = g->in_channels;
    size_t plane = plane_floats(g);
    for (int n = n0; n < n1; n++) {
        pad_image(g, x, n, padded);
        for (int o = 0; o < g->out_channels; o++) {
            const float *wo = w + (size_t)o * cin * kh * kw;
            for (int py = 0; py < ph; py++) {
                for (int px = 0; px < pw; px++) {
                    float best = 0;
                    int winner = 0;
                    // Window positions in row-major order; a later one wins if strictly greater or
                    // NaN (PyTorch's max pooling: NaN propagates, the last NaN of a window wins).
                    for (int pos = 0; pos < 4; pos++) {
                        int oy = 2 * py + (pos >> 1), ox = 2 * px + (pos & 1);
                        float s = b ? b[o] : 0;
                        for (int c = 0; c < cin; c++) {
                            for (int i = 0; i < kh; i++) {
                                const float *row = padded + (size_t)c * plane + (size_t)(oy + i) * stride + ox;
                                const float *wr = wo + ((size_t)c * kh + i) * kw;
                                for (int j = 0; j < kw; j++) s += wr[j] * row[j];
                            }
                        }
                        if (pos == 0 || s > best || s != s) { best = s; winner = pos; }
                    }
                    size_t at = (((size_t)n * g->out_channels + o) * ph + py) * pw + px;
                    y[at] = best < 0 ? 0 : best;  // relu: NaN and -0 stay, as torch.relu
                    code[at] = (unsigned char)winner;
                }
            }
        }
    }
}

static void backward_plain(const fk_block_geometry *g, const float *x, const float *y, const unsigned char *code,
                           const float *dy, float *dw, float *db, int n0, int n1, float *padded) {
    int ph = pooled_h(g), pw = pooled_w(g), stride = row_stride(g);
    int kh = g->kernel_h, kw = g->kernel_w, cin = g->in_channels;
    size_t plane = plane_floats(g);
    for (int n = n0; n < n1; n++) {
        pad_image(g, x, n, padded);
        for (int o = 0; o < g->out_channels; o++) {
            float *dwo = dw + (size_t)o * cin * kh * kw;
            for (int py = 0; py < ph; py++) {
                for (int px = 0; px < pw; px++) {
                    size_t at = (((size_t)n * g->out_channels + o) * ph + py) * pw + px;
                    // ReLU passes the gradient where its output is positive; pooling sends it to
                    // the winning position, the only convolution output it depends on:
                    // dL/dW[o,c,i,j] += dL/dy · x[c, oy + i − pad, ox + j − pad], dL/db[o] += dL/dy.
                    if (y[at] <= 0) continue;  // relu passes the gradient where y > 0 or y is NaN
                    float grad = dy[at];
                    int oy = 2 * py + (code[at] >> 1), ox = 2 * px + (code[at] & 1);
                    if (db) db[o] += grad;
                    for (int c = 0; c < cin; c++) {
                        for (int i = 0; i < kh; i++) {
                            const float *row = padded + (size_t)c * plane + (size_t)(oy + i) * stride + ox;
                            float *dwr = dwo + ((size_t)c * kh + i) * kw;
                            for (int j = 0; j < kw; j++) dwr[j] += grad * row[j];
                        }
                    }
                }
            }
        }
    }
}

// MARK: - AVX-512

#if FK_X86
#define FK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

int fk_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

/// Pools two rows of 16 convolution outputs into 8 outputs: each row's even and odd columns are
/// compared (pooling across columns), then the two rows; ReLU; stores `count` outputs and codes.
FK_AVX512 static inline void pool_store(__m512 top, __m512 bottom, int count, float *y, unsigned char *code) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 0, 0, 0, 0, 0, 0, 0, 0);
    __m256 te = _mm512_castps512_ps256(_mm512_permutexvar_ps(even, top));
    __m256 to = _mm512_castps512_ps256(_mm512_permutexvar_ps(odd, top));
    __m256 be = _mm512_castps512_ps256(_mm512_permutexvar_ps(even, bottom));
    __m256 bo = _mm512_castps512_ps256(_mm512_permutexvar_ps(odd, bottom));
    // A later position wins if strictly greater or NaN: the first maximum in row-major order, or
    // the last NaN (PyTorch's rule, which the pairwise tournament reproduces).
    __mmask8 topOdd = _mm256_cmp_ps_mask(to, te, _CMP_GT_OQ) | _mm256_cmp_ps_mask(to, to, _CMP_UNORD_Q);
    __mmask8 bottomOdd = _mm256_cmp_ps_mask(bo, be, _CMP_GT_OQ) | _mm256_cmp_ps_mask(bo, bo, _CMP_UNORD_Q);
    __m256 t = _mm256_mask_blend_ps(topOdd, te, to);
    __m256 bm = _mm256_mask_blend_ps(bottomOdd, be, bo);
    __mmask8 lower = _mm256_cmp_ps_mask(bm, t, _CMP_GT_OQ) | _mm256_cmp_ps_mask(bm, bm, _CMP_UNORD_Q);
    // max(0, v) returns its second operand when v is NaN or a zero: relu keeps NaN and -0.
    __m256 best = _mm256_max_ps(_mm256_setzero_ps(), _mm256_mask_blend_ps(lower, t, bm));
    __mmask8 columns = (__mmask8)((lower & bottomOdd) | (~lower & topOdd));
    // code = 2·row + column per output, built in a vector.
    __m128i codes = _mm_or_si128(_mm_maskz_mov_epi8(lower, _mm_set1_epi8(2)), _mm_maskz_mov_epi8(columns, _mm_set1_epi8(1)));
    if (count == 8) {  // masked stores are slow on AMD's AVX-512: only for a last, partial group
        _mm256_storeu_ps(y, best);
        _mm_storel_epi64((__m128i *)code, codes);
    } else {
        _mm256_mask_storeu_ps(y, (__mmask8)((1u << count) - 1), best);
        _mm_mask_storeu_epi8(code, (__mmask16)((1u << count) - 1), codes);
    }
}

/// Forward for output channels [o0, o0 + G) at pooled row py and pooled columns [px0, px0 + 8):
/// two convolution rows of 16 columns per channel, accumulated side by side. G channels at once
/// give 2·G independent sums (the FMA latency is hidden) that share each loaded input vector.
#define FK_FORWARD_GROUP(G)                                                                                    \
    FK_AVX512 static void forward_group_##G(const fk_block_geometry *g, const float *padded, const float *w,   \
                                            const float *b, int o0, int py, int px0, float *yn,                 \
                                            unsigned char *cn) {                                                \
        int ph = pooled_h(g), pw = pooled_w(g), stride = row_stride(g);                                        \
        int kh = g->kernel_h, kw = g->kernel_w, cin = g->in_channels, taps = cin * kh * kw;                     \
        size_t plane = plane_floats(g);                                                                         \
        __m512 top[G], bottom[G];                                                                               \
        for (int k = 0; k < G; k++) top[k] = bottom[k] = _mm512_set1_ps(b ? b[o0 + k] : 0);                    \
        for (int c = 0; c < cin; c++) {                                                                         \
            for (int i = 0; i < kh; i++) {                                                                      \
                const float *r0 = padded + (size_t)c * plane + (size_t)(2 * py + i) * stride + 2 * px0;        \
                const float *r1 = r0 + stride;                                                                  \
                const float *wr = w + (size_t)o0 * taps + ((size_t)c * kh + i) * kw;                            \
                for (int j = 0; j < kw; j++) {                                                                  \
                    __m512 v0 = _mm512_loadu_ps(r0 + j), v1 = _mm512_loadu_ps(r1 + j);                         \
                    for (int k = 0; k < G; k++) {                                                               \
                        __m512 wv = _mm512_set1_ps(wr[(size_t)k * taps + j]);                                   \
                        top[k] = _mm512_fmadd_ps(wv, v0, top[k]);                                               \
                        bottom[k] = _mm512_fmadd_ps(wv, v1, bottom[k]);                                         \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
        int count = pw - px0 < 8 ? pw - px0 : 8;                                                                \
        for (int k = 0; k < G; k++) {                                                                           \
            size_t at = ((size_t)(o0 + k) * ph + py) * pw + px0;                                                \
            pool_store(top[k], bottom[k], count, yn + at, cn + at);                                             \
        }                                                                                                       \
    }
FK_FORWARD_GROUP(1)
FK_FORWARD_GROUP(2)
FK_FORWARD_GROUP(3)
FK_FORWARD_GROUP(4)
FK_FORWARD_GROUP(5)
FK_FORWARD_GROUP(6)

FK_AVX512 static void forward_avx512(const fk_block_geometry *g, const float *x, const float *w, const float *b,
                                     float *y, unsigned char *code, int n0, int n1, float *padded) {
    int ph = pooled_h(g), pw = pooled_w(g), cout = g->out_channels;
    for (int n = n0; n < n1; n++) {
        pad_image(g, x, n, padded);
        float *yn = y + (size_t)n * cout * ph * pw;
        unsigned char *cn = code + (size_t)n * cout * ph * pw;
        for (int py = 0; py < ph; py++) {
            for (int px0 = 0; px0 < pw; px0 += 8) {
                for (int o0 = 0; o0 < cout; o0 += 6) {
                    switch (cout - o0 < 6 ? cout - o0 : 6) {
                    case 1: forward_group_1(g, padded, w, b, o0, py, px0, yn, cn); break;
                    case 2: forward_group_2(g, padded, w, b, o0, py, px0, yn, cn); break;
                    case 3: forward_group_3(g, padded, w, b, o0, py, px0, yn, cn); break;
                    case 4: forward_group_4(g, padded, w, b, o0, py, px0, yn, cn); break;
                    case 5: forward_group_5(g, padded, w, b, o0, py, px0, yn, cn); break;
                    default: forward_group_6(g, padded, w, b, o0, py, px0, yn, cn); break;
                    }
                }
            }
        }
    }
}

/// The gradient at one row of 16 pooled positions of one image and output channel: dL/dy where
/// y > 0, else 0, and per lane the winner's column and row bits.
typedef struct {
    __m512 grad;
    __mmask16 oddColumn, lowerRow, active;
} fk_pooled_grad;
_Static_assert(sizeof(fk_pooled_grad) <= 128, "fk_scratch_floats counts 128 bytes per pooled gradient");

/// Adds to acc[j] (j < KW) the weight gradient of kernel row i of input channel c over the
/// positions `grads` (nb images × ph rows × chunks of 16 pooled columns). For pooled column q the
/// winner's convolution column is 2q + col, and tap j reads padded column 2q + col + j: the
/// prepared vector of column offset t = col + j (see backward_avx512), chosen per lane by the
/// winner's column bit, after choosing between rows 2p + i and 2p + i + 1 by its row bit.
#define FK_BACKWARD_ROW(KW)                                                                                     \
    FK_AVX512 static void backward_row_##KW(const fk_block_geometry *g, const float *shifted,                  \
                                            const fk_pooled_grad *grads, int nb, int c, int i, __m512 *accOut) { \
        int ph = pooled_h(g), chunks = pooled_chunks(g), rows = padded_rows(g);                                 \
        size_t perRow = (size_t)chunks * (KW + 1) * 16;                                                         \
        __m512 acc[KW];                                                                                         \
        for (int j = 0; j < KW; j++) acc[j] = _mm512_setzero_ps();                                             \
        for (int n = 0; n < nb; n++) {                                                                          \
            const float *image = shifted + ((size_t)n * g->in_channels + c) * rows * perRow;                    \
            for (int py = 0; py < ph; py++) {                                                                   \
                for (int chunk = 0; chunk < chunks; chunk++) {                                                  \
                    const fk_pooled_grad *pg = grads + ((size_t)n * ph + py) * chunks + chunk;                  \
                    if (!pg->active) continue;                                                                  \
                    const float *s0 = image + (size_t)(2 * py + i) * perRow + (size_t)chunk * (KW + 1) * 16;    \
                    const float *s1 = s0 + perRow;                                                              \
                    /* rows picked first (one blend per column offset t), then columns (one per tap) */       \
                    __m512 prev = _mm512_mask_blend_ps(pg->lowerRow, _mm512_load_ps(s0), _mm512_load_ps(s1));  \
                    for (int j = 0; j < KW; j++) {                                                              \
                        __m512 next = _mm512_mask_blend_ps(pg->lowerRow, _mm512_load_ps(s0 + 16 * (j + 1)),     \
                                                           _mm512_load_ps(s1 + 16 * (j + 1)));                  \
                        acc[j] = _mm512_fmadd_ps(pg->grad, _mm512_mask_blend_ps(pg->oddColumn, prev, next), acc[j]); \
                        prev = next;                                                                            \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
        for (int j = 0; j < KW; j++) accOut[j] = _mm512_add_ps(accOut[j], acc[j]);                              \
    }
FK_BACKWARD_ROW(1)
FK_BACKWARD_ROW(2)
FK_BACKWARD_ROW(3)
FK_BACKWARD_ROW(4)
FK_BACKWARD_ROW(5)
FK_BACKWARD_ROW(6)
FK_BACKWARD_ROW(7)

/// Weight gradient, a block of images at a time. Each image's padded rows are first rearranged
/// into aligned vectors, one per (row, chunk of 16 pooled columns, column offset t ≤ kernel_w),
/// holding padded columns 2q + t: a stride-2 gather done once per image, so that the inner loop
/// reads aligned vectors instead of unaligned ones that split cache lines. Then per output channel
/// the pooled gradients and winner bits are gathered once, and every kernel row accumulates over
/// the block in registers.
FK_AVX512 static void backward_avx512(const fk_block_geometry *g, const float *x, const float *y,
                                      const unsigned char *code, const float *dy, float *dw, float *db,
                                      int n0, int n1, float *scratch) {
    int ph = pooled_h(g), pw = pooled_w(g), stride = row_stride(g), chunks = pooled_chunks(g);
    int kh = g->kernel_h, kw = g->kernel_w, cin = g->in_channels, cout = g->out_channels, rows = padded_rows(g);
    size_t plane = plane_floats(g), perImage = shifted_floats(g);
    float *padded = scratch, *shifted = scratch + (size_t)cin * plane;
    // 64-byte aligned room for the block's pooled gradients (fk_scratch_floats counts 128 bytes each).
    uintptr_t room = ((uintptr_t)(shifted + FK_BLOCK * perImage) + 63) & ~(uintptr_t)63;
    fk_pooled_grad *grads = (fk_pooled_grad *)room;
    int taps = cin * kh * kw;
    // The vector sums per weight and per bias, after the pooled gradients.
    __m512 *acc = (__m512 *)(grads + (size_t)FK_BLOCK * ph * chunks), *biasAcc = acc + (size_t)cout * taps;
    for (int k = 0; k < cout * taps; k++) acc[k] = _mm512_setzero_ps();
    for (int o = 0; o < cout; o++) biasAcc[o] = _mm512_setzero_ps();
    const __m128i one = _mm_set1_epi8(1), two = _mm_set1_epi8(2);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int block = n0; block < n1; block += FK_BLOCK) {
        int nb = n1 - block < FK_BLOCK ? n1 - block : FK_BLOCK;
        for (int n = 0; n < nb; n++) {
            pad_image(g, x, block + n, padded);
            float *out = shifted + n * perImage;
            for (int c = 0; c < cin; c++) {
                for (int r = 0; r < rows; r++) {
                    const float *src = padded + (size_t)c * plane + (size_t)r * stride;
                    for (int chunk = 0; chunk < chunks; chunk++) {
                        for (int t = 0; t <= kw; t++, out += 16) {
                            const float *from = src + 32 * chunk + t;
                            _mm512_store_ps(out, _mm512_permutex2var_ps(_mm512_loadu_ps(from), evens,
                                                                        _mm512_loadu_ps(from + 16)));
                        }
                    }
                }
            }
        }
        for (int o = 0; o < cout; o++) {
            int any = 0;
            for (int n = 0; n < nb; n++) {
                for (int py = 0; py < ph; py++) {
                    for (int chunk = 0; chunk < chunks; chunk++) {
                        int q0 = 16 * chunk, count = pw - q0 < 16 ? pw - q0 : 16;
                        __mmask16 valid = (__mmask16)((1u << count) - 1);
                        size_t at = (((size_t)(block + n) * cout + o) * ph + py) * pw + q0;
                        fk_pooled_grad *pg = grads + ((size_t)n * ph + py) * chunks + chunk;
                        // ReLU: the gradient passes where y > 0 or y is NaN (!(y <= 0), as PyTorch).
                        __m512 yv = _mm512_maskz_loadu_ps(valid, y + at);
                        pg->active = _mm512_mask_cmp_ps_mask(valid, yv, _mm512_setzero_ps(), _CMP_NLE_UQ);
                        pg->grad = _mm512_maskz_loadu_ps(pg->active, dy + at);
                        __m128i codes = _mm_maskz_loadu_epi8(valid, code + at);
                        pg->oddColumn = _mm_test_epi8_mask(codes, one);
                        pg->lowerRow = _mm_test_epi8_mask(codes, two);
                        biasAcc[o] = _mm512_add_ps(biasAcc[o], pg->grad);
                        any |= pg->active;
                    }
                }
            }
            if (!any) continue;
            for (int c = 0; c < cin; c++) {
                for (int i = 0; i < kh; i++) {
                    __m512 *a = acc + (size_t)o * taps + ((size_t)c * kh + i) * kw;
                    switch (kw) {
                    case 1: backward_row_1(g, shifted, grads, nb, c, i, a); break;
                    case 2: backward_row_2(g, shifted, grads, nb, c, i, a); break;
                    case 3: backward_row_3(g, shifted, grads, nb, c, i, a); break;
                    case 4: backward_row_4(g, shifted, grads, nb, c, i, a); break;
                    case 5: backward_row_5(g, shifted, grads, nb, c, i, a); break;
                    case 6: backward_row_6(g, shifted, grads, nb, c, i, a); break;
                    default: backward_row_7(g, shifted, grads, nb, c, i, a); break;
                    }
                }
            }
        }
    }
    for (int k = 0; k < cout * taps; k++) dw[k] += _mm512_reduce_add_ps(acc[k]);
    if (db) for (int o = 0; o < cout; o++) db[o] += _mm512_reduce_add_ps(biasAcc[o]);
}
#else
int fk_cpu_has_avx512(void) { return 0; }
#endif

// MARK: - Entry points

void fk_conv_pool_relu_forward(const fk_block_geometry *g, const float *x, const float *w, const float *b,
                               float *y, unsigned char *code, int n0, int n1, int use_avx512, float *scratch) {
#if FK_X86
    if (use_avx512) { forward_avx512(g, x, w, b, y, code, n0, n1, scratch); return; }
#endif
    (void)use_avx512;
    forward_plain(g, x, w, b, y, code, n0, n1, scratch);
}

void fk_conv_pool_relu_backward_weights(const fk_block_geometry *g, const float *x, const float *y,
                                        const unsigned char *code, const float *dy, float *dw, float *db,
                                        int n0, int n1, int use_avx512, float *scratch) {
#if FK_X86
    if (use_avx512 && g->kernel_h <= FK_MAX_KERNEL && g->kernel_w <= FK_MAX_KERNEL) {
        backward_avx512(g, x, y, code, dy, dw, db, n0, n1, scratch);
        return;
    }
#endif
    (void)use_avx512;
    backward_plain(g, x, y, code, dy, dw, db, n0, n1, scratch);
}
