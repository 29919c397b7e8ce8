/*
 * Max pooling, local response normalisation, ReLU and the SGD update: memory-bound kernels, split into contiguous
 * ranges over the threads. The loops over channels are innermost and unit-stride so the compiler vectorises them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

typedef void (*range_fn)(void *ctx, long begin, long end);
typedef struct {
  range_fn fn;
  void *ctx;
  long n;
} range_job;

static void range_share(void *ctx, int t, int threads) {
  range_job *job = ctx;
  long begin = job->n * t / threads, end = job->n * (t + 1) / threads;
  if (begin < end) job->fn(job->ctx, begin, end);
}

/* Splits [0, n) over the threads when there is enough work (`min_per_thread` items a thread) to pay for waking them. */
static void parallel_range(long n, long min_per_thread, range_fn fn, void *ctx) {
  int threads = threads_count();
  if (n / min_per_thread < threads) threads = (int)(n / min_per_thread);
  if (threads <= 1) {
    fn(ctx, 0, n);
    return;
  }
  range_job job = {fn, ctx, n};
  threads_run(range_share, &job, threads);
}

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

/* ---- ReLU ---- */

typedef struct {
  const float *a, *b;
  float *out;
} pair_job;

static void relu_range(void *ctx, long begin, long end) {
  const pair_job *job = ctx;
  for (long i = begin; i < end; i++) job->out[i] = job->a[i] < 0.f ? 0.f : job->a[i];
}

static void relu_grad_range(void *ctx, long begin, long end) {
  const pair_job *job = ctx;
  for (long i = begin; i < end; i++) job->out[i] = job->a[i] > 0.f ? job->b[i] : 0.f;
}

typedef struct {
  const float *x;
  float alpha;
  float *out;
} step_job;

static void step_range(void *ctx, long begin, long end) {
  const step_job *j = ctx;
  for (long i = begin; i < end; i++) {
    float v = j->x[i];
    j->out[i] = v != v ? v : v > 0.f ? 1.f : j->alpha;
  }
}

void step_forward(long n, const float *x, float alpha, float *out) {
  step_job job = {x, alpha, out};
  parallel_range(n, 1 << 16, step_range, &job);
}

void relu_forward(long n, const float *x, float *y) {
  pair_job job = {x, NULL, y};
  parallel_range(n, 1 << 16, relu_range, &job);
}

void relu_backward(long n, const float *y, const float *dy, float *dx) {
  pair_job job = {y, dy, dx};
  parallel_range(n, 1 << 16, relu_grad_range, &job);
}

/* ---- SGD: one pass over parameter, gradient and momentum buffer ---- */

typedef struct {
  float *param, *buf;
  const float *grad;
  float lr, momentum, dampening, weight_decay;
  int nesterov, first;
} sgd_job;

static void sgd_range(void *ctx, long begin, long end) {
  const sgd_job *j = ctx;
  float *restrict p = j->param, *restrict buf = j->buf;
  const float *restrict grad = j->grad;
  const float lr = j->lr, mom = j->momentum, keep = 1.f - j->dampening, wd = j->weight_decay;
  if (mom == 0.f) {
    for (long i = begin; i < end; i++) p[i] -= lr * (grad[i] + wd * p[i]);
    return;
  }
  if (j->first) {
    for (long i = begin; i < end; i++) {
      float g = grad[i] + wd * p[i];
      buf[i] = g;
      p[i] -= lr * (j->nesterov ? g + mom * g : g);
    }
    return;
  }
  if (j->nesterov) {
    for (long i = begin; i < end; i++) {
      float g = grad[i] + wd * p[i];
      float b = mom * buf[i] + keep * g;
      buf[i] = b;
      p[i] -= lr * (g + mom * b);
    }
  } else {
    for (long i = begin; i < end; i++) {
      float g = grad[i] + wd * p[i];
      float b = mom * buf[i] + keep * g;
      buf[i] = b;
      p[i] -= lr * b;
    }
  }
}

void sgd_update(long n, float *param, const float *grad, float *buf, float lr, float momentum, float dampening,
                float weight_decay, int nesterov, int first) {
  sgd_job job = {param, buf, grad, lr, momentum, dampening, weight_decay, nesterov, first};
  parallel_range(n, 1 << 16, sgd_range, &job);
}

/* ---- sums over the leading axes (bias gradients): out[j] = sum over rows of x[row][j], in float64 ---- */

