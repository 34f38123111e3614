// Crema's own CPU kernels: the floating-point environment (flush-to-zero) and the loops that
// matrix products do not cover, vectorised for AVX-512 where the processor has it and plain C
// elsewhere. Every entry point picks its variant at run time (crema_kernel_level).
#ifndef CREMA_CKERNELS_H
#define CREMA_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Floating-point environment

/// Sets flush-to-zero and denormals-are-zero (MXCSR bits 15 and 6) on the calling thread.
/// Threads created afterwards inherit the setting (Linux copies MXCSR into new threads).
void crema_flush_denormals(void);
/// Sets flush-to-zero and denormals-are-zero on the calling thread and returns the MXCSR
/// value before, for crema_restore_mxcsr.
unsigned int crema_begin_flushing_denormals(void);
/// Puts back an MXCSR value saved by crema_begin_flushing_denormals.
void crema_restore_mxcsr(unsigned int csr);
/// 1 when the calling thread has both flush-to-zero and denormals-are-zero set.
int crema_flushes_denormals(void);

// MARK: Thread team

/// The work of one chunk of a parallel loop.
typedef void (*crema_team_body)(void *context, long chunk);
/// Takes libgomp's entry points from a dlopen handle; 1 on success, 0 when one is missing.
int crema_team_install(void *libgomp_handle);
/// 1 once crema_team_install succeeded.
int crema_team_installed(void);
/// Sets flush-to-zero on the workers of the calling thread's team of `threads`, the first time
/// the team reaches that size: oneDNN and OpenBLAS's OpenMP build run on those workers without
/// setting it. Workers libgomp starts later inherit the starting thread's setting (flushing
/// inside a graph pass).
void crema_team_prepare(unsigned int threads);
/// The calling thread's OpenMP thread count (omp_set_num_threads), which OpenBLAS's OpenMP
/// build follows; nothing when no team is installed.
void crema_team_set_threads(int threads);
/// Calls body(context, c) for every chunk c in [0, chunks) on `threads` threads of libgomp's
/// team (the caller is one of them; threads without a chunk wait), each with flush-to-zero
/// set. With one chunk or one thread, or no team installed, the caller runs the chunks itself
/// with its own floating-point setting; inside another team's region libgomp runs a team of
/// one.
void crema_team_run(long chunks, unsigned int threads, crema_team_body body, void *context);

// MARK: Kernel variants

/// 0: plain C (compiled for the baseline x86-64), 1: AVX-512 (F, BW, DQ, VL).
int crema_kernel_level(void);
/// The best level the processor supports.
int crema_kernel_level_supported(void);
/// Chooses the variant (clamped to what the processor supports) and returns the level in use;
/// tests run both variants against the same reference.
int crema_set_kernel_level(int level);

// MARK: Weight-streaming products (small batches through fully connected layers)

/// For rows i in [row_begin, row_end) of the row-major `outputs x k` matrix `w` and each of the
/// `m` input rows x[j * ldx ...]: y[j * ldy + i] = dot(w row i, x row j) (+ bias[i] when bias is
/// not NULL). Reads `w` once for all `m` inputs; m must be 1...8.
void crema_rows_dot(const float *w, const float *x, const float *bias, float *y, int64_t k, int64_t m,
                    int64_t ldx, int64_t ldy, int64_t row_begin, int64_t row_end);

// MARK: Pooling (one channel plane at a time)

/// Caffe's max pooling of one `height x width` plane into `pooled_h x pooled_w`: each output is
/// its window's largest value and `mask` (when not NULL) gets that value's index in the plane,
/// the smallest index among equal maxima (Caffe's first strict maximum in scan order); -FLT_MAX
/// and -1 for a window without a value above -FLT_MAX. `scratch` holds
/// crema_max_pool_scratch(pooled_w, kernel_w, stride_w) floats.
void crema_max_pool_plane(const float *x, int64_t height, int64_t width, int64_t pooled_h, int64_t pooled_w,
                          int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                          int64_t pad_h, int64_t pad_w, float *y, int32_t *mask, float *scratch);

