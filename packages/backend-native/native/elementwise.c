/*
 * Element-wise kernels: ReLU, Step, add / subtract / multiply / greater-or-equal, and the SGD update. Memory-bound; split into contiguous
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


/* ---- element-wise add, subtract, multiply and >=, where an operand may repeat along the output ---- */

/* Operand x's element for output index i is x[(i / inner) % n]: inner 1 repeats x as a whole (a scalar, a bias row),
 * inner > 1 repeats each element inner times (a column, [M, 1] against [M, N]). */
typedef struct {
  const float *values;
  long n, inner;
} operand;

typedef struct {
  int op;
  operand a, b;
  void *out;
} binary_job;

/* From output index i, how many following indices read x contiguously (stride 1) or one value (stride 0). */
static long operand_run(const operand *x, long i, long *index, int *stride) {
  *index = (i / x->inner) % x->n;
  if (x->n == 1) {
    *stride = 0;
    return 1L << 62;
  }
  if (x->inner == 1) {
    *stride = 1;
    return x->n - *index;
  }
  *stride = 0;
  return x->inner - i % x->inner;
}

/* One run: each (stride a, stride b) pair its own loop, so that each is a plain loop the compiler vectorises. */
#define BINARY_RUN(T, EXPR)                                                                                           \
  do {                                                                                                                \
    T *o = (T *)out;                                                                                                  \
    if (sa && sb)                                                                                                     \
      for (long k = 0; k < len; k++) {                                                                                \
        float x = pa[k], y = pb[k];                                                                                   \
        o[k] = EXPR;                                                                                                  \
      }                                                                                                               \
    else if (sa) {                                                                                                    \
      const float y = pb[0];                                                                                          \
      for (long k = 0; k < len; k++) {                                                                                \
        float x = pa[k];                                                                                              \
        o[k] = EXPR;                                                                                                  \
      }                                                                                                               \
    } else if (sb) {                                                                                                  \
      const float x = pa[0];                                                                                          \
      for (long k = 0; k < len; k++) {                                                                                \
        float y = pb[k];                                                                                              \
        o[k] = EXPR;                                                                                                  \
      }                                                                                                               \
    } else {                                                                                                          \
      const float x = pa[0], y = pb[0];                                                                               \
      const T v = EXPR;                                                                                               \
      for (long k = 0; k < len; k++) o[k] = v;                                                                        \
    }                                                                                                                 \
  } while (0)

/* Not restrict: out may be a or b (an in-place sum); GCC checks the overlap at run time and still vectorises. */
static void binary_run(int op, const float *pa, int sa, const float *pb, int sb, void *out,
                       long len) {
  switch (op) {
  case BINARY_ADD: BINARY_RUN(float, x + y); break;
  case BINARY_SUB: BINARY_RUN(float, x - y); break;
  case BINARY_MUL: BINARY_RUN(float, x * y); break;
  default: BINARY_RUN(unsigned char, x >= y); break; /* NaN compares false, as TF.js's CPU kernel */
  }
}

static void binary_range(void *ctx, long begin, long end) {
  const binary_job *j = ctx;
  const size_t width = j->op == BINARY_GREATER_EQUAL ? 1 : sizeof(float);
  for (long i = begin; i < end;) {
    long ia, ib, len = end - i;
    int sa, sb;
    long run_a = operand_run(&j->a, i, &ia, &sa), run_b = operand_run(&j->b, i, &ib, &sb);
    if (run_a < len) len = run_a;
    if (run_b < len) len = run_b;
    binary_run(j->op, j->a.values + ia, sa, j->b.values + ib, sb, (char *)j->out + i * width, len);
    i += len;
  }
}

void binary_op_repeat(int op, long n, const float *a, long na, long inner_a, const float *b, long nb, long inner_b,
                      void *out) {
  binary_job job = {op, {a, na, inner_a}, {b, nb, inner_b}, out};
  parallel_range(n, 1 << 16, binary_range, &job);
}

void binary_op(int op, long n, const float *a, long na, const float *b, long nb, float *out) {
  binary_op_repeat(op, n, a, na, 1, b, nb, 1, out);
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
