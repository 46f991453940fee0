/*
 * Dense products for tall-and-thin shapes: C[m,n] = op(A)[m,k] op(B)[k,n].
 *
 * A register-blocked micro-kernel computes a 6-row x 64-column tile of C (24
 * vector accumulators of 16 floats = 24 zmm on AVX-512) streaming one row of B
 * per step; B (or a 128-row slice of it) stays in L1, so nothing is packed for
 * NN. B^T is transposed once into a small scratch copy (weights, <= 256x256);
 * B is also copied, zero-padded to a multiple of 16 columns, when n is ragged so
 * the kernel may always load whole vectors. gf_gemm_serial's small products (the
 * attention's, n <= 48 columns) use 8 x 32 tiles instead where the CPU has AVX-512.
 *
 * Determinism: every C element is one fused-multiply-add chain over p = 0..k-1,
 * starting from 0 (or from C when accumulating), computed by exactly one thread.
 * Threads split C into tiles, never the reduction, so results do not depend on
 * the thread count. A^T B (reduction over the tall dimension, weight gradients)
 * walks k in slices of KC rows with the C tile reloaded between slices, which
 * continues the same chain.
 */
#include "gf.h"
#include <stdlib.h>
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

#ifdef __wasm_simd128__
/* WebAssembly: engines map SIMD128 onto 16 xmm registers, so a 6 x 64 tile (96
   vectors) would live in memory. 4 x 16 tiles, computed as two 4 x 8 halves
   (mkw_ below: 8 accumulators, 2 vectors of B, 1 broadcast), stay in registers.
   Node 20, best of 6 on the model's shapes: 34-38 GFLOP/s, against 32-37 with
   the generic 3 x 16 kernel (which spills: 17 vectors), whose 3201x128 @ 128x64
   falls to 19; 5 x 8 and 6 x 8 halves spill too (31-37, 12-34). */
#define MR 4
#define WIDE 0   /* no 64-wide tiles */
#else
#define MR 6     /* rows per micro-tile */
#define WIDE 1
#endif
#define KC 128   /* rows of B per pass in the k-sliced order: 128 x 64 floats = 32 KB (fewer when ldb > 64) */

typedef void (*mk_fn)(int64_t kc, const float *a, int64_t rsa, int64_t csa,
                      const float *b, int64_t ldb, float *c, int64_t ldc, int init, const float *bias,
                      const float *res, int64_t ldr);

/* C[0:R, 0:16*NV] = (init ? C : 0) + sum_p A(r,p) B[p, 0:16*NV], A(r,p) = a[r*rsa + p*csa],
   then + bias[0:16*NV] on every row when bias is not NULL (one float add after the chain),
   then + res[r*ldr + 0:16*NV] when res is not NULL (one float add more, in registers: the
   values of a pass over the stored tile, without reloading and storing it again). */
#define MK(R, NV)                                                                        \
  static GF_CLONES void mk_##R##x##NV(int64_t kc, const float *a, int64_t rsa, int64_t csa, \
                                      const float *b, int64_t ldb, float *c, int64_t ldc, int init, \
                                      const float *bias, const float *res, int64_t ldr) { \
    v16 acc[R][NV];                                                                      \
    _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                                  \
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                               \
        acc[r][v] = init ? *(const v16u *)(c + r * ldc + 16 * v) : (v16){0};             \
    for (int64_t p = 0; p < kc; p++) {                                                   \
      v16 bv[NV];                                                                        \
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                               \
        bv[v] = *(const v16u *)(b + p * ldb + 16 * v);                                   \
      _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                              \
        v16 av = a[r * rsa + p * csa] - (v16){0}; /* broadcast; x - 0 == x folds away */                                        \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[r][v] += av * bv[v];    \
      }                                                                                  \
    }                                                                                    \
    if (bias)                                                                            \
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                             \
        v16 bb = *(const v16u *)(bias + 16 * v);                                         \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) acc[r][v] += bb;             \
      }                                                                                  \
    if (res)                                                                             \
      _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                                \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                             \
          acc[r][v] += *(const v16u *)(res + r * ldr + 16 * v);                          \
    _Pragma("GCC unroll 8") for (int r = 0; r < R; r++)                                  \
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                               \
        *(v16u *)(c + r * ldc + 16 * v) = acc[r][v];                                     \
  }
