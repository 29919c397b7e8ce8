/*
 * 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2015): each 2x2 block of
 * outputs ("tile") is computed from its 4x4 input patch with 16 multiplications a channel pair instead of 36, the
 * 16 products of all tiles and channels being 16 independent matrix products (the GEMM of gemm.c):
 *
 *   forward:          Y_t = A^T [ U (.) V_t ] A,  U = G g G^T (filter),  V_t = B^T d_t B (input patch)
 *   input gradient:   the forward of dy with the filter turned 180 degrees and its channels swapped
 *   filter gradient:  dg = G^T [ sum_t (A dY_t A^T) (.) V_t ] G   (the forward's adjoint in g)
 *
 * Elementwise (.) over the 16 positions xi becomes, summed over channels, M[xi] = V[xi] x U[xi]: a [tiles x C] by
 * [C x O] product for each xi. Tiles are spread over the threads in chunks that keep each thread's V and M near its
 * cache; the filter gradient sums each thread's partial dU in a fixed order (same bits for a thread count).
 *
 * Transforms use only additions and halvings, so rounding stays close to the direct convolution's (the tests hold
 * it to the CPU backend's 1e-5). Whether a shape takes this path is `winograd_applies`, measured in
 * bench/winograd.mjs; ALEXNET_NATIVE_WINOGRAD=off (or winograd_set_mode) turns it off.
 */
#include <stdlib.h>
#include <string.h>

#include "native.h"

/* A correlation with a 3x3 filter, stride 1: `in` is read at rows 2 * ty - pad_top + 0..3 for output tile row ty. */
typedef struct {
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int pad_top, pad_left; /* may be negative (the input gradient of a convolution padded by more than 2) */
} wino_geom;

static long tiles_h(const wino_geom *g) { return (g->out_h + 1) / 2; }
static long tiles_w(const wino_geom *g) { return (g->out_w + 1) / 2; }
static long tiles_total(const wino_geom *g) { return (long)g->batch * tiles_h(g) * tiles_w(g); }

/* Eight floats, loaded and stored unaligned: the transforms' lanes (SSE pairs on the baseline build). */
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32), aligned(4)));

/* ---- transforms: the same arithmetic on 8 lanes at once and on one for the remainder ---- */

/* V = B^T d B for F(2, 3): d and v hold 16 values, row-major 4 x 4. */
#define INPUT_TRANSFORM(T, d, v)                                                                                   \
  do {                                                                                                             \
    T t_[16];                                                                                                      \
    for (int j_ = 0; j_ < 4; j_++) {                                                                               \
      t_[0 + j_] = d[0 + j_] - d[8 + j_];                                                                          \
      t_[4 + j_] = d[4 + j_] + d[8 + j_];                                                                          \
      t_[8 + j_] = d[8 + j_] - d[4 + j_];                                                                          \
      t_[12 + j_] = d[4 + j_] - d[12 + j_];                                                                        \
    }                                                                                                              \
    for (int i_ = 0; i_ < 4; i_++) {                                                                               \
      v[4 * i_ + 0] = t_[4 * i_ + 0] - t_[4 * i_ + 2];                                                             \
      v[4 * i_ + 1] = t_[4 * i_ + 1] + t_[4 * i_ + 2];                                                             \
      v[4 * i_ + 2] = t_[4 * i_ + 2] - t_[4 * i_ + 1];                                                             \
      v[4 * i_ + 3] = t_[4 * i_ + 1] - t_[4 * i_ + 3];                                                             \
    }                                                                                                              \
  } while (0)

/* Y = A^T m A: 16 values to a 2 x 2 block. */
#define OUTPUT_TRANSFORM(T, m, y)                                                                                  \
  do {                                                                                                             \
    T r_[8];                                                                                                       \
    for (int j_ = 0; j_ < 4; j_++) {                                                                               \
      r_[j_] = m[j_] + m[4 + j_] + m[8 + j_];                                                                      \
      r_[4 + j_] = m[4 + j_] - m[8 + j_] - m[12 + j_];                                                             \
    }                                                                                                              \
    for (int i_ = 0; i_ < 2; i_++) {                                                                               \
      y[2 * i_ + 0] = r_[4 * i_ + 0] + r_[4 * i_ + 1] + r_[4 * i_ + 2];                                            \
      y[2 * i_ + 1] = r_[4 * i_ + 1] - r_[4 * i_ + 2] - r_[4 * i_ + 3];                                            \
    }                                                                                                              \
  } while (0)

