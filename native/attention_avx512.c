/*
 * The attention softmax and its backward 16 score rows at a time, for CPUs with
 * AVX-512 (attention.c calls these when att16_available(), else its row-at-a-time
 * GF_CLONES code). With rows in a block, each row's reductions (the max and the
 * 16 lane sums added in double, in order) run as vector operations across rows
 * after a 16 x 16 register transpose, instead of as scalar chains per row: on a
 * ZINC-sized batch the forward takes ~0.45x and the backward ~0.8x the CPU time
 * (PERFORMANCE round 13). Every entry is computed by the same operations, with
 * the same fused multiply-adds, as the avx512f clone of the row-at-a-time code,
 * so results are bit-identical (runs in progress resume across builds). Only
 * there: on AVX2 the 16-wide shuffles and selects lower to scalar code, slower
 * than the row-at-a-time clones.
 */
#include "attention.h"
#ifdef GF_ATT16
#include "gf.h"
#include <math.h>
#include <string.h>

/* Compiled for the baseline ISA: it runs on every CPU, to decide. */
int att16_available(void) { return gf_cpu_avx512f(); }

/* Everything below is compiled for AVX-512F (with FMA), as GF_CLONES' avx512f clone. */
#pragma GCC target("avx512f")

/* 16 floats (or ints, or 8 doubles) in one vector; the u variant loads and stores unaligned.
   The helpers are always inlined into the kernels below (a call would pass vectors through
   memory). */
#define AINLINE inline __attribute__((always_inline))
typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));

static AINLINE v16 ld16(const float *p) { return *(const v16u *)p; }
static AINLINE void st16(float *p, v16 x) { *(v16u *)p = x; }
static AINLINE v16 bc16(float x) { return (v16){0} + x; }
/* m ? a : b per lane (m from a vector compare: all ones or all zeros). */
static AINLINE v16 sel16(v16i m, v16 a, v16 b) { return (v16)((m & (v16i)a) | (~m & (v16i)b)); }
/* Lanes [0, k) of a 16-wide block (k >= 16: all). */
static AINLINE v16i first16(int64_t k) {
  const v16i iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  return iota < (v16i){0} + (int32_t)(k < 16 ? k : 16);
}

/* gf_expf of attention.c on 16 lanes: the same operations in the same order, on which the
   probabilities' bits depend (change neither alone). */
