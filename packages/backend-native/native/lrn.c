/*
 * Local response normalisation across channels and its gradient (TF.js's definition: the layer passes alpha / size),
 * NHWC, pixels split over the threads. The per-pixel loops (lrn_kernel.inc) are built for AVX-512, AVX2 and SSE and
 * chosen with the matrix kernels' instruction set.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

typedef struct {
  int channels, radius;
  float bias, alpha, beta;
  const float *x, *y, *dy;
  float *out;
} lrn_job;

BEGIN_AVX512
#define SUFFIX avx512
#include "lrn_kernel.inc"
#undef SUFFIX
END_ISA

BEGIN_AVX2
#define SUFFIX avx2
#include "lrn_kernel.inc"
#undef SUFFIX
END_ISA

#define SUFFIX sse
#include "lrn_kernel.inc"
#undef SUFFIX

static const range_fn FORWARD[] = {lrn_forward_pixels_avx512, lrn_forward_pixels_avx2, lrn_forward_pixels_sse};
static const range_fn BACKWARD[] = {lrn_backward_pixels_avx512, lrn_backward_pixels_avx2, lrn_backward_pixels_sse};

void lrn_forward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                 float *y) {
  lrn_job job = {channels, radius, bias, alpha, beta, x, NULL, NULL, y};
  parallel_range(pixels, 256, FORWARD[native_isa()], &job);
}

void lrn_backward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                  const float *y, const float *dy, float *dx) {
  lrn_job job = {channels, radius, bias, alpha, beta, x, y, dy, dx};
  parallel_range(pixels, 256, BACKWARD[native_isa()], &job);
}