MK(1, 4) MK(2, 4) MK(3, 4) MK(4, 4) MK(5, 4) MK(6, 4)
static const mk_fn MK4[] = {0, mk_1x4, mk_2x4, mk_3x4, mk_4x4, mk_5x4, mk_6x4};
#ifndef __wasm_simd128__
MK(1, 1) MK(2, 1) MK(3, 1) MK(4, 1) MK(5, 1) MK(6, 1)
static const mk_fn MK1[] = {0, mk_1x1, mk_2x1, mk_3x1, mk_4x1, mk_5x1, mk_6x1};
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* Tiles of 8 rows x 32 (then 16) columns for gf_gemm_serial's small products (the
   attention's: k = 16 to ~40), used where the CPU has AVX-512 (see small_tiles). A 6 x 16
   tile has 6 FMA chains of k steps, fewer than the FMA latency times its throughput (4 x 2)
   needs, and each of its loads of B serves 6 FMAs; 8 x 32 has 16 chains and one load of B
   per 8. Each C element is the same chain, so the same bits. */
#define TR 8
MK(7, 1) MK(8, 1)
MK(1, 2) MK(2, 2) MK(3, 2) MK(4, 2) MK(5, 2) MK(6, 2) MK(7, 2) MK(8, 2)
static const mk_fn MKT1[] = {0, mk_1x1, mk_2x1, mk_3x1, mk_4x1, mk_5x1, mk_6x1, mk_7x1, mk_8x1};
static const mk_fn MKT2[] = {0, mk_1x2, mk_2x2, mk_3x2, mk_4x2, mk_5x2, mk_6x2, mk_7x2, mk_8x2};
/* 1 where the kernels run their avx512f clones (32 vector registers): on AVX2 an 8 x 32 tile
   (32 ymm accumulators) would not fit in the 16 registers. */
static int small_tiles(void) { return gf_cpu_avx512f(); }
#endif
#else
#include <wasm_simd128.h>
#ifdef __wasm_relaxed_simd__
/* The relaxed-SIMD build (gradformer-relaxed.wasm): f32x4.relaxed_madd, which engines run as
   one fused multiply-add where the CPU has one (x86 FMA3, ARM) and as a product then a sum
   where it has not. Fused, each C element is the native kernels' FMA chain (the same order),
   and the products run 1.2x faster (Chromium, Zen 4: 42-44 GFLOP/s against 34-36). */
#define MADD(a, b, c) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(c)))
#else
#define MADD(a, b, c) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif
/* The 16-column tile in WebAssembly: two passes of 8 columns, each with R x 2
   accumulators, two vectors of B and one broadcast of A in registers (see MR).
   The same products and sums in the same order as the generic kernel, so the
   same bits (fused in the relaxed build, as the native kernel's); A is read twice, from L1. */
#define MKW(R)                                                                           \
  static void mkw_##R(int64_t kc, const float *a, int64_t rsa, int64_t csa, const float *b, \
                      int64_t ldb, float *c, int64_t ldc, int init, const float *bias,   \
                      const float *res, int64_t ldr) {                                   \
    for (int h = 0; h < 16; h += 8) {                                                    \
      v128_t acc[R][2];                                                                  \
      _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                              \
        acc[r][0] = init ? wasm_v128_load(c + r * ldc + h) : wasm_f32x4_splat(0.0f);     \
        acc[r][1] = init ? wasm_v128_load(c + r * ldc + h + 4) : wasm_f32x4_splat(0.0f); \
      }                                                                                  \
      for (int64_t p = 0; p < kc; p++) {                                                 \
        v128_t b0 = wasm_v128_load(b + p * ldb + h), b1 = wasm_v128_load(b + p * ldb + h + 4); \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                            \
          v128_t av = wasm_v128_load32_splat(a + r * rsa + p * csa);                     \
          acc[r][0] = MADD(av, b0, acc[r][0]);                                           \
          acc[r][1] = MADD(av, b1, acc[r][1]);                                           \
        }                                                                                \
      }                                                                                  \
      if (bias) {                                                                        \
        v128_t c0 = wasm_v128_load(bias + h), c1 = wasm_v128_load(bias + h + 4);         \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                            \
          acc[r][0] = wasm_f32x4_add(acc[r][0], c0);                                     \
          acc[r][1] = wasm_f32x4_add(acc[r][1], c1);                                     \
        }                                                                                \
      }                                                                                  \
      if (res)                                                                           \
        _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                            \
          acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_v128_load(res + r * ldr + h));      \
          acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_v128_load(res + r * ldr + h + 4));  \
        }                                                                                \
      _Pragma("GCC unroll 8") for (int r = 0; r < R; r++) {                              \
        wasm_v128_store(c + r * ldc + h, acc[r][0]);                                     \
        wasm_v128_store(c + r * ldc + h + 4, acc[r][1]);                                 \
      }                                                                                  \
    }                                                                                    \
  }
