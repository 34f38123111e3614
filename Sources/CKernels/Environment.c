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

int crema_level = -1;

int crema_kernel_level_supported(void) {
    static int supported = -1;
    if (supported < 0) supported = detect_level();
    return supported;
}

int crema_kernel_level(void) {
    if (crema_level < 0) crema_level = crema_kernel_level_supported();
    return crema_level;
}

int crema_set_kernel_level(int level) {
    int best = crema_kernel_level_supported();
    crema_level = level < 0 ? 0 : (level > best ? best : level);
    return crema_level;
}
