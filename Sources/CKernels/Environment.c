// The floating-point environment and the choice of kernel variant.
#include "CKernels.h"
#include "Variants.h"

#include <xmmintrin.h>

// MXCSR: FTZ (bit 15) makes underflowing results 0, DAZ (bit 6) reads denormal inputs as 0.
// Denormals cost up to a hundred cycles each on Intel cores: a loss driven towards zero made
// Caffe's iterations 5-8x slower.
#define CREMA_MXCSR_FTZ_DAZ 0x8040u

void crema_flush_denormals(void) {
    unsigned int csr = _mm_getcsr();
    if ((csr & CREMA_MXCSR_FTZ_DAZ) != CREMA_MXCSR_FTZ_DAZ) _mm_setcsr(csr | CREMA_MXCSR_FTZ_DAZ);
}

unsigned int crema_begin_flushing_denormals(void) {
    unsigned int csr = _mm_getcsr();
    if ((csr & CREMA_MXCSR_FTZ_DAZ) != CREMA_MXCSR_FTZ_DAZ) _mm_setcsr(csr | CREMA_MXCSR_FTZ_DAZ);
    return csr;
}

void crema_restore_mxcsr(unsigned int csr) {
    if (_mm_getcsr() != csr) _mm_setcsr(csr);
}

int crema_flushes_denormals(void) {
    return (_mm_getcsr() & CREMA_MXCSR_FTZ_DAZ) == CREMA_MXCSR_FTZ_DAZ;
}

static int detect_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("fma")) {
        return 1;
    }
    return 0;
}

// Relaxed atomics: every thread computes the same answer, so a racing first call is harmless,
// but the reads and writes must not tear (and ThreadSanitizer must see them as atomic).
int crema_level = -1;

int crema_kernel_level_supported(void) {
    static int supported = -1;
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known < 0) {
        known = detect_level();
        __atomic_store_n(&supported, known, __ATOMIC_RELAXED);
    }
    return known;
}

int crema_kernel_level(void) {
    int level = __atomic_load_n(&crema_level, __ATOMIC_RELAXED);
    if (level < 0) {
        level = crema_kernel_level_supported();
        __atomic_store_n(&crema_level, level, __ATOMIC_RELAXED);
    }
    return level;
}

int crema_set_kernel_level(int level) {
    int best = crema_kernel_level_supported();
    int chosen = level < 0 ? 0 : (level > best ? best : level);
    __atomic_store_n(&crema_level, chosen, __ATOMIC_RELAXED);
    return chosen;
}
