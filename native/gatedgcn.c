/*
 * GatedGCN's edge message, fused: from the three row gathers through the division
 *   g = (D x)[dst] + (E x)[src] + C e;  s = sigmoid(g) (times gate[k]);
 *   q = scatter(s * (B x)[src]) / (scatter(s) + eps)
 * and its backward. The unfused chain (gatherRows x3, add x2, sigmoid, mul x2,
 * scatterAddRows x2, add_scalar, div) ran ~12 kernels forward and ~15 backward on
 * [E, C] temporaries. Every value and gradient here is BIT-IDENTICAL to the chain's:
 * each step is rounded to float32 where the chain stored it, the double expressions
 * are those of native/elementwise.c written the same way, the sigmoid IS the chain's
 * (gf_unary), and every destination sums its edges in edge order (threads own
 * ranges of the rows they scatter into, as native/gine.c), so the result is the same
 * on any thread count.
 * Gradients the chain started from a fresh zero buffer start from 0 here too
 * ((float)(0.0 + x) turns -0 into +0 exactly as the chain did).
 */
#include "gf.h"
#include <string.h>

/*
 * num[dst[k]] += s * b, den[dst[k]] += s in edge order, for the edges whose destination
 * is in [o0, o1). The product is rounded to float32 BEFORE the add, as the chain's mul
 * then scatter: fp-contract is off here, or -ffp-contract=fast would make it one fma.
 */
__attribute__((optimize("fp-contract=off")))
static GF_CLONES void fwd_scatter(const float *s0, const float *gate, const float *Bx, const int32_t *src,
                                  const int32_t *dst, float *num, float *den, int64_t E, int64_t cols,
                                  int64_t o0, int64_t o1) {
  for (int64_t k = 0; k < E; k++) {
    const int64_t d = dst[k];
    if (d < o0 || d >= o1) continue;
    const float *sr = s0 + k * cols, *br = Bx + (int64_t)src[k] * cols;
    float *nr = num + d * cols, *dr = den + d * cols;
    if (gate) {
      const float gk = gate[k];
      for (int64_t c = 0; c < cols; c++) {
        float s = sr[c] * gk;
        float m = s * br[c];
        nr[c] += m;
        dr[c] += s;
      }
    } else {
      for (int64_t c = 0; c < cols; c++) {
        float m = sr[c] * br[c];
        nr[c] += m;
        dr[c] += sr[c];
      }
    }
  }
}

static GF_CLONES void fwd_pre(const float *Dx, const float *Ex, const float *Ce, const int32_t *src,
                              const int32_t *dst, float *g, int64_t k0, int64_t k1, int64_t cols) {
  for (int64_t k = k0; k < k1; k++) {
    const float *dr = Dx + (int64_t)dst[k] * cols, *er = Ex + (int64_t)src[k] * cols, *cr = Ce + k * cols;
    float *gr = g + k * cols;
    for (int64_t c = 0; c < cols; c++) {
      float a = dr[c] + er[c];  /* the chain stored D x_i + E x_j before adding C e */
      gr[c] = a + cr[c];
    }
  }
}

static GF_CLONES void fwd_div(float *num, float *dp, float *q, int64_t i0, int64_t i1, double eps) {
  for (int64_t i = i0; i < i1; i++) {
    float d = (float)((double)dp[i] + eps);  /* add_scalar */
    dp[i] = d;
    q[i] = num[i] / d;
  }
}

void gf_gated_gcn_message(const float *Dx, const float *Ex, const float *Ce, const float *Bx, const float *gate,
                          const int32_t *src, const int32_t *dst, float *g, float *s0, float *num, float *dp,
                          float *q, int64_t E, int64_t outRows, int64_t cols, double eps) {
  int T = gf_threads_for((double)E * (double)cols);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    fwd_pre(Dx, Ex, Ce, src, dst, g, E * tid / nt, E * (tid + 1) / nt, cols);
  }
  gf_unary(2, g, s0, E * cols, 0.0);  /* the chain's sigmoid kernel itself: the same bits by construction */
  int64_t n = outRows * cols;
  memset(num, 0, (size_t)n * sizeof(float));
  memset(dp, 0, (size_t)n * sizeof(float));
  int Ts = gf_threads_for((double)E * (double)cols * 2.0);
