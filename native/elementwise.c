/*
 * Element-wise kernels (binary with broadcast, unary maps and their backward).
 * Rows are split across threads; every element is computed the same way on any
 * thread count. Transcendentals run in double, like the TypeScript twin (JS
 * numbers), so both round the same value to float32. Reductions for broadcast
 * gradients accumulate in double in row order (columns are split across threads
 * for 'row', which keeps each column's order fixed).
 */
#include <string.h>
#include "gf.h"
#include <math.h>
#include <stdlib.h>

/* b's index for a[r, c]: r*rs + c*cs */
static void bc_strides(int bc, int64_t cols, int64_t *rs, int64_t *cs) {
  switch (bc) {
    case 0: *rs = cols; *cs = 1; break;  /* full */
    case 1: *rs = 0; *cs = 1; break;     /* row */
    case 2: *rs = 1; *cs = 0; break;     /* col */
    default: *rs = 0; *cs = 0; break;    /* scalar */
  }
}

/* out = a (op) b over rows with b contiguous along the row (full and row broadcasts):
   a separate loop so the compiler knows the unit stride and vectorises it (the
   generic c * cs index became a gather: bias adds ran at ~1 float/ns). */
static GF_CLONES void binary_rows_unit(int op, const float *a, const float *b, float *out,
                                       int64_t r0, int64_t r1, int64_t cols, int64_t rs) {
  for (int64_t r = r0; r < r1; r++) {
    const float *ar = a + r * cols, *br = b + r * rs;
    float *o = out + r * cols;
    switch (op) {
      case 0: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] + br[c]; break;
      case 1: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] - br[c]; break;
      case 2: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] * br[c]; break;
      default: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] / br[c]; break;
    }
  }
}

static GF_CLONES void binary_rows(int op, const float *a, const float *b, float *out,
                                  int64_t r0, int64_t r1, int64_t cols, int64_t rs, int64_t cs) {
  if (cs == 1) {
    binary_rows_unit(op, a, b, out, r0, r1, cols, rs);
    return;
  }
  for (int64_t r = r0; r < r1; r++) {
    const float *ar = a + r * cols, *br = b + r * rs;
    float *o = out + r * cols;
    switch (op) {
      case 0: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] + br[c * cs]; break;
      case 1: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] - br[c * cs]; break;
      case 2: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] * br[c * cs]; break;
      default: for (int64_t c = 0; c < cols; c++) o[c] = ar[c] / br[c * cs]; break;
    }
  }
}

void gf_binary(int op, const float *a, const float *b, float *out, int64_t rows, int64_t cols, int bc) {
  int64_t rs, cs;
  bc_strides(bc, cols, &rs, &cs);
  int T = gf_threads_for((double)rows * (double)cols);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    binary_rows(op, a, b, out, rows * tid / nt, rows * (tid + 1) / nt, cols, rs, cs);
  }
}

/* d(out)/d(b) contribution of element (a_i, b_j, g_i), in double. */
static inline double gb_term(int op, float a, float b, float g) {
  switch (op) {
    case 0: return g;
    case 1: return -(double)g;
    case 2: return (double)g * a;
    default: { double bb = b; return -(double)g * a / (bb * bb); }
  }
}

/*
 * gb[c] += sum_r term(a[r,c], b[c], g[r,c]) for c in [c0, c1): rows are walked in
 * order (each column's sum keeps its row order, as the TS twin) but a whole row
 * segment at a time into a double accumulator, so the loads are contiguous and the
 * adds vectorise (the column-at-a-time walk strode a cache line per element).
 */
#define COLS_CHUNK 256
GF_NO_CONTRACT static GF_CLONES void col_sums(int op, const float *a, const float *b, const float *g, float *gb,
                               int64_t rows, int64_t cols, int64_t c0, int64_t c1) {
  double acc[COLS_CHUNK];
  for (int64_t cb = c0; cb < c1; cb += COLS_CHUNK) {
    int64_t w = c1 - cb < COLS_CHUNK ? c1 - cb : COLS_CHUNK;
    for (int64_t j = 0; j < w; j++) acc[j] = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float *gr = g + r * cols + cb, *ar = a + r * cols + cb, *bb = b + cb;
      switch (op) {
        case 0: for (int64_t j = 0; j < w; j++) acc[j] += (double)gr[j]; break;
        case 1: for (int64_t j = 0; j < w; j++) acc[j] += -(double)gr[j]; break;
        case 2: for (int64_t j = 0; j < w; j++) acc[j] += (double)gr[j] * ar[j]; break;
        default: for (int64_t j = 0; j < w; j++) { double bj = bb[j]; acc[j] += -(double)gr[j] * ar[j] / (bj * bj); } break;
      }
    }
    for (int64_t j = 0; j < w; j++) gb[cb + j] = (float)((double)gb[cb + j] + acc[j]);
  }
}

