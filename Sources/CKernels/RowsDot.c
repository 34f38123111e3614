// Weight-streaming dot products for fully connected layers at small batch sizes, where the
// product is bound by reading the weights: each weight is loaded once and multiplied with all
// (up to 8) input rows while it is in a register.
#include "CKernels.h"
#include "Variants.h"

#include <immintrin.h>

// MARK: Plain variant

static void rows_dot_plain(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t m,
                           int64_t ldx, int64_t ldy, int64_t row_begin, int64_t row_end) {
    for (int64_t i = row_begin; i < row_end; i++) {
        const float *wr = w + i * k;
        for (int64_t j = 0; j < m; j++) {
            const float *xr = x + j * ldx;
            // Four partial sums let the compiler vectorise without reordering one long chain.
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int64_t t = 0;
            for (; t + 4 <= k; t += 4) {
                s0 += wr[t] * xr[t];
                s1 += wr[t + 1] * xr[t + 1];
                s2 += wr[t + 2] * xr[t + 2];
                s3 += wr[t + 3] * xr[t + 3];
            }
            for (; t < k; t++) s0 += wr[t] * xr[t];
            float s = (s0 + s1) + (s2 + s3);
            y[j * ldy + i] = bias ? s + bias[i] : s;
        }
    }
}

// MARK: AVX-512 variant

/// R weight rows times M input rows, 16 columns per step, R * M accumulators in registers.
/// R and M are constants at every call site, so the loops unroll completely.
CREMA_INLINE CREMA_AVX512
void rows_dot_block(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t ldx,
                    int64_t ldy, int64_t i, const int R, const int M) {
    __m512 acc[4][8];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < M; j++) acc[r][j] = _mm512_setzero_ps();
    int64_t t = 0;
    for (; t + 16 <= k; t += 16) {
        __m512 wv[4];
        for (int r = 0; r < R; r++) wv[r] = _mm512_loadu_ps(w + (i + r) * k + t);
        for (int j = 0; j < M; j++) {
            __m512 xv = _mm512_loadu_ps(x + j * ldx + t);
            for (int r = 0; r < R; r++) acc[r][j] = _mm512_fmadd_ps(wv[r], xv, acc[r][j]);
        }
    }
    if (t < k) {
        __mmask16 tail = (__mmask16)((1u << (k - t)) - 1u);
        __m512 wv[4];
        for (int r = 0; r < R; r++) wv[r] = _mm512_maskz_loadu_ps(tail, w + (i + r) * k + t);
        for (int j = 0; j < M; j++) {
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + j * ldx + t);
            for (int r = 0; r < R; r++) acc[r][j] = _mm512_fmadd_ps(wv[r], xv, acc[r][j]);
        }
    }
    for (int r = 0; r < R; r++) {
        float b = bias ? bias[i + r] : 0.0f;
        for (int j = 0; j < M; j++) y[j * ldy + i + r] = _mm512_reduce_add_ps(acc[r][j]) + b;
    }
}

/// Rows in blocks of R (four weight streams keep the prefetchers busy), then one at a time.
CREMA_INLINE CREMA_AVX512
void rows_dot_m(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t ldx,
                int64_t ldy, int64_t row_begin, int64_t row_end, const int M) {
    int64_t i = row_begin;
    if (M <= 4) {
        for (; i + 4 <= row_end; i += 4) rows_dot_block(w, x, bias, y, k, ldx, ldy, i, 4, M);
    } else {
        for (; i + 2 <= row_end; i += 2) rows_dot_block(w, x, bias, y, k, ldx, ldy, i, 2, M);
    }
    for (; i < row_end; i++) rows_dot_block(w, x, bias, y, k, ldx, ldy, i, 1, M);
}

CREMA_AVX512
static void rows_dot_avx512(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t m,
                            int64_t ldx, int64_t ldy, int64_t row_begin, int64_t row_end) {
    switch (m) {
    case 1: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 1); break;
    case 2: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 2); break;
    case 3: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 3); break;
    case 4: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 4); break;
    case 5: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 5); break;
    case 6: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 6); break;
    case 7: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 7); break;
    case 8: rows_dot_m(w, x, bias, y, k, ldx, ldy, row_begin, row_end, 8); break;
    default: rows_dot_plain(w, x, bias, y, k, m, ldx, ldy, row_begin, row_end); break;
    }
}

void crema_rows_dot(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t m,
                    int64_t ldx, int64_t ldy, int64_t row_begin, int64_t row_end) {
    if (crema_use_avx512()) {
        rows_dot_avx512(w, x, bias, y, k, m, ldx, ldy, row_begin, row_end);
    } else {
        rows_dot_plain(w, x, bias, y, k, m, ldx, ldy, row_begin, row_end);
    }
}
