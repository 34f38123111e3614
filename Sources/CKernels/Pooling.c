// Max pooling over one channel plane. The AVX-512 variant works separably: first the maximum
// of each (padded) column over the window's rows, then of each window's columns, 16 lanes at a
// time; ties resolve to the smallest index, which is the window's first maximum in Caffe's scan.
#include "CKernels.h"
#include "Variants.h"

#include <float.h>
#include <immintrin.h>

// MARK: Plain variant: Caffe's scan of each window, which compilers do not vectorise but which
// is as fast as anything else in scalar code.

static void max_pool_plane_plain(const float *x, int64_t height, int64_t width, int64_t pooled_h, int64_t pooled_w,
                                 int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                 int64_t pad_h, int64_t pad_w, float *y, int32_t *mask) {
    for (int64_t ph = 0; ph < pooled_h; ph++) {
        int64_t hs = ph * stride_h - pad_h;
        int64_t h0 = hs > 0 ? hs : 0;
        int64_t h1 = hs + kernel_h < height ? hs + kernel_h : height;
        for (int64_t pw = 0; pw < pooled_w; pw++) {
            int64_t ws = pw * stride_w - pad_w;
            int64_t w0 = ws > 0 ? ws : 0;
            int64_t w1 = ws + kernel_w < width ? ws + kernel_w : width;
            float best = -FLT_MAX;
            int32_t index = -1;
            for (int64_t h = h0; h < h1; h++) {
                for (int64_t w = w0; w < w1; w++) {
                    float v = x[h * width + w];
                    if (v > best) {
                        best = v;
                        index = (int32_t)(h * width + w);
                    }
                }
            }
            y[ph * pooled_w + pw] = best;
            if (mask) mask[ph * pooled_w + pw] = index;
        }
    }
}

// MARK: AVX-512 variant
//
// Planes are narrow (13 to 55 columns in CaffeNet), too short for a vectorised loop with a
// scalar remainder, so this variant works in masked 16-lane steps. Lanes carry (value, index)
// pairs: the larger value wins, and of equal values the smaller index, so any order of
// combining gives the scan's answer.

CREMA_AVX512 CREMA_INLINE void keep_max16(__m512 v, __m512i i, __m512 *best, __m512i *index) {
    __mmask16 gt = _mm512_cmp_ps_mask(v, *best, _CMP_GT_OQ);
    __mmask16 eq = _mm512_cmp_ps_mask(v, *best, _CMP_EQ_OQ) & _mm512_cmplt_epi32_mask(i, *index);
    *best = _mm512_mask_mov_ps(*best, gt | eq, v);
    *index = _mm512_mask_mov_epi32(*index, gt | eq, i);
}

/// Columns of the AVX-512 variant's column buffers: as far as the last 16-lane step of the
/// columns pass reads (two vectors past its first window column), in whole 16-lane stores.
static int64_t padded_columns(int64_t pooled_w, int64_t kernel_w, int64_t stride_w) {
    const int64_t steps = (pooled_w + 15) / 16;
    const int64_t reach = (steps * 16 - 1) * stride_w + kernel_w + 16;
    return (reach + 15) / 16 * 16;
}

/// `with_index` 0: values only (max_ps keeps Caffe's answer: NaN and values at or below
/// -FLT_MAX never win). A constant at each call site, as are the column window and stride of
/// the common shapes, so each specialisation compiles to straight-line code.
CREMA_INLINE CREMA_AVX512
void max_pool_plane_avx512_body(const float *x, int64_t height, int64_t width, int64_t pooled_h, int64_t pooled_w,
                                int64_t kernel_h, const int64_t kernel_w, int64_t stride_h, const int64_t stride_w,
                                int64_t pad_h, int64_t pad_w, float *y, int32_t *mask, float *scratch,
                                const int with_index) {
    // Column maxima over padded columns 0 ..< padded (plane column = c - pad_w), and -FLT_MAX
    // beyond, as far as the last 16-lane step of the columns pass reads.
    const int64_t steps = (pooled_w + 15) / 16;
    const int64_t padded = padded_columns(pooled_w, kernel_w, stride_w);
    float *cm = scratch;
    int32_t *ci = (int32_t *)(scratch + padded);
    const __m512 lowest = _mm512_set1_ps(-FLT_MAX);
    const __m512i none = _mm512_set1_epi32(-1);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int64_t c = 0; c < padded; c += 16) {
        _mm512_storeu_ps(cm + c, lowest);
        if (with_index) _mm512_storeu_si512(ci + c, none);
    }
    const int64_t used = padded - pad_w < width ? padded - pad_w : width;  // plane columns read
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    for (int64_t ph = 0; ph < pooled_h; ph++) {
        int64_t hs = ph * stride_h - pad_h;
        int64_t h0 = hs > 0 ? hs : 0;
        int64_t h1 = hs + kernel_h < height ? hs + kernel_h : height;
        for (int64_t w = 0; w < used; w += 16) {
            __mmask16 valid = used - w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (used - w)) - 1u);
            __m512 best = lowest;
            __m512i index = none;
            for (int64_t h = h0; h < h1; h++) {
                __m512 v = _mm512_mask_loadu_ps(lowest, valid, x + h * width + w);
                if (with_index) {
                    __mmask16 gt = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
                    best = _mm512_mask_mov_ps(best, gt, v);
                    index = _mm512_mask_mov_epi32(index, gt,
                                                  _mm512_add_epi32(lane, _mm512_set1_epi32((int32_t)(h * width + w))));
                } else {
                    best = _mm512_max_ps(v, best);
                }
            }
            _mm512_mask_storeu_ps(cm + pad_w + w, valid, best);
            if (with_index) _mm512_mask_storeu_epi32(ci + pad_w + w, valid, index);
        }
        for (int64_t s = 0; s < steps; s++) {
            const int64_t pw = s * 16;
            __m512 best = lowest;
            __m512i index = none;
            for (int64_t j = 0; j < kernel_w; j++) {
                const int64_t c = pw * stride_w + j;
                __m512 v;
                __m512i i = none;
                if (stride_w == 1) {
                    v = _mm512_loadu_ps(cm + c);
                    if (with_index) i = _mm512_loadu_si512(ci + c);
                } else if (stride_w == 2) {
                    v = _mm512_permutex2var_ps(_mm512_loadu_ps(cm + c), even, _mm512_loadu_ps(cm + c + 16));
                    if (with_index) {
                        i = _mm512_permutex2var_epi32(_mm512_loadu_si512(ci + c), even, _mm512_loadu_si512(ci + c + 16));
                    }
                } else {
                    __m512i at = _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32((int32_t)stride_w)),
                                                  _mm512_set1_epi32((int32_t)c));
                    v = _mm512_i32gather_ps(at, cm, 4);
                    if (with_index) i = _mm512_i32gather_epi32(at, ci, 4);
                }
                if (with_index) {
                    keep_max16(v, i, &best, &index);
                } else {
                    best = _mm512_max_ps(v, best);
                }
            }
            __mmask16 out = pooled_w - pw >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (pooled_w - pw)) - 1u);
            _mm512_mask_storeu_ps(y + ph * pooled_w + pw, out, best);
            if (with_index) _mm512_mask_storeu_epi32(mask + ph * pooled_w + pw, out, index);
        }
    }
}

