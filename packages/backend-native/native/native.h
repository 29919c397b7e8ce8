/* Shared declarations of the native kernels. Every array is float32, row-major, NHWC for images. */
#ifndef ALEXNET_NATIVE_H
#define ALEXNET_NATIVE_H

/* C[m x n] (+)= A[m x k] * B[k x n], where A(i, p) = a[i * ars + p * acs] and B(p, j) = b[p * brs + j * bcs]. */
typedef struct {
  const float *a;
  long ars, acs;
  const float *b;
  long brs, bcs;
  float *c;
  long ldc;
  int m, n, k;
  int accumulate;
} gemm_args;

/* Cache blocking: the depth of a packed slab (kc), the rows of a packed block of A (mc) and the columns of a packed panel
 * of B (nc). gemm.c's derive_blocks makes them from the cache sizes read at run time and the micro-tile. */
typedef struct {
  int kc, mc, nc;
} gemm_blocks;

/* threads.c: a fixed pool; `run` calls fn(ctx, thread, threads) once on every thread, the caller being thread 0. */
typedef void (*thread_fn)(void *ctx, int thread, int threads);
int threads_count(void);
void threads_set(int count);
void threads_run(thread_fn fn, void *ctx, int threads);
/* Splits [0, n) into one contiguous range a thread, fewer threads when a range would hold under `min_per_thread`. */
typedef void (*range_fn)(void *ctx, long begin, long end);
void parallel_range(long n, long min_per_thread, range_fn fn, void *ctx);

/* gemm.c */
const char *gemm_isa(void);
/* The instruction set chosen for every kernel with per-ISA builds: ISA_AVX512, ISA_AVX2 (with FMA) or ISA_SSE. */
enum { ISA_AVX512 = 0, ISA_AVX2 = 1, ISA_SSE = 2 };
int native_isa(void);
int gemm_set_isa(const char *name);
/* The blocking in use for the chosen ISA: derived from the cache sizes, unless ALEXNET_NATIVE_GEMM_BLOCKS="kc,mc,nc"
 * or gemm_set_blocks overrides it (mc and nc then rounded down to whole micro-tiles). */
gemm_blocks gemm_current_blocks(void);
enum { GEMM_BLOCKS_CACHES = 0, GEMM_BLOCKS_ENVIRONMENT = 1, GEMM_BLOCKS_SET = 2 };
int gemm_blocks_source(void);
/* kc in [32, 1024], mc in [1, 1536], nc in [1, 8192], kc x mc and kc x nc at most 2^21, else refused (0); all zero
 * returns to the derived blocking. */
int gemm_set_blocks(int kc, int mc, int nc);
/* The data cache sizes in bytes the blocking was derived from (0 where the system does not say). */
typedef struct {
  long l1d, l2, l3;
} cache_sizes;
cache_sizes gemm_cache_sizes(void);
void gemm_single(const gemm_args *g);           /* on the calling thread */
void gemm_parallel(const gemm_args *g, int threads); /* split over the larger of m and n */

/* Convolution geometry, after TF.js's computeConv2DInfo. */
typedef struct {
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
} conv_shape;

void conv2d_forward(const conv_shape *s, const float *x, const float *w, const float *bias, int relu, float *y);
void conv2d_backprop_input(const conv_shape *s, const float *dy, const float *w, float *dx);
void conv2d_backprop_filter(const conv_shape *s, const float *x, const float *dy, float *dw);

/* winograd.c: 3x3 and 5x5 stride-1 convolutions by F(4x4, 3x3) and F(4x4, 5x5) (F(2x2, 3x3) and F(2x2, 5x5) for
 * outputs under 4 on a side), taken by conv.c's functions when winograd_applies. */
enum { WINOGRAD_OFF = 0, WINOGRAD_AUTO = 1, WINOGRAD_ALWAYS = 2 };
/* The measured rule's thresholds: both channel counts at least WINOGRAD_MIN_CHANNELS (WINOGRAD_MIN_CHANNELS_F4_5X5 for
 * F(4x4, 5x5)), and for F(2x2, 3x3) their product at least WINOGRAD_MIN_PAIRS_F2_3X3 (winograd_applies). */
