/*
 * A fixed pool of worker threads. Work is split statically (thread t always takes the t-th share), so a kernel that
 * sums partial results per thread gives the same bits on every run with the same thread count.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "native.h"

#define MAX_THREADS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int started = 0;     /* worker threads running */
static int wanted = 0;      /* threads a kernel uses, the caller included; 0 until set or first used */
static long generation = 0; /* bumped for each job */
static int pending = 0;     /* workers still busy with the current job */
static thread_fn job_fn;
static void *job_ctx;
static int job_threads;

static void *worker(void *arg) {
  int id = (int)(long)arg;
  long seen = 0;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (generation == seen) pthread_cond_wait(&start_cv, &lock);
    seen = generation;
    if (id < job_threads) {
      thread_fn fn = job_fn;
      void *ctx = job_ctx;
      int n = job_threads;
      pthread_mutex_unlock(&lock);
      fn(ctx, id, n);
      pthread_mutex_lock(&lock);
      if (--pending == 0) pthread_cond_signal(&done_cv);
    }
  }
  return NULL;
}

static int default_threads(void) {
  const char *env = getenv("ALEXNET_NATIVE_THREADS");
  if (env && atoi(env) > 0) return atoi(env);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? (int)cores : 1;
}

int threads_count(void) {
  if (wanted == 0) wanted = default_threads();
  return wanted;
}

void threads_set(int count) { wanted = count < 1 ? 1 : count > MAX_THREADS ? MAX_THREADS : count; }

void threads_run(thread_fn fn, void *ctx, int threads) {
  if (threads <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&lock);
  while (started < threads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, worker, (void *)(long)(started + 1)) != 0) break;
    started++;
  }
  if (threads > started + 1) threads = started + 1;
  job_fn = fn;
  job_ctx = ctx;
  job_threads = threads;
  pending = threads - 1;
  generation++;
  pthread_cond_broadcast(&start_cv);
  pthread_mutex_unlock(&lock);
  fn(ctx, 0, threads);
  pthread_mutex_lock(&lock);
  while (pending > 0) pthread_cond_wait(&done_cv, &lock);
  pthread_mutex_unlock(&lock);
}

/* ---- contiguous ranges ---- */

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
void parallel_range(long n, long min_per_thread, range_fn fn, void *ctx) {
  int threads = threads_count();
  if (n / min_per_thread < threads) threads = (int)(n / min_per_thread);
  if (threads <= 1) {
    fn(ctx, 0, n);
    return;
  }
  range_job job = {fn, ctx, n};
  threads_run(range_share, &job, threads);
}
