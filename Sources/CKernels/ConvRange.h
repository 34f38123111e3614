// Internal: the output positions whose kernel tap lands inside the input, shared by the
// im2col and depthwise kernels.
#ifndef CREMA_CONV_RANGE_H
#define CREMA_CONV_RANGE_H

#include <stdint.h>

/// Output positions o in [0, out) with 0 <= o * stride + offset < size, as [*lo, *hi).
static inline __attribute__((always_inline)) void crema_valid_range(int64_t offset, int64_t stride, int64_t size,
                                                                    int64_t out, int64_t *lo, int64_t *hi) {
    int64_t l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    if (l > out) l = out;
    int64_t last = size - 1 - offset;
    int64_t h = last < 0 ? 0 : last / stride + 1;
    if (h > out) h = out;
    if (h < l) h = l;
    *lo = l;
    *hi = h;
}

#endif