/* W = A y A^T: a 2 x 2 block of dy to 16 values (the output transform's adjoint). */
#define GRADIENT_TRANSFORM(T, y, w)                                                                                \
  do {                                                                                                             \
    T q_[8];                                                                                                       \
    for (int j_ = 0; j_ < 2; j_++) {                                                                               \
      q_[0 + j_] = y[j_];                                                                                          \
      q_[2 + j_] = y[j_] + y[2 + j_];                                                                              \
      q_[4 + j_] = y[j_] - y[2 + j_];                                                                              \
      q_[6 + j_] = -y[2 + j_];                                                                                     \
    }                                                                                                              \
    for (int i_ = 0; i_ < 4; i_++) {                                                                               \
      w[4 * i_ + 0] = q_[2 * i_];                                                                                  \
      w[4 * i_ + 1] = q_[2 * i_] + q_[2 * i_ + 1];                                                                 \
      w[4 * i_ + 2] = q_[2 * i_] - q_[2 * i_ + 1];                                                                 \
      w[4 * i_ + 3] = -q_[2 * i_ + 1];                                                                             \
    }                                                                                                              \
  } while (0)

/* U = G g G^T: a 3 x 3 filter to 16 values (h: 12 scratch values). */
#define FILTER_TRANSFORM(T, g, h, u)                                                                               \
  do {                                                                                                             \
    for (int j_ = 0; j_ < 3; j_++) {                                                                               \
      h[j_] = g[j_];                                                                                               \
      h[3 + j_] = 0.5f * (g[j_] + g[3 + j_] + g[6 + j_]);                                                          \
      h[6 + j_] = 0.5f * (g[j_] - g[3 + j_] + g[6 + j_]);                                                          \
      h[9 + j_] = g[6 + j_];                                                                                       \
    }                                                                                                              \
    for (int i_ = 0; i_ < 4; i_++) {                                                                               \
      u[4 * i_ + 0] = h[3 * i_];                                                                                   \
      u[4 * i_ + 1] = 0.5f * (h[3 * i_] + h[3 * i_ + 1] + h[3 * i_ + 2]);                                          \
      u[4 * i_ + 2] = 0.5f * (h[3 * i_] - h[3 * i_ + 1] + h[3 * i_ + 2]);                                          \
      u[4 * i_ + 3] = h[3 * i_ + 2];                                                                               \
    }                                                                                                              \
  } while (0)

/* dg = G^T du G: 16 values back to a 3 x 3 filter (the filter transform's adjoint). */
static void filter_transform_adjoint(const float du[16], float g[9]) {
  float h[12];
  for (int j = 0; j < 4; j++) {
    h[j] = du[j] + 0.5f * (du[4 + j] + du[8 + j]);
    h[4 + j] = 0.5f * (du[4 + j] - du[8 + j]);
    h[8 + j] = 0.5f * (du[4 + j] + du[8 + j]) + du[12 + j];
  }
  for (int i = 0; i < 3; i++) {
    g[3 * i + 0] = h[4 * i] + 0.5f * (h[4 * i + 1] + h[4 * i + 2]);
    g[3 * i + 1] = 0.5f * (h[4 * i + 1] - h[4 * i + 2]);
    g[3 * i + 2] = 0.5f * (h[4 * i + 1] + h[4 * i + 2]) + h[4 * i + 3];
  }
}

/* ---- tiles ---- */

static void tile_position(const wino_geom *g, long t, int *n, int *ty, int *tx) {
  long per_image = tiles_h(g) * tiles_w(g);
  *n = (int)(t / per_image);
  long r = t % per_image;
  *ty = (int)(r / tiles_w(g));
  *tx = (int)(r % tiles_w(g));
}

