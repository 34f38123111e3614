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

// MobileNet's 3x3 kernels, stride 1 or 2, without dilation: the plane is first copied into
// scratch with its zero padding around it, so that no tap needs a range. At stride 1 the padded
// rows are one long row: output i of the padded-width result reads inputs i + ki * wp + kj, one
// loop over the whole plane with all nine taps in registers (rows as short as 7 or 14 values
// would otherwise spend their time in loop tails), and each row's first out_w values are then
// copied out. At stride 2 the padded rows are split into their even and odd columns, so that
// each tap reads consecutive values. Taps are added in the general kernel's order.
static int dw_fast_applies(const crema_conv_geometry *g) {
    return g->kernel_h == 3 && g->kernel_w == 3 && g->dilation_h == 1 && g->dilation_w == 1 &&
           g->stride_h == g->stride_w && (g->stride_h == 1 || g->stride_h == 2) && g->pad_h >= 0 &&
           g->pad_h <= 2 && g->pad_w >= 0 && g->pad_w <= 2 && g->out_h > 0 && g->out_w > 0;
}

int64_t crema_depthwise_forward_scratch(const crema_conv_geometry *g) {
    if (!dw_fast_applies(g)) return 0;
    const int64_t hp = g->height + 2 * g->pad_h, wp = g->width + 2 * g->pad_w;
    if (g->stride_h == 1) return hp * wp + g->out_h * wp;
    return hp * wp + wp;
}

/// Row r of the padded plane (hp rows of wp values) into `row`.
CREMA_INLINE void dw_padded_row(const float *restrict x, int64_t r, float *restrict row, const crema_conv_geometry *g) {
    const int64_t wp = g->width + 2 * g->pad_w, ih = r - g->pad_h;
    if (ih < 0 || ih >= g->height) {
        for (int64_t c = 0; c < wp; c++) row[c] = 0;
        return;
    }
    const float *restrict xr = x + ih * g->width;
    for (int64_t c = 0; c < g->pad_w; c++) row[c] = 0;
    for (int64_t c = 0; c < g->width; c++) row[g->pad_w + c] = xr[c];
    for (int64_t c = g->pad_w + g->width; c < wp; c++) row[c] = 0;
}

CREMA_INLINE void dw_forward_3x3(const float *restrict x, const float *restrict w, float bias, float *restrict y,
                                 float *restrict scratch, const crema_conv_geometry *g) {
    const int64_t hp = g->height + 2 * g->pad_h, wp = g->width + 2 * g->pad_w;
    const int64_t out_h = g->out_h, out_w = g->out_w;
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    if (g->stride_h == 1) {
        float *restrict xp = scratch, *restrict yp = scratch + hp * wp;
        for (int64_t r = 0; r < hp; r++) dw_padded_row(x, r, xp + r * wp, g);
        // The last output reads up to (out_h + 1) * wp + out_w + 1 < hp * wp.
        const int64_t n = (out_h - 1) * wp + out_w;
        const float *restrict a = xp, *restrict b = xp + wp, *restrict c = xp + 2 * wp;
        for (int64_t i = 0; i < n; i++) {
            float acc = bias;
            acc += w0 * a[i];
            acc += w1 * a[i + 1];
            acc += w2 * a[i + 2];
            acc += w3 * b[i];
            acc += w4 * b[i + 1];
            acc += w5 * b[i + 2];
            acc += w6 * c[i];
            acc += w7 * c[i + 1];
            acc += w8 * c[i + 2];
            yp[i] = acc;
        }
        for (int64_t oh = 0; oh < out_h; oh++) {
            const float *restrict src = yp + oh * wp;
            float *restrict dst = y + oh * out_w;
            for (int64_t ow = 0; ow < out_w; ow++) dst[ow] = src[ow];
        }
        return;
    }
    // Stride 2: even columns in `even` (we per row), odd ones in `odd` (wo per row).
    const int64_t we = (wp + 1) / 2, wo = wp / 2;
    float *restrict even = scratch, *restrict odd = scratch + hp * we, *restrict row = scratch + hp * wp;
    for (int64_t r = 0; r < hp; r++) {
        dw_padded_row(x, r, row, g);
        float *restrict er = even + r * we, *restrict orow = odd + r * wo;
        for (int64_t c = 0; c < wo; c++) {
            er[c] = row[2 * c];
            orow[c] = row[2 * c + 1];
        }
        if (we > wo) er[we - 1] = row[wp - 1];
    }
    // Output column ow reads padded columns 2ow, 2ow + 1, 2ow + 2 <= wp - 1.
    for (int64_t oh = 0; oh < out_h; oh++) {
        const float *restrict e0 = even + 2 * oh * we, *restrict e1 = e0 + we, *restrict e2 = e1 + we;
        const float *restrict o0 = odd + 2 * oh * wo, *restrict o1 = o0 + wo, *restrict o2 = o1 + wo;
        float *restrict yr = y + oh * out_w;
        for (int64_t ow = 0; ow < out_w; ow++) {
            float acc = bias;
            acc += w0 * e0[ow];
            acc += w1 * o0[ow];
            acc += w2 * e0[ow + 1];
            acc += w3 * e1[ow];
            acc += w4 * o1[ow];
            acc += w5 * e1[ow + 1];
            acc += w6 * e2[ow];
            acc += w7 * o2[ow];
            acc += w8 * e2[ow + 1];
            yr[ow] = acc;
        }
    }
}

static void dw_forward_plain(const float *x, const float *w, float bias, float *y, float *scratch,
                             const crema_conv_geometry *g) {
    if (scratch && dw_fast_applies(g)) {
        dw_forward_3x3(x, w, bias, y, scratch, g);
    } else {
        dw_forward_body(x, w, bias, y, g);
    }
}
CREMA_AVX512 static void dw_forward_avx512(const float *x, const float *w, float bias, float *y, float *scratch,
                                           const crema_conv_geometry *g) {
    if (scratch && dw_fast_applies(g)) {
        dw_forward_3x3(x, w, bias, y, scratch, g);
    } else {
        dw_forward_body(x, w, bias, y, g);
    }
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

void crema_depthwise_forward(const float *x, const float *w, float bias, float *y, float *scratch,
                             const crema_conv_geometry *g) {
    if (crema_use_avx512()) {
        dw_forward_avx512(x, w, bias, y, scratch, g);
    } else {
        dw_forward_plain(x, w, bias, y, scratch, g);
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
