/*
 * The matrix product every heavy kernel reduces to, in three builds of one source (gemm_kernel.inc): AVX-512,
 * AVX2 + FMA and a portable SSE fallback, chosen once at run time from the CPU's features (ALEXNET_NATIVE_ISA or
 * gemm_set_isa overrides the choice, for tests and benchmarks).
 */
#include <stdlib.h>
#include <string.h>

#include "native.h"

#ifndef ALEXNET_TEST_WIDE_PORTABLE
#pragma GCC push_options
#pragma GCC target("avx512f")
#define VW 16
#define MR 12
#define SUFFIX avx512
#include "gemm_kernel.inc"
#undef VW
#undef MR
#undef SUFFIX
#pragma GCC pop_options
#else
/* Test build: the AVX-512 tiling (16-float vectors, 12 x 32 tiles) compiled for any CPU, so that machines without
 * AVX-512 can check its logic. */
#define VW 16
#define MR 12
#define SUFFIX avx512
#include "gemm_kernel.inc"
#undef VW
#undef MR
#undef SUFFIX
#endif

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define VW 8
#define MR 6
#define SUFFIX avx2
#include "gemm_kernel.inc"
#undef VW
#undef MR
#undef SUFFIX
#pragma GCC pop_options

#define VW 4
#define MR 6
#define SUFFIX sse
#include "gemm_kernel.inc"
#undef VW
#undef MR
#undef SUFFIX

typedef void (*gemm_impl)(const gemm_args *, float *, float *);

static const struct {
  const char *name;
  gemm_impl fn;
  int mr, nr;
} ISAS[] = {
    {"avx512", gemm_avx512, 12, 32},
    {"avx2", gemm_avx2, 6, 16},
    {"sse", gemm_sse, 6, 8},
};

static int chosen = -1;

static int supported(int i) {
#ifdef ALEXNET_TEST_WIDE_PORTABLE
  return 1;
#else
  __builtin_cpu_init();
  if (i == 0) return __builtin_cpu_supports("avx512f");
  if (i == 1) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return 1;
#endif
}

static int isa(void) {
  if (chosen >= 0) return chosen;
  const char *env = getenv("ALEXNET_NATIVE_ISA");
  if (env && gemm_set_isa(env)) return chosen;
  for (int i = 0; i < 3; i++)
    if (supported(i)) return chosen = i;
  return chosen = 2;
}

const char *gemm_isa(void) { return ISAS[isa()].name; }

/* ISAS is in ISA_AVX512, ISA_AVX2, ISA_SSE order, so its index is the enum. */
int native_isa(void) { return isa(); }

int gemm_set_isa(const char *name) {
  for (int i = 0; i < 3; i++)
    if (strcmp(name, ISAS[i].name) == 0 && supported(i)) {
      chosen = i;
      return 1;
    }
  return 0;
}

/* Packing buffers, one pair per thread, grown on demand and kept. */
static __thread float *pack_a, *pack_b;

void gemm_single(const gemm_args *g) {
  if (g->m <= 0 || g->n <= 0) return;
  if (g->k <= 0) {
    if (!g->accumulate)
      for (int i = 0; i < g->m; i++) memset(g->c + (long)i * g->ldc, 0, sizeof(float) * g->n);
    return;
  }
  if (!pack_a) {
    pack_a = aligned_alloc(64, sizeof(float) * (MC_BLOCK + 32) * KC_BLOCK);
    pack_b = aligned_alloc(64, sizeof(float) * KC_BLOCK * (NC_BLOCK + 32));
  }
  ISAS[isa()].fn(g, pack_a, pack_b);
}

typedef struct {
  const gemm_args *g;
  int split_rows; /* split m (else n) */
  int unit;       /* shares are multiples of this (the micro-tile side) */
} split_job;

static void gemm_share(void *ctx, int t, int threads) {
  const split_job *job = ctx;
  gemm_args part = *job->g;
  int total = job->split_rows ? part.m : part.n;
  int units = (total + job->unit - 1) / job->unit;
  int begin = (int)((long)units * t / threads) * job->unit;
  int end = (int)((long)units * (t + 1) / threads) * job->unit;
  if (end > total) end = total;
  if (begin >= end) return;
  if (job->split_rows) {
    part.a += (long)begin * part.ars;
    part.c += (long)begin * part.ldc;
    part.m = end - begin;
  } else {
    part.b += (long)begin * part.bcs;
    part.c += begin;
    part.n = end - begin;
  }
  gemm_single(&part);
}

void gemm_parallel(const gemm_args *g, int threads) {
  int i = isa();
  split_job job = {g, g->m >= g->n, g->m >= g->n ? ISAS[i].mr : ISAS[i].nr};
  int units = ((job.split_rows ? g->m : g->n) + job.unit - 1) / job.unit;
  if (threads > units) threads = units;
  if (threads <= 1) {
    gemm_single(g);
    return;
  }
  threads_run(gemm_share, &job, threads);
}
