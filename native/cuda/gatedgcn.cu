/*
 * GatedGCN's edge message, fused (native/gatedgcn.c):
 *   g = (D x)[dst] + (E x)[src] + C e;  s = sigmoid(g) (times gate[k]);
 *   q = scatter(s * (B x)[src]) / (scatter(s) + eps)
 * and its backward, with the C kernel's float32 roundings at the same places (products are
 * rounded before they are summed: __fmul_rn keeps nvcc from fusing them into an fma).
 * Scatters run over the edges stably sorted by destination (or source), one thread per
 * (row, column) adding its edges in edge order; per-edge values are element-wise.
 */
#include "gfc_impl.cuh"

__global__ void ggcn_pre(const float *Dx, const float *Ex, const float *Ce, const int32_t *src, const int32_t *dst,
                         float *g, float *s0, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t k = i / cols, c = i - k * cols;
    float a = Dx[(int64_t)dst[k] * cols + c] + Ex[(int64_t)src[k] * cols + c];  /* stored before adding C e */
    float v = a + Ce[i];
    g[i] = v;
    s0[i] = gfc_sigmoid(v);
  }
}

/* num[d] = sum s * b, dp[d] = sum s over the edges into d, in edge order (num, dp start at 0). */
__global__ void ggcn_scatter(const float *s0, const float *gate, const float *Bx, const int32_t *src,
                             const int32_t *keys, const int32_t *perm, float *num, float *dp, int64_t E,
                             int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t d = keys[t];
    if (t > 0 && keys[t - 1] == d) continue;
    float an = 0.0f, ad = 0.0f;
    for (int64_t u = t; u < E && keys[u] == d; u++) {
      int64_t k = perm[u];
      float s = gate ? __fmul_rn(s0[k * cols + c], gate[k]) : s0[k * cols + c];
      an = __fadd_rn(an, __fmul_rn(s, Bx[(int64_t)src[k] * cols + c]));
      ad = __fadd_rn(ad, s);
    }
    num[(int64_t)d * cols + c] = an;
    dp[(int64_t)d * cols + c] = ad;
  }
}

__global__ void ggcn_div(const float *num, float *dp, float *q, int64_t n, double eps) {
  GFC_GRID_STRIDE(i, n) {
    float d = (float)((double)dp[i] + eps);  /* add_scalar */
    dp[i] = d;
    q[i] = num[i] / d;
  }
}

int gfc_gated_gcn_message(const float *Dx, const float *Ex, const float *Ce, const float *Bx, const float *gate,
                          const int32_t *src, const int32_t *dst, float *g, float *s0, float *num, float *dp,
                          float *q, int64_t E, int64_t outRows, int64_t cols, double eps) {
  GFC_REQUIRE_INIT();
  cudaStream_t st = gfc_stream();
  int64_t n = outRows * cols;
  int rc;
  if (E * cols > 0) {
    ggcn_pre<<<gfc_blocks(E * cols, 256), 256, 0, st>>>(Dx, Ex, Ce, src, dst, g, s0, E, cols);
    if ((rc = gfc_check_launch("gatedGcnMessage"))) return rc;
  }
  if (n == 0) return 0;
  if ((rc = gfc_zero(num, (size_t)n * sizeof(float))) || (rc = gfc_zero(dp, (size_t)n * sizeof(float)))) return rc;
  if (E * cols > 0) {
    GfcSorted s;
    if ((rc = gfc_sort_index(dst, E, &s, "gatedGcnMessage"))) return rc;
    ggcn_scatter<<<gfc_blocks(E * cols, 256), 256, 0, st>>>(s0, gate, Bx, src, s.keys, s.perm, num, dp, E, cols);
    gfc_sorted_free(&s);
    if ((rc = gfc_check_launch("gatedGcnMessage"))) return rc;
  }
  ggcn_div<<<gfc_blocks(n, 256), 256, 0, st>>>(num, dp, q, n, eps);
  return gfc_check_launch("gatedGcnMessage");
}

/* gnum = d q / d num and gden = d q / d den (through add_scalar), as the div and add_scalar backward. */
__global__ void ggcn_bw_div(const float *gq, const float *num, const float *dp, float *gnum, float *gden, int64_t n) {
  GFC_GRID_STRIDE(i, n) {
    gnum[i] = (float)(0.0 + (double)gq[i] / dp[i]);
    double bb = dp[i];
    float gdp = (float)(0.0 + -(double)gq[i] * num[i] / (bb * bb));
    gden[i] = (float)(0.0 + (double)gdp);
  }
}

/* d/ds at an edge: the den scatter's contribution first, then the mul's (the tape's order). */
__device__ __forceinline__ float grad_s(float gden, float gnum, float b) { return (float)((double)gden + (double)gnum * b); }

/* The sigmoid's input gradient at edge k, column c. */
__device__ __forceinline__ float ggcn_gg(const float *Bx, const float *gate, const float *s0, const int32_t *src,
                                         const int32_t *dst, const float *gnum, const float *gden, int64_t k,
                                         int64_t c, int64_t cols) {
  int64_t d = (int64_t)dst[k] * cols + c;
  float y = s0[k * cols + c], gs = grad_s(gden[d], gnum[d], Bx[(int64_t)src[k] * cols + c]);
  if (gate) gs = (float)(0.0 + (double)gs * gate[k]);  /* the gate mul's backward */
  return (float)(0.0 + (double)gs * y * (1.0 - y));   /* sigmoid backward */
}

