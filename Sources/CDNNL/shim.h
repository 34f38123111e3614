// oneDNN's C API (Debian's libdnnl-dev) for Crema's convolution engine. Nothing here links the
// library: Runtime opens libdnnl.so at run time and looks the functions up by name, so these
// typedefs give each function's exact type to the Swift side.
#include <oneapi/dnnl/dnnl.h>

#define CREMA_DNNL_FN(name) typedef __typeof__(name) *crema_##name##_fn;
CREMA_DNNL_FN(dnnl_engine_create)
CREMA_DNNL_FN(dnnl_engine_destroy)
CREMA_DNNL_FN(dnnl_stream_create)
CREMA_DNNL_FN(dnnl_stream_wait)
CREMA_DNNL_FN(dnnl_stream_destroy)
CREMA_DNNL_FN(dnnl_memory_desc_init_by_tag)
CREMA_DNNL_FN(dnnl_memory_desc_equal)
CREMA_DNNL_FN(dnnl_memory_desc_get_size)
CREMA_DNNL_FN(dnnl_memory_create)
CREMA_DNNL_FN(dnnl_memory_set_data_handle)
CREMA_DNNL_FN(dnnl_memory_get_data_handle)
CREMA_DNNL_FN(dnnl_memory_destroy)
CREMA_DNNL_FN(dnnl_dilated_convolution_forward_desc_init)
CREMA_DNNL_FN(dnnl_dilated_convolution_backward_data_desc_init)
CREMA_DNNL_FN(dnnl_dilated_convolution_backward_weights_desc_init)
CREMA_DNNL_FN(dnnl_reorder_primitive_desc_create)
CREMA_DNNL_FN(dnnl_primitive_desc_create)
CREMA_DNNL_FN(dnnl_primitive_desc_query)
CREMA_DNNL_FN(dnnl_primitive_desc_query_md)
CREMA_DNNL_FN(dnnl_primitive_desc_destroy)
CREMA_DNNL_FN(dnnl_primitive_create)
CREMA_DNNL_FN(dnnl_primitive_execute)
CREMA_DNNL_FN(dnnl_primitive_destroy)
CREMA_DNNL_FN(dnnl_primitive_attr_create)
CREMA_DNNL_FN(dnnl_primitive_attr_destroy)
CREMA_DNNL_FN(dnnl_primitive_attr_set_post_ops)
CREMA_DNNL_FN(dnnl_post_ops_create)
CREMA_DNNL_FN(dnnl_post_ops_append_sum)
CREMA_DNNL_FN(dnnl_post_ops_append_eltwise)
CREMA_DNNL_FN(dnnl_post_ops_destroy)
CREMA_DNNL_FN(dnnl_version)
CREMA_DNNL_FN(dnnl_get_effective_cpu_isa)
CREMA_DNNL_FN(dnnl_sgemm)
#undef CREMA_DNNL_FN

// OpenMP (libgomp, loaded with libdnnl): oneDNN runs its parallel regions with the calling
// thread's OpenMP thread count.
typedef void (*crema_omp_set_num_threads_fn)(int);
typedef int (*crema_omp_get_max_threads_fn)(void);

// The execution-argument numbers, as plain constants (some are macros of macros).
enum {
    CREMA_DNNL_ARG_SRC = DNNL_ARG_SRC,
    CREMA_DNNL_ARG_DST = DNNL_ARG_DST,
    CREMA_DNNL_ARG_FROM = DNNL_ARG_FROM,
    CREMA_DNNL_ARG_TO = DNNL_ARG_TO,
    CREMA_DNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS,
    CREMA_DNNL_ARG_BIAS = DNNL_ARG_BIAS,
    CREMA_DNNL_ARG_DIFF_SRC = DNNL_ARG_DIFF_SRC,
    CREMA_DNNL_ARG_DIFF_DST = DNNL_ARG_DIFF_DST,
    CREMA_DNNL_ARG_DIFF_WEIGHTS = DNNL_ARG_DIFF_WEIGHTS,
    CREMA_DNNL_ARG_DIFF_BIAS = DNNL_ARG_DIFF_BIAS,
};
