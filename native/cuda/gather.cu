/*
 * Row gather / scatter-add and column-slice copies (native/gather.c). scatterAddRows is
 * deterministic without atomics: the indices are stably sorted (gfc_sort_index) and one thread
 * owns each (destination row, column), adding its sources in their original order: the same
 * float additions in the same order as the C kernel.
 */
#include "gfc_impl.cuh"

__global__ void gather_rows_kernel(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  GFC_GRID_STRIDE(i, nidx * cols) {
    int64_t r = i / cols, c = i - r * cols;
    out[i] = x[(int64_t)idx[r] * cols + c];
  }
}

int gfc_gather_rows(const float *x, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  GFC_REQUIRE_INIT();
  if (nidx * cols == 0) return 0;
  gather_rows_kernel<<<gfc_blocks(nidx * cols, 256), 256, 0, gfc_stream()>>>(x, idx, out, nidx, cols);
  return gfc_check_launch("gatherRows");
}

__global__ void scatter_runs(const float *src, const int32_t *keys, const int32_t *perm, float *out, int64_t nidx,
                             int64_t cols) {
  GFC_GRID_STRIDE(i, nidx * cols) {
    int64_t t = i / cols, c = i - t * cols;
    int32_t d = keys[t];
    if (t > 0 && keys[t - 1] == d) continue;  /* not the first source of its destination */
    float acc = out[(int64_t)d * cols + c];
    for (int64_t u = t; u < nidx && keys[u] == d; u++) acc += src[(int64_t)perm[u] * cols + c];
    out[(int64_t)d * cols + c] = acc;
  }
}

int gfc_scatter_add_rows(const float *src, const int32_t *idx, float *out, int64_t nidx, int64_t cols) {
  GFC_REQUIRE_INIT();
  if (nidx * cols == 0) return 0;
  GfcSorted s;
  int rc = gfc_sort_index(idx, nidx, &s, "scatterAddRows");
  if (rc) return rc;
  scatter_runs<<<gfc_blocks(nidx * cols, 256), 256, 0, gfc_stream()>>>(src, s.keys, s.perm, out, nidx, cols);
  gfc_sorted_free(&s);
  return gfc_check_launch("scatterAddRows");
}

__global__ void copy_cols_kernel(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols,
                                 int64_t off) {
  GFC_GRID_STRIDE(i, rows * srcCols) {
    int64_t r = i / srcCols, c = i - r * srcCols;
    out[r * outCols + off + c] = src[i];
  }
}

int gfc_copy_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off) {
  GFC_REQUIRE_INIT();
  if (rows * srcCols == 0) return 0;
  copy_cols_kernel<<<gfc_blocks(rows * srcCols, 256), 256, 0, gfc_stream()>>>(src, out, rows, srcCols, outCols, off);
  return gfc_check_launch("copyCols");
}

__global__ void add_slice_cols_kernel(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols,
                                      int64_t off) {
  GFC_GRID_STRIDE(i, rows * outCols) {
    int64_t r = i / outCols, c = i - r * outCols;
    out[i] += src[r * srcCols + off + c];
  }
}

int gfc_add_slice_cols(const float *src, float *out, int64_t rows, int64_t srcCols, int64_t outCols, int64_t off) {
  GFC_REQUIRE_INIT();
  if (rows * outCols == 0) return 0;
  add_slice_cols_kernel<<<gfc_blocks(rows * outCols, 256), 256, 0, gfc_stream()>>>(src, out, rows, srcCols, outCols,
                                                                                  off);
  return gfc_check_launch("addSliceCols");
}
