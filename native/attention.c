/*
 * Fused ragged multi-head attention with a multiplicative decay mask (see
 * kernels.ts attentionForward/attentionBackward). Graphs are packed back to back
 * (graphPtr), so the cost is H * sum(n_b^2) * dk, not B * Nmax^2.
 *
 * Work items are (graph, head) pairs, largest graphs first, handed out
 * dynamically to threads (balances n^2 costs). Within an item every product is
 * a small GEMM on the register-blocked micro-kernel of matmul.c (S = Q K^T,
 * out = P V; backward gOut V^T, dRaw K, dRaw^T Q, P^T gOut) over the head's
 * rows gathered into zero-padded thread-local scratch; mask, softmax and the
 * softmax backward are vector loops over score rows (on CPUs with AVX-512: over
 * 16 rows at a time, attention_avx512.c, with the same bits). Items write disjoint
 * outputs and each is computed the same way on any thread, so results do not
 * depend on the thread count.
 */
#include "gf.h"
#include "attention.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* exp for x <= ~88 (scores after max-subtraction are <= 0): Cephes-style
   range reduction + degree-6 polynomial, ~1 ulp. Rounds with the 1.5*2^23 trick
   instead of floorf so the loop vectorises (no libm call). exp16 in attention_avx512.c
   is the same operations on 16 lanes: change neither alone (the bits must agree). */
