/*
 * Node-API entry of the CPU addon: the thread count, and every kernel of
 * src/tensor/kernel_table.ts through the generated glue (native/gen/napi_kernels.c,
 * scripts/gen-glue.ts), which checks each argument (types, sizes, lengths, index
 * ranges, ptr arrays) before calling the gf_* kernel of native/gf.h.
 */
#include <node_api.h>
#include <omp.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "gf.h"
#include "napi_check.h"
#include "random_lanes.h"

/* ------------------------------------------------------------------ threads */
static int g_threads = 0;

static int default_threads(void) {
  const char *e = getenv("GRADFORMER_THREADS");
  if (e && *e) {
    char *end;
    long v = strtol(e, &end, 10);
    if (*end == '\0' && v >= 1 && v <= 4096) return (int)v;
  }
  /* One thread unless asked: the model's ops are small (batches of 32-128 graphs),
     and on the 2-core development machine a second OpenMP thread made every preset's
     training step slower (ZINC 1.0 -> 1.9-2.4 s per 600 graphs, molhiv 1.0 -> 2.1-2.3 s):
     waking the sleeping worker costs ~100 us per parallel region there
     (docs/PERFORMANCE.md, round 7). */
  return 1;
}
int gf_threads(void) {
  if (g_threads == 0) gf_set_threads(default_threads());
  return g_threads;
}
void gf_set_threads(int n) {
  g_threads = n;
  omp_set_num_threads(n);
}
int gf_threads_for(double work) {
  return work < 65536.0 ? 1 : gf_threads();
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  BEGIN_OPT("setThreads", 1, 0);
  double d = arg_num(&C, 0, "n");
  CK;
  if (!(d >= 1 && d <= 4096) || d != (double)(int)d) {
    fail(&C, "n must be an integer >= 1, got %s", JS(d));
    return NULL;
  }
  gf_set_threads((int)d);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, gf_threads());
}

/* ------------------------------------------------------------------ zero fill */
/* zeroFill(x): x[:] = 0 with the kernels' threads, each zeroing the range n*t/T..n*(t+1)/T
   (its ends moved down to 64-byte boundaries, so no cache line has two writers), i.e. the
   rows the row-split kernels give thread t.
   The host pool zero-fills every buffer a kernel accumulates into (~1.3 GB an NCI1 epoch):
   on the main thread alone that is serial work, and lines another thread wrote last must
   first cross to the main thread's core (docs/PERFORMANCE.md, round 18). */
static size_t line_start(const float *x, size_t i) {  /* the index where i's cache line starts, >= 0 */
  uintptr_t p = (uintptr_t)(x + i) & ~(uintptr_t)63;
  return p <= (uintptr_t)x ? 0 : (size_t)((const float *)p - x);
}
static napi_value ZeroFill(napi_env env, napi_callback_info info) {
  BEGIN_OPT("zeroFill", 1, 0);
  size_t n;
  int has;
  float *x = (float *)arg_array(&C, 0, "x", napi_float32_array, 0, 0, &n, &has);
  CK;
  int T = gf_threads_for((double)n);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    size_t lo = line_start(x, (size_t)((double)n * tid / nt)), hi = tid + 1 == nt ? n : line_start(x, (size_t)((double)n * (tid + 1) / nt));
    if (hi > lo) memset(x + lo, 0, (hi - lo) * sizeof(float));
  }
  return NULL;
}

/* ------------------------------------------------------------------ generator */
/* Test hooks for the lanes of random_lanes.c, on which dropout masks depend.
   rngJump(state, draws): the xoshiro128** state words (Uint32Array of 4) advanced in place by
   `draws` 32-bit draws; returns the lane width whose polynomial jump did it (16 or 8), or 0 where
   it stepped. setRngLanes(cap): the widest lanes used from now on (16, 8 or 0; default 16), so
   the tests reach the AVX2 and serial paths on an AVX-512 CPU; returns the width now in use. */
static napi_value RngJump(napi_env env, napi_callback_info info) {
  BEGIN_OPT("rngJump", 2, 0);
  size_t len;
  int has;
  uint32_t *st = (uint32_t *)arg_array(&C, 0, "state", napi_uint32_array, 0, 0, &len, &has);
  CK;
  double d = arg_num(&C, 1, "draws");
  CK;
  if (len != 4) {
    fail(&C, "state has %zu elements, expected 4 (xoshiro128** words)", len);
    return NULL;
  }
  if (!(d >= 0) || !gfx_isint(d)) {
    fail(&C, "draws must be an integer >= 0, got %s", JS(d));
    return NULL;
  }
  return num(env, gf_rng_jump(st, (uint64_t)d));
}

static napi_value SetRngLanes(napi_env env, napi_callback_info info) {
  BEGIN_OPT("setRngLanes", 1, 0);
  double d = arg_num(&C, 0, "cap");
  CK;
  if (d != 16 && d != 8 && d != 0) {
    fail(&C, "cap must be 16, 8 or 0, got %s", JS(d));
    return NULL;
  }
  return num(env, gf_rng_set_lanes((int)d));
}

/* ------------------------------------------------------------------ module */
static napi_value Init(napi_env env, napi_value exports) {
  gf_threads(); /* apply GRADFORMER_THREADS now */
  napi_property_descriptor d[] = {
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rngJump", NULL, RngJump, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRngLanes", NULL, SetRngLanes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zeroFill", NULL, ZeroFill, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof d / sizeof *d, d) != napi_ok) return NULL;
  if (gf_define_kernels(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