#pragma omp parallel num_threads(Ts) if (Ts > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    fwd_scatter(s0, gate, Bx, src, dst, num, dp, E, cols, outRows * tid / nt, outRows * (tid + 1) / nt);  /* dst < outRows */
  }
  int Tn = gf_threads_for((double)n);
#pragma omp parallel num_threads(Tn) if (Tn > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    fwd_div(num, dp, q, n * tid / nt, n * (tid + 1) / nt, eps);
  }
}

/* gnum = d q / d num and gden = d q / d den (through add_scalar), as the div and add_scalar backward. */
static GF_CLONES void bwd_div(const float *gq, const float *num, const float *dp, float *gnum, float *gden,
                              int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    gnum[i] = (float)(0.0 + (double)gq[i] / dp[i]);
    double bb = dp[i];
    float gdp = (float)(0.0 + -(double)gq[i] * num[i] / (bb * bb));
    gden[i] = (float)(0.0 + (double)gdp);
  }
}

/* d/ds at edge k, column c: the den scatter's contribution first, then the mul's (the tape's order). */
static inline float grad_s(float gden, float gnum, float b) {
  return (float)((double)gden + (double)gnum * b);
}

/*
 * Edges in order, those whose own[k] (src or dst; every edge when own is NULL) is in
 * [o0, o1): every scatter into gBx, gEx, gDx keeps the edge order. Per edge, the
 * sigmoid's input gradient is formed for a chunk of columns first, then each gradient
 * takes it in its own loop: branch-free loops that vectorise (one loop with the optional
 * outputs tested per element ran scalar, ~13 ns per element).
 */
#define BW_CHUNK 256
static GF_CLONES void bwd_edges(const float *Bx, const float *gate, const float *s0, const int32_t *src,
                                const int32_t *dst, const float *gnum, const float *gden, float *gDx, float *gEx,
                                float *gCe, float *gBx, int64_t E, int64_t cols, const int32_t *own, int64_t o0,
                                int64_t o1) {
  const int needG = gDx || gEx || gCe;
  float gg[BW_CHUNK];
  for (int64_t k = 0; k < E; k++) {
    if (own && (own[k] < o0 || own[k] >= o1)) continue;
    const int64_t d = dst[k] * cols, sj = src[k] * cols, o = k * cols;
    for (int64_t cb = 0; cb < cols; cb += BW_CHUNK) {
      const int64_t w = cols - cb < BW_CHUNK ? cols - cb : BW_CHUNK;
      const float *gn = gnum + d + cb, *gd = gden + d + cb, *br = Bx + sj + cb, *yr = s0 + o + cb;
      if (gBx) {
        float *gbr = gBx + sj + cb;
        if (gate) {  /* mul backward into (B x)[src] (s = s0 * gate), then its scatter */
          const float gk = gate[k];
          for (int64_t c = 0; c < w; c++) { float s = yr[c] * gk; gbr[c] += (float)(0.0 + (double)gn[c] * s); }
        } else {
          for (int64_t c = 0; c < w; c++) gbr[c] += (float)(0.0 + (double)gn[c] * yr[c]);
        }
      }
      if (!needG) continue;
      if (gate) {
        const float gk = gate[k];
        for (int64_t c = 0; c < w; c++) {
          float y = yr[c];
          float gs0 = (float)(0.0 + (double)grad_s(gd[c], gn[c], br[c]) * gk);  /* the gate mul's backward */
          gg[c] = (float)(0.0 + (double)gs0 * y * (1.0 - y));                  /* sigmoid backward */
        }
      } else {
        for (int64_t c = 0; c < w; c++) {
          float y = yr[c];
          float gs = grad_s(gd[c], gn[c], br[c]);
          gg[c] = (float)(0.0 + (double)gs * y * (1.0 - y));
        }
      }
      if (gCe) { float *r = gCe + o + cb; for (int64_t c = 0; c < w; c++) r[c] += gg[c]; }
      if (gEx) { float *r = gEx + sj + cb; for (int64_t c = 0; c < w; c++) r[c] += gg[c]; }
      if (gDx) { float *r = gDx + d + cb; for (int64_t c = 0; c < w; c++) r[c] += gg[c]; }
    }
  }
}

