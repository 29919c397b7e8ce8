/*
 * Convolutions as matrix products over im2col rows: one row a output pixel, holding the kh x kw x c input patch it
 * sees (zeros where the patch hangs over the padding), in the filter's HWIO order, so that
 *   forward:          y[pixels x out_c]     = col[pixels x K] * w[K x out_c]
 *   input gradient:   dcol[pixels x K]      = dy[pixels x out_c] * w^T, scattered back (col2im)
 *   filter gradient:  dw[K x out_c]        += col^T * dy
 * Images are spread over the threads when there are at least as many as threads; otherwise each product is split.
 * 3x3 and 5x5 stride-1 shapes that winograd_applies to go to winograd.c instead.
 */
#include <stdlib.h>
#include <string.h>

#include "native.h"

static int patch_size(const conv_shape *s) { return s->k_h * s->k_w * s->in_c; }

/* Rows of one im2col chunk: as many output pixels as fit in ~8 MiB, so huge images do not need huge buffers. */
static int chunk_rows(const conv_shape *s) {
  int rows = (1 << 21) / patch_size(s);
  return rows < 64 ? 64 : rows;
}

static void im2col(const conv_shape *s, const float *x, int p0, int p1, float *col) {
  const int K = patch_size(s), C = s->in_c;
  for (int p = p0; p < p1; p++) {
    int oy = p / s->out_w, ox = p % s->out_w;
    float *row = col + (long)(p - p0) * K;
    for (int kh = 0; kh < s->k_h; kh++) {
      int iy = oy * s->stride_h - s->pad_top + kh * s->dil_h;
      float *seg = row + (long)kh * s->k_w * C;
      if (iy < 0 || iy >= s->in_h) {
        memset(seg, 0, sizeof(float) * s->k_w * C);
        continue;
      }
      int ix0 = ox * s->stride_w - s->pad_left;
      if (s->dil_w == 1 && ix0 >= 0 && ix0 + s->k_w <= s->in_w) {
        /* The whole kernel row lies inside the image: one contiguous copy (conv1 has only 3 channels a tap). */
        memcpy(seg, x + ((long)iy * s->in_w + ix0) * C, sizeof(float) * s->k_w * C);
        continue;
      }
      for (int kw = 0; kw < s->k_w; kw++) {
        int ix = ox * s->stride_w - s->pad_left + kw * s->dil_w;
        if (ix < 0 || ix >= s->in_w)
          memset(seg + kw * C, 0, sizeof(float) * C);
        else
          memcpy(seg + kw * C, x + ((long)iy * s->in_w + ix) * C, sizeof(float) * C);
      }
    }
  }
}

static void col2im_add(const conv_shape *s, const float *col, int p0, int p1, float *dx) {
  const int K = patch_size(s), C = s->in_c;
  for (int p = p0; p < p1; p++) {
    int oy = p / s->out_w, ox = p % s->out_w;
    const float *row = col + (long)(p - p0) * K;
    for (int kh = 0; kh < s->k_h; kh++) {
      int iy = oy * s->stride_h - s->pad_top + kh * s->dil_h;
      if (iy < 0 || iy >= s->in_h) continue;
      for (int kw = 0; kw < s->k_w; kw++) {
        int ix = ox * s->stride_w - s->pad_left + kw * s->dil_w;
        if (ix < 0 || ix >= s->in_w) continue;
        float *dst = dx + ((long)iy * s->in_w + ix) * C;
        const float *src = row + ((long)kh * s->k_w + kw) * C;
        for (int c = 0; c < C; c++) dst[c] += src[c];
      }
    }
  }
}

typedef struct {
  const conv_shape *s;
  const float *x, *w, *bias, *dy;
  float *y, *dx, *dw;
  int relu;
  float **partial; /* filter gradient: one accumulator per thread (thread 0 uses dw) */
} conv_job;

/* Runs `image` for each image of this thread's share, or for all of them with split products when `threads` is 1. */
typedef void (*image_fn)(const conv_job *job, int n, float *col, int gemm_threads, float *dw);

static void for_images(conv_job *job, image_fn fn, int thread, int threads, int gemm_threads) {
  const conv_shape *s = job->s;
  int begin = (int)((long)s->batch * thread / threads), end = (int)((long)s->batch * (thread + 1) / threads);
  if (begin >= end) return;
  float *col = malloc(sizeof(float) * (long)chunk_rows(s) * patch_size(s));
  float *dw = job->partial ? job->partial[thread] : NULL;
  for (int n = begin; n < end; n++) fn(job, n, col, gemm_threads, dw);
  free(col);
}

