/*
 * Fused ragged multi-head attention with a multiplicative decay mask (see
 * kernels.ts attentionForward/attentionBackward). Graphs are packed back to back
 * (graphPtr), so the cost is H * sum(n_b^2) * dk, not B * Nmax^2.
 *
 * Work items are (graph, head) pairs, largest graphs first, handed out
 * dynamically to threads (balances n^2 costs). Each item gathers its head's K
 * (transposed, [dk, n]) and V ([n, dk]) into thread-local scratch so the score
 * row of query i is a vector loop over keys j, then does mask, softmax and the
 * weighted sum in one pass. Items write disjoint outputs and each is computed
 * the same way on any thread, so results do not depend on the thread count.
 */
#include "gf.h"
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* exp for x <= ~88 (scores after max-subtraction are <= 0): Cephes-style
   range reduction + degree-6 polynomial, ~1 ulp, written so it vectorises. */
static inline float gf_expf(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float s;
  memcpy(&s, &e, sizeof s);
  return p * s;
}

/* Sum of n floats in 16 independent lanes (vectorises; fixed order), lanes added in double. */
static inline double lane_sum(const float *x, int64_t n) {
  float lane[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int l = 0; l < 16; l++) lane[l] += x[j + l];
  for (int l = 0; j < n; j++, l++) lane[l] += x[j];
  double s = 0;
  for (int l = 0; l < 16; l++) s += lane[l];
  return s;
}

typedef struct {
  const float *q, *k, *v, *mask, *drop, *probs, *gOut;
  float *out, *probsOut, *gq, *gk, *gv, *gMask;
  const int32_t *ptr;
  const int64_t *moff;  /* start of graph b's mask block */
  int64_t H, dk;
  float scale;
} Att;

/* Kt[d*n + j] = K_h[j, d]; Vr[j*dk + d] = V_h[j, d] (also used for K rows). */
static void gather_head(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk,
                        float *rows, float *cols) {
  for (int64_t j = 0; j < n; j++) {
    const float *r = src + (s0 + j) * HD + off;
    if (rows) memcpy(rows + j * dk, r, (size_t)dk * sizeof(float));
    if (cols) for (int64_t d = 0; d < dk; d++) cols[d * n + j] = r[d];
  }
}

/* sr[j] = sum_d qi[d] * Kt[d*n + j] */
static inline void score_row(const float *qi, const float *Kt, int64_t n, int64_t dk, float *sr) {
  for (int64_t j = 0; j < n; j++) sr[j] = 0.0f;
  for (int64_t d = 0; d < dk; d++) {
    float qd = qi[d];
    const float *kr = Kt + d * n;
    for (int64_t j = 0; j < n; j++) sr[j] += qd * kr[j];
  }
}

static GF_CLONES void fwd_item(const Att *A, int64_t b, int64_t h, float *Kt, float *V, float *sr) {
  int64_t s0 = A->ptr[b], n = A->ptr[b + 1] - s0, dk = A->dk, HD = A->H * dk, off = h * dk;
  if (n == 0) return;
  gather_head(A->k, s0, n, HD, off, dk, NULL, Kt);
  gather_head(A->v, s0, n, HD, off, dk, V, NULL);
  float scale = A->scale;
  for (int64_t i = 0; i < n; i++) {
    const float *qi = A->q + (s0 + i) * HD + off;
    int64_t ro = A->moff[b] + (h * n + i) * n;
    const float *mr = A->mask + ro;
    float *pr = A->probsOut + ro;
    score_row(qi, Kt, n, dk, sr);
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
      float s = sr[j] * scale * mr[j];
      sr[j] = s;
      mx = s > mx ? s : mx;
    }
    if (mx == -INFINITY) mx = 0.0f;
    for (int64_t j = 0; j < n; j++) pr[j] = gf_expf(sr[j] - mx);
    float inv = (float)(1.0 / lane_sum(pr, n));
    for (int64_t j = 0; j < n; j++) pr[j] *= inv;
    float *o = A->out + (s0 + i) * HD + off;
    for (int64_t d = 0; d < dk; d++) o[d] = 0.0f;
    for (int64_t j = 0; j < n; j++) {
      float w = A->drop ? pr[j] * A->drop[ro + j] : pr[j];
      const float *vr = V + j * dk;
      for (int64_t d = 0; d < dk; d++) o[d] += w * vr[d];
    }
  }
}