/* o[i] += g[i] (or -= g[i]) for i in [i0, i1) */
static GF_CLONES void add_range(float *o, const float *g, int64_t i0, int64_t i1, int neg) {
  if (neg) for (int64_t i = i0; i < i1; i++) o[i] -= g[i];
  else for (int64_t i = i0; i < i1; i++) o[i] += g[i];
}

void gf_binary_backward(int op, const float *a, const float *b, const float *g, float *ga, float *gb,
                        int64_t rows, int64_t cols, int bc) {
  int64_t rs, cs;
  bc_strides(bc, cols, &rs, &cs);
  int T = gf_threads_for((double)rows * (double)cols);
  if (ga) {
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float *br = b + r * rs, *gr = g + r * cols;
      float *o = ga + r * cols;
      switch (op) {
        case 0: case 1: for (int64_t c = 0; c < cols; c++) o[c] += gr[c]; break;
        case 2: for (int64_t c = 0; c < cols; c++) o[c] = (float)((double)o[c] + (double)gr[c] * br[c * cs]); break;
        default: for (int64_t c = 0; c < cols; c++) o[c] = (float)((double)o[c] + (double)gr[c] / br[c * cs]); break;
      }
    }
  }
  if (!gb) return;
  if (bc == 0 && op <= 1) { /* full add/sub: gb +-= g; a float add is the double sum rounded, and this vectorises */
    int64_t n = rows * cols;
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      add_range(gb, g, n * tid / nt, n * (tid + 1) / nt, op == 1);
    }
  } else if (bc == 0) {   /* full: one term per element */
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t i = 0; i < rows * cols; i++) gb[i] = (float)((double)gb[i] + gb_term(op, a[i], b[i], g[i]));
  } else if (bc == 2) {   /* col: sum along each row */
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      double s = 0;
      for (int64_t c = 0; c < cols; c++) s += gb_term(op, a[r * cols + c], b[r], g[r * cols + c]);
      gb[r] = (float)((double)gb[r] + s);
    }
  } else if (bc == 1) {   /* row: sum down each column; threads own column ranges */
    T = gf_col_threads(T, cols);
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int64_t c0, c1;
      gf_col_range(cols, omp_get_thread_num(), omp_get_num_threads(), &c0, &c1);
      col_sums(op, a, b, g, gb, rows, cols, c0, c1);
    }
  } else {                /* scalar: everything, in row-major order */
    double s = 0;
    for (int64_t i = 0; i < rows * cols; i++) s += gb_term(op, a[i], b[0], g[i]);
    gb[0] = (float)((double)gb[0] + s);
  }
}

/*
 * exp(x) for x in [-110, 0] in double, branch-free so the sigmoid loop vectorises
 * (libm's exp() is a call per element: it made sigmoid the top kernel of GatedGCN
 * epochs). x = k ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two), exp(r) by
 * its Taylor series to degree 13 (truncation < 2e-16 relative), 2^k built in the
 * exponent bits. Within a few double ulps of exp(), so after rounding to float32 the
 * sigmoid equals the libm-based one (and the TS twin's) except on near-ties (tested
 * at 1 ulp against the TS twin). Outside [-110, 0] (and for NaN) the value is garbage
 * (no UB: unsigned bit arithmetic) and the caller replaces it.
 */