static AINLINE v16 exp16(v16 x) {
  x = sel16(x < bc16(-87.0f), bc16(-87.0f), x);
  x = sel16(x > bc16(88.0f), bc16(88.0f), x);
  v16 n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  v16 r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  v16 p = bc16(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  v16i e = (__builtin_convertvector(n, v16i) + 127) << 23;
  return p * (v16)e;
}

/* x[r][c] <- x[c][r]: four rounds of swapping off-diagonal blocks (8, 4, 2, 1 wide)
   between rows a and a + s, 64 two-vector shuffles. */
#define LANES(...) __VA_ARGS__
#define SWAP16(s, LO, HI)                                                        \
  for (int a = 0; a < 16; a++)                                                   \
    if (!(a & (s))) {                                                            \
      v16 u = x[a], w = x[a + (s)];                                              \
      x[a] = __builtin_shufflevector(u, w, LANES LO);                            \
      x[a + (s)] = __builtin_shufflevector(u, w, LANES HI);                      \
    }
static AINLINE void transpose16(v16 x[16]) {
  SWAP16(8, (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
         (8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
  SWAP16(4, (0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
         (4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))
  SWAP16(2, (0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
         (2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))
  SWAP16(1, (0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
         (1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))
}
#undef SWAP16
#undef LANES

/* By 16 x 16 blocks in registers. */
void att16_transpose_head(const float *src, int64_t s0, int64_t n, int64_t HD, int64_t off, int64_t dk,
                          float *t, int64_t npad) {
  for (int64_t j0 = 0; j0 < npad; j0 += 16)
    for (int64_t c0 = 0; c0 < dk; c0 += 16) {
      v16 x[16];
      for (int64_t j = 0; j < 16; j++) x[j] = j0 + j < n ? ld16(src + (s0 + j0 + j) * HD + off + c0) : (v16){0};
      transpose16(x);
      for (int64_t c = 0; c < 16; c++) st16(t + (c0 + c) * npad + j0, x[c]);
    }
}

/* Per-row sums of 16 rows' lane partials x[r] (lane l: the row's entries j = l mod 16, summed
   in j order), each row's 16 lanes added in double in lane order from 0 (the order the
   results' bits depend on): transposed, the 16 in-order additions run for all 16 rows at
   once. Returns (float)sum, or (float)(1 / sum) with invert, per row. */
static AINLINE v16 lane_sums16(v16 x[16], int invert) {
  transpose16(x);
  v8d lo = {0}, hi = {0};
  for (int l = 0; l < 16; l++) {
    lo += __builtin_convertvector(__builtin_shufflevector(x[l], x[l], 0, 1, 2, 3, 4, 5, 6, 7), v8d);
    hi += __builtin_convertvector(__builtin_shufflevector(x[l], x[l], 8, 9, 10, 11, 12, 13, 14, 15), v8d);
  }
  if (invert) { lo = 1.0 / lo; hi = 1.0 / hi; }
  v8f fl = __builtin_convertvector(lo, v8f), fh = __builtin_convertvector(hi, v8f);
  return __builtin_shufflevector(fl, fh, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* Row i's n entries of an [n, n] block row-major at `row`, readable as npad floats: in place
   when whole vectors stay inside the block (they then read the next row's head, never used),
   else copied into loc (zero beyond n). */
static inline const float *row_in(const float *row, int64_t i, int64_t n, int64_t npad, float *loc) {
  if (i * n + npad <= n * n) return row;
  memcpy(loc, row, (size_t)n * sizeof(float));
  memset(loc + n, 0, (size_t)(npad - n) * sizeof(float));
  return loc;
}

/* The softmax of one (graph, head): P = softmax(S * scale * M) row by row into probsOut's
   block at base, and S <- P o D when there is dropout (S [n, npad], columns >= n are 0;
   loc: 3 * npad floats of scratch).
   Per row exactly the arithmetic of softmax_row in attention.c (scores (s * scale) * m; max;
   exp of score - max; 16 float lane sums in j order, added in double; p = e * (float)(1 /
   sum)), but 16 rows at a time, so the two per-row lane reductions (max and the in-order
   double sum) are a transpose and vector operations across rows instead of scalar chains. */
void att16_softmax(const Att *A, int64_t n, int64_t npad, int64_t base, float *S, float *loc) {
  const v16 ninf = bc16(-INFINITY), zero = {0};
  const v16i tail = first16(n - (npad - 16));  /* valid lanes of a row's last vector */
  float *mloc = loc, *dloc = loc + npad, *ploc = loc + 2 * npad;  /* rows near the block's end */
  float mxs[16] __attribute__((aligned(64))), invs[16] __attribute__((aligned(64)));
  for (int64_t i0 = 0; i0 < n; i0 += 16) {
    int64_t R = n - i0 < 16 ? n - i0 : 16;
    v16 part[16];
    /* scores, and each row's running max in 16 lanes (NaN scores skipped; padding -inf) */
    for (int64_t r = 0; r < 16; r++) {
      v16 m = ninf;
      if (r < R) {
        int64_t i = i0 + r;
        const float *mr = row_in(A->mask + base + i * n, i, n, npad, mloc);
        float *sr = S + i * npad;
        for (int64_t jb = 0; jb < npad; jb += 16) {
          v16 s = ld16(sr + jb) * A->scale * ld16(mr + jb);
          if (jb + 16 == npad) s = sel16(tail, s, ninf);
          st16(sr + jb, s);
          m = sel16(s > m, s, m);
        }
      }
      part[r] = m;
    }
    transpose16(part);
    v16 mx = part[0];
    for (int l = 1; l < 16; l++) mx = sel16(part[l] > mx, part[l], mx);
    st16(mxs, sel16(mx == ninf, zero, mx));
    /* exp(score - max) (0 on the padding) and each row's lane partial sums */
    for (int64_t r = 0; r < 16; r++) {
      v16 acc = zero;
      if (r < R) {
        float *sr = S + (i0 + r) * npad;
        v16 m = bc16(mxs[r]);
        for (int64_t jb = 0; jb < npad; jb += 16) {
          v16 e = exp16(ld16(sr + jb) - m);
          if (jb + 16 == npad) e = sel16(tail, e, zero);
          st16(sr + jb, e);
          acc += e;
        }
      }
      part[r] = acc;
    }
    st16(invs, lane_sums16(part, 1));
    /* P = e * inv into probsOut (rows in order: a whole-vector store spills into the next
       row, written after it; the block's last rows go through ploc), S <- P o D */
    for (int64_t r = 0; r < R; r++) {
      int64_t i = i0 + r, ro = base + i * n;
      float *sr = S + i * npad, *pr = i * n + npad <= n * n ? A->probsOut + ro : ploc;
      const float *dr = A->drop ? row_in(A->drop + ro, i, n, npad, dloc) : NULL;
      v16 inv = bc16(invs[r]);
      for (int64_t jb = 0; jb < npad; jb += 16) {
        v16 p = ld16(sr + jb) * inv;
        st16(pr + jb, p);
        if (dr) st16(sr + jb, p * ld16(dr + jb));
      }
      if (pr == ploc) memcpy(A->probsOut + ro, ploc, (size_t)n * sizeof(float));
    }
  }
}

/* x, opaque to the compiler (no-op). */
static AINLINE v16 opaque(v16 x) {
#if defined(__GNUC__) && !defined(__wasm__)
  __asm__("" : "+m"(x));
#endif
  return x;
}
/* a * b that the compiler cannot fuse into the add using it (-ffp-contract=fast fuses
   a * b + c wherever the ISA has FMA), nor share with a fused a * b elsewhere. */
static AINLINE v16 mul_unfused(v16 a, v16 b) { return opaque(opaque(a) * b); }

/* The softmax backward of one (graph, head), 16 rows at a time as att16_softmax: per row
   dP <- dP o D (in S), W <- P o D, rowDot = sum_j P dP (16 float lanes in j order, added in
   double), then gMask += P (dP - rowDot) raw scale and S <- dRaw = P (dP - rowDot) M scale,
   each entry by the same operations as bwd_rows in attention.c. S, R, W: [n, npad].
   Those operations include where products are fused: GCC vectorises bwd_rows' loops (j < n)
   in 16-wide steps, then an 8-wide step, then scalars; in its avx512f clone the 8-wide step
   does not fuse multiply and add, the others do. So when a row's last vector holds 8 to 15
   entries, its lanes 0-7 add an unfused product here too (`half`): probed on the build
   entry by entry (test/helpers/kernel_agreement.ts), and the only way to the same bits. */
void att16_softmax_backward(const Att *A, int64_t n, int64_t npad, int64_t base, const Scratch *w, int wantQKM) {
  const v16 zero = {0};
  const v16i tail = first16(n - (npad - 16));  /* valid lanes of a row's last vector */
  const v16i half = n % 16 >= 8 ? first16(8) : (v16i){0};  /* its lanes with unfused products */
  float *ploc = w->loc, *mloc = ploc + npad, *dloc = mloc + npad, *gloc = dloc + npad;
  float dots[16] __attribute__((aligned(64)));
  for (int64_t i0 = 0; i0 < n; i0 += 16) {
    int64_t R = n - i0 < 16 ? n - i0 : 16;
    v16 part[16];
    for (int64_t r = 0; r < 16; r++) {
      v16 acc = zero;
      if (r < R) {
        int64_t i = i0 + r, ro = base + i * n;
        const float *pr = row_in(A->probs + ro, i, n, npad, ploc);
        const float *dr = A->drop ? row_in(A->drop + ro, i, n, npad, dloc) : NULL;
        float *dp = w->S + i * npad, *pd = w->W + i * npad;
        for (int64_t jb = 0; jb < npad; jb += 16) {
          v16 p = ld16(pr + jb), d = ld16(dp + jb);
          if (dr) {
            v16 k = ld16(dr + jb);
            d = d * k;
            st16(pd + jb, p * k);
          }
          st16(dp + jb, d);
          if (jb + 16 < npad) {
            acc += p * d;
          } else {
            /* padding lanes add 0 * 0, which leaves them as they were (a lane starts at +0
               and never becomes -0), so each lane is the old row-at-a-time sum */
            p = sel16(tail, p, zero);
            d = sel16(tail, d, zero);
            acc = sel16(half, acc + mul_unfused(p, d), acc + p * d);
          }
        }
      }
      part[r] = acc;
    }
    if (!wantQKM) continue;
    st16(dots, lane_sums16(part, 0));
    for (int64_t r = 0; r < R; r++) {
      int64_t i = i0 + r, ro = base + i * n;
      int inside = i * n + npad <= n * n;  /* whole vectors stay in the block (see row_in) */
      const float *pr = row_in(A->probs + ro, i, n, npad, ploc), *mr = row_in(A->mask + ro, i, n, npad, mloc);
      float *dp = w->S + i * npad, *raw = w->R + i * npad;
      v16 rd = bc16(dots[r]);
      if (A->gMask) {
        /* in place, the padding lanes store back what they read (the next row's, not yet updated) */
        float *gm = inside ? A->gMask + ro : gloc;
        if (!inside) memcpy(gloc, A->gMask + ro, (size_t)n * sizeof(float));
        for (int64_t jb = 0; jb < npad; jb += 16) {
          v16 g = ld16(gm + jb), x = ld16(pr + jb) * (ld16(dp + jb) - rd) * ld16(raw + jb);
          if (jb + 16 < npad) {
            st16(gm + jb, g + x * A->scale);
          } else {
            v16 u = sel16(half, g + mul_unfused(x, bc16(A->scale)), g + x * A->scale);
            st16(gm + jb, sel16(tail, u, g));
          }
        }
        if (!inside) memcpy(A->gMask + ro, gloc, (size_t)n * sizeof(float));
      }
      for (int64_t jb = 0; jb < npad; jb += 16)
        st16(dp + jb, ld16(pr + jb) * (ld16(dp + jb) - rd) * ld16(mr + jb) * A->scale);
    }
  }
}
#endif