/* v[i][xi][c] = V of tile t0 + i (i < count). */
static void input_tiles(const wino_geom *g, const float *in, long t0, int count, float *v, const float *zeros) {
  const int C = g->in_c;
  const long stride = C;
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    const float *p[16];
    for (int a = 0; a < 4; a++) {
      int iy = 2 * ty - g->pad_top + a;
      for (int b = 0; b < 4; b++) {
        int ix = 2 * tx - g->pad_left + b;
        int inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
        p[4 * a + b] = inside ? in + (((long)n * g->in_h + iy) * g->in_w + ix) * C : zeros;
      }
    }
    float *out = v + (long)i * 16 * C;
    int c = 0;
    for (; c + 8 <= C; c += 8) {
      v8 d[16], r[16];
      for (int k = 0; k < 16; k++) d[k] = *(const v8 *)(p[k] + c);
      INPUT_TRANSFORM(v8, d, r);
      for (int k = 0; k < 16; k++) *(v8 *)(out + k * stride + c) = r[k];
    }
    for (; c < C; c++) {
      float d[16], r[16];
      for (int k = 0; k < 16; k++) d[k] = p[k][c];
      INPUT_TRANSFORM(float, d, r);
      for (int k = 0; k < 16; k++) out[k * stride + c] = r[k];
    }
  }
}

/* Writes the 2 x 2 outputs of tiles t0 .. t0 + count from m[i][xi][o], with bias and ReLU. */
static void output_tiles(const wino_geom *g, const float *m, long t0, int count, const float *bias, int relu,
                         float *out) {
  const int O = g->out_c;
  const long stride = O;
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    float *dst[4];
    int rows = 2 * ty + 1 < g->out_h ? 2 : 1, cols = 2 * tx + 1 < g->out_w ? 2 : 1;
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++)
        dst[2 * a + b] = a < rows && b < cols ? out + (((long)n * g->out_h + 2 * ty + a) * g->out_w + 2 * tx + b) * O
                                              : NULL;
    const float *src = m + (long)i * 16 * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 s[16], y[4];
      for (int k = 0; k < 16; k++) s[k] = *(const v8 *)(src + k * stride + o);
      OUTPUT_TRANSFORM(v8, s, y);
      v8 b8 = bias ? *(const v8 *)(bias + o) : (v8){0};
      for (int k = 0; k < 4; k++) {
        if (!dst[k]) continue;
        v8 value = y[k] + b8;
        /* Negative lanes to 0, NaN kept (as the direct path's `x < 0 ? 0 : x`). */
        if (relu) value = (v8)((v8i)value & ~(value < (v8){0}));
        *(v8 *)(dst[k] + o) = value;
      }
    }
    for (; o < O; o++) {
      float s[16], y[4];
      for (int k = 0; k < 16; k++) s[k] = src[k * stride + o];
      OUTPUT_TRANSFORM(float, s, y);
      for (int k = 0; k < 4; k++) {
        if (!dst[k]) continue;
        float value = y[k] + (bias ? bias[o] : 0.f);
        dst[k][o] = relu && value < 0.f ? 0.f : value;
      }
    }
  }
}

/* w[i][xi][o] = A dY A^T of tiles t0 .. t0 + count of dy (the forward's output grid), zero past its edges. */
static void gradient_tiles(const wino_geom *g, const float *dy, long t0, int count, float *w, const float *zeros) {
  const int O = g->out_c;
  const long stride = O;
  for (int i = 0; i < count; i++) {
    int n, ty, tx;
    tile_position(g, t0 + i, &n, &ty, &tx);
    const float *p[4];
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++) {
        int oy = 2 * ty + a, ox = 2 * tx + b;
        p[2 * a + b] = oy < g->out_h && ox < g->out_w ? dy + (((long)n * g->out_h + oy) * g->out_w + ox) * O : zeros;
      }
    float *dst = w + (long)i * 16 * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 y[4], r[16];
      for (int k = 0; k < 4; k++) y[k] = *(const v8 *)(p[k] + o);
      GRADIENT_TRANSFORM(v8, y, r);
      for (int k = 0; k < 16; k++) *(v8 *)(dst + k * stride + o) = r[k];
    }
    for (; o < O; o++) {
      float y[4], r[16];
      for (int k = 0; k < 4; k++) y[k] = p[k][o];
      GRADIENT_TRANSFORM(float, y, r);
      for (int k = 0; k < 16; k++) dst[k * stride + o] = r[k];
    }
  }
}