#define CREMA_MAX_POOL_VARIANT(name, kw, sw, with_index)                                                           \
    CREMA_AVX512 static void name(const float *x, int64_t height, int64_t width, int64_t pooled_h, int64_t pooled_w,  \
                                  int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,            \
                                  int64_t pad_h, int64_t pad_w, float *y, int32_t *mask, float *scratch) {           \
        (void)kernel_w; (void)stride_w;                                                                             \
        max_pool_plane_avx512_body(x, height, width, pooled_h, pooled_w, kernel_h, kw, stride_h, sw, pad_h, pad_w,   \
                                   y, mask, scratch, with_index);                                                   \
    }

// CaffeNet's and LeNet's windows, with and without indices, then any window.
CREMA_MAX_POOL_VARIANT(max_pool_3s2_index, 3, 2, 1)
CREMA_MAX_POOL_VARIANT(max_pool_3s2_values, 3, 2, 0)
CREMA_MAX_POOL_VARIANT(max_pool_2s2_index, 2, 2, 1)
CREMA_MAX_POOL_VARIANT(max_pool_2s2_values, 2, 2, 0)
CREMA_MAX_POOL_VARIANT(max_pool_any_index, kernel_w, stride_w, 1)
CREMA_MAX_POOL_VARIANT(max_pool_any_values, kernel_w, stride_w, 0)

typedef void (*max_pool_fn)(const float *, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                            int64_t, int64_t, float *, int32_t *, float *);

static max_pool_fn max_pool_avx512_for(int64_t kernel_w, int64_t stride_w, int with_index) {
    if (kernel_w == 3 && stride_w == 2) return with_index ? max_pool_3s2_index : max_pool_3s2_values;
    if (kernel_w == 2 && stride_w == 2) return with_index ? max_pool_2s2_index : max_pool_2s2_values;
    return with_index ? max_pool_any_index : max_pool_any_values;
}

int64_t crema_max_pool_scratch(int64_t pooled_w, int64_t kernel_w, int64_t stride_w) {
    return 2 * padded_columns(pooled_w, kernel_w, stride_w);
}

void crema_max_pool_plane(const float *x, int64_t height, int64_t width, int64_t pooled_h, int64_t pooled_w,
                          int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                          int64_t pad_h, int64_t pad_w, float *y, int32_t *mask, float *scratch) {
    if (crema_use_avx512()) {
        max_pool_avx512_for(kernel_w, stride_w, mask != 0)(x, height, width, pooled_h, pooled_w, kernel_h, kernel_w,
                                                           stride_h, stride_w, pad_h, pad_w, y, mask, scratch);
    } else {
        max_pool_plane_plain(x, height, width, pooled_h, pooled_w, kernel_h, kernel_w, stride_h, stride_w, pad_h,
                             pad_w, y, mask);
    }
}

void crema_max_pool_backward_plane(const float *dy, const int32_t *mask, int64_t out_count, float *dx,
                                   int64_t in_count) {
    for (int64_t i = 0; i < in_count; i++) dx[i] = 0;
    for (int64_t i = 0; i < out_count; i++) {
        int32_t index = mask[i];
        if (index >= 0) dx[index] += dy[i];
    }
}