static GF_CLONES void bwd_item(const Att *A, int64_t b, int64_t h, float *Kt, float *Kr, float *Vt,
                               float *gK, float *gV, float *dp, float *raw) {
  int64_t s0 = A->ptr[b], n = A->ptr[b + 1] - s0, dk = A->dk, HD = A->H * dk, off = h * dk;
  if (n == 0) return;
  int wantQKM = A->gq || A->gk || A->gMask;
  gather_head(A->v, s0, n, HD, off, dk, NULL, Vt);
  if (wantQKM) gather_head(A->k, s0, n, HD, off, dk, Kr, Kt);
  memset(gK, 0, (size_t)(n * dk) * sizeof(float));
  memset(gV, 0, (size_t)(n * dk) * sizeof(float));
  float scale = A->scale;
  for (int64_t i = 0; i < n; i++) {
    const float *qi = A->q + (s0 + i) * HD + off, *gi = A->gOut + (s0 + i) * HD + off;
    int64_t ro = A->moff[b] + (h * n + i) * n;
    const float *pr = A->probs + ro, *mr = A->mask + ro, *dr = A->drop ? A->drop + ro : NULL;
    /* dP_ij = (gOut_i . v_j) * D_ij; rowDot = sum_j P_ij dP_ij */
    score_row(gi, Vt, n, dk, dp);
    if (dr) for (int64_t j = 0; j < n; j++) dp[j] *= dr[j];
    for (int64_t j = 0; j < n; j++) raw[j] = pr[j] * dp[j];
    float rowDot = (float)lane_sum(raw, n);
    if (A->gv) {
      for (int64_t j = 0; j < n; j++) {
        float w = dr ? pr[j] * dr[j] : pr[j];
        float *gvr = gV + j * dk;
        for (int64_t d = 0; d < dk; d++) gvr[d] += w * gi[d];
      }
    }
    if (!wantQKM) continue;
    score_row(qi, Kt, n, dk, raw);  /* raw_ij = q_i . k_j */
    float gqr[64];
    float *gqrow = A->gq ? A->gq + (s0 + i) * HD + off : NULL;
    for (int64_t j = 0; j < n; j++) {
      float ds = pr[j] * (dp[j] - rowDot);
      if (A->gMask) A->gMask[ro + j] += ds * raw[j] * scale;
      dp[j] = ds * mr[j] * scale;  /* dRaw_ij, reusing dp */
    }
    if (A->gk) {
      for (int64_t j = 0; j < n; j++) {
        float w = dp[j];
        float *gkr = gK + j * dk;
        for (int64_t d = 0; d < dk; d++) gkr[d] += w * qi[d];
      }
    }
    if (gqrow) {
      /* gq_i += sum_j dRaw_ij k_j, in dk blocks of 64 held in a local row */
      for (int64_t d0 = 0; d0 < dk; d0 += 64) {
        int64_t w = dk - d0 < 64 ? dk - d0 : 64;
        for (int64_t d = 0; d < w; d++) gqr[d] = 0.0f;
        for (int64_t j = 0; j < n; j++) {
          float a = dp[j];
          const float *kr = Kr + j * dk + d0;
          for (int64_t d = 0; d < w; d++) gqr[d] += a * kr[d];
        }
        for (int64_t d = 0; d < w; d++) gqrow[d0 + d] += gqr[d];
      }
    }
  }
  for (int64_t j = 0; j < n; j++) {
    int64_t o = (s0 + j) * HD + off;
    if (A->gk) for (int64_t d = 0; d < dk; d++) A->gk[o + d] += gK[j * dk + d];
    if (A->gv) for (int64_t d = 0; d < dk; d++) A->gv[o + d] += gV[j * dk + d];
  }
}

typedef struct { int64_t cost, b; } Ord;
static int by_cost_desc(const void *x, const void *y) {
  const Ord *a = x, *b = y;
  if (a->cost != b->cost) return a->cost > b->cost ? -1 : 1;
  return a->b < b->b ? -1 : a->b > b->b;
}

/* Shared driver: 0 = forward, 1 = backward. */
static int run(Att *A, int64_t B, int backward) {
  int64_t H = A->H, dk = A->dk, maxn = 0;
  int64_t *moff = malloc((size_t)(B + 1) * sizeof(int64_t));
  Ord *ord = malloc((size_t)(B > 0 ? B : 1) * sizeof(Ord));
  if (!moff || !ord) { free(moff); free(ord); return -1; }
  moff[0] = 0;
  double work = 0;
  for (int64_t b = 0; b < B; b++) {
    int64_t n = A->ptr[b + 1] - A->ptr[b];
    moff[b + 1] = moff[b] + H * n * n;
    if (n > maxn) maxn = n;
    ord[b].cost = n * n; ord[b].b = b;
    work += (double)(n * n) * (double)(H * (dk + 8));
  }
  qsort(ord, (size_t)B, sizeof(Ord), by_cost_desc);
  A->moff = moff;
  int64_t items = B * H;
  int T = gf_threads_for(work * 2.0);
  if (T > items) T = (int)(items > 0 ? items : 1);
  int oom = 0;
  size_t nd = (size_t)(maxn * dk) + 16, nn = (size_t)maxn + 16;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    float *buf = malloc((5 * nd + 2 * nn) * sizeof(float));
    if (!buf) {
#pragma omp atomic write
      oom = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; it++) {
      if (!buf) continue;
      int64_t b = ord[it / H].b, h = it % H;
      float *s1 = buf, *s2 = s1 + nd, *s3 = s2 + nd, *s4 = s3 + nd, *s5 = s4 + nd, *r1 = s5 + nd, *r2 = r1 + nn;
      if (backward) bwd_item(A, b, h, s1, s2, s3, s4, s5, r1, r2);
      else fwd_item(A, b, h, s1, s2, r1);
    }
    free(buf);
  }
  free(moff);
  free(ord);
  return oom ? -1 : 0;
}

int gf_attention_forward(const float *q, const float *k, const float *v, const float *mask,
                         const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                         const float *drop, float *out, float *probs) {
  Att A = {.q = q, .k = k, .v = v, .mask = mask, .drop = drop, .out = out, .probsOut = probs,
           .ptr = graphPtr, .H = H, .dk = dk, .scale = (float)scale};
  return run(&A, B, 0);
}

int gf_attention_backward(const float *q, const float *k, const float *v, const float *mask,
                          const int32_t *graphPtr, int64_t B, int64_t H, int64_t dk, double scale,
                          const float *drop, const float *probs, const float *gOut,
                          float *gq, float *gk, float *gv, float *gMask) {
  Att A = {.q = q, .k = k, .v = v, .mask = mask, .drop = drop, .probs = probs, .gOut = gOut,
           .gq = gq, .gk = gk, .gv = gv, .gMask = gMask, .ptr = graphPtr, .H = H, .dk = dk,
           .scale = (float)scale};
  return run(&A, B, 1);
}