/* Scratch for one thread's chunk, kept between calls (fresh pages cost more than the transforms). */
static __thread float *scratch_v, *scratch_m, *scratch_du;
static __thread long scratch_v_floats, scratch_m_floats, scratch_du_floats;

static float *scratch(float **buffer, long *floats, long wanted) {
  if (*floats < wanted) {
    free(*buffer);
    *buffer = aligned_alloc(64, sizeof(float) * ((wanted + 15) / 16 * 16));
    *floats = wanted;
  }
  return *buffer;
}

/* Tiles a chunk: about 1 MiB of one position's V (or M), so the products are long (fewer re-packed filter panels)
 * while a thread's scratch stays at 16 MiB or so; 2^16 floats was 10-20% slower on V2's layers, 2^18 the best. */
static int chunk_tiles(int channels) {
  int count = (1 << 18) / (channels < 1 ? 1 : channels);
  return count < 48 ? 48 : count;
}

/* ---- forward (also the input gradient) ---- */

typedef struct {
  const wino_geom *g;
  const float *in, *u, *bias;
  float *out;
  int relu;
} forward_job;

static void forward_share(void *ctx, int thread, int threads) {
  const forward_job *job = ctx;
  const wino_geom *g = job->g;
  const long total = tiles_total(g);
  const long begin = total * thread / threads, end = total * (thread + 1) / threads;
  if (begin >= end) return;
  const int C = g->in_c, O = g->out_c;
  const int most = chunk_tiles(C > O ? C : O);
  const int chunk = end - begin < most ? (int)(end - begin) : most;
  float *v = scratch(&scratch_v, &scratch_v_floats, 16L * chunk * C);
  float *m = scratch(&scratch_m, &scratch_m_floats, 16L * chunk * O);
  float *zeros = calloc(C, sizeof(float));
  for (long t0 = begin; t0 < end; t0 += chunk) {
    int count = end - t0 < chunk ? (int)(end - t0) : chunk;
    input_tiles(g, job->in, t0, count, v, zeros);
    for (int xi = 0; xi < 16; xi++) {
      gemm_args p = {v + (long)xi * C, 16L * C, 1, job->u + (long)xi * C * O, O, 1, m + (long)xi * O, 16L * O,
                     count, O, C, 0};
      gemm_single(&p);
    }
    output_tiles(g, m, t0, count, job->bias, job->relu, job->out);
  }
  free(zeros);
}

/* The filters' transforms, kept between calls like the chunks' scratch (the addon is only called from one thread). */
static float *filter_u, *filter_flipped;
static long filter_u_floats, filter_flipped_floats;

typedef struct {
  const float *w; /* HWIO: [9][C][O] */
  int C, O;
  float *u; /* [16][C][O] */
} filter_job;

/* Rows [begin, end) of C: U = G g G^T for every (c, o), 8 outputs at a time. */
static void filter_rows(void *ctx, long begin, long end) {
  const filter_job *job = ctx;
  const int C = job->C, O = job->O;
  const long plane = (long)C * O;
  for (long c = begin; c < end; c++) {
    const float *row = job->w + c * O;
    float *dst = job->u + c * O;
    int o = 0;
    for (; o + 8 <= O; o += 8) {
      v8 g[9], h[12], u[16];
      for (int k = 0; k < 9; k++) g[k] = *(const v8 *)(row + k * plane + o);
      FILTER_TRANSFORM(v8, g, h, u);
      for (int xi = 0; xi < 16; xi++) *(v8 *)(dst + xi * plane + o) = u[xi];
    }
    for (; o < O; o++) {
      float g[9], h[12], u[16];
      for (int k = 0; k < 9; k++) g[k] = row[k * plane + o];
      FILTER_TRANSFORM(float, g, h, u);
      for (int xi = 0; xi < 16; xi++) dst[xi * plane + o] = u[xi];
    }
  }
}

