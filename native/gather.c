/*
 * Row gather / scatter-add and column-slice copies. scatterAddRows keeps the
 * source-row order for every destination element: threads own column ranges,
 * not rows, so two sources hitting one row never race and the sum order is fixed.
 */
#include "gf.h"
#include <string.h>

void gf_gather_rows(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  int T = gf_threads_for((double)nidx * (double)cols);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < nidx; r++)
    memcpy(out + r * cols, x + (int64_t)idx[r] * cols, (size_t)cols * sizeof(float));
}

void gf_scatter_add_rows(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  int T = gf_threads_for((double)nidx * (double)cols);
  if (cols < 32 * (int64_t)T) T = (int)(cols / 32 > 0 ? cols / 32 : 1);  /* keep >= 2 cache lines per thread */
#pragma omp parallel num_threads(T) if (T > 1)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t c0 = cols * tid / nt, c1 = cols * (tid + 1) / nt;
    for (int64_t r = 0; r < nidx; r++) {
      const float *s = src + r * cols;
      float *o = out + (int64_t)idx[r] * cols;
      for (int64_t c = c0; c < c1; c++) o[c] += s[c];
    }
  }
}

void gf_copy_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off) {
  int T = gf_threads_for((double)rows * (double)srcCols);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < rows; r++)
    memcpy(out + r * outCols + off, src + r * srcCols, (size_t)srcCols * sizeof(float));
}

void gf_add_slice_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off) {
  int T = gf_threads_for((double)rows * (double)outCols);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *s = src + r * srcCols + off;
    float *o = out + r * outCols;
    for (int64_t c = 0; c < outCols; c++) o[c] += s[c];
  }
}
