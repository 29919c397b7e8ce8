/*
 * The fp32 ceiling of this machine's vector units, measured: each thread runs 12 independent multiply-add chains
 * (enough to cover an FMA's latency on two pipes) in the chosen instruction set's widest vectors, with no memory
 * traffic, timed on its own CPU clock. `alexnet bench --profile` divides kernels' GFLOP/s by it beside the estimate
 * from the reported clock, which virtual machines give as the nominal one while the cores run at their boost clock.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "native.h"

/* a = a * m + c converges to c / (1 - m) = 1, so the values stay normal floats whatever the iteration count; no chain
 * starts at 1, which the compiler would see is fixed. */
#define CHAIN_STEP(a) a = a * m + c
#define CHAINS(SUFFIX, VW)                                                                                             \
  typedef float vec_##SUFFIX __attribute__((vector_size(VW * 4)));                                                     \
  static float chains_##SUFFIX(long iterations) {                                                                      \
    vec_##SUFFIX m = (vec_##SUFFIX){0} + 0.75f, c = (vec_##SUFFIX){0} + 0.25f;                                         \
    /* Distinct starting points: identical chains would be computed once. */                                           \
    vec_##SUFFIX a0 = m * 2, a1 = m * 3, a2 = m * 4, a3 = m * 5, a4 = m * 6, a5 = m * 7, a6 = m * 8, a7 = m * 9,       \
                 a8 = m * 10, a9 = m * 11, a10 = m * 12, a11 = m * 13;                                                 \
    for (long i = 0; i < iterations; i++) {                                                                            \
      CHAIN_STEP(a0);                                                                                                  \
      CHAIN_STEP(a1);                                                                                                  \
      CHAIN_STEP(a2);                                                                                                  \
      CHAIN_STEP(a3);                                                                                                  \
      CHAIN_STEP(a4);                                                                                                  \
      CHAIN_STEP(a5);                                                                                                  \
      CHAIN_STEP(a6);                                                                                                  \
      CHAIN_STEP(a7);                                                                                                  \
      CHAIN_STEP(a8);                                                                                                  \
      CHAIN_STEP(a9);                                                                                                  \
      CHAIN_STEP(a10);                                                                                                 \
      CHAIN_STEP(a11);                                                                                                 \
    }                                                                                                                  \
    vec_##SUFFIX s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;                                      \
    return s[0];                                                                                                       \
  }

BEGIN_AVX512
CHAINS(avx512, 16)
END_ISA

BEGIN_AVX2
CHAINS(avx2, 8)
END_ISA

CHAINS(sse, 4)

static const int LANES[] = {16, 8, 4};
static float (*const RUN[])(long) = {chains_avx512, chains_avx2, chains_sse};

typedef struct {
  long iterations;
  int isa;
  float sums[256];    /* each thread's result, stored so that the chains are not optimised away */
  double seconds[256]; /* each thread's CPU time for its chains */
} peak_job;

static double thread_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void peak_share(void *ctx, int thread, int threads) {
  (void)threads;
  peak_job *job = ctx;
  double start = thread_seconds();
  job->sums[thread] = RUN[job->isa](job->iterations);
  job->seconds[thread] = thread_seconds() - start;
}

/* GFLOP/s of one run: each thread's FLOPs over its own CPU time, summed. Timed on the CPU clock of each thread, the
 * run is not slowed by a thread waiting for a core that another process (or the JavaScript engine's own background
 * threads, in `alexnet bench`) holds: a ceiling of the vector units, not of a share of them. The longest thread's
 * time also bounds the next run's length. */
static double run_rate(peak_job *job, int threads, double *longest) {
  for (int t = 0; t < threads; t++) job->seconds[t] = -1; /* a thread that did not run is left out */
  threads_run(peak_share, job, threads);
  double rate = 0;
  *longest = 0;
  for (int t = 0; t < threads; t++) {
    if (job->seconds[t] < 0) continue;
    double s = job->seconds[t] > 1e-9 ? job->seconds[t] : 1e-9;
    rate += (double)job->iterations * 12 * LANES[job->isa] * 2 / s / 1e9;
    if (s > *longest) *longest = s;
  }
  return rate;
}

/* The CPUs this process may run on (its affinity mask), 0 if unknown. */
static int usable_cpus(void) {
  cpu_set_t set;
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
}

double fma_peak_gflops(int threads, double seconds) {
  if (threads > 256) threads = 256;
  peak_job job = {.iterations = 1 << 14, .isa = native_isa()};
  /* Grow the run until it takes a tenth of the budget (the first ones also wake the threads and the clocks). */
  double took;
  run_rate(&job, threads, &took);
  while (took < seconds / 10 && job.iterations < (1L << 40)) {
    job.iterations *= 2;
    run_rate(&job, threads, &took);
  }
  /* Then five runs of a fifth of the budget each; the fastest is the ceiling. */
  job.iterations = (long)(job.iterations * (seconds / 5) / took) + 1;
  double best = 0;
  for (int r = 0; r < 5; r++) {
    double rate = run_rate(&job, threads, &took);
    if (rate > best) best = rate;
  }
  /* More threads than CPUs to run them share the CPUs: each thread's CPU clock hides that, so scale to the CPUs. */
  int cpus = usable_cpus();
  return cpus > 0 && cpus < threads ? best * cpus / threads : best;
}