static inline double exp_neg(double x) {
  const double shifter = 0x1.8p52;
  double kd = x * 1.4426950408889634 + shifter;
  double k = kd - shifter;
  double r = x - k * 0x1.62e42fefa3800p-1;
  r = r - k * 0x1.ef35793c76730p-45;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  /* kd = shifter + k exactly (ulp 1 in its binade), so its low bits hold k: 2^k from integer ops only. */
  uint64_t kb, sb;
  memcpy(&kb, &kd, sizeof kb);
  memcpy(&sb, &shifter, sizeof sb);
  uint64_t bits = (kb - sb + 1023u) << 52;
  double scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* sigmoid in double from e = exp(-|x|): 1/(1+e) for x >= 0, e/(1+e) below (no cancellation).
   |x| > 110 gives exactly 1 or 0 in float32 (e < 2^-158); NaN stays NaN. Selects, no branches. */
static inline float sigmoid_vec(float xf) {
  double x = xf;
  double e = exp_neg(-fabs(x));
  double num = x >= 0 ? 1.0 : e;
  float y = (float)(num / (1.0 + e));
  float sat = xf > 0 ? 1.0f : 0.0f;
  y = fabsf(xf) > 110.0f ? sat : y;
  return xf != xf ? xf : y;
}

static GF_CLONES void unary_range(int op, const float *x, float *out, int64_t i0, int64_t i1, double p) {
  float pf = (float)p;
  switch (op) {
    case 0: for (int64_t i = i0; i < i1; i++) { float v = x[i]; out[i] = v > 0 ? v : (v != v ? v : 0.0f); } break;
    case 1: for (int64_t i = i0; i < i1; i++) { float v = x[i]; out[i] = v > 0 ? v : (float)(p * v); } break;
    case 2: for (int64_t i = i0; i < i1; i++) out[i] = sigmoid_vec(x[i]); break;
    case 3: for (int64_t i = i0; i < i1; i++) out[i] = (float)exp(x[i]); break;
    case 4: for (int64_t i = i0; i < i1; i++) out[i] = (float)log(x[i]); break;
    case 5: for (int64_t i = i0; i < i1; i++) out[i] = (float)pow(p, x[i]); break;
    case 6: for (int64_t i = i0; i < i1; i++) out[i] = (float)(p * x[i]); break;
    default: for (int64_t i = i0; i < i1; i++) out[i] = (float)((double)x[i] + p); break;
  }
  (void)pf;
}

void gf_unary(int op, const float *x, float *out, int64_t n, double p) {
  int T = gf_threads_for((double)n * (op >= 2 && op <= 5 ? 20.0 : 1.0));
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    unary_range(op, x, out, n * tid / nt, n * (tid + 1) / nt, p);
  }
}

/* One loop per op (no switch inside the loop) so each vectorises; same double arithmetic as before. */
static GF_CLONES void unary_bw_range(int op, const float *x, const float *y, const float *g, float *gx,
                                     int64_t i0, int64_t i1, double p) {
  double lp = op == 5 ? log(p) : 0;
  switch (op) {
    case 0: for (int64_t i = i0; i < i1; i++) { float gv = g[i], gm = x[i] > 0 ? gv : 0.0f; gx[i] = (float)((double)gx[i] + (double)gm); } break;
    case 1: for (int64_t i = i0; i < i1; i++) { double gi = g[i], gs = gi * p; gx[i] = (float)((double)gx[i] + (x[i] > 0 ? gi : gs)); } break;
    case 2: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i] * y[i] * (1.0 - y[i])); break;
    case 3: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i] * y[i]); break;
    case 4: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i] / x[i]); break;
    case 5: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i] * y[i] * lp); break;
    case 6: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i] * p); break;
    default: for (int64_t i = i0; i < i1; i++) gx[i] = (float)((double)gx[i] + (double)g[i]); break;
  }
}

double gf_unary_backward(int op, const float *x, const float *y, const float *g, float *gx, int64_t n, double p) {
  if (gx) {
    int T = gf_threads_for((double)n);
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      unary_bw_range(op, x, y, g, gx, n * tid / nt, n * (tid + 1) / nt, p);
    }
  }
  if (op != 5) return 0;
  /* d(p^x)/dp = x p^(x-1) = x y / p; summed serially in index order (deterministic). */
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)g[i] * x[i] * y[i];
  return s / p;
}

