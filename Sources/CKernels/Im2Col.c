// im2col and col2im for the convolution engine that multiplies with OpenBLAS.
//
// In LeNet and in CaffeNet's later layers the rows the kernels copy are short (8 to 55
// values). The AVX-512 variant moves each output row in masked 16-lane steps, the masks also
// writing the padding's zeros, so a row of up to 16 values is one load and one store rather
// than a copy call and a zero fill.
#include "CKernels.h"
#include "Variants.h"
#include "ConvRange.h"

#include <immintrin.h>
#include <string.h>

// MARK: Plain variant

static void im2col_plain(const float *image, float *col, const crema_conv_geometry *g, int64_t first_pair,
                         int64_t end_pair, int64_t ld) {
    const int64_t plane = g->height * g->width;
    for (int64_t pair = first_pair; pair < end_pair; pair++) {
        const int64_t c = pair / g->kernel_h, ki = pair % g->kernel_h;
        const float *src = image + c * plane;
        const int64_t row_offset = ki * g->dilation_h - g->pad_h;
        int64_t r0, r1;
        crema_valid_range(row_offset, g->stride_h, g->height, g->out_h, &r0, &r1);
        for (int64_t kj = 0; kj < g->kernel_w; kj++) {
            float *dst = col + (pair * g->kernel_w + kj) * ld;
            const int64_t col_offset = kj * g->dilation_w - g->pad_w;
            int64_t c0, c1;
            crema_valid_range(col_offset, g->stride_w, g->width, g->out_w, &c0, &c1);
            for (int64_t oh = 0; oh < g->out_h; oh++) {
                float *out = dst + oh * g->out_w;
                if (oh < r0 || oh >= r1) {
                    for (int64_t ow = 0; ow < g->out_w; ow++) out[ow] = 0;
                    continue;
                }
                const float *in_row = src + (oh * g->stride_h + row_offset) * g->width;
                for (int64_t ow = 0; ow < c0; ow++) out[ow] = 0;
                for (int64_t ow = c0; ow < c1; ow++) out[ow] = in_row[ow * g->stride_w + col_offset];
                for (int64_t ow = c1; ow < g->out_w; ow++) out[ow] = 0;
            }
        }
    }
}

static void col2im_plain(const float *col, float *image, const crema_conv_geometry *g, int64_t first_channel,
                         int64_t end_channel, int64_t ld) {
    const int64_t plane = g->height * g->width;
    if (end_channel <= first_channel) return;
    memset(image + first_channel * plane, 0, (size_t)((end_channel - first_channel) * plane) * sizeof(float));
    for (int64_t c = first_channel; c < end_channel; c++) {
        float *dst = image + c * plane;
        for (int64_t ki = 0; ki < g->kernel_h; ki++) {
            const int64_t row_offset = ki * g->dilation_h - g->pad_h;
            int64_t r0, r1;
            crema_valid_range(row_offset, g->stride_h, g->height, g->out_h, &r0, &r1);
            for (int64_t kj = 0; kj < g->kernel_w; kj++) {
                const float *src = col + ((c * g->kernel_h + ki) * g->kernel_w + kj) * ld;
                const int64_t col_offset = kj * g->dilation_w - g->pad_w;
                int64_t c0, c1;
                crema_valid_range(col_offset, g->stride_w, g->width, g->out_w, &c0, &c1);
                for (int64_t oh = r0; oh < r1; oh++) {
                    const float *in = src + oh * g->out_w;
                    float *out_row = dst + (oh * g->stride_h + row_offset) * g->width;
                    for (int64_t ow = c0; ow < c1; ow++) out_row[ow * g->stride_w + col_offset] += in[ow];
                }
            }
        }
    }
}

// MARK: AVX-512 variant (unit column stride; other strides take the plain loops)

/// Lanes t .. t+15 that fall in [lo, hi).
CREMA_AVX512 CREMA_INLINE __mmask16 lanes_in(int64_t t, int64_t lo, int64_t hi) {
    int64_t a = lo - t, b = hi - t;
    if (a < 0) a = 0;
    if (b > 16) b = 16;
    if (b <= a) return 0;
    return (__mmask16)((((uint32_t)1 << b) - 1) & ~(((uint32_t)1 << a) - 1));
}

/// Most 16-lane steps per output row the AVX-512 variant handles (rows of up to 1024 values);
/// wider rows take the plain loops.
#define MAX_STEPS 64