MKW(1) MKW(2) MKW(3) MKW(4)
static const mk_fn MK1[] = {0, mkw_1, mkw_2, mkw_3, mkw_4};
#endif

typedef struct {
  int64_t m, n, k;
  const float *a; int64_t rsa, csa;
  const float *b; int64_t ldb;   /* rows readable for whole vectors */
  float *c; int64_t ldc;
  const float *bias;             /* [n] added to every row after the last k slice, or NULL */
  const float *res;              /* [m, n] (row stride n) added after the bias, or NULL */
  int relu;                      /* relu stored after the last k slice (bias, residual) */
  int64_t nt4, ntiles;           /* 64-wide tiles, total tiles (then 16-wide ones) */
} Gemm;

/* c += r over rows [0, R) x columns [0, w): the residual, as binary('add', 'full') would
   add it (one float add per element), where the micro-kernel does not add it in registers:
   a ragged right edge (on the tile just stored, still in L1) and k = 0. */
static GF_CLONES void add_tile(float *c, int64_t ldc, const float *r, int64_t ldr, int64_t R, int64_t w) {
  for (int64_t i = 0; i < R; i++)
    for (int64_t j = 0; j < w; j++) c[i * ldc + j] += r[i * ldr + j];
}

/* relu of rows [0, R) x columns [0, w) of a tile just stored (still in L1), with the unary
   relu kernel's values (v > 0 ? v : (v != v ? v : 0)): v > 0 or NaN keeps v, anything else
   (negatives, -0) stores +0. Written as one compare, `v <= 0` (false for NaN), so the
   compiler vectorises it per clone; the unary kernel's two-test form stays scalar, and the
   same test on the micro-kernel's accumulators as GCC vector compares was scalarised for
   AVX-512F (products 4x slower). */
static GF_CLONES void relu_tile(float *c, int64_t ldc, int64_t R, int64_t w) {
  for (int64_t r = 0; r < R; r++) {
    float *cr = c + r * ldc;
    for (int64_t j = 0; j < w; j++) cr[j] = cr[j] <= 0.0f ? 0.0f : cr[j];
  }
}

/* One tile (row block rb, column tile ct) over reduction rows [p0, p1). */
static void run_tile(const Gemm *g, int64_t rb, int64_t ct, int64_t p0, int64_t p1, int init) {
  int64_t i0 = rb * MR, R = g->m - i0 < MR ? g->m - i0 : MR;
  int64_t j0, nv;
  if (ct < g->nt4) { j0 = 64 * ct; nv = 4; }
  else { j0 = 64 * g->nt4 + 16 * (ct - g->nt4); nv = 1; }
  int64_t w = g->n - j0 < 16 * nv ? g->n - j0 : 16 * nv;
  mk_fn fn = nv == 4 ? MK4[R] : MK1[R];
  const float *ap = g->a + i0 * g->rsa + p0 * g->csa;
  const float *bp = g->b + p0 * g->ldb + j0;
  float *cp = g->c + i0 * g->ldc + j0;
  const float *bias = g->bias && p1 == g->k ? g->bias + j0 : NULL;
  int last = p1 == g->k, relu = g->relu && last;
  const float *res = g->res && last ? g->res + i0 * g->n + j0 : NULL;
  if (w == 16 * nv) {
    fn(p1 - p0, ap, g->rsa, g->csa, bp, g->ldb, cp, g->ldc, init, bias, res, g->n);
    if (relu) relu_tile(cp, g->ldc, R, w);
    return;
  }
  /* Ragged right edge: go through a full-width scratch tile (and a zero-padded bias). */
  float tmp[MR * 64], bpad[64];
  if (init) /* only the kernel's own rows and vectors are read, and only when accumulating */
    for (int64_t r = 0; r < R; r++) {
      memcpy(tmp + r * 64, cp + r * g->ldc, (size_t)w * sizeof(float));
      memset(tmp + r * 64 + w, 0, (size_t)(16 * nv - w) * sizeof(float));
    }
  if (bias) {
    memcpy(bpad, bias, (size_t)w * sizeof(float));
    memset(bpad + w, 0, (size_t)(16 * nv - w) * sizeof(float));
    bias = bpad;
  }
  fn(p1 - p0, ap, g->rsa, g->csa, bp, g->ldb, tmp, 64, init, bias, NULL, 0);
  for (int64_t r = 0; r < R; r++) memcpy(cp + r * g->ldc, tmp + r * 64, (size_t)w * sizeof(float));
  if (res) add_tile(cp, g->ldc, res, g->n, R, w);
  if (relu) relu_tile(cp, g->ldc, R, w);
}