/*
 * A Linear-then-ReLU's backward: gz = 0 + (y > 0 ? g : 0) (0 + -0 is +0, as unary_backward relu into zeros)
 * and gb[c] += sum_r gz[r, c] in double, rows in order (as col_sums with op add), in one pass over g: the
 * separate bias pass re-read gz, a [rows, cols] array usually out of L1/L2. On one thread; with more,
 * see gf_relu_backward_bias.
 */
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
/* relu_bias_cols' row loop with the bias gradient, four columns at a time, for the
   WebAssembly build, where clang leaves the loop scalar (the float-to-double sums):
   the same values (g where y > 0, else +0, plus +0 so that -0 stores +0; each column's
   double sum in row order). Returns how many columns it did (w rounded down to 4). */
static int64_t relu_bias_row_simd128(const float *yr, const float *gr, float *o, double *acc, int64_t w) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int64_t j = 0;
  for (; j + 4 <= w; j += 4) {
    v128_t keep = wasm_f32x4_gt(wasm_v128_load(yr + j), zero); /* false for NaN, as y > 0 */
    v128_t d = wasm_f32x4_add(zero, wasm_v128_and(wasm_v128_load(gr + j), keep));
    wasm_v128_store(o + j, d);
    wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), wasm_f64x2_promote_low_f32x4(d)));
    wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2),
                                                wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(d, d, 2, 3, 2, 3))));
  }
  return j;
}
#endif

/* Columns [c0, c1): gz written (when not NULL) and gb's sums (when not NULL); with gz NULL, only the sums. */
static GF_CLONES void relu_bias_cols(const float *y, const float *g, float *gz, float *gb, int64_t rows, int64_t cols,
                                     int64_t c0, int64_t c1) {
  double acc[COLS_CHUNK];
  for (int64_t cb = c0; cb < c1; cb += COLS_CHUNK) {
    int64_t w = c1 - cb < COLS_CHUNK ? c1 - cb : COLS_CHUNK;
    for (int64_t j = 0; j < w; j++) acc[j] = 0;
    for (int64_t r = 0; r < rows; r++) {
      const float *yr = y + r * cols + cb, *gr = g + r * cols + cb;
      float *o = gz ? gz + r * cols + cb : NULL;
      if (gb && o) {
        int64_t j = 0;
#ifdef __wasm_simd128__
        j = relu_bias_row_simd128(yr, gr, o, acc, w);
#endif
        for (; j < w; j++) {
          float d = 0.0f + (yr[j] > 0.0f ? gr[j] : 0.0f);
          o[j] = d;
          acc[j] += (double)d;
        }
      } else if (gb) {
        for (int64_t j = 0; j < w; j++) acc[j] += (double)(0.0f + (yr[j] > 0.0f ? gr[j] : 0.0f));
      } else {
        for (int64_t j = 0; j < w; j++) o[j] = 0.0f + (yr[j] > 0.0f ? gr[j] : 0.0f);
      }
    }
    if (gb) for (int64_t j = 0; j < w; j++) gb[cb + j] = (float)((double)gb[cb + j] + acc[j]);
  }
}

/* gz = 0 + (y > 0 ? g : 0) over rows [r0, r1). */
static GF_CLONES void relu_grad_rows(const float *y, const float *g, float *gz, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t i = r0 * cols; i < r1 * cols; i++) gz[i] = 0.0f + (y[i] > 0.0f ? g[i] : 0.0f);
}

/*
 * Threaded: each thread writes gz for a block of rows, and sums the bias gradient for a
 * range of columns from y and g (the same values as gz, the same double sums in row order,
 * so the same bits on any thread count). Splitting one pass by columns had every thread
 * write part of every row of gz, sharing its cache lines; summing gz after a barrier read
 * what the other threads had just written. Either made 2 threads 2-10x slower than one.
 */
void gf_relu_backward_bias(const float *y, const float *g, float *gz, int64_t rows, int64_t cols, float *gb) {
  int T = gf_threads_for((double)rows * (double)cols);
  if (T <= 1) { relu_bias_cols(y, g, gz, gb, rows, cols, 0, cols); return; }
#pragma omp parallel num_threads(T)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    relu_grad_rows(y, g, gz, rows * tid / nt, rows * (tid + 1) / nt, cols);
    if (gb) {
      int64_t c0, c1;
      gf_col_range(cols, tid, nt, &c0, &c1);
      if (c0 < c1) relu_bias_cols(y, g, NULL, gb, rows, cols, c0, c1);
    }
  }
}
