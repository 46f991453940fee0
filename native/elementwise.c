/*
 * Element-wise kernels (binary with broadcast, unary maps and their backward).
 * Rows are split across threads; every element is computed the same way on any
 * thread count. Transcendentals run in double, like the TypeScript twin (JS
 * numbers), so both round the same value to float32. Reductions for broadcast
 * gradients accumulate in double in row order (columns are split across threads
 * for 'row', which keeps each column's order fixed).
 */
#include "gf.h"
#include <math.h>
#include <omp.h>
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

static GF_CLONES void binary_rows(int op, const float *a, const float *b, float *out,
                                  int64_t r0, int64_t r1, int64_t cols, int64_t rs, int64_t cs) {
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
static GF_CLONES void col_sums(int op, const float *a, const float *b, const float *g, float *gb,
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
  if (bc == 0) {          /* full: one term per element */
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
    if (T > cols) T = (int)(cols > 0 ? cols : 1);
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int tid = omp_get_thread_num(), nt = omp_get_num_threads();
      int64_t c0 = cols * tid / nt, c1 = cols * (tid + 1) / nt;
      col_sums(op, a, b, g, gb, rows, cols, c0, c1);
    }
  } else {                /* scalar: everything, in row-major order */
    double s = 0;
    for (int64_t i = 0; i < rows * cols; i++) s += gb_term(op, a[i], b[0], g[i]);
    gb[0] = (float)((double)gb[0] + s);
  }
}

static inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

static GF_CLONES void unary_range(int op, const float *x, float *out, int64_t i0, int64_t i1, double p) {
  float pf = (float)p;
  switch (op) {
    case 0: for (int64_t i = i0; i < i1; i++) { float v = x[i]; out[i] = v > 0 ? v : (v != v ? v : 0.0f); } break;
    case 1: for (int64_t i = i0; i < i1; i++) { float v = x[i]; out[i] = v > 0 ? v : (float)(p * v); } break;
    case 2: for (int64_t i = i0; i < i1; i++) out[i] = (float)sigmoid(x[i]); break;
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
