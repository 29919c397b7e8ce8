/*
 * The matrix product every heavy kernel reduces to, in three builds of one source (gemm_kernel.inc): AVX-512,
 * AVX2 + FMA and a portable SSE fallback, chosen once at run time from the CPU's features (the widest, but AVX2 on
 * AMD Zen 4; ALEXNET_NATIVE_ISA or gemm_set_isa overrides the choice, for tests and benchmarks).
 */
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

typedef void (*gemm_impl)(const gemm_args *, const gemm_blocks *, float *, float *);

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

/*
 * Whether this is an AMD Zen 4 core (family 0x19 with AVX-512), which runs each 512-bit instruction as two halves on
 * its 256-bit units. AVX-512 gives it no more FMAs a cycle (measureNativePeak: 117 GFLOP/s a core either way), and
 * the AVX2 build's narrower tiles measured faster there: `pnpm bench:train --engines native,native:avx512 --rounds 3`
 * (V1 and V2 at batch 32 and 128, medians of paired rounds) trained 1.02-1.12x as fast with AVX2 and inferred
 * 0.95-1.09x as fast (V2 at batch 32 the one slower case); the products AlexNet reduces to ran 1-23% faster on one
 * thread (bench/gemm-blocks.mjs).
 */
static int double_pumped_avx512(void) {
#ifdef ALEXNET_TEST_WIDE_PORTABLE
  return 0;
#else
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return 0;
  /* "AuthenticAMD" in ebx, edx, ecx. */
  if (ebx != 0x68747541 || edx != 0x69746e65 || ecx != 0x444d4163) return 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  unsigned int family = (eax >> 8) & 0xf;
  if (family == 0xf) family += (eax >> 20) & 0xff;
  return family == 0x19;
#endif
}

/* The widest instruction set the CPU has, except AVX2 on Zen 4; ALEXNET_NATIVE_ISA or gemm_set_isa decides instead. */
static int isa(void) {
  if (chosen >= 0) return chosen;
  const char *env = getenv("ALEXNET_NATIVE_ISA");
  if (env && gemm_set_isa(env)) return chosen;
  for (int i = 0; i < 3; i++) {
    if (!supported(i)) continue;
    if (i == 0 && supported(1) && double_pumped_avx512()) continue;
    return chosen = i;
  }
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

/* ---- Cache blocking ---- */

/* cpu0's sysfs file `name` of cache `index` (index0, index1, ...), or NULL. */
static FILE *sysfs_cache_file(int index, const char *name) {
  char path[96];
  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, name);
  return fopen(path, "r");
}

/* One number from a sysfs cache file ("32K", "1024K", "2"), in bytes where it has a K or M suffix; -1 if unreadable. */
static long sysfs_number(int index, const char *name) {
  FILE *f = sysfs_cache_file(index, name);
  if (!f) return -1;
  long value = -1;
  char unit = 0;
  int read = fscanf(f, "%ld%c", &value, &unit);
  fclose(f);
  if (read < 1) return -1;
  return value * (unit == 'K' ? 1024 : unit == 'M' ? 1 << 20 : 1);
}

/* The sysfs index of cpu0's data (or unified) cache at `level`, or -1. */
static int data_cache_index(int level) {
  for (int index = 0; index < 8; index++) {
    if (sysfs_number(index, "level") != level) continue;
    char type[32] = "";
    FILE *f = sysfs_cache_file(index, "type");
    if (f) {
      if (fscanf(f, "%31s", type) != 1) type[0] = 0;
      fclose(f);
    }
    if (strcmp(type, "Instruction") != 0) return index;
  }
  return -1;
}

/* A data (or unified) cache's size in bytes: sysconf's (glibc reads CPUID), else sysfs's, else 0. */
static long cache_size(int level, int sysconf_name) {
  long size = sysconf(sysconf_name);
  if (size > 0) return size;
  int index = data_cache_index(level);
  long bytes = index < 0 ? -1 : sysfs_number(index, "size");
  return bytes > 0 ? bytes : 0;
}