/* ggate[k] += sum over c of d/ds * sigmoid(g), one warp per edge (fixed tree). */
__global__ void ggcn_bw_gate(const float *Bx, const float *s0, const int32_t *src, const int32_t *dst,
                             const float *gnum, const float *gden, float *ggate, int64_t E, int64_t cols) {
  int lane = threadIdx.x & 31;
  for (int64_t k = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; k < E;
       k += ((int64_t)gridDim.x * blockDim.x) >> 5) {
    double acc = 0;
    for (int64_t c = lane; c < cols; c += 32) {
      int64_t d = (int64_t)dst[k] * cols + c;
      acc += (double)grad_s(gden[d], gnum[d], Bx[(int64_t)src[k] * cols + c]) * s0[k * cols + c];
    }
    acc = gfc_warp_sum(acc);
    if (lane == 0) ggate[k] = (float)((double)ggate[k] + acc);
  }
}

__global__ void ggcn_bw_edges(const float *Bx, const float *gate, const float *s0, const int32_t *src,
                              const int32_t *dst, const float *gnum, const float *gden, float *gCe, int64_t E,
                              int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t k = i / cols, c = i - k * cols;
    gCe[i] += ggcn_gg(Bx, gate, s0, src, dst, gnum, gden, k, c, cols);
  }
}

/* Runs by source: gBx[s] += gnum[dst] * s (mul backward), gEx[s] += gg, in edge order. */
__global__ void ggcn_bw_src(const float *Bx, const float *gate, const float *s0, const int32_t *src,
                            const int32_t *dst, const float *gnum, const float *gden, const int32_t *keys,
                            const int32_t *perm, float *gEx, float *gBx, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t sn = keys[t];
    if (t > 0 && keys[t - 1] == sn) continue;
    int64_t o = (int64_t)sn * cols + c;
    float ab = gBx ? gBx[o] : 0.0f, ae = gEx ? gEx[o] : 0.0f;
    for (int64_t u = t; u < E && keys[u] == sn; u++) {
      int64_t k = perm[u];
      if (gBx) {
        float y = s0[k * cols + c], s = gate ? __fmul_rn(y, gate[k]) : y;
        ab += (float)(0.0 + (double)gnum[(int64_t)dst[k] * cols + c] * s);
      }
      if (gEx) ae += ggcn_gg(Bx, gate, s0, src, dst, gnum, gden, k, c, cols);
    }
    if (gBx) gBx[o] = ab;
    if (gEx) gEx[o] = ae;
  }
}

/* Runs by destination: gDx[d] += gg, in edge order. */
__global__ void ggcn_bw_dst(const float *Bx, const float *gate, const float *s0, const int32_t *src,
                            const int32_t *dst, const float *gnum, const float *gden, const int32_t *keys,
                            const int32_t *perm, float *gDx, int64_t E, int64_t cols) {
  GFC_GRID_STRIDE(i, E * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t dn = keys[t];
    if (t > 0 && keys[t - 1] == dn) continue;
    int64_t o = (int64_t)dn * cols + c;
    float a = gDx[o];
    for (int64_t u = t; u < E && keys[u] == dn; u++) a += ggcn_gg(Bx, gate, s0, src, dst, gnum, gden, perm[u], c, cols);
    gDx[o] = a;
  }
}

int gfc_gated_gcn_message_backward(const float *Bx, const float *gate, const float *s0, const float *num,
                                   const float *dp, const int32_t *src, const int32_t *dst, const float *gq,
                                   float *work, float *gDx, float *gEx, float *gCe, float *gBx, float *ggate,
                                   int64_t E, int64_t outRows, int64_t cols) {
  GFC_REQUIRE_INIT();
  cudaStream_t st = gfc_stream();
  int64_t n = outRows * cols, ec = E * cols;
  float *gnum = work, *gden = work + n;
  int rc;
  if (n > 0) {
    ggcn_bw_div<<<gfc_blocks(n, 256), 256, 0, st>>>(gq, num, dp, gnum, gden, n);
    if ((rc = gfc_check_launch("gatedGcnMessageBackward"))) return rc;
  }
  if (E == 0) return 0;
  if (gate && ggate) {
    ggcn_bw_gate<<<gfc_blocks(E * 32, 256), 256, 0, st>>>(Bx, s0, src, dst, gnum, gden, ggate, E, cols);
    if ((rc = gfc_check_launch("gatedGcnMessageBackward"))) return rc;
  }
  if (ec == 0) return 0;
  if (gCe) {
    ggcn_bw_edges<<<gfc_blocks(ec, 256), 256, 0, st>>>(Bx, gate, s0, src, dst, gnum, gden, gCe, E, cols);
    if ((rc = gfc_check_launch("gatedGcnMessageBackward"))) return rc;
  }
  GfcSorted s;
  if (gBx || gEx) {
    if ((rc = gfc_sort_index(src, E, &s, "gatedGcnMessageBackward"))) return rc;
    ggcn_bw_src<<<gfc_blocks(ec, 256), 256, 0, st>>>(Bx, gate, s0, src, dst, gnum, gden, s.keys, s.perm, gEx, gBx, E,
                                                      cols);
    gfc_sorted_free(&s);
    if ((rc = gfc_check_launch("gatedGcnMessageBackward"))) return rc;
  }
  if (gDx) {
    if ((rc = gfc_sort_index(dst, E, &s, "gatedGcnMessageBackward"))) return rc;
    ggcn_bw_dst<<<gfc_blocks(ec, 256), 256, 0, st>>>(Bx, gate, s0, src, dst, gnum, gden, s.keys, s.perm, gDx, E, cols);
    gfc_sorted_free(&s);
    if ((rc = gfc_check_launch("gatedGcnMessageBackward"))) return rc;
  }
  return 0;
}