#define WINOGRAD_MIN_CHANNELS 64
#define WINOGRAD_MIN_CHANNELS_F4_5X5 32
#define WINOGRAD_MIN_PAIRS_F2_3X3 (192 * 128)
int winograd_mode(void); /* ALEXNET_NATIVE_WINOGRAD: off, always, else auto */
void winograd_set_mode(int mode);
/* The output tile: 2 or 4 forces F(2x2, r x r) or F(4x4, r x r) (benchmarks, tests), anything else the rule's choice. */
void winograd_set_tile(int m);
int winograd_applies(const conv_shape *s);
void winograd_forward(const conv_shape *s, const float *x, const float *w, const float *bias, int relu, float *y);
void winograd_backprop_input(const conv_shape *s, const float *dy, const float *w, float *dx);
void winograd_backprop_filter(const conv_shape *s, const float *x, const float *dy, float *dw);

void max_pool(const conv_shape *s, const float *x, float *y);
/* y: the forward's output for x, whose values locate each window's maximum. */
void max_pool_grad(const conv_shape *s, const float *x, const float *y, const float *dy, float *dx);

void lrn_forward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                 float *y);
void lrn_backward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                  const float *y, const float *dy, float *dx);

/* out[j] = sum over rows of x[row * cols + j], accumulated in float64. */
void column_sum(long rows, int cols, const float *x, float *out);

/* Permutes the axes of x (shape[rank]) into out: output axis a is input axis perm[a]. Rank 1 to 6; 0 otherwise. */
int transpose(int rank, const long *shape, const int *perm, const float *x, float *out);

/* The element-wise operations of binary_op (their codes are the addon's). */
enum { BINARY_ADD = 0, BINARY_SUB = 1, BINARY_MUL = 2, BINARY_GREATER_EQUAL = 3 };
/* out[i] = a[i % na] op b[i % nb] for i < n, na and nb dividing n (float32 out; not BINARY_GREATER_EQUAL); out may be
 * a or b (each element is read before it is written). */
void binary_op(int op, long n, const float *a, long na, const float *b, long nb, float *out);
/* out[i] = a[(i / inner_a) % na] op b[(i / inner_b) % nb]: out is float32, or one byte 0 / 1 an element for
 * BINARY_GREATER_EQUAL. */
void binary_op_repeat(int op, long n, const float *a, long na, long inner_a, const float *b, long nb, long inner_b,
                      void *out);

/* out = x > 0 ? 1 : alpha (NaN stays NaN): TF.js's Step, the fused ReLU's gradient mask. */
void step_forward(long n, const float *x, float alpha, float *out);

void relu_forward(long n, const float *x, float *y);
void relu_backward(long n, const float *y, const float *dy, float *dx);

/* PyTorch's SGD for one parameter, in place: g = grad + wd * p; buf = first ? g : momentum * buf + (1 - dampening) *
 * g; g = nesterov ? g + momentum * buf : buf; p -= lr * g. Without momentum, buf is unused. */
void sgd_update(long n, float *param, const float *grad, float *buf, float lr, float momentum, float dampening,
                float weight_decay, int nesterov, int first);

/* peak.c: GFLOP/s of `threads` threads running independent FMA chains in the chosen ISA for about 1.5 x `seconds`. */
double fma_peak_gflops(int threads, double seconds);

/*
 * Brackets for a kernel's AVX-512 and AVX2 builds (a `.inc` source included once under each). The test build
 * ALEXNET_TEST_WIDE_PORTABLE compiles the AVX-512 build for any CPU (gemm.c's tiling check) and reports every
 * instruction set as supported, so there the AVX-512 bracket must not target AVX-512 either.
 */
#ifndef ALEXNET_TEST_WIDE_PORTABLE
#define BEGIN_AVX512 _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f\")")
#else
#define BEGIN_AVX512 _Pragma("GCC push_options")
#endif
#define BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define END_ISA _Pragma("GCC pop_options")

#endif
