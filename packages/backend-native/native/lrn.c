/* Local response normalisation across channels and its gradient. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* ---- local response normalisation across channels (TF.js's definition: the layer passes alpha / size) ---- */

typedef struct {
  int channels, radius;
  float bias, alpha, beta;
  const float *x, *y, *dy;
  float *out;
} lrn_job;

/* norm^-beta, with the common betas done by square roots, several times faster than powf. */
static inline float inverse_power(float norm, float beta) {
  if (beta == 0.75f) {
    float root = sqrtf(norm);
    return 1.f / (root * sqrtf(root));
  }
  if (beta == 0.5f) return 1.f / sqrtf(norm);
  return powf(norm, -beta);
}

/* norm[c] = bias + alpha * sum of x^2 over the channels within radius of c. */
static void window_norms(const float *x, int C, int radius, float bias, float alpha, float *norm, float *sq) {
  for (int c = 0; c < C; c++) sq[c] = x[c] * x[c];
  for (int c = 0; c < C; c++) {
    int lo = c - radius < 0 ? 0 : c - radius, hi = c + radius >= C ? C - 1 : c + radius;
    float sum = 0.f;
    for (int k = lo; k <= hi; k++) sum += sq[k];
    norm[c] = bias + alpha * sum;
  }
}

static void lrn_forward_pixels(void *ctx, long begin, long end) {
  const lrn_job *job = ctx;
  const int C = job->channels;
  float *norm = malloc(sizeof(float) * C * 2), *sq = norm + C;
  for (long p = begin; p < end; p++) {
    const float *x = job->x + p * C;
    float *y = job->out + p * C;
    window_norms(x, C, job->radius, job->bias, job->alpha, norm, sq);
    for (int c = 0; c < C; c++) y[c] = x[c] * inverse_power(norm[c], job->beta);
  }
  free(norm);
}

/* dx[k] = dy[k] * norm[k]^-beta - 2 alpha beta x[k] * sum over i within radius of k of dy[i] y[i] / norm[i]. */
static void lrn_backward_pixels(void *ctx, long begin, long end) {
  const lrn_job *job = ctx;
  const int C = job->channels, R = job->radius;
  float *norm = malloc(sizeof(float) * C * 3), *sq = norm + C, *t = norm + 2 * C;
  const float scale = -2.f * job->alpha * job->beta;
  for (long p = begin; p < end; p++) {
    const float *x = job->x + p * C, *y = job->y + p * C, *dy = job->dy + p * C;
    float *dx = job->out + p * C;
    window_norms(x, C, R, job->bias, job->alpha, norm, sq);
    for (int c = 0; c < C; c++) t[c] = dy[c] * y[c] / norm[c];
    for (int k = 0; k < C; k++) {
      int lo = k - R < 0 ? 0 : k - R, hi = k + R >= C ? C - 1 : k + R;
      float sum = 0.f;
      for (int i = lo; i <= hi; i++) sum += t[i];
      dx[k] = dy[k] * inverse_power(norm[k], job->beta) + scale * x[k] * sum;
    }
  }
  free(norm);
}

void lrn_forward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                 float *y) {
  lrn_job job = {channels, radius, bias, alpha, beta, x, NULL, NULL, y};
  parallel_range(pixels, 256, lrn_forward_pixels, &job);
}

void lrn_backward(long pixels, int channels, int radius, float bias, float alpha, float beta, const float *x,
                  const float *y, const float *dy, float *dx) {
  lrn_job job = {channels, radius, bias, alpha, beta, x, y, dy, dx};
  parallel_range(pixels, 256, lrn_backward_pixels, &job);
}
