/*
 * Core-to-core latency: two threads pinned to CPUs a and b pass one cache line back and
 * forth; prints the round trip in ns (median of 5 runs of 100k trips) for CPU 0 and
 * every other CPU, or for the pairs given. A multi-thread epoch depends on it: the
 * threads of a kernel hand their outputs to each other through such lines, so where the
 * host puts two vCPUs on cores without a shared L3 (AMD EPYC: different CCDs, ~350 ns
 * here instead of ~60), a 2-thread NCI1 epoch runs at one thread's speed
 * (docs/PERFORMANCE.md, round 18).
 *   npm run bench:core-latency [-- a,b ...]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { TRIPS = 100000, RUNS = 5 };
static _Alignas(128) atomic_int flag;
static int cpu_b;

static int pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *answer(void *arg) {
  (void)arg;
  pin(cpu_b);
  for (int i = 0; i < TRIPS; i++) {
    while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
    atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
  }
  return NULL;
}

static double trip_ns(int a, int b) {
  pthread_t t;
  cpu_b = b;
  atomic_store(&flag, 0);
  if (pin(a) != 0) return -1;
  if (pthread_create(&t, NULL, answer, NULL) != 0) return -1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < TRIPS; i++) {
    atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
    while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(t, NULL);
  return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / TRIPS;
}

static int cmp(const void *x, const void *y) {
  double d = *(const double *)x - *(const double *)y;
  return (d > 0) - (d < 0);
}

static void pair(int a, int b) {
  double r[RUNS];
  for (int i = 0; i < RUNS; i++) r[i] = trip_ns(a, b);
  qsort(r, RUNS, sizeof r[0], cmp);
  if (r[0] < 0) printf("cpu %d <-> cpu %d: cannot pin (not in this process's CPU set)\n", a, b);
  else printf("cpu %d <-> cpu %d: %.0f ns round trip (median of %d; min %.0f, max %.0f)\n", a, b, r[RUNS / 2], RUNS, r[0], r[RUNS - 1]);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; i++) {
      int a, b;
      if (sscanf(argv[i], "%d,%d", &a, &b) != 2 || a == b || a < 0 || b < 0) {
        fprintf(stderr, "core_latency: expected pairs of two different CPUs like 0,1, got '%s'\n", argv[i]);
        return 2;
      }
      pair(a, b);
    }
    return 0;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 2) {
    printf("core_latency: one CPU online, no pair to measure\n");
    return 0;
  }
  for (int b = 1; b < n; b++) pair(0, b);
  return 0;
}