/* u[xi][c][o] from an HWIO 3 x 3 filter [3][3][C][O]. */
static float *transform_filter(const float *w, int C, int O) {
  float *u = scratch(&filter_u, &filter_u_floats, 16L * C * O);
  filter_job job = {w, C, O, u};
  parallel_range(C, 8, filter_rows, &job);
  return u;
}

typedef struct {
  const float *w;
  int C, O;
  float *out;
} flip_job;

/* Taps [begin, end): out(kh, kw, o, c) = w(2 - kh, 2 - kw, c, o), in 32 x 32 blocks (a transpose). */
static void flip_taps(void *ctx, long begin, long end) {
  const flip_job *job = ctx;
  const int C = job->C, O = job->O;
  const long plane = (long)C * O;
  for (long k = begin; k < end; k++) {
    const float *src = job->w + (8 - k) * plane;
    float *dst = job->out + k * plane;
    for (int c0 = 0; c0 < C; c0 += 32)
      for (int o0 = 0; o0 < O; o0 += 32)
        for (int c = c0; c < C && c < c0 + 32; c++)
          for (int o = o0; o < O && o < o0 + 32; o++) dst[(long)o * C + c] = src[(long)c * O + o];
  }
}

static void run_forward(const wino_geom *g, const float *in, const float *u, const float *bias, int relu, float *out) {
  forward_job job = {g, in, u, bias, out, relu};
  long tiles = tiles_total(g);
  int threads = threads_count();
  /* A thread gets at least a few dozen tiles, so tiny images do not pay for waking threads. */
  if (threads > tiles / 32) threads = (int)(tiles / 32) < 1 ? 1 : (int)(tiles / 32);
  if (threads <= 1)
    forward_share(&job, 0, 1);
  else
    threads_run(forward_share, &job, threads);
}

static wino_geom forward_geom(const conv_shape *s) {
  wino_geom g = {s->batch, s->in_h, s->in_w, s->in_c, s->out_h, s->out_w, s->out_c, s->pad_top, s->pad_left};
  return g;
}

void winograd_forward(const conv_shape *s, const float *x, const float *w, const float *bias, int relu, float *y) {
  const long O = s->out_c, C = s->in_c;
  float *u = transform_filter(w, (int)C, (int)O);
  wino_geom g = forward_geom(s);
  run_forward(&g, x, u, bias, relu, y);
}

void winograd_backprop_input(const conv_shape *s, const float *dy, const float *w, float *dx) {
  const long O = s->out_c, C = s->in_c;
  /* The forward of dy with g'(kh, kw, o, c) = g(2 - kh, 2 - kw, c, o). */
  float *flipped = scratch(&filter_flipped, &filter_flipped_floats, 9 * C * O);
  flip_job flip = {w, (int)C, (int)O, flipped};
  parallel_range(9, 1, flip_taps, &flip);
  float *u = transform_filter(flipped, (int)O, (int)C);
  wino_geom g = {s->batch, s->out_h, s->out_w, s->out_c, s->in_h, s->in_w, s->in_c, 2 - s->pad_top, 2 - s->pad_left};
  run_forward(&g, dy, u, NULL, 0, dx);
}

/* ---- filter gradient ---- */

typedef struct {
  const wino_geom *g;
  const float *x, *dy;
  float **partial; /* [threads] dU accumulators, 16 x C x O each */
} gradient_job;

