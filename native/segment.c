/*
 * Segment reductions over sorted segments (graph pooling): ptr [S+1].
 * Segments are split across threads; each segment's rows are reduced in order
 * (sums in double), so results do not depend on the thread count.
 */
#include "gf.h"
#include <stdlib.h>
#include <string.h>

int gf_segment_reduce(int op, const float *x, const int32_t *ptr, int64_t S, float *out, int64_t cols,
                      int32_t *argmax) {
  int T = gf_threads_for((double)ptr[S] * (double)cols);
  int oom = 0;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    double *acc = op == 2 ? NULL : malloc((size_t)(cols > 0 ? cols : 1) * sizeof(double));
    if (op != 2 && !acc) {
#pragma omp atomic write
      oom = 1;
    }
#pragma omp for schedule(static)
    for (int64_t s = 0; s < S; s++) {
      int64_t lo = ptr[s], hi = ptr[s + 1];
      float *o = out + s * cols;
      if (op == 2) {
        int32_t *am = argmax ? argmax + s * cols : NULL;
        if (lo == hi) {
          for (int64_t c = 0; c < cols; c++) { o[c] = 0.0f; if (am) am[c] = -1; }
          continue;
        }
        for (int64_t c = 0; c < cols; c++) { o[c] = x[lo * cols + c]; if (am) am[c] = (int32_t)lo; }
        /* First maximum wins on ties; a NaN wins and stays (propagates like PyTorch). */
        for (int64_t r = lo + 1; r < hi; r++) {
          const float *xr = x + r * cols;
          for (int64_t c = 0; c < cols; c++) {
            float v = xr[c], best = o[c];
            if (v > best || (v != v && best == best)) { o[c] = v; if (am) am[c] = (int32_t)r; }
          }
        }
      } else if (acc) {
        memset(acc, 0, (size_t)cols * sizeof(double));
        for (int64_t r = lo; r < hi; r++)
          for (int64_t c = 0; c < cols; c++) acc[c] += x[r * cols + c];
        double f = op == 1 && hi > lo ? 1.0 / (double)(hi - lo) : 1.0;
        for (int64_t c = 0; c < cols; c++) o[c] = (float)(acc[c] * f);
      }
    }
    free(acc);
  }
  return oom ? -1 : 0;
}

void gf_segment_reduce_backward(int op, const float *g, const int32_t *ptr, int64_t S, float *gx, int64_t cols,
                                const int32_t *argmax) {
  int T = gf_threads_for((double)ptr[S] * (double)cols);
#pragma omp parallel for num_threads(T) if (T > 1) schedule(static)
  for (int64_t s = 0; s < S; s++) {
    int64_t lo = ptr[s], hi = ptr[s + 1];
    const float *gs = g + s * cols;
    if (op == 2) {
      /* argmax[s*cols + c] lies in [lo, hi) or is -1 (checked by the caller): rows stay within segment s. */
      const int32_t *am = argmax + s * cols;
      for (int64_t c = 0; c < cols; c++)
        if (am[c] >= 0) gx[(int64_t)am[c] * cols + c] += gs[c];
    } else {
      double f = op == 1 && hi > lo ? 1.0 / (double)(hi - lo) : 1.0;
      for (int64_t r = lo; r < hi; r++) {
        float *o = gx + r * cols;
        for (int64_t c = 0; c < cols; c++) o[c] = (float)((double)o[c] + (double)gs[c] * f);
      }
    }
  }
}
