/*
 * GINE's edge message, fused (native/gine.c): out[dst[k]] += relu(x[src[k]] + e[k]) and its
 * backward. Scatters run over the edges stably sorted by destination (or source, for gx), one
 * thread per (row, column) adding its edges in edge order: the C kernel's order, without atomics.
 */
#include "gfc_impl.cuh"

__global__ void gine_fwd_runs(const float *x, const float *e, const int32_t *src, const int32_t *keys,
                              const int32_t *perm, float *out, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t d = keys[t];
    if (t > 0 && keys[t - 1] == d) continue;
    float acc = out[(int64_t)d * cols + c];
    for (int64_t u = t; u < E && keys[u] == d; u++) {
      int64_t k = perm[u];
      float v = x[(int64_t)src[k] * cols + c] + e[k * cols + c];
      acc += (v > 0.0f || v != v) ? v : 0.0f;  /* relu, NaN kept (as the relu kernel) */
    }
    out[(int64_t)d * cols + c] = acc;
  }
}

int gfc_gine_message(const float *x, const float *e, const int32_t *src, const int32_t *dst, float *out, int64_t E,
                     int64_t cols) {
  GFC_REQUIRE_INIT();
  if (E * cols == 0) return 0;
  GfcSorted s;
  int rc = gfc_sort_index(dst, E, &s, "gineMessage");
  if (rc) return rc;
  gine_fwd_runs<<<gfc_blocks(E * cols, 256), 256, 0, gfc_stream()>>>(x, e, src, s.keys, s.perm, out, E, cols);
  gfc_sorted_free(&s);
  return gfc_check_launch("gineMessage");
}

/* d = g[dst[k]] where x[src[k]] + e[k] > 0, else 0 */
__device__ __forceinline__ float gine_grad(const float *x, const float *e, const int32_t *src, const int32_t *dst,
                                           const float *g, int64_t k, int64_t c, int64_t cols) {
  float v = x[(int64_t)src[k] * cols + c] + e[k * cols + c];
  return v > 0.0f ? g[(int64_t)dst[k] * cols + c] : 0.0f;
}

__global__ void gine_bw_edges(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                              float *ge, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t k = i / cols, c = i - k * cols;
    ge[i] += gine_grad(x, e, src, dst, g, k, c, cols);
  }
}

__global__ void gine_bw_runs(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                             const int32_t *keys, const int32_t *perm, float *gx, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t s = keys[t];
    if (t > 0 && keys[t - 1] == s) continue;
    float acc = gx[(int64_t)s * cols + c];
    for (int64_t u = t; u < E && keys[u] == s; u++) acc += gine_grad(x, e, src, dst, g, perm[u], c, cols);
    gx[(int64_t)s * cols + c] = acc;
  }
}

int gfc_gine_message_backward(const float *x, const float *e, const int32_t *src, const int32_t *dst, const float *g,
                              float *gx, float *ge, int64_t E, int64_t cols) {
  GFC_REQUIRE_INIT();
  if (E * cols == 0) return 0;
  cudaStream_t st = gfc_stream();
  if (ge) {
    gine_bw_edges<<<gfc_blocks(E * cols, 256), 256, 0, st>>>(x, e, src, dst, g, ge, E, cols);
    int rc = gfc_check_launch("gineMessageBackward");
    if (rc) return rc;
  }
  if (!gx) return 0;
  GfcSorted s;
  int rc = gfc_sort_index(src, E, &s, "gineMessageBackward");
  if (rc) return rc;
  gine_bw_runs<<<gfc_blocks(E * cols, 256), 256, 0, st>>>(x, e, src, dst, g, s.keys, s.perm, gx, E, cols);
  gfc_sorted_free(&s);
  return gfc_check_launch("gineMessageBackward");
}
