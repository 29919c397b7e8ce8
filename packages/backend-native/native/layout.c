/* Sums over leading axes and transposes: data movement, split over the threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "native.h"

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
