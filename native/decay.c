/*
 * Fused decay mask (Gradformer's M = gamma ** leaky_relu(psi - hop_h, slope)).
 *
 * Distances are small integers, so every mask value of head h with distance d is
 * the same number: the caller (src/tensor/ops.ts decayMask) computes a per-head
 * table T[h*D + d] once (H*D values, D = max distance + 1) and these kernels only
 * do the layout work that the former chain (maskLayout + gatherRows + sub +
 * leakyRelu + powBase, 5 passes over H*sum n^2 floats, plus their backwards) did:
 *  - forward: expand the packed [n_b, n_b] distance blocks to [H, n_b, n_b] mask
 *    blocks by table lookup;
 *  - backward: bucket the upstream gradient by (head, distance) in double, from
 *    which dL/dhop_h and dL/dlog(gamma_h) are O(H*D) sums.
 * Distances were validated (< D) by the caller (addon.c).
 */
#include <math.h>
#include "gf.h"

void gf_decay_mask(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *table, int64_t D,
                   float *out) {
  int64_t o = 0;
  for (int64_t b = 0; b < B; b++) {
    const uint16_t *s = spd + spdPtr[b];
    int64_t len = (int64_t)spdPtr[b + 1] - spdPtr[b];
    for (int64_t h = 0; h < H; h++) {
      const float *t = table + h * D;
      float *dst = out + o;
      for (int64_t i = 0; i < len; i++) dst[i] = t[s[i]];
      o += len;
    }
  }
}

void gf_decay_mask_backward(const uint16_t *spd, const int32_t *spdPtr, int64_t B, int64_t H, const float *g,
                            int64_t D, double *sums) {
  int64_t o = 0;
  for (int64_t b = 0; b < B; b++) {
    const uint16_t *s = spd + spdPtr[b];
    int64_t len = (int64_t)spdPtr[b + 1] - spdPtr[b];
    for (int64_t h = 0; h < H; h++) {
      double *acc = sums + h * D;
      const float *gg = g + o;
      for (int64_t i = 0; i < len; i++) acc[s[i]] += (double)gg[i];
      o += len;
    }
  }
}

/* The table itself, where hop lives (src/tensor/kernels.ts decayTable): each step rounded to float
   as the unfused chain (float sub, leaky_relu, then pow or mul + exp). */
static void decay_entry(float hv, int64_t d, double slope, float *pre, float *e) {
  *pre = (float)((double)d - (double)hv);
  *e = *pre > 0 ? *pre : (float)(slope * (double)*pre);
}

void gf_decay_table(const float *hop, const float *logGamma, int64_t H, int64_t D, double gamma, double slope,
                    float *table) {
  for (int64_t h = 0; h < H; h++)
    for (int64_t d = 0; d < D; d++) {
      float pre, e;
      decay_entry(hop[h], d, slope, &pre, &e);
      table[h * D + d] = logGamma == NULL ? (float)pow(gamma, (double)e)
                                          : (float)exp((double)(float)((double)e * (double)logGamma[h]));
    }
}

/* dL/dhop_h and dL/dlog(gamma_h) from the bucket sums, in double in d order (the TS twin's order). */
void gf_decay_table_backward(const double *sums, const float *hop, const float *logGamma, int64_t H, int64_t D,
                             double gamma, double slope, float *gHop, float *gLog) {
  double lnGamma = log(gamma);
  for (int64_t h = 0; h < H; h++) {
    double lg = logGamma == NULL ? lnGamma : (double)logGamma[h], gh = 0, gl = 0;
    for (int64_t d = 0; d < D; d++) {
      double S = sums[h * D + d];
      if (S == 0) continue;
      float pre, e;
      decay_entry(hop[h], d, slope, &pre, &e);
      float t = logGamma == NULL ? (float)pow(gamma, (double)e) : (float)exp((double)(float)((double)e * lg));
      double dz = S * (double)t; /* dL/d(e * log gamma) */
      gh -= dz * lg * (pre > 0 ? 1.0 : slope);
      gl += dz * (double)e;
    }
    if (gHop) gHop[h] += (float)gh;
    if (gLog) gLog[h] += (float)gl;
  }
}
