/*
 * Sums in double. Thread splits follow the output (columns for axis 0, rows for
 * axis 1); sumSquares adds fixed 64K-element chunks in chunk order, so results
 * do not depend on the thread count.
 */
#include <math.h>
#include "gf.h"
#include <stdlib.h>

void gf_sum_axis(const float *x, float *out, int64_t rows, int64_t cols, int axis) {
  int T = gf_threads_for((double)rows * (double)cols);
  if (axis == 1) {
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      double s = 0;
      for (int64_t c = 0; c < cols; c++) s += x[r * cols + c];
      out[r] = (float)s;
    }
    return;
  }
  T = gf_col_threads(T, cols);
  /* Column blocks of 8 doubles accumulated down the rows (one cache line of x per row). */
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int64_t c0, c1;
    gf_col_range(cols, omp_get_thread_num(), omp_get_num_threads(), &c0, &c1);
    for (int64_t cb = c0; cb < c1; cb += 8) {
      int64_t w = c1 - cb < 8 ? c1 - cb : 8;
      double acc[8] = {0};
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < w; j++) acc[j] += x[r * cols + cb + j];
      for (int64_t j = 0; j < w; j++) out[cb + j] = (float)acc[j];
    }
  }
}

#define SQ_CHUNK 65536

double gf_sum_squares(const float *x, int64_t n) {
  int64_t nchunks = (n + SQ_CHUNK - 1) / SQ_CHUNK;
  if (nchunks <= 1) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
  }
  double *part = malloc((size_t)nchunks * sizeof(double));
  if (!part) {  /* no scratch: the serial sum is the same up to rounding order */
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
  }
  int T = gf_threads_for((double)n);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t ch = 0; ch < nchunks; ch++) {
    int64_t i1 = (ch + 1) * SQ_CHUNK < n ? (ch + 1) * SQ_CHUNK : n;
    double s = 0;
    for (int64_t i = ch * SQ_CHUNK; i < i1; i++) s += (double)x[i] * x[i];
    part[ch] = s;
  }
  double s = 0;
  for (int64_t ch = 0; ch < nchunks; ch++) s += part[ch];
  free(part);
  return s;
}

/* Clip-grad-norm where the gradients are (src/tensor/kernels.ts clipScale): the same double sums as
   gf_sum_squares, and the scale of unary 'scale'. */
void gf_sum_squares_add(const float *x, int64_t n, double *acc) { acc[0] += gf_sum_squares(x, n); }

void gf_clip_scale(const double *acc, double maxNorm, float *x, int64_t n, float *norm) {
  double total = sqrt(acc[0]), coef = maxNorm / (total + 1e-6);
  if (coef < 1)
    for (int64_t i = 0; i < n; i++) x[i] = (float)(coef * x[i]);
  if (norm) norm[0] = (float)total;
}
