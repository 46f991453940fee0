/*
 * GINE's edge message, fused: out[dst[k]] += relu(x[src[k]] + e[k]) over the edges k
 * in order, and its backward. The unfused chain (gatherRows, add, relu,
 * scatterAddRows) wrote and re-read three [E, C] temporaries per layer and ran
 * seven kernels (forward + backward); here the pre-activation is recomputed in the
 * backward instead of kept. Values equal the chain's: x + e is rounded to float32
 * before the relu, and every destination element sums its edges in edge order.
 * Threads own column ranges (not edges), so scatters never race and the order of
 * each sum is the same on any thread count.
 */
#include "gf.h"

static inline int col_threads(int64_t E, int64_t cols) {
  int T = gf_threads_for((double)E * (double)cols * 2.0);
  if (cols < 32 * (int64_t)T) T = (int)(cols / 32 > 0 ? cols / 32 : 1);  /* >= 2 cache lines per thread */
  return T;
}

static GF_CLONES void fwd_cols(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                               int64_t E, int64_t cols, int64_t c0, int64_t c1) {
  for (int64_t k = 0; k < E; k++) {
    const float *xr = x + (int64_t)src[k] * cols, *er = e + k * cols;
    float *o = out + (int64_t)dst[k] * cols;
    for (int64_t c = c0; c < c1; c++) {
      float v = xr[c] + er[c];
      o[c] += (v > 0.0f || v != v) ? v : 0.0f;  /* relu, NaN kept (as the relu kernel) */
    }
  }
}

void gf_gine_message(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                     int64_t E, int64_t cols) {
  int T = col_threads(E, cols);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    fwd_cols(x, e, src, dst, out, E, cols, cols * tid / nt, cols * (tid + 1) / nt);
  }
}

static GF_CLONES void bwd_cols(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                               float *gx, float *ge, int64_t E, int64_t cols, int64_t c0, int64_t c1) {
  for (int64_t k = 0; k < E; k++) {
    const float *xr = x + (int64_t)src[k] * cols, *er = e + k * cols, *gr = g + (int64_t)dst[k] * cols;
    float *gxr = gx ? gx + (int64_t)src[k] * cols : 0, *ger = ge ? ge + k * cols : 0;
    for (int64_t c = c0; c < c1; c++) {
      float v = xr[c] + er[c];
      float d = v > 0.0f ? gr[c] : 0.0f;
      if (ger) ger[c] += d;
      if (gxr) gxr[c] += d;
    }
  }
}

void gf_gine_message_backward(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                              float *gx, float *ge, int64_t E, int64_t cols) {
  int T = col_threads(E, cols);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    bwd_cols(x, e, src, dst, g, gx, ge, E, cols, cols * tid / nt, cols * (tid + 1) / nt);
  }
}
