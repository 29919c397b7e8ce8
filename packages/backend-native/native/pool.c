/*
 * Max pooling and its gradient, NHWC, rows of the output (forward) or of the input's gradient (backward) split over
 * the threads. The loops (pool_kernel.inc) are built for AVX-512, AVX2 and SSE and chosen with the matrix kernels'
 * instruction set.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

typedef struct {
  const conv_shape *s;
  const float *x, *dy;
  float *y, *dx;
} pool_job;

BEGIN_AVX512
#define SUFFIX avx512
#include "pool_kernel.inc"
#undef SUFFIX
END_ISA

BEGIN_AVX2
#define SUFFIX avx2
#include "pool_kernel.inc"
#undef SUFFIX
END_ISA

#define SUFFIX sse
#include "pool_kernel.inc"
#undef SUFFIX

static const range_fn FORWARD[] = {max_pool_rows_avx512, max_pool_rows_avx2, max_pool_rows_sse};
static const range_fn BACKWARD[] = {max_pool_grad_rows_avx512, max_pool_grad_rows_avx2, max_pool_grad_rows_sse};

void max_pool(const conv_shape *s, const float *x, float *y) {
  pool_job job = {s, x, NULL, y, NULL};
  parallel_range((long)s->batch * s->out_h, 1, FORWARD[native_isa()], &job);
}

void max_pool_grad(const conv_shape *s, const float *x, const float *dy, float *dx) {
  pool_job job = {s, x, dy, NULL, dx};
  parallel_range((long)s->batch * s->in_h, 1, BACKWARD[native_isa()], &job);
}
