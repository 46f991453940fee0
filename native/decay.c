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
