// Local response normalisation across channels over a range of positions of one image. The
// window sums slide along the channels in Caffe's order and without fused multiply-adds, so
// they round as Caffe's CPU kernel does.
#include "CKernels.h"
#include "Variants.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

/// dst = src^-beta, with square roots for Caffe's usual beta 0.75 (vectorises; exact to an ulp
/// or so of powf).
CREMA_INLINE void negative_power(const float *src, float *dst, int64_t n, float beta) {
    if (beta == 0.75f) {
        for (int64_t i = 0; i < n; i++) {
            float r = __builtin_elementwise_sqrt(src[i]);
            dst[i] = 1.0f / (r * __builtin_elementwise_sqrt(r));
        }
    } else {
        for (int64_t i = 0; i < n; i++) dst[i] = powf(src[i], -beta);
    }
}

CREMA_INLINE void lrn_forward_body(const float *x, float *scale, float *y, int64_t channels, int64_t plane,
                                   int64_t begin, int64_t end, int64_t size, float a, float k, float beta) {
    const int64_t n = end - begin;
    const int64_t pre = (size - 1) / 2;
    x += begin;
    scale += begin;
    y += begin;
    for (int64_t c = 0; c < channels; c++) {
        float *cur = scale + c * plane;
        if (c == 0) {
            for (int64_t i = 0; i < n; i++) cur[i] = k;
            for (int64_t j = 0; j <= pre && j < channels; j++) {
                const float *xj = x + j * plane;
                for (int64_t i = 0; i < n; i++) cur[i] += a * (xj[i] * xj[i]);
            }
        } else {
            const float *prev = cur - plane;
            const float *head = c + pre < channels ? x + (c + pre) * plane : 0;
            const float *tail = c - pre - 1 >= 0 ? x + (c - pre - 1) * plane : 0;
            if (head && tail) {
                for (int64_t i = 0; i < n; i++) cur[i] = (prev[i] + a * (head[i] * head[i])) - a * (tail[i] * tail[i]);
            } else if (head) {
                for (int64_t i = 0; i < n; i++) cur[i] = prev[i] + a * (head[i] * head[i]);
            } else if (tail) {
                for (int64_t i = 0; i < n; i++) cur[i] = prev[i] - a * (tail[i] * tail[i]);
            } else {
                for (int64_t i = 0; i < n; i++) cur[i] = prev[i];
            }
        }
        const float *xc = x + c * plane;
        float *yc = y + c * plane;
        negative_power(cur, yc, n, beta);
        for (int64_t i = 0; i < n; i++) yc[i] *= xc[i];
    }
}

CREMA_INLINE void lrn_backward_body(const float *x, const float *y, const float *scale, const float *dy, float *dx,
                                    int64_t channels, int64_t plane, int64_t begin, int64_t end, int64_t size,
                                    float factor, float beta, float *scratch) {
    const int64_t n = end - begin;
    const int64_t pre = (size - 1) / 2;
    x += begin; y += begin; scale += begin; dy += begin; dx += begin;
    // `size` planes of dy * y / scale (a ring over the window) and their running sum.
    float *ring = scratch, *accum = scratch + size * n;
    for (int64_t i = 0; i < n; i++) accum[i] = 0;
    for (int64_t c = -pre; c < channels; c++) {
        int64_t j = c + pre;  // the channel entering the window
        if (j < channels) {
            float *r = ring + (j % size) * n;
            const float *d = dy + j * plane, *t = y + j * plane, *s = scale + j * plane;
            for (int64_t i = 0; i < n; i++) {
                r[i] = d[i] * t[i] / s[i];
                accum[i] += r[i];
            }
        }
        if (c < 0) continue;
        const float *xc = x + c * plane, *dyc = dy + c * plane;
        float *dxc = dx + c * plane;
        negative_power(scale + c * plane, dxc, n, beta);
        for (int64_t i = 0; i < n; i++) dxc[i] = dyc[i] * dxc[i] - factor * (xc[i] * accum[i]);
        if (c - pre >= 0) {
            const float *r = ring + ((c - pre) % size) * n;
            for (int64_t i = 0; i < n; i++) accum[i] -= r[i];
        }
    }
}

static void lrn_forward_plain(const float *x, float *scale, float *y, int64_t channels, int64_t plane,
                              int64_t begin, int64_t end, int64_t size, float a, float k, float beta) {
    lrn_forward_body(x, scale, y, channels, plane, begin, end, size, a, k, beta);
}

CREMA_AVX512
static void lrn_forward_avx512(const float *x, float *scale, float *y, int64_t channels, int64_t plane,
                               int64_t begin, int64_t end, int64_t size, float a, float k, float beta) {
    lrn_forward_body(x, scale, y, channels, plane, begin, end, size, a, k, beta);
}

void crema_lrn_forward(const float *x, float *scale, float *y, int64_t channels, int64_t plane,
                       int64_t begin, int64_t end, int64_t size, float alpha_over_size, float k, float beta) {
    if (crema_use_avx512()) {
        lrn_forward_avx512(x, scale, y, channels, plane, begin, end, size, alpha_over_size, k, beta);
    } else {
        lrn_forward_plain(x, scale, y, channels, plane, begin, end, size, alpha_over_size, k, beta);
    }
}

static void lrn_backward_plain(const float *x, const float *y, const float *scale, const float *dy, float *dx,
                               int64_t channels, int64_t plane, int64_t begin, int64_t end, int64_t size,
                               float factor, float beta, float *scratch) {
    lrn_backward_body(x, y, scale, dy, dx, channels, plane, begin, end, size, factor, beta, scratch);
}

CREMA_AVX512
static void lrn_backward_avx512(const float *x, const float *y, const float *scale, const float *dy, float *dx,
                                int64_t channels, int64_t plane, int64_t begin, int64_t end, int64_t size,
                                float factor, float beta, float *scratch) {
    lrn_backward_body(x, y, scale, dy, dx, channels, plane, begin, end, size, factor, beta, scratch);
}

void crema_lrn_backward(const float *x, const float *y, const float *scale, const float *dy, float *dx,
                        int64_t channels, int64_t plane, int64_t begin, int64_t end, int64_t size,
                        float factor, float beta, float *scratch) {
    if (crema_use_avx512()) {
        lrn_backward_avx512(x, y, scale, dy, dx, channels, plane, begin, end, size, factor, beta, scratch);
    } else {
        lrn_backward_plain(x, y, scale, dy, dx, channels, plane, begin, end, size, factor, beta, scratch);
    }
}
