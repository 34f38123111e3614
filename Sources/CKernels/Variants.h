// Internal: how each kernel is compiled twice, for the baseline and for AVX-512.
//
// A kernel's body is an always-inline function without target attributes; CREMA_VARIANTS
// makes a plain wrapper and an AVX-512 wrapper around it, so the compiler vectorises the same
// loop once per instruction set, and a dispatcher that picks by crema_kernel_level().
#ifndef CREMA_VARIANTS_H
#define CREMA_VARIANTS_H

#define CREMA_INLINE static inline __attribute__((always_inline))
#define CREMA_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi,bmi2,f16c")))

extern int crema_level;
int crema_kernel_level(void);

/// 1 when the AVX-512 variants should run.
CREMA_INLINE int crema_use_avx512(void) {
    int level = __atomic_load_n(&crema_level, __ATOMIC_RELAXED);
    if (level < 0) level = crema_kernel_level();
    return level >= 1;
}

#endif