/* The CPUs sharing cpu0's L3, from sysfs's shared_cpu_list ("0-7,16-23"); 0 if unreadable. */
static long l3_sharing_cpus(void) {
  int index = data_cache_index(3);
  FILE *f = index < 0 ? NULL : sysfs_cache_file(index, "shared_cpu_list");
  if (!f) return 0;
  long count = 0, first, last;
  while (fscanf(f, "%ld", &first) == 1) {
    last = first;
    int c = fgetc(f);
    if (c == '-') {
      if (fscanf(f, "%ld", &last) != 1) break;
      c = fgetc(f);
    }
    count += last >= first ? last - first + 1 : 0;
    if (c != ',') break;
  }
  fclose(f);
  return count;
}

static cache_sizes caches;  /* read once, with the blocking (derive_all) */
static long l3_sharers = 0; /* CPUs sharing that L3 (sysfs), else every online CPU */

static int round_to(int value, int unit, int min, int max) {
  value = value / unit * unit;
  return value < min ? min : value > max ? max : value;
}

/* Limits on every blocking, so that a cache size misread (or an override) cannot ask for absurd buffers: each packed
 * buffer (kc x mc, kc x nc) at most 2^21 floats, 8 MiB a thread. The derived nc is at least NC_MIN (a small L3 share
 * per CPU, as on a many-core chip, would otherwise ask for narrow panels; 512 to 4096 measured alike). */
#define KC_MIN 32
#define KC_MAX 1024
#define MC_MAX 1536
#define NC_MAX 8192
#define NC_MIN 512
#define PACKED_MAX (1L << 21)

/*
 * The blocking for an mr x nr micro-tile, from the cache sizes. In this loop order one packed sliver of B (kc x nr)
 * is reused from L1 while the slivers of A stream past it from L2, and the packed block of A (mc x kc) is reused from
 * L2 while the panel of B streams from L3 (the usual analysis: Low et al., "Analytical modeling is enough for
 * high-performance BLIS", 2016).
 *   kc: L1d / 128 bytes, so that the AVX-512 tile's B sliver (32 floats wide) fills L1d: 256 on a 32 KiB L1d, 384 on
 *       a 48 KiB one. The narrower tiles keep the same depth: on AVX2 512 measured no faster than 256, and a deeper
 *       slab changes how each sum is split.
 *   mc: the block of A takes a quarter of L2, the rest left to the B slivers and C's tiles passing through.
 *   nc: the panel of B takes half the L3 share of one of the CPUs sharing it, at most 2 MiB (its buffer is per
 *       thread) and at least 512 columns.
 * On a 32 KiB L1d, a 512 KiB L2 and 4 MiB or more of L3 a CPU this is the fixed blocking the kernels had before (256,
 * 120 or 126, 2048). Measured on a Zen 4 core (32 KiB L1d, 1 MiB L2; bench/gemm-blocks.mjs): the products AlexNet reduces to vary by under 5% over kc
 * 256-512, mc 120-504 and nc 512-4096, and kc 128 is 3-4% slower: the rule mainly keeps blocks sized for one cache
 * hierarchy off another.
 */
static gemm_blocks derive_blocks(int mr, int nr) {
  const cache_sizes c = caches;
  long l1 = c.l1d > 0 ? c.l1d : 32 * 1024, l2 = c.l2 > 0 ? c.l2 : 512 * 1024;
  long l3_share = c.l3 > 0 ? c.l3 / (l3_sharers > 0 ? l3_sharers : 1) : 2 * l2;
  int kc = round_to((int)(l1 / 128), 8, 128, 512);
  int mc = round_to((int)(l2 / 4 / (kc * (long)sizeof(float))), mr, mr, MC_MAX);
  long panel = l3_share / 2 < (2L << 20) ? l3_share / 2 : (2L << 20);
  int nc = round_to((int)(panel / (kc * (long)sizeof(float))), nr, NC_MIN, NC_MAX);
  return (gemm_blocks){kc, mc, nc};
}

static gemm_blocks derived[3], forced;
static int source = GEMM_BLOCKS_CACHES;
static pthread_once_t derive_once = PTHREAD_ONCE_INIT;