CREMA_AVX512 static void im2col_avx512(const float *image, float *col, const crema_conv_geometry *geometry,
                                       int64_t first_pair, int64_t end_pair, int64_t ld) {
    // Locals, so the compiler keeps them in registers across the stores.
    const crema_conv_geometry g = *geometry;
    const int64_t plane = g.height * g.width;
    const int64_t steps = (g.out_w + 15) / 16;
    const __m512 zero = _mm512_setzero_ps();
    __mmask16 load[MAX_STEPS], store[MAX_STEPS];
    for (int64_t s = 0; s < steps; s++) store[s] = lanes_in(16 * s, 0, g.out_w);
    for (int64_t pair = first_pair; pair < end_pair; pair++) {
        const int64_t c = pair / g.kernel_h, ki = pair % g.kernel_h;
        const float *src = image + c * plane;
        const int64_t row_offset = ki * g.dilation_h - g.pad_h;
        int64_t r0, r1;
        crema_valid_range(row_offset, g.stride_h, g.height, g.out_h, &r0, &r1);
        for (int64_t kj = 0; kj < g.kernel_w; kj++) {
            float *dst = col + (pair * g.kernel_w + kj) * ld;
            const int64_t col_offset = kj * g.dilation_w - g.pad_w;
            int64_t c0, c1;
            crema_valid_range(col_offset, 1, g.width, g.out_w, &c0, &c1);
            // Masked-off lanes are not read, so the padding never touches memory.
            for (int64_t s = 0; s < steps; s++) load[s] = lanes_in(16 * s, c0, c1);
            for (int64_t oh = 0; oh < r0; oh++) {
                for (int64_t s = 0; s < steps; s++) _mm512_mask_storeu_ps(dst + oh * g.out_w + 16 * s, store[s], zero);
            }
            const float *in = src + (r0 * g.stride_h + row_offset) * g.width + col_offset;
            const int64_t in_step = g.stride_h * g.width;
            for (int64_t oh = r0; oh < r1; oh++, in += in_step) {
                float *out = dst + oh * g.out_w;
                for (int64_t s = 0; s < steps; s++) {
                    _mm512_mask_storeu_ps(out + 16 * s, store[s], _mm512_maskz_loadu_ps(load[s], in + 16 * s));
                }
            }
            for (int64_t oh = r1; oh < g.out_h; oh++) {
                for (int64_t s = 0; s < steps; s++) _mm512_mask_storeu_ps(dst + oh * g.out_w + 16 * s, store[s], zero);
            }
        }
    }
}

// Each input row is summed in registers from every (kernel row, kernel column) that reads it,
// then stored once: adding each column row into the image in turn stores to a row and then
// loads it back one position further on, which store forwarding cannot serve.
CREMA_AVX512 static void col2im_avx512(const float *col, float *image, const crema_conv_geometry *geometry,
                                       int64_t first_channel, int64_t end_channel, int64_t ld) {
    const crema_conv_geometry g = *geometry;
    const int64_t plane = g.height * g.width;
    const int64_t steps = (g.width + 15) / 16;
    __m512 sum[MAX_STEPS];
    __mmask16 store[MAX_STEPS];
    for (int64_t s = 0; s < steps; s++) store[s] = lanes_in(16 * s, 0, g.width);
    for (int64_t c = first_channel; c < end_channel; c++) {
        const float *channel_col = col + c * g.kernel_h * g.kernel_w * ld;
        for (int64_t ih = 0; ih < g.height; ih++) {
            for (int64_t s = 0; s < steps; s++) sum[s] = _mm512_setzero_ps();
            for (int64_t ki = 0; ki < g.kernel_h; ki++) {
                // The output row whose window row ki is this input row, if any.
                const int64_t t = ih + g.pad_h - ki * g.dilation_h;
                if (t < 0 || t % g.stride_h != 0) continue;
                const int64_t oh = t / g.stride_h;
                if (oh >= g.out_h) continue;
                for (int64_t kj = 0; kj < g.kernel_w; kj++) {
                    const int64_t col_offset = kj * g.dilation_w - g.pad_w;
                    // Input column iw reads output column iw - col_offset.
                    int64_t lo = col_offset > 0 ? col_offset : 0;
                    int64_t hi = g.out_w + col_offset < g.width ? g.out_w + col_offset : g.width;
                    const float *row = channel_col + (ki * g.kernel_w + kj) * ld + oh * g.out_w - col_offset;
                    for (int64_t s = 0; s < steps; s++) {
                        __mmask16 m = lanes_in(16 * s, lo, hi);
                        sum[s] = _mm512_add_ps(sum[s], _mm512_maskz_loadu_ps(m, row + 16 * s));
                    }
                }
            }
            float *out = image + c * plane + ih * g.width;
            for (int64_t s = 0; s < steps; s++) _mm512_mask_storeu_ps(out + 16 * s, store[s], sum[s]);
        }
    }
}

// MARK: Entry points

void crema_im2col(const float *image, float *col, const crema_conv_geometry *g, int64_t first_pair,
                  int64_t end_pair, int64_t row_stride) {
    if (g->stride_w == 1 && g->out_w <= 16 * MAX_STEPS && crema_use_avx512()) {
        im2col_avx512(image, col, g, first_pair, end_pair, row_stride);
    } else {
        im2col_plain(image, col, g, first_pair, end_pair, row_stride);
    }
}

void crema_col2im(const float *col, float *image, const crema_conv_geometry *g, int64_t first_channel,
                  int64_t end_channel, int64_t row_stride) {
    if (g->stride_w == 1 && g->width <= 16 * MAX_STEPS && crema_use_avx512()) {
        col2im_avx512(col, image, g, first_channel, end_channel, row_stride);
    } else {
        col2im_plain(col, image, g, first_channel, end_channel, row_stride);
    }
}
