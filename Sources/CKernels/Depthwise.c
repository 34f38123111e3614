// Depthwise convolution (one input channel per group, as MobileNet's 3x3 layers), one plane at
// a time, straight from the NCHW planes: im2col would copy each plane kernel_h x kernel_w
// times and then make a product with a single row per group, which BLAS runs slowly.
//
// Every loop runs along an output row (unit stride in the output, the input's stride in the
// input), so the compiler vectorises it; each kernel tap is one pass over a row that stays in
// L1. The weight gradient sums each tap's products along the rows into a row of partial sums
// and adds that row up once at the end, which keeps the sums vectorisable without
// reassociating them.
#include "CKernels.h"
#include "Variants.h"
#include "ConvRange.h"

CREMA_INLINE void dw_forward_body(const float *restrict x, const float *restrict w, float bias, float *restrict y,
                                  const crema_conv_geometry *geometry) {
    const crema_conv_geometry g = *geometry;
    for (int64_t oh = 0; oh < g.out_h; oh++) {
        float *restrict yr = y + oh * g.out_w;
        for (int64_t ow = 0; ow < g.out_w; ow++) yr[ow] = bias;
        for (int64_t ki = 0; ki < g.kernel_h; ki++) {
            const int64_t ih = oh * g.stride_h + ki * g.dilation_h - g.pad_h;
            if (ih < 0 || ih >= g.height) continue;
            const float *restrict xr = x + ih * g.width;
            for (int64_t kj = 0; kj < g.kernel_w; kj++) {
                const int64_t offset = kj * g.dilation_w - g.pad_w;
                int64_t c0, c1;
                crema_valid_range(offset, g.stride_w, g.width, g.out_w, &c0, &c1);
                const float wv = w[ki * g.kernel_w + kj];
                if (g.stride_w == 1) {
                    for (int64_t ow = c0; ow < c1; ow++) yr[ow] += wv * xr[ow + offset];
                } else if (g.stride_w == 2) {
                    for (int64_t ow = c0; ow < c1; ow++) yr[ow] += wv * xr[2 * ow + offset];
                } else {
                    for (int64_t ow = c0; ow < c1; ow++) yr[ow] += wv * xr[ow * g.stride_w + offset];
                }
            }
        }
    }
}

CREMA_INLINE void dw_backward_data_body(const float *restrict dy, const float *restrict w, float *restrict dx,
                                        const crema_conv_geometry *geometry) {
    const crema_conv_geometry g = *geometry;
    for (int64_t i = 0; i < g.height * g.width; i++) dx[i] = 0;
    for (int64_t oh = 0; oh < g.out_h; oh++) {
        const float *restrict dyr = dy + oh * g.out_w;
        for (int64_t ki = 0; ki < g.kernel_h; ki++) {
            const int64_t ih = oh * g.stride_h + ki * g.dilation_h - g.pad_h;
            if (ih < 0 || ih >= g.height) continue;
            float *restrict dxr = dx + ih * g.width;
            for (int64_t kj = 0; kj < g.kernel_w; kj++) {
                const int64_t offset = kj * g.dilation_w - g.pad_w;
                int64_t c0, c1;
                crema_valid_range(offset, g.stride_w, g.width, g.out_w, &c0, &c1);
                const float wv = w[ki * g.kernel_w + kj];
                if (g.stride_w == 1) {
                    for (int64_t ow = c0; ow < c1; ow++) dxr[ow + offset] += wv * dyr[ow];
                } else {
                    for (int64_t ow = c0; ow < c1; ow++) dxr[ow * g.stride_w + offset] += wv * dyr[ow];
                }
            }
        }
    }
}

CREMA_INLINE void dw_backward_weights_body(const float *restrict dy, const float *restrict x, float *restrict dw,
                                           float *restrict partial, const crema_conv_geometry *geometry) {
    const crema_conv_geometry g = *geometry;
    for (int64_t ki = 0; ki < g.kernel_h; ki++) {
        for (int64_t kj = 0; kj < g.kernel_w; kj++) {
            const int64_t offset = kj * g.dilation_w - g.pad_w;
            int64_t c0, c1;
            crema_valid_range(offset, g.stride_w, g.width, g.out_w, &c0, &c1);
            for (int64_t ow = 0; ow < g.out_w; ow++) partial[ow] = 0;
            for (int64_t oh = 0; oh < g.out_h; oh++) {
                const int64_t ih = oh * g.stride_h + ki * g.dilation_h - g.pad_h;
                if (ih < 0 || ih >= g.height) continue;
                const float *restrict xr = x + ih * g.width;
                const float *restrict dyr = dy + oh * g.out_w;
                if (g.stride_w == 1) {
                    for (int64_t ow = c0; ow < c1; ow++) partial[ow] += dyr[ow] * xr[ow + offset];
                } else if (g.stride_w == 2) {
                    for (int64_t ow = c0; ow < c1; ow++) partial[ow] += dyr[ow] * xr[2 * ow + offset];
                } else {
                    for (int64_t ow = c0; ow < c1; ow++) partial[ow] += dyr[ow] * xr[ow * g.stride_w + offset];
                }
            }
            float sum = 0;
            for (int64_t ow = c0; ow < c1; ow++) sum += partial[ow];
            dw[ki * g.kernel_w + kj] += sum;
        }
    }
}

static void dw_forward_plain(const float *x, const float *w, float bias, float *y, const crema_conv_geometry *g) {
    dw_forward_body(x, w, bias, y, g);
}
CREMA_AVX512 static void dw_forward_avx512(const float *x, const float *w, float bias, float *y,
                                           const crema_conv_geometry *g) {
    dw_forward_body(x, w, bias, y, g);
}
static void dw_backward_data_plain(const float *dy, const float *w, float *dx, const crema_conv_geometry *g) {
    dw_backward_data_body(dy, w, dx, g);
}
CREMA_AVX512 static void dw_backward_data_avx512(const float *dy, const float *w, float *dx,
                                                 const crema_conv_geometry *g) {
    dw_backward_data_body(dy, w, dx, g);
}
static void dw_backward_weights_plain(const float *dy, const float *x, float *dw, float *partial,
                                      const crema_conv_geometry *g) {
    dw_backward_weights_body(dy, x, dw, partial, g);
}
CREMA_AVX512 static void dw_backward_weights_avx512(const float *dy, const float *x, float *dw, float *partial,
                                                    const crema_conv_geometry *g) {
    dw_backward_weights_body(dy, x, dw, partial, g);
}

void crema_depthwise_forward(const float *x, const float *w, float bias, float *y, const crema_conv_geometry *g) {
    if (crema_use_avx512()) {
        dw_forward_avx512(x, w, bias, y, g);
    } else {
        dw_forward_plain(x, w, bias, y, g);
    }
}

void crema_depthwise_backward_data(const float *dy, const float *w, float *dx, const crema_conv_geometry *g) {
    if (crema_use_avx512()) {
        dw_backward_data_avx512(dy, w, dx, g);
    } else {
        dw_backward_data_plain(dy, w, dx, g);
    }
}

void crema_depthwise_backward_weights(const float *dy, const float *x, float *dw, float *partial,
                                      const crema_conv_geometry *g) {
    if (crema_use_avx512()) {
        dw_backward_weights_avx512(dy, x, dw, partial, g);
    } else {
        dw_backward_weights_plain(dy, x, dw, partial, g);
    }
}
