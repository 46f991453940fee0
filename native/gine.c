/*
 * GINE's edge message, fused: out[dst[k]] += relu(x[src[k]] + e[k]) over the edges k
 * in order, and its backward. The unfused chain (gatherRows, add, relu,
 * scatterAddRows) wrote and re-read three [E, C] temporaries per layer and ran
 * seven kernels (forward + backward); here the pre-activation is recomputed in the
 * backward instead of kept. Values equal the chain's: x + e is rounded to float32
 * before the relu, and every destination element sums its edges in edge order.
 * Threads own ranges of the rows a pass scatters into (destinations forward, sources
 * for gx backward; ge is per edge, so blocks of edges): each walks every edge in order
 * and takes those whose row it owns, so scatters never race, every row sums its edges
 * in edge order on any thread count, and threads write disjoint rows. (Owning column
 * ranges instead had every thread write part of every row, sharing its cache lines:
 * 2 threads were 3-6x slower than one, and 64 columns allowed only 2 threads.)
 */
#include "gf.h"
#include <stdint.h>

static GF_CLONES void fwd_rows(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                               int64_t E, int64_t cols, int64_t o0, int64_t o1) {
  for (int64_t k = 0; k < E; k++) {
    const int64_t d = dst[k];
    if (d < o0 || d >= o1) continue;
    const float *xr = x + (int64_t)src[k] * cols, *er = e + k * cols;
    float *o = out + d * cols;
    for (int64_t c = 0; c < cols; c++) {
      float v = xr[c] + er[c];
      o[c] += (v > 0.0f || v != v) ? v : 0.0f;  /* relu, NaN kept (as the relu kernel) */
    }
  }
}

void gf_gine_message(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out,
                     int64_t E, int64_t cols) {
  int T = gf_threads_for((double)E * (double)cols * 2.0);
  if (T <= 1) { fwd_rows(x, e, src, dst, out, E, cols, 0, INT64_MAX); return; }
  int64_t rows = gf_index_bound(dst, E);
#pragma omp parallel num_threads(T)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    fwd_rows(x, e, src, dst, out, E, cols, rows * tid / nt, rows * (tid + 1) / nt);
  }
}

/*
 * Edges k in [k0, k1), in order, those whose source row is in [o0, o1) (all of them when
 * own_src is 0): with d = (x[src[k]] + e[k] > 0) ? g[dst[k]] : 0 (NaN: 0, as the relu
 * backward), ge[k] += d and gx[src[k]] += d, each where not NULL.
 */
static GF_CLONES void bwd_edges(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                                float *gx, float *ge, int64_t k0, int64_t k1, int64_t cols, int own_src,
                                int64_t o0, int64_t o1) {
  for (int64_t k = k0; k < k1; k++) {
    const int64_t s = src[k];
    if (own_src && (s < o0 || s >= o1)) continue;
    const float *xr = x + s * cols, *er = e + k * cols, *gr = g + (int64_t)dst[k] * cols;
    float *gxr = gx ? gx + s * cols : 0, *ger = ge ? ge + k * cols : 0;
    for (int64_t c = 0; c < cols; c++) {
      float v = xr[c] + er[c];
      float d = v > 0.0f ? gr[c] : 0.0f;
      if (ger) ger[c] += d;
      if (gxr) gxr[c] += d;
    }
  }
}

/* Threaded: ge by blocks of edges, gx by ranges of source rows (each recomputes d). */
void gf_gine_message_backward(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                              float *gx, float *ge, int64_t E, int64_t cols) {
  int T = gf_threads_for((double)E * (double)cols * 2.0);
  if (T <= 1) { bwd_edges(x, e, src, dst, g, gx, ge, 0, E, cols, 0, 0, 0); return; }
  int64_t rows = gx ? gf_index_bound(src, E) : 0;
#pragma omp parallel num_threads(T)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    if (ge) bwd_edges(x, e, src, dst, g, NULL, ge, E * tid / nt, E * (tid + 1) / nt, cols, 0, 0, 0);
    if (gx) bwd_edges(x, e, src, dst, g, gx, NULL, 0, E, cols, 1, rows * tid / nt, rows * (tid + 1) / nt);
  }
}