static inline float gf_expf(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  /* round(x / ln 2) */
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

/* Head h of graph rows [s0, s0+n) of src [N, H, dk]: transposed into t[d*npad + j] (zero beyond n)
   and/or copied into rows r[j*DKP + d] (zero beyond dk), so the GEMM micro-kernel may load whole vectors. */
static void gather_head(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk,
                        float *t, int64_t npad, float *r, int64_t DKP) {
  if (t) for (int64_t d = 0; d < dk; d++) memset(t + d * npad + n, 0, (size_t)(npad - n) * sizeof(float));
  for (int64_t j = 0; j < n; j++) {
    const float *x = src + (s0 + j) * HD + off;
    if (t) for (int64_t d = 0; d < dk; d++) t[d * npad + j] = x[d];
    if (r) {
      memcpy(r + j * DKP, x, (size_t)dk * sizeof(float));
      memset(r + j * DKP + dk, 0, (size_t)(DKP - dk) * sizeof(float));
    }
  }
}

/* Head h's rows of src as the B operand of a GEMM: when dk is a whole number of 16-wide
   vectors the GEMM reads them in place (row stride H*dk; it reads exactly dk floats a
   row), otherwise they are copied, zero-padded to DKP columns, into r. */
static const float *rows_of(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk, float *r) {
  if (dk % 16 == 0) return src + s0 * HD + off;
  gather_head(src, s0, n, HD, off, dk, NULL, 0, r, (dk + 15) & ~(int64_t)15);
  return r;
}

/* gather_head's transpose only, by 16 x 16 blocks where the CPU and dk allow. */
static void transpose_head(const Att *A, const float *src, int64_t s0, int64_t n, int64_t off, float *t, int64_t npad) {
  int64_t dk = A->dk, HD = A->H * dk;
#ifdef GF_ATT16
  if (A->rows16 && dk % 16 == 0) { att16_transpose_head(src, s0, n, HD, off, dk, t, npad); return; }
#endif
  gather_head(src, s0, n, HD, off, dk, t, npad, NULL, 0);
}

/* tmp holds npad (a multiple of 16, >= n) floats. */
static GF_CLONES void softmax_row(const float *sr, const float *mr, float scale, int64_t n, int64_t npad, float *pr,
                                  float *tmp) {
  /* max in 16 lanes (vectorises; NaN scores are skipped as in the TS twin) */
  float lm[16];
  for (int l = 0; l < 16; l++) lm[l] = -INFINITY;
  int64_t j0 = 0;
  for (; j0 + 16 <= n; j0 += 16)
    for (int l = 0; l < 16; l++) {
      float s = sr[j0 + l] * scale * mr[j0 + l];
      tmp[j0 + l] = s;
      lm[l] = s > lm[l] ? s : lm[l];
    }
  for (int l = 0; j0 < n; j0++, l++) {
    float s = sr[j0] * scale * mr[j0];
    tmp[j0] = s;
    lm[l] = s > lm[l] ? s : lm[l];
  }
  float mx = -INFINITY;
  for (int l = 0; l < 16; l++) mx = lm[l] > mx ? lm[l] : mx;
  if (mx == -INFINITY) mx = 0.0f;
  /* exp over whole 16-wide vectors: the padding (set to mx, exp 1) is zeroed before the
     sum. Rows are short (n ~ 23-30), and a scalar epilogue of up to 15 exps per row was
     most of the softmax time. Entries j < n are computed exactly as before. */
  for (int64_t j = n; j < npad; j++) tmp[j] = mx;
  for (int64_t jb = 0; jb < npad; jb += 16)
    for (int l = 0; l < 16; l++) tmp[jb + l] = gf_expf(tmp[jb + l] - mx);
  for (int64_t j = n; j < npad; j++) tmp[j] = 0.0f;
  float inv = (float)(1.0 / lane_sum(tmp, n));
  for (int64_t j = 0; j < n; j++) pr[j] = tmp[j] * inv;
}

/* P = softmax(S * scale * M) into probsOut's block at base, S <- P o D with dropout. */
static void softmax_item(const Att *A, int64_t n, int64_t npad, int64_t base, const Scratch *w) {
#ifdef GF_ATT16
  if (A->rows16) { att16_softmax(A, n, npad, base, w->S, w->loc); return; }
#endif
  for (int64_t i = 0; i < n; i++) {
    int64_t ro = base + i * n;
    float *pr = A->probsOut + ro, *sr = w->S + i * npad;
    softmax_row(sr, A->mask + ro, A->scale, n, npad, pr, w->R);
    if (A->drop) for (int64_t j = 0; j < n; j++) sr[j] = pr[j] * A->drop[ro + j];
  }
}

/* S = Q K^T, P = softmax(S * scale * M), out = (P * D) V for one (graph, head). */
static void fwd_item(const Att *A, int64_t b, int64_t h, const Scratch *w) {
  int64_t s0 = A->ptr[b], n = A->ptr[b + 1] - s0, dk = A->dk, HD = A->H * dk, off = h * dk;
  if (n == 0) return;
  int64_t npad = (n + 15) & ~(int64_t)15, DKP = (dk + 15) & ~(int64_t)15;
  transpose_head(A, A->k, s0, n, off, w->Kt, npad);
  const float *Vr = rows_of(A->v, s0, n, HD, off, dk, w->Vp);
  /* npad columns: Kt is zero beyond n and S has npad columns, so the GEMM takes
     whole 16-wide vectors (no ragged-edge scratch tile per call); S[:, n:] = 0 is unused. */
  gf_gemm_serial(n, npad, dk, A->q + s0 * HD + off, HD, 1, w->Kt, npad, w->S, npad, 0);
  int64_t base = A->moff[b] + h * n * n;
  softmax_item(A, n, npad, base, w);
  /* out_h = (P o D) V */
  int64_t ldv = Vr == w->Vp ? DKP : HD;
  if (A->drop) gf_gemm_serial(n, dk, n, w->S, npad, 1, Vr, ldv, A->out + s0 * HD + off, HD, 0);
  else gf_gemm_serial(n, dk, n, A->probsOut + base, n, 1, Vr, ldv, A->out + s0 * HD + off, HD, 0);
}

/* att16_softmax_backward (attention_avx512.c) reproduces this function's bits, including
   where GCC's vectorisation of its loops fuses products: keep the two in step. */
static GF_CLONES void bwd_rows(const Att *A, int64_t n, int64_t npad, int64_t base, const Scratch *w, int wantQKM) {
  float scale = A->scale;
  for (int64_t i = 0; i < n; i++) {
    int64_t ro = base + i * n;
    const float *pr = A->probs + ro, *mr = A->mask + ro, *dr = A->drop ? A->drop + ro : NULL;
    float *dp = w->S + i * npad, *raw = w->R + i * npad, *pd = w->W + i * npad;
    /* dP_ij = (gOut_i . v_j) D_ij; rowDot = sum_j P_ij dP_ij */
    if (dr) for (int64_t j = 0; j < n; j++) dp[j] *= dr[j];
    if (dr) for (int64_t j = 0; j < n; j++) pd[j] = pr[j] * dr[j];
    float lane[16] = {0};
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
      for (int l = 0; l < 16; l++) lane[l] += pr[j + l] * dp[j + l];
    for (int l = 0; j < n; j++, l++) lane[l] += pr[j] * dp[j];
    double s = 0;
    for (int l = 0; l < 16; l++) s += lane[l];
    float rowDot = (float)s;
    if (!wantQKM) continue;
    /* dS = P (dP - rowDot); gMask += dS raw scale; dRaw = dS M scale (kept in dp) */
    if (A->gMask) {
      float *gm = A->gMask + ro;
      for (int64_t jj = 0; jj < n; jj++) gm[jj] += pr[jj] * (dp[jj] - rowDot) * raw[jj] * scale;
    }
    for (int64_t jj = 0; jj < n; jj++) dp[jj] = pr[jj] * (dp[jj] - rowDot) * mr[jj] * scale;
  }
}

static void bwd_item(const Att *A, int64_t b, int64_t h, const Scratch *w) {
  int64_t s0 = A->ptr[b], n = A->ptr[b + 1] - s0, dk = A->dk, HD = A->H * dk, off = h * dk;
  if (n == 0) return;
  int64_t npad = (n + 15) & ~(int64_t)15, DKP = (dk + 15) & ~(int64_t)15;
  int wantQKM = A->gq || A->gk || A->gMask;
  int64_t base = A->moff[b] + h * n * n, ro0 = s0 * HD + off;
  transpose_head(A, A->v, s0, n, off, w->Vt, npad);
  const float *Gr = A->gv ? rows_of(A->gOut, s0, n, HD, off, dk, w->Gp) : NULL, *Kr = NULL, *Qr = NULL;
  if (wantQKM) {
    Kr = rows_of(A->k, s0, n, HD, off, dk, w->Kp);
    Qr = rows_of(A->q, s0, n, HD, off, dk, w->Qp);
  }
  /* raw = Q K^T (npad columns: see fwd_item): only gMask reads it */
  if (A->gMask) {
    transpose_head(A, A->k, s0, n, off, w->Kt, npad);
    gf_gemm_serial(n, npad, dk, A->q + ro0, HD, 1, w->Kt, npad, w->R, npad, 0);
  }
  int64_t ldr = dk % 16 == 0 ? HD : DKP;  /* row stride of Gr, Kr, Qr (see rows_of) */
  gf_gemm_serial(n, npad, dk, A->gOut + ro0, HD, 1, w->Vt, npad, w->S, npad, 0);  /* gOut V^T */
#ifdef GF_ATT16
  if (A->rows16) att16_softmax_backward(A, n, npad, base, w, wantQKM);
  else bwd_rows(A, n, npad, base, w, wantQKM);
#else
  bwd_rows(A, n, npad, base, w, wantQKM);
#endif
  /* gv += (P o D)^T gOut */
  if (A->gv) {
    if (A->drop) gf_gemm_serial(n, dk, n, w->W, 1, npad, Gr, ldr, A->gv + ro0, HD, 1);
    else gf_gemm_serial(n, dk, n, A->probs + base, 1, n, Gr, ldr, A->gv + ro0, HD, 1);
  }
  if (A->gq) gf_gemm_serial(n, dk, n, w->S, npad, 1, Kr, ldr, A->gq + ro0, HD, 1);  /* dRaw K */
  if (A->gk) gf_gemm_serial(n, dk, n, w->S, 1, npad, Qr, ldr, A->gk + ro0, HD, 1);  /* dRaw^T Q */
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
#ifdef GF_ATT16
  A->rows16 = att16_available();
#endif
  int64_t items = B * H;
  int T = gf_threads_for(work * 2.0);
  if (T > items) T = (int)(items > 0 ? items : 1);
  int oom = 0;
  size_t npad = (size_t)((maxn + 15) & ~(int64_t)15), DKP = (size_t)((dk + 15) & ~(int64_t)15);
  size_t nt = (size_t)dk * npad + 16, nr = (size_t)maxn * DKP + 16, nsq = (size_t)maxn * npad + 16;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    float *buf = malloc((2 * nt + 4 * nr + 3 * nsq + 4 * npad) * sizeof(float));
    Scratch w = {0};
    if (buf) {
      w.Kt = buf; w.Vt = w.Kt + nt; w.Kp = w.Vt + nt; w.Qp = w.Kp + nr; w.Gp = w.Qp + nr; w.Vp = w.Gp + nr;
      w.S = w.Vp + nr; w.R = w.S + nsq; w.W = w.R + nsq; w.loc = w.W + nsq;
    }
    if (!buf) {
#pragma omp atomic write
      oom = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t it = 0; it < items; it++) {
      if (!buf) continue;
      int64_t b = ord[it / H].b, h = it % H;
      if (backward) bwd_item(A, b, h, &w);
      else fwd_item(A, b, h, &w);
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
