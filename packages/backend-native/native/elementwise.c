/*
 * Element-wise kernels: ReLU, Step, add / subtract / multiply, and the SGD update. Memory-bound; split into contiguous
 * ranges over the threads, with loops the compiler vectorises.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* ---- ReLU ---- */

typedef struct {
  const float *a, *b;
  float *out;
} pair_job;

/* The job's pointers are copied into restrict locals: read through `job`, every store to out[i] could (for the
 * compiler) change them, so it would reload them each element and not vectorise the loop. */
static void relu_range(void *ctx, long begin, long end) {
  const pair_job *job = ctx;
  const float *restrict x = job->a;
  float *restrict y = job->out;
  for (long i = begin; i < end; i++) y[i] = x[i] < 0.f ? 0.f : x[i];
}

static void relu_grad_range(void *ctx, long begin, long end) {
  const pair_job *job = ctx;
  const float *restrict x = job->a, *restrict dy = job->b;
  float *restrict dx = job->out;
  /* dy is read for every element, so the select is a vector blend: read only where x > 0 (as `x > 0 ? dy : 0` reads),
   * the compiler may not load it ahead of the test, and the loop stays scalar with a branch per element. */
  for (long i = begin; i < end; i++) {
    float g = dy[i];
    dx[i] = x[i] > 0.f ? g : 0.f;
  }
}

typedef struct {
  const float *x;
  float alpha;
  float *out;
} step_job;

static void step_range(void *ctx, long begin, long end) {
  const step_job *j = ctx;
  const float *restrict x = j->x;
  float *restrict out = j->out;
  const float alpha = j->alpha;
  for (long i = begin; i < end; i++) {
    float v = x[i];
    out[i] = v != v ? v : v > 0.f ? 1.f : alpha;
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