/*
 * ggate[k] += sum over c (in order, in double) of d/ds * sigmoid(g): the column-broadcast
 * mul backward. Each edge's sum is a serial chain of double adds (its order is fixed), so
 * one edge at a time is latency-bound (~3 ns per element); GATE_LANES edges run side by
 * side instead, one per vector lane, each still summing its own terms in column order.
 */
#define GATE_LANES 8
#define GATE_CHUNK 128
static GF_CLONES void bwd_gate(const float *Bx, const float *s0, const int32_t *src, const int32_t *dst,
                               const float *gnum, const float *gden, float *ggate, int64_t k0, int64_t k1,
                               int64_t cols) {
  double tb[GATE_LANES * GATE_CHUNK];  /* terms, [lane][column]: each lane's row is computed vectorised */
  for (int64_t kb = k0; kb < k1; kb += GATE_LANES) {
    const int nb = k1 - kb < GATE_LANES ? (int)(k1 - kb) : GATE_LANES;
    double acc[GATE_LANES] = {0};
    for (int64_t cb = 0; cb < cols; cb += GATE_CHUNK) {
      const int64_t w = cols - cb < GATE_CHUNK ? cols - cb : GATE_CHUNK;
      for (int j = 0; j < GATE_LANES; j++) {
        double *t = tb + j * GATE_CHUNK;
        if (j >= nb) { for (int64_t c = 0; c < w; c++) t[c] = 0; continue; }
        const int64_t k = kb + j;
        const float *gn = gnum + (int64_t)dst[k] * cols + cb, *gd = gden + (int64_t)dst[k] * cols + cb;
        const float *br = Bx + (int64_t)src[k] * cols + cb, *yr = s0 + k * cols + cb;
        for (int64_t c = 0; c < w; c++) t[c] = (double)grad_s(gd[c], gn[c], br[c]) * yr[c];
      }
      for (int64_t c = 0; c < w; c++)
        for (int j = 0; j < GATE_LANES; j++) acc[j] += tb[j * GATE_CHUNK + c];
    }
    for (int j = 0; j < nb; j++) ggate[kb + j] = (float)((double)ggate[kb + j] + acc[j]);
  }
}

void gf_gated_gcn_message_backward(const float *Bx, const float *gate, const float *s0, const float *num,
                                   const float *dp, const int32_t *src, const int32_t *dst, const float *gq,
                                   float *work, float *gDx, float *gEx, float *gCe, float *gBx, float *ggate,
                                   int64_t E, int64_t outRows, int64_t cols) {
  int64_t n = outRows * cols;
  float *gnum = work, *gden = work + n;
  int Tn = gf_threads_for((double)n);
#pragma omp parallel num_threads(Tn) if (Tn > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    bwd_div(gq, num, dp, gnum, gden, n * tid / nt, n * (tid + 1) / nt);
  }
  if (gate && ggate) {
    int T = gf_threads_for((double)E * (double)cols);
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      bwd_gate(Bx, s0, src, dst, gnum, gden, ggate, E * tid / nt, E * (tid + 1) / nt, cols);
    }
  }
  if (!gDx && !gEx && !gCe && !gBx) return;
  int T = gf_threads_for((double)E * (double)cols * 2.0);
  if (T <= 1) { bwd_edges(Bx, gate, s0, src, dst, gnum, gden, gDx, gEx, gCe, gBx, E, cols, NULL, 0, 0); return; }
  /* Threaded: the gradients that scatter by source (gBx, gEx) and gCe (one row per edge) by
     owned source rows, gDx by owned destination rows (recomputing the sigmoid's gradient). */
  int64_t srcRows = gf_index_bound(src, E);
#pragma omp parallel num_threads(T)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    if (gEx || gCe || gBx)
      bwd_edges(Bx, gate, s0, src, dst, gnum, gden, NULL, gEx, gCe, gBx, E, cols, src, srcRows * tid / nt,
                srcRows * (tid + 1) / nt);
    if (gDx)
      bwd_edges(Bx, gate, s0, src, dst, gnum, gden, gDx, NULL, NULL, NULL, E, cols, dst, outRows * tid / nt,
                outRows * (tid + 1) / nt);
  }
}