static void gradient_share(void *ctx, int thread, int threads) {
  const gradient_job *job = ctx;
  const wino_geom *g = job->g;
  const long total = tiles_total(g);
  const long begin = total * thread / threads, end = total * (thread + 1) / threads;
  const int C = g->in_c, O = g->out_c;
  float *du = job->partial[thread] = scratch(&scratch_du, &scratch_du_floats, 16L * C * O);
  memset(du, 0, sizeof(float) * 16 * (long)C * O);
  if (begin >= end) return;
  const int most = chunk_tiles(C > O ? C : O);
  const int chunk = end - begin < most ? (int)(end - begin) : most;
  float *v = scratch(&scratch_v, &scratch_v_floats, 16L * chunk * C);
  float *w = scratch(&scratch_m, &scratch_m_floats, 16L * chunk * O);
  float *zeros = calloc(C > O ? C : O, sizeof(float));
  for (long t0 = begin; t0 < end; t0 += chunk) {
    int count = end - t0 < chunk ? (int)(end - t0) : chunk;
    input_tiles(g, job->x, t0, count, v, zeros);
    gradient_tiles(g, job->dy, t0, count, w, zeros);
    for (int xi = 0; xi < 16; xi++) {
      /* dU[xi] (C x O) += V[xi]^T (C x count) W[xi] (count x O) */
      gemm_args p = {v + (long)xi * C, 1, 16L * C, w + (long)xi * O, 16L * O, 1, du + (long)xi * C * O, O, C, O,
                     count, 1};
      gemm_single(&p);
    }
  }
  free(zeros);
}

void winograd_backprop_filter(const conv_shape *s, const float *x, const float *dy, float *dw) {
  wino_geom g = forward_geom(s);
  const int C = s->in_c, O = s->out_c;
  const long size = 16 * (long)C * O;
  long tiles = tiles_total(&g);
  int threads = threads_count();
  if (threads > tiles / 32) threads = (int)(tiles / 32) < 1 ? 1 : (int)(tiles / 32);
  if (threads > 256) threads = 256;
  float *partial[256];
  gradient_job job = {&g, x, dy, partial};
  if (threads <= 1)
    gradient_share(&job, 0, 1);
  else
    threads_run(gradient_share, &job, threads);
  /* Fixed order, so the sum's rounding does not depend on which thread finished first. */
  for (int t = 1; t < threads; t++) {
    for (long i = 0; i < size; i++) partial[0][i] += partial[t][i];
  }
  for (int c = 0; c < C; c++)
    for (int o = 0; o < O; o++) {
      float du[16], g9[9];
      for (int xi = 0; xi < 16; xi++) du[xi] = partial[0][((long)xi * C + c) * O + o];
      filter_transform_adjoint(du, g9);
      for (int k = 0; k < 9; k++) dw[((long)k * C + c) * O + o] = g9[k];
    }
}

/* ---- the choice ---- */

static int mode = -1; /* WINOGRAD_OFF, WINOGRAD_AUTO, WINOGRAD_ALWAYS; -1 until read from the environment */

int winograd_mode(void) {
  if (mode < 0) {
    const char *env = getenv("ALEXNET_NATIVE_WINOGRAD");
    mode = env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0) ? WINOGRAD_OFF
           : env && strcmp(env, "always") == 0                      ? WINOGRAD_ALWAYS
                                                                    : WINOGRAD_AUTO;
  }
  return mode;
}

void winograd_set_mode(int m) { mode = m; }

int winograd_applies(const conv_shape *s) {
  int m = winograd_mode();
  if (m == WINOGRAD_OFF) return 0;
  if (s->k_h != 3 || s->k_w != 3 || s->stride_h != 1 || s->stride_w != 1 || s->dil_h != 1 || s->dil_w != 1) return 0;
  if (s->out_h < 1 || s->out_w < 1 || s->in_c < 1 || s->out_c < 1) return 0;
  if (m == WINOGRAD_ALWAYS) return 1;
  /* The measured rule (bench/winograd.mjs, batch 32 and 128, AVX-512 and AVX2): the transforms move 4x the input and
   * output and the 16 products are only C deep, which pays once the channels give each product enough work (at
   * 192 -> 128 it gains 5-28%, at 128 -> 128 it loses up to 14%). */
  const long pairs = (long)s->in_c * s->out_c;
  return s->in_c >= WINOGRAD_MIN_CHANNELS && s->out_c >= WINOGRAD_MIN_CHANNELS && pairs >= WINOGRAD_MIN_PAIRS;
}
