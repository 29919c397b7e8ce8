/* Max pooling and its gradient, NHWC; the loops over channels are innermost and unit-stride. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* ---- max pooling: rows of output pixels (image, oy) are the work items ---- */

typedef struct {
  const conv_shape *s;
  const float *x, *dy;
  float *y, *dx;
} pool_job;

static void max_pool_rows(void *ctx, long begin, long end) {
  const pool_job *job = ctx;
  const conv_shape *s = job->s;
  const int C = s->in_c;
  for (long r = begin; r < end; r++) {
    int n = (int)(r / s->out_h), oy = (int)(r % s->out_h);
    const float *x = job->x + (long)n * s->in_h * s->in_w * C;
    for (int ox = 0; ox < s->out_w; ox++) {
      float *out = job->y + ((r * s->out_w) + ox) * C;
      for (int c = 0; c < C; c++) out[c] = -INFINITY;
      for (int kh = 0; kh < s->k_h; kh++) {
        int iy = oy * s->stride_h - s->pad_top + kh * s->dil_h;
        if (iy < 0 || iy >= s->in_h) continue;
        for (int kw = 0; kw < s->k_w; kw++) {
          int ix = ox * s->stride_w - s->pad_left + kw * s->dil_w;
          if (ix < 0 || ix >= s->in_w) continue;
          const float *in = x + ((long)iy * s->in_w + ix) * C;
          for (int c = 0; c < C; c++) out[c] = in[c] > out[c] ? in[c] : out[c];
        }
      }
    }
  }
}

void max_pool(const conv_shape *s, const float *x, float *y) {
  pool_job job = {s, x, NULL, y, NULL};
  parallel_range((long)s->batch * s->out_h, 1, max_pool_rows, &job);
}

/* The gradient goes to the first maximum of each window in row-major order, as in TF.js's and PyTorch's kernels.
 * Windows overlap within an image, so the work items are whole images. */
static void max_pool_grad_images(void *ctx, long begin, long end) {
  const pool_job *job = ctx;
  const conv_shape *s = job->s;
  const int C = s->in_c;
  const long image = (long)s->in_h * s->in_w * C;
  float *best = malloc(sizeof(float) * C);
  long *where = malloc(sizeof(long) * C);
  for (long n = begin; n < end; n++) {
    const float *x = job->x + n * image;
    float *dx = job->dx + n * image;
    memset(dx, 0, sizeof(float) * image);
    for (int oy = 0; oy < s->out_h; oy++) {
      for (int ox = 0; ox < s->out_w; ox++) {
        const float *dy = job->dy + (((n * s->out_h) + oy) * s->out_w + ox) * C;
        for (int c = 0; c < C; c++) {
          best[c] = -INFINITY;
          where[c] = -1;
        }
        for (int kh = 0; kh < s->k_h; kh++) {
          int iy = oy * s->stride_h - s->pad_top + kh * s->dil_h;
          if (iy < 0 || iy >= s->in_h) continue;
          for (int kw = 0; kw < s->k_w; kw++) {
            int ix = ox * s->stride_w - s->pad_left + kw * s->dil_w;
            if (ix < 0 || ix >= s->in_w) continue;
            long at = ((long)iy * s->in_w + ix) * C;
            for (int c = 0; c < C; c++) {
              if (x[at + c] > best[c]) {
                best[c] = x[at + c];
                where[c] = at + c;
              }
            }
          }
        }
        for (int c = 0; c < C; c++)
          if (where[c] >= 0) dx[where[c]] += dy[c];
      }
    }
  }
  free(best);
  free(where);
}

void max_pool_grad(const conv_shape *s, const float *x, const float *dy, float *dx) {
  pool_job job = {s, x, dy, NULL, dx};
  parallel_range(s->batch, 1, max_pool_grad_images, &job);
}
