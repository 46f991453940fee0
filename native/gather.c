/*
 * Row gather / scatter-add and column-slice copies. scatterAddRows keeps the
 * source-row order for every destination element: threads own ranges of
 * destination rows, so two sources hitting one row never race and the sum order
 * is fixed.
 */
#include "gf.h"
#include <string.h>

int64_t gf_index_bound(const int32_t *idx, int64_t n) {
  int32_t m = -1;
  for (int64_t i = 0; i < n; i++) m = idx[i] > m ? idx[i] : m;
  return (int64_t)m + 1;
}

void gf_gather_rows(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  int T = gf_threads_for((double)nidx * (double)cols);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t r = 0; r < nidx; r++)
    memcpy(out + r * cols, x + (int64_t)idx[r] * cols, (size_t)cols * sizeof(float));
}

/* out[idx[r]] += src[r] for the r (in order) whose idx[r] is in [o0, o1). */
static GF_CLONES void scatter_owned(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols,
                                    int64_t o0, int64_t o1) {
  for (int64_t r = 0; r < nidx; r++) {
    const int64_t d = idx[r];
    if (d < o0 || d >= o1) continue;
    const float *s = src + r * cols;
    float *o = out + d * cols;
    for (int64_t c = 0; c < cols; c++) o[c] += s[c];
  }
}

/*
 * Threads own ranges of output rows: each walks every index in order and adds the rows it
 * owns, so every output element sums its sources in index order on any thread count, and
 * threads write disjoint rows. (Owning column ranges instead had every thread write part of
 * every destination row: the cache lines they shared made 2 threads 5x slower than one, and
 * 64 columns allowed only 2 threads.)
 */
void gf_scatter_add_rows(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  int T = gf_threads_for((double)nidx * (double)cols);
  if (T <= 1) { scatter_owned(src, idx, out, nidx, cols, 0, INT64_MAX); return; }
  int64_t rows = gf_index_bound(idx, nidx);
#pragma omp parallel num_threads(T)
  {
    int tid = omp_get_thread_num(), nt = omp_get_num_threads();
    scatter_owned(src, idx, out, nidx, cols, rows * tid / nt, rows * (tid + 1) / nt);
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