/// Working floats crema_max_pool_plane needs.
int64_t crema_max_pool_scratch(int64_t pooled_w, int64_t kernel_w, int64_t stride_w);

/// Overwrites the plane's gradient dx (in_count values) with the sum, at each mask index, of
/// the output gradients dy (out_count values) that chose it.
void crema_max_pool_backward_plane(const float *dy, const int32_t *mask, int64_t out_count, float *dx,
                                   int64_t in_count);

// MARK: Local response normalisation across channels

/// Forward over positions [begin, end) of each `plane`-sized channel of one image of `channels`
/// channels: scale = k + alpha_over_size * (sum of x^2 over the `size` channels centred on this
/// one), y = x * scale^-beta. Sums slide along the channels in Caffe's order.
void crema_lrn_forward(const float *x, float *scale, float *y, int64_t channels, int64_t plane,
                       int64_t begin, int64_t end, int64_t size, float alpha_over_size, float k, float beta);

/// Backward over positions [begin, end): dx = dy * scale^-beta - factor * x * (window sum of
/// dy * y / scale), factor = 2 * alpha * beta / size. `scratch` holds (size + 1) * (end - begin)
/// values.
void crema_lrn_backward(const float *x, const float *y, const float *scale, const float *dy, float *dx,
                        int64_t channels, int64_t plane, int64_t begin, int64_t end, int64_t size,
                        float factor, float beta, float *scratch);

/// One image's convolution geometry for crema_im2col / crema_col2im (NCHW, Caffe's output size).
/// Kernel tap (ki, kj) of output (oh, ow) reads input row oh * stride_h + ki * dilation_h - pad_h
/// and column ow * stride_w + kj * dilation_w - pad_w.
typedef struct {
    int64_t channels, height, width, kernel_h, kernel_w, pad_h, pad_w, stride_h, stride_w, out_h, out_w;
    int64_t dilation_h, dilation_w;
} crema_conv_geometry;

/// Caffe's im2col for the (channel, kernel row) pairs [first_pair, end_pair), pair = c * kernel_h
/// + ki: column-matrix row r = pair * kernel_w + kj starts at col + r * row_stride and holds
/// out_h * out_w values, 0 in the padding.
void crema_im2col(const float *image, float *col, const crema_conv_geometry *g, int64_t first_pair,
                  int64_t end_pair, int64_t row_stride);

/// The adjoint of crema_im2col for channels [first_channel, end_channel): overwrites those
/// planes of `image` with the sums of the column entries that read each position.
void crema_col2im(const float *col, float *image, const crema_conv_geometry *g, int64_t first_channel,
                  int64_t end_channel, int64_t row_stride);

/// Floats of scratch crema_depthwise_forward uses for planes of this geometry (MobileNet's 3x3
/// kernels at stride 1 or 2), 0 when it needs none.
int64_t crema_depthwise_forward_scratch(const crema_conv_geometry *g);

/// Depthwise convolution of one plane: y (out_h x out_w) = bias + the correlation of x
/// (height x width) with the kernel w (kernel_h x kernel_w); `channels` is not read. `scratch`
/// holds crema_depthwise_forward_scratch(g) floats (NULL where that is 0).
void crema_depthwise_forward(const float *x, const float *w, float bias, float *y, float *scratch,
                             const crema_conv_geometry *g);

/// Overwrites dx (height x width) with the gradient of one plane's depthwise forward.
void crema_depthwise_backward_data(const float *dy, const float *w, float *dx, const crema_conv_geometry *g);

/// Adds one plane's weight gradient into dw (kernel_h x kernel_w); `partial` holds out_w values.
void crema_depthwise_backward_weights(const float *dy, const float *x, float *dw, float *partial,
                                      const crema_conv_geometry *g);

#ifdef __cplusplus
}
#endif

#endif