static int valid_blocks(int kc, int mc, int nc) {
  return kc >= KC_MIN && kc <= KC_MAX && mc >= 1 && mc <= MC_MAX && nc >= 1 && nc <= NC_MAX &&
         (long)kc * mc <= PACKED_MAX && (long)kc * nc <= PACKED_MAX;
}

/* Once, before any product (worker threads read the result): the cache sizes, every ISA's blocking from them, then
 * the environment's override. */
static void derive_all(void) {
  caches.l1d = cache_size(1, _SC_LEVEL1_DCACHE_SIZE);
  caches.l2 = cache_size(2, _SC_LEVEL2_CACHE_SIZE);
  caches.l3 = cache_size(3, _SC_LEVEL3_CACHE_SIZE);
  l3_sharers = l3_sharing_cpus();
  if (l3_sharers <= 0) l3_sharers = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 0; i < 3; i++) derived[i] = derive_blocks(ISAS[i].mr, ISAS[i].nr);
  const char *env = getenv("ALEXNET_NATIVE_GEMM_BLOCKS");
  int kc, mc, nc, end = 0;
  if (env && sscanf(env, "%d,%d,%d%n", &kc, &mc, &nc, &end) == 3 && env[end] == 0 && valid_blocks(kc, mc, nc)) {
    forced = (gemm_blocks){kc, mc, nc};
    source = GEMM_BLOCKS_ENVIRONMENT;
  }
}

static gemm_blocks blocks_for(int i) {
  pthread_once(&derive_once, derive_all);
  if (source == GEMM_BLOCKS_CACHES) return derived[i];
  /* Whole micro-tiles, so that the packed slivers line up with the tiles. */
  return (gemm_blocks){forced.kc, round_to(forced.mc, ISAS[i].mr, ISAS[i].mr, MC_MAX),
                       round_to(forced.nc, ISAS[i].nr, ISAS[i].nr, NC_MAX)};
}

gemm_blocks gemm_current_blocks(void) { return blocks_for(isa()); }

cache_sizes gemm_cache_sizes(void) {
  pthread_once(&derive_once, derive_all);
  return caches;
}

int gemm_blocks_source(void) {
  pthread_once(&derive_once, derive_all);
  return source;
}

int gemm_set_blocks(int kc, int mc, int nc) {
  pthread_once(&derive_once, derive_all);
  if (kc == 0 && mc == 0 && nc == 0) {
    source = GEMM_BLOCKS_CACHES;
    return 1;
  }
  if (!valid_blocks(kc, mc, nc)) return 0;
  forced = (gemm_blocks){kc, mc, nc};
  source = GEMM_BLOCKS_SET;
  return 1;
}

/* Packing buffers, one pair per thread, grown on demand and kept. */
static __thread float *pack_a, *pack_b;
static __thread long pack_a_floats, pack_b_floats;

static float *grown(float *buffer, long *floats, long need) {
  if (need <= *floats) return buffer;
  free(buffer);
  need = (need + 15) / 16 * 16; /* aligned_alloc wants a multiple of the alignment */
  float *fresh = aligned_alloc(64, sizeof(float) * need);
  if (!fresh) {
    fprintf(stderr, "alexnet native: out of memory for a %ld-float GEMM packing buffer\n", need);
    abort();
  }
  *floats = need;
  return fresh;
}

void gemm_single(const gemm_args *g) {
  if (g->m <= 0 || g->n <= 0) return;
  if (g->k <= 0) {
    if (!g->accumulate)
      for (int i = 0; i < g->m; i++) memset(g->c + (long)i * g->ldc, 0, sizeof(float) * g->n);
    return;
  }
  int i = isa();
  gemm_blocks b = blocks_for(i);
  /* One micro-tile of slack on each: the last sliver is zero-padded to a whole tile. */
  pack_a = grown(pack_a, &pack_a_floats, (long)(b.mc + ISAS[i].mr) * b.kc);
  pack_b = grown(pack_b, &pack_b_floats, (long)b.kc * (b.nc + ISAS[i].nr));
  ISAS[i].fn(g, &b, pack_a, pack_b);
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