typedef struct {
  long rows;
  int cols;
  const float *x;
  double *partial; /* threads x cols */
} column_sum_job;

static void column_sum_share(void *ctx, int t, int threads) {
  const column_sum_job *job = ctx;
  long begin = job->rows * t / threads, end = job->rows * (t + 1) / threads;
  double *acc = job->partial + (long)t * job->cols;
  for (int j = 0; j < job->cols; j++) acc[j] = 0;
  for (long r = begin; r < end; r++) {
    const float *row = job->x + r * job->cols;
    for (int j = 0; j < job->cols; j++) acc[j] += row[j];
  }
}

void column_sum(long rows, int cols, const float *x, float *out) {
  int threads = threads_count();
  if (rows < 4096L * threads) threads = 1;
  double *partial = malloc(sizeof(double) * cols * threads);
  column_sum_job job = {rows, cols, x, partial};
  threads_run(column_sum_share, &job, threads);
  /* Partial sums added in thread order: the same bits on every run with the same thread count. */
  for (int j = 0; j < cols; j++) {
    double total = 0;
    for (int t = 0; t < threads; t++) total += partial[(long)t * cols + j];
    out[j] = (float)total;
  }
  free(partial);
}

/* ---- transpose of a float32 tensor of rank <= 6: out[permuted index] = x[index] ---- */

typedef struct {
  int rank;
  long out_shape[6], in_stride[6]; /* input stride of each output axis */
  const float *x;
  float *out;
} transpose_job;

/* Output rows (all axes but the last) are the work items; the last output axis is the innermost loop. */
static void transpose_rows(void *ctx, long begin, long end) {
  const transpose_job *j = ctx;
  const int last = j->rank - 1;
  const long width = j->out_shape[last], step = j->in_stride[last];
  for (long r = begin; r < end; r++) {
    long rest = r, offset = 0;
    for (int a = last - 1; a >= 0; a--) {
      offset += (rest % j->out_shape[a]) * j->in_stride[a];
      rest /= j->out_shape[a];
    }
    float *dst = j->out + r * width;
    const float *src = j->x + offset;
    for (long i = 0; i < width; i++) dst[i] = src[i * step];
  }
}

int transpose(int rank, const long *shape, const int *perm, const float *x, float *out) {
  if (rank < 1 || rank > 6) return 0;
  transpose_job job = {.rank = rank, .x = x, .out = out};
  long stride[6], rows = 1;
  stride[rank - 1] = 1;
  for (int a = rank - 2; a >= 0; a--) stride[a] = stride[a + 1] * shape[a + 1];
  for (int a = 0; a < rank; a++) {
    job.out_shape[a] = shape[perm[a]];
    job.in_stride[a] = stride[perm[a]];
    if (a < rank - 1) rows *= job.out_shape[a];
  }
  if (job.out_shape[rank - 1] == 0) return 1;
  parallel_range(rows, 1024, transpose_rows, &job);
  return 1;
}

/* ---- element-wise add, subtract, multiply; an operand shorter than the output repeats (scalar, bias row) ---- */

typedef struct {
  int op;
  const float *a, *b;
  long na, nb;
  float *out;
} binary_job;

static void binary_range(void *ctx, long begin, long end) {
  const binary_job *j = ctx;
  const float *a = j->a, *b = j->b;
  float *out = j->out;
  if (j->na == j->nb) {
    /* The common case (same shapes) as plain loops the compiler vectorises. */
    if (j->op == 0)
      for (long i = begin; i < end; i++) out[i] = a[i] + b[i];
    else if (j->op == 1)
      for (long i = begin; i < end; i++) out[i] = a[i] - b[i];
    else
      for (long i = begin; i < end; i++) out[i] = a[i] * b[i];
    return;
  }
  long ia = begin % j->na, ib = begin % j->nb;
  for (long i = begin; i < end; i++) {
    float x = a[ia], y = b[ib];
    out[i] = j->op == 0 ? x + y : j->op == 1 ? x - y : x * y;
    if (++ia == j->na) ia = 0;
    if (++ib == j->nb) ib = 0;
  }
}

void binary_op(int op, long n, const float *a, long na, const float *b, long nb, float *out) {
  binary_job job = {op, a, b, na, nb, out};
  parallel_range(n, 1 << 16, binary_range, &job);
}