static void forward_image(const conv_job *job, int n, float *col, int gemm_threads, float *unused) {
  (void)unused;
  const conv_shape *s = job->s;
  const int P = s->out_h * s->out_w, K = patch_size(s), O = s->out_c, rows = chunk_rows(s);
  const float *x = job->x + (long)n * s->in_h * s->in_w * s->in_c;
  float *y = job->y + (long)n * P * O;
  for (int p0 = 0; p0 < P; p0 += rows) {
    int p1 = p0 + rows < P ? p0 + rows : P;
    im2col(s, x, p0, p1, col);
    gemm_args g = {col, K, 1, job->w, O, 1, y + (long)p0 * O, O, p1 - p0, O, K, 0};
    gemm_parallel(&g, gemm_threads);
  }
  if (job->bias || job->relu) {
    for (long p = 0; p < P; p++) {
      float *row = y + p * O;
      if (job->bias)
        for (int o = 0; o < O; o++) row[o] += job->bias[o];
      if (job->relu)
        for (int o = 0; o < O; o++) row[o] = row[o] < 0.f ? 0.f : row[o];
    }
  }
}

static void backprop_input_image(const conv_job *job, int n, float *col, int gemm_threads, float *unused) {
  (void)unused;
  const conv_shape *s = job->s;
  const int P = s->out_h * s->out_w, K = patch_size(s), O = s->out_c, rows = chunk_rows(s);
  const long image = (long)s->in_h * s->in_w * s->in_c;
  float *dx = job->dx + n * image;
  const float *dy = job->dy + (long)n * P * O;
  memset(dx, 0, sizeof(float) * image);
  for (int p0 = 0; p0 < P; p0 += rows) {
    int p1 = p0 + rows < P ? p0 + rows : P;
    gemm_args g = {dy + (long)p0 * O, O, 1, job->w, 1, O, col, K, p1 - p0, K, O, 0};
    gemm_parallel(&g, gemm_threads);
    col2im_add(s, col, p0, p1, dx);
  }
}

static void backprop_filter_image(const conv_job *job, int n, float *col, int gemm_threads, float *dw) {
  const conv_shape *s = job->s;
  const int P = s->out_h * s->out_w, K = patch_size(s), O = s->out_c, rows = chunk_rows(s);
  const float *x = job->x + (long)n * s->in_h * s->in_w * s->in_c;
  const float *dy = job->dy + (long)n * P * O;
  for (int p0 = 0; p0 < P; p0 += rows) {
    int p1 = p0 + rows < P ? p0 + rows : P;
    im2col(s, x, p0, p1, col);
    gemm_args g = {col, 1, K, dy + (long)p0 * O, O, 1, dw, O, K, O, p1 - p0, 1};
    gemm_parallel(&g, gemm_threads);
  }
}

static image_fn job_image;
static void image_share(void *ctx, int thread, int threads) { for_images(ctx, job_image, thread, threads, 1); }

static void run_images(conv_job *job, image_fn fn) {
  int threads = threads_count();
  if (job->s->batch >= threads && threads > 1) {
    job_image = fn;
    threads_run(image_share, job, threads);
  } else {
    for_images(job, fn, 0, 1, threads);
  }
}

void conv2d_forward(const conv_shape *s, const float *x, const float *w, const float *bias, int relu, float *y) {
  if (winograd_applies(s)) {
    winograd_forward(s, x, w, bias, relu, y);
    return;
  }
  conv_job job = {.s = s, .x = x, .w = w, .bias = bias, .relu = relu, .y = y};
  run_images(&job, forward_image);
}

void conv2d_backprop_input(const conv_shape *s, const float *dy, const float *w, float *dx) {
  if (winograd_applies(s)) {
    winograd_backprop_input(s, dy, w, dx);
    return;
  }
  conv_job job = {.s = s, .dy = dy, .w = w, .dx = dx};
  run_images(&job, backprop_input_image);
}

void conv2d_backprop_filter(const conv_shape *s, const float *x, const float *dy, float *dw) {
  if (winograd_applies(s)) {
    winograd_backprop_filter(s, x, dy, dw);
    return;
  }
  const long size = (long)patch_size(s) * s->out_c;
  int threads = threads_count();
  if (s->batch < threads) threads = 1;
  float *partial[256];
  partial[0] = dw;
  memset(dw, 0, sizeof(float) * size);
  for (int t = 1; t < threads; t++) partial[t] = calloc(size, sizeof(float));
  conv_job job = {.s = s, .x = x, .dy = dy, .partial = partial};
  run_images(&job, backprop_filter_image);
  /* Fixed order, so the sum's rounding does not depend on which thread finished first. */
  for (int t = 1; t < threads; t++) {
    binary_op(BINARY_ADD, size, dw, size, partial[t], size, dw);
    free(partial[t]);
  }
}
