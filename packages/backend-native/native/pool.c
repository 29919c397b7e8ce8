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
  const float *max; /* the gradient's copy of the forward's y */
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
static const range_fn BY_ROWS[] = {max_pool_grad_rows_avx512, max_pool_grad_rows_avx2, max_pool_grad_rows_sse};
static const range_fn BY_IMAGES[] = {max_pool_grad_images_avx512, max_pool_grad_images_avx2,
                                     max_pool_grad_images_sse};

void max_pool(const conv_shape *s, const float *x, float *y) {
  pool_job job = {s, x, NULL, y, NULL, NULL};
  parallel_range((long)s->batch * s->out_h, 1, FORWARD[native_isa()], &job);
}

/* Whole images a thread when there are enough to go round (one pass, the cheaper way), else rows of dx, so that a
 * small batch still uses every thread. Both add each dx's terms in the same order: the same bits either way. */
void max_pool_grad(const conv_shape *s, const float *x, const float *y, const float *dy, float *dx) {
  pool_job job = {s, x, dy, NULL, dx, y};
  if (s->batch >= threads_count())
    parallel_range(s->batch, 1, BY_IMAGES[native_isa()], &job);
  else
    parallel_range((long)s->batch * s->in_h, 1, BY_ROWS[native_isa()], &job);
}