int gf_matmul(const float *a, const float *b, float *c, int64_t m, int64_t k, int64_t n,
              int transA, int transB, int accumulate, const float *bias, int relu, const float *residual) {
  if (m == 0 || n == 0) return 0;
  if (k == 0) {
    if (!accumulate) memset(c, 0, (size_t)(m * n) * sizeof(float));
    if (bias)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * n + j] += bias[j];
    if (residual) add_tile(c, n, residual, n, m, n);
    if (relu) relu_tile(c, n, m, n);
    return 0;
  }
  int64_t npad = (n + 15) / 16 * 16;
  float *bp = NULL;
  Gemm g = {.m = m, .n = n, .k = k, .a = a, .c = c, .ldc = n, .bias = bias, .res = residual, .relu = relu};
  if (transA) { g.rsa = 1; g.csa = m; } else { g.rsa = k; g.csa = 1; }
  if (transB || npad != n) {
    bp = aligned_alloc(64, (size_t)(k * npad) * sizeof(float));
    if (!bp) return -1;
    for (int64_t p = 0; p < k; p++) {
      float *row = bp + p * npad;
      if (transB) for (int64_t j = 0; j < n; j++) row[j] = b[j * k + p];
      else memcpy(row, b + p * n, (size_t)n * sizeof(float));
      for (int64_t j = n; j < npad; j++) row[j] = 0.0f;
    }
    g.b = bp; g.ldb = npad;
  } else {
    g.b = b; g.ldb = n;
  }
  g.nt4 = WIDE ? n / 64 : 0;
  g.ntiles = g.nt4 + (n - 64 * g.nt4 + 15) / 16;
  int64_t nrb = (m + MR - 1) / MR, items = nrb * g.ntiles;
  /* k-sliced order when C is small (A^T B weight gradients: k is the tall side):
     each KC-row slice of A and B is read once per thread while hot. Otherwise
     (tall C) each tile runs the whole k at once so C is written once. */
  int sliced = k > KC && m * n <= 256 * 256;
  /* Slice rows: a tile reads 64 columns of each B row, but rows ldb floats apart use only
     64/ldb of L1's sets (the 4 KB set stride: ldb 128 uses half), so the 32 KB slice a
     tile walks spills from L1 when ldb > 64; keeping kc * ldb at KC * 64 floats keeps it
     in (64 x 754 x 128 A^T B, the FFN's weight gradient: ~8% faster). The bits do not
     depend on kc: each slice continues every element's chain from C. */
  int64_t kc = g.ldb > 64 ? KC * 64 / g.ldb : KC;
  if (kc < 8) kc = 8;
  int T = gf_threads_for(2.0 * (double)m * (double)n * (double)k);
  if (T > items) T = (int)items;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t t0 = items * tid / nt, t1 = items * (tid + 1) / nt;
    if (sliced) {
      for (int64_t p0 = 0; p0 < k; p0 += kc) {
        int64_t p1 = p0 + kc < k ? p0 + kc : k;
        for (int64_t t = t0; t < t1; t++) run_tile(&g, t / g.ntiles, t % g.ntiles, p0, p1, p0 > 0 || accumulate);
      }
    } else {
      for (int64_t t = t0; t < t1; t++) run_tile(&g, t / g.ntiles, t % g.ntiles, 0, k, accumulate);
    }
  }
  free(bp);
  return 0;
}

void gf_gemm_serial(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                    const float *b, int64_t ldb, float *c, int64_t ldc, int accumulate) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    return;
  }
#ifdef TR
  if (n % 16 == 0 && n < 64 && small_tiles()) {
    /* Row blocks of TR rows (the last one shorter), 32 then 16 columns at a time. */
    for (int64_t i0 = 0; i0 < m; i0 += TR) {
      int64_t R = m - i0 < TR ? m - i0 : TR;
      for (int64_t j0 = 0; j0 < n; j0 += 32) {
        mk_fn fn = n - j0 >= 32 ? MKT2[R] : MKT1[R];
        fn(k, a + i0 * rsa, rsa, csa, b + j0, ldb, c + i0 * ldc + j0, ldc, accumulate, NULL, NULL, 0);
      }
    }
    return;
  }
#endif
  Gemm g = {.m = m, .n = n, .k = k, .a = a, .rsa = rsa, .csa = csa, .b = b, .ldb = ldb, .c = c, .ldc = ldc};
  g.nt4 = WIDE ? n / 64 : 0;
  g.ntiles = g.nt4 + (n - 64 * g.nt4 + 15) / 16;
  int64_t nrb = (m + MR - 1) / MR;
  for (int64_t rb = 0; rb < nrb; rb++)
    for (int64_t ct = 0; ct < g.ntiles; ct++) run_tile(&g, rb, ct, 0, k, accumulate);
}
